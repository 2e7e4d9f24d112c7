// The wallet pages as the owner uses them: a real node (devnet, factory, indexer with the wallet
// module, API) serving the built dashboard to Debian's headless chromium. An agent key's action
// above the escalation threshold appears live on the Wallet page, and clicking Approve runs it on
// chain through the node's signer (the account's owner).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseEther } from 'viem';
import { buildWeb, webDistDir } from '../scripts/build-web.js';
import type { Deployment } from '../src/chain/deployments.ts';
import { executeAsAgent } from '../src/wallet/index.ts';
import { createPayingFetch } from '../src/pay/index.ts';
import { startPayChain, type PayChain } from './pay/payNode.ts';
import { startWalletNode, walletScenario, type WalletNode, type WalletScenario } from './node/walletFixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard-wallet.png';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); wallet dashboard test skipped` : false;

describe('dashboard: agent wallets', { skip }, () => {
  let chain: PayChain;
  let deployment: Deployment;
  let s: WalletScenario;
  let node: WalletNode;
  let browser: Browser;

  before(async () => {
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    await buildWeb({ quiet: true });
    chain = await startPayChain();
    deployment = chain.deployment;
    s = await walletScenario(chain, deployment);
    node = await startWalletNode({ chain, deployment, kind: 'pglite', signer: s.owner, webRoot: webDistDir, pay: true });
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
    const page = (await browser.newPage({ viewport: { width: 1280, height: 1000 } })) as Page & { problems: string[] };
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && page.problems.push(`console error: ${m.text()}`));
    await page.goto(`${node.url}/${hash}`);
    await page.evaluate(() => ((window as unknown as { __noReload: number }).__noReload = 1));
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  it('lists the account on the Wallets page and opens it', async () => {
    const page = await openPage('#/wallets');
    const row = page.locator(`[data-testid="wallet-row"][data-address="${s.account}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.locator('a').first().click();
    await page.locator(`[data-testid="wallet-page"][data-address="${s.account}"] [data-testid="wallet-owner"]`).waitFor({ timeout: 10_000 });
    assert.equal((await page.locator('[data-testid="wallet-owner"]').textContent())?.trim(), s.owner.account.address);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('shows keys, spend per window, refusals; an escalated action appears live and Approve runs it on chain', async (t) => {
    const page = await openPage(`#/wallets/${s.account}`);
    await page.locator('[data-testid="wallet-key"]').first().waitFor({ timeout: 10_000 });
    // Policy and spend: 2 of 5 ETH per day spent by the two 1-ETH payments.
    assert.match((await page.locator('[data-testid="key-policy"]').textContent()) ?? '', /may call value on/);
    const bar = page.locator('[data-testid="spend-bar"]').first();
    assert.equal(await bar.getAttribute('data-spent'), parseEther('2').toString());
    assert.match((await bar.locator('[data-testid="spend-text"]').textContent()) ?? '', /^2 of 5 per day$/);
    // The refusal, with its reason in words.
    assert.match((await page.locator('[data-testid="refusal-reason"]').first().textContent()) ?? '', /target not allowed/);
    assert.equal(await page.locator('[data-testid="pending-row"]').count(), 2);

    // The agent key tries to pay 2 ETH (above the 1.5 ETH threshold): queued for the owner, live.
    const queued = await executeAsAgent(s.key, { account: s.account, calls: [{ target: s.recipient, value: parseEther('2'), data: '0x' }] });
    assert.equal(queued.executed, false);
    const id = queued.pendingId!.toString();
    const row = page.locator(`[data-testid="pending-row"][data-pending-id="${id}"]`);
    const queuedAt = Date.now();
    await row.waitFor({ timeout: 10_000 });
    t.diagnostic(`escalated action #${id} appeared on the open Wallet page ${Date.now() - queuedAt} ms after it was queued`);

    const balance = await chain.client.getBalance({ address: s.recipient });
    await row.locator('[data-testid="approve-button"]').click();
    await page.locator('[data-testid="decision-outcome"]').waitFor({ timeout: 15_000 });
    assert.match((await page.locator('[data-testid="decision-outcome"]').textContent()) ?? '', new RegExp(`#${id} approved`));
    assert.equal(await chain.client.getBalance({ address: s.recipient }), balance + parseEther('2'), 'the approved payment ran on chain');
    // Live: the row leaves the queue, the spend bar moves to 4 of 5, the approval shows in the activity.
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForFunction((want) => document.querySelector('[data-testid="spend-bar"]')?.getAttribute('data-spent') === want, parseEther('4').toString(), { timeout: 10_000 });
    await page.locator('[data-testid="activity-row"][data-kind="pending_approved"]').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload), 1, 'the page reloaded');

    // Reject another one from the page.
    const other = page.locator('[data-testid="pending-row"]').first();
    const otherId = await other.getAttribute('data-pending-id');
    await other.locator('[data-testid="reject-button"]').click();
    await page.locator(`[data-testid="pending-row"][data-pending-id="${otherId}"]`).waitFor({ state: 'detached', timeout: 15_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('the Payments page lists a paid request with its receipt, and its settlement', async () => {
    const page = await openPage('#/payments');
    await page.locator('[data-testid="payments-page"]').waitFor({ timeout: 10_000 });
    const payer = chain.wallet(5);
    const pay = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: payer } });
    const res = await pay(`${node.url}/v1/paid/echo?price=1`);
    assert.equal(res.status, 200);
    const receipt = pay.lastReceipt()!;
    const row = page.locator(`[data-testid="payment-row"][data-payment-id="${receipt.paymentId}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? '', /1 mUSD/);
    await page.locator(`[data-testid="payment-row"][data-payment-id="${receipt.paymentId}"][data-status="settled"]`).waitFor({ timeout: 20_000 });
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
