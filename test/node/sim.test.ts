// The lab API over a real run store: a Monte Carlo run and a sweep kept the way `machina sim run`
// keeps them (src/sim/report/store.ts), served by the node app in process: the list (newest first,
// headline metrics), one run, its charts (byte for byte the SVG of the run's report) and CSV files,
// and the errors (404 for what is not there, 400 naming the field for ids and names that are not ours).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNodeApp, type NodeApp } from '../../src/node/app.ts';
import { runsDir } from '../../src/sim/report/store.ts';
import { keepRuns, labNodeDeps, RUN_ID, SWEEP_ID } from './fixtures/simRuns.ts';

/** The node app with nothing but the lab. */
const labApp = (dataDir: string | undefined): NodeApp => createNodeApp(labNodeDeps('http://127.0.0.1:1', dataDir, { log: (l) => process.env.SIM_TEST_LOG && console.error(l) }));

describe('node: lab API (/v1/sim)', () => {
  let dataDir: string;
  let app: NodeApp;
  let kept: Awaited<ReturnType<typeof keepRuns>>;
  const get = async (p: string) => {
    const res = await app.request(p);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, text, json };
  };
  const assertError = (r: { status: number; json: any }, status: number, field: string) => {
    assert.equal(r.status, status, JSON.stringify(r.json));
    assert.equal(r.json.error.field, field, JSON.stringify(r.json));
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'machina-node-sim-'));
    kept = await keepRuns(dataDir);
    // Not runs: a run being written (hidden, partial), a directory with no summary, a stray file.
    mkdirSync(path.join(runsDir(dataDir), `.20261125-130000-late-ffff.partial`), { recursive: true });
    mkdirSync(path.join(runsDir(dataDir), '20261125-130500-empty-eeee'), { recursive: true });
    writeFileSync(path.join(runsDir(dataDir), 'notes.txt'), 'hello');
    app = labApp(dataDir);
  });
  after(() => {
    app?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the kept runs newest first with their headline metrics', async () => {
    const r = await get('/v1/sim/runs');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.runs.map((x: any) => x.id), [SWEEP_ID, RUN_ID]);
    const [sweep, run] = r.json.runs;
    assert.equal(run.kind, 'run');
    const { result, sweep: swept } = kept;
    assert.equal(run.scenario, 'lab-tiny');
    assert.equal(run.createdAt, Date.parse('2026-11-25T12:00:00Z') / 1000);
    assert.equal(run.seeds, 3);
    assert.equal(run.steps, 200);
    assert.equal(run.agents, result.first.agents);
    assert.ok(run.agents > 0);
    assert.equal(run.metrics.crashDepth, kept.result.summary.crashDepth.mean);
    assert.equal(run.metrics.badDebtVaR95, result.badDebtVaR95);
    assert.equal(run.metrics.breakerTrips, result.summary.breakerTrips.mean);
    assert.equal(run.metrics.maxMispricing, result.summary.maxMispricing.mean);
    assert.equal(run.metrics.underwaterDebt, result.summary.underwaterDebt.mean);
    assert.ok(run.metrics.maxMispricing >= run.metrics.crashDepth, 'mispricing either way is at least the shortfall below the feed');
    assert.ok(run.metrics.crashDepth > 0, 'the feed crash moved the pool');
    assert.equal(run.sweep, null);
    assert.equal(sweep.kind, 'sweep');
    assert.equal(sweep.seeds, 3);
    assert.deepEqual(sweep.sweep, { xParam: 'agents.herdShare', xValues: [0, 0.4, 0.8], seriesParam: 'protections', seriesLabels: ['off', 'on'], points: 6 });
    assert.equal(sweep.metrics.crashDepth, Math.max(...swept.points.map((p) => p.summary.crashDepth.mean)), 'a sweep shows its worst point');
    assert.equal(sweep.metrics.badDebtVaR95, Math.max(...swept.points.map((p) => p.badDebtVaR95)));
    assert.equal(sweep.metrics.underwaterDebt, Math.max(...swept.points.map((p) => p.summary.underwaterDebt.mean)));

    const one = await get('/v1/sim/runs?limit=1');
    assert.deepEqual(one.json.runs.map((x: any) => x.id), [SWEEP_ID]);
    for (const bad of ['0', '101', 'ten', '-1', '1.5']) assertError(await get(`/v1/sim/runs?limit=${bad}`), 400, 'limit');
  });

  it('reads a summary again when it changes, and shows a run kept before the newer metrics with those as null', async () => {
    const id = '20261125-110000-lab-old-0a0a';
    await keepRuns(dataDir, { runId: id, sweepId: null });
    const file = path.join(runsDir(dataDir), id, 'summary.json');
    const rowOf = async () => (await get('/v1/sim/runs?limit=100')).json.runs.find((r: any) => r.id === id);
    assert.equal(typeof (await rowOf()).metrics.underwaterDebt, 'number');
    // As an older writer left it: no maxMispricing or underwaterDebt (a later mtime, so the cached row is stale).
    const older = JSON.parse(readFileSync(file, 'utf8'));
    delete older.summary.maxMispricing;
    delete older.summary.underwaterDebt;
    writeFileSync(file, JSON.stringify(older));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const row = await rowOf();
    assert.equal(row.metrics.maxMispricing, null);
    assert.equal(row.metrics.underwaterDebt, null);
    assert.equal(row.metrics.crashDepth, older.summary.crashDepth.mean);
    rmSync(path.join(runsDir(dataDir), id), { recursive: true, force: true });
    assert.equal(await rowOf(), undefined);
  });

  it('answers one run: metrics, the charts and files it holds, its summary as written', async () => {
    const r = await get(`/v1/sim/runs/${RUN_ID}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, RUN_ID);
    assert.deepEqual(r.json.charts, ['price', 'liquidations', 'pnl', 'breaker']);
    assert.deepEqual(r.json.files, ['series', 'events', 'pnl', 'agents', 'runs']);
    assert.deepEqual(r.json.summary, JSON.parse(readFileSync(path.join(runsDir(dataDir), RUN_ID, 'summary.json'), 'utf8')));
    assert.equal(r.json.summary.badDebtVaR95, kept.result.badDebtVaR95);
    assert.deepEqual(r.json.summary.seeds, [1, 2, 3]);

    const s = await get(`/v1/sim/runs/${SWEEP_ID}`);
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(s.json.charts, ['sweep']);
    assert.deepEqual(s.json.files, ['sweep']);
    assert.equal(s.json.summary.points.length, 6);
  });

  it("serves the run's charts as the report's SVG files, inert, and its CSV files", async () => {
    for (const name of ['price', 'liquidations', 'pnl', 'breaker']) {
      const r = await get(`/v1/sim/runs/${RUN_ID}/charts/${name}.svg`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('content-type'), 'image/svg+xml');
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'.*sandbox/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.text, readFileSync(path.join(runsDir(dataDir), RUN_ID, 'charts', `${name}.svg`), 'utf8'));
      assert.match(r.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      // The same chart the HTML report embeds.
      assert.ok(readFileSync(path.join(runsDir(dataDir), RUN_ID, 'report.html'), 'utf8').includes(r.text.trim()), `${name} is in report.html`);
    }
    const sweep = await get(`/v1/sim/runs/${SWEEP_ID}/charts/sweep.svg`);
    assert.equal(sweep.status, 200);
    assert.equal(sweep.text, readFileSync(path.join(runsDir(dataDir), SWEEP_ID, 'sweep.svg'), 'utf8'));

    const csv = await get(`/v1/sim/runs/${RUN_ID}/files/series.csv`);
    assert.equal(csv.status, 200);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(csv.headers.get('content-disposition'), `attachment; filename="${RUN_ID}-series.csv"`);
    assert.equal(csv.text, readFileSync(path.join(runsDir(dataDir), RUN_ID, 'series.csv'), 'utf8'));
    assert.equal(csv.text.trim().split('\n').length, 201, 'a header and a row a step');
    assert.match(csv.text.split('\n')[0]!, /^step,time,price,/);
    for (const f of ['events', 'pnl', 'agents', 'runs']) assert.equal((await get(`/v1/sim/runs/${RUN_ID}/files/${f}.csv`)).status, 200, f);
    assert.equal((await get(`/v1/sim/runs/${SWEEP_ID}/files/sweep.csv`)).status, 200);
  });

  it('answers 404 for what is not there and 400 naming the field for what is not a run id or a known name', async () => {
    assertError(await get('/v1/sim/runs/20261125-120000-nothing-0000'), 404, 'id');
    assertError(await get('/v1/sim/runs/20261125-130500-empty-eeee'), 404, 'id');
    assertError(await get('/v1/sim/runs/20261125-120000-nothing-0000/charts/price.svg'), 404, 'id');
    assertError(await get('/v1/sim/runs/20261125-120000-nothing-0000/files/series.csv'), 404, 'id');
    assertError(await get(`/v1/sim/runs/${SWEEP_ID}/charts/price.svg`), 404, 'name');
    assertError(await get(`/v1/sim/runs/${SWEEP_ID}/files/series.csv`), 404, 'name');
    // A literal ../ never reaches a route (the URL is normalised first); encoded, it is a bad id.
    for (const dots of ['../../etc/passwd', '%2e%2e/%2e%2e/etc/passwd']) assertError(await get(`/v1/sim/runs/${dots}`), 404, 'path');
    for (const bad of ['..%2F..%2Fetc', '.20261125-130000-late-ffff.partial', 'x'.repeat(300), 'ABC', `${RUN_ID}%00`]) {
      assertError(await get(`/v1/sim/runs/${bad}`), 400, 'id');
      assertError(await get(`/v1/sim/runs/${bad}/charts/price.svg`), 400, 'id');
      assertError(await get(`/v1/sim/runs/${bad}/files/series.csv`), 400, 'id');
    }
    for (const bad of ['report.svg', 'price', 'price.png', '..%2Fsummary.json', 'price.svg.svg']) assertError(await get(`/v1/sim/runs/${RUN_ID}/charts/${bad}`), 400, 'name');
    for (const bad of ['summary.json', 'series', '..%2F..%2Fsummary.csv', 'report.csv']) assertError(await get(`/v1/sim/runs/${RUN_ID}/files/${bad}`), 400, 'name');
    // Writes are not routes here.
    assert.equal((await app.request('/v1/sim/runs', { method: 'POST' })).status, 405);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await get('/v1/openapi.json')).json;
    for (const p of ['/v1/sim/runs', '/v1/sim/runs/{id}', '/v1/sim/runs/{id}/charts/{name}.svg', '/v1/sim/runs/{id}/files/{name}.csv']) assert.ok(doc.paths[p]?.get, p);
    assert.deepEqual(doc.paths['/v1/sim/runs'].get.parameters.map((p: any) => p.name), ['limit']);
    assert.ok(doc.components.schemas.SimRun);
    assert.ok(doc.components.schemas.SimRunDetail);
  });

  it('has no lab routes on a node given no run store, and an empty list over an empty one', async () => {
    const bare = labApp(undefined);
    assert.equal((await bare.request('/v1/sim/runs')).status, 404);
    bare.shutdown();
    const empty = mkdtempSync(path.join(tmpdir(), 'machina-node-sim-empty-'));
    const fresh = labApp(empty);
    assert.deepEqual(await (await fresh.request('/v1/sim/runs')).json(), { runs: [] });
    fresh.shutdown();
    rmSync(empty, { recursive: true, force: true });
  });
});
