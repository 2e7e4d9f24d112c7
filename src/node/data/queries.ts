// Read side of the data marketplace: the catalogue (listings joined with their dataset's name and
// version from the provenance index), one listing with its contributors and their consent, versions,
// licences sold and the models paying it royalties; the consent audit (each revocation with the models
// registered before it whose lineage holds the listing's data); licences; an account's credits; a
// model's royalty flow (revenue → datasets → contributors). Everything from the index; only chain time
// (for whether a licence is still valid) comes from the chain.
import { sql, type Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { cumulativeSplit } from '../../data/split.ts';
import { maskIndexes, maskToPurposes, PURPOSE_BITS, SCOPE_COMMERCIAL, SCOPE_TRAINING } from '../../data/terms.ts';
import { createCachedChainClock } from '../api/clock.ts';
import { jsonList } from '../db/bulk.ts';
import type { StoredTerms } from './module.ts';

export type DataTermsView = {
  accessPrice: string;
  trainingPrice: string;
  royaltyBps: number;
  trainingAllowed: boolean;
  commercialUse: boolean;
  attribution: boolean;
  computeOnly: boolean;
  /** Purpose names (`bit:N` for bits without a name). */
  purposes: string[];
  purposesMask: number;
  /** Unix seconds; 0 = no end. */
  expiry: number;
  /** Seconds a licence runs after purchase; 0 = until `expiry`. */
  licenceDuration: number;
  termsDigest: Hex;
  /** Compute providers (agent ids) allowed to train on the data; empty = any. */
  allowedProviders: string[];
};

export type DataListingRow = {
  listingId: string;
  root: Hex;
  /** The dataset's name and version in the ProvenanceRegistry (null until the provenance index has it). */
  name: string | null;
  version: number | null;
  parentId: string | null;
  owner: Address;
  agentOwned: boolean;
  ownerAgentId: string | null;
  active: boolean;
  terms: DataTermsView | null;
  contributorCount: number;
  /** Contributors whose consent is in force. */
  consenting: number;
  revoked: number;
  consentEpoch: number;
  sales: number;
  revenue: string;
  royalties: string;
  createdAt: number;
  txHash: Hex;
  /** This node holds the listing's records (it can deliver them). */
  hasRecords: boolean;
};

export type ConsentView = {
  state: 'none' | 'given' | 'revoked';
  documentDigest: Hex | null;
  scope: number | null;
  purposes: string[];
  training: boolean;
  commercial: boolean;
  givenAt: number | null;
  revokedAt: number | null;
};

export type ContributorView = {
  index: number;
  account: Address;
  shareBps: number;
  recordsRoot: Hex;
  consent: ConsentView;
  /** Credited from licence sales of this listing. */
  earnedSales: string;
  /** Credited from models' royalties to this listing. */
  earnedRoyalties: string;
};

export type DataLicenceRow = {
  licenceId: string;
  listingId: string;
  root: Hex | null;
  name: string | null;
  holder: Address;
  kind: 'access' | 'training';
  purposes: string[];
  purposesMask: number;
  commercial: boolean;
  royaltyBps: number;
  issuedAt: number;
  /** 0 = no end. */
  expiresAt: number;
  valid: boolean;
  consentEpoch: number;
  includedMask: string;
  /** Contributor indexes whose records the licence covers. */
  included: number[];
  price: string;
  jobId: string | null;
  providerId: string | null;
  model: Hex | null;
  txHash: Hex;
};

export type VersionView = { root: Hex; name: string | null; version: number | null; listingId: string | null; current: boolean };

export type ListingModelView = { weightsDigest: Hex; name: string | null; royaltyBps: number; paid: string; agentId: string };

export type DataListingDetail = DataListingRow & {
  contributors: ContributorView[];
  versions: VersionView[];
  /** The 50 most recent licences. */
  licences: DataLicenceRow[];
  models: ListingModelView[];
};

export type AuditModelView = { weightsDigest: Hex; name: string; registeredAt: number; trainedOn: Hex[]; via: 'dataset' | 'descendant-dataset' | 'base-model'; royalty: boolean };

export type ConsentAudit = {
  listingId: string;
  root: Hex;
  name: string | null;
  /** Models whose lineage holds the listing's data (directly, through a later version, or through a base model). */
  modelsInLineage: number;
  revocations: Array<{
    index: number;
    account: Address;
    revokedAt: number;
    blockNumber: number;
    txHash: Hex;
    /** Models registered before the revocation whose lineage holds the listing's data: trained with the contributor's consent in force. */
    models: AuditModelView[];
    /** Models registered after it whose lineage holds the listing's data. */
    modelsAfter: AuditModelView[];
  }>;
};

export type CreditRow = { account: Address; listingId: string; reason: 'sale' | 'royalty' | 'model-revenue'; ref: Hex; amount: string; at: number; txHash: Hex };

export type AccountRoyalties = {
  account: Address;
  credited: { sale: string; royalty: string; modelRevenue: string; total: string };
  withdrawn: string;
  /** Credited but not withdrawn (what withdraw() pays now). */
  balance: string;
  /** Held back by the exact cumulative splits (a few units at most; released as later amounts round up). */
  held: string;
  byListing: Array<{ listingId: string; name: string | null; sale: string; royalty: string; modelRevenue: string }>;
  /** The 50 most recent credits. */
  recent: CreditRow[];
  withdrawals: Array<{ to: Address; amount: string; at: number; txHash: Hex }>;
};

export type ModelRoyaltyFlow = {
  weightsDigest: Hex;
  name: string | null;
  vault: Address;
  agentId: string;
  beneficiary: Address;
  revenue: string;
  toDatasets: string;
  toBeneficiary: string;
  datasets: Array<{
    listingId: string;
    root: Hex | null;
    name: string | null;
    royaltyBps: number;
    paid: string;
    contributors: Array<{ index: number; account: Address; shareBps: number; amount: string }>;
  }>;
  routes: Array<{ amount: string; toDatasets: string; toBeneficiary: string; at: number; txHash: Hex }>;
  registeredAt: number;
  txHash: Hex;
};

export type ListListingsParams = { q?: string | undefined; purposesMask?: number | undefined; owner?: Address | undefined; active?: boolean | undefined; limit: number; cursor?: string | undefined };
export type ListLicencesParams = { holder?: Address | undefined; listingId?: bigint | undefined; limit: number; cursor?: string | undefined };

export type DataQueries = {
  listListings(p: ListListingsParams): Promise<{ items: DataListingRow[]; nextCursor?: string | undefined }>;
  getListing(listingId: bigint): Promise<DataListingDetail | undefined>;
  audit(listingId: bigint): Promise<ConsentAudit | undefined>;
  listLicences(p: ListLicencesParams): Promise<{ items: DataLicenceRow[]; nextCursor?: string | undefined }>;
  getLicence(licenceId: bigint): Promise<DataLicenceRow | undefined>;
  royalties(account: Address): Promise<AccountRoyalties>;
  modelRoyalties(weightsDigest: Hex): Promise<ModelRoyaltyFlow | undefined>;
  /** The records partition this node keeps for a listing (PUT .../records), if any. */
  getRecords(listingId: bigint): Promise<StoredRecords | undefined>;
  putRecords(r: StoredRecords): Promise<void>;
};

/** One file of a listing's records as the node keeps them: its manifest entry and its contributor. */
export type RecordFile = { path: string; size: string; root: Hex; contributor: number };
export type StoredRecords = { listingId: bigint; root: Hex; location: string; files: RecordFile[] };

/** A cursor is the last id seen, as a decimal string. */
export function isIdCursor(s: string): boolean {
  return /^(0|[1-9]\d{0,30})$/.test(s);
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export function termsView(t: StoredTerms): DataTermsView {
  return { ...t, purposes: maskToPurposes(t.purposes), purposesMask: t.purposes, termsDigest: t.termsDigest as Hex };
}

export function consentView(r: { document_digest: unknown; scope: unknown; given_at: unknown; revoked_at: unknown }): ConsentView {
  const scope = num(r.scope);
  const revokedAt = num(r.revoked_at);
  const givenAt = num(r.given_at);
  return {
    state: revokedAt !== null ? 'revoked' : givenAt !== null ? 'given' : 'none',
    documentDigest: (r.document_digest as Hex | null) ?? null,
    scope,
    purposes: scope === null ? [] : maskToPurposes(scope & PURPOSE_BITS),
    training: scope !== null && (scope & SCOPE_TRAINING) >>> 0 !== 0,
    commercial: scope !== null && (scope & SCOPE_COMMERCIAL) !== 0,
    givenAt,
    revokedAt,
  };
}

/**
 * The data reads over the node's database.
 * @example
 * const q = createDataQueries({ db: store.db, client })
 * const { items } = await q.listListings({ q: 'diabetes', limit: 20 })
 */
export function createDataQueries(p: { db: Kysely<any>; client?: MachinaPublicClient | undefined }): DataQueries {
  const { db, client } = p;
  // Chain time (a devnet's clock may run ahead of the wall), cached for a second.
  const now = createCachedChainClock(client);

  const listingSelect = sql`
    select l.*, d.name as dataset_name, d.version as dataset_version, r.listing_id is not null as has_records,
      coalesce(c.consenting, 0)::int as consenting, coalesce(c.revoked, 0)::int as revoked_count
    from data_listings l
    left join prov_datasets d on d.root = l.root
    left join data_records r on r.listing_id = l.listing_id
    left join (
      select listing_id, count(*) filter (where given_at is not null and revoked_at is null) as consenting, count(*) filter (where revoked_at is not null) as revoked
      from data_contributors group by listing_id
    ) c on c.listing_id = l.listing_id`;

  const listingOf = (r: any): DataListingRow => ({
    listingId: String(r.listing_id),
    root: r.root,
    name: r.dataset_name ?? null,
    version: num(r.dataset_version),
    parentId: String(r.parent_id) === '0' ? null : String(r.parent_id),
    owner: r.owner,
    agentOwned: r.agent_owned,
    ownerAgentId: r.agent_owned ? String(r.owner_agent_id) : null,
    active: r.active,
    terms: r.terms ? termsView(json<StoredTerms>(r.terms)) : null,
    contributorCount: Number(r.contributor_count),
    consenting: Number(r.consenting),
    revoked: Number(r.revoked_count),
    consentEpoch: Number(r.consent_epoch),
    sales: Number(r.sales),
    revenue: String(r.revenue),
    royalties: String(r.royalties),
    createdAt: Number(r.created_at),
    txHash: r.tx_hash,
    hasRecords: r.has_records === true,
  });

  const licenceSelect = sql`select x.*, l.root, d.name as dataset_name from data_licences x left join data_listings l on l.listing_id = x.listing_id left join prov_datasets d on d.root = l.root`;
  const licenceOf = (r: any, t: number): DataLicenceRow => ({
    licenceId: String(r.licence_id),
    listingId: String(r.listing_id),
    root: r.root ?? null,
    name: r.dataset_name ?? null,
    holder: r.holder,
    kind: r.kind,
    purposes: maskToPurposes(Number(r.purposes)),
    purposesMask: Number(r.purposes),
    commercial: r.commercial,
    royaltyBps: Number(r.royalty_bps),
    issuedAt: Number(r.issued_at),
    expiresAt: Number(r.expires_at),
    valid: Number(r.expires_at) === 0 || Number(r.expires_at) > t,
    consentEpoch: Number(r.consent_epoch),
    includedMask: String(r.included_mask),
    included: maskIndexes(String(r.included_mask)),
    price: String(r.price),
    jobId: r.job_id === null || r.job_id === undefined ? null : String(r.job_id),
    providerId: r.provider_id === null || r.provider_id === undefined ? null : String(r.provider_id),
    model: r.model ?? null,
    txHash: r.tx_hash,
  });

  /** Dataset versions of the listing's family: its ancestors and descendants in the provenance index, with their listings. */
  const versionsOf = async (root: string): Promise<VersionView[]> => {
    const seen = new Map<string, { root: string; name: string | null; version: number | null }>();
    // Up: parents.
    let cur: string | null = root;
    for (let i = 0; cur && i < 100 && !seen.has(cur); i++) {
      const { rows }: { rows: any[] } = await sql<any>`select root, parent, name, version from prov_datasets where root = ${cur}`.execute(db);
      const d: any = rows[0];
      seen.set(cur, { root: cur, name: d?.name ?? null, version: num(d?.version) });
      cur = d?.parent ?? null;
    }
    // Down: children, breadth first.
    let frontier = [root];
    for (let i = 0; frontier.length && seen.size < 200 && i < 100; i++) {
      const { rows } = await sql<any>`select root, name, version from prov_datasets where parent in (${sql.join(frontier)})`.execute(db);
      frontier = [];
      for (const d of rows) {
        if (seen.has(d.root)) continue;
        seen.set(d.root, { root: d.root, name: d.name, version: num(d.version) });
        frontier.push(d.root);
      }
    }
    const roots = [...seen.keys()];
    const { rows: listed } = await sql<any>`select listing_id, root from data_listings where root in (${sql.join(roots)})`.execute(db);
    const listingBy = new Map(listed.map((l) => [l.root as string, String(l.listing_id)]));
    return [...seen.values()]
      .map((v) => ({ root: v.root as Hex, name: v.name, version: v.version, listingId: listingBy.get(v.root) ?? null, current: v.root === root }))
      .sort((a, b) => (a.version ?? 0) - (b.version ?? 0));
  };

  /** Models whose lineage holds `root`: trained on it or on a later version of it, or fine-tuned from such a model. */
  const modelsInLineage = async (root: string) => {
    const datasets = new Set<string>([root]);
    let frontier = [root];
    for (let i = 0; frontier.length && datasets.size < 500 && i < 100; i++) {
      const { rows } = await sql<any>`select root from prov_datasets where parent in (${sql.join(frontier)})`.execute(db);
      frontier = rows.map((r) => r.root as string).filter((r) => !datasets.has(r));
      frontier.forEach((r) => datasets.add(r));
    }
    const models = new Map<string, { row: any; via: AuditModelView['via'] }>();
    const { rows: direct } = await sql<any>`select weights_digest, name, dataset_roots, registered_at, block_number, log_index from prov_models where dataset_roots ?| array[${sql.join([...datasets])}]::text[]`.execute(db);
    for (const m of direct) {
      const roots = json<string[]>(m.dataset_roots);
      models.set(m.weights_digest, { row: m, via: roots.includes(root) ? 'dataset' : 'descendant-dataset' });
    }
    let bases = [...models.keys()];
    for (let i = 0; bases.length && models.size < 1000 && i < 100; i++) {
      const { rows } = await sql<any>`select weights_digest, name, dataset_roots, registered_at, block_number, log_index from prov_models where base_model in (${sql.join(bases)})`.execute(db);
      bases = [];
      for (const m of rows) {
        if (models.has(m.weights_digest)) continue;
        models.set(m.weights_digest, { row: m, via: 'base-model' });
        bases.push(m.weights_digest);
      }
    }
    const ids = [...models.keys()];
    const royalties = ids.length ? (await sql<any>`select weights_digest from data_model_royalties where weights_digest in (${sql.join(ids)})`.execute(db)).rows.map((r) => r.weights_digest as string) : [];
    return [...models.values()]
      .map(({ row, via }) => ({
        view: {
          weightsDigest: row.weights_digest as Hex,
          name: row.name as string,
          registeredAt: Number(row.registered_at),
          trainedOn: json<Hex[]>(row.dataset_roots),
          via,
          royalty: royalties.includes(row.weights_digest),
        } satisfies AuditModelView,
        block: Number(row.block_number),
        log: Number(row.log_index),
      }))
      .sort((a, b) => a.block - b.block || a.log - b.log);
  };

  return {
    async listListings({ q, purposesMask, owner, active, limit, cursor }) {
      const { rows } = await sql<any>`
        ${listingSelect}
        where ${cursor ? sql`l.listing_id < ${cursor}::numeric` : sql`true`}
          and ${q === undefined ? sql`true` : sql`position(lower(${q}) in lower(coalesce(d.name, ''))) > 0`}
          and ${purposesMask === undefined ? sql`true` : sql`(l.purposes & ${purposesMask}::bigint) = ${purposesMask}::bigint`}
          and ${owner === undefined ? sql`true` : sql`l.owner = ${owner}`}
          and ${active === undefined ? sql`true` : sql`l.active = ${active}`}
        order by l.listing_id desc limit ${limit + 1}`.execute(db);
      const items = rows.slice(0, limit).map(listingOf);
      return rows.length > limit ? { items, nextCursor: items[items.length - 1]!.listingId } : { items };
    },

    async getListing(listingId) {
      const { rows } = await sql<any>`${listingSelect} where l.listing_id = ${listingId.toString()}::numeric`.execute(db);
      if (!rows[0]) return undefined;
      const row = listingOf(rows[0]);
      const t = await now();
      const [contributors, earned, licences, models, versions] = await Promise.all([
        sql<any>`select * from data_contributors where listing_id = ${row.listingId}::numeric order by idx`.execute(db),
        sql<any>`select account, reason, sum(amount)::text as amount from data_credits where listing_id = ${row.listingId}::numeric group by account, reason`.execute(db),
        sql<any>`${licenceSelect} where x.listing_id = ${row.listingId}::numeric order by x.licence_id desc limit 50`.execute(db),
        sql<any>`
          select m.weights_digest, m.agent_id, m.listing_ids, m.royalty_bps, p.name,
            (select coalesce(sum(v.amount), 0)::text from data_revenue v where v.kind = 'dataset' and v.weights_digest = m.weights_digest and v.listing_id = ${row.listingId}::numeric) as paid
          from data_model_royalties m left join prov_models p on p.weights_digest = m.weights_digest
          where m.listing_ids @> ${JSON.stringify([row.listingId])}::jsonb
          order by m.block_number, m.log_index`.execute(db),
        versionsOf(row.root),
      ]);
      const earnedBy = new Map<string, string>();
      for (const e of earned.rows) earnedBy.set(`${e.account}:${e.reason}`, String(e.amount));
      return {
        ...row,
        contributors: contributors.rows.map((c) => ({
          index: Number(c.idx),
          account: c.account,
          shareBps: Number(c.share_bps),
          recordsRoot: c.records_root,
          consent: consentView(c),
          earnedSales: earnedBy.get(`${c.account}:sale`) ?? '0',
          earnedRoyalties: earnedBy.get(`${c.account}:royalty`) ?? '0',
        })),
        versions,
        licences: licences.rows.map((r) => licenceOf(r, t)),
        models: models.rows.map((m) => {
          const ids = json<string[]>(m.listing_ids);
          const bps = json<number[]>(m.royalty_bps);
          return { weightsDigest: m.weights_digest, name: m.name ?? null, royaltyBps: Number(bps[ids.indexOf(row.listingId)] ?? 0), paid: String(m.paid), agentId: String(m.agent_id) };
        }),
      };
    },

    async audit(listingId) {
      const { rows } = await sql<any>`select l.listing_id, l.root, d.name from data_listings l left join prov_datasets d on d.root = l.root where l.listing_id = ${listingId.toString()}::numeric`.execute(db);
      const l = rows[0];
      if (!l) return undefined;
      const [revocations, models] = await Promise.all([
        sql<any>`select * from data_consents where listing_id = ${listingId.toString()}::numeric and kind = 'revoked' order by block_number, log_index`.execute(db),
        modelsInLineage(l.root),
      ]);
      return {
        listingId: String(l.listing_id),
        root: l.root,
        name: l.name ?? null,
        modelsInLineage: models.length,
        revocations: revocations.rows.map((r) => {
          const at = { block: Number(r.block_number), log: Number(r.log_index) };
          const before = (m: { block: number; log: number }) => m.block < at.block || (m.block === at.block && m.log < at.log);
          return {
            index: Number(r.idx),
            account: r.account,
            revokedAt: Number(r.at),
            blockNumber: at.block,
            txHash: r.tx_hash,
            models: models.filter(before).map((m) => m.view),
            modelsAfter: models.filter((m) => !before(m)).map((m) => m.view),
          };
        }),
      };
    },

    async listLicences({ holder, listingId, limit, cursor }) {
      const t = await now();
      const { rows } = await sql<any>`
        ${licenceSelect}
        where ${cursor ? sql`x.licence_id < ${cursor}::numeric` : sql`true`}
          and ${holder === undefined ? sql`true` : sql`x.holder = ${holder}`}
          and ${listingId === undefined ? sql`true` : sql`x.listing_id = ${listingId.toString()}::numeric`}
        order by x.licence_id desc limit ${limit + 1}`.execute(db);
      const items = rows.slice(0, limit).map((r) => licenceOf(r, t));
      return rows.length > limit ? { items, nextCursor: items[items.length - 1]!.licenceId } : { items };
    },

    async getLicence(licenceId) {
      const { rows } = await sql<any>`${licenceSelect} where x.licence_id = ${licenceId.toString()}::numeric`.execute(db);
      return rows[0] ? licenceOf(rows[0], await now()) : undefined;
    },

    async royalties(account) {
      const [sums, withdrawn, byListing, recent, withdrawals, held] = await Promise.all([
        sql<any>`select reason, sum(amount)::text as amount from data_credits where account = ${account} group by reason`.execute(db),
        sql<any>`select coalesce(sum(amount), 0)::text as amount from data_withdrawals where account = ${account}`.execute(db),
        sql<any>`
          select c.listing_id, d.name, c.reason, sum(c.amount)::text as amount
          from data_credits c left join data_listings l on l.listing_id = c.listing_id left join prov_datasets d on d.root = l.root
          where c.account = ${account} group by c.listing_id, d.name, c.reason order by c.listing_id`.execute(db),
        sql<any>`select * from data_credits where account = ${account} order by block_number desc, log_index desc limit 50`.execute(db),
        sql<any>`select * from data_withdrawals where account = ${account} order by block_number desc, log_index desc limit 50`.execute(db),
        sql<any>`select held from data_held where account = ${account}`.execute(db),
      ]);
      const by = (reason: string) => BigInt(sums.rows.find((s) => s.reason === reason)?.amount ?? '0');
      const total = by('sale') + by('royalty') + by('model-revenue');
      const out = BigInt(withdrawn.rows[0]?.amount ?? '0');
      const listings = new Map<string, AccountRoyalties['byListing'][number]>();
      for (const r of byListing.rows) {
        const id = String(r.listing_id);
        const e = listings.get(id) ?? { listingId: id, name: r.name ?? null, sale: '0', royalty: '0', modelRevenue: '0' };
        if (r.reason === 'sale') e.sale = String(r.amount);
        else if (r.reason === 'royalty') e.royalty = String(r.amount);
        else if (r.reason === 'model-revenue') e.modelRevenue = String(r.amount);
        listings.set(id, e);
      }
      return {
        account,
        credited: { sale: by('sale').toString(), royalty: by('royalty').toString(), modelRevenue: by('model-revenue').toString(), total: total.toString() },
        withdrawn: out.toString(),
        balance: (total - out).toString(),
        held: String(held.rows[0]?.held ?? '0'),
        byListing: [...listings.values()],
        recent: recent.rows.map((r) => ({ account: r.account, listingId: String(r.listing_id), reason: r.reason, ref: r.ref, amount: String(r.amount), at: Number(r.at), txHash: r.tx_hash })),
        withdrawals: withdrawals.rows.map((w) => ({ to: w.recipient, amount: String(w.amount), at: Number(w.at), txHash: w.tx_hash })),
      };
    },

    async modelRoyalties(weightsDigest) {
      const digest = weightsDigest.toLowerCase();
      const { rows } = await sql<any>`select m.*, p.name from data_model_royalties m left join prov_models p on p.weights_digest = m.weights_digest where m.weights_digest = ${digest}`.execute(db);
      const m = rows[0];
      if (!m) return undefined;
      const ids = json<string[]>(m.listing_ids);
      const bps = json<number[]>(m.royalty_bps);
      const [listings, paid, contributors, routes] = await Promise.all([
        ids.length ? sql<any>`select l.listing_id, l.root, d.name from ${jsonList(ids)} k join data_listings l on l.listing_id = k.value::numeric left join prov_datasets d on d.root = l.root`.execute(db) : { rows: [] as any[] },
        sql<any>`select listing_id, sum(amount)::text as amount from data_revenue where kind = 'dataset' and weights_digest = ${digest} group by listing_id`.execute(db),
        ids.length ? sql<any>`select c.* from ${jsonList(ids)} k join data_contributors c on c.listing_id = k.value::numeric order by c.listing_id, c.idx`.execute(db) : { rows: [] as any[] },
        sql<any>`select * from data_revenue where kind = 'routed' and weights_digest = ${digest} order by block_number desc, log_index desc limit 50`.execute(db),
      ]);
      const listingBy = new Map(listings.rows.map((l) => [String(l.listing_id), l]));
      const paidBy = new Map(paid.rows.map((r) => [String(r.listing_id), String(r.amount)]));
      return {
        weightsDigest: digest as Hex,
        name: m.name ?? null,
        vault: m.vault,
        agentId: String(m.agent_id),
        beneficiary: m.beneficiary,
        revenue: String(m.revenue),
        toDatasets: String(m.to_datasets),
        toBeneficiary: String(m.to_beneficiary),
        datasets: ids.map((id, i) => {
          const paidToDataset = paidBy.get(id) ?? '0';
          const of = contributors.rows.filter((c) => String(c.listing_id) === id);
          // Each contributor's entitlement from this model, exactly as the contract splits it (cumulative floors, dust to contributor 0).
          const amounts = of.length ? cumulativeSplit(BigInt(paidToDataset), of.map((c) => Number(c.share_bps))) : [];
          return {
            listingId: id,
            root: listingBy.get(id)?.root ?? null,
            name: listingBy.get(id)?.name ?? null,
            royaltyBps: Number(bps[i] ?? 0),
            paid: paidToDataset,
            contributors: of.map((c, j) => ({ index: Number(c.idx), account: c.account, shareBps: Number(c.share_bps), amount: (amounts[j] ?? 0n).toString() })),
          };
        }),
        routes: routes.rows.map((r) => ({ amount: String(r.amount), toDatasets: String(r.to_datasets), toBeneficiary: String(r.to_beneficiary), at: Number(r.at), txHash: r.tx_hash })),
        registeredAt: Number(m.registered_at),
        txHash: m.tx_hash,
      };
    },

    async getRecords(listingId) {
      const { rows } = await sql<any>`select * from data_records where listing_id = ${listingId.toString()}::numeric`.execute(db);
      const r = rows[0];
      return r ? { listingId, root: r.root, location: r.location, files: json<RecordFile[]>(r.files) } : undefined;
    },

    async putRecords(r) {
      await sql`
        insert into data_records (listing_id, root, location, files, updated_at)
        values (${r.listingId.toString()}::numeric, ${r.root.toLowerCase()}, ${r.location}, ${JSON.stringify(r.files)}::jsonb, ${Date.now()})
        on conflict (listing_id) do update set root = excluded.root, location = excluded.location, files = excluded.files, updated_at = excluded.updated_at
      `.execute(db);
    },
  };
}
