// The lab's reports: charts are well-formed, accessible SVG with the series they promise and every text escaped; the
// CSV files read back to exactly the numbers of a real run; the run store lists and reads what it kept, and refuses
// ids and file names that would reach outside it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  csvField,
  eventsCsv,
  isRunId,
  listRuns,
  newRunId,
  parseCsv,
  parseSeriesCsv,
  readRun,
  readRunFile,
  runCharts,
  runFiles,
  saveRun,
  seriesCsv,
  sweepChart,
  sweepCsv,
  sweepFiles,
  toCsv,
} from '../../src/sim/report/index.ts';
import { parseScenario, runSimulation } from '../../src/sim/index.ts';
import { METRIC_KEYS, type MetricSummary, type MonteCarloResult, type RunMetrics, type SimRun, type SweepResult } from '../../src/sim/types.ts';

/** Checks that `xml` is well-formed enough for a browser and GitHub: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const text = xml.slice(last, m.index);
    assert.doesNotMatch(text, /</, `stray < before ${xml.slice(m.index, m.index + 60)}`);
    assert.doesNotMatch(text, /&(?!(?:amp|lt|gt|quot|#39);)/, `unescaped & in "${text.slice(0, 60)}"`);
    last = tag.lastIndex;
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.doesNotMatch(xml.slice(last), /</, 'a tag the checker could not read');
}

const summaryOf = (f: (k: keyof RunMetrics) => number): Record<keyof RunMetrics, MetricSummary> =>
  Object.fromEntries(METRIC_KEYS.map((k) => [k, { mean: f(k), p50: f(k) * 0.9, p95: f(k) * 1.4, min: f(k) * 0.5, max: f(k) * 2 }])) as Record<keyof RunMetrics, MetricSummary>;

/** A hand-made run: a crash at step n/2 with a pause, liquidations and bad debt, two strategies' PnL. */
function fakeRun(n: number, scenario = 'crash <&> "test"'): SimRun {
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const crash = Math.floor(n / 2);
  const price = col((i) => (i < crash ? 100 + Math.sin(i / 7) : i === crash ? 41.5 : 60 + (i - crash) * (40 / n)));
  const series = {
    columns: ['step', 'time', 'price', 'feed', 'twap', 'fee', 'paused', 'liquidations', 'liquidatedCollateral', 'badDebt', 'utilization', 'borrowRate', 'volume'],
    data: {
      step: col((i) => i),
      time: col((i) => 1_700_000_000 + 12 * i),
      price,
      feed: col((i) => price[i]! * 1.01),
      twap: col((i) => price[Math.max(0, i - 5)]!),
      fee: col((i) => (i >= crash && i < crash + 10 ? 9_000 : 3_000)),
      paused: col((i) => (i >= crash + 1 && i < crash + 6 ? 1 : 0)),
      liquidations: col((i) => (i >= crash && i < crash + 3 ? 2 : 0)),
      liquidatedCollateral: col((i) => (i >= crash && i < crash + 3 ? 12.5 : 0)),
      badDebt: col((i) => (i > crash ? 7.25 : 0)),
      utilization: col(() => 0.6),
      borrowRate: col(() => 0.05),
      volume: col((i) => i % 3),
    },
  };
  const pnlSeries = { columns: ['step', 'herd', 'market-maker'], data: { step: col((i) => i), herd: col((i) => -i / 10), 'market-maker': col((i) => i / 20) } };
  const metrics: RunMetrics = { maxDrawdown: 0.59, crashDepth: 0.585, maxMispricing: 0.6, underwaterDebt: 18.5, crashDuration: 1, timeToRecover: 40, liquidationVolume: 30, liquidationCount: 6, cascadeDepth: 3, badDebt: 7.25, realizedVol: 0.03, breakerTrips: 1, pausedSteps: 5, minPrice: 41.5, finalPrice: 99 };
  return {
    scenario,
    seed: 7,
    steps: n,
    agents: 3,
    decisions: 3 * n,
    wallMs: 12,
    series,
    pnlSeries,
    events: [
      { step: crash, kind: 'shock', detail: { size: -0.4, note: 'feed drop, "big"' } },
      { step: crash + 1, kind: 'breaker', detail: { action: 'trip', move: 0.55 } },
      { step: crash, kind: 'liquidation', detail: { borrower: '0xabc', repaid: 10, seized: 12.5 } },
      { step: crash + 6, kind: 'breaker', detail: { action: 'recover' } },
    ],
    pnl: [
      { id: 0, strategy: 'herd', herd: true, startValue: 100, endValue: 90, pnl: -10 },
      { id: 1, strategy: 'market-maker', herd: false, startValue: 100, endValue: 105, pnl: 5 },
    ],
    metrics,
  };
}

function fakeMonteCarlo(run: SimRun): MonteCarloResult {
  return { scenario: run.scenario, seeds: [7, 8], runs: [{ ...run.metrics, seed: 7 }, { ...run.metrics, crashDepth: 0.4, seed: 8 }], summary: summaryOf((k) => run.metrics[k]), badDebtVaR95: 7.25, first: run };
}

function fakeSweep(): SweepResult {
  const xValues = [0, 0.2, 0.4, 0.6, 0.8];
  const seriesLabels = ['protections off', 'protections <on>'];
  const points = seriesLabels.flatMap((series, s) =>
    xValues.map((x) => ({ x, series, summary: summaryOf((k) => (k === 'crashDepth' ? 0.1 + x * (s === 0 ? 0.6 : 0.3) : k === 'badDebt' ? x * (s === 0 ? 100 : 20) : k === 'underwaterDebt' ? x * (s === 0 ? 300 : 50) : 1)), badDebtVaR95: x * (s === 0 ? 150 : 30) })),
  );
  return { scenario: 'herd & sweep', xParam: 'herdShare', xValues, seriesParam: 'protections', seriesLabels, points };
}

const seriesNames = (svg: string, kind: string) => [...svg.matchAll(new RegExp(`data-series="([^"]*)" data-kind="${kind}"`, 'g'))].map((m) => m[1]);

describe('charts', () => {
  it("draws a run's four charts as accessible, well-formed SVG with the promised series", () => {
    const charts = runCharts(fakeRun(300));
    for (const [name, svg] of Object.entries(charts)) {
      assertWellFormed(svg);
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 800 \d+" width="800" height="\d+" role="img" aria-label="[^"]+"><title>[^<]+<\/title><desc>/, name);
    }
    assert.deepEqual(seriesNames(charts.price, 'line'), ['pool price', 'external feed', 'TWAP']);
    assert.deepEqual(seriesNames(charts.price, 'span'), ['swaps paused']);
    assert.equal((charts.price.match(/data-kind="span">(.*?)<\/g>/)![1]!.match(/<rect/g) ?? []).length, 1, 'one paused span');
    assert.match(charts.price, /data-series="breaker trip" data-kind="markers" data-count="1"/, 'the trip is marked, the recovery is not');
    assert.match(charts.price, /data-series="shock" data-kind="markers" data-count="1"/);
    assert.deepEqual(seriesNames(charts.liquidations, 'bars'), ['collateral liquidated']);
    assert.deepEqual(seriesNames(charts.liquidations, 'line'), ['bad debt (cumulative)']);
    assert.deepEqual(seriesNames(charts.pnl, 'line'), ['herd', 'market-maker']);
    assert.deepEqual(seriesNames(charts.breaker, 'line'), ['swap fee']);
  });

  it('escapes every text it is given', () => {
    const { price } = runCharts(fakeRun(50, '<script>alert("x")</script> & co'));
    assert.doesNotMatch(price, /<script/);
    assert.match(price, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; co/);
    const sweep = sweepChart(fakeSweep());
    assertWellFormed(sweep);
    assert.match(sweep, />protections &lt;on&gt;<\/text>/);
    assert.match(sweep, /herd &amp; sweep/);
  });

  it('thins a long run to about one point per pixel and keeps the crash', () => {
    const n = 20_000;
    const { price } = runCharts(fakeRun(n));
    const d = price.match(/d="([^"]*)" fill="none" stroke="[^"]*" stroke-width="2" stroke-linejoin="round" data-series="pool price"/)![1]!;
    const points = d.match(/[ML]/g)!.length;
    assert.ok(points <= 820, `${points} points`);
    const ys = [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    // The crash (the lowest price) is the lowest point drawn: the largest y in SVG coordinates.
    const lowest = Math.max(...ys);
    assert.ok(lowest > 250, `the crash is drawn near the bottom of the plot (y=${lowest})`);
    assert.ok(price.length < 120_000, `${price.length} bytes`);
  });

  it('draws a sweep: one mean line and one band per series, bad debt with its VaR, underwater debt with its p95', () => {
    const svg = sweepChart(fakeSweep());
    assert.match(svg, /role="img" aria-label="herd &amp; sweep: crash depth and debt vs herd share, by protections"/);
    assert.match(svg, />Underwater debt at the fundamental price/);
    assert.deepEqual(seriesNames(svg, 'band'), ['protections off: median–p95', 'protections &lt;on&gt;: median–p95']);
    assert.deepEqual(seriesNames(svg, 'line'), [
      'protections off',
      'protections &lt;on&gt;',
      'protections off',
      'protections off: VaR 95%',
      'protections &lt;on&gt;',
      'protections &lt;on&gt;: VaR 95%',
      'protections off',
      'protections off: p95',
      'protections &lt;on&gt;',
      'protections &lt;on&gt;: p95',
    ]);
    for (const x of ['0', '0.2', '0.4', '0.6', '0.8']) assert.match(svg, new RegExp(`text-anchor="middle">${x.replace('.', '\\.')}</text>`), `x tick ${x}`);
  });

  it('draws a sweep kept before underwater debt existed with its two panels', () => {
    const old = fakeSweep();
    for (const p of old.points) delete (p.summary as Partial<SweepResult['points'][number]['summary']>).underwaterDebt;
    const svg = sweepChart(old);
    assertWellFormed(svg);
    assert.match(svg, /aria-label="herd &amp; sweep: crash depth and bad debt vs herd share, by protections"/);
    assert.doesNotMatch(svg, /Underwater debt/);
    assert.equal(seriesNames(svg, 'line').length, 6);
  });
});

describe('CSV', () => {
  it('quotes fields as RFC 4180 says and reads them back', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(-0), '0');
    assert.equal(csvField(null), '');
    const rows = [['a', 'b,c', 'd"e', 'f\r\ng', ''], ['1', '', '"', ',', 'x']];
    const text = toCsv(rows[0]!, [rows[1]!]);
    assert.ok(text.endsWith('\r\n'));
    assert.deepEqual(parseCsv(text), rows);
  });

  it('neutralises text a spreadsheet would run as a formula, not numbers', () => {
    for (const f of ['=SUM(A1)', '+1', '-2+3', '@cmd', '\t=x', '\r=x']) assert.ok(csvField(f).replace(/^"/, '').startsWith("'"), f);
    assert.equal(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
    assert.equal(csvField(-1.5), '-1.5');
    assert.equal(csvField('a=b'), 'a=b');
    assert.equal(toCsv(['note'], [['=1+1']]), "note\r\n'=1+1\r\n");
  });

  it('writes a series table that reads back to the same doubles', () => {
    const run = fakeRun(500);
    run.series.data.price![3] = 0.1 + 0.2;
    run.series.data.price![4] = 1e-300;
    const back = parseSeriesCsv(seriesCsv(run.series));
    assert.deepEqual(back.columns, run.series.columns);
    for (const c of run.series.columns) assert.deepEqual(back.data[c], run.series.data[c], c);
  });

  it("round-trips a real run's series, PnL and events", () => {
    // A small market with a crash the breaker catches: herding AI traders, a whale's sale, borrowers to liquidate.
    const scenario = parseScenario(
      {
        steps: 300,
        agents: { ai: 8, herdShare: 0.75, momentum: 2, marketMaker: 1, arbitrageur: 1, liquidator: 1 },
        market: { breaker: { threshold: 30_000 } },
        lending: { borrowers: { count: 30 } },
        shocks: [{ kind: 'feed', step: 150, change: -0.25 }, { kind: 'sell', step: 150, amount: 3_000 }],
      },
      'real, small',
    );
    const run = runSimulation(scenario, 3);
    for (const t of [run.series, run.pnlSeries]) {
      const back = parseSeriesCsv(seriesCsv(t));
      assert.deepEqual(back.columns, t.columns);
      for (const c of t.columns) assert.deepEqual(back.data[c], t.data[c], c);
    }
    assert.equal(run.series.data.price!.length, 300);
    const events = parseCsv(eventsCsv(run.events));
    assert.equal(events.length, run.events.length + 1);
    assert.deepEqual(events.slice(1).map((r) => [Number(r[0]), r[1]]), run.events.map((e) => [e.step, e.kind]));
    assert.equal(new Set(events[0]).size, events[0]!.length, 'no two columns share a name');
    const charts = runCharts(run);
    for (const svg of Object.values(charts)) assertWellFormed(svg);
    const trips = run.events.filter((e) => e.kind === 'breaker').length;
    assert.match(charts.breaker, new RegExp(`data-series="breaker trip" data-kind="markers" data-count="${trips}"`));
  });

  it('writes events with one column per detail key', () => {
    const rows = parseCsv(eventsCsv(fakeRun(100).events));
    assert.deepEqual(rows[0], ['step', 'kind', 'action', 'borrower', 'move', 'note', 'repaid', 'seized', 'size']);
    assert.deepEqual(rows[1], ['50', 'shock', '', '', '', 'feed drop, "big"', '', '', '-0.4']);
  });

  it('writes a sweep one row per point', () => {
    const rows = parseCsv(sweepCsv(fakeSweep()));
    assert.equal(rows.length, 1 + 10);
    assert.deepEqual(rows[0]!.slice(0, 4), ['protections', 'herdShare', 'maxDrawdown_mean', 'maxDrawdown_p50']);
    assert.equal(rows[0]!.at(-1), 'badDebtVaR95');
    assert.deepEqual(rows[10]!.slice(0, 2), ['protections <on>', '0.8']);
  });
});

describe('run store', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-sim-store-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names runs by time and scenario, and knows its own ids', () => {
    const id = newRunId('Herd Sweep!', new Date('2026-11-25T12:15:00Z'), 'ab12');
    assert.equal(id, '20261125-121500-herd-sweep-ab12');
    assert.ok(isRunId(id));
    for (const bad of ['..', '../etc', 'a/b', '20261125-121500-x-ab12/..', '.20261125-121500-x-ab12.partial', '20261125-121500--ab12', '']) assert.equal(isRunId(bad), false, bad);
  });

  it('keeps a run and a sweep, lists them newest first and reads them back', () => {
    const run = fakeRun(200, 'crash');
    const mc = fakeMonteCarlo(run);
    const out = path.join(dataDir, 'out');
    const runId = newRunId('crash', new Date('2026-11-25T12:00:00Z'), '0001');
    const saved = saveRun({ dataDir, id: runId, files: runFiles(mc, { id: runId, createdAt: '2026-11-25T12:00:00.000Z', scenario: { name: 'crash', steps: 200 } }).files, out });
    assert.equal(saved.out, out);
    for (const f of ['summary.json', 'series.csv', 'events.csv', 'pnl.csv', 'agents.csv', 'runs.csv', 'charts/price.svg', 'charts/liquidations.svg', 'charts/pnl.svg', 'charts/breaker.svg', 'report.html']) {
      assert.equal(readFileSync(path.join(out, f), 'utf8'), readFileSync(path.join(saved.dir, f), 'utf8'), f);
    }
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script|<link|\ssrc=|@import|url\(/, 'the report loads nothing from elsewhere');
    assert.match(html, /<a href="series\.csv">series\.csv<\/a>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
    assert.match(html, /<td>max mispricing<\/td><td>0\.6<\/td>/);
    assert.match(html, /<td>underwater debt<\/td><td>18\.5<\/td>/);
    const sweepHtml = sweepFiles(fakeSweep(), { id: runId, createdAt: '2026-11-25T12:05:00.000Z', scenario: {} }).files['report.html']!;
    assert.match(sweepHtml, /<th scope="col">max mispricing mean<\/th>.*<th scope="col">underwater debt mean<\/th>/);

    const sweepId = newRunId('herd', new Date('2026-11-25T12:05:00Z'), '0002');
    saveRun({ dataDir, id: sweepId, files: sweepFiles(fakeSweep(), { id: sweepId, createdAt: '2026-11-25T12:05:00.000Z', scenario: {}, seeds: 4, steps: 100 }).files });
    // Not runs: a half-written directory, a foreign one.
    mkdirSync(path.join(dataDir, 'sim', 'runs', `.${newRunId('x')}.partial`), { recursive: true });
    mkdirSync(path.join(dataDir, 'sim', 'runs', 'notes'), { recursive: true });
    writeFileSync(path.join(dataDir, 'sim', 'runs', 'notes', 'summary.json'), '{"kind":"run"}');

    const list = listRuns(dataDir);
    assert.deepEqual(list.map((r) => [r.id, r.kind]), [[sweepId, 'sweep'], [runId, 'run']]);
    assert.equal(list[1]!.crashDepth, mc.summary.crashDepth.mean);
    assert.equal(list[1]!.seeds, 2);
    assert.equal(list[0]!.crashDepth, 0.1 + 0.8 * 0.6, "a sweep's worst point");
    assert.equal(list[0]!.seeds, 4);

    const back = readRun(dataDir, runId)!;
    assert.equal(back.summary.kind, 'run');
    assert.deepEqual(Object.keys(back.charts).sort(), ['breaker', 'liquidations', 'pnl', 'price']);
    assert.equal(back.charts.price, runCharts(run).price);
    assert.equal(readRun(dataDir, sweepId)!.charts.sweep, sweepChart(fakeSweep()));
    assert.equal(readRun(dataDir, newRunId('none')), null);
    assert.equal(readRunFile(dataDir, runId, 'series.csv'), seriesCsv(run.series));
    assert.equal(readRunFile(dataDir, runId, 'nothing.csv'), null);
  });

  it('refuses ids and file names that reach outside the run', () => {
    const id = listRuns(dataDir).at(-1)!.id;
    for (const bad of ['../../etc', '..', `${id}/../..`, '/etc', 'C:\\x']) {
      assert.throws(() => readRun(dataDir, bad), (e: any) => e.field === 'id', bad);
      assert.throws(() => readRunFile(dataDir, bad, 'series.csv'), (e: any) => e.field === 'id', bad);
    }
    for (const bad of ['../summary.json', '../../x.csv', 'charts/../../x.svg', '/etc/passwd', 'a\\b.csv', 'x.sh']) {
      assert.throws(() => readRunFile(dataDir, id, bad), (e: any) => e.field === 'file', bad);
    }
  });
});
