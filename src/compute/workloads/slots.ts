// One process-wide limit on how many workloads are fetched and run at once. Every job a provider, validator or
// arbiter executes (its fetch and its run), and every direct runWorkload call, holds a slot; the rest queue in
// call order. Without it, a flood of jobs (e.g. optimistic jobs nobody can take, each re-executed by every
// validator) would start one sandbox per job. Nested calls (runWorkload inside a job that already holds a slot)
// reuse the caller's slot.
import { AsyncLocalStorage } from 'node:async_hooks';
import { availableParallelism } from 'node:os';

const held = new AsyncLocalStorage<true>();
let limit = Math.max(1, availableParallelism());
let active = 0;
let peak = 0;
let acquired = 0;
const waiting: Array<() => void> = [];

export type ComputeSlotStats = {
  /** Slots in use now. */
  active: number;
  /** Callers waiting for a slot. */
  queued: number;
  /** The most slots in use at once since the last reset. */
  peak: number;
  /** Slots handed out since the last reset. */
  acquired: number;
  limit: number;
};

/**
 * Sets how many workloads run at once in this process (default: os.availableParallelism()).
 * @example setComputeConcurrency(2)
 */
export function setComputeConcurrency(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`compute concurrency must be a positive integer, got ${n}`);
  limit = n;
  pump();
}

/** The slot counters (`reset` zeroes peak and acquired). */
export function computeSlotStats(reset = false): ComputeSlotStats {
  const s = { active, queued: waiting.length, peak, acquired, limit };
  if (reset) {
    peak = active;
    acquired = 0;
  }
  return s;
}

function pump(): void {
  while (active < limit && waiting.length > 0) {
    active++;
    acquired++;
    peak = Math.max(peak, active);
    waiting.shift()!();
  }
}

/**
 * Runs `fn` holding one compute slot (waiting for one if all are taken); a call already holding one reuses it.
 * @example const r = await withComputeSlot(() => runWorkload(bundle, input, limits))
 */
export async function withComputeSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (held.getStore()) return fn();
  await new Promise<void>((resolve) => {
    waiting.push(resolve);
    pump();
  });
  try {
    return await held.run(true, fn);
  } finally {
    active--;
    pump();
  }
}
