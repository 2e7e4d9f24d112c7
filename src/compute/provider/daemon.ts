// The provider daemon: a long-running worker for one provider key. It follows the market's logs, keeps its
// heartbeat, bids on the open jobs it can run at its own price, runs the jobs it wins in the sandbox (up to its
// device count at once), commits each output digest, finalizes its jobs when due and, as a validator, checks other
// providers' optimistic results and answers the market's validation requests. An RPC error or a failing job is
// reported and retried; it never stops the loop.
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { serializeWrites } from '../../chain/serial.ts';
import { withGasMargin } from '../../chain/write.ts';
import { formatError } from '../../errors/index.ts';
import { dataUri, putBlob } from '../blobs.ts';
import { isComputeRevert } from '../errors.ts';
import {
  SLASH_REASON,
  bid as placeBid,
  accept as acceptOffer,
  commitResult,
  decodeLabel,
  heartbeat as sendHeartbeat,
  pokeJob,
  readConfig,
  readCredit,
  readJob,
  readProvider,
  withdrawCredit,
  JOB_STATUS,
  MIN_RUN_TIME,
  TERMINAL_STATUSES,
} from '../market.ts';
import { decodeBundle, deterministicFailure, failureRecord, isDataReference, sha256Hex, warmSandboxes, withComputeSlot } from '../workloads/index.ts';
import { dataJobRefusal, runnableBytes, sealDataOutput, sweepDataWorkDir, type ProviderDataOptions } from './dataJob.ts';
import { emptyStats, type ProviderEvent, type ProviderStats } from './events.ts';
import { DEFAULT_JOB_MEMORY_MB, executeJob, fetchJobBytes, workBudgetMs, type JobBytes, type JobOutcome } from './execute.ts';
import { createLogCursor, findAssignments, findPostedJob, findRegistrationBlock, postedJobOf, type MarketLog, type PostedJob } from './logs.ts';
import { cannotRun, quote } from './pricing.ts';
import { createValidator } from './validator.ts';

export type { ProviderEvent, ProviderStats } from './events.ts';
export type { ProviderDataOptions } from './dataJob.ts';

export type ProviderDaemonOptions = {
  client: MachinaPublicClient;
  /** The provider's operator key. Its writes are queued one at a time (one nonce sequence). */
  wallet: MachinaWalletClient;
  market: Address;
  token: Address;
  /** The provider run; null for a validator only (no bids, no heartbeats, nothing to register). */
  providerId: bigint | null;
  /** Base ask per unit of work (settlement-token base units); raised with load, never above a job's maximum. */
  pricePerUnit: bigint;
  /** Share of jobs (0..1) for which a wrong digest is committed: for tests and demos of slashing. */
  cheatRate?: number | undefined;
  /** Random source for `cheatRate` (default Math.random; pass a seeded one for reproducible runs). */
  rng?: (() => number) | undefined;
  /** How often the chain is polled (default 150 ms). */
  pollMs?: number | undefined;
  /** How often a heartbeat is sent (default: a third of the market's heartbeat TTL). */
  heartbeatMs?: number | undefined;
  /** Also re-execute other providers' optimistic results and challenge mismatches, and answer validation requests. */
  validator?: boolean | undefined;
  validationRegistry?: Address | undefined;
  /** Bid on open jobs (default true; a validator-only daemon turns it off). */
  bid?: boolean | undefined;
  /** Node whose blob store takes the outputs; without it outputs are committed as data: URIs. */
  nodeUrl?: string | undefined;
  /**
   * First block of market logs to read (default: 1,000 blocks back). Unfinished assignments of this provider are
   * found on start from its registration block whatever this is (or from this block, when given).
   */
  fromBlock?: bigint | undefined;
  /** Withdraw earned credit to the operator this often (ms); off by default. */
  withdrawEveryMs?: number | undefined;
  /** Jobs run at once (default: the provider's device count). */
  concurrency?: number | undefined;
  log?: ((line: string) => void) | undefined;
  onEvent?: ((e: ProviderEvent) => void) | undefined;
  /**
   * Compute-to-data: the operator's data key and the DataMarket and ProvenanceRegistry addresses. Without it, jobs
   * whose input is a `machina-data` reference are skipped (see dataJob.ts). The key is never logged.
   */
  data?: ProviderDataOptions | undefined;
};

export type ProviderDaemon = {
  /** Stops polling, waits for running jobs to commit (or fail), and resolves. */
  stop(): Promise<void>;
  stats(): ProviderStats;
};

type Phase = 'bid' | 'assigned' | 'running' | 'committed' | 'challenging';
type Tracked = { jobId: bigint; phase: Phase; slot?: number; nextCheck: number; mine: boolean; block?: bigint | undefined };

const TERMINAL = new Set<string>(TERMINAL_STATUSES);
/** Bytes of jobs fetched before bidding, kept for the run up to this much in all (beyond it, the run fetches again). */
const PREFETCH_BUDGET_BYTES = 64 * 1024 * 1024;
/** Reverts that mean this provider should not bid on a job. */
const BID_REFUSALS = ['BidNotCompetitive', 'NoFreeCapacity', 'InsufficientStake', 'BidWindowClosed', 'WrongStatus', 'AlreadyInJob', 'ResourcesMismatch', 'PriceTooHigh', 'DeadlinePassed', 'NoTimeToRun', 'ProviderUnstaking'];
/** How often, at most, the jobs skipped while busy are looked at again. */
const RECONSIDER_MS = 1_000;
/** How many of them are read per look (the oldest first). */
const RECONSIDER_BATCH = 32;

const sleepFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A roomy gas limit: a gas estimate holds for the state it was made on; when another provider's transaction lands
 * first, a commit or bid may become the one that settles the job (paying, slashing, assigning) and need several
 * times the gas. Only the gas used is paid, so the margin costs nothing.
 */
const settlingMargin = (estimate: bigint) => estimate * 2n + 500_000n;

/**
 * Starts a provider daemon; the provider must be registered and staked (see `ensureProvider`).
 * @example
 * const daemon = await startProviderDaemon({ client, wallet, market, token, providerId, pricePerUnit: 1_000n })
 * // ... later
 * await daemon.stop()
 */
export async function startProviderDaemon(o: ProviderDaemonOptions): Promise<ProviderDaemon> {
  const { client, market } = o;
  if (o.providerId === null && !o.validator) throw new Error('a daemon without a provider id can only validate (set validator: true)');
  // Ids in logs are never negative: a validator-only daemon matches none of them.
  const providerId = o.providerId ?? -1n;
  const wallet = serializeWrites(withGasMargin(o.wallet, client, settlingMargin));
  const self = wallet.account.address;
  const pollMs = o.pollMs ?? 150;
  const rng = o.rng ?? Math.random;
  const cheatRate = Math.min(1, Math.max(0, o.cheatRate ?? 0));
  const bidding = o.bid !== false && o.providerId !== null;
  const stats = emptyStats();
  if (o.data && o.data.key.address.toLowerCase() !== self.toLowerCase()) {
    throw new Error(`the data key (${o.data.key.address}) must be the operator's key (${self}): sellers' nodes deliver to the bound provider's operator`);
  }
  // Decrypted records a crash left in the data folder (older builds staged them there) go before anything runs.
  if (o.data?.workDir) {
    try {
      const swept = await sweepDataWorkDir(o.data.workDir);
      if (swept.length > 0) o.log?.(`removed ${swept.length} stale compute-to-data folder(s) from ${o.data.workDir}`);
    } catch (err) {
      o.log?.(`could not sweep the compute-to-data folder ${o.data.workDir}: ${formatError(err)}`);
    }
  }

  const [cfg, me, head] = await Promise.all([
    readConfig(client, { market }),
    o.providerId === null ? Promise.resolve(null) : readProvider(client, { market, providerId: o.providerId }),
    client.getBlockNumber(),
  ]);
  if (o.providerId !== null && !me) throw new Error(`provider ${o.providerId} is not registered in the market at ${market}`);
  const resources = me
    ? { deviceKind: me.resources.deviceKind, memoryMB: me.resources.memoryMB, region: me.resources.region, deviceCount: me.resources.deviceCount }
    : { deviceKind: '', memoryMB: DEFAULT_JOB_MEMORY_MB, region: '', deviceCount: 1 };
  const capacity = Math.max(1, o.concurrency ?? resources.deviceCount);
  const heartbeatMs = o.heartbeatMs ?? Math.max(1_000, (Number(cfg.heartbeatTTL) * 1000) / 3);
  // A warm sandbox saves the first job its start-up time (jobs that ask for no memory run with the default).
  void warmSandboxes({ memoryMB: DEFAULT_JOB_MEMORY_MB }).catch(() => {});

  const emit = (e: ProviderEvent) => {
    switch (e.type) {
      case 'bid': stats.bids++; break;
      case 'assigned': stats.assigned++; break;
      case 'ran': stats.ran++; break;
      case 'committed': stats.committed++; break;
      case 'cheated': stats.cheated++; break;
      case 'paid': stats.paid++; stats.earned += e.amount; break;
      case 'slashed': stats.slashed++; stats.slashedAmount += e.amount; break;
      case 'challenged': stats.challenged++; break;
      case 'answered': stats.answered++; break;
      case 'rewarded': stats.rewarded += e.amount; break;
      case 'error': stats.errors++; break;
    }
    try {
      o.onEvent?.(e);
    } catch {
      // a listener's failure is not the daemon's
    }
  };

  const tracked = new Map<bigint, Tracked>();
  const postedCache = new Map<bigint, PostedJob>();
  const posted = async (jobId: bigint, hintBlock?: bigint): Promise<PostedJob | null> => {
    const hit = postedCache.get(jobId);
    if (hit) return hit;
    const found = await findPostedJob(client, { market, jobId, toBlock: hintBlock });
    if (found) postedCache.set(jobId, found);
    return found;
  };
  const validator = o.validator ? createValidator({ client, wallet, market, token: o.token, validationRegistry: o.validationRegistry, emit, posted }) : undefined;

  // Bytes fetched (and checked) before bidding, reused by the run.
  const prefetched = new Map<bigint, JobBytes>();
  let prefetchedBytes = 0;
  const keepBytes = (jobId: bigint, b: JobBytes) => {
    const size = b.bundle.length + b.input.length;
    if (prefetched.has(jobId) || prefetchedBytes + size > PREFETCH_BUDGET_BYTES) return;
    prefetched.set(jobId, b);
    prefetchedBytes += size;
  };
  const dropBytes = (jobId: bigint) => {
    const b = prefetched.get(jobId);
    if (!b) return;
    prefetched.delete(jobId);
    prefetchedBytes -= b.bundle.length + b.input.length;
  };
  /**
   * Fetches a job's bytes and decodes its bundle before a bid: a job whose bytes cannot be fetched, or whose bundle
   * is invalid, is skipped (returns the reason) rather than won and then failed.
   */
  const precheck = async (job: PostedJob): Promise<string | null> => {
    let bytes: JobBytes;
    try {
      bytes = await withComputeSlot(() => fetchJobBytes(job));
    } catch (err) {
      return `cannot fetch its workload or input: ${formatError(err)}`;
    }
    try {
      decodeBundle(bytes.bundle);
    } catch (err) {
      return `invalid workload bundle: ${formatError(err)}`;
    }
    if (isDataReference(bytes.input)) {
      try {
        const refused = await dataJobRefusal(client, o.data, { job, bundle: bytes.bundle, input: bytes.input, providerId });
        if (refused) return refused;
      } catch (err) {
        return `cannot check its data licences: ${formatError(err)}`;
      }
    }
    keepBytes(job.jobId, bytes);
    return null;
  };
  /** Whether there is still time to work on a job before its deadline (less the commit margin). */
  const hasTime = (deadline: number) => workBudgetMs(deadline) > 0;

  // ── running jobs, at most `capacity` at once ────────────────────────────────
  const runQueue: bigint[] = [];
  const inflight = new Set<Promise<unknown>>();
  const spawn = (task: () => Promise<unknown>) => {
    const p = task().catch((err) => emit({ type: 'error', stage: 'task', message: formatError(err) }));
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const pump = () => {
    while (stats.running < capacity && runQueue.length > 0) {
      const jobId = runQueue.shift()!;
      stats.running++;
      spawn(() => runJob(jobId).finally(() => {
        stats.running--;
        pump();
      }));
    }
  };
  /** Jobs holding one of this provider's slots (what the market counts as active). */
  const active = () => [...tracked.values()].filter((t) => t.mine && t.phase !== 'bid').length;

  async function withRetry<T>(stage: string, jobId: bigint | undefined, fn: () => Promise<T>, attempts = 3): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        // A revert is the contract's answer and will not change on retry; a transport error may.
        if (i >= attempts || isComputeRevert(err) || stopped) throw err;
        emit({ type: 'error', stage: `${stage} (attempt ${i}, retrying)`, ...(jobId !== undefined ? { jobId } : {}), message: formatError(err) });
        await sleepFor(200 * i);
      }
    }
  }

  async function runJob(jobId: bigint) {
    const t = tracked.get(jobId);
    if (!t || t.phase !== 'assigned') return;
    t.phase = 'running';
    let deadline = Number.POSITIVE_INFINITY;
    try {
      const job = await posted(jobId, t.block);
      if (!job) throw new Error('no JobPosted log for this job');
      deadline = job.deadline;
      // A deterministic failure is an outcome (the failure record); anything else (a fetch, a timeout, a sandbox that
      // died) may pass, so it is retried until shortly before the deadline.
      let r: JobOutcome;
      for (let attempt = 1; ; attempt++) {
        try {
          r = await runOne(job);
          break;
        } catch (err) {
          dropBytes(jobId);
          if (stopped || !hasTime(job.deadline)) throw err;
          emit({ type: 'error', stage: `run (attempt ${attempt}, retrying)`, jobId, message: formatError(err) });
          await sleepFor(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5), Math.max(0, workBudgetMs(job.deadline))));
        }
      }
      dropBytes(jobId);
      emit({ type: 'ran', jobId, outputDigest: r.outputDigest, bytes: r.output.length, ms: Math.round(r.ms), ...(r.failure ? { failure: `${r.failure.code}${r.failure.field ? ` (${r.failure.field})` : ''}` } : {}) });
      let output = r.output;
      let outputDigest = r.outputDigest;
      if (cheatRate > 0 && rng() < cheatRate) {
        // A plausible wrong answer: the real output with its last byte changed (or one byte, if it was empty).
        output = output.length > 0 ? Uint8Array.from(output, (b, i) => (i === output.length - 1 ? b ^ 0xff : b)) : Uint8Array.of(1);
        outputDigest = sha256Hex(output);
        emit({ type: 'cheated', jobId, outputDigest, honestDigest: r.outputDigest });
      }
      let outputURI = dataUri(output);
      if (o.nodeUrl) {
        try {
          outputURI = (await withRetry('upload', jobId, () => putBlob(o.nodeUrl!, output))).uri;
        } catch (err) {
          emit({ type: 'error', stage: 'upload (committing a data: URI instead)', jobId, message: formatError(err) });
        }
      }
      // The market takes results only once every slot of the job is taken (an early digest would leak to the
      // replicas still to come): wait for the job to be fully assigned, or to end (it then expires unpaid, unslashed).
      for (;;) {
        const state = await withRetry('read', jobId, () => readJob(client, { market, jobId }));
        if (state && TERMINAL.has(state.status)) {
          // Expired short of providers (or settled meanwhile): nothing to commit; its JobFinalized log ends the tracking.
          t.phase = 'committed';
          return;
        }
        if (!state || state.status !== 'open' || stopped || !hasTime(job.deadline)) break;
        await sleepFor(Math.min(1_000, pollMs * 2));
      }
      // Commits are idempotent (AlreadyCommitted = done): a transport error is retried until the deadline.
      const { txHash } = await retryUntil('commit', jobId, job.deadline * 1000, () => commitResult(wallet, { market, jobId, providerId, outputDigest, outputURI }));
      t.phase = 'committed';
      t.nextCheck = 0;
      emit({ type: 'committed', jobId, outputDigest, outputURI: outputURI.length > 200 ? `${outputURI.slice(0, 197)}...` : outputURI, txHash });
    } catch (err) {
      dropBytes(jobId);
      if (isComputeRevert(err, 'AlreadyCommitted')) {
        t.phase = 'committed';
        return;
      }
      emit({ type: 'error', stage: Number.isFinite(deadline) && !hasTime(deadline) ? 'run (gave up: the deadline is near)' : 'run', jobId, message: formatError(err) });
      // The slot stays held; the market settles it (as a no-show) at the deadline, which the poke loop calls.
      t.phase = 'committed';
      t.nextCheck = 0;
    }
  }

  /**
   * One run of a job: as before for ordinary jobs; a compute-to-data job (its input a `machina-data` reference, only
   * known once its bytes are at hand) has its data fetched and turned into the train input first, and a deterministic
   * refusal there gives the failure record like any deterministic workload failure.
   */
  async function runOne(job: PostedJob): Promise<JobOutcome> {
    const pre = prefetched.get(job.jobId);
    if (!(pre ? isDataReference(pre.input) : !!o.data)) return executeJob(job, { cutToDeadline: true, bytes: pre });
    const started = performance.now();
    const raw = pre ?? (await withComputeSlot(() => fetchJobBytes(job)));
    let bytes: Awaited<ReturnType<typeof runnableBytes>>;
    try {
      bytes = await runnableBytes(client, o.data, {
        job,
        bundle: raw.bundle,
        input: raw.input,
        providerId,
        stopped: () => stopped,
        onRetry: (stage, message) => emit({ type: 'error', stage, jobId: job.jobId, message }),
      });
    } catch (err) {
      const failure = deterministicFailure(err);
      if (!failure) throw err;
      const output = failureRecord(failure.code, failure.field);
      return { output, outputDigest: sha256Hex(output), ms: performance.now() - started, failure };
    }
    // The resolved input (the records' tensors) is kept only for this run, never in the prefetch cache. The weights
    // leave sealed to the buyer's key (the digest committed is the sealed bytes'); a failure record stays plain.
    const r = await executeJob(job, { cutToDeadline: true, bytes: { bundle: bytes.bundle, input: bytes.input } });
    return bytes.resultKey ? sealDataOutput(r, bytes.resultKey) : r;
  }

  /** Retries `fn` on transport errors (never on a revert: the contract's answer) with backoff until `untilMs`. */
  async function retryUntil<T>(stage: string, jobId: bigint, untilMs: number, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const wait = Math.min(5_000, 200 * 2 ** Math.min(attempt, 5));
        if (isComputeRevert(err) || stopped || Date.now() + wait >= untilMs) throw err;
        emit({ type: 'error', stage: `${stage} (attempt ${attempt}, retrying)`, jobId, message: formatError(err) });
        await sleepFor(wait);
      }
    }
  }

  /**
   * Open jobs this provider could run but skipped while its devices were busy (or while older such jobs waited).
   * A slot is only run once every slot of its job is taken, so a job left short of bidders would hold its
   * providers' devices until it expires: these are bid on again as devices free up, the job closest to being
   * fully assigned first (its other providers are already waiting), then the oldest.
   */
  const deferred = new Map<bigint, PostedJob>();
  let lastReconsider = 0;
  async function reconsiderDeferred() {
    if (!bidding || deferred.size === 0 || active() >= capacity || Date.now() - lastReconsider < RECONSIDER_MS) return;
    lastReconsider = Date.now();
    const now = Date.now() / 1000;
    for (const [jobId, job] of deferred) if (now + MIN_RUN_TIME >= job.deadline) deferred.delete(jobId);
    const batch = [...deferred.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, RECONSIDER_BATCH);
    const states = await Promise.all(batch.map((jobId) => readJob(client, { market, jobId }).catch(() => undefined)));
    const open: { job: PostedJob; missing: number }[] = [];
    batch.forEach((jobId, i) => {
      const s = states[i];
      if (s === undefined) return; // not read this time
      if (!s || s.status !== 'open' || s.assignments.some((a) => a.providerId === providerId)) {
        deferred.delete(jobId);
        return;
      }
      open.push({ job: deferred.get(jobId)!, missing: s.replicas - s.assigned });
    });
    open.sort((a, b) => a.missing - b.missing || (a.job.jobId < b.job.jobId ? -1 : 1));
    for (const { job } of open.slice(0, Math.max(0, capacity - active()))) {
      deferred.delete(job.jobId);
      spawn(() => considerJob(job, { again: true }));
    }
  }

  async function considerJob(job: PostedJob, opts: { again?: boolean } = {}) {
    const jobId = job.jobId;
    const now = Date.now() / 1000;
    if (job.deadline <= now) return;
    // A job from before this daemon started may long be taken: only a still-open one is worth a bid.
    if (job.postedBlock <= head && (await readJob(client, { market, jobId }))?.status !== 'open') return;
    const needs = { deviceKind: decodeLabel(job.needs.deviceKind), minMemoryMB: job.needs.minMemoryMB, region: decodeLabel(job.needs.region) };
    const mismatch = cannotRun(needs, resources);
    if (mismatch) return emit({ type: 'skipped', jobId, reason: `needs a different ${mismatch}` });
    // Older jobs waiting for a device go first (see `deferred`).
    if (!opts.again && deferred.size > 0 && job.maxPricePerUnit >= o.pricePerUnit) {
      deferred.set(jobId, job);
      return;
    }
    const q = quote({ basePricePerUnit: o.pricePerUnit, activeJobs: active(), capacity, maxPricePerUnit: job.maxPricePerUnit });
    if (!q.ok && q.reason === 'busy') deferred.set(jobId, job);
    if (!q.ok) return emit({ type: 'skipped', jobId, reason: q.reason === 'busy' ? 'all devices busy' : `max price ${job.maxPricePerUnit} below the ask ${o.pricePerUnit}` });
    if (tracked.has(jobId)) return;
    tracked.set(jobId, { jobId, phase: 'bid', nextCheck: (job.bidWindow > 0 ? Date.now() + job.bidWindow * 1000 : Date.now() + 2_000), mine: false });
    const refused = await precheck(job);
    if (refused) {
      if (tracked.get(jobId)?.phase === 'bid') tracked.delete(jobId);
      return emit({ type: 'skipped', jobId, reason: refused });
    }
    try {
      const { txHash } = await withRetry('bid', jobId, () => placeBid(wallet, { market, jobId, providerId, pricePerUnit: q.pricePerUnit }));
      emit({ type: 'bid', jobId, pricePerUnit: q.pricePerUnit, txHash });
    } catch (err) {
      const t = tracked.get(jobId);
      if (t?.phase === 'bid') tracked.delete(jobId);
      dropBytes(jobId);
      if (isComputeRevert(err, 'ProviderNotLive')) lastHeartbeat = 0;
      // Busy as the market counts it (a slot not yet seen here): try again when a device frees up.
      if (isComputeRevert(err, 'NoFreeCapacity')) deferred.set(jobId, job);
      if (isComputeRevert(err, ...BID_REFUSALS, 'ProviderNotLive')) return emit({ type: 'skipped', jobId, reason: formatError(err) });
      emit({ type: 'error', stage: 'bid', jobId, message: formatError(err) });
    }
  }

  /**
   * Direct offers made while every device was busy (a slot counts until its job settles), by job id: the offer stands
   * on chain until the job's deadline, so it is taken up as soon as a device frees instead of being dropped.
   */
  const busyOffers = new Map<bigint, { pricePerUnit: bigint; deadline: number }>();
  /** Offers being accepted right now (their slot is not counted by `active()` until the Assigned log arrives). */
  let accepting = 0;
  let lastRetake = 0;
  function retakeOffers() {
    if (!bidding || busyOffers.size === 0 || Date.now() - lastRetake < RECONSIDER_MS) return;
    lastRetake = Date.now();
    for (const [jobId, offer] of busyOffers) if (!hasTime(offer.deadline)) busyOffers.delete(jobId);
    const free = Math.max(0, capacity - active() - accepting);
    for (const [jobId, offer] of [...busyOffers].sort(([a], [b]) => (a < b ? -1 : 1)).slice(0, free)) {
      busyOffers.delete(jobId);
      spawn(() => acceptOffered(jobId, offer.pricePerUnit));
    }
  }

  async function acceptOffered(jobId: bigint, pricePerUnit: bigint) {
    if (pricePerUnit < o.pricePerUnit) return emit({ type: 'skipped', jobId, reason: `offer ${pricePerUnit} below the ask ${o.pricePerUnit}` });
    const job = await posted(jobId);
    if (!job || job.deadline <= Date.now() / 1000) return;
    const mismatch = cannotRun({ deviceKind: decodeLabel(job.needs.deviceKind), minMemoryMB: job.needs.minMemoryMB, region: decodeLabel(job.needs.region) }, resources);
    if (mismatch) return emit({ type: 'skipped', jobId, reason: `needs a different ${mismatch}` });
    const busy = () => {
      busyOffers.set(jobId, { pricePerUnit, deadline: job.deadline });
      emit({ type: 'skipped', jobId, reason: 'all devices busy (the offer is taken up when one frees)' });
    };
    if (active() + accepting >= capacity) return busy();
    accepting++;
    try {
      const refused = await precheck(job);
      if (refused) return emit({ type: 'skipped', jobId, reason: refused });
      await withRetry('accept', jobId, () => acceptOffer(wallet, { market, jobId, providerId }));
    } catch (err) {
      // Busy as the market counts it (a slot not yet seen here): taken up when a device frees.
      if (isComputeRevert(err, 'NoFreeCapacity')) return busy();
      if (isComputeRevert(err)) return emit({ type: 'skipped', jobId, reason: formatError(err) });
      emit({ type: 'error', stage: 'accept', jobId, message: formatError(err) });
    } finally {
      accepting--;
    }
  }

  /** A slot this provider won: queued to run (once). */
  function take(jobId: bigint, slot: number, pricePerUnit: bigint, block: bigint | undefined) {
    const prev = tracked.get(jobId);
    if (prev && prev.phase !== 'bid') return;
    tracked.set(jobId, { jobId, phase: 'assigned', slot, nextCheck: Date.now() + 5_000, mine: true, block });
    emit({ type: 'assigned', jobId, slot, pricePerUnit });
    runQueue.push(jobId);
    pump();
  }

  /**
   * After a restart: this provider's unfinished slots, from the chain (its `Assigned` logs since its registration,
   * read in ranges hosted RPCs accept), whatever the downtime. Uncommitted ones run again; committed ones are
   * watched until they settle.
   */
  async function resumeAssignments() {
    if (o.providerId === null) return;
    for (let attempt = 1; !stopped; attempt++) {
      try {
        const fromBlock = o.fromBlock ?? (await findRegistrationBlock(client, { market, providerId })) ?? 0n;
        for (const a of await findAssignments(client, { market, providerId, fromBlock, toBlock: head })) {
          if (stopped) return;
          const prev = tracked.get(a.jobId);
          if (prev && prev.phase !== 'bid') continue;
          const job = await readJob(client, { market, jobId: a.jobId });
          const mine = job?.assignments[a.slot];
          if (!job || TERMINAL.has(job.status) || mine?.providerId !== providerId) continue;
          if (mine.outputDigest) tracked.set(a.jobId, { jobId: a.jobId, phase: 'committed', slot: a.slot, nextCheck: 0, mine: true, block: a.blockNumber });
          else if (hasTime(job.deadline)) take(a.jobId, a.slot, a.pricePerUnit, a.blockNumber);
          // Too late to run: the poke loop settles it at the deadline.
          else tracked.set(a.jobId, { jobId: a.jobId, phase: 'committed', slot: a.slot, nextCheck: 0, mine: true, block: a.blockNumber });
        }
        return;
      } catch (err) {
        emit({ type: 'error', stage: `resume (attempt ${attempt}, retrying)`, message: formatError(err) });
        await sleepFor(Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  function onLog(log: MarketLog) {
    // Logs from before the start are read to resume unfinished work; what they report was this run's news only then.
    const history = (log.blockNumber ?? 0n) <= head;
    switch (log.eventName) {
      case 'JobPosted': {
        const job = postedJobOf(log);
        postedCache.set(job.jobId, job);
        if (bidding && !job.direct) spawn(() => considerJob(job));
        return;
      }
      case 'Offered':
        if (bidding && log.args.providerId === providerId) spawn(() => acceptOffered(log.args.jobId, log.args.pricePerUnit));
        return;
      case 'Assigned': {
        if (log.args.providerId !== providerId) return;
        const jobId = log.args.jobId;
        if (!history) take(jobId, Number(log.args.slot), log.args.pricePerUnit, log.blockNumber ?? undefined);
        else if (!tracked.has(jobId)) dropBytes(jobId);
        // Assignments from before the start are resumed from the chain (resumeAssignments), not from these logs.
        return;
      }
      case 'ResultCommitted': {
        const { jobId, providerId: by, outputDigest } = log.args;
        if (by === providerId) {
          // Resuming after a restart: our own earlier commit.
          const t = tracked.get(jobId);
          if (t && t.phase === 'assigned') {
            t.phase = 'committed';
            const i = runQueue.indexOf(jobId);
            if (i >= 0) runQueue.splice(i, 1);
          }
          return;
        }
        if (validator) spawn(() => validator.checkResult({ jobId, providerId: by, outputDigest, history, block: log.blockNumber ?? undefined }));
        return;
      }
      case 'ChallengeOpened': {
        const { jobId, challenger } = log.args;
        const t = tracked.get(jobId);
        if (t?.mine) {
          t.phase = 'challenging';
          t.nextCheck = Date.now() + 1_000;
          emit({ type: 'disputed', jobId, challenger });
        } else if (challenger.toLowerCase() === self.toLowerCase()) {
          tracked.set(jobId, { jobId, phase: 'challenging', nextCheck: Date.now() + 1_000, mine: false });
        }
        return;
      }
      case 'ChallengeResolved': {
        if (history) return;
        const t = tracked.get(log.args.jobId);
        if (t && (t.mine || t.phase === 'challenging')) emit({ type: 'resolved', jobId: log.args.jobId, upheld: log.args.upheld });
        return;
      }
      case 'ProviderPaid':
        if (!history && log.args.providerId === providerId) emit({ type: 'paid', jobId: log.args.jobId, amount: log.args.amount });
        return;
      case 'Slashed':
        if (history) return;
        if (log.args.providerId === providerId) emit({ type: 'slashed', jobId: log.args.jobId, amount: log.args.amount, reason: SLASH_REASON[Number(log.args.reason)] ?? String(log.args.reason) });
        else if (log.args.beneficiary.toLowerCase() === self.toLowerCase() && log.args.reward > 0n) emit({ type: 'rewarded', jobId: log.args.jobId, amount: log.args.reward });
        return;
      case 'JobFinalized': {
        const t = tracked.get(log.args.jobId);
        dropBytes(log.args.jobId);
        busyOffers.delete(log.args.jobId);
        if (!t) return;
        tracked.delete(log.args.jobId);
        if (t.mine || t.phase === 'challenging') {
          const accepted = log.args.acceptedDigest;
          emit({ type: 'finalized', jobId: log.args.jobId, status: JOB_STATUS[Number(log.args.status)] ?? String(log.args.status), acceptedDigest: /^0x0*$/.test(accepted) ? null : accepted });
        }
        return;
      }
      case 'JobCancelled':
        tracked.delete(log.args.jobId);
        busyOffers.delete(log.args.jobId);
        dropBytes(log.args.jobId);
        return;
      default:
        return;
    }
  }

  /** Calls assign/finalize/resolve on the jobs this daemon cares about when the market says they are due. */
  async function pokeDue() {
    const nowMs = Date.now();
    for (const t of [...tracked.values()]) {
      if (t.nextCheck > nowMs || t.phase === 'running' || (t.phase === 'assigned' && runQueue.includes(t.jobId))) continue;
      t.nextCheck = nowMs + 1_000;
      try {
        const job = await readJob(client, { market, jobId: t.jobId });
        if (!job || TERMINAL.has(job.status)) {
          tracked.delete(t.jobId);
          dropBytes(t.jobId);
          continue;
        }
        // Lost an auction: the job went to others.
        if (t.phase === 'bid' && job.status !== 'open') {
          tracked.delete(t.jobId);
          dropBytes(t.jobId);
          continue;
        }
        const r = await pokeJob(wallet, { market, job, cfg, now: Math.floor(nowMs / 1000) });
        if (r && r.raced === undefined) emit({ type: 'poked', jobId: t.jobId, action: r.action, txHash: r.txHash });
      } catch (err) {
        emit({ type: 'error', stage: 'keeper', jobId: t.jobId, message: formatError(err) });
      }
    }
  }

  let lastHeartbeat = me?.live ? Date.now() : 0;
  async function maybeHeartbeat() {
    if (o.providerId === null || Date.now() - lastHeartbeat < heartbeatMs) return;
    const before = lastHeartbeat;
    lastHeartbeat = Date.now();
    try {
      const { txHash } = await sendHeartbeat(wallet, { market, providerId });
      emit({ type: 'heartbeat', providerId, txHash });
    } catch (err) {
      lastHeartbeat = before === 0 ? 0 : Date.now() - heartbeatMs + 2_000; // retry soon
      emit({ type: 'error', stage: 'heartbeat', message: formatError(err) });
    }
  }

  let lastWithdraw = Date.now();
  async function maybeWithdraw() {
    if (!o.withdrawEveryMs || Date.now() - lastWithdraw < o.withdrawEveryMs) return;
    lastWithdraw = Date.now();
    try {
      const credit = await readCredit(client, { market, account: self });
      if (credit === 0n) return;
      const r = await withdrawCredit(wallet, { market, to: self });
      emit({ type: 'withdrawn', amount: r.amount, txHash: r.txHash });
    } catch (err) {
      if (!isComputeRevert(err, 'NothingToWithdraw')) emit({ type: 'error', stage: 'withdraw', message: formatError(err) });
    }
  }

  // ── the loop ─────────────────────────────────────────────────────────────────
  const fromBlock = o.fromBlock ?? (head > 1_000n ? head - 1_000n : 0n);
  const cursor = createLogCursor(client, {
    market,
    fromBlock,
    validationRegistry: o.validator ? o.validationRegistry : undefined,
    validator: o.validator ? self : undefined,
  });
  let stopped = false;
  let wake = () => {};
  let failures = 0;
  emit({ type: 'started', providerId: o.providerId, operator: self, fromBlock, validator: !!o.validator, bidding });
  spawn(resumeAssignments);

  const loop = (async () => {
    while (!stopped) {
      try {
        await maybeHeartbeat();
        const { market: logs, validation } = await cursor.next();
        for (const log of logs) onLog(log);
        if (validator) for (const req of validation) spawn(() => validator.answer(req));
        await pokeDue();
        await reconsiderDeferred();
        retakeOffers();
        await maybeWithdraw();
        failures = 0;
      } catch (err) {
        failures++;
        emit({ type: 'error', stage: 'poll', message: formatError(err) });
      }
      // Back off while the RPC is failing (up to 5 s), then go back to the normal pace.
      const delay = failures === 0 ? pollMs : Math.min(5_000, pollMs * 2 ** Math.min(failures, 6));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      if (stopped) return;
      stopped = true;
      wake();
      await loop;
      runQueue.length = 0;
      await Promise.allSettled([...inflight]);
      emit({ type: 'stopped' });
    },
  };
}


