// Metric definitions on hand-made series, percentiles, Monte Carlo summaries and the bad-debt VaR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cascadeDepth, computeMetrics, parseScenario, percentile, runMonteCarlo, summarize, type SeriesTable } from '../../src/sim/index.ts';

function series(cols: Record<string, number[]>): SeriesTable {
  const n = cols.price!.length;
  const zero = () => new Float64Array(n);
  const data: Record<string, Float64Array> = {};
  for (const c of ['price', 'feed', 'paused', 'liquidations', 'liquidationSales', 'repaid', 'badDebt', 'underwaterDebt']) data[c] = cols[c] ? Float64Array.from(cols[c]!) : zero();
  return { columns: Object.keys(data), data };
}

describe('metrics', () => {
  it('drawdown, crash depth below the feed, its duration and time to recover', () => {
    const s = series({
      price: [100, 100, 80, 70, 75, 79, 80, 80],
      feed: [100, 100, 80, 80, 80, 80, 80, 80],
      paused: [0, 0, 1, 1, 0, 0, 0, 0],
      badDebt: [0, 0, 0, 5, 5, 7, 7, 7],
    });
    const m = computeMetrics(s, { blockSeconds: 12, gap: 6, breakerTrips: 1 });
    assert.ok(Math.abs(m.maxDrawdown - 0.3) < 1e-12);
    assert.ok(Math.abs(m.crashDepth - 0.125) < 1e-12, 'the overshoot below the feed, not the fall with it');
    assert.equal(m.crashDuration, 2, 'steps 3 and 4 more than 2% below the feed');
    assert.equal(m.timeToRecover, 2, 'from step 3 until back within 2% at step 5');
    assert.equal(m.pausedSteps, 2);
    assert.equal(m.breakerTrips, 1);
    assert.equal(m.badDebt, 7);
    assert.equal(m.minPrice, 70);
    assert.equal(m.finalPrice, 80);
    assert.ok(m.realizedVol > 0);
  });

  it('mispricing counts a pool held above the feed; underwater debt is the peak of its column', () => {
    const m = computeMetrics(
      series({ price: [100, 100, 100, 95, 82], feed: [100, 80, 80, 80, 80], underwaterDebt: [0, 40, 55, 30, 0] }),
      { blockSeconds: 12, gap: 6, breakerTrips: 1 },
    );
    assert.equal(m.crashDepth, 0, 'never below the feed');
    assert.ok(Math.abs(m.maxMispricing - 0.25) < 1e-12, 'held 25% above it');
    assert.equal(m.underwaterDebt, 55);
  });

  it('a fall that follows the feed is no crash', () => {
    const m = computeMetrics(series({ price: [100, 90, 80], feed: [100, 90, 80] }), { blockSeconds: 12, gap: 6, breakerTrips: 0 });
    assert.equal(m.crashDepth, 0);
    assert.equal(m.timeToRecover, 0);
    assert.ok(m.maxDrawdown > 0.19);
  });

  it('cascade depth counts liquidation waves chained by liquidators selling collateral in between', () => {
    const liq = Float64Array.from([0, 3, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4]);
    const sold = Float64Array.from([0, 5, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(cascadeDepth(liq, sold, 3), 3, 'waves at 1, 3 and 6; 14 is too late');
    assert.equal(cascadeDepth(liq, new Float64Array(liq.length), 3), 1, 'no sales, no cascade');
    assert.equal(cascadeDepth(new Float64Array(5), new Float64Array(5), 3), 0);
  });

  it('percentiles interpolate; summaries carry mean, p50, p95, min and max', () => {
    assert.equal(percentile([3, 1, 2], 0.5), 2);
    assert.equal(percentile([0, 10], 0.95), 9.5);
    assert.equal(percentile([], 0.5), 0);
    const base = computeMetrics(series({ price: [1], feed: [1] }), { blockSeconds: 12, gap: 1, breakerTrips: 0 });
    const s = summarize([1, 2, 3, 4].map((b) => ({ ...base, badDebt: b })));
    assert.deepEqual(s.badDebt, { mean: 2.5, p50: 2.5, p95: percentile([1, 2, 3, 4], 0.95), min: 1, max: 4 });
  });

  it('Monte Carlo runs each seed, keeps the first run whole and reports the VaR of bad debt', async () => {
    const sc = parseScenario({ steps: 60, seeds: 3, agents: { ai: 20, herdShare: 0.5, arbitrageur: 2, liquidator: 2 }, lending: { borrowers: { count: 20 } } }, 'mc');
    const progress: number[] = [];
    const mc = await runMonteCarlo(sc, { workers: 1, onProgress: (d) => progress.push(d) });
    assert.deepEqual(mc.seeds, [1, 2, 3]);
    assert.equal(mc.runs.length, 3);
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(mc.first.seed, 1);
    assert.deepEqual({ ...mc.runs[0], seed: undefined }, { ...mc.first.metrics, seed: undefined });
    assert.equal(mc.badDebtVaR95, percentile(mc.runs.map((r) => r.badDebt), 0.95));
    assert.equal(mc.summary.crashDepth.max, mc.runs.reduce((m, r) => Math.max(m, r.crashDepth), 0));
    assert.ok('maxMispricing' in mc.summary && 'underwaterDebt' in mc.summary);
    await assert.rejects(runMonteCarlo(sc, { seeds: [] }), /seeds: at least one seed/);
  });
});
