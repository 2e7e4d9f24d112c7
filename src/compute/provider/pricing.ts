// A provider's pricing: its ask for one job, from its base price and how busy it is, never above what the
// buyer offers. Pure, so the daemon, the simulator and the tests price the same way.

export type QuoteInput = {
  /** The provider's base ask per unit (settlement-token base units). */
  basePricePerUnit: bigint;
  /** Jobs it is running or committed to right now. */
  activeJobs: number;
  /** How many jobs it can run at once (its device count). */
  capacity: number;
  /** The job's highest price per unit. */
  maxPricePerUnit: bigint;
  /** Extra asked per unit of load, in basis points of the base price at full load (default 2,500 = +25 %). */
  surgeBps?: number;
};

export type Quote = { ok: true; pricePerUnit: bigint } | { ok: false; reason: 'busy' | 'price-too-low' };

/**
 * The ask for a job: the base price plus a surcharge proportional to the load, or a reason to skip it.
 * A full provider does not bid (the market would refuse it anyway).
 * @example
 * quote({ basePricePerUnit: 1000n, activeJobs: 0, capacity: 2, maxPricePerUnit: 5000n }) // { ok: true, pricePerUnit: 1000n }
 */
export function quote({ basePricePerUnit, activeJobs, capacity, maxPricePerUnit, surgeBps = 2_500 }: QuoteInput): Quote {
  if (capacity <= 0 || activeJobs >= capacity) return { ok: false, reason: 'busy' };
  const load = BigInt(Math.round((activeJobs / capacity) * 10_000));
  const ask = basePricePerUnit + (basePricePerUnit * BigInt(surgeBps) * load) / 100_000_000n;
  if (ask > maxPricePerUnit) {
    // Under load the surcharge is the first thing given up: the base price still wins the job if the buyer pays it.
    if (basePricePerUnit <= maxPricePerUnit) return { ok: true, pricePerUnit: maxPricePerUnit };
    return { ok: false, reason: 'price-too-low' };
  }
  return { ok: true, pricePerUnit: ask };
}

/** What a job needs against what the provider has; the first mismatch, or null when it can run the job. */
export function cannotRun(
  needs: { deviceKind: string; minMemoryMB: number; region: string },
  mine: { deviceKind: string; memoryMB: number; region: string },
): 'device-kind' | 'memory' | 'region' | null {
  if (needs.deviceKind !== mine.deviceKind) return 'device-kind';
  if (needs.minMemoryMB > mine.memoryMB) return 'memory';
  if (needs.region !== '' && needs.region !== mine.region) return 'region';
  return null;
}

/** The compute domain's seeded generator (mulberry32), re-exported for the daemon's callers. */
export { seededRng } from '../workloads/random.ts';
