// The compute domain as a node module: ComputeMarket's providers, jobs, bids and offers, replica
// assignments with their results and payouts, slashes and challenges, indexed in chain order inside
// the indexer's transaction (journaled, so a reorg undoes them like every other chain-derived table).
// Arbiters' votes are not copied: they are the identity module's validations, joined by request hash.
import { sql, type Kysely, type Migration } from 'kysely';
import { computeMarketAbi } from '../../chain/artifacts/index.ts';
import type { BatchContext, IndexedEvent, NodeModule } from '../indexer/module.ts';

/** Deployment name of the contract the module follows. */
export const COMPUTE_MARKET = 'ComputeMarket';

/** Job status names in the contract's enum order (`JobStatus`). */
export const JOB_STATUS_NAMES = ['none', 'open', 'assigned', 'challenged', 'completed', 'failed', 'cancelled', 'expired'] as const;
/** Slash reasons in the contract's enum order (`SlashReason`). */
export const SLASH_REASON_NAMES = ['wrong-result', 'challenge-upheld', 'no-show'] as const;
/** Verification modes in the contract's enum order (`Mode`). */
export const MODE_NAMES = ['redundant', 'optimistic'] as const;

const ZERO32 = `0x${'0'.repeat(64)}`;

const migrations: Record<string, Migration> = {
  '0001_compute': {
    async up(db: Kysely<any>) {
      await sql`
        create table compute_providers (
          provider_id numeric primary key,
          operator text not null,
          device_kind text not null,
          region text not null,
          device_count integer not null,
          memory_mb integer not null,
          price_per_unit numeric not null,
          stake numeric not null,
          last_heartbeat bigint not null,
          unstake_at bigint not null,
          completed integer not null,
          slashes integer not null,
          slashed_amount numeric not null,
          earned numeric not null,
          registered_block bigint not null,
          registered_tx text not null,
          registered_at bigint not null,
          updated_block bigint not null,
          updated_at bigint not null
        );
        create table compute_jobs (
          job_id numeric primary key,
          poster text not null,
          status text not null,
          mode text not null,
          direct boolean not null,
          replicas integer not null,
          assigned integer not null,
          committed integer not null,
          units integer not null,
          max_price_per_unit numeric not null,
          escrow numeric not null,
          initial_escrow numeric not null,
          workload_digest text not null,
          input_digest text not null,
          workload_uri text not null,
          input_uri text not null,
          device_kind text not null,
          min_memory_mb integer not null,
          region text not null,
          deadline bigint not null,
          bid_window bigint not null,
          posted_at bigint not null,
          posted_block bigint not null,
          posted_tx text not null,
          last_commit_at bigint,
          finalized_at bigint,
          finalized_block bigint,
          finalized_tx text,
          accepted_digest text,
          refund numeric,
          updated_block bigint not null
        );
        create index compute_jobs_status on compute_jobs (status, job_id);
        create index compute_jobs_poster on compute_jobs (poster, job_id);
        create table compute_assignments (
          job_id numeric not null,
          slot integer not null,
          provider_id numeric not null,
          price_per_unit numeric not null,
          assigned_at bigint not null,
          assigned_tx text not null,
          output_digest text,
          output_uri text,
          committed_at bigint,
          commit_tx text,
          paid boolean not null,
          amount numeric,
          receipt_id text,
          slashed boolean not null,
          slash_amount numeric,
          primary key (job_id, slot)
        );
        create index compute_assignments_provider on compute_assignments (provider_id, job_id);
        create table compute_bids (
          job_id numeric not null,
          provider_id numeric not null,
          kind text not null,
          price_per_unit numeric not null,
          reputation integer,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null,
          placed_at bigint not null,
          primary key (job_id, provider_id, kind)
        );
        create table compute_slashes (
          block_number bigint not null,
          log_index integer not null,
          provider_id numeric not null,
          job_id numeric not null,
          reason text not null,
          amount numeric not null,
          beneficiary text not null,
          reward numeric not null,
          tx_hash text not null,
          slashed_at bigint not null,
          primary key (block_number, log_index)
        );
        create index compute_slashes_provider on compute_slashes (provider_id, block_number);
        create table compute_challenges (
          job_id numeric primary key,
          challenger text not null,
          claimed_digest text not null,
          resolve_by bigint not null,
          request_hashes jsonb not null,
          opened_at bigint not null,
          opened_tx text not null,
          resolved boolean not null,
          upheld boolean,
          votes_for_provider integer,
          votes_for_challenger integer,
          resolved_at bigint,
          resolved_tx text
        );
      `.execute(db);
    },
  },
};

/** All chain-derived: journaled for reorgs, emptied on a re-index. */
export const computeTables = [
  { name: 'compute_providers', primaryKey: ['provider_id'] },
  { name: 'compute_jobs', primaryKey: ['job_id'] },
  { name: 'compute_assignments', primaryKey: ['job_id', 'slot'] },
  { name: 'compute_bids', primaryKey: ['job_id', 'provider_id', 'kind'] },
  { name: 'compute_slashes', primaryKey: ['block_number', 'log_index'] },
  { name: 'compute_challenges', primaryKey: ['job_id'] },
];

type Args = Record<string, any>;
type Handler = (tx: Kysely<any>, e: IndexedEvent, a: Args) => Promise<void>;

const lower = (h: unknown) => String(h).toLowerCase();
const str = (v: unknown) => (typeof v === 'bigint' ? v.toString() : String(v));

/**
 * A bytes32 label (ASCII right-padded with zeros) as text; '' for zero. Non-printable bytes are
 * dropped: the contract accepts any bytes32, the index keeps what can be shown.
 * @example
 * labelText('0x6370750000…') // 'cpu'
 */
export function labelText(h: unknown): string {
  const hex = String(h).slice(2);
  let out = '';
  for (let i = 0; i + 2 <= hex.length; i += 2) {
    const c = parseInt(hex.slice(i, i + 2), 16);
    if (c === 0) break;
    if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
  }
  return out;
}

function resourcesOf(r: Args) {
  return {
    device_kind: labelText(r.deviceKind),
    region: labelText(r.region),
    device_count: Number(r.deviceCount),
    memory_mb: Number(r.memoryMB),
    price_per_unit: str(r.pricePerUnit),
  };
}

async function touchProvider(tx: Kysely<any>, e: IndexedEvent, providerId: bigint, set: Record<string, unknown>) {
  await tx
    .updateTable('compute_providers')
    .set({ ...set, updated_block: e.blockNumber, updated_at: e.timestamp })
    .where('provider_id', '=', providerId.toString())
    .execute();
}

export const computeHandlers: Record<string, Handler> = {
  ProviderRegistered: async (tx, e, a) => {
    const row = {
      operator: a.operator,
      ...resourcesOf(a.resources),
      last_heartbeat: e.timestamp,
      updated_block: e.blockNumber,
      updated_at: e.timestamp,
    };
    await tx
      .insertInto('compute_providers')
      .values({
        provider_id: str(a.providerId),
        ...row,
        stake: '0',
        unstake_at: 0,
        completed: 0,
        slashes: 0,
        slashed_amount: '0',
        earned: '0',
        registered_block: e.blockNumber,
        registered_tx: e.txHash,
        registered_at: e.timestamp,
      })
      .onConflict((oc) => oc.column('provider_id').doUpdateSet(row))
      .execute();
  },
  ProviderUpdated: (tx, e, a) => touchProvider(tx, e, a.providerId, resourcesOf(a.resources)),
  Staked: (tx, e, a) => touchProvider(tx, e, a.providerId, { stake: str(a.stake) }),
  Heartbeat: (tx, e, a) => touchProvider(tx, e, a.providerId, { last_heartbeat: Number(a.at) }),
  UnstakeRequested: (tx, e, a) => touchProvider(tx, e, a.providerId, { unstake_at: Number(a.unstakeAt) }),
  StakeWithdrawn: async (tx, e, a) => {
    await tx
      .updateTable('compute_providers')
      .set((eb) => ({ stake: sql`greatest(${eb.ref('stake')} - ${str(a.amount)}::numeric, 0)`, unstake_at: 0, updated_block: e.blockNumber, updated_at: e.timestamp }))
      .where('provider_id', '=', str(a.providerId))
      .execute();
  },

  JobPosted: async (tx, e, a) => {
    const n = a.needs as Args;
    const row = {
      poster: a.poster,
      status: 'open',
      mode: MODE_NAMES[Number(a.mode)] ?? String(a.mode),
      direct: Boolean(a.direct),
      replicas: Number(a.replicas),
      assigned: 0,
      committed: 0,
      units: Number(a.units),
      max_price_per_unit: str(a.maxPricePerUnit),
      escrow: str(a.escrow),
      initial_escrow: str(a.escrow),
      workload_digest: lower(a.workloadDigest),
      input_digest: lower(a.inputDigest),
      workload_uri: String(a.workloadURI),
      input_uri: String(a.inputURI),
      device_kind: labelText(n.deviceKind),
      min_memory_mb: Number(n.minMemoryMB),
      region: labelText(n.region),
      deadline: Number(a.deadline),
      bid_window: Number(a.bidWindow),
      posted_at: e.timestamp,
      posted_block: e.blockNumber,
      posted_tx: e.txHash,
      updated_block: e.blockNumber,
    };
    await tx
      .insertInto('compute_jobs')
      .values({ job_id: str(a.jobId), ...row })
      .onConflict((oc) => oc.column('job_id').doUpdateSet(row))
      .execute();
  },
  BidPlaced: (tx, e, a) => bidRow(tx, e, a, 'bid'),
  Offered: (tx, e, a) => bidRow(tx, e, a, 'offer'),
  Assigned: async (tx, e, a) => {
    const row = {
      provider_id: str(a.providerId),
      price_per_unit: str(a.pricePerUnit),
      assigned_at: e.timestamp,
      assigned_tx: e.txHash,
      output_digest: null,
      output_uri: null,
      committed_at: null,
      commit_tx: null,
      paid: false,
      amount: null,
      receipt_id: null,
      slashed: false,
      slash_amount: null,
    };
    await tx
      .insertInto('compute_assignments')
      .values({ job_id: str(a.jobId), slot: Number(a.slot), ...row })
      .onConflict((oc) => oc.columns(['job_id', 'slot']).doUpdateSet(row))
      .execute();
    await tx
      .updateTable('compute_jobs')
      .set((eb) => ({
        assigned: sql`(select count(*)::int from compute_assignments s where s.job_id = ${str(a.jobId)}::numeric)`,
        status: sql`case when ${eb.ref('status')} = 'open' and (select count(*) from compute_assignments s where s.job_id = ${str(a.jobId)}::numeric) >= ${eb.ref('replicas')} then 'assigned' else ${eb.ref('status')} end`,
        updated_block: e.blockNumber,
      }))
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
  ResultCommitted: async (tx, e, a) => {
    await tx
      .updateTable('compute_assignments')
      .set({ output_digest: lower(a.outputDigest), output_uri: String(a.outputURI), committed_at: e.timestamp, commit_tx: e.txHash })
      .where('job_id', '=', str(a.jobId))
      .where('slot', '=', Number(a.slot))
      .execute();
    await tx
      .updateTable('compute_jobs')
      .set({
        committed: sql`(select count(*)::int from compute_assignments s where s.job_id = ${str(a.jobId)}::numeric and s.output_digest is not null)`,
        last_commit_at: e.timestamp,
        updated_block: e.blockNumber,
      })
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
  ChallengeOpened: async (tx, e, a) => {
    const row = {
      challenger: a.challenger,
      claimed_digest: lower(a.claimedDigest),
      resolve_by: Number(a.resolveBy),
      request_hashes: JSON.stringify((a.requestHashes as string[]).map(lower)),
      opened_at: e.timestamp,
      opened_tx: e.txHash,
      resolved: false,
      upheld: null,
      votes_for_provider: null,
      votes_for_challenger: null,
      resolved_at: null,
      resolved_tx: null,
    };
    await tx
      .insertInto('compute_challenges')
      .values({ job_id: str(a.jobId), ...row })
      .onConflict((oc) => oc.column('job_id').doUpdateSet(row))
      .execute();
    await tx.updateTable('compute_jobs').set({ status: 'challenged', updated_block: e.blockNumber }).where('job_id', '=', str(a.jobId)).execute();
  },
  ChallengeResolved: async (tx, e, a) => {
    await tx
      .updateTable('compute_challenges')
      .set({
        resolved: true,
        upheld: Boolean(a.upheld),
        votes_for_provider: Number(a.votesForProvider),
        votes_for_challenger: Number(a.votesForChallenger),
        resolved_at: e.timestamp,
        resolved_tx: e.txHash,
      })
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
  ProviderPaid: async (tx, e, a) => {
    await tx
      .updateTable('compute_assignments')
      .set({ paid: true, amount: str(a.amount), receipt_id: lower(a.receiptId) })
      .where('job_id', '=', str(a.jobId))
      .where('provider_id', '=', str(a.providerId))
      .execute();
    await tx
      .updateTable('compute_providers')
      .set((eb) => ({ earned: sql`${eb.ref('earned')} + ${str(a.amount)}::numeric`, completed: sql`${eb.ref('completed')} + 1`, updated_block: e.blockNumber, updated_at: e.timestamp }))
      .where('provider_id', '=', str(a.providerId))
      .execute();
    await tx
      .updateTable('compute_jobs')
      .set((eb) => ({ escrow: sql`greatest(${eb.ref('escrow')} - ${str(a.amount)}::numeric, 0)`, updated_block: e.blockNumber }))
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
  Slashed: async (tx, e, a) => {
    await tx
      .insertInto('compute_slashes')
      .values({
        block_number: e.blockNumber,
        log_index: e.logIndex,
        provider_id: str(a.providerId),
        job_id: str(a.jobId),
        reason: SLASH_REASON_NAMES[Number(a.reason)] ?? String(a.reason),
        amount: str(a.amount),
        beneficiary: a.beneficiary,
        reward: str(a.reward),
        tx_hash: e.txHash,
        slashed_at: e.timestamp,
      })
      .onConflict((oc) => oc.columns(['block_number', 'log_index']).doNothing())
      .execute();
    await tx
      .updateTable('compute_assignments')
      .set({ slashed: true, slash_amount: str(a.amount) })
      .where('job_id', '=', str(a.jobId))
      .where('provider_id', '=', str(a.providerId))
      .execute();
    await tx
      .updateTable('compute_providers')
      .set((eb) => ({
        stake: sql`greatest(${eb.ref('stake')} - ${str(a.amount)}::numeric, 0)`,
        slashed_amount: sql`${eb.ref('slashed_amount')} + ${str(a.amount)}::numeric`,
        slashes: sql`${eb.ref('slashes')} + 1`,
        updated_block: e.blockNumber,
        updated_at: e.timestamp,
      }))
      .where('provider_id', '=', str(a.providerId))
      .execute();
  },
  JobFinalized: async (tx, e, a) => {
    const accepted = lower(a.acceptedDigest);
    await tx
      .updateTable('compute_jobs')
      .set({
        status: JOB_STATUS_NAMES[Number(a.status)] ?? String(a.status),
        accepted_digest: accepted === ZERO32 ? null : accepted,
        refund: str(a.refund),
        escrow: '0',
        finalized_at: e.timestamp,
        finalized_block: e.blockNumber,
        finalized_tx: e.txHash,
        updated_block: e.blockNumber,
      })
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
  JobCancelled: async (tx, e, a) => {
    await tx
      .updateTable('compute_jobs')
      .set({ status: 'cancelled', refund: str(a.refund), escrow: '0', finalized_at: e.timestamp, finalized_block: e.blockNumber, finalized_tx: e.txHash, updated_block: e.blockNumber })
      .where('job_id', '=', str(a.jobId))
      .execute();
  },
};

async function bidRow(tx: Kysely<any>, e: IndexedEvent, a: Args, kind: 'bid' | 'offer') {
  const row = {
    price_per_unit: str(a.pricePerUnit),
    reputation: a.reputation === undefined ? null : Number(a.reputation),
    block_number: e.blockNumber,
    log_index: e.logIndex,
    tx_hash: e.txHash,
    placed_at: e.timestamp,
  };
  await tx
    .insertInto('compute_bids')
    .values({ job_id: str(a.jobId), provider_id: str(a.providerId), kind, ...row })
    .onConflict((oc) => oc.columns(['job_id', 'provider_id', 'kind']).doUpdateSet(row))
    .execute();
}

/**
 * Applies a batch of ComputeMarket events in chain order (inside the indexer's transaction). Market
 * events are a handful per job, so plain statements do.
 * @example
 * await applyComputeBatch(tx, events, ctx)
 */
export async function applyComputeBatch(tx: Kysely<any>, events: IndexedEvent[], _ctx: BatchContext): Promise<void> {
  for (const e of events) if (e.contract === COMPUTE_MARKET) await computeHandlers[e.event]?.(tx, e, e.args as Args);
}

/**
 * The compute module (needs ComputeMarket in the deployment). Events naming a provider are filed
 * under that agent (a provider id is its ERC-8004 agent id), so they show on the agent's page.
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), computeModule()] })
 */
export function computeModule(): NodeModule {
  return {
    name: 'compute',
    migrations,
    contracts: [{ name: COMPUTE_MARKET, abi: computeMarketAbi }],
    tables: computeTables,
    agentIdOf: (e) => {
      const id = (e.args as Args).providerId;
      return typeof id === 'bigint' ? id : null;
    },
    applyBatch: applyComputeBatch,
  };
}
