// The lab pages as a person uses them: a node serving the built dashboard and a run store (a Monte
// Carlo run and a sweep kept the way `machina sim run` keeps them) to Debian's headless chromium. The
// Lab page lists the runs with their headline metrics, and a run kept while it is open appears on it;
// a run's page shows its metrics, the four charts of its report (the same SVG files, drawn) and CSV
// links that download; a sweep's page shows the sweep chart and its points.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, webDistDir } from '../scripts/build-web.js';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { runsDir } from '../src/sim/report/store.ts';
import { keepRuns, labNodeDeps, RUN_ID, SWEEP_ID } from './node/fixtures/simRuns.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard-lab.png';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); lab dashboard test skipped` : false;

describe('dashboard: lab', { skip }, () => {
  let dataDir: string;
  let node: RunningNode;
  let browser: Browser;
  let kept: Awaited<ReturnType<typeof keepRuns>>;
  /** One page for the file (a new page costs seconds on a busy machine); each test moves it by the hash. */
  let page: Page;
  let problems: string[] = [];

  before(async () => {
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    dataDir = mkdtempSync(path.join(tmpdir(), 'machina-dash-lab-'));
    kept = await keepRuns(dataDir);
    await buildWeb({ quiet: true });
    // The lab reads files, never the chain or the index: the node gets only what its shell needs (the live feed).
    node = await startNode({
      host: '127.0.0.1',
      port: 0,
      deps: (publicUrl) => labNodeDeps(publicUrl, dataDir, { webRoot: webDistDir }),
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    await page.goto(`${node.url}/#/lab`);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 15_000 });
  });

  after(async () => {
    await browser?.close();
    await node?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Moves the page to `hash` (the app routes on it: no reload) and starts a fresh list of problems. */
  async function open(hash: string): Promise<void> {
    problems = [];
    await page.evaluate((h) => (location.hash = h), hash);
  }

  it('lists the runs with crash depth, mispricing, bad debt VaR95, underwater debt and breaker trips, and shows a new run without a reload', async () => {
    await open('#/lab');
    assert.equal(await page.locator('[data-testid="nav-lab"]').getAttribute('aria-current'), 'page');
    const run = page.locator(`[data-testid="lab-run-row"][data-run-id="${RUN_ID}"]`);
    await run.waitFor({ timeout: 10_000 });
    assert.equal(await run.getAttribute('data-kind'), 'run');
    const { result } = kept;
    assert.equal(await run.getAttribute('data-scenario'), 'lab-tiny');
    assert.equal((await run.locator('[data-testid="lab-run-seeds"]').textContent())?.trim(), '3');
    assert.equal(await run.getAttribute('data-crash-depth'), String(result.summary.crashDepth.mean));
    assert.equal((await run.locator('[data-testid="lab-run-crash"]').textContent())?.trim(), `${(result.summary.crashDepth.mean * 100).toFixed(1)}%`);
    assert.equal(await run.getAttribute('data-var95'), String(result.badDebtVaR95));
    assert.equal(await run.getAttribute('data-breaker-trips'), String(result.summary.breakerTrips.mean));
    assert.equal(await run.getAttribute('data-mispricing'), String(result.summary.maxMispricing.mean));
    assert.equal((await run.locator('[data-testid="lab-run-mispricing"]').textContent())?.trim(), `${(result.summary.maxMispricing.mean * 100).toFixed(1)}%`);
    assert.equal(await run.getAttribute('data-underwater'), String(result.summary.underwaterDebt.mean));
    const sweep = page.locator(`[data-testid="lab-run-row"][data-run-id="${SWEEP_ID}"]`);
    assert.equal(await sweep.getAttribute('data-kind'), 'sweep');
    // Newest first.
    assert.deepEqual(await page.locator('[data-testid="lab-run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id'))), [SWEEP_ID, RUN_ID]);

    // A run kept while the page is open shows up on its own (the page polls the store).
    const later = '20261125-124500-herd-later-9f9f';
    await keepRuns(dataDir, { runId: later, sweepId: null });
    await page.locator(`[data-testid="lab-run-row"][data-run-id="${later}"]`).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="lab-run-row"]').first().getAttribute('data-run-id'), later);
    rmSync(path.join(runsDir(dataDir), later), { recursive: true, force: true });
    assert.deepEqual(problems, []);
  });

  it("shows a run's metrics, its report's four charts drawn, and CSV downloads", async () => {
    await open('#/lab');
    await page.locator(`[data-testid="lab-run-row"][data-run-id="${RUN_ID}"] [data-testid="lab-run-link"]`).click();
    await page.locator(`[data-testid="lab-run-page"][data-run-id="${RUN_ID}"][data-kind="run"]`).waitFor({ timeout: 10_000 });
    const { result } = kept;
    assert.equal((await page.locator('[data-testid="lab-stat-crash"]').textContent())?.trim(), `${(result.summary.crashDepth.mean * 100).toFixed(1)}%`);
    assert.equal(await page.locator('[data-testid="lab-run-page"]').getAttribute('data-var95'), String(result.badDebtVaR95));
    assert.equal((await page.locator('[data-testid="lab-stat-seeds"]').textContent())?.trim(), '3');
    assert.equal(await page.locator('[data-testid="lab-metric"][data-metric="badDebt"]').getAttribute('data-mean'), String(result.summary.badDebt.mean));
    assert.equal(await page.locator('[data-testid="lab-metric"][data-metric="underwaterDebt"]').getAttribute('data-mean'), String(result.summary.underwaterDebt.mean));
    assert.equal((await page.locator('[data-testid="lab-stat-mispricing"]').textContent())?.trim(), `${(result.summary.maxMispricing.mean * 100).toFixed(1)}%`);
    assert.equal(await page.locator('[data-testid="lab-metric"]').count(), Object.keys(result.summary).length);

    const charts = await page.locator('[data-testid="lab-chart"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-chart')));
    assert.deepEqual(charts, ['price', 'liquidations', 'pnl', 'breaker']);
    for (const name of charts) {
      const img = page.locator(`[data-testid="lab-chart-${name}"]`);
      await img.scrollIntoViewIfNeeded();
      // Drawn: the browser loaded and decoded the SVG (an image that failed has no natural size).
      await page.waitForFunction((el) => el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 10_000 });
      // The same chart as the run's report.
      const src = (await img.getAttribute('src'))!;
      const served = await page.evaluate(async (u) => (await fetch(u)).text(), src);
      assert.equal(served, readFileSync(path.join(runsDir(dataDir), RUN_ID, 'charts', `${name}.svg`), 'utf8'));
    }

    const files = await page.locator('[data-testid="lab-file"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-file'), e.getAttribute('href')]));
    assert.deepEqual(files.map(([f]) => f), ['series', 'events', 'pnl', 'agents', 'runs', 'summary']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="lab-file"][data-file="series"]').click()]);
    assert.equal(download.suggestedFilename(), `${RUN_ID}-series.csv`);
    assert.equal(readFileSync((await download.path())!, 'utf8'), readFileSync(path.join(runsDir(dataDir), RUN_ID, 'series.csv'), 'utf8'));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });

  it("shows a sweep's chart and points, and says so for a run that is not there", async () => {
    await open(`#/lab/runs/${SWEEP_ID}`);
    await page.locator(`[data-testid="lab-run-page"][data-run-id="${SWEEP_ID}"][data-kind="sweep"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(await page.locator('[data-testid="lab-chart"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-chart'))), ['sweep']);
    const img = page.locator('[data-testid="lab-chart-sweep"]');
    await page.waitForFunction((el) => el instanceof HTMLImageElement && el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="lab-sweep-point"]').count(), 6);
    assert.equal(await page.locator('[data-testid="lab-sweep-point"][data-series="off"][data-x="0.8"]').count(), 1);
    assert.deepEqual(problems, []);

    await open('#/lab/runs/20261125-000000-nothing-0000');
    await page.locator('[data-testid="lab-run-page"][data-missing="true"]').waitFor({ timeout: 10_000 });
    // The 404 the page was answered with is the only complaint.
    assert.ok(problems.every((p) => /404/.test(p)), problems.join('\n'));
  });
});
