// Read side of the compute domain: providers (stake, earnings, slashes, reputation, liveness), jobs
// with their replica assignments, bids, challenge and arbiters' votes, and market totals, all from the
// index. Only the market's fixed parameters (slash amount, heartbeat TTL) and chain time come from the
// chain, read once and cached, for what is derived from them (locked stake, liveness).
import { sql, type Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import { computeMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { createCachedChainClock } from '../api/clock.ts';
import { jsonList } from '../db/bulk.ts';
import { JOB_STATUS_NAMES } from './module.ts';

export type ProviderRow = {
  providerId: string;
  /** The provider's ERC-8004 agent id (the same number as providerId). */
  agentId: string;
  operator: Address;
  deviceKind: string;
  region: string;
  deviceCount: number;
  memoryMB: number;
  pricePerUnit: string;
  stake: string;
  /** Stake held for running jobs (slash amount per running assignment). */
  locked: string;
  /** 0..100 = 100 * completed / (completed + 3 * slashes + 1), as the contract computes it. */
  reputation: number;
  completed: number;
  slashes: number;
  slashedAmount: string;
  earned: string;
  activeJobs: number;
  lastHeartbeat: number;
  live: boolean;
  /** 0, or when the stake may be withdrawn (the provider takes no new work). */
  unstakeAt: number;
  registeredAt: number;
};

export type SlashRow = {
  providerId: string;
  jobId: string;
  reason: string;
  amount: string;
  beneficiary: Address;
  reward: string;
  txHash: Hex;
  blockNumber: number;
  timestamp: number;
};

export type AssignmentRow = {
  slot: number;
  providerId: string;
  pricePerUnit: string;
  outputDigest: Hex | null;
  /** Cut short (see `uriTruncated`) when longer than the route allows. */
  outputURI: string | null;
  /** outputURI was longer than this answer allows (a data: URI): fetch the output by `outputDigest` from a blob store, or read the job's detail. */
  uriTruncated: boolean;
  committedAt: number | null;
  paid: boolean;
  /** What the provider was credited, once paid. */
  amount: string | null;
  receiptId: Hex | null;
  slashed: boolean;
  slashAmount: string | null;
};

export type VoteRow = { requestHash: Hex; validator: Address; response: number | null; vote: 'provider' | 'challenger' | null; respondedAt: number | null };

export type ChallengeRow = {
  challenger: Address;
  claimedDigest: Hex;
  resolveBy: number;
  openedAt: number;
  resolved: boolean;
  upheld: boolean | null;
  votesForProvider: number | null;
  votesForChallenger: number | null;
  resolvedAt: number | null;
  requestHashes: Hex[];
  /** The arbiters' answers so far (ERC-8004 validation responses: < 50 sides with the challenger). */
  votes: VoteRow[];
};

export type BidRow = { providerId: string; kind: 'bid' | 'offer'; pricePerUnit: string; reputation: number | null; placedAt: number; txHash: Hex };

export type JobRow = {
  jobId: string;
  poster: Address;
  status: string;
  mode: 'redundant' | 'optimistic';
  direct: boolean;
  replicas: number;
  units: number;
  maxPricePerUnit: string;
  /** Still held for the job (0 once settled). */
  escrow: string;
  /** Taken at posting: maxPricePerUnit * units * replicas. */
  initialEscrow: string;
  workloadDigest: Hex;
  inputDigest: Hex;
  /** Cut short (see `uriTruncated`) when longer than the route allows. */
  workloadURI: string;
  inputURI: string;
  /** workloadURI or inputURI was longer than this answer allows (data: URIs can be megabytes): fetch by digest from a blob store, or read the job's detail. */
  uriTruncated: boolean;
  needs: { deviceKind: string; minMemoryMB: number; region: string };
  bidWindow: number;
  deadline: number;
  postedAt: number;
  postedTx: Hex;
  finalizedAt: number | null;
  finalizedTx: Hex | null;
  acceptedDigest: Hex | null;
  refund: string | null;
  assignments: AssignmentRow[];
  challenge: ChallengeRow | null;
};

export type JobDetail = JobRow & { bids: BidRow[]; slashes: SlashRow[] };

export type ComputeStats = {
  providers: number;
  liveProviders: number;
  jobs: { total: number; byStatus: Record<string, number> };
  /** Sum credited to providers for accepted results. */
  paid: string;
  slashed: string;
  slashCount: number;
  /** Escrow still held by jobs that are not settled. */
  escrowOpen: string;
  staked: string;
};

export type ListJobsParams = { status?: string | undefined; poster?: Address | undefined; provider?: bigint | undefined; limit: number; cursor?: string | undefined };

export type ComputeQueries = {
  listProviders(): Promise<ProviderRow[]>;
  getProvider(providerId: bigint): Promise<(ProviderRow & { jobs: JobRow[]; slashesList: SlashRow[] }) | undefined>;
  listJobs(p: ListJobsParams): Promise<{ jobs: JobRow[]; next: string | null }>;
  getJob(jobId: bigint): Promise<JobDetail | undefined>;
  stats(): Promise<ComputeStats>;
  /**
   * Unsettled jobs whose next action is due at `now` by the index (bid window closed with enough bids,
   * deadline or challenge window passed, a challenge past resolveBy or fully answered), the longest due
   * first, leaving out `exclude` (jobs the keeper is backing off from): what a keeper re-reads from the chain.
   */
  dueCandidates(p: { now: number; challengeWindow: number; limit: number; exclude?: readonly bigint[] | undefined }): Promise<bigint[]>;
};

/** The market parameters the reads derive from (fixed at deployment). */
export type MarketParams = { slashAmount: bigint; heartbeatTTL: number; challengeWindow: number };

/** Longest URI a job in a list (and in an MCP answer) carries whole; longer ones are cut short and flagged. */
export const LIST_URI_MAX = 512;
/** Longest URI one job's detail carries whole. */
export const DETAIL_URI_MAX = 1024 * 1024;
/** What is kept of a URI cut short (its scheme and start, to say what it was). */
const URI_HEAD = 64;

/**
 * `uri` whole when it has at most `max` characters, else its first 64 characters and an ellipsis.
 * @example truncateUri('data:,' + 'x'.repeat(1000), 512) // { uri: 'data:,xxxx…', truncated: true }
 */
export function truncateUri(uri: string, max: number): { uri: string; truncated: boolean } {
  return uri.length > max ? { uri: `${uri.slice(0, URI_HEAD)}…`, truncated: true } : { uri, truncated: false };
}

/**
 * A job row with every URI longer than `max` cut short and flagged (for answers that must stay small, e.g. MCP).
 * @example const small = truncateJobUris(await queries.getJob(1n), LIST_URI_MAX)
 */
export function truncateJobUris<T extends JobRow>(job: T, max: number): T {
  const w = truncateUri(job.workloadURI, max);
  const i = truncateUri(job.inputURI, max);
  return {
    ...job,
    workloadURI: w.uri,
    inputURI: i.uri,
    uriTruncated: job.uriTruncated || w.truncated || i.truncated,
    assignments: job.assignments.map((a) => {
      if (a.outputURI === null) return a;
      const o = truncateUri(a.outputURI, max);
      return { ...a, outputURI: o.uri, uriTruncated: a.uriTruncated || o.truncated };
    }),
  };
}

/** A cursor is the last job id seen, as a decimal string. */
export function isJobCursor(s: string): boolean {
  return /^(0|[1-9]\d{0,30})$/.test(s);
}

export function reputationOf(completed: number, slashes: number): number {
  return Math.floor((100 * completed) / (completed + 3 * slashes + 1));
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const dec = (v: unknown) => (v === null || v === undefined ? null : String(v));

/**
 * The compute reads over the node's database.
 * @example
 * const q = createComputeQueries({ db: store.db, client, market })
 * const { jobs } = await q.listJobs({ limit: 20 })
 */
export function createComputeQueries(p: { db: Kysely<any>; client?: MachinaPublicClient | undefined; market?: Address | undefined; params?: MarketParams | undefined }): ComputeQueries {
  const { db, client, market } = p;
  let params: MarketParams | undefined = p.params;
  const marketParams = async (): Promise<MarketParams | undefined> => {
    if (params || !client || !market) return params;
    try {
      const c = (await client.readContract({ address: market, abi: computeMarketAbi, functionName: 'config' })) as { slashAmount: bigint; heartbeatTTL: number; challengeWindow: number };
      params = { slashAmount: BigInt(c.slashAmount), heartbeatTTL: Number(c.heartbeatTTL), challengeWindow: Number(c.challengeWindow) };
    } catch {
      // Unreachable chain or a placeholder contract: locked reads 0 and liveness uses a 5 min TTL.
    }
    return params;
  };
  // Chain time, for liveness (a devnet's clock may be moved ahead); cached for a second.
  const now = createCachedChainClock(client);

  const providerSelect = sql`
    select p.*, coalesce(a.active, 0)::int as active_jobs
    from compute_providers p
    left join (
      select s.provider_id, count(*) as active from compute_assignments s join compute_jobs j on j.job_id = s.job_id
      where j.status in ('open', 'assigned', 'challenged') and not s.paid and not s.slashed
      group by s.provider_id
    ) a on a.provider_id = p.provider_id`;

  const providerOf = (r: any, t: number, mp: MarketParams | undefined): ProviderRow => {
    const completed = Number(r.completed);
    const slashes = Number(r.slashes);
    const active = Number(r.active_jobs);
    return {
      providerId: String(r.provider_id),
      agentId: String(r.provider_id),
      operator: r.operator,
      deviceKind: r.device_kind,
      region: r.region,
      deviceCount: Number(r.device_count),
      memoryMB: Number(r.memory_mb),
      pricePerUnit: String(r.price_per_unit),
      stake: String(r.stake),
      locked: mp ? (mp.slashAmount * BigInt(active)).toString() : '0',
      reputation: reputationOf(completed, slashes),
      completed,
      slashes,
      slashedAmount: String(r.slashed_amount),
      earned: String(r.earned),
      activeJobs: active,
      lastHeartbeat: Number(r.last_heartbeat),
      live: Number(r.last_heartbeat) + (mp?.heartbeatTTL ?? 300) >= t,
      unstakeAt: Number(r.unstake_at),
      registeredAt: Number(r.registered_at),
    };
  };

  const slashOf = (r: any): SlashRow => ({
    providerId: String(r.provider_id),
    jobId: String(r.job_id),
    reason: r.reason,
    amount: String(r.amount),
    beneficiary: r.beneficiary,
    reward: String(r.reward),
    txHash: r.tx_hash,
    blockNumber: Number(r.block_number),
    timestamp: Number(r.slashed_at),
  });

  /**
   * Job rows (read with `jobColumns(uriMax)`) with their assignments and challenges (and votes), in the order
   * given; URIs longer than `uriMax` are cut short and flagged, and never read whole from the database.
   */
  const hydrate = async (rows: any[], uriMax: number): Promise<JobRow[]> => {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.job_id));
    const [assignments, challenges] = await Promise.all([
      sql<any>`select s.job_id, s.slot, s.provider_id, s.price_per_unit, s.output_digest, left(s.output_uri, ${uriMax + 1}) as output_uri, s.committed_at, s.paid, s.amount, s.receipt_id, s.slashed, s.slash_amount
               from ${jsonList(ids)} k join compute_assignments s on s.job_id = k.value::numeric order by s.job_id, s.slot`.execute(db),
      sql<any>`select c.* from ${jsonList(ids)} k join compute_challenges c on c.job_id = k.value::numeric`.execute(db),
    ]);
    const hashes = challenges.rows.flatMap((c) => hashesOf(c.request_hashes));
    const votes = hashes.length
      ? (await sql<any>`select v.request_hash, v.validator, v.response, v.responded_at from ${jsonList(hashes)} k join validations v on v.request_hash = k.value`.execute(db)).rows
      : [];
    const voteBy = new Map(votes.map((v) => [String(v.request_hash).toLowerCase(), v]));
    const byJob = new Map<string, AssignmentRow[]>();
    for (const s of assignments.rows) {
      const list = byJob.get(String(s.job_id)) ?? [];
      const out = s.output_uri === null || s.output_uri === undefined ? null : truncateUri(s.output_uri, uriMax);
      list.push({
        slot: Number(s.slot),
        providerId: String(s.provider_id),
        pricePerUnit: String(s.price_per_unit),
        outputDigest: s.output_digest,
        outputURI: out ? out.uri : null,
        uriTruncated: out ? out.truncated : false,
        committedAt: num(s.committed_at),
        paid: s.paid,
        amount: dec(s.amount),
        receiptId: s.receipt_id,
        slashed: s.slashed,
        slashAmount: dec(s.slash_amount),
      });
      byJob.set(String(s.job_id), list);
    }
    const challengeBy = new Map<string, ChallengeRow>();
    for (const c of challenges.rows) {
      const requestHashes = hashesOf(c.request_hashes) as Hex[];
      challengeBy.set(String(c.job_id), {
        challenger: c.challenger,
        claimedDigest: c.claimed_digest,
        resolveBy: Number(c.resolve_by),
        openedAt: Number(c.opened_at),
        resolved: c.resolved,
        upheld: c.upheld,
        votesForProvider: num(c.votes_for_provider),
        votesForChallenger: num(c.votes_for_challenger),
        resolvedAt: num(c.resolved_at),
        requestHashes,
        votes: requestHashes.flatMap((h) => {
          const v = voteBy.get(h);
          if (!v) return [];
          const response = num(v.response);
          return [{ requestHash: h, validator: v.validator, response, vote: response === null ? null : response < 50 ? ('challenger' as const) : ('provider' as const), respondedAt: num(v.responded_at) }];
        }),
      });
    }
    return rows.map((r) => {
      const workload = truncateUri(r.workload_uri, uriMax);
      const input = truncateUri(r.input_uri, uriMax);
      return {
        jobId: String(r.job_id),
        poster: r.poster,
        status: r.status,
        mode: r.mode,
        direct: r.direct,
        replicas: Number(r.replicas),
        units: Number(r.units),
        maxPricePerUnit: String(r.max_price_per_unit),
        escrow: String(r.escrow),
        initialEscrow: String(r.initial_escrow),
        workloadDigest: r.workload_digest,
        inputDigest: r.input_digest,
        workloadURI: workload.uri,
        inputURI: input.uri,
        uriTruncated: workload.truncated || input.truncated,
        needs: { deviceKind: r.device_kind, minMemoryMB: Number(r.min_memory_mb), region: r.region },
        bidWindow: Number(r.bid_window),
        deadline: Number(r.deadline),
        postedAt: Number(r.posted_at),
        postedTx: r.posted_tx,
        finalizedAt: num(r.finalized_at),
        finalizedTx: r.finalized_tx ?? null,
        acceptedDigest: r.accepted_digest ?? null,
        refund: dec(r.refund),
        assignments: byJob.get(String(r.job_id)) ?? [],
        challenge: challengeBy.get(String(r.job_id)) ?? null,
      };
    });
  };

  /** The job columns hydrate reads, with the URIs cut in the database past `uriMax` (a data: URI can be megabytes). */
  const jobColumns = (uriMax: number) => sql`j.job_id, j.poster, j.status, j.mode, j.direct, j.replicas, j.units, j.max_price_per_unit, j.escrow, j.initial_escrow,
    j.workload_digest, j.input_digest, left(j.workload_uri, ${uriMax + 1}) as workload_uri, left(j.input_uri, ${uriMax + 1}) as input_uri,
    j.device_kind, j.min_memory_mb, j.region, j.bid_window, j.deadline, j.posted_at, j.posted_tx, j.finalized_at, j.finalized_tx, j.accepted_digest, j.refund`;

  const listJobs = async ({ status, poster, provider, limit, cursor }: ListJobsParams) => {
    const rows = (
      await sql<any>`
        select ${jobColumns(LIST_URI_MAX)} from compute_jobs j
        where ${status ? sql`j.status = ${status}` : sql`true`}
          and ${poster ? sql`j.poster = ${poster}` : sql`true`}
          and ${provider !== undefined ? sql`exists (select 1 from compute_assignments s where s.job_id = j.job_id and s.provider_id = ${provider.toString()}::numeric)` : sql`true`}
          and ${cursor ? sql`j.job_id < ${cursor}::numeric` : sql`true`}
        order by j.job_id desc
        limit ${limit + 1}`.execute(db)
    ).rows;
    const jobs = await hydrate(rows.slice(0, limit), LIST_URI_MAX);
    return { jobs, next: rows.length > limit ? jobs[jobs.length - 1]!.jobId : null };
  };

  return {
    async listProviders() {
      const [rows, t, mp] = await Promise.all([sql<any>`${providerSelect} order by p.provider_id`.execute(db), now(), marketParams()]);
      return rows.rows.map((r) => providerOf(r, t, mp));
    },

    async getProvider(providerId) {
      const [rows, t, mp] = await Promise.all([sql<any>`${providerSelect} where p.provider_id = ${providerId.toString()}::numeric`.execute(db), now(), marketParams()]);
      const r = rows.rows[0];
      if (!r) return undefined;
      const [{ jobs }, slashes] = await Promise.all([
        listJobs({ provider: providerId, limit: 50 }),
        sql<any>`select * from compute_slashes where provider_id = ${providerId.toString()}::numeric order by block_number desc, log_index desc limit 100`.execute(db),
      ]);
      return { ...providerOf(r, t, mp), jobs, slashesList: slashes.rows.map(slashOf) };
    },

    listJobs,

    async getJob(jobId) {
      const rows = (await sql<any>`select ${jobColumns(DETAIL_URI_MAX)} from compute_jobs j where j.job_id = ${jobId.toString()}::numeric`.execute(db)).rows;
      if (rows.length === 0) return undefined;
      const [[job], bids, slashes] = await Promise.all([
        hydrate(rows, DETAIL_URI_MAX),
        sql<any>`select * from compute_bids where job_id = ${jobId.toString()}::numeric order by block_number, log_index`.execute(db),
        sql<any>`select * from compute_slashes where job_id = ${jobId.toString()}::numeric order by block_number, log_index`.execute(db),
      ]);
      return {
        ...job!,
        bids: bids.rows.map((b) => ({ providerId: String(b.provider_id), kind: b.kind, pricePerUnit: String(b.price_per_unit), reputation: num(b.reputation), placedAt: Number(b.placed_at), txHash: b.tx_hash })),
        slashes: slashes.rows.map(slashOf),
      };
    },

    async stats() {
      const [providers, jobs, totals, t, mp] = await Promise.all([
        sql<any>`select count(*)::int as n, coalesce(sum(stake), 0)::text as staked, coalesce(sum(earned), 0)::text as paid, coalesce(sum(slashed_amount), 0)::text as slashed,
                   coalesce(sum(slashes), 0)::int as slash_count, coalesce(max(last_heartbeat), 0) as newest from compute_providers`.execute(db),
        sql<any>`select status, count(*)::int as n from compute_jobs group by status`.execute(db),
        sql<any>`select coalesce(sum(escrow), 0)::text as escrow from compute_jobs where status in ('open', 'assigned', 'challenged')`.execute(db),
        now(),
        marketParams(),
      ]);
      const live = await sql<any>`select count(*)::int as n from compute_providers where last_heartbeat >= ${t - (mp?.heartbeatTTL ?? 300)}`.execute(db);
      const byStatus: Record<string, number> = Object.fromEntries(JOB_STATUS_NAMES.filter((s) => s !== 'none').map((s) => [s, 0]));
      let total = 0;
      for (const r of jobs.rows) {
        byStatus[r.status] = Number(r.n);
        total += Number(r.n);
      }
      const p0 = providers.rows[0];
      return {
        providers: Number(p0.n),
        liveProviders: Number(live.rows[0].n),
        jobs: { total, byStatus },
        paid: String(p0.paid),
        slashed: String(p0.slashed),
        slashCount: Number(p0.slash_count),
        escrowOpen: String(totals.rows[0].escrow),
        staked: String(p0.staked),
      };
    },

    async dueCandidates({ now, challengeWindow, limit, exclude = [] }) {
      // When each unsettled job's next action falls due, by the index, with the same bounds as `jobDue`:
      // an open job expires at its deadline, or is assigned once its bid window closed with enough bids;
      // an optimistic result is final when its challenge window ends; any other assigned job at its
      // deadline; a challenge once resolveBy passed, or as soon as every arbiter answered.
      const rows = (
        await sql<any>`
          select job_id, due_at from (
            select j.job_id,
              case
                when j.status = 'open' then
                  case when not j.direct and j.bid_window > 0
                         and (select count(*) from compute_bids b where b.job_id = j.job_id and b.kind = 'bid') >= greatest(j.replicas - j.assigned, 1)
                       then least(j.deadline, j.posted_at + j.bid_window)
                       else j.deadline end
                when j.status = 'assigned' and j.mode = 'optimistic' and j.committed > 0 then j.last_commit_at + ${challengeWindow}
                when j.status = 'assigned' then j.deadline
                else (
                  select case
                    when jsonb_array_length(c.request_hashes) > 0 and (
                      select count(*) from jsonb_array_elements_text(c.request_hashes) h join validations v on v.request_hash = h.value where v.response is not null
                    ) >= jsonb_array_length(c.request_hashes) then c.opened_at
                    else c.resolve_by + 1 end
                  from compute_challenges c where c.job_id = j.job_id and not c.resolved)
              end as due_at
            from compute_jobs j
            where j.status in ('open', 'assigned', 'challenged')
              ${exclude.length ? sql`and j.job_id not in (select value::numeric from ${jsonList(exclude.map(String))})` : sql``}
          ) d
          where due_at <= ${now}
          order by due_at, job_id
          limit ${limit}`.execute(db)
      ).rows;
      return rows.map((r) => BigInt(r.job_id));
    },
  };
}

function hashesOf(v: unknown): string[] {
  const list = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(list) ? list.map((h) => String(h).toLowerCase()) : [];
}
