// Running a posted job: fetch its workload and input (each checked against the digest the buyer committed to),
// then run them in the sandbox. Shared by the worker (which commits the result) and the validator (which compares).
import { fetchBlob } from '../blobs.ts';
import { runWorkload, type RunLimits } from '../workloads/index.ts';
import type { PostedJob } from './logs.ts';
import type { Hex } from 'viem';

/** Sandbox limits when none are given: generous for the demo workloads, small enough to keep a machine usable. */
export const DEFAULT_LIMITS: RunLimits = { timeoutMs: 60_000, memoryMB: 512 };

/** Largest workload bundle or input a provider downloads. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;

/**
 * Fetches and runs a job; the time limit is cut to what is left before the job's deadline.
 * @example
 * const { output, outputDigest } = await executeJob(posted, { timeoutMs: 10_000, memoryMB: 256 })
 */
export async function executeJob(job: PostedJob, limits: RunLimits = DEFAULT_LIMITS, now = Date.now()): Promise<{ output: Uint8Array; outputDigest: Hex; ms: number }> {
  const [bundle, input] = await Promise.all([
    fetchBlob(job.workloadURI, job.workloadDigest, { maxBytes: MAX_BLOB_BYTES }),
    fetchBlob(job.inputURI, job.inputDigest, { maxBytes: MAX_BLOB_BYTES }),
  ]);
  const left = job.deadline * 1000 - now;
  const timeoutMs = Math.max(1_000, Math.min(limits.timeoutMs, left > 0 ? left : limits.timeoutMs));
  return runWorkload(bundle, input, { ...limits, timeoutMs });
}
