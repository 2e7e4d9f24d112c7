// Parameter sweeps: the scenario's Monte Carlo at every point of an x grid (e.g. agents.herdShare 0..0.8), once
// per series value (e.g. protections off / on).
import { summarize } from './montecarlo.ts';
import { percentile } from './metrics.ts';
import { seedsOf, setParam, type Scenario } from './scenario.ts';
import type { Progress, SweepPoint, SweepResult } from './types.ts';
import { runPool, type Job } from './worker.ts';
import { runSimulation } from './engine.ts';
import { InvalidArgumentError } from '../errors/base.ts';

export type SweepOptions = { onProgress?: Progress | undefined; workers?: number | undefined; seeds?: number[] | undefined };

/**
 * Runs the scenario's `sweep` block.
 * @example const s = await runSweep(loadScenario('herd-sweep'), { onProgress }); s.points[0].summary.crashDepth.mean;
 */
export async function runSweep(sc: Scenario, o: SweepOptions = {}): Promise<SweepResult> {
  if (!sc.sweep) throw new InvalidArgumentError('scenario.sweep', `scenario ${sc.name} has no sweep block`);
  const { x, series } = sc.sweep;
  const seeds = o.seeds ?? seedsOf(sc);
  const labels = series ? series.values.map(String) : ['all'];
  const grid: { x: number; label: string; sc: Scenario }[] = [];
  for (const [li, label] of labels.entries()) {
    const base = series ? setParam(sc, series.param, series.values[li]!, 'scenario.sweep.series.param') : sc;
    for (const xv of x.values) grid.push({ x: xv, label, sc: setParam(base, x.param, xv, 'scenario.sweep.x.param') });
  }
  const jobs: Job[] = [];
  for (const g of grid) for (const seed of seeds) jobs.push({ scenario: g.sc, seed, whole: false });
  const metrics = await runPool(jobs, {
    workers: o.workers,
    onProgress: o.onProgress,
    runWhole: (job) => runSimulation(job.scenario, job.seed),
    onWhole: () => {},
  });
  const points: SweepPoint[] = grid.map((g, gi) => {
    const runs = metrics.slice(gi * seeds.length, (gi + 1) * seeds.length);
    return { x: g.x, series: g.label, summary: summarize(runs), badDebtVaR95: percentile(runs.map((r) => r.badDebt), 0.95) };
  });
  return { scenario: sc.name, xParam: x.param, xValues: [...x.values], seriesParam: series?.param ?? null, seriesLabels: labels, points };
}
