// The engine: a run is deterministic per (scenario, seed) and has the pinned shape; whale orders are worked until
// filled; and what honestly holds of the lab's result, on a small, fast version of scenarios/herd-sweep.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadScenario, parseScenario, runSimulation, runSweep, setParam, SERIES_COLUMNS, type Scenario } from '../../src/sim/index.ts';

/** herd-sweep at 30% of its size: 300 agents, 360 steps, the shock at step 200. */
function small(): Scenario {
  const base = loadScenario('herd-sweep');
  const k = 0.3;
  const { name: _name, sweep: _sweep, ...rest } = base;
  return parseScenario(
    {
      ...rest,
      steps: 360,
      agents: { ...base.agents, total: 1000 * k },
      market: { ...base.market, liquidity: base.market.liquidity * k },
      lending: { ...base.lending, supply: base.lending.supply * k, borrowers: { ...base.lending.borrowers, count: Math.round(base.lending.borrowers.count * k) } },
      shocks: [{ step: 200, kind: 'feed', change: -0.2 }, { step: 200, kind: 'sell', amount: 5000 * k }],
    },
    'small-herd-sweep',
  );
}

describe('engine', () => {
  it('returns the pinned SimRun shape, deterministically per seed', () => {
    const sc = small();
    const progress: [number, number][] = [];
    const a = runSimulation(sc, 7, { onProgress: (d, t) => progress.push([d, t]) });
    const b = runSimulation(sc, 7);
    const c = runSimulation(sc, 8);
    assert.equal(a.scenario, 'small-herd-sweep');
    assert.equal(a.agents, 300);
    assert.equal(a.steps, 360);
    assert.equal(a.decisions, 300 * 360);
    for (const col of ['step', 'time', 'price', 'feed', 'twap', 'fee', 'paused', 'liquidations', 'liquidatedCollateral', 'badDebt', 'utilization', 'borrowRate', 'volume']) {
      assert.ok(a.series.columns.includes(col), col);
      assert.equal(a.series.data[col]!.length, 360, col);
    }
    assert.deepEqual(a.series.columns, [...SERIES_COLUMNS]);
    assert.deepEqual(a.series, b.series, 'same seed, same run');
    assert.deepEqual(a.metrics, b.metrics);
    assert.deepEqual(a.events, b.events);
    assert.notDeepEqual(a.series.data.price, c.series.data.price, 'another seed, another run');
    assert.deepEqual(progress.at(-1), [360, 360]);
    assert.equal(a.pnl.length, 300);
    assert.ok(a.pnl.some((p) => p.herd && p.strategy === 'herd'));
    assert.equal(a.pnlSeries.columns[0], 'step');
    for (const k of new Set(a.pnl.map((p) => p.strategy))) assert.ok(a.pnlSeries.columns.includes(k), k);
    assert.ok(a.events.some((e) => e.kind === 'shock'));
    assert.ok(a.events.some((e) => e.kind === 'liquidation'), 'the crash liquidates borrowers');
    // the feed shock is in the feed column; time advances one block per step
    const feed = a.series.data.feed!;
    assert.ok(feed[200]! / feed[199]! < 0.85);
    assert.equal(a.series.data.time![1]! - a.series.data.time![0]!, sc.blockSeconds);
  });

  it('what holds on the herd sweep: protections cut crash depth and bad debt but hold the pool off the feed; a herd adds bad debt', () => {
    // Honest version of the lab's result (see scenarios/README.md, "What the sweep shows"). Crash depth growing
    // with the herd share is NOT asserted: it shows on this small scenario but not on the shipped 16-seed sweep.
    const seeds = [1, 2, 3];
    type Key = 'crashDepth' | 'badDebt' | 'maxMispricing';
    const stats = (sc: Scenario) => {
      const ms = seeds.map((seed) => runSimulation(sc, seed).metrics);
      const mean = (k: Key) => ms.reduce((s, m) => s + m[k], 0) / ms.length;
      return { depth: mean('crashDepth'), bad: mean('badDebt'), mis: mean('maxMispricing') };
    };
    const sc = small();
    const at = (herd: number, prot: 'on' | 'off') => setParam(setParam(sc, 'agents.herdShare', herd), 'protections', prot);
    const off0 = stats(at(0, 'off'));
    const off8 = stats(at(0.8, 'off'));
    const on8 = stats(at(0.8, 'on'));
    const msg = JSON.stringify({ off0, off8, on8 });
    assert.ok(off8.bad > off0.bad, `bad debt grows with the herd: ${msg}`);
    assert.ok(on8.depth < off8.depth / 2, `protections cut the crash below the feed: ${msg}`);
    assert.ok(on8.bad < off8.bad, `protections cut bad debt: ${msg}`);
    assert.ok(on8.mis > off8.mis, `but the breaker holds the pool further from the feed (above it): ${msg}`);
  });

  it('a whale order the breaker stops is split and worked until filled, not dropped', () => {
    const sc = setParam(setParam(small(), 'protections', 'on'), 'agents.herdShare', 0);
    const run = runSimulation(sc, 1);
    const left = run.series.data.whaleLeft!;
    assert.ok(left[200]! > 0, 'the first, whole order trips the breaker');
    assert.ok(run.metrics.breakerTrips > 0);
    assert.equal(left[359], 0, 'sold by the end');
    for (const col of ['underwaterDebt', 'offPoolFlow', 'whaleLeft']) assert.equal(run.series.data[col]!.length, 360, col);
    const u = run.series.data.utilization!;
    assert.ok(u[359]! !== u[1]!, 'interest accrues every step, so utilization moves');
  });

  it('sweeps a parameter grid, in worker threads', async () => {
    const sc = setParam(small(), 'steps', 120);
    const withSweep = parseScenario({ ...sc, name: undefined, shocks: [], sweep: { x: { param: 'agents.herdShare', values: [0, 0.8] }, series: { param: 'protections', values: ['off', 'on'] } } }, 'grid');
    let last = 0;
    const r = await runSweep(withSweep, { seeds: [1, 2], workers: 2, onProgress: (d, t) => { last = d; assert.equal(t, 8); } });
    assert.equal(last, 8);
    assert.equal(r.xParam, 'agents.herdShare');
    assert.deepEqual(r.seriesLabels, ['off', 'on']);
    assert.equal(r.points.length, 4);
    const inline = await runSweep(withSweep, { seeds: [1, 2], workers: 1 });
    assert.deepEqual(r.points, inline.points, 'workers change nothing');
  });
});
