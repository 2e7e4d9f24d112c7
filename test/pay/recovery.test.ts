// No signed payment is lost: it is in the database before the resource is served, and a node that
// stops before settling settles it after a restart; the same payment id sent again after the
// restart is served without paying twice. On the embedded database and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { Hono } from 'hono';
import { getAddress } from 'viem';
import { x402Gateway } from '../../src/node/pay/gateway.ts';
import type { PaymentReceipt } from '../../src/pay/x402/receipt.ts';
import { signTransferAuthorization, tokenBalance } from '../../src/pay/token.ts';
import { databaseKinds } from '../node/fixtures/stores.ts';
import { startPayChain, startPayNode, type PayChain } from './payNode.ts';

let chain: PayChain;
before(async () => {
  chain = await startPayChain();
});
after(async () => {
  await chain?.stop();
});

async function header(i: number, url: string, paymentId: string) {
  const pr = decodePaymentRequiredHeader((await fetch(url)).headers.get('payment-required')!);
  const req = pr.accepts[0]!;
  const { authorization, signature } = await signTransferAuthorization(chain.wallet(i), { token: getAddress(req.asset), to: getAddress(req.payTo), value: BigInt(req.amount), validBefore: BigInt(Math.floor(Date.now() / 1000) + 600) });
  const payload = { authorization: { ...authorization, value: String(authorization.value), validAfter: String(authorization.validAfter), validBefore: String(authorization.validBefore) }, signature };
  return encodePaymentSignatureHeader({ x402Version: 2, accepted: req, payload, extensions: { 'payment-identifier': { info: { required: false, id: paymentId } } } });
}

for (const kind of await databaseKinds()) {
  describe(`x402 recovery (${kind})`, () => {
    test('payments taken before a stop are settled after the restart; a retry after the restart pays once', async () => {
      const schema = kind === 'postgres' ? `pay_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : undefined;
      let node = await startPayNode({ chain, flushMs: 3_600_000, keep: true, postgresSchema: schema });
      const dataDir = node.dataDir;
      const payer = chain.wallet(3).account.address;
      const before = await tokenBalance(chain.client, { token: chain.token, owner: payer });
      const ids = [0, 1, 2].map((k) => `pay_restart_${kind}_${k}_${Date.now()}`);
      const headers: string[] = [];
      for (const [k, id] of ids.entries()) {
        const url = `${node.url}/v1/paid/echo?price=0.5&agentId=${chain.agentId}&k=${k}`;
        headers.push(await header(3, url, id));
        assert.equal((await fetch(url, { headers: { 'payment-signature': headers[k]! } })).status, 200);
      }
      for (const id of ids) assert.equal((await node.pay.getRow(id))?.status, 'pending');
      await node.stop();

      node = await startPayNode({ chain, dataDir, flushMs: 3_600_000, postgresSchema: schema });
      try {
        assert.ok(node.logs.some((l) => /3 unsettled payment\(s\) recovered/.test(l)), node.logs.join('\n'));
        const url = `${node.url}/v1/paid/echo?price=0.5&agentId=${chain.agentId}&k=0`;
        const again = await fetch(url, { headers: { 'payment-signature': headers[0]! } });
        assert.equal(again.status, 200);
        assert.equal((decodePaymentResponseHeader(again.headers.get('payment-response')!).extensions!['machina-receipt'] as PaymentReceipt).paymentId, ids[0]);
        await node.pay.settler.flush();
        for (const id of ids) assert.equal((await node.pay.getReceipt(id))?.status, 'settled');
        const retry = await fetch(url, { headers: { 'payment-signature': headers[0]! } });
        assert.equal(retry.status, 200);
        assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: payer }), before - 3n * 500_000n);
      } finally {
        await node.stop();
      }
    });
  });
}

describe('x402 gateway order', () => {
  test('the payment is in the database before the handler runs, and dropped when the handler fails', async () => {
    const node = await startPayNode({ chain, flushMs: 3_600_000 });
    try {
      const app = new Hono();
      const gate = x402Gateway(node.pay, () => ({ price: '0.01', agentId: chain.agentId }));
      let seen: string | undefined;
      app.use('/thing/*', gate);
      app.get('/thing/ok', async (c) => {
        const receipt = c.get('x402' as never) as PaymentReceipt;
        seen = (await node.pay.getRow(receipt.paymentId))?.status;
        return c.json({ ok: true });
      });
      app.get('/thing/broken', (c) => c.json({ error: 'nope' }, 500));
      const call = async (path: string, id: string) => {
        const first = await app.request(`http://localhost${path}`);
        const pr = decodePaymentRequiredHeader(first.headers.get('payment-required')!);
        const req = pr.accepts[0]!;
        const { authorization, signature } = await signTransferAuthorization(chain.wallet(2), { token: getAddress(req.asset), to: getAddress(req.payTo), value: BigInt(req.amount), validBefore: BigInt(Math.floor(Date.now() / 1000) + 600) });
        const payload = { authorization: { ...authorization, value: String(authorization.value), validAfter: '0', validBefore: String(authorization.validBefore) }, signature };
        return app.request(`http://localhost${path}`, { headers: { 'payment-signature': encodePaymentSignatureHeader({ x402Version: 2, accepted: req, payload, extensions: { 'payment-identifier': { info: { required: false, id } } } }) } });
      };
      const ok = await call('/thing/ok', `pay_order_ok_${Date.now()}`);
      assert.equal(ok.status, 200);
      assert.equal(seen, 'pending');
      const brokenId = `pay_order_broken_${Date.now()}`;
      const broken = await call('/thing/broken', brokenId);
      assert.equal(broken.status, 500);
      assert.equal(broken.headers.get('payment-response'), null);
      const row = await node.pay.getRow(brokenId);
      assert.equal(row?.status, 'failed');
      assert.match(row?.last_error ?? '', /500/);
    } finally {
      await node.stop();
    }
  });
});
