// Interoperability with the official x402 packages on the devnet, both ways: the official
// @x402/fetch client pays a Machina-priced route, and the Machina client pays a route priced by the
// official @x402/express middleware that uses the Machina node as its facilitator.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { x402Client } from '@x402/core/client';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { toClientEvmSigner } from '@x402/evm';
import { ExactEvmScheme as ExactEvmClient } from '@x402/evm/exact/client';
import { ExactEvmScheme as ExactEvmServer } from '@x402/evm/exact/server';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch';
import express from 'express';
import { getAddress } from 'viem';
import { createPayingFetch } from '../../src/pay/x402/client.ts';
import type { PaymentReceipt } from '../../src/pay/x402/receipt.ts';
import { tokenBalance } from '../../src/pay/token.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

let chain: PayChain;
let node: PayNode;
before(async () => {
  chain = await startPayChain();
  node = await startPayNode({ chain, flushMs: 3_600_000 });
});
after(async () => {
  await node?.stop();
  await chain?.stop();
});

describe('x402 interoperability', () => {
  test('the official @x402/fetch client pays a Machina-priced route', async () => {
    const wallet = chain.wallet(2);
    const client = new x402Client();
    client.register('eip155:*', new ExactEvmClient(toClientEvmSigner({ address: wallet.account.address, signTypedData: (m) => wallet.signTypedData({ account: wallet.account, ...(m as object) } as never) })));
    // The official client pays only assets its spend controls allow.
    client.setSpendControls({ allowedAssets: [{ network: `eip155:${chain.client.chain.id}`, asset: chain.token, maxAmountPerPayment: '1000000' }] });
    const paying = wrapFetchWithPayment(fetch, client);
    const res = await paying(`${node.url}/v1/paid/echo?price=0.3&agentId=${chain.agentId}&who=official`);
    assert.equal(res.status, 200, await res.clone().text());
    const settle = decodePaymentResponseHeader(res.headers.get('payment-response')!);
    assert.equal(settle.success, true);
    const receipt = settle.extensions!['machina-receipt'] as PaymentReceipt;
    assert.equal(receipt.payer, wallet.account.address);
    assert.equal(receipt.amount, '300000');
    const before = await tokenBalance(chain.client, { token: chain.token, owner: chain.payee });
    await node.pay.settler.flush();
    assert.equal((await node.pay.getReceipt(receipt.paymentId))?.status, 'settled');
    assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: chain.payee }), before + 300_000n);
  });

  test('the Machina client pays a route priced by the official @x402/express middleware, with the Machina node as facilitator', async () => {
    const network = `eip155:${chain.client.chain.id}` as const;
    const supported = (await (await fetch(`${node.url}/x402/supported`)).json()) as { kinds: Array<{ network: string; scheme: string }>; signers: Record<string, string[]> };
    assert.ok(supported.kinds.some((k) => k.network === network && k.scheme === 'exact'));
    assert.ok(Object.values(supported.signers).flat().includes(node.pay.signer));
    const seller = chain.wallet(6).account.address;
    const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: `${node.url}/x402` })).register(network, new ExactEvmServer());
    const app = express();
    app.use(
      paymentMiddleware(
        { 'GET /weather': { accepts: { scheme: 'exact', network, payTo: seller, price: { amount: '20000', asset: chain.token, extra: { name: 'Machina USD', version: '2' } } }, description: 'weather' } },
        resourceServer,
      ),
    );
    app.get('/weather', (_req, res) => void res.json({ weather: 'sunny' }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/weather`;
      assert.equal((await fetch(url)).status, 402);
      const before = await tokenBalance(chain.client, { token: chain.token, owner: seller });
      const pay = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(4) }, maxAmount: 50_000n });
      const res = await pay(url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), { weather: 'sunny' });
      const settle = decodePaymentResponseHeader(res.headers.get('payment-response')!);
      assert.equal(settle.success, true);
      assert.match(settle.transaction, /^0x[0-9a-f]{64}$/);
      assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: seller }), before + 20_000n);
      // The node's facilitator recorded the settlement it made.
      const page = (await (await fetch(`${node.url}/v1/payments?payTo=${seller}`)).json()) as { items: PaymentReceipt[] };
      assert.equal(page.items[0]?.status, 'settled');
      assert.equal(page.items[0]?.txHash, settle.transaction);
      // Above --max, the Machina client refuses before signing.
      const cheap = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(4) }, maxAmount: 10_000n });
      await assert.rejects(cheap(url), /more than the 0.01 allowed/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

export { getAddress };
