// The dashboard as a person uses it: a real node (devnet, deployed protocol, indexer, API) serving the
// built dashboard to Debian's headless chromium, driven by Playwright. Agents registered and rated
// through the CLI must appear on the open pages without a reload.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, isWebBuildFresh, webDistDir } from '../scripts/build-web.js';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { repoRoot, runCliInHost, startCliHost } from './helpers/cli.ts';
import { openNodeStore } from '../src/node/db/store.ts';
import { startIndexer } from '../src/node/indexer/indexer.ts';
import { startNode } from '../src/node/server.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard.png';
/** The promise: a CLI registration shows up in the dashboard within 2 s. */
const LIVE_MS = 2_000;
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); dashboard test skipped` : false;

type DashboardNode = { url: string; stop: () => Promise<void> };

/** The node as `machina up` runs it: embedded database, indexer following the chain, API + dashboard. */
async function startDashboardNode({ chain, dataDir }: { chain: TestChain; dataDir: string }): Promise<DashboardNode> {
  await seedEmbeddedDatabase(dataDir);
  const store = await openNodeStore({ dataDir });
  const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store });
  await indexer.caughtUp;
  const node = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (publicUrl) => ({ client: chain.client, deployment: chain.deployment, version: 'test', queries: store.queries, feed: store.feed, hosted: store, publicUrl, webRoot: webDistDir, log: () => {} }),
  });
  return {
    url: node.url,
    stop: async () => {
      await node.close();
      await indexer.stop();
      await store.close();
    },
  };
}

describe('dashboard', { skip }, () => {
  let chain: TestChain;
  let node: DashboardNode;
  let browser: Browser;
  let dataDir: string;

  before(async () => {
    // Under CI a missing browser is a failure, not a skip.
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    startCliHost();
    await buildWeb({ quiet: true });
    chain = await startTestChain();
    dataDir = mkdtempSync(path.join(tmpdir(), 'machina-dashboard-'));
    node = await startDashboardNode({ chain, dataDir });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  after(async () => {
    await browser?.close();
    await node?.stop();
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A page whose reloads we would notice: the marker lives only as long as the document does. */
  async function openPage(hash: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(`${node.url}/${hash}`);
    await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = 1));
    // The stream must be open before we act, or "appears live" would be a race we might lose.
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  async function assertNotReloaded(page: Page) {
    assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload), 1, 'the page reloaded');
  }

  function problemsOf(page: Page): string[] {
    return (page as Page & { problems?: string[] }).problems ?? [];
  }

  const cli = async (...args: string[]) => {
    // In this file's CLI host: the CLI's own start-up is not what the 2 s liveness goal measures.
    const r = await runCliInHost([...args, '--json'], chain.env);
    assert.equal(r.code, 0, `machina ${args.join(' ')}: ${r.stderr}`);
    return r.json();
  };

  const api = async (p: string) => {
    const res = await fetch(`${node.url}${p}`);
    assert.equal(res.status, 200, `GET ${p}`);
    return (await res.json()) as any;
  };

  it('serves the built dashboard and its assets at /', async () => {
    assert.ok(isWebBuildFresh(), 'web/dist is fresh after buildWeb');
    const res = await fetch(`${node.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /<div id="root">/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html names its script');
    const js = await fetch(`${node.url}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  it('a person watches an agent get registered and rated, live, without reloading', async (t) => {
    const overview = await openPage('#/');
    const agents = await openPage('#/agents');
    await agents.locator('[data-testid="agents-page"]').waitFor();
    const chainId = await overview.locator('[data-testid="stat-chain-id"]').textContent();
    assert.equal(chainId?.trim(), String(chain.client.chain.id));
    assert.equal(await overview.locator('[data-testid="contract-row"]').count(), Object.keys(chain.deployment.contracts).length);

    // The deployment registers agents of its own (the compute market): count from what is there.
    const agentsBefore = (await api('/v1/stats')).agents as number;
    await overview.waitForFunction((want) => document.querySelector('[data-testid="stat-agents"]')?.textContent?.trim() === want, String(agentsBefore), { timeout: 5_000 });

    // Register through the CLI, as someone in another terminal would.
    const name = `dash-summarizer-${process.pid}`;
    const reg = await cli('agent', 'register', '--name', name, '--description', 'Summarizes long documents into crisp bullet points', '--service', 'MCP=https://summarizer.example/mcp', '--x402');
    const agentId = String(reg.agentId);
    const registeredAt = Date.now();

    const row = agents.locator(`[data-testid="agent-row"][data-agent-id="${agentId}"]`);
    await row.waitFor({ timeout: 15_000 });
    const latency = Date.now() - registeredAt;
    t.diagnostic(`agent ${agentId} appeared on the open agents page ${latency} ms after the CLI returned`);
    assert.ok(latency <= LIVE_MS, `agent appeared after ${latency} ms (goal ${LIVE_MS} ms)`);
    assert.equal((await row.locator('[data-testid="agent-row-name"]').textContent())?.trim(), name);
    await assertNotReloaded(agents);

    // The overview saw the same registration arrive in its latest events, and its counts moved.
    await overview.locator('[data-testid="latest-events"] [data-testid="event-row"][data-event="Registered"]').first().waitFor({ timeout: 5_000 });
    await overview.waitForFunction((want) => document.querySelector('[data-testid="stat-agents"]')?.textContent?.trim() === want, String(agentsBefore + 1), { timeout: 5_000 });
    await assertNotReloaded(overview);

    // Search narrows the list; an unknown word empties it.
    const search = agents.locator('[data-testid="agents-search"]');
    await search.fill('no-such-agent-xyz');
    await agents.locator('[data-testid="agent-row"]').first().waitFor({ state: 'detached', timeout: 5_000 });
    await search.fill('summarizer');
    await row.waitFor({ timeout: 5_000 });

    // Open it: the registration file, owner, and a neutral trust score (no feedback yet).
    await row.locator('[data-testid="agent-row-name"]').click();
    const page = agents;
    await page.locator(`[data-testid="agent-page"][data-agent-id="${agentId}"] [data-testid="agent-name"]`).waitFor();
    assert.equal(await page.locator('[data-testid="agent-name"]').textContent(), name);
    assert.match((await page.locator('[data-testid="agent-description"]').textContent()) ?? '', /crisp bullet points/);
    assert.equal((await page.locator('[data-testid="agent-owner"]').textContent())?.trim(), reg.owner);
    assert.match((await page.locator('[data-testid="agent-services"]').textContent()) ?? '', /https:\/\/summarizer\.example\/mcp/);
    assert.match((await page.locator('[data-testid="agent-x402"]').textContent()) ?? '', /supported/);
    const before = await api(`/v1/agents/${agentId}`);
    assert.equal(await page.locator('[data-testid="agent-trust-score"]').textContent(), before.trust.score.toFixed(1));
    assert.equal(await page.locator('[data-testid="feedback-row"]').count(), 0);

    // Feedback from another account: the row and the new score arrive without a reload.
    await cli('feedback', 'give', agentId, '--value', '95', '--tag1', 'starred', '--account', '1');
    const firstRow = page.locator('[data-testid="feedback-row"]');
    await firstRow.first().waitFor({ timeout: 5_000 });
    assert.equal(await firstRow.first().locator('[data-testid="feedback-value"]').textContent(), '95');
    assert.equal(await firstRow.first().getAttribute('data-client'), chain.wallet(1).account.address);
    assert.equal(await firstRow.first().locator('[data-testid="feedback-verified"]').count(), 0, 'plain feedback is not verified');

    // A paying customer's feedback is verified on chain and moves the score far more.
    const pay = await cli('agent', 'pay', agentId, '--amount', '0.01', '--account', '2');
    await cli('feedback', 'give', agentId, '--value', '88.5', '--tag1', 'quality', '--receipt', pay.receiptId, '--account', '2');
    await page.locator('[data-testid="feedback-verified"]').first().waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('[data-testid="feedback-row"]').count(), 2);
    const after = await api(`/v1/agents/${agentId}`);
    assert.ok(after.trust.score > before.trust.score, `score rose (${before.trust.score} -> ${after.trust.score})`);
    await page.waitForFunction(
      (want) => document.querySelector('[data-testid="agent-trust-score"]')?.textContent === want,
      after.trust.score.toFixed(1),
      { timeout: 5_000 },
    );
    assert.equal(await page.locator('[data-testid="agent-trust-confidence"]').textContent(), `${Math.round(after.trust.confidence * 100)}%`);
    await assertNotReloaded(page);

    // Revoked feedback stays listed, marked as revoked.
    await cli('feedback', 'revoke', agentId, '1', '--account', '1');
    await page.locator('[data-testid="feedback-row"][data-revoked="true"] [data-testid="feedback-revoked"]').waitFor({ timeout: 5_000 });

    // A validation shows as pending, then with the validator's answer.
    const validator = chain.wallet(4).account.address;
    const request = await cli('validation', 'request', agentId, '--validator', validator, '--uri', 'https://validator.example/requests/1');
    const status = page.locator('[data-testid="validation-row"] [data-testid="validation-status"]');
    await page.waitForFunction(() => /pending/.test(document.querySelector('[data-testid="validation-status"]')?.textContent ?? ''), null, { timeout: 5_000 });
    await cli('validation', 'respond', request.requestHash, '--response', '92', '--tag', 'accuracy', '--account', '4');
    await page.waitForFunction(() => /92\/100/.test(document.querySelector('[data-testid="validation-status"]')?.textContent ?? ''), null, { timeout: 5_000 });
    assert.equal(await status.count(), 1);
    await assertNotReloaded(page);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);

    // The event log lists what happened, filtered by event.
    await page.locator('[data-testid="nav-events"]').click();
    await page.locator('[data-testid="events-page"] [data-testid="event-row"]').first().waitFor();
    await page.locator('[data-testid="events-event"]').selectOption('NewFeedback');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="events-page"] [data-testid="event-row"]')];
      return rows.length === 2 && rows.every((r) => r.getAttribute('data-event') === 'NewFeedback');
    }, null, { timeout: 5_000 });
    // And keeps taking new events while it is open.
    await cli('feedback', 'give', agentId, '--value', '70', '--account', '3');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="events-page"] [data-testid="event-row"]').length === 3, null, { timeout: 5_000 });

    await overview.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-overview.png'), fullPage: true });
    for (const p of [overview, page]) assert.deepEqual(problemsOf(p), [], 'no errors in the page');
    await overview.close();
    await page.close();
  });

  it('an unknown agent gets a clear page, not a crash', async () => {
    const page = await openPage('#/agents/999999');
    await page.getByText('No agent #999999').waitFor();
    await page.close();
  });

  // `npm test` (scripts/test.js) type-checks web/ in its type-check stage, beside the project, and says so here.
  const webChecked = process.env.MACHINA_TEST_WEB_TYPECHECKED === '1' ? 'web/ was type-checked by the type-check stage of scripts/test.js' : false;
  it('web/ type-checks on its own (DOM types), apart from the root project', { skip: webChecked }, () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', path.join(repoRoot, 'web')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok(existsSync(path.join(webDistDir, 'index.html')));
  });
});
