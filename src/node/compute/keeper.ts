// The node's compute keeper: anyone may assign an auction whose bid window closed, finalize a job whose
// outcome is due (optimistic past its challenge window, anything past its deadline) or settle a challenge
// whose time is up or that every arbiter answered; the node does it with its own signer so jobs finish
// even when nobody else pokes them.
// Candidates come from the index; the chain decides (each is re-read and checked with `jobDue` before a
// transaction), and a lost race (someone else settled it first) is not an error.
import type { Address } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { chainNow, jobDue, pokeJob, readChallenge, readConfig, readJob, type ChallengeState, type JobState, type KeeperAction, type MarketConfig } from '../../compute/market.ts';
import { formatError } from '../../errors/index.ts';
import type { ComputeQueries } from './queries.ts';

/** Longest pause before a job the chain did not find due is looked at again, and how long a settled backoff is remembered. */
const NOT_YET_MAX_MS = 30_000;
const FORGET_MS = 10 * 60_000;

export type ComputeKeeperStats = { passes: number; sent: Record<KeeperAction, number>; raced: number; failed: number; lastError: string | null };

export type ComputeKeeper = {
  /** Look now (e.g. after an indexed batch with market events). */
  nudge(): void;
  /** Runs one pass and resolves when it is done (tests). */
  runOnce(): Promise<void>;
  stats(): ComputeKeeperStats;
  stop(): Promise<void>;
};

export type StartComputeKeeperParameters = {
  client: MachinaPublicClient;
  /** The node's signer (serialized with its other writers). */
  wallet: MachinaWalletClient;
  market: Address;
  queries: ComputeQueries;
  /** Period between passes when nothing nudges it (default 1 s). */
  intervalMs?: number | undefined;
  /** Jobs looked at per pass, the longest due first (default 500). */
  maxJobs?: number | undefined;
  log?: ((line: string) => void) | undefined;
};

/**
 * Starts the keeper loop.
 * @example
 * const keeper = startComputeKeeper({ client, wallet: nodeWallet, market, queries, log })
 * await keeper.stop()
 */
export function startComputeKeeper(p: StartComputeKeeperParameters): ComputeKeeper {
  const { client, wallet, market, queries } = p;
  const intervalMs = p.intervalMs ?? 1_000;
  const maxJobs = p.maxJobs ?? 500;
  const log = p.log ?? (() => {});
  const stats: ComputeKeeperStats = { passes: 0, sent: { assign: 0, finalize: 0, resolve: 0 }, raced: 0, failed: 0, lastError: null };
  // A job whose action failed for another reason waits a few passes before it is tried again.
  const backoff = new Map<bigint, { until: number; failures: number }>();
  let config: MarketConfig | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let failing: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  // The poke itself (what is due, the call, the list of lost-race reverts) is the library's `pokeJob`.
  const act = async (job: JobState, action: KeeperAction, p: { now: number; challenge: ChallengeState | null; earlyResolve: boolean }) => {
    const jobId = job.jobId;
    try {
      const r = await pokeJob(wallet, { market, job, cfg: config!, challenge: p.challenge, now: p.now, earlyResolve: p.earlyResolve });
      if (!r) return;
      if (r.raced !== undefined) {
        stats.raced += 1;
        return;
      }
      stats.sent[r.action] += 1;
      backoff.delete(jobId);
      const what = r.action === 'resolve' ? ` → challenge ${r.upheld ? 'upheld' : 'rejected'}` : r.status ? ` → ${r.status}` : '';
      log(`compute keeper: ${r.action} job ${jobId}${what} (tx ${r.txHash})`);
    } catch (err) {
      stats.failed += 1;
      stats.lastError = formatError(err);
      const b = backoff.get(jobId) ?? { until: 0, failures: 0 };
      b.failures += 1;
      b.until = Date.now() + Math.min(60_000, intervalMs * 2 ** b.failures);
      backoff.set(jobId, b);
      log(`compute keeper: ${action} job ${jobId} failed: ${stats.lastError}`);
    }
  };

  const allVoted = async (jobId: bigint, requests: number) => {
    if (requests === 0) return false;
    const c = (await queries.getJob(jobId))?.challenge;
    return !!c && c.votes.filter((v) => v.response !== null).length >= requests;
  };

  // A job the index called due but the chain did not (the index is behind, or a bid it counted is gone)
  // is looked at again after a short, growing pause, so it does not cost a chain read every pass.
  const notYet = (jobId: bigint) => {
    const b = backoff.get(jobId) ?? { until: 0, failures: 0 };
    b.failures += 1;
    b.until = Date.now() + Math.min(NOT_YET_MAX_MS, intervalMs * 2 ** Math.min(b.failures, 20));
    backoff.set(jobId, b);
  };
  /** Jobs waiting out a backoff (left out of the candidates, so they never crowd out newer due jobs). */
  const waiting = () => {
    const t = Date.now();
    const ids: bigint[] = [];
    for (const [jobId, b] of backoff) {
      if (b.until > t) ids.push(jobId);
      // Settled long ago or no longer due: forget it.
      else if (t - b.until > FORGET_MS) backoff.delete(jobId);
    }
    return ids;
  };

  const pass = async () => {
    stats.passes += 1;
    config ??= await readConfig(client, { market });
    const now = await chainNow(client);
    // The longest due first; jobs in backoff are left out in the query itself, so `maxJobs` of them
    // stuck (a revert that keeps coming back) cannot starve the newer due jobs behind them.
    const ids = await queries.dueCandidates({ now, challengeWindow: config.challengeWindow, limit: maxJobs, exclude: waiting() });
    for (const jobId of ids) {
      if (stopped) return;
      const b = backoff.get(jobId);
      if (b && b.until > Date.now()) continue;
      const job = await readJob(client, { market, jobId });
      if (!job) {
        notYet(jobId);
        continue;
      }
      const challenge = job.status === 'challenged' ? await readChallenge(client, { market, jobId }) : null;
      let due = jobDue(job, now, config, challenge);
      // A challenge may also be settled as soon as every arbiter answered (their votes are indexed).
      const early = !due && job.status === 'challenged' && !!challenge && !challenge.resolved && (await allVoted(jobId, challenge.requestHashes.length));
      if (early) due = 'resolve';
      if (due) await act(job, due, { now, challenge, earlyResolve: early });
      else notYet(jobId);
    }
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
    timer.unref?.();
  };
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pass().then(
            () => (failing = undefined),
            (err) => {
              stats.lastError = formatError(err);
              // One line per distinct failure (an unreachable chain would otherwise log every pass).
              if (failing !== stats.lastError) log(`compute keeper: pass failed: ${stats.lastError} (retrying)`);
              failing = stats.lastError;
            },
          );
        } while (again && !stopped);
      } finally {
        running = undefined;
        schedule(intervalMs);
      }
    })();
    return running;
  };
  schedule(0);

  return {
    nudge: () => void run(),
    runOnce: () => run(),
    stats: () => structuredClone(stats),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
