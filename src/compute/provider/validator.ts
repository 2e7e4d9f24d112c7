// The validator's two roles. As a watcher and challenger it re-executes optimistic results during their challenge
// window and disputes a mismatch (posting the bond). As an arbiter it answers the ERC-8004 validation requests the
// market addresses to its key when a result is disputed: it re-executes the job and answers 100 when the provider's
// committed digest is right, 0 when it is wrong.
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { serializeWrites } from '../../chain/serial.ts';
import { formatError } from '../../errors/index.ts';
import { getValidationStatus, respondToValidation } from '../../identity/actions/validation.ts';
import { isComputeRevert } from '../errors.ts';
import { challenge, readChallenge, readJob } from '../market.ts';
import { DataJobNotResolvableError } from '../workloads/index.ts';
import type { ProviderEvent } from './events.ts';
import { executeJob } from './execute.ts';
import { createLogCursor, findPostedJob, type PostedJob, type ValidationLog } from './logs.ts';

export type ValidatorContext = {
  client: MachinaPublicClient;
  /** Signs challenges and validation responses (already serialized when shared with other writers). */
  wallet: MachinaWalletClient;
  market: Address;
  token: Address;
  validationRegistry?: Address | undefined;
  emit: (e: ProviderEvent) => void;
  /** Where a job's workload and input live (cached by the caller); `hintBlock`: a block at or after its posting. */
  posted: (jobId: bigint, hintBlock?: bigint) => Promise<PostedJob | null>;
};

export type Validator = {
  /**
   * Re-executes an optimistic result once it is committed and challenges it if it differs (a deterministic
   * failure counts as the failure record's digest). Never throws.
   * `history`: the commit was read from blocks before the daemon started, so it is checked only if still disputable.
   */
  checkResult(p: { jobId: bigint; providerId: bigint; outputDigest: Hex; history?: boolean; block?: bigint }): Promise<void>;
  /** Answers one validation request addressed to this key, if it is the market's. Never throws. */
  answer(log: ValidationLog): Promise<void>;
};

/** The job id in a market validation request URI (`machina:compute:<jobId>`), or null for any other request. */
export function jobIdOfRequestURI(uri: string): bigint | null {
  const m = /^machina:compute:(\d{1,78})$/.exec(uri);
  return m ? BigInt(m[1]!) : null;
}

const same = (a: Hex | null | undefined, b: Hex | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/**
 * The challenger and arbiter logic over one key.
 * @example
 * const v = createValidator({ client, wallet, market, token, validationRegistry, emit: console.log, posted })
 * await v.checkResult({ jobId, providerId, outputDigest })
 */
export function createValidator(ctx: ValidatorContext): Validator {
  const self = ctx.wallet.account.address;
  const checked = new Set<bigint>();
  const answered = new Set<Hex>();
  const fail = (stage: string, jobId: bigint | undefined, err: unknown) => ctx.emit({ type: 'error', stage, ...(jobId !== undefined ? { jobId } : {}), message: formatError(err) });
  /** The digest an honest run gives (the failure record's on a deterministic failure); a transient failure is retried a few times. */
  const reexecute = async (job: PostedJob, stage: string): Promise<Hex> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await executeJob(job)).outputDigest;
      } catch (err) {
        // A compute-to-data job cannot be re-executed by anyone but its licensed provider: not worth retrying.
        if (attempt >= 3 || err instanceof DataJobNotResolvableError) throw err;
        fail(`${stage} (attempt ${attempt}, retrying)`, job.jobId, err);
        await new Promise((r) => setTimeout(r, 1_000 * attempt));
      }
    }
  };

  return {
    async checkResult({ jobId, providerId, outputDigest, history = false, block }) {
      if (checked.has(jobId)) return;
      checked.add(jobId);
      try {
        const posted = await ctx.posted(jobId, block);
        if (!posted || posted.mode !== 'optimistic') return;
        if (history) {
          const job = await readJob(ctx.client, { market: ctx.market, jobId });
          if (!job || job.status !== 'assigned' || job.challengeEndsAt * 1000 < Date.now()) return;
        }
        // Only now, with a result committed (and paid for by its poster), is the job worth re-executing.
        const mine = await reexecute(posted, 'verify');
        const agrees = same(mine, outputDigest);
        ctx.emit({ type: 'verified', jobId, providerId, outputDigest, agrees });
        if (agrees) return;
        // No status read first: the window may be short, and the market refuses a late or settled challenge itself.
        const r = await challenge(ctx.wallet, { market: ctx.market, token: ctx.token, jobId, claimedDigest: mine });
        ctx.emit({ type: 'challenged', jobId, providerId, claimedDigest: mine, txHash: r.txHash });
      } catch (err) {
        if (isComputeRevert(err, 'ChallengeWindowClosed', 'WrongStatus', 'SameDigest')) return ctx.emit({ type: 'skipped', jobId, reason: formatError(err) });
        // Compute-to-data: nothing to compare with, so no challenge (a failure to reproduce is not a wrong result).
        if (err instanceof DataJobNotResolvableError) return ctx.emit({ type: 'skipped', jobId, reason: err.message });
        fail('verify', jobId, err);
      }
    },

    async answer(log) {
      const { requestHash, requestURI } = log.args;
      if (!ctx.validationRegistry || answered.has(requestHash)) return;
      const jobId = jobIdOfRequestURI(requestURI);
      if (jobId === null) return;
      answered.add(requestHash);
      try {
        const [status, dispute] = await Promise.all([
          getValidationStatus(ctx.client, { validationRegistry: ctx.validationRegistry, requestHash }),
          readChallenge(ctx.client, { market: ctx.market, jobId }),
        ]);
        // Only the market's own requests are answered: the hashes it filed (salted, so nobody can file them first)
        // are the ones its challenge lists. Anyone can file a request naming this key with the same URI.
        if (!dispute || !dispute.requestHashes.some((h) => same(h, requestHash))) return;
        // Already answered, or settled without us (e.g. after a restart): nothing to add.
        if (status.responded || !dispute || dispute.resolved) return;
        const [job, posted] = await Promise.all([readJob(ctx.client, { market: ctx.market, jobId }), ctx.posted(jobId, log.blockNumber ?? undefined)]);
        const committed = job?.assignments[0]?.outputDigest ?? null;
        if (!job || !posted || !committed) return ctx.emit({ type: 'skipped', jobId, reason: 'validation request for a job without a committed result' });
        const mine = await reexecute(posted, 'answer');
        const response = same(mine, committed) ? 100 : 0;
        const { hash } = await respondToValidation(ctx.client, ctx.wallet, {
          validationRegistry: ctx.validationRegistry,
          requestHash,
          response,
          responseURI: requestURI,
          responseHash: mine,
          tag: 'compute',
        });
        ctx.emit({ type: 'answered', jobId, requestHash, response, txHash: hash });
      } catch (err) {
        // Not answering leaves the provider paid when the window ends: never answer on a failure of our own.
        if (err instanceof DataJobNotResolvableError) return ctx.emit({ type: 'skipped', jobId, reason: err.message });
        answered.delete(requestHash);
        fail('answer', jobId, err);
      }
    },
  };
}

export type ArbiterOptions = {
  client: MachinaPublicClient;
  wallet: MachinaWalletClient;
  market: Address;
  token?: Address | undefined;
  validationRegistry: Address;
  pollMs?: number | undefined;
  /** First block to read requests from (default: 1,000 blocks back, so a restart answers what it missed). */
  fromBlock?: bigint | undefined;
  log?: ((line: string) => void) | undefined;
  onEvent?: ((e: ProviderEvent) => void) | undefined;
};

/**
 * Answers the market's validation requests addressed to `wallet` until stopped (a node on the devnet runs one for
 * its signer, the market's arbiter there).
 * @example
 * const arbiter = startArbiter({ client, wallet, market, validationRegistry })
 * await arbiter.stop()
 */
export function startArbiter(o: ArbiterOptions): { stop: () => Promise<void> } {
  const wallet = serializeWrites(o.wallet);
  const postedCache = new Map<bigint, PostedJob | null>();
  const emit = (e: ProviderEvent) => {
    o.onEvent?.(e);
    if (e.type === 'answered' || e.type === 'error') o.log?.(`arbiter: ${e.type === 'answered' ? `job ${e.jobId}: answered ${e.response}` : `${e.stage}: ${e.message}`}`);
  };
  const validator = createValidator({
    client: o.client,
    wallet,
    market: o.market,
    token: o.token ?? o.market,
    validationRegistry: o.validationRegistry,
    emit,
    posted: async (jobId, hintBlock) => {
      if (!postedCache.has(jobId)) postedCache.set(jobId, await findPostedJob(o.client, { market: o.market, jobId, toBlock: hintBlock }));
      return postedCache.get(jobId) ?? null;
    },
  });
  let stopped = false;
  let wake = () => {};
  const pending = new Set<Promise<void>>();
  const loop = (async () => {
    const head = await o.client.getBlockNumber().catch(() => 0n);
    const cursor = createLogCursor(o.client, { fromBlock: o.fromBlock ?? (head > 1_000n ? head - 1_000n : 0n), validationRegistry: o.validationRegistry, validator: wallet.account.address });
    while (!stopped) {
      try {
        const { validation } = await cursor.next();
        for (const log of validation) {
          const t = validator.answer(log).finally(() => pending.delete(t));
          pending.add(t);
        }
      } catch (err) {
        emit({ type: 'error', stage: 'poll', message: formatError(err) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.pollMs ?? 250);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      await Promise.allSettled([...pending]);
    },
  };
}
