// A fetch that pays x402: on a 402 it picks the requirement, signs (an EOA through EIP-3009, or an
// agent account through ERC-1271 inside its on-chain policy, waiting for the owner when the policy
// escalates), retries with the payment header, and keeps the node's receipt. Built on the official
// x402Client (@x402/core) and exact EVM scheme (@x402/evm); the account signer is a scheme client
// of our own. A retry after an ambiguous failure resends the same payment (same payment id), so it
// never pays twice.
import { x402Client, x402HTTPClient } from '@x402/core/client';
import type { PaymentPayload, PaymentRequirements, SchemeNetworkClient } from '@x402/core/types';
import { toClientEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { generatePaymentId, PAYMENT_IDENTIFIER } from '@x402/extensions/payment-identifier';
import { getAddress, type Address } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { MachinaError } from '../../errors/index.ts';
import { authorizeTokenSignature, waitForPending } from '../../wallet/index.ts';
import { formatTokenAmount, randomNonce } from '../token.ts';
import { receiptFromHeader } from './protocol.ts';
import type { PaymentReceipt } from './receipt.ts';

export type Payer = { kind: 'eoa'; wallet: MachinaWalletClient } | { kind: 'account'; account: Address; keyWallet: MachinaWalletClient };

export type PayingFetchEvent =
  | { type: 'payment-required'; url: string; requirements: PaymentRequirements[] }
  | { type: 'signed'; paymentId: string; amount: string; payTo: string }
  | { type: 'pending-approval'; account: Address; pendingId: bigint }
  | { type: 'approved'; account: Address; pendingId: bigint }
  | { type: 'retry'; attempt: number; reason: string }
  | { type: 'paid'; receipt: PaymentReceipt | undefined; status: number };

export type CreatePayingFetchParameters = {
  client: MachinaPublicClient;
  payer: Payer;
  /** Largest amount (base units) paid for one request; a dearer requirement is refused before signing. */
  maxAmount?: bigint;
  /** How long to wait for the owner when the policy escalates a payment (ms); 10 minutes by default. */
  approvalTimeoutMs?: number;
  /** Resends of the paid request after a network error or a 5xx (same payment, same id); 2 by default. */
  retries?: number;
  onEvent?: (e: PayingFetchEvent) => void;
  /** The fetch underneath (globalThis.fetch by default). */
  fetch?: typeof fetch;
};

export type PayingFetch = typeof fetch & { lastReceipt(): PaymentReceipt | undefined };

/** The exact-EVM scheme client for an agent account: the account "signs" through ERC-1271. */
function accountScheme(p: { client: MachinaPublicClient; account: Address; keyWallet: MachinaWalletClient; approvalTimeoutMs: number; onEvent: (e: PayingFetchEvent) => void }): SchemeNetworkClient {
  return {
    scheme: 'exact',
    async createPaymentPayload(x402Version, req) {
      const chainId = Number(req.network.split(':')[1]);
      if (chainId !== p.keyWallet.chain.id) throw new MachinaError(`the payment is on ${req.network}, the agent key's wallet on eip155:${p.keyWallet.chain.id}`, { code: 'WRONG_NETWORK', field: 'network' });
      const now = Math.floor(Date.now() / 1000);
      // An escalated payment waits for the owner: its authorization must outlive that wait.
      const authorization = {
        from: getAddress(p.account),
        to: getAddress(req.payTo),
        value: req.amount,
        validAfter: '0',
        validBefore: String(now + req.maxTimeoutSeconds + Math.ceil(p.approvalTimeoutMs / 1000)),
        nonce: randomNonce(),
      };
      const r = await authorizeTokenSignature(p.keyWallet, {
        account: p.account,
        token: getAddress(req.asset),
        to: authorization.to,
        value: BigInt(authorization.value),
        validAfter: 0n,
        validBefore: BigInt(authorization.validBefore),
        nonce: authorization.nonce,
      });
      if (r.pendingId !== null) {
        p.onEvent({ type: 'pending-approval', account: p.account, pendingId: r.pendingId });
        const outcome = await waitForPending(p.client, { account: p.account, pendingId: r.pendingId, timeoutMs: p.approvalTimeoutMs });
        if (outcome !== 'approved') {
          throw new MachinaError(`payment of ${formatTokenAmount(BigInt(req.amount))} tokens to ${req.payTo} was ${outcome} by the owner of ${p.account} (pending action ${r.pendingId})`, {
            code: outcome === 'rejected' ? 'PAYMENT_REJECTED_BY_OWNER' : 'PAYMENT_APPROVAL_EXPIRED',
            field: 'pendingId',
          });
        }
        p.onEvent({ type: 'approved', account: p.account, pendingId: r.pendingId });
      }
      return { x402Version, payload: { authorization, signature: r.signature } };
    },
  };
}

/**
 * A fetch that pays x402 (v2) resources automatically.
 * @example
 * const pay = createPayingFetch({ client, payer: { kind: 'account', account, keyWallet }, maxAmount: 1_000_000n })
 * const res = await pay('http://127.0.0.1:8787/v1/paid/echo?price=1')
 * console.log(pay.lastReceipt()?.status)
 */
export function createPayingFetch(opts: CreatePayingFetchParameters): PayingFetch {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const onEvent = opts.onEvent ?? (() => {});
  const approvalTimeoutMs = opts.approvalTimeoutMs ?? 600_000;
  const retries = opts.retries ?? 2;
  const core = new x402Client();
  // Prices here are in the settlement token, which the official USD spend controls do not know;
  // `maxAmount` is the cap instead.
  core.setSpendControls(false);
  if (opts.payer.kind === 'eoa') {
    const w = opts.payer.wallet;
    core.register('eip155:*', new ExactEvmScheme(toClientEvmSigner({ address: w.account.address, signTypedData: (m) => w.signTypedData({ account: w.account, ...(m as object) } as Parameters<MachinaWalletClient['signTypedData']>[0]) })));
  } else {
    core.register('eip155:*', accountScheme({ client: opts.client, account: opts.payer.account, keyWallet: opts.payer.keyWallet, approvalTimeoutMs, onEvent }));
  }
  const maxAmount = opts.maxAmount;
  if (maxAmount !== undefined) core.registerPolicy((_v, reqs) => reqs.filter((r) => BigInt(r.amount) <= maxAmount));
  const http = new x402HTTPClient(core);
  let last: PaymentReceipt | undefined;

  const payingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const first = await fetchImpl(request.clone());
    if (first.status !== 402) return first;
    let body: unknown;
    try {
      const text = await first.text();
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const required = http.getPaymentRequiredResponse((n) => first.headers.get(n), body);
    onEvent({ type: 'payment-required', url: request.url, requirements: required.accepts });
    if (maxAmount !== undefined && !required.accepts.some((r) => BigInt(r.amount) <= maxAmount)) {
      const cheapest = required.accepts.reduce((m, r) => (BigInt(r.amount) < m ? BigInt(r.amount) : m), BigInt(required.accepts[0]?.amount ?? 0));
      throw new MachinaError(`${request.url} asks ${formatTokenAmount(cheapest)} tokens, more than the ${formatTokenAmount(maxAmount)} allowed per request (--max)`, { code: 'PRICE_ABOVE_MAX', field: 'maxAmount' });
    }
    let payload: PaymentPayload;
    try {
      payload = await core.createPaymentPayload(required);
    } catch (err) {
      if (err instanceof MachinaError) throw err;
      throw new MachinaError(`cannot pay ${request.url}: ${(err as Error).message}`, { code: 'PAYMENT_NOT_CREATED', cause: err });
    }
    // The payment-identifier extension: the same id on every resend of this payment.
    const paymentId = generatePaymentId('pay_');
    payload = { ...payload, extensions: { ...payload.extensions, [PAYMENT_IDENTIFIER]: { info: { required: false, id: paymentId } } } };
    onEvent({ type: 'signed', paymentId, amount: payload.accepted.amount, payTo: payload.accepted.payTo });
    const headers = http.encodePaymentSignatureHeader(payload);
    for (let attempt = 0; ; attempt++) {
      const paid = request.clone();
      for (const [k, v] of Object.entries(headers)) paid.headers.set(k, v);
      let res: Response;
      try {
        res = await fetchImpl(paid);
      } catch (err) {
        if (attempt >= retries) throw err;
        onEvent({ type: 'retry', attempt: attempt + 1, reason: (err as Error).message });
        continue;
      }
      if (res.status >= 500 && attempt < retries) {
        onEvent({ type: 'retry', attempt: attempt + 1, reason: `status ${res.status}` });
        continue;
      }
      const receipt = receiptFromHeader(res.headers.get('payment-response') ?? res.headers.get('x-payment-response'));
      last = receipt;
      onEvent({ type: 'paid', receipt, status: res.status });
      return res;
    }
  };
  return Object.assign(payingFetch, { lastReceipt: () => last }) as PayingFetch;
}
