// Both verification modes of the gateway, `fast` (local EIP-712 check against a cached balance, the
// default) and `simulate` (the official facilitator's verify with an eth_call): a good payment
// is served and settles, an unfunded payer is refused, a payer cannot promise more
// than its balance across unsettled payments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPayingFetch } from '../../src/pay/x402/client.ts';
import { faucet, parseTokenAmount } from '../../src/pay/token.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

for (const verify of ['fast', 'simulate'] as const) describe(`x402 gateway, verify: '${verify}'`, () => {
  let chain: PayChain;
  let node: PayNode;
  before(async () => {
    chain = await startPayChain();
    node = await startPayNode({ chain, flushMs: 3_600_000, verify });
  });
  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  test('serves good payments, refuses an unfunded payer, and never lets unsettled promises exceed the balance', async () => {
    const rich = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(2) } });
    const ok = await rich(`${node.url}/v1/paid/echo?price=1&agentId=${chain.agentId}`);
    assert.equal(ok.status, 200);
    const poor = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(8) } });
    await faucet(chain.client, chain.wallet(0), { token: chain.token, to: chain.wallet(8).account.address, amount: parseTokenAmount('2.5') });
    assert.equal((await poor(`${node.url}/v1/paid/echo?price=1&agentId=${chain.agentId}&k=1`)).status, 200);
    assert.equal((await poor(`${node.url}/v1/paid/echo?price=1&agentId=${chain.agentId}&k=2`)).status, 200);
    const third = await poor(`${node.url}/v1/paid/echo?price=1&agentId=${chain.agentId}&k=3`);
    assert.equal(third.status, 402);
    assert.match(((await third.json()) as { error: string }).error, /insufficient_funds/);
    const nobody = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(9) } });
    const none = await nobody(`${node.url}/v1/paid/echo?price=1&agentId=${chain.agentId}&k=4`);
    assert.equal(none.status, 402);
    await node.pay.settler.flush();
    const page = await node.pay.list({ payTo: chain.payee, offset: 0, limit: 10 });
    assert.equal(page.items.filter((r) => r.status === 'settled').length, 3);
  });
});
