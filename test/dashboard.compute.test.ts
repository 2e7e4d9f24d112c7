// The compute pages as a person uses them: a real node (devnet with the whole protocol, indexer with
// the identity and compute modules, API) serving the built dashboard to Debian's headless chromium.
// Three staked providers run a redundant job in which one answers wrong (outvoted and slashed), and
// that provider answers an optimistic job wrong too, which a challenger disputes and the arbiter (the
// devnet's deployer) upholds. The market page shows the providers with stake and slashes, the chart
// and the outcomes; a job page shows the winning digest, the slashed provider and the arbiter's vote;
// and a job posted while the page is open appears and settles on it without a reload.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { keccak256, stringToHex, type Address, type Hex } from 'viem';
import { buildWeb, webDistDir } from '../scripts/build-web.js';
import type { MachinaWalletClient } from '../src/chain/clients.ts';
import { bid, chainNow, challenge, commitResult, postJob, resolveChallenge, stakeProvider, type JobSpecInput } from '../src/compute/market.ts';
import { ensureProvider } from '../src/compute/provider/setup.ts';
import { respondToValidation } from '../src/identity/actions/validation.ts';
import { computeModule } from '../src/node/compute/module.ts';
import { startNodeCompute } from '../src/node/compute/wiring.ts';
import { openNodeStore, type NodeStore } from '../src/node/db/store.ts';
import { identityModule } from '../src/node/identity/module.ts';
import { startIndexer, type RunningIndexer } from '../src/node/indexer/indexer.ts';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { faucet } from '../src/pay/token.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard-compute.png';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); compute dashboard test skipped` : false;
const mUSD = 1_000_000n;

type ComputeNode = { url: string; logs: string[]; synced: () => Promise<void>; stop: () => Promise<void> };

/** The node as `machina up` runs it with the compute market (no keeper: the test settles jobs itself). */
async function startComputeNode(chain: TestChain): Promise<ComputeNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-dash-compute-'));
  await seedEmbeddedDatabase(dataDir);
  const store: NodeStore = await openNodeStore({ dataDir, modules: [identityModule(), computeModule()] });
  const indexer: RunningIndexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
  const logs: string[] = [];
  const compute = await startNodeCompute({ client: chain.client, deployment: chain.deployment, db: store.db, dataDir, keeper: false, log: (l: string) => logs.push(l) });
  assert.ok(compute, 'the deployment has ComputeMarket');
  const node: RunningNode = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (publicUrl) => ({
      client: chain.client,
      deployment: chain.deployment,
      version: 'test',
      queries: store.queries,
      feed: store.feed,
      hosted: store,
      publicUrl,
      webRoot: webDistDir,
      log: (l: string) => logs.push(l),
      compute: compute.parts,
    }),
  });
  return {
    url: node.url,
    logs,
    synced: async () => indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 }),
    stop: async () => {
      await node.close();
      await compute.stop();
      await indexer.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const digestOf = (s: string) => keccak256(stringToHex(s));

describe('dashboard: compute', { skip }, () => {
  let chain: TestChain;
  let node: ComputeNode;
  let browser: Browser;
  let market: Address;
  let token: Address;
  const providers: { wallet: MachinaWalletClient; id: bigint }[] = [];
  let buyer: MachinaWalletClient;
  /** Redundant job: providers 0 and 1 agree on `right`, provider 2 answers `wrong`. */
  let redundantJob: bigint;
  /** Optimistic job: provider 2 answers `wrong`, a challenger disputes, the arbiter upholds. */
  let optimisticJob: bigint;
  const right = digestOf('the right output');
  const wrong = digestOf('a wrong output');

  async function api<T>(p: string): Promise<T> {
    const res = await fetch(`${node.url}${p}`);
    const json = (await res.json()) as T;
    assert.ok(res.ok, `GET ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function spec(replicas: number, mode: 'redundant' | 'optimistic', name: string): Promise<JobSpecInput> {
    return {
      workloadDigest: digestOf(`workload ${name}`),
      inputDigest: digestOf(`input ${name}`),
      workloadURI: `machina:test:${name}`,
      inputURI: `machina:test:input:${name}`,
      needs: { deviceKind: 'cpu', minMemoryMB: 256 },
      maxPricePerUnit: 2n * mUSD,
      units: 10,
      deadline: (await chainNow(chain.client)) + 900,
      bidWindow: 0,
      replicas,
      mode,
    };
  }

  /** Posts a job and has the given providers bid on it (with no bid window each bid takes a slot at once). */
  async function runJob(s: JobSpecInput, bidders: number[]): Promise<bigint> {
    const { jobId } = await postJob(buyer, { market, token, spec: s });
    for (const i of bidders) {
      const p = providers[i]!;
      const r = await bid(p.wallet, { market, jobId, providerId: p.id, pricePerUnit: (10n + BigInt(i)) * (mUSD / 10n) });
      assert.notEqual(r.slot, null, `provider ${i} took a slot of job ${jobId}`);
    }
    return jobId;
  }

  const commit = (i: number, jobId: bigint, outputDigest: Hex) => commitResult(providers[i]!.wallet, { market, jobId, providerId: providers[i]!.id, outputDigest, outputURI: `machina:test:out:${outputDigest.slice(0, 10)}` });

  before(async () => {
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    await buildWeb({ quiet: true });
    chain = await startTestChain();
    assert.ok(chain.deployment.contracts.ComputeMarket, 'the protocol plan deploys ComputeMarket');
    market = chain.address('ComputeMarket');
    token = chain.address('SettlementToken');
    node = await startComputeNode(chain);

    // Three providers with different asks (so the chart's bars differ), each a fresh ERC-8004 agent.
    for (let i = 0; i < 3; i++) {
      const wallet = chain.wallet(i + 1);
      const r = await ensureProvider(chain.client, wallet, {
        market,
        token,
        identityRegistry: chain.address('IdentityRegistry'),
        resources: { deviceKind: 'cpu', region: 'eu-west', deviceCount: 2, memoryMB: 4096 + 1024 * i, pricePerUnit: (10n + BigInt(i)) * (mUSD / 10n) },
        useFaucet: true,
        name: `dashboard provider ${i}`,
      });
      providers.push({ wallet, id: r.providerId });
    }
    buyer = chain.wallet(4);
    await faucet(chain.client, chain.wallet(0), { token, to: buyer.account.address, amount: 1_000n * mUSD });

    // Redundant ×3: two agree, the third is outvoted; its last commit settles the job.
    redundantJob = await runJob(await spec(3, 'redundant', 'redundant'), [0, 1, 2]);
    await commit(0, redundantJob, right);
    await commit(2, redundantJob, wrong);
    const settled = await commit(1, redundantJob, right);
    assert.equal(settled.finalized?.status, 'completed');

    // Optimistic: provider 2 answers wrong, a challenger disputes, the arbiter (the deployer) says so.
    optimisticJob = await runJob(await spec(1, 'optimistic', 'optimistic'), [2]);
    await commit(2, optimisticJob, wrong);
    const challenger = chain.wallet(5);
    await faucet(chain.client, chain.wallet(0), { token, to: challenger.account.address, amount: 100n * mUSD });
    const opened = await challenge(challenger, { market, token, jobId: optimisticJob, claimedDigest: right });
    assert.equal(opened.requestHashes.length, 1, 'one arbiter on the devnet');
    await respondToValidation(chain.client, chain.wallet(0), { validationRegistry: chain.address('ValidationRegistry'), requestHash: opened.requestHashes[0]!, response: 0 });
    const resolved = await resolveChallenge(chain.wallet(0), { market, jobId: optimisticJob });
    assert.equal(resolved.upheld, true);
    await node.synced();

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
  });

  async function openPage(hash: string): Promise<Page & { problems: string[] }> {
    const page = (await browser.newPage({ viewport: { width: 1400, height: 1000 } })) as Page & { problems: string[] };
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && page.problems.push(`console error: ${m.text()}`));
    await page.goto(`${node.url}/${hash}`);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  it('shows the providers with their stake and slashes, the chart and the job outcomes', async () => {
    type Row = { providerId: string; stake: string; slashes: number; slashedAmount: string; earned: string };
    const { providers: rows } = await api<{ providers: Row[] }>('/v1/compute/providers');
    const cheat = rows.find((r) => r.providerId === String(providers[2]!.id))!;
    assert.equal(cheat.slashes, 2, 'outvoted once, challenge upheld once');

    const page = await openPage('#/compute');
    for (const p of providers) {
      const want = rows.find((r) => r.providerId === String(p.id))!;
      const row = page.locator(`[data-testid="provider-row"][data-provider-id="${p.id}"]`);
      await row.waitFor({ timeout: 10_000 });
      assert.equal(await row.getAttribute('data-stake'), want.stake);
      assert.equal(await row.getAttribute('data-slashes'), String(want.slashes));
      assert.equal(await row.getAttribute('data-earned'), want.earned);
      const bar = page.locator(`[data-testid="chart-provider"][data-provider-id="${p.id}"]`);
      assert.equal(await bar.getAttribute('data-stake'), want.stake);
      assert.equal(await bar.getAttribute('data-slashed'), want.slashedAmount);
    }
    const cheatRow = page.locator(`[data-testid="provider-row"][data-provider-id="${providers[2]!.id}"]`);
    assert.match((await cheatRow.locator('[data-testid="provider-slashes"]').textContent()) ?? '', /2×/);
    assert.ok(BigInt(cheat.slashedAmount) > 0n);
    // The honest providers earned; the cheater's bars show what it lost.
    assert.ok(BigInt((await page.locator(`[data-testid="chart-provider"][data-provider-id="${providers[0]!.id}"]`).getAttribute('data-earned'))!) > 0n);

    // Totals and outcomes: one completed, one failed.
    await page.locator('[data-testid="outcome-segment"][data-status="completed"][data-count="1"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="outcome-segment"][data-status="failed"][data-count="1"]').waitFor();
    assert.match((await page.locator('[data-testid="compute-stat-slashed"]').textContent()) ?? '', /mUSD/);
    assert.equal(await page.locator('[data-testid="compute-stat-jobs"]').textContent(), '2');

    // The jobs table, filtered by status.
    await page.locator(`[data-testid="job-row"][data-job-id="${redundantJob}"][data-status="completed"]`).waitFor();
    await page.locator(`[data-testid="job-row"][data-job-id="${optimisticJob}"][data-status="failed"]`).waitFor();
    await page.locator('[data-testid="jobs-status"]').selectOption('failed');
    await page.locator(`[data-testid="job-row"][data-job-id="${redundantJob}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="job-row"]').count(), 1);
    assert.match(page.url(), /#\/compute\?status=failed$/);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('shows a job with the winning digest, paid and slashed replicas; and the challenge with the arbiter vote', async () => {
    const page = await openPage('#/compute');
    await page.locator(`[data-testid="job-row"][data-job-id="${redundantJob}"] a`).first().click();
    await page.locator(`[data-testid="job-page"][data-job-id="${redundantJob}"][data-status="completed"]`).waitFor({ timeout: 10_000 });
    assert.equal((await page.locator('[data-testid="job-accepted-digest"]').textContent())?.trim(), right);
    const won = page.locator(`[data-testid="digest-group"][data-won="true"]`);
    assert.equal(await won.getAttribute('data-digest'), right);
    assert.equal(await won.getAttribute('data-count'), '2');
    for (const i of [0, 1]) {
      const row = page.locator(`[data-testid="replica-row"][data-provider-id="${providers[i]!.id}"]`);
      assert.equal(await row.getAttribute('data-won'), 'true');
      assert.equal(await row.getAttribute('data-paid'), 'true');
      assert.equal(await row.getAttribute('data-slashed'), 'false');
    }
    const cheat = page.locator(`[data-testid="replica-row"][data-provider-id="${providers[2]!.id}"]`);
    assert.equal(await cheat.getAttribute('data-digest'), wrong);
    assert.equal(await cheat.getAttribute('data-won'), 'false');
    assert.equal(await cheat.getAttribute('data-slashed'), 'true');
    assert.equal(await cheat.getAttribute('data-paid'), 'false');
    await cheat.locator('[data-testid="slash-reason"]').waitFor({ timeout: 10_000 });
    assert.match((await cheat.locator('[data-testid="slash-reason"]').textContent()) ?? '', /wrong result/);
    assert.match((await page.locator('[data-testid="job-slashed"]').textContent()) ?? '', new RegExp(`#${providers[2]!.id}`));

    // The optimistic job: disputed, the arbiter voted for the challenger, upheld; the provider slashed, the buyer refunded.
    await page.goto(`${node.url}/#/compute/jobs/${optimisticJob}`);
    const c = page.locator('[data-testid="challenge"]');
    await c.waitFor({ timeout: 10_000 });
    assert.equal(await c.getAttribute('data-outcome'), 'upheld');
    assert.equal(await c.getAttribute('data-for-challenger'), '1');
    const vote = page.locator('[data-testid="arbiter-vote"]');
    assert.equal(await vote.count(), 1);
    assert.equal((await vote.getAttribute('data-arbiter'))?.toLowerCase(), chain.wallet(0).account.address.toLowerCase());
    assert.equal(await vote.getAttribute('data-side'), 'challenger');
    assert.equal(await page.locator(`[data-testid="replica-row"][data-provider-id="${providers[2]!.id}"]`).getAttribute('data-slashed'), 'true');
    await page.locator('[data-testid="job-refund"]').waitFor();

    // The cheater's own page: both slashes with their reasons, and its jobs.
    await page.locator(`[data-testid="replica-row"][data-provider-id="${providers[2]!.id}"] [data-testid="provider-link"]`).click();
    await page.locator(`[data-testid="provider-page"][data-provider-id="${providers[2]!.id}"] [data-testid="slashes-table"]`).waitFor({ timeout: 10_000 });
    const reasons = await page.locator('[data-testid="slash-row"]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-job-id')}:${r.getAttribute('data-reason')}`));
    assert.deepEqual(reasons.sort(), [`${redundantJob}:wrong-result`, `${optimisticJob}:challenge-upheld`].sort());
    assert.equal(await page.locator('[data-testid="job-row"]').count(), 2);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('updates live: a job posted while the market page is open appears, and its page settles without a reload', async (t) => {
    const page = await openPage('#/compute');
    await page.locator(`[data-testid="job-row"][data-job-id="${redundantJob}"]`).waitFor({ timeout: 10_000 });
    const before = await page.locator(`[data-testid="provider-row"][data-provider-id="${providers[0]!.id}"]`).getAttribute('data-stake');

    const jobId = await runJob(await spec(3, 'redundant', 'live'), [0, 1, 2]);
    await page.locator(`[data-testid="job-row"][data-job-id="${jobId}"][data-status="assigned"]`).waitFor({ timeout: 10_000 });
    // More stake shows on the provider's row and bar.
    const { stake } = await stakeProvider(providers[0]!.wallet, { market, token, providerId: providers[0]!.id, amount: 25n * mUSD });
    assert.equal(stake, BigInt(before!) + 25n * mUSD);
    await page.locator(`[data-testid="provider-row"][data-provider-id="${providers[0]!.id}"][data-stake="${stake}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`[data-testid="chart-provider"][data-provider-id="${providers[0]!.id}"][data-stake="${stake}"]`).waitFor({ timeout: 10_000 });

    // On the job's page: results arrive and the job settles, all over the live feed.
    await page.locator(`[data-testid="job-row"][data-job-id="${jobId}"] a`).first().click();
    await page.locator(`[data-testid="job-page"][data-job-id="${jobId}"][data-status="assigned"]`).waitFor({ timeout: 10_000 });
    await commit(0, jobId, right);
    await page.locator(`[data-testid="replica-row"][data-provider-id="${providers[0]!.id}"][data-digest="${right}"]`).waitFor({ timeout: 10_000 });
    await commit(1, jobId, right);
    await page.locator(`[data-testid="replica-row"][data-provider-id="${providers[1]!.id}"][data-digest="${right}"]`).waitFor({ timeout: 10_000 });
    const started = Date.now();
    await commit(2, jobId, right);
    await page.locator(`[data-testid="job-page"][data-job-id="${jobId}"][data-status="completed"]`).waitFor({ timeout: 10_000 });
    t.diagnostic(`settled on the page ${Date.now() - started} ms after the last commit was mined`);
    assert.equal((await page.locator('[data-testid="job-accepted-digest"]').textContent())?.trim(), right);
    assert.equal(await page.locator('[data-testid="replica-row"][data-paid="true"]').count(), 3);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
