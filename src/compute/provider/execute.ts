// Running a posted job: fetch its workload and input (each checked against the digest the buyer committed to),
// then run them in the sandbox under limits that come from the job alone, so every provider, validator and
// arbiter runs it the same way. Shared by the worker (which commits the result) and the validator (which compares).
import type { Hex } from 'viem';
import { fetchBlob } from '../blobs.ts';
import { DataJobNotResolvableError, deterministicFailure, failureRecord, isDataReference, runWorkload, sha256Hex, withComputeSlot, WorkloadError, type RunLimits, type WorkloadFailure } from '../workloads/index.ts';
import type { PostedJob } from './logs.ts';

/** Memory a job runs with when its `needs.minMemoryMB` is 0 (protocol constant: every executor uses it). */
export const DEFAULT_JOB_MEMORY_MB = 256;
/** The most memory the sandbox gives one run; a job asking for more runs with this. */
export const MAX_JOB_MEMORY_MB = 65_536;
/** Wall-clock limit of one run (protocol constant; a provider also cuts it to what the deadline leaves). */
export const DEFAULT_JOB_TIMEOUT_MS = 60_000;
/** Time kept before a job's deadline for the commit, at most (a quarter of what is left when that is less). */
export const COMMIT_MARGIN_MS = 10_000;

/** Largest workload bundle or input a provider downloads. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;

/**
 * What is kept before `deadline` (unix s) for committing, from `nowMs`: COMMIT_MARGIN_MS, or a quarter of the
 * time left when that is shorter.
 */
export function commitMarginMs(deadline: number, nowMs: number = Date.now()): number {
  const left = deadline * 1000 - nowMs;
  return Math.max(0, Math.min(COMMIT_MARGIN_MS, left / 4));
}

/** Milliseconds a provider may still spend on a job before it must commit (may be ≤ 0). */
export function workBudgetMs(deadline: number, nowMs: number = Date.now()): number {
  return deadline * 1000 - nowMs - commitMarginMs(deadline, nowMs);
}

/**
 * The sandbox limits of a job: memory = `needs.minMemoryMB` (DEFAULT_JOB_MEMORY_MB when 0), time =
 * DEFAULT_JOB_TIMEOUT_MS, cut to the work budget before `deadline` when one is given (a provider's run; a validator
 * or arbiter re-executes with the full time). Never the executor's own resources, so results agree.
 * @example jobLimits({ needs: { minMemoryMB: 0 } }) // { timeoutMs: 60000, memoryMB: 256 }
 */
export function jobLimits(job: { needs: { minMemoryMB: number } }, cut?: { deadline: number; nowMs?: number }): RunLimits {
  const need = Math.floor(Number(job.needs.minMemoryMB) || 0);
  const memoryMB = need > 0 ? Math.min(MAX_JOB_MEMORY_MB, need) : DEFAULT_JOB_MEMORY_MB;
  const timeoutMs = cut ? Math.min(DEFAULT_JOB_TIMEOUT_MS, Math.floor(workBudgetMs(cut.deadline, cut.nowMs))) : DEFAULT_JOB_TIMEOUT_MS;
  return { timeoutMs, memoryMB };
}

export type JobBytes = { bundle: Uint8Array; input: Uint8Array };

/**
 * Downloads a job's workload bundle and input, checking each against its digest.
 * @example const { bundle, input } = await fetchJobBytes(posted)
 */
export async function fetchJobBytes(job: Pick<PostedJob, 'workloadURI' | 'workloadDigest' | 'inputURI' | 'inputDigest'>): Promise<JobBytes> {
  const [bundle, input] = await Promise.all([
    fetchBlob(job.workloadURI, job.workloadDigest, { maxBytes: MAX_BLOB_BYTES }),
    fetchBlob(job.inputURI, job.inputDigest, { maxBytes: MAX_BLOB_BYTES }),
  ]);
  return { bundle, input };
}

export type ExecuteJobOptions = {
  /** Cut the time limit to what the deadline leaves (a provider's run). Default false (validators, arbiters). */
  cutToDeadline?: boolean | undefined;
  /** The job's bytes when already fetched (e.g. before bidding). */
  bytes?: JobBytes | undefined;
};

export type JobOutcome = {
  /** The output, or the failure record when the job failed deterministically. */
  output: Uint8Array;
  outputDigest: Hex;
  ms: number;
  /** Set when `output` is the failure record. */
  failure: WorkloadFailure | null;
};

/**
 * Fetches and runs a job under its own limits, holding one process-wide compute slot for the fetch and the run.
 * A deterministic failure (invalid bundle or input, a trap, memory at the job's limit, an output over the cap)
 * gives the canonical failure record as the output; anything else (a fetch, a timeout, a sandbox that died)
 * throws, and may be retried. A compute-to-data input (a `machina-data` reference) is not run here: only the provider
 * its licences are bound to can resolve it (provider/dataJob.ts, which passes the resolved `bytes`); anyone else gets
 * DataJobNotResolvableError (never a failure record, so nobody disputes a result they cannot reproduce).
 * @example
 * const { outputDigest, failure } = await executeJob(posted)
 */
export async function executeJob(job: PostedJob, opts: ExecuteJobOptions = {}): Promise<JobOutcome> {
  return withComputeSlot(async () => {
    const started = performance.now();
    const { bundle, input } = opts.bytes ?? (await fetchJobBytes(job));
    if (isDataReference(input)) throw new DataJobNotResolvableError(`job ${job.jobId} trains on licensed data (a machina-data reference): only the provider its licences are bound to can run it`);
    const limits = jobLimits(job, opts.cutToDeadline ? { deadline: job.deadline } : undefined);
    try {
      if (limits.timeoutMs < 1) throw new WorkloadError('timeout', `no time left before the deadline ${job.deadline}`, { deterministic: false });
      const r = await runWorkload(bundle, input, limits);
      return { ...r, failure: null };
    } catch (err) {
      const failure = deterministicFailure(err);
      if (!failure) throw err;
      const output = failureRecord(failure.code, failure.field);
      return { output, outputDigest: sha256Hex(output), ms: performance.now() - started, failure };
    }
  });
}
