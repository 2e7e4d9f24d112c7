// An agent account pays x402 routes through ERC-1271 inside its on-chain policy: payments within
// the limits are served and settle in a batch, one above the escalation threshold waits for the
// owner (approved: paid; rejected: a clear error), and one past the daily cap is refused before
// anything is signed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Address } from 'viem';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { createPayingFetch, type PayingFetchEvent } from '../../src/pay/x402/client.ts';
import { faucet, parseTokenAmount, tokenBalance } from '../../src/pay/token.ts';
import { approvePending, createAgentAccount, PolicyRefusedError, rejectPending, setAgentKey } from '../../src/wallet/index.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

const M = 1_000_000n;
let chain: PayChain;
let node: PayNode;
let account: Address;

before(async () => {
  chain = await startPayChain();
  node = await startPayNode({ chain, flushMs: 3_600_000 });
  const owner = chain.wallet(6);
  const { agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://buyer.example/agent.json' });
  ({ account } = await createAgentAccount(owner, { factory: chain.address('AgentAccountFactory'), agentId }));
  await setAgentKey(owner, {
    account,
    key: chain.wallet(7).account.address,
    policy: {
      limits: [{ asset: chain.token, perTx: 5n * M, windowCap: 5n * M, windowSeconds: 86_400, escalateAbove: (3n * M) / 2n }],
      rules: [{ target: chain.token, selector: 'transferWithAuthorization', conditions: [{ param: 1, op: 'inRecipients', value: '0x' }] }],
      recipients: [chain.payee],
    },
  });
  await faucet(chain.client, chain.wallet(0), { token: chain.token, to: account, amount: parseTokenAmount('100') });
});
after(async () => {
  await node?.stop();
  await chain?.stop();
});

describe('x402 from an agent account (ERC-1271)', () => {
  test('pays within the policy, waits for the owner above the threshold, and is refused past the daily cap', async () => {
    const events: PayingFetchEvent[] = [];
    const owner = chain.wallet(6);
    let decide: 'approve' | 'reject' = 'approve';
    const pay = createPayingFetch({
      client: chain.client,
      payer: { kind: 'account', account, keyWallet: chain.wallet(7) },
      approvalTimeoutMs: 60_000,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'pending-approval') void (decide === 'approve' ? approvePending(owner, { account, pendingId: e.pendingId }) : rejectPending(owner, { account, pendingId: e.pendingId }));
      },
    });
    const url = (price: string, n: number) => `${node.url}/v1/paid/echo?price=${price}&agentId=${chain.agentId}&n=${n}`;
    const payeeBefore = await tokenBalance(chain.client, { token: chain.token, owner: chain.payee });

    for (const n of [1, 2]) {
      const res = await pay(url('1', n));
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(pay.lastReceipt()?.payer, account);
    }
    decide = 'reject';
    await assert.rejects(pay(url('1.6', 3)), (e: Error & { code?: string }) => e.code === 'PAYMENT_REJECTED_BY_OWNER' && /rejected by the owner/.test(e.message));
    decide = 'approve';
    const escalated = await pay(url('1.6', 4));
    assert.equal(escalated.status, 200, await escalated.clone().text());
    assert.ok(events.some((e) => e.type === 'approved'));
    assert.equal((await pay(url('1', 5))).status, 200);
    // 4.6 of 5 tokens spent today: one more token is refused by the policy, with the numbers.
    await assert.rejects(pay(url('1', 6)), (e: unknown) => e instanceof PolicyRefusedError && /window|cap|limit/i.test((e as Error).message));

    // A round that fails (e.g. a transient RPC error) leaves payments pending with a backoff; the
    // settler's contract is that they settle on a later round, so flush until they do (bounded).
    let page = await node.pay.list({ payer: account, offset: 0, limit: 10 });
    for (let round = 0; round < 40 && !page.items.every((r) => r.status === 'settled'); round++) {
      await node.pay.settler.flush();
      page = await node.pay.list({ payer: account, offset: 0, limit: 10 });
      if (!page.items.every((r) => r.status === 'settled')) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(page.items.length, 4);
    assert.ok(page.items.every((r) => r.status === 'settled'), JSON.stringify({ statuses: page.items.map((r) => r.status), log: node.logs.filter((l) => l.startsWith('pay')).slice(-5) }));
    assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: chain.payee }), payeeBefore + 4_600_000n);
  });
});
