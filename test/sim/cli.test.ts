// `machina sim run|sweep|list` from the command line, through the executable's own entry point (one CLI host for the
// file): a tiny scenario runs over two seeds, its report lands in --out and in the data directory, and the numbers the
// command prints are the numbers in the CSV files beside the report. Bad input is refused naming the field.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../../src/sim/report/csv.ts';
import { runCliInHost, startCliHost, stopCliHost } from '../helpers/cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'machina-sim-cli-'));
const dataDir = path.join(tmp, 'data');
const machina = (...args: string[]) => runCliInHost(args, { MACHINA_DATA_DIR: dataDir }, { cwd: tmp });

/** A small market with a crash in the middle: AI traders (half of them herding), a market maker, an arbitrageur, a liquidator. */
const tiny = {
  name: 'tiny-crash',
  steps: 240,
  seeds: 2,
  agents: { ai: 6, herdShare: 0.5, momentum: 2, marketMaker: 1, arbitrageur: 1, liquidator: 1 },
  lending: { borrowers: { count: 20 } },
  shocks: [{ kind: 'feed', step: 120, change: -0.3 }],
};

async function refused(args: string[], field: string, message: RegExp) {
  const r = await machina(...args, '--json');
  assert.equal(r.code, 1, `${args.join(' ')}: expected a refusal, got ${r.code}: ${r.stdout}${r.stderr}`);
  const e = r.json().error;
  assert.equal(e.field, field, `${args.join(' ')}: ${JSON.stringify(e)}`);
  assert.match(e.message, message, `${args.join(' ')}: ${JSON.stringify(e)}`);
}

const column = (csv: string, name: string) => {
  const [header, ...rows] = parseCsv(csv);
  const j = header!.indexOf(name);
  assert.ok(j >= 0, `no column ${name} in ${header!.join(',')}`);
  return rows.map((r) => Number(r[j]));
};

describe('machina sim CLI', () => {
  const scenarioFile = path.join(tmp, 'tiny.json');
  writeFileSync(scenarioFile, JSON.stringify(tiny));
  before(() => startCliHost());
  after(() => {
    stopCliHost();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a scenario, writes the report to --out and keeps it, and prints what the CSV files hold', async () => {
    const out = path.join(tmp, 'report');
    const r = await machina('sim', 'run', scenarioFile, '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.stderr, '', 'no progress bar under --json');
    const s = r.json();
    assert.equal(s.scenario, 'tiny-crash');
    assert.deepEqual(s.seeds, [1, 2]);
    assert.equal(s.steps, 240);
    assert.equal(s.report, path.join(out, 'report.html'));
    const kept = path.join(dataDir, 'sim', 'runs', s.id);
    assert.equal(path.resolve(s.dir), kept);
    for (const f of ['report.html', 'summary.json', 'series.csv', 'events.csv', 'pnl.csv', 'agents.csv', 'runs.csv', 'charts/price.svg', 'charts/liquidations.svg', 'charts/pnl.svg', 'charts/breaker.svg']) {
      assert.ok(existsSync(path.join(out, f)), `${f} in --out`);
      assert.equal(readFileSync(path.join(kept, f), 'utf8'), readFileSync(path.join(out, f), 'utf8'), `${f} kept as written`);
    }
    // Per seed: the metrics in runs.csv give the printed summary.
    const runs = readFileSync(path.join(out, 'runs.csv'), 'utf8');
    assert.deepEqual(column(runs, 'seed'), [1, 2]);
    for (const k of ['crashDepth', 'maxMispricing', 'badDebt', 'underwaterDebt', 'liquidationCount', 'minPrice']) {
      const v = column(runs, k);
      assert.ok(Math.abs((v[0]! + v[1]!) / 2 - s.summary[k].mean) <= 1e-9 * Math.max(1, Math.abs(s.summary[k].mean)), `${k} mean`);
      assert.equal(Math.max(...v), s.summary[k].max, `${k} max`);
    }
    // The first seed's series: one row a step, and its metrics are those of its path.
    const series = readFileSync(path.join(out, 'series.csv'), 'utf8');
    const price = column(series, 'price');
    assert.equal(price.length, 240);
    const first = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).first;
    assert.equal(first.seed, 1);
    assert.equal(column(runs, 'minPrice')[0], first.metrics.minPrice);
    assert.ok(Math.abs(Math.min(...price) - first.metrics.minPrice) <= 1e-9 * first.metrics.minPrice, 'minPrice is the lowest price of the series');
    assert.ok(Math.abs(column(series, 'badDebt').at(-1)! - first.metrics.badDebt) <= 1e-9 * Math.max(1, first.metrics.badDebt), 'bad debt is the last cumulative value');
    assert.equal(column(series, 'liquidations').reduce((a, b) => a + b, 0), first.metrics.liquidationCount);

    const list = await machina('sim', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.json().runs[0].id, s.id);
  });

  it('prints a readable summary without --json', async () => {
    const r = await machina('sim', 'run', scenarioFile, '--seeds', '1', '--steps', '150');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^tiny-crash: 1 seed × 150 steps × \d+ agents/);
    assert.match(r.stdout, /\nmetric +mean +p95\n/);
    assert.match(r.stdout, /\ncrash depth +[\d.]+% +[\d.]+%\n/);
    assert.match(r.stdout, /\nmax mispricing +[\d.]+% +[\d.]+%\n/);
    assert.match(r.stdout, /\nunderwater debt +[\d,.]+ +[\d,.]+\n/);
    assert.match(r.stdout, /\nbad debt VaR 95% +[\d,.]+/);
    assert.match(r.stdout, /\nreport +\S+report\.html\n/);
    const l = await machina('sim', 'list');
    assert.equal(l.code, 0);
    assert.match(l.stdout, /^id +kind +seeds +steps +crash depth/);
    assert.equal(l.stdout.split('\n').filter((x) => /^\d{8}-\d{6}-tiny-crash-[0-9a-f]{4} +run /.test(x)).length, 2);
  });

  it('sweeps a scenario into sweep.svg, sweep.csv, sweep.json and report.html', async () => {
    const file = path.join(tmp, 'tiny-sweep.json');
    writeFileSync(file, JSON.stringify({ ...tiny, name: 'tiny-sweep', seeds: 1, steps: 150, shocks: [{ kind: 'feed', step: 75, change: -0.3 }], sweep: { x: { param: 'agents.herdShare', values: [0, 0.8] }, series: { param: 'protections', values: ['off', 'on'] } } }));
    const out = path.join(tmp, 'sweep');
    const r = await machina('sim', 'sweep', file, '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const s = r.json();
    assert.equal(s.points.length, 4);
    for (const f of ['sweep.svg', 'sweep.csv', 'sweep.json', 'report.html']) assert.ok(existsSync(path.join(out, f)), f);
    const csv = readFileSync(path.join(out, 'sweep.csv'), 'utf8');
    assert.equal(parseCsv(csv).length, 5);
    const sorted = [...s.points].sort((a: any, b: any) => s.seriesLabels.indexOf(a.series) - s.seriesLabels.indexOf(b.series) || a.x - b.x);
    assert.deepEqual(column(csv, 'crashDepth_mean'), sorted.map((p: any) => p.summary.crashDepth.mean));
    assert.match(readFileSync(path.join(out, 'sweep.svg'), 'utf8'), /^<svg [^>]*role="img"/);
  });

  it('refuses bad input naming the field', async () => {
    await refused(['sim', 'run', 'no-such-scenario'], 'scenario', /no scenario file or name "no-such-scenario"/);
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...tiny, steps: -5 }));
    await refused(['sim', 'run', bad], 'scenario.steps', /./);
    writeFileSync(bad, JSON.stringify({ ...tiny, agents: { ...tiny.agents, herdShare: 2 } }));
    await refused(['sim', 'run', bad], 'scenario.agents.herdShare', /./);
    await refused(['sim', 'run', scenarioFile, '--seeds', 'many'], '--seeds', /integer 1-10000/);
    await refused(['sim', 'run', scenarioFile, '--steps', '0'], '--steps', /integer/);
    await refused(['sim', 'sweep', scenarioFile, '--steps', '1000001'], '--steps', /integer 1-1000000/);
    await refused(['sim', 'run', scenarioFile, '--steps', '100'], '--steps', /shock at step 120/);
    await refused(['sim', 'sweep', scenarioFile], 'scenario.sweep', /no sweep/);
    await refused(['sim', 'list', '--limit', '0'], '--limit', /integer 1-1000/);
  });
});
