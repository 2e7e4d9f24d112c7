// The node's compute keeper: anyone may assign an auction whose bid window closed, finalize a job whose
// outcome is due (optimistic past its challenge window, anything past its deadline) or settle a challenge
// whose time is up or that every arbiter answered; the node does it with its own signer so jobs finish
// even when nobody else pokes them.
// Candidates come from the index; the chain decides (each is re-read and checked with `jobDue` before a
// transaction), and a lost race (someone else settled it first) is not an error.
import type { Address } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { isComputeRevert } from '../../compute/errors.ts';
import { assignJob, chainNow, finalizeJob, jobDue, readChallenge, readConfig, readJob, resolveChallenge, type KeeperAction, type MarketConfig } from '../../compute/market.ts';
import { formatError } from '../../errors/index.ts';
import type { ComputeQueries } from './queries.ts';

/** Reverts that mean "someone got there first" or "not yet": the next pass looks again. */
const RACE_ERRORS = ['WrongStatus', 'NotFinalizable', 'ChallengeNotResolvable', 'BidWindowOpen', 'NotEnoughBids', 'DeadlinePassed'];

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
  /** Jobs looked at per pass, oldest first (default 500). */
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

  const act = async (jobId: bigint, action: KeeperAction) => {
    try {
      const r = action === 'assign' ? await assignJob(wallet, { market, jobId }) : action === 'finalize' ? await finalizeJob(wallet, { market, jobId }) : await resolveChallenge(wallet, { market, jobId });
      stats.sent[action] += 1;
      backoff.delete(jobId);
      const what = 'status' in r ? ` → ${r.status}` : 'upheld' in r ? ` → challenge ${r.upheld ? 'upheld' : 'rejected'}` : '';
      log(`compute keeper: ${action} job ${jobId}${what} (tx ${r.txHash})`);
    } catch (err) {
      if (isComputeRevert(err, ...RACE_ERRORS)) {
        stats.raced += 1;
        return;
      }
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

  const pass = async () => {
    stats.passes += 1;
    config ??= await readConfig(client, { market });
    const now = await chainNow(client);
    const ids = await queries.dueCandidates({ now, challengeWindow: config.challengeWindow, limit: maxJobs });
    for (const jobId of ids) {
      if (stopped) return;
      const b = backoff.get(jobId);
      if (b && b.until > Date.now()) continue;
      const job = await readJob(client, { market, jobId });
      if (!job) continue;
      const challenge = job.status === 'challenged' ? await readChallenge(client, { market, jobId }) : null;
      let due = jobDue(job, now, config, challenge);
      // A challenge may also be settled as soon as every arbiter answered (their votes are indexed).
      if (!due && job.status === 'challenged' && challenge && !challenge.resolved && (await allVoted(jobId, challenge.requestHashes.length))) due = 'resolve';
      if (due) await act(jobId, due);
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
