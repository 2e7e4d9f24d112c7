// Monte Carlo over seeds: one run per seed (in worker threads when asked), each run's metrics, their summary
// (mean, p50, p95, min, max) and the value-at-risk of bad debt (its 95th percentile across runs).
import { InvalidArgumentError } from '../errors/base.ts';
import { runSimulation } from './engine.ts';
import { percentile } from './metrics.ts';
import { seedsOf, type Scenario } from './scenario.ts';
import { METRIC_KEYS, type MetricSummary, type MonteCarloResult, type Progress, type RunMetrics } from './types.ts';
import { runPool, type Job } from './worker.ts';

export type MonteCarloOptions = { seeds?: number[] | undefined; onProgress?: Progress | undefined; workers?: number | undefined };

/** mean, p50, p95, min and max of each metric over runs. */
export function summarize(runs: readonly RunMetrics[]): Record<keyof RunMetrics, MetricSummary> {
  const out = {} as Record<keyof RunMetrics, MetricSummary>;
  for (const k of METRIC_KEYS) {
    const xs = runs.map((r) => r[k]);
    out[k] = {
      mean: xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0,
      p50: percentile(xs, 0.5),
      p95: percentile(xs, 0.95),
      min: xs.length ? minOf(xs) : 0,
      max: xs.length ? maxOf(xs) : 0,
    };
  }
  return out;
}

function minOf(xs: readonly number[]): number {
  let m = Number.POSITIVE_INFINITY;
  for (const x of xs) if (x < m) m = x;
  return m;
}

function maxOf(xs: readonly number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/**
 * Runs the scenario once per seed (the scenario's seeds unless given).
 * @example const mc = await runMonteCarlo(loadScenario('flash-crash'), { workers: 4 }); mc.badDebtVaR95;
 */
export async function runMonteCarlo(sc: Scenario, o: MonteCarloOptions = {}): Promise<MonteCarloResult> {
  const seeds = o.seeds ?? seedsOf(sc);
  if (seeds.length === 0) throw new InvalidArgumentError('seeds', 'at least one seed is needed');
  const jobs: Job[] = seeds.map((seed, i) => ({ scenario: sc, seed, whole: i === 0 }));
  let first = null as MonteCarloResult['first'] | null;
  const metrics = await runPool(jobs, {
    workers: o.workers,
    onProgress: o.onProgress,
    runWhole: (job) => runSimulation(job.scenario, job.seed),
    onWhole: (run) => {
      first = run;
    },
  });
  if (first === null) throw new Error('runMonteCarlo: the first run was not kept whole');
  const runs = metrics.map((m, i) => ({ ...m, seed: seeds[i]! }));
  return { scenario: sc.name, seeds, runs, summary: summarize(runs), badDebtVaR95: percentile(runs.map((r) => r.badDebt), 0.95), first };
}
