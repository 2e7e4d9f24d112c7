// The data marketplace as a node module: DataMarket's listings (terms, contributors and their consent),
// the consent history (given / revoked, for the consent audit), licences, credits and withdrawals, model
// royalties and the revenue they route, indexed in chain order inside the indexer's transaction
// (journaled, so a reorg undoes them like every other chain-derived table). Dataset names, versions and
// models come from the provenance module's tables, joined by root. The records partition a seller's
// node keeps (PUT /v1/data/listings/{id}/records) is the node's own: not journaled.
import { sql, type Kysely, type Migration } from 'kysely';
import { dataMarketAbi } from '../../chain/artifacts/index.ts';
import { CREDIT_REASONS, LICENCE_KINDS } from '../../data/errors.ts';
import type { BatchContext, IndexedEvent, NodeModule } from '../indexer/module.ts';

/** Deployment name of the contract the module follows. */
export const DATA_MARKET = 'DataMarket';


const migrations: Record<string, Migration> = {
  '0001_data': {
    async up(db: Kysely<any>) {
      await sql`
        create table data_listings (
          listing_id numeric primary key,
          root text not null,
          parent_id numeric not null,
          owner text not null,
          agent_owned boolean not null,
          owner_agent_id numeric not null,
          active boolean not null,
          contributor_count integer not null,
          consent_epoch integer not null,
          terms jsonb,
          purposes bigint not null,
          access_price numeric not null,
          training_price numeric not null,
          royalty_bps integer not null,
          training_allowed boolean not null,
          compute_only boolean not null,
          expiry bigint not null,
          sales integer not null,
          revenue numeric not null,
          royalties numeric not null,
          created_at bigint not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null,
          updated_block bigint not null
        );
        create index data_listings_root on data_listings (root);
        create index data_listings_owner on data_listings (owner, listing_id);
        create index data_listings_parent on data_listings (parent_id);
        create table data_contributors (
          listing_id numeric not null,
          idx integer not null,
          account text not null,
          share_bps integer not null,
          records_root text not null,
          document_digest text,
          scope bigint,
          given_at bigint,
          revoked_at bigint,
          primary key (listing_id, idx)
        );
        create index data_contributors_account on data_contributors (account);
        create table data_consents (
          block_number bigint not null,
          log_index integer not null,
          listing_id numeric not null,
          idx integer not null,
          account text not null,
          kind text not null,
          document_digest text,
          scope bigint,
          epoch integer not null,
          at bigint not null,
          tx_hash text not null,
          primary key (block_number, log_index)
        );
        create index data_consents_listing on data_consents (listing_id, block_number, log_index);
        create table data_licences (
          licence_id numeric primary key,
          listing_id numeric not null,
          holder text not null,
          kind text not null,
          purposes bigint not null,
          commercial boolean not null,
          royalty_bps integer not null,
          price numeric not null,
          expires_at bigint not null,
          included_mask numeric not null,
          consent_epoch integer not null,
          issued_at bigint not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null,
          job_id numeric,
          provider_id numeric,
          bound_tx text,
          model text
        );
        create index data_licences_holder on data_licences (holder, licence_id);
        create index data_licences_listing on data_licences (listing_id, licence_id);
        create table data_credits (
          block_number bigint not null,
          log_index integer not null,
          account text not null,
          listing_id numeric not null,
          reason text not null,
          ref text not null,
          amount numeric not null,
          at bigint not null,
          tx_hash text not null,
          primary key (block_number, log_index)
        );
        create index data_credits_account on data_credits (account, block_number);
        create index data_credits_listing on data_credits (listing_id, reason);
        create table data_withdrawals (
          block_number bigint not null,
          log_index integer not null,
          account text not null,
          recipient text not null,
          amount numeric not null,
          at bigint not null,
          tx_hash text not null,
          primary key (block_number, log_index)
        );
        create index data_withdrawals_account on data_withdrawals (account);
        create table data_held (
          account text primary key,
          held numeric not null,
          updated_block bigint not null
        );
        create table data_model_royalties (
          weights_digest text primary key,
          vault text not null,
          agent_id numeric not null,
          beneficiary text not null,
          listing_ids jsonb not null,
          royalty_bps jsonb not null,
          licence_ids jsonb not null,
          revenue numeric not null,
          to_datasets numeric not null,
          to_beneficiary numeric not null,
          registered_at bigint not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null
        );
        create table data_revenue (
          block_number bigint not null,
          log_index integer not null,
          kind text not null,
          weights_digest text not null,
          listing_id numeric,
          amount numeric not null,
          to_datasets numeric,
          to_beneficiary numeric,
          at bigint not null,
          tx_hash text not null,
          primary key (block_number, log_index)
        );
        create index data_revenue_model on data_revenue (weights_digest, block_number);
        create index data_revenue_listing on data_revenue (listing_id);
        create table data_records (
          listing_id numeric primary key,
          root text not null,
          location text not null,
          files jsonb not null,
          updated_at bigint not null
        );
      `.execute(db);
    },
  },
};

/** All chain-derived: journaled for reorgs, emptied on a re-index. data_records is the node's own. */
const dataTables = [
  { name: 'data_listings', primaryKey: ['listing_id'] },
  { name: 'data_contributors', primaryKey: ['listing_id', 'idx'] },
  { name: 'data_consents', primaryKey: ['block_number', 'log_index'] },
  { name: 'data_licences', primaryKey: ['licence_id'] },
  { name: 'data_credits', primaryKey: ['block_number', 'log_index'] },
  { name: 'data_withdrawals', primaryKey: ['block_number', 'log_index'] },
  { name: 'data_held', primaryKey: ['account'] },
  { name: 'data_model_royalties', primaryKey: ['weights_digest'] },
  { name: 'data_revenue', primaryKey: ['block_number', 'log_index'] },
];

type Args = Record<string, any>;
type Handler = (tx: Kysely<any>, e: IndexedEvent, a: Args) => Promise<void>;

const lower = (h: unknown) => String(h).toLowerCase();
const str = (v: unknown) => (typeof v === 'bigint' ? v.toString() : String(v));

/** Terms as the index keeps them (JSON: amounts as decimal strings, purposes as the bit set). */
export type StoredTerms = {
  accessPrice: string;
  trainingPrice: string;
  royaltyBps: number;
  trainingAllowed: boolean;
  commercialUse: boolean;
  attribution: boolean;
  computeOnly: boolean;
  purposes: number;
  expiry: number;
  licenceDuration: number;
  termsDigest: string;
  allowedProviders: string[];
};

function termsOf(t: Args): StoredTerms {
  return {
    accessPrice: str(t.accessPrice),
    trainingPrice: str(t.trainingPrice),
    royaltyBps: Number(t.royaltyBps),
    trainingAllowed: Boolean(t.trainingAllowed),
    commercialUse: Boolean(t.commercialUse),
    attribution: Boolean(t.attribution),
    computeOnly: Boolean(t.computeOnly),
    purposes: Number(t.purposes),
    expiry: Number(t.expiry),
    licenceDuration: Number(t.licenceDuration),
    termsDigest: lower(t.termsDigest),
    allowedProviders: ((t.allowedProviders ?? []) as unknown[]).map(str),
  };
}

async function consentRow(tx: Kysely<any>, e: IndexedEvent, a: Args, kind: 'given' | 'revoked') {
  await tx
    .insertInto('data_consents')
    .values({
      block_number: e.blockNumber,
      log_index: e.logIndex,
      listing_id: str(a.listingId),
      idx: Number(a.index),
      account: a.account,
      kind,
      document_digest: kind === 'given' ? lower(a.documentDigest) : null,
      scope: kind === 'given' ? Number(a.scope) : null,
      epoch: Number(a.epoch),
      at: e.timestamp,
      tx_hash: e.txHash,
    })
    .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
    .execute();
  await tx.updateTable('data_listings').set({ consent_epoch: Number(a.epoch), updated_block: e.blockNumber }).where('listing_id', '=', str(a.listingId)).execute();
}

const dataHandlers: Record<string, Handler> = {
  ListingPublished: async (tx, e, a) => {
    const contributors = a.contributors as Args[];
    const row = {
      root: lower(a.root),
      parent_id: str(a.parentId),
      owner: a.owner,
      agent_owned: Boolean(a.agentOwned),
      owner_agent_id: str(a.ownerAgentId),
      active: true,
      contributor_count: contributors.length,
      consent_epoch: 0,
      terms: null,
      purposes: 0,
      access_price: '0',
      training_price: '0',
      royalty_bps: 0,
      training_allowed: false,
      compute_only: false,
      expiry: 0,
      sales: 0,
      revenue: '0',
      royalties: '0',
      created_at: e.timestamp,
      block_number: e.blockNumber,
      log_index: e.logIndex,
      tx_hash: e.txHash,
      updated_block: e.blockNumber,
    };
    await tx
      .insertInto('data_listings')
      .values({ listing_id: str(a.listingId), ...row })
      .onConflict((oc) => oc.column('listing_id').doUpdateSet(row))
      .execute();
    if (contributors.length === 0) return;
    await tx
      .insertInto('data_contributors')
      .values(
        contributors.map((c, i) => ({
          listing_id: str(a.listingId),
          idx: i,
          account: c.account,
          share_bps: Number(c.shareBps),
          records_root: lower(c.recordsRoot),
          document_digest: null,
          scope: null,
          given_at: null,
          revoked_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(['listing_id', 'idx']).doNothing())
      .execute();
  },
  TermsSet: async (tx, e, a) => {
    const t = termsOf(a.terms as Args);
    await tx
      .updateTable('data_listings')
      .set({
        terms: JSON.stringify(t),
        purposes: t.purposes,
        access_price: t.accessPrice,
        training_price: t.trainingPrice,
        royalty_bps: t.royaltyBps,
        training_allowed: t.trainingAllowed,
        compute_only: t.computeOnly,
        expiry: t.expiry,
        // every terms change bumps the listing's quote epoch (0 at publication)
        consent_epoch: Number(a.epoch),
        updated_block: e.blockNumber,
      })
      .where('listing_id', '=', str(a.listingId))
      .execute();
  },
  ListingActiveSet: async (tx, e, a) => {
    await tx.updateTable('data_listings').set({ active: Boolean(a.active), updated_block: e.blockNumber }).where('listing_id', '=', str(a.listingId)).execute();
  },
  ConsentGiven: async (tx, e, a) => {
    await tx
      .updateTable('data_contributors')
      .set({ document_digest: lower(a.documentDigest), scope: Number(a.scope), given_at: e.timestamp, revoked_at: null })
      .where('listing_id', '=', str(a.listingId))
      .where('idx', '=', Number(a.index))
      .execute();
    await consentRow(tx, e, a, 'given');
  },
  ConsentRevoked: async (tx, e, a) => {
    await tx
      .updateTable('data_contributors')
      .set({ revoked_at: e.timestamp })
      .where('listing_id', '=', str(a.listingId))
      .where('idx', '=', Number(a.index))
      .execute();
    await consentRow(tx, e, a, 'revoked');
  },
  LicenceIssued: async (tx, e, a) => {
    // The licence snapshots the terms in force at purchase (commercial use, royalty share): the listing's now, in chain order.
    const terms = await tx.selectFrom('data_listings').select(['terms']).where('listing_id', '=', str(a.listingId)).executeTakeFirst();
    const t = (typeof terms?.terms === 'string' ? JSON.parse(terms.terms) : terms?.terms) as StoredTerms | null | undefined;
    const row = {
      listing_id: str(a.listingId),
      holder: a.holder,
      kind: LICENCE_KINDS[Number(a.kind)] ?? String(a.kind),
      purposes: Number(a.purposes),
      commercial: t?.commercialUse ?? false,
      royalty_bps: t?.royaltyBps ?? 0,
      price: str(a.price),
      expires_at: Number(a.expiresAt),
      included_mask: str(a.includedMask),
      consent_epoch: Number(a.consentEpoch),
      issued_at: e.timestamp,
      block_number: e.blockNumber,
      log_index: e.logIndex,
      tx_hash: e.txHash,
      job_id: null,
      provider_id: null,
      bound_tx: null,
      model: null,
    };
    await tx
      .insertInto('data_licences')
      .values({ licence_id: str(a.licenceId), ...row })
      .onConflict((oc) => oc.column('licence_id').doUpdateSet(row))
      .execute();
    await tx
      .updateTable('data_listings')
      .set((eb) => ({ sales: sql`${eb.ref('sales')} + 1`, revenue: sql`${eb.ref('revenue')} + ${str(a.price)}::numeric`, updated_block: e.blockNumber }))
      .where('listing_id', '=', str(a.listingId))
      .execute();
  },
  TrainingRunBound: async (tx, e, a) => {
    await tx.updateTable('data_licences').set({ job_id: str(a.jobId), provider_id: str(a.providerId), bound_tx: e.txHash }).where('licence_id', '=', str(a.licenceId)).execute();
  },
  ModelRoyaltyRegistered: async (tx, e, a) => {
    const digest = lower(a.weightsDigest);
    const licenceIds = (a.licenceIds as unknown[]).map(str);
    const row = {
      vault: a.vault,
      agent_id: str(a.agentId),
      beneficiary: a.beneficiary,
      listing_ids: JSON.stringify((a.listingIds as unknown[]).map(str)),
      royalty_bps: JSON.stringify((a.royaltyBps as unknown[]).map(Number)),
      licence_ids: JSON.stringify(licenceIds),
      revenue: '0',
      to_datasets: '0',
      to_beneficiary: '0',
      registered_at: e.timestamp,
      block_number: e.blockNumber,
      log_index: e.logIndex,
      tx_hash: e.txHash,
    };
    await tx
      .insertInto('data_model_royalties')
      .values({ weights_digest: digest, ...row })
      .onConflict((oc) => oc.column('weights_digest').doUpdateSet(row))
      .execute();
    if (licenceIds.length) await tx.updateTable('data_licences').set({ model: digest }).where('licence_id', 'in', licenceIds).execute();
  },
  RevenueRouted: async (tx, e, a) => {
    const digest = lower(a.weightsDigest);
    await tx
      .insertInto('data_revenue')
      .values({
        block_number: e.blockNumber,
        log_index: e.logIndex,
        kind: 'routed',
        weights_digest: digest,
        listing_id: null,
        amount: str(a.amount),
        to_datasets: str(a.toDatasets),
        to_beneficiary: str(a.toBeneficiary),
        at: e.timestamp,
        tx_hash: e.txHash,
      })
      .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
      .execute();
    await tx
      .updateTable('data_model_royalties')
      .set((eb) => ({
        revenue: sql`${eb.ref('revenue')} + ${str(a.amount)}::numeric`,
        to_datasets: sql`${eb.ref('to_datasets')} + ${str(a.toDatasets)}::numeric`,
        to_beneficiary: sql`${eb.ref('to_beneficiary')} + ${str(a.toBeneficiary)}::numeric`,
      }))
      .where('weights_digest', '=', digest)
      .execute();
  },
  DatasetRoyalty: async (tx, e, a) => {
    await tx
      .insertInto('data_revenue')
      .values({
        block_number: e.blockNumber,
        log_index: e.logIndex,
        kind: 'dataset',
        weights_digest: lower(a.weightsDigest),
        listing_id: str(a.listingId),
        amount: str(a.amount),
        to_datasets: null,
        to_beneficiary: null,
        at: e.timestamp,
        tx_hash: e.txHash,
      })
      .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
      .execute();
    await tx
      .updateTable('data_listings')
      .set((eb) => ({ royalties: sql`${eb.ref('royalties')} + ${str(a.amount)}::numeric`, updated_block: e.blockNumber }))
      .where('listing_id', '=', str(a.listingId))
      .execute();
  },
  Credited: async (tx, e, a) => {
    await tx
      .insertInto('data_credits')
      .values({
        block_number: e.blockNumber,
        log_index: e.logIndex,
        account: a.account,
        listing_id: str(a.listingId),
        reason: CREDIT_REASONS[Number(a.reason)] ?? String(a.reason),
        ref: lower(a.ref),
        amount: str(a.amount),
        at: e.timestamp,
        tx_hash: e.txHash,
      })
      .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
      .execute();
  },
  // The part of an account's credit held back by the exact cumulative splits (its total, not a delta).
  CreditHeld: async (tx, e, a) => {
    await tx
      .insertInto('data_held')
      .values({ account: a.account, held: str(a.held), updated_block: e.blockNumber })
      .onConflict((oc) => oc.column('account').doUpdateSet({ held: str(a.held), updated_block: e.blockNumber }))
      .execute();
  },
  Withdrawn: async (tx, e, a) => {
    await tx
      .insertInto('data_withdrawals')
      .values({ block_number: e.blockNumber, log_index: e.logIndex, account: a.account, recipient: a.to, amount: str(a.amount), at: e.timestamp, tx_hash: e.txHash })
      .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
      .execute();
  },
};

/**
 * Applies a batch of DataMarket events in chain order (inside the indexer's transaction).
 * @example
 * await applyDataBatch(tx, events, ctx)
 */
async function applyDataBatch(tx: Kysely<any>, events: IndexedEvent[], _ctx: BatchContext): Promise<void> {
  for (const e of events) if (e.contract === DATA_MARKET) await dataHandlers[e.event]?.(tx, e, e.args as Args);
}

/**
 * The data module (needs DataMarket in the deployment, and the provenance module for dataset names and models).
 * Events naming an agent (an agent-owned listing's owner agent, a model's serving agent) are filed under it.
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), provenanceModule(), dataModule()] })
 */
export function dataModule(): NodeModule {
  return {
    name: 'data',
    migrations,
    contracts: [{ name: DATA_MARKET, abi: dataMarketAbi }],
    tables: dataTables,
    agentIdOf: (e) => {
      const a = e.args as Args;
      if (e.event === 'ModelRoyaltyRegistered' && typeof a.agentId === 'bigint') return a.agentId;
      if (e.event === 'ListingPublished' && a.agentOwned === true && typeof a.ownerAgentId === 'bigint') return a.ownerAgentId;
      return null;
    },
    applyBatch: applyDataBatch,
  };
}
