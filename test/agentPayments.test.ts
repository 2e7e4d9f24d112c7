// Issue #4's "Done means", end to end on the stack `npm start` runs (startMachine: devnet, deploy,
// index, node with x402 and the dashboard): an agent account whose key may spend 5 mUSD a day pays
// for three 1-mUSD requests, a 2-mUSD request above the escalation threshold waits until the owner
// clicks Approve in the dashboard, the 6th token is refused with the reason, and the official x402
// client pays a Machina route. Every balance is checked on chain afterwards.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { x402Client } from '@x402/core/client';
import { toClientEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment } from '@x402/fetch';
import type { Browser } from 'playwright-core';
import { erc20Abi, parseEther, parseUnits, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { buildWeb } from '../scripts/build-web.js';
import { walletFor, type MachinaWalletClient } from '../src/chain/clients.ts';
import { devnetAccount } from '../src/chain/signer.ts';
import { loadSettings } from '../src/config/settings.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { createPayingFetch, type PaymentReceipt } from '../src/pay/index.ts';
import { faucet } from '../src/pay/token.ts';
import { protocolPlan } from '../src/protocol/plan.ts';
import { startMachine, type Machine } from '../src/runtime/machine.ts';
import { bindAgentWallet, createAgentAccount, PolicyRefusedError, setAgentKey } from '../src/wallet/index.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); issue #4 end-to-end test skipped` : false;
const mUSD = (n: string) => parseUnits(n, 6);

describe('agent payments end to end (issue #4 "Done means")', { skip }, () => {
  let dir: string;
  let machine: Machine;
  let browser: Browser;
  let owner: MachinaWalletClient;
  let key: MachinaWalletClient;
  let seller: Address;
  let sellerAgent: bigint;
  let account: Address;
  let token: Address;
  const balanceOf = (who: Address) => machine.client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] });

  before(async () => {
    await buildWeb({ quiet: true });
    dir = mkdtempSync(path.join(tmpdir(), 'machina-issue4-'));
    const settings = loadSettings({ devnetPort: '0', port: '0', dataDir: path.join(dir, 'data'), deploymentsDir: path.join(dir, 'deployments'), fresh: true }, {}, { node: true });
    // The node's embedded database starts as an initialised empty cluster (no initdb: test/helpers/pglite.ts).
    await seedEmbeddedDatabase(path.join(settings.dataDir, 'node', '31337'));
    machine = await startMachine({ settings, plan: protocolPlan, version: 'test' });
    token = machine.deployment.contracts.SettlementToken!.address;
    // The node signs with devnet account 0, which is also the buyer agent's owner: the dashboard's Approve acts for it.
    owner = walletFor(machine.client, devnetAccount(0));
    assert.equal(machine.nodeSigner, owner.account.address);

    // The seller: an agent whose payee (its owner, account 1) the priced route pays, with a receipt per payment.
    const sellerWallet = walletFor(machine.client, devnetAccount(1));
    seller = sellerWallet.account.address;
    ({ agentId: sellerAgent } = await registerAgent(machine.client, sellerWallet, { identityRegistry: machine.deployment.contracts.IdentityRegistry!.address, agentURI: 'https://seller.example/agent.json' }));

    // The buyer: an agent with its own account, bound as its ERC-8004 agentWallet, holding 20 mUSD.
    const identityRegistry = machine.deployment.contracts.IdentityRegistry!.address;
    const { agentId: buyerAgent } = await registerAgent(machine.client, owner, { identityRegistry, agentURI: 'https://buyer.example/agent.json' });
    ({ account } = await createAgentAccount(owner, { factory: machine.deployment.contracts.AgentAccountFactory!.address, agentId: buyerAgent }));
    await bindAgentWallet(owner, { identityRegistry, account, agentId: buyerAgent });
    await faucet(machine.client, owner, { token, to: account, amount: mUSD('20') });
    // The official client's payer (account 4) is funded here, not mid-test: once payments flow, the node settles
    // them in the background from account 0 (the owner's key too), and a write of ours would race its nonce.
    await faucet(machine.client, owner, { token, to: devnetAccount(4).address, amount: mUSD('1') });

    // The agent key: a fresh key (as a compromised or buggy agent would hold it) with gas money only.
    key = walletFor(machine.client, privateKeyToAccount(generatePrivateKey()));
    await machine.client.waitForTransactionReceipt({ hash: await owner.sendTransaction({ to: key.account.address, value: parseEther('1') }) });
    await setAgentKey(owner, {
      account,
      key: key.account.address,
      policy: {
        limits: [{ asset: token, perTx: mUSD('5'), windowCap: mUSD('5'), windowSeconds: 86_400, escalateAbove: mUSD('1.5') }],
        rules: [{ target: token, selector: 'transferWithAuthorization', conditions: [{ param: 1, op: 'inRecipients', value: seller }] }],
        recipients: [seller],
      },
    });

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic'] });
  });

  after(async () => {
    await browser?.close();
    await machine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pays 3 x 1 mUSD, waits for the owner on 2 mUSD, refuses the 6th token; the official client pays too', async (t) => {
    const url = (price: string, who: string) => `${machine.node.url}/v1/paid/echo?price=${price}&agentId=${sellerAgent}&who=${who}`;
    const pay = createPayingFetch({ client: machine.client, payer: { kind: 'account', account, keyWallet: key }, approvalTimeoutMs: 60_000 });
    const receipts: PaymentReceipt[] = [];
    const sellerBefore = await balanceOf(seller);

    for (let i = 1; i <= 3; i++) {
      const res = await pay(url('1', `request-${i}`));
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { paid: boolean }).paid, true);
      receipts.push(pay.lastReceipt()!);
    }
    assert.deepEqual(receipts.map((r) => [r.payer, r.payTo, r.amount]), Array(3).fill([account, seller, mUSD('1').toString()]));

    // 2 mUSD is above the 1.5 threshold: the payment waits, and the owner sees it in the dashboard.
    const page = await browser.newPage();
    await page.goto(`${machine.node.url}/#/wallets/${account}`);
    const waiting = pay(url('2', 'escalated'));
    const row = page.locator('[data-testid="pending-row"]').first();
    await row.waitFor({ timeout: 20_000 });
    const shownAt = Date.now();
    await row.locator('[data-testid="approve-button"]').click();
    const res = await waiting;
    t.diagnostic(`the escalated payment went through ${Date.now() - shownAt} ms after the owner clicked Approve`);
    assert.equal(res.status, 200, await res.clone().text());
    receipts.push(pay.lastReceipt()!);
    await page.close();

    // 5 of 5 spent today: the 6th token is refused before anything is signed or sent.
    await assert.rejects(pay(url('1', 'sixth')), (err: unknown) => {
      assert.ok(err instanceof PolicyRefusedError, `expected PolicyRefusedError, got ${String(err)}`);
      assert.match(err.message, /window cap for mUSD 5(\.00)? per 1 day already spent 5(\.00)?, asked 1(\.00)?/);
      return true;
    });

    // The official x402 client (@x402/fetch + @x402/evm) pays a Machina-priced route from a plain EOA.
    const buyer = walletFor(machine.client, devnetAccount(4));
    const official = new x402Client();
    official.register('eip155:*', new ExactEvmScheme(toClientEvmSigner({ address: buyer.account.address, signTypedData: (m) => buyer.signTypedData({ account: buyer.account, ...(m as object) } as never) })));
    official.setSpendControls({ allowedAssets: [{ network: `eip155:${machine.client.chain.id}`, asset: token, maxAmountPerPayment: mUSD('1').toString() }] });
    const officialRes = await wrapFetchWithPayment(fetch, official)(url('0.5', 'official'));
    assert.equal(officialRes.status, 200, await officialRes.clone().text());

    // Settlement is asynchronous: wait until the node reports every payment settled, then check the chain.
    const ids = [...receipts.map((r) => r.paymentId)];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const all = (await (await fetch(`${machine.node.url}/v1/payments?limit=50`)).json()) as { items: PaymentReceipt[] };
      const ours = all.items.filter((p) => ids.includes(p.paymentId));
      if (ours.length === ids.length && ours.every((p) => p.status === 'settled') && all.items.length === ids.length + 1 && all.items.every((p) => p.status === 'settled')) break;
      assert.ok(Date.now() < deadline, `payments not settled in 30 s: ${JSON.stringify(all.items.map((p) => [p.paymentId, p.status]))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await balanceOf(account), mUSD('15'), 'the account paid exactly 5 mUSD');
    assert.equal(await balanceOf(seller), sellerBefore + mUSD('5.5'), 'the seller received 5 mUSD from the agent and 0.5 from the official client');
  });
});
