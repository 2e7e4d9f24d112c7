// The node's x402 payment service: accepts a signed payment (verified by the official facilitator,
// persisted before the resource is served, idempotent per payment id), signs a receipt for it, and
// hands it to the settler, which batches settlement on chain in the background.
import type { x402Facilitator } from '@x402/core/facilitator';
import type { Kysely } from 'kysely';
import { getAddress, keccak256, stringToBytes, type Address, type Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { MachinaError } from '../../errors/index.ts';
import { settlementTokenAbi, x402SettlementAbi } from '../../pay/x402/abi.ts';
import { createFacilitator, evmNetwork } from '../../pay/x402/facilitator.ts';
import { exactPayload, paymentIdOf, type PaymentPayload, type PaymentRequirements, type SettleResponse } from '../../pay/x402/protocol.ts';
import { buildReceiptProof } from '../../pay/settlementProof.ts';
import { writeAndWait } from '../../chain/write.ts';
import { NotFoundError } from '../../errors/index.ts';
import { signReceipt, type PaymentReceipt } from '../../pay/x402/receipt.ts';
import { toJson } from '../db/bulk.ts';
import { migrateNodeDatabase } from '../db/migrate.ts';
import { payModule } from './module.ts';
import { createFastVerifier } from './fastVerify.ts';
import { createSettler, type Settler } from './settler.ts';
import { batchPayments, findPayment, getPayment, getPaymentByNonce, insertPayment, listPayments, receiptOf, updatePayments, type ListPaymentsParameters, type PaymentRow } from './store.ts';

/** A payment the gateway refuses: answered 402 (or 409 for a reused payment id) with the reason. */
export class PaymentRejectedError extends MachinaError {
  override name = 'PaymentRejectedError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message, { code: status === 409 ? 'PAYMENT_ID_CONFLICT' : 'PAYMENT_INVALID', field: 'PAYMENT-SIGNATURE', details: { reason } });
    this.status = status;
    this.reason = reason;
  }
}

export type PayServiceParameters = {
  db: Kysely<any>;
  /** Postgres schema of the node's tables (migrations are tracked there). */
  schema?: string;
  client: MachinaPublicClient;
  /** The node's signer: signs receipts and pays gas for settlement. */
  wallet: MachinaWalletClient;
  deployment: Deployment;
  /** Settle at least this often (ms); 1000 by default. */
  flushMs?: number;
  /** Settle as soon as this many payments wait; 100 by default (also the largest batch). */
  maxBatch?: number;
  log?: (line: string) => void;
  /**
   * How a payment is verified before serving. `fast` (default): an EOA's EIP-712 signature and
   * every term are checked locally, its balance against a cache (2 s) net of its unsettled
   * payments; no round trip. `simulate`: the official facilitator's verify for every payment (the
   * same checks plus an eth_call simulation of the transfer). Either way the chain has the last word
   * at settlement (as with the official middleware, which settles after serving), and contract
   * payers (agent accounts, ERC-1271) always take the official path.
   */
  verify?: 'fast' | 'simulate';
};

export type AcceptResult = { receipt: PaymentReceipt; replay: boolean };

export type PayService = {
  network: string;
  token: Address | undefined;
  settlement: Address | undefined;
  signer: Address;
  facilitator: x402Facilitator;
  settler: Settler;
  /** Verifies and records a payment for `resource`; a known payment id returns its first result. */
  accept(payload: PaymentPayload, requirements: PaymentRequirements, resource: string): Promise<AcceptResult>;
  /** The resource was not served: the payment is dropped, never settled. */
  cancel(paymentId: string, why: string): Promise<void>;
  getReceipt(paymentId: string): Promise<PaymentReceipt | undefined>;
  getRow(paymentId: string): Promise<PaymentRow | undefined>;
  list(p: ListPaymentsParameters): Promise<{ items: PaymentReceipt[]; total: number }>;
  /** The facilitator's /settle: settles one payment now (idempotent per payment id and authorization). */
  settleNow(payload: PaymentPayload, requirements: PaymentRequirements): Promise<SettleResponse>;
  /** Stores a batch-settled payment's receipt on chain (X402Settlement.proveReceipt) so it can back ERC-8004 feedback. */
  prove(paymentId: string): Promise<{ paymentId: string; receiptId: Hex; batchId: string; source: Address; txHash: Hex | null }>;
  /** Resolves an agent's payee (agentWallet, else owner), cached for a minute. */
  payeeOf(agentId: bigint): Promise<Address>;
  stop(): Promise<void>;
};

const identityAbi = [
  { type: 'function', name: 'getAgentWallet', stateMutability: 'view', inputs: [{ name: 'agentId', type: 'uint256' }], outputs: [{ type: 'address' }] },
  { type: 'function', name: 'ownerOf', stateMutability: 'view', inputs: [{ name: 'agentId', type: 'uint256' }], outputs: [{ type: 'address' }] },
] as const;

/**
 * Starts the pay service (migrates its tables, recovers unsettled payments, starts the settler).
 * @example
 * const pay = await createPayService({ db: store.db, client, wallet, deployment })
 * const { receipt } = await pay.accept(payload, requirements, '/v1/paid/echo')
 */
export async function createPayService(p: PayServiceParameters): Promise<PayService> {
  const { db, client, wallet, deployment } = p;
  const log = p.log ?? (() => {});
  await migrateNodeDatabase(db, p.schema ?? 'public', [payModule()]);
  const network = evmNetwork(client.chain.id);
  const tokenAt = deployment.contracts.SettlementToken?.address;
  const settlementAt = deployment.contracts.X402Settlement?.address;
  const token = tokenAt ? getAddress(tokenAt) : undefined;
  const settlement = settlementAt ? getAddress(settlementAt) : undefined;
  const facilitator = createFacilitator({ client, wallet });
  // What each payer has promised and not yet settled, so many payments in flight cannot spend the
  // same balance twice before settlement catches up.
  const reserved = new Map<string, bigint>();
  const reserve = (payer: string, amount: bigint) => reserved.set(payer, (reserved.get(payer) ?? 0n) + amount);
  const release = (payer: string, amount: bigint) => {
    const left = (reserved.get(payer) ?? 0n) - amount;
    if (left > 0n) reserved.set(payer, left);
    else reserved.delete(payer);
  };
  const fast = p.verify === 'simulate' ? undefined : createFastVerifier({ client });
  const settler = createSettler({
    db, client, wallet, facilitator, settlement, token, flushMs: p.flushMs ?? 1_000, maxBatch: p.maxBatch ?? 100, log,
    onDone: (row) => {
      release(row.payer, BigInt(row.amount));
      fast?.forget(row.payer);
    },
  });
  for (const row of await settler.recover()) reserve(row.payer, BigInt(row.amount));

  const payees = new Map<string, { at: number; payee: Address }>();
  const identity = deployment.contracts.IdentityRegistry?.address;
  const payeeOf = async (agentId: bigint): Promise<Address> => {
    const hit = payees.get(agentId.toString());
    if (hit && Date.now() - hit.at < 60_000) return hit.payee;
    if (!identity) throw new MachinaError('no IdentityRegistry in the deployment', { code: 'NO_DEPLOYMENT' });
    const w = await client.readContract({ address: identity, abi: identityAbi, functionName: 'getAgentWallet', args: [agentId] });
    const payee = w !== '0x0000000000000000000000000000000000000000' ? w : await client.readContract({ address: identity, abi: identityAbi, functionName: 'ownerOf', args: [agentId] });
    payees.set(agentId.toString(), { at: Date.now(), payee: getAddress(payee) });
    return getAddress(payee);
  };

  /** The row's receipt, signed for its current state (the settler leaves the signature empty when the state changes). */
  const signed = async (row: PaymentRow): Promise<PaymentReceipt> => {
    if (row.receipt_signature) return receiptOf(row);
    const { signature: _s, signer: _a, ...unsigned } = receiptOf(row);
    const receipt = await signReceipt(wallet, unsigned);
    await updatePayments(db, [{ payment_id: row.payment_id, receipt_signature: receipt.signature }]);
    return receipt;
  };

  const replayOf = async (row: PaymentRow, payer: Address, resource: string, amount: string): Promise<AcceptResult> => {
    if (getAddress(row.payer) !== payer || row.resource !== resource || String(row.amount) !== amount) {
      throw new PaymentRejectedError(409, 'payment_id_conflict', `payment id ${row.payment_id} was already used for another payment (payer, resource or amount differ)`);
    }
    return { receipt: await signed(row), replay: true };
  };

  const accept = async (payload: PaymentPayload, requirements: PaymentRequirements, resource: string): Promise<AcceptResult> => {
    let exact;
    try {
      exact = exactPayload(payload);
    } catch (err) {
      throw new PaymentRejectedError(402, 'invalid_payload', (err as Error).message);
    }
    const { authorization: auth, signature } = exact;
    const paymentId = paymentIdOf(payload, exact);
    const amount = BigInt(auth.value);
    const pending = reserved.get(auth.from) ?? 0n;
    const onToken = !!token && getAddress(requirements.asset) === token;
    // Verify the payment while looking it up and signing its receipt: the three overlap (a known
    // payment's verification is simply dropped; its authorization may be spent already).
    const check = async (): Promise<string | null> => {
      if (fast && onToken && (await fast.isEoa(auth.from))) return fast.verify(payload, requirements, exact, pending);
      const [verified, balance] = await Promise.all([
        facilitator.verify(payload, requirements),
        pending > 0n && onToken ? client.readContract({ address: token!, abi: settlementTokenAbi, functionName: 'balanceOf', args: [auth.from] }) : undefined,
      ]);
      if (!verified.isValid) return `${verified.invalidReason ?? 'invalid'}${verified.invalidMessage ? ` (${verified.invalidMessage.split('\n')[0]!.slice(0, 200)})` : ''}`;
      if (balance !== undefined && balance < pending + amount) return `insufficient_funds (${auth.from} has ${balance} units, ${pending} already promised to unsettled payments, ${amount} more asked)`;
      return null;
    };
    const [known, refusal, receipt] = await Promise.all([
      // One payment id pays once: a retry gets the first result back (also after a restart).
      findPayment(db, paymentId, auth.from, auth.nonce),
      check().catch((err: unknown) => `verification failed (${(err as Error).message.split('\n')[0]!.slice(0, 200)})`),
      signReceipt(wallet, {
        paymentId,
        payer: auth.from,
        payTo: auth.to,
        amount: auth.value,
        asset: getAddress(requirements.asset),
        network: requirements.network,
        status: 'pending',
        txHash: null,
        receiptId: null,
        batchId: null,
        resource,
      }),
    ]);
    if (known) return replayOf(known, auth.from, resource, auth.value);
    if (refusal) throw new PaymentRejectedError(402, refusal.split(' ')[0]!, `payment refused: ${refusal}`);
    const agentId = typeof requirements.extra?.agentId === 'string' ? requirements.extra.agentId : null;
    const now = Date.now();
    const inserted = await insertPayment(db, {
      payment_id: paymentId,
      payer: auth.from,
      pay_to: auth.to,
      asset: getAddress(requirements.asset),
      amount: auth.value,
      network: requirements.network,
      resource,
      scheme: requirements.scheme,
      nonce: auth.nonce.toLowerCase(),
      valid_after: auth.validAfter,
      valid_before: auth.validBefore,
      signature,
      agent_id: agentId,
      payload_hash: keccak256(stringToBytes(toJson(payload.payload))),
      payload,
      requirements,
      status: 'pending',
      receipt_signature: receipt.signature,
      signer: receipt.signer,
      created_at: now,
    });
    if (!inserted) {
      // Lost a race with a concurrent request carrying the same id or authorization.
      const row = (await getPayment(db, paymentId)) ?? (await getPaymentByNonce(db, auth.from, auth.nonce));
      if (row) return replayOf(row, auth.from, resource, auth.value);
      throw new PaymentRejectedError(409, 'payment_id_conflict', `payment ${paymentId} conflicts with another payment`);
    }
    reserve(auth.from, amount);
    settler.added();
    return { receipt, replay: false };
  };

  return {
    network,
    token,
    settlement,
    signer: wallet.account.address,
    facilitator,
    settler,
    accept,
    cancel: async (paymentId, why) => {
      const row = await getPayment(db, paymentId);
      if (!row || row.status !== 'pending') return;
      await updatePayments(db, [{ payment_id: paymentId, status: 'failed', last_error: why, receipt_signature: '' }]);
      release(row.payer, BigInt(row.amount));
      log(`pay: payment ${paymentId} dropped (${why})`);
    },
    getReceipt: async (paymentId) => {
      const row = await getPayment(db, paymentId);
      return row ? signed(row) : undefined;
    },
    getRow: (paymentId) => getPayment(db, paymentId),
    list: async (q) => {
      const { items, total } = await listPayments(db, q);
      return { items: await Promise.all(items.map(signed)), total };
    },
    payeeOf,
    settleNow: async (payload, requirements) => {
      let exact;
      try {
        exact = exactPayload(payload);
      } catch (err) {
        return { success: false, errorReason: 'invalid_payload', errorMessage: (err as Error).message, transaction: '', network: requirements.network };
      }
      const paymentId = paymentIdOf(payload, exact);
      const known = (await getPayment(db, paymentId)) ?? (await getPaymentByNonce(db, exact.authorization.from, exact.authorization.nonce));
      if (known?.status === 'settled') return { success: true, transaction: known.tx_hash ?? '', network: known.network as SettleResponse['network'], payer: known.payer, amount: String(known.amount) };
      if (known) return { success: false, errorReason: 'payment_in_progress', errorMessage: `payment ${known.payment_id} is ${known.status} on this node`, transaction: known.tx_hash ?? '', network: requirements.network, payer: known.payer };
      const r = await facilitator.settle(payload, requirements);
      if (r.success) {
        const { authorization: auth, signature } = exact;
        const unsigned = { paymentId, payer: auth.from, payTo: auth.to, amount: auth.value, asset: getAddress(requirements.asset), network: requirements.network, status: 'settled' as const, txHash: r.transaction as Hex, receiptId: null, batchId: null, resource: payload.resource?.url?.slice(0, 2000) ?? 'x402/settle' };
        const receipt = await signReceipt(wallet, unsigned);
        const now = Date.now();
        await insertPayment(db, {
          payment_id: paymentId, payer: auth.from, pay_to: auth.to, asset: unsigned.asset, amount: auth.value, network: requirements.network, resource: unsigned.resource, scheme: requirements.scheme,
          nonce: auth.nonce.toLowerCase(), valid_after: auth.validAfter, valid_before: auth.validBefore, signature, agent_id: null,
          payload_hash: keccak256(stringToBytes(toJson(payload.payload))), payload, requirements, status: 'settled', receipt_signature: receipt.signature, signer: receipt.signer, created_at: now,
        });
        await updatePayments(db, [{ payment_id: paymentId, tx_hash: r.transaction, settled_at: Math.floor(now / 1000) }]);
      }
      return r;
    },
    prove: async (paymentId) => {
      const row = await getPayment(db, paymentId);
      if (!row) throw new NotFoundError(`payment ${paymentId}`);
      if (row.status !== 'settled' || row.batch_id === null || !row.receipt_id || !settlement) {
        throw new MachinaError(`payment ${paymentId} has no batch receipt to prove (status ${row.status}${row.batch_id === null ? ', not settled in a batch' : ''})`, { code: 'NOT_PROVABLE', field: 'paymentId' });
      }
      const existing = await client.readContract({ address: settlement, abi: x402SettlementAbi, functionName: 'interactionReceipt', args: [row.receipt_id as Hex] });
      const result = { paymentId, receiptId: row.receipt_id as Hex, batchId: String(row.batch_id), source: settlement };
      if (existing.settledAt !== 0n) return { ...result, txHash: null };
      const rows = await batchPayments(db, String(row.batch_id));
      const receipts = rows.map((r) => ({ receiptId: r.receipt_id as Hex, client: getAddress(r.payer), agentId: BigInt(r.agent_id!), asset: getAddress(r.asset), amount: BigInt(r.amount), settledAt: BigInt(r.settled_at ?? 0) }));
      const proof = buildReceiptProof({ batchId: BigInt(row.batch_id), receipts, receiptId: row.receipt_id as Hex });
      const { hash } = await writeAndWait(client, wallet, { address: settlement, abi: x402SettlementAbi, functionName: 'proveReceipt', args: [proof.batchId, proof.receipt, proof.receiptId, proof.proof] });
      return { ...result, txHash: hash };
    },
    stop: () => settler.stop(),
  };
}

export type { Hex };
