// The x402 gateway of the node on a real devnet: the 402 answer (v2 headers), paying and being
// served with a signed receipt, v1's X-PAYMENT, idempotent retries, batched settlement, expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { getAddress, type Hex } from 'viem';
import { createPayingFetch } from '../../src/pay/x402/client.ts';
import { verifyReceipt } from '../../src/pay/x402/receipt.ts';
import { signTransferAuthorization, tokenBalance } from '../../src/pay/token.ts';
import { settlementTokenAbi, x402SettlementAbi } from '../../src/pay/x402/abi.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

let chain: PayChain;
let node: PayNode;

before(async () => {
  chain = await startPayChain();
  node = await startPayNode({ chain, flushMs: 100_000 });
});
after(async () => {
  await node?.stop();
  await chain?.stop();
});

describe('x402 gateway', () => {
  test('answers 402 with a v2 PAYMENT-REQUIRED header (base64 JSON) naming the token, amount and payee', async () => {
    const res = await fetch(`${node.url}/v1/paid/echo?price=0.5&agentId=${chain.agentId}`);
    assert.equal(res.status, 402);
    const header = res.headers.get('payment-required');
    assert.ok(header);
    assert.match(header, /^[A-Za-z0-9+/=]+$/);
    const pr = decodePaymentRequiredHeader(header);
    assert.equal(pr.x402Version, 2);
    assert.equal(pr.accepts.length, 1);
    const req = pr.accepts[0]!;
    assert.equal(req.scheme, 'exact');
    assert.equal(req.network, `eip155:${chain.client.chain.id}`);
    assert.equal(getAddress(req.asset), chain.token);
    assert.equal(req.amount, '500000');
    assert.equal(getAddress(req.payTo), chain.payee);
    assert.deepEqual({ name: req.extra.name, version: req.extra.version }, { name: 'Machina USD', version: '2' });
    assert.ok(pr.extensions?.['payment-identifier']);
    assert.deepEqual(await res.json(), pr);
  });

  test('a Machina client (EOA) pays, is served, and gets a receipt signed by the node; the batch settles it on chain', async () => {
    const wallet = chain.wallet(2);
    const pay = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet } });
    const before = await tokenBalance(chain.client, { token: chain.token, owner: chain.payee });
    const res = await pay(`${node.url}/v1/paid/echo?price=0.25&agentId=${chain.agentId}&q=hello`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { echo: { q: string } }).echo.q, 'hello');
    const receipt = pay.lastReceipt()!;
    assert.equal(receipt.status, 'pending');
    assert.equal(receipt.payer, wallet.account.address);
    assert.equal(receipt.amount, '250000');
    assert.equal(await verifyReceipt(receipt, node.pay.signer), node.pay.signer);
    // Persisted before the resource was served.
    assert.equal((await node.pay.getRow(receipt.paymentId))?.status, 'pending');
    await node.pay.settler.flush();
    const settled = (await node.pay.getReceipt(receipt.paymentId))!;
    assert.equal(settled.status, 'settled', (await node.pay.getRow(receipt.paymentId))?.last_error ?? '');
    assert.ok(settled.txHash && settled.receiptId && settled.batchId);
    await verifyReceipt(settled, node.pay.signer);
    assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: chain.payee }), before + 250000n);
    const api = (await (await fetch(`${node.url}/v1/payments/${receipt.paymentId}`)).json()) as { status: string };
    assert.equal(api.status, 'settled');
  });
});

/** A v2 payment header signed by devnet account `i` for the route's requirement. */
async function signedHeader(i: number, url: string, opts: { paymentId?: string; validBefore?: bigint; v1?: boolean } = {}) {
  const res = await fetch(url);
  const pr = decodePaymentRequiredHeader(res.headers.get('payment-required')!);
  const req = pr.accepts[0]!;
  const { authorization, signature } = await signTransferAuthorization(chain.wallet(i), {
    token: getAddress(req.asset),
    to: getAddress(req.payTo),
    value: BigInt(req.amount),
    validBefore: opts.validBefore ?? BigInt(Math.floor(Date.now() / 1000) + 300),
  });
  const payload = {
    authorization: { ...authorization, value: authorization.value.toString(), validAfter: authorization.validAfter.toString(), validBefore: authorization.validBefore.toString() },
    signature,
  };
  if (opts.v1) return { header: Buffer.from(JSON.stringify({ x402Version: 1, scheme: 'exact', network: 'devnet', payload })).toString('base64'), authorization };
  const extensions = opts.paymentId ? { 'payment-identifier': { info: { required: false, id: opts.paymentId } } } : undefined;
  return { header: encodePaymentSignatureHeader({ x402Version: 2, accepted: req, payload, ...(extensions ? { extensions } : {}) }), authorization };
}

describe('x402 gateway: idempotency, v1, batching, expiry, failures', () => {
  test("v1's X-PAYMENT header is accepted and answered with X-PAYMENT-RESPONSE", async () => {
    const url = `${node.url}/v1/paid/echo?price=0.01&agentId=${chain.agentId}&v=1`;
    const { header } = await signedHeader(3, url, { v1: true });
    const res = await fetch(url, { headers: { 'x-payment': header } });
    assert.equal(res.status, 200, await res.clone().text());
    const r = decodePaymentResponseHeader(res.headers.get('x-payment-response')!);
    assert.equal(r.success, true);
    assert.equal(getAddress(r.payer!), chain.wallet(3).account.address);
  });

  test('the same payment id sent again is served again and paid once; reused for another resource it is refused (409)', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.1&agentId=${chain.agentId}&idem=1`;
    const paymentId = `pay_idem_${Date.now()}_abcdef`;
    const { header } = await signedHeader(4, url, { paymentId });
    const payer = chain.wallet(4).account.address;
    const balance0 = await tokenBalance(chain.client, { token: chain.token, owner: payer });
    const r1 = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(r1.status, 200);
    const r2 = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(r2.status, 200);
    const id1 = decodePaymentResponseHeader(r1.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string };
    const id2 = decodePaymentResponseHeader(r2.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string };
    assert.equal(id1.paymentId, paymentId);
    assert.equal(id2.paymentId, paymentId);
    // The same id with a new authorization (a client that re-signed) still pays once.
    const again = await signedHeader(4, url, { paymentId });
    assert.equal((await fetch(url, { headers: { 'payment-signature': again.header } })).status, 200);
    const other = await signedHeader(4, `${node.url}/v1/paid/echo?price=0.1&agentId=${chain.agentId}&idem=2`, { paymentId });
    const conflict = await fetch(`${node.url}/v1/paid/echo?price=0.1&agentId=${chain.agentId}&idem=2`, { headers: { 'payment-signature': other.header } });
    assert.equal(conflict.status, 409);
    assert.equal(((await conflict.json()) as { error: { code: string } }).error.code, 'PAYMENT_ID_CONFLICT');
    await node.pay.settler.flush();
    assert.equal((await node.pay.getReceipt(paymentId))?.status, 'settled');
    const r3 = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(r3.status, 200);
    const settled = decodePaymentResponseHeader(r3.headers.get('payment-response')!);
    assert.ok(settled.transaction.startsWith('0x'));
    assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: payer }), balance0 - 100_000n);
  });

  test('many payments settle in one settleBatch transaction', async () => {
    await node.pay.settler.flush();
    const batches0 = node.pay.settler.stats().batches;
    const ids: string[] = [];
    for (let k = 0; k < 24; k++) {
      const i = 2 + (k % 3);
      const url = `${node.url}/v1/paid/echo?price=0.001&agentId=${chain.agentId}&n=${k}`;
      const { header } = await signedHeader(i, url);
      const res = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(res.status, 200, await res.clone().text());
      ids.push((decodePaymentResponseHeader(res.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string }).paymentId);
    }
    await node.pay.settler.flush();
    assert.equal(node.pay.settler.stats().batches, batches0 + 1);
    const receipts = await Promise.all(ids.map((id) => node.pay.getReceipt(id)));
    assert.ok(receipts.every((r) => r?.status === 'settled'));
    assert.equal(new Set(receipts.map((r) => r!.txHash)).size, 1);
    assert.equal(new Set(receipts.map((r) => r!.batchId)).size, 1);
    const tx = await chain.client.getTransactionReceipt({ hash: receipts[0]!.txHash! });
    console.log(`# batch of ${ids.length}: ${tx.gasUsed} gas, ${tx.gasUsed / BigInt(ids.length)} per payment`);
  });

  test('a settled batch receipt is proven on chain and backs verified ERC-8004 feedback', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.01&agentId=${chain.agentId}&fb=1`;
    const { header } = await signedHeader(5, url);
    const res = await fetch(url, { headers: { 'payment-signature': header } });
    const { paymentId } = decodePaymentResponseHeader(res.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string };
    await node.pay.settler.flush();
    const proven = (await (await fetch(`${node.url}/v1/payments/${paymentId}/prove`, { method: 'POST' })).json()) as { receiptId: Hex; source: string };
    const stored = await chain.client.readContract({ address: chain.settlement, abi: x402SettlementAbi, functionName: 'interactionReceipt', args: [proven.receiptId] });
    assert.equal(stored.client, chain.wallet(5).account.address);
    assert.equal(stored.agentId, chain.agentId);
    assert.equal(stored.amount, 10_000n);
    const { giveFeedback } = await import('../../src/identity/actions/feedback.ts');
    const fb = await giveFeedback(chain.client, chain.wallet(5), {
      reputationRegistry: chain.address('ReputationRegistry'),
      agentId: chain.agentId,
      value: 90n,
      valueDecimals: 0,
      receipt: { source: chain.settlement, receiptId: proven.receiptId },
    } as never);
    assert.equal(fb.verified, true);
  });

  test('an authorization that expires before settlement is marked expired, never settled', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.01&agentId=${chain.agentId}&exp=1`;
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 9);
    const { header, authorization } = await signedHeader(2, url, { validBefore });
    const res = await fetch(url, { headers: { 'payment-signature': header } });
    assert.equal(res.status, 200, await res.clone().text());
    const { paymentId } = decodePaymentResponseHeader(res.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string };
    await new Promise((r) => setTimeout(r, Number(validBefore) * 1000 - Date.now() - 2_500));
    await node.pay.settler.flush();
    const r = (await node.pay.getReceipt(paymentId))!;
    assert.equal(r.status, 'expired');
    await verifyReceipt(r, node.pay.signer);
    assert.equal(await chain.client.readContract({ address: chain.token, abi: settlementTokenAbi, functionName: 'authorizationState', args: [authorization.from, authorization.nonce] }), false);
  });

  test('a bad signature, a wrong amount and an unfunded payer are refused with 402 and a reason', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.01&agentId=${chain.agentId}&bad=1`;
    const { header } = await signedHeader(2, url);
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString()) as { payload: { signature: string } };
    decoded.payload.signature = `${decoded.payload.signature.slice(0, -4)}0000`;
    const bad = await fetch(url, { headers: { 'payment-signature': Buffer.from(JSON.stringify(decoded)).toString('base64') } });
    assert.equal(bad.status, 402);
    assert.match(((await bad.json()) as { error: string }).error, /refused|signature/);
    const dearer = await fetch(`${node.url}/v1/paid/echo?price=0.02&agentId=${chain.agentId}&bad=1`, { headers: { 'payment-signature': header } });
    assert.equal(dearer.status, 402);
    assert.match(((await dearer.json()) as { error: string }).error, /does not match/);
    const poor = await signedHeader(7, url);
    const r = await fetch(url, { headers: { 'payment-signature': poor.header } });
    assert.equal(r.status, 402);
    assert.match(((await r.json()) as { error: string }).error, /insufficient|balance|refused/i);
  });

  test('a payment whose authorization was used on chain meanwhile fails at settlement (the chain has the last word)', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.01&agentId=${chain.agentId}&race=1`;
    const { header, authorization } = await signedHeader(2, url);
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString()) as { payload: { signature: Hex } };
    // The payer (or anyone holding the authorization) settles it directly first.
    const hash = await chain.wallet(9).writeContract({
      address: chain.token,
      abi: settlementTokenAbi,
      functionName: 'transferWithAuthorization',
      args: [authorization.from, authorization.to, authorization.value, authorization.validAfter, authorization.validBefore, authorization.nonce, decoded.payload.signature],
    });
    await chain.client.waitForTransactionReceipt({ hash });
    const res = await fetch(url, { headers: { 'payment-signature': header } });
    if (res.status === 200) {
      const { paymentId } = decodePaymentResponseHeader(res.headers.get('payment-response')!).extensions!['machina-receipt'] as { paymentId: string };
      await node.pay.settler.flush();
      const row = await node.pay.getRow(paymentId);
      assert.equal(row?.status, 'failed');
      assert.match(row?.last_error ?? '', /refused on chain/);
    } else {
      assert.equal(res.status, 402);
    }
  });

  test('GET /v1/payments lists receipts with filters', async () => {
    const page = (await (await fetch(`${node.url}/v1/payments?payer=${chain.wallet(4).account.address}&status=settled&limit=5`)).json()) as { items: Array<{ payer: string; status: string }>; total: number };
    assert.ok(page.total >= 1);
    assert.ok(page.items.every((i) => i.payer === chain.wallet(4).account.address && i.status === 'settled'));
    assert.equal((await fetch(`${node.url}/v1/payments?status=nope`)).status, 400);
    assert.equal((await fetch(`${node.url}/v1/payments/pay_unknown_0000000000`)).status, 404);
  });
});
