// Background settlement of accepted payments: every `flushMs` (or as soon as `maxBatch` wait), due
// payments to an agent go on chain together in one X402Settlement.settleBatch; others through the
// official facilitator one by one. Failures retry with backoff until the authorization expires.
// The tx hash is stored before waiting, so a restart picks up a batch in flight without resending it.
import type { x402Facilitator } from '@x402/core/facilitator';
import { sql, type Kysely } from 'kysely';
import { getAddress, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { formatError } from '../../errors/index.ts';
import { settlementTokenAbi, x402SettlementAbi } from '../../pay/x402/abi.ts';
import { paymentIdHash, type PaymentPayload, type PaymentRequirements } from '../../pay/x402/protocol.ts';
import { duePayments, settlingPayments, updatePayments, type PaymentRow, type PaymentUpdate } from './store.ts';

export type Settler = {
  /** A payment was accepted: settle now if a batch is full. */
  added(): void;
  /** Settles what is due now (also called by the timer); resolves when this round is done. */
  flush(): Promise<void>;
  /** Unsettled payments after a restart (batches in flight are reconciled first). */
  recover(): Promise<PaymentRow[]>;
  stop(): Promise<void>;
  /** Rounds run and batches sent, for tests and figures. */
  stats(): { rounds: number; batches: number; settled: number; failed: number; expired: number };
};

export type SettlerParameters = {
  db: Kysely<any>;
  client: MachinaPublicClient;
  wallet: MachinaWalletClient;
  facilitator: x402Facilitator;
  settlement: Address | undefined;
  token: Address | undefined;
  flushMs: number;
  maxBatch: number;
  log: (line: string) => void;
  /** A payment reached a final state (settled, failed, expired). */
  onDone: (row: PaymentRow) => void;
};

/** Seconds before validBefore at which a payment is no longer worth sending. */
const EXPIRY_MARGIN_S = 3n;

/**
 * The settlement loop over the payments table.
 * @example
 * const settler = createSettler({ db, client, wallet, facilitator, settlement, token, flushMs: 1000, maxBatch: 100, log, onDone })
 */
export function createSettler(p: SettlerParameters): Settler {
  const { db, client, wallet, facilitator, settlement, token, maxBatch, log } = p;
  let waiting = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const stats = { rounds: 0, batches: 0, settled: 0, failed: 0, expired: 0 };

  // The receipt is re-signed lazily, when it is next read (see service.ts): settling stays cheap.
  const sign = (row: PaymentRow, u: PaymentUpdate): PaymentUpdate & { payment_id: string } => ({ payment_id: row.payment_id, ...u, receipt_signature: '' });
  const finish = async (rows: Array<[PaymentRow, PaymentUpdate]>) => {
    const updates = rows.map(([row, u]) => sign(row, u));
    await updatePayments(db, updates);
    for (const [row, u] of rows) {
      if (u.status === 'settled') stats.settled++;
      if (u.status === 'failed') stats.failed++;
      if (u.status === 'expired') stats.expired++;
      if (u.status === 'settled' || u.status === 'failed' || u.status === 'expired') p.onDone(row);
    }
  };
  const retryLater = async (rows: PaymentRow[], err: unknown) => {
    const now = Date.now();
    await updatePayments(
      db,
      rows.map((r) => ({ payment_id: r.payment_id, status: 'pending' as const, attempts: r.attempts + 1, next_attempt_at: now + Math.min(60_000, 500 * 2 ** Math.min(r.attempts, 7)), last_error: formatError(err).slice(0, 500) })),
    );
    log(`pay: settlement of ${rows.length} payment(s) failed, retrying (${formatError(err).slice(0, 200)})`);
  };

  /** Applies a mined settleBatch receipt to the rows it carried. */
  const applyBatch = async (rows: PaymentRow[], receipt: TransactionReceipt, hash: Hex) => {
    const byHash = new Map(rows.map((r) => [paymentIdHash(r.payment_id), r]));
    const logs = parseEventLogs({ abi: x402SettlementAbi, logs: receipt.logs.filter((l) => settlement && l.address.toLowerCase() === settlement.toLowerCase()) });
    const batch = logs.find((l) => l.eventName === 'BatchSettled');
    const batchId = batch && batch.eventName === 'BatchSettled' ? batch.args.batchId.toString() : null;
    const block = await client.getBlock({ blockNumber: receipt.blockNumber });
    const done = new Set<string>();
    const results: Array<[PaymentRow, PaymentUpdate]> = [];
    let index = 0;
    for (const l of logs) {
      if (l.eventName === 'PaymentSettled') {
        const row = byHash.get(l.args.paymentId);
        if (!row) continue;
        done.add(row.payment_id);
        results.push([row, { status: 'settled', tx_hash: hash, receipt_id: l.args.receiptId, batch_id: l.args.batchId.toString(), batch_index: index++, settled_at: Number(block.timestamp), last_error: null }]);
      } else if (l.eventName === 'PaymentFailed') {
        const row = byHash.get(l.args.paymentId);
        if (!row) continue;
        done.add(row.payment_id);
        const expired = BigInt(row.valid_before) <= block.timestamp;
        results.push([row, { status: expired ? 'expired' : 'failed', tx_hash: hash, last_error: `settlement refused on chain (${l.args.reason.slice(0, 200)})` }]);
      }
    }
    await finish(results);
    const missing = rows.filter((r) => !done.has(r.payment_id));
    if (missing.length > 0) await retryLater(missing, new Error(`tx ${hash} did not mention ${missing.length} payment(s)`));
    if (results.length > 0) log(`pay: batch ${batchId ?? '?'} settled ${results.filter(([, u]) => u.status === 'settled').length}/${rows.length} payment(s) in tx ${hash}`);
  };

  const settleBatch = async (rows: PaymentRow[]) => {
    const ps = rows.map((r) => ({
      from: getAddress(r.payer),
      to: getAddress(r.pay_to),
      value: BigInt(r.amount),
      validAfter: BigInt(r.valid_after),
      validBefore: BigInt(r.valid_before),
      nonce: r.nonce as Hex,
      signature: r.signature as Hex,
      agentId: BigInt(r.agent_id!),
      paymentId: paymentIdHash(r.payment_id),
    }));
    let hash: Hex;
    try {
      hash = await wallet.writeContract({ address: settlement!, abi: x402SettlementAbi, functionName: 'settleBatch', args: [ps], account: wallet.account, chain: wallet.chain });
    } catch (err) {
      return retryLater(rows, err);
    }
    stats.batches++;
    await updatePayments(db, rows.map((r) => ({ payment_id: r.payment_id, status: 'settling' as const, tx_hash: hash, attempts: r.attempts + 1 })));
    let receipt: TransactionReceipt;
    try {
      receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 });
    } catch (err) {
      // Still in flight (or dropped): recover() looks at it again.
      log(`pay: batch tx ${hash} not confirmed yet (${formatError(err).slice(0, 120)})`);
      return;
    }
    if (receipt.status !== 'success') return retryLater(rows, new Error(`settleBatch reverted (tx ${hash})`));
    await applyBatch(rows, receipt, hash);
  };

  const settleDirect = async (row: PaymentRow) => {
    try {
      const r = await facilitator.settle(row.payload as PaymentPayload, row.requirements as PaymentRequirements);
      if (r.success) {
        const receipt = await client.getTransactionReceipt({ hash: r.transaction as Hex });
        const block = await client.getBlock({ blockNumber: receipt.blockNumber });
        await finish([[row, { status: 'settled', tx_hash: r.transaction, settled_at: Number(block.timestamp), attempts: row.attempts + 1, last_error: null }]]);
      } else if (/expired|valid_before/i.test(r.errorReason ?? '')) {
        await finish([[row, { status: 'expired', last_error: r.errorReason ?? 'expired' }]]);
      } else if (/nonce|signature|insufficient|mismatch/i.test(r.errorReason ?? '')) {
        await finish([[row, { status: 'failed', last_error: `${r.errorReason}${r.errorMessage ? `: ${r.errorMessage.slice(0, 200)}` : ''}` }]]);
      } else {
        await retryLater([row], new Error(r.errorReason ?? 'settle failed'));
      }
    } catch (err) {
      await retryLater([row], err);
    }
  };

  const round = async () => {
    stats.rounds++;
    waiting = 0;
    const rows = await duePayments(db, Date.now(), maxBatch);
    if (rows.length === 0) return;
    const nowS = BigInt(Math.floor(Date.now() / 1000));
    const expired = rows.filter((r) => BigInt(r.valid_before) <= nowS + EXPIRY_MARGIN_S);
    if (expired.length > 0) {
      await finish(expired.map((r) => [r, { status: 'expired', last_error: 'the authorization expired before it could be settled' }]));
      log(`pay: ${expired.length} payment(s) expired unsettled`);
    }
    const live = rows.filter((r) => !expired.includes(r));
    const batchable = (r: PaymentRow) => !!settlement && r.agent_id !== null && !!token && getAddress(r.asset) === token;
    const batch = live.filter(batchable);
    if (batch.length > 0) await settleBatch(batch);
    for (const r of live.filter((r) => !batchable(r))) await settleDirect(r);
    if (rows.length === maxBatch) again = true;
  };

  const flush = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await round().catch((err) => log(`pay: settlement round failed (${formatError(err).slice(0, 200)})`));
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void flush();
  }, p.flushMs);
  timer.unref();

  return {
    added() {
      waiting++;
      if (waiting >= maxBatch) void flush();
    },
    flush,
    async recover() {
      // Batches sent before a stop: confirmed ones are applied, lost ones go back to pending.
      const inFlight = await settlingPayments(db);
      const byTx = new Map<string, PaymentRow[]>();
      for (const r of inFlight) byTx.set(r.tx_hash ?? '', [...(byTx.get(r.tx_hash ?? '') ?? []), r]);
      for (const [hash, rows] of byTx) {
        const receipt = hash ? await client.getTransactionReceipt({ hash: hash as Hex }).catch(() => undefined) : undefined;
        if (receipt?.status === 'success') await applyBatch(rows, receipt, hash as Hex);
        else {
          // Not mined: an authorization already used on chain was settled some other way.
          const used = await Promise.all(rows.map((r) => client.readContract({ address: getAddress(r.asset), abi: settlementTokenAbi, functionName: 'authorizationState', args: [getAddress(r.payer), r.nonce as Hex] }).catch(() => false)));
          await finish(rows.filter((_, i) => used[i]).map((r) => [r, { status: 'settled' }]));
          await updatePayments(db, rows.filter((_, i) => !used[i]).map((r) => ({ payment_id: r.payment_id, status: 'pending' as const })));
        }
      }
      const { rows } = await sql<PaymentRow>`select * from pay_payments where status = 'pending'`.execute(db);
      if (rows.length > 0) {
        log(`pay: ${rows.length} unsettled payment(s) recovered`);
        waiting = rows.length;
        setTimeout(() => void flush(), 0).unref();
      }
      return rows;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
    stats: () => ({ ...stats }),
  };
}
