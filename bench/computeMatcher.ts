// Off-chain matcher throughput: 10k providers and 100k open jobs (seeded, 5 device kinds, 5 regions), matched in
// FIFO order by Matcher.matchAll on one core. Baseline in the same run: the rules applied literally
// (matchBruteForce scans every provider per job) on the first jobs by id, scaled per job; FIFO makes those
// jobs' outcomes independent of later ones, so the two are also checked to agree.
import { Matcher, matchBruteForce, type JobNeeds, type MatchOutcome, type ProviderOffer } from '../src/compute/matcher.ts';

export type ComputeMatcherParameters = {
  log?: (line: string) => void;
  providers?: number;
  jobs?: number;
  /** Jobs given to the brute-force baseline. */
  baselineJobs?: number;
  runs?: number;
  seed?: number;
};

export type ComputeMatcherResult = {
  providers: number;
  jobs: number;
  deviceKinds: number;
  regions: number;
  /** Adding every provider to a fresh index, ms. */
  indexMs: number;
  /** matchAll over every job, best of `runs` on fresh indexes (includes sorting the buckets), ms. */
  matchAllMs: number;
  matchedJobs: number;
  /** Replica slots assigned (matched jobs times their replicas). */
  assignments: number;
  /** Jobs decided (matched or not) per second by matchAll. */
  jobsPerSec: number;
  /** Jobs matched per second by matchAll: the goal's figure. */
  matchesPerSec: number;
  assignmentsPerSec: number;
  /** The same jobs through match(job) one call at a time, jobs per second. */
  singleMatchJobsPerSec: number;
  baselineJobs: number;
  baselineMs: number;
  baselineJobsPerSec: number;
  baselineMatchesPerSec: number;
  /** matchesPerSec / baselineMatchesPerSec. */
  speedup: number;
  goalMatchesPerSec: number;
};

const NOW = 1_700_000_000;
const WINDOW = 120;
const KINDS = [
  // [kind, share of providers, share of jobs, typical price, memory choices in MB, devices per provider]
  { kind: 'cpu-x86', providers: 0.35, jobs: 0.35, price: 20, memory: [8_192, 16_384, 32_768, 65_536], devices: [8, 16, 32] },
  { kind: 'cpu-arm', providers: 0.15, jobs: 0.1, price: 15, memory: [8_192, 16_384, 32_768], devices: [8, 16, 32] },
  { kind: 'gpu-a100', providers: 0.2, jobs: 0.25, price: 300, memory: [40_960, 81_920], devices: [1, 2, 4, 8] },
  { kind: 'gpu-h100', providers: 0.1, jobs: 0.15, price: 500, memory: [81_920], devices: [1, 2, 4, 8] },
  { kind: 'gpu-rtx4090', providers: 0.2, jobs: 0.15, price: 80, memory: [24_576], devices: [1, 2, 4] },
];
const REGIONS = ['us-east', 'us-west', 'eu-central', 'asia-east', 'sa-east'];
const REGION_WEIGHTS = [0.3, 0.2, 0.25, 0.18, 0.07];

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const weighted = (weights: readonly number[]) => {
    let x = next();
    for (let i = 0; i < weights.length; i++) if ((x -= weights[i]!) < 0) return i;
    return weights.length - 1;
  };
  return { next, weighted, pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/** A seeded market: providers priced around their kind's price, jobs asking for a kind with a price ceiling around it. */
export function generateMarket(providerCount: number, jobCount: number, seed = 6) {
  const r = prng(seed);
  const providerShares = KINDS.map((k) => k.providers);
  const jobShares = KINDS.map((k) => k.jobs);
  const providers: ProviderOffer[] = Array.from({ length: providerCount }, (_, i) => {
    const k = KINDS[r.weighted(providerShares)]!;
    return {
      id: BigInt(i + 1),
      agentId: BigInt(100_000 + i),
      deviceKind: k.kind,
      deviceCount: r.pick(k.devices),
      memoryMB: r.pick(k.memory),
      region: REGIONS[r.weighted(REGION_WEIGHTS)]!,
      pricePerUnit: BigInt(Math.round(k.price * (0.6 + 0.8 * r.next()) * 1e6)),
      reputation: Math.min(100, Math.floor(40 + 60 * r.next() ** 0.5)),
      stakeFree: BigInt(Math.floor(r.next() * 10_000)) * 10n ** 18n,
      // A few percent missed their last heartbeats.
      lastSeen: NOW - (r.next() < 0.04 ? 300 + Math.floor(r.next() * 3_000) : Math.floor(r.next() * 60)),
    };
  });
  const jobs: JobNeeds[] = Array.from({ length: jobCount }, (_, i) => {
    const k = KINDS[r.weighted(jobShares)]!;
    const replicas = [1, 1, 1, 1, 1, 2, 3, 3, 5][Math.floor(r.next() * 9)]!;
    return {
      id: BigInt(i + 1),
      deviceKind: k.kind,
      minMemoryMB: r.next() < 0.5 ? 0 : r.pick(k.memory),
      region: r.next() < 0.4 ? '' : REGIONS[r.weighted(REGION_WEIGHTS)]!,
      maxPrice: BigInt(Math.round(k.price * (0.8 + 0.8 * r.next()) * 1e6)),
      replicas,
      minStake: BigInt(Math.floor(r.next() * 2_000)) * 10n ** 18n,
    };
  });
  return { providers, jobs };
}

const matched = (outcomes: readonly MatchOutcome[]) => outcomes.filter((o) => o.matched);

/**
 * Measure the off-chain matcher (CPU only, no chain).
 * @example computeMatcherReport(await measureComputeMatcher({ log: console.error }))
 */
export async function measureComputeMatcher({
  log = () => {},
  providers: providerCount = 10_000,
  jobs: jobCount = 100_000,
  baselineJobs = 2_000,
  runs = 5,
  seed = 6,
}: ComputeMatcherParameters = {}): Promise<ComputeMatcherResult> {
  const { providers, jobs } = generateMarket(providerCount, jobCount, seed);
  const options = { now: NOW, aliveWindow: WINDOW };
  const fresh = () => {
    const m = new Matcher({ aliveWindow: WINDOW });
    for (const p of providers) m.add(p);
    return m;
  };

  log(`matcher: ${providerCount.toLocaleString('en-US')} providers, matchAll over ${jobCount.toLocaleString('en-US')} jobs, best of ${runs} ...`);
  let indexMs = Infinity;
  let matchAllMs = Infinity;
  let outcomes: MatchOutcome[] = [];
  for (let run = 0; run < runs; run++) {
    let t0 = performance.now();
    const m = fresh();
    indexMs = Math.min(indexMs, performance.now() - t0);
    t0 = performance.now();
    outcomes = m.matchAll(jobs, options);
    matchAllMs = Math.min(matchAllMs, performance.now() - t0);
  }
  const won = matched(outcomes);
  const assignments = won.reduce((n, o) => n + (o.matched ? o.providers.length : 0), 0);

  log('matcher: the same jobs through match(job), one call each ...');
  let singleMs = Infinity;
  for (let run = 0; run < Math.min(runs, 3); run++) {
    const m = fresh();
    const t0 = performance.now();
    for (const j of jobs) m.match(j, options); // jobs are generated in id order
    singleMs = Math.min(singleMs, performance.now() - t0);
  }

  log(`matcher: brute-force baseline on the first ${baselineJobs.toLocaleString('en-US')} jobs ...`);
  const subset = jobs.slice(0, baselineJobs);
  const t0 = performance.now();
  const brute = matchBruteForce(providers, subset, options);
  const baselineMs = performance.now() - t0;
  const ours = fresh().matchAll(subset, options);
  if (JSON.stringify(brute, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(ours, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) {
    throw new Error('matcher bench: the matcher and the brute-force reference disagree on the baseline jobs');
  }

  const perSec = (n: number, msTaken: number) => (n * 1000) / msTaken;
  const matchesPerSec = perSec(won.length, matchAllMs);
  const baselineMatchesPerSec = perSec(matched(brute).length, baselineMs);
  return {
    providers: providerCount,
    jobs: jobCount,
    deviceKinds: KINDS.length,
    regions: REGIONS.length,
    indexMs,
    matchAllMs,
    matchedJobs: won.length,
    assignments,
    jobsPerSec: perSec(jobCount, matchAllMs),
    matchesPerSec,
    assignmentsPerSec: perSec(assignments, matchAllMs),
    singleMatchJobsPerSec: perSec(jobCount, singleMs),
    baselineJobs,
    baselineMs,
    baselineJobsPerSec: perSec(baselineJobs, baselineMs),
    baselineMatchesPerSec,
    speedup: matchesPerSec / baselineMatchesPerSec,
    goalMatchesPerSec: 50_000,
  };
}

/** Lines for `npm run bench`. */
export function computeMatcherReport(r: ComputeMatcherResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `Compute matcher (off chain, one core): ${n(r.providers)} providers (${r.deviceKinds} device kinds, ${r.regions} regions), ${n(r.jobs)} open jobs in FIFO order`,
    `  index build:                 ${r.indexMs.toFixed(1)} ms`,
    `  matchAll:                    ${r.matchAllMs.toFixed(1)} ms: ${n(r.matchedJobs)} jobs matched (${n(r.assignments)} replica slots), ${n(r.jobs - r.matchedJobs)} unmatched`,
    `  matches/s:                   ${n(r.matchesPerSec)} matched jobs, ${n(r.jobsPerSec)} jobs decided, ${n(r.assignmentsPerSec)} slots`,
    `  match(job) one call a job:   ${n(r.singleMatchJobsPerSec)} jobs decided/s`,
    `  brute force (${n(r.baselineJobs)} jobs, scaled): ${n(r.baselineMatchesPerSec)} matched jobs/s, ${n(r.baselineJobsPerSec)} jobs decided/s (${r.baselineMs.toFixed(0)} ms); same assignments`,
    `  ours ${r.speedup.toFixed(0)}x the brute force`,
    `  goal >= ${n(r.goalMatchesPerSec)} matches/s: ${r.matchesPerSec >= r.goalMatchesPerSec ? 'met' : 'NOT met'}`,
  ].join('\n');
}

// `node --import tsx bench/computeMatcher.ts` runs this benchmark alone.
if (process.argv[1]?.endsWith('computeMatcher.ts')) {
  process.stdout.write(`${computeMatcherReport(await measureComputeMatcher({ log: (l) => process.stderr.write(`${l}\n`) }))}\n`);
}
