// Routes priced by settings (MACHINA_X402_ROUTES): parsing with clear errors, and the price applied
// to existing node routes (served and paid; a route that fails drops the payment).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseX402Routes } from '../../src/node/pay/config.ts';
import { createPayingFetch } from '../../src/pay/x402/client.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

describe('MACHINA_X402_ROUTES', () => {
  test('parses routes and names the entry and field at fault', () => {
    const r = parseX402Routes('[{"path":"/v1/agents/:agentId","price":"0.01","agentId":"0"},{"path":"/v1/openapi.json","price":"1","payTo":"0x000000000000000000000000000000000000dEaD","method":"get"}]');
    assert.equal(r.length, 2);
    assert.equal(r[0]!.price, 10_000n);
    assert.equal(r[0]!.agentId, 0n);
    assert.equal(r[1]!.method, 'GET');
    assert.deepEqual(parseX402Routes(undefined), []);
    assert.throws(() => parseX402Routes('{'), /MACHINA_X402_ROUTES: not valid JSON/);
    assert.throws(() => parseX402Routes('[{"path":"/x","price":"abc","agentId":"0"}]'), /MACHINA_X402_ROUTES\[0\]\.price: must be a decimal number/);
    assert.throws(() => parseX402Routes('[{"path":"/x","price":"1"}]'), /MACHINA_X402_ROUTES\[0\]: give exactly one of agentId/);
    assert.throws(() => parseX402Routes('[{"path":"/x","price":"1","payTo":"0x12"}]'), /payTo: must be a 0x address/);
    assert.throws(() => parseX402Routes('[{"path":"/x","price":"1","agentId":"1","extra":1}]'), /\[0\]\.extra: unknown field/);
  });
});

describe('settings-priced node routes', () => {
  let chain: PayChain;
  let node: PayNode;
  before(async () => {
    chain = await startPayChain();
    const routes = parseX402Routes(JSON.stringify([
      { path: '/v1/openapi.json', price: '0.05', agentId: String(chain.agentId), description: 'the API document, for a price' },
      { path: '/v1/agents/:agentId', price: '0.01', agentId: String(chain.agentId) },
    ]));
    node = await startPayNode({ chain, routes, flushMs: 3_600_000 });
  });
  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  test('an existing route answers 402 until paid, then serves; a route that fails drops the payment', async () => {
    assert.equal((await fetch(`${node.url}/v1/openapi.json`)).status, 402);
    const pay = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: chain.wallet(2) } });
    const res = await pay(`${node.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { openapi: string }).openapi, '3.1.0');
    assert.equal(pay.lastReceipt()?.amount, '50000');
    // Unpriced routes stay free.
    assert.equal((await fetch(`${node.url}/v1/payments`)).status, 200);
    const missing = await pay(`${node.url}/v1/agents/999`);
    assert.equal(missing.status, 404);
    const id = pay.lastReceipt()?.paymentId;
    const row = id ? await node.pay.getRow(id) : undefined;
    // No receipt comes back with a failed resource; the dropped payment is in the table as failed.
    assert.ok(!row || row.status === 'failed');
    const failed = await node.pay.list({ status: 'failed', offset: 0, limit: 5 });
    assert.ok(failed.items.some((r) => r.resource === '/v1/agents/999'));
  });
});
