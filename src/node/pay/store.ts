// Reads and writes of the node's payments table: insert before serving, state changes from the
// settler, and the pages the API lists.
import { sql, type Kysely } from 'kysely';
import { getAddress, type Address, type Hex } from 'viem';
import { toJson, updateColumns } from '../db/bulk.ts';
import type { PaymentReceipt, PaymentStatus } from '../../pay/x402/receipt.ts';

/** Internal states: `settling` is a batch sent and not yet confirmed (shown as pending). */
export type StoredStatus = PaymentStatus | 'settling';

export type PaymentRow = {
  payment_id: string;
  payer: string;
  pay_to: string;
  asset: string;
  amount: string;
  network: string;
  resource: string;
  scheme: string;
  nonce: string;
  valid_after: string;
  valid_before: string;
  signature: string;
  agent_id: string | null;
  payload_hash: string;
  payload: unknown;
  requirements: unknown;
  status: StoredStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  tx_hash: string | null;
  receipt_id: string | null;
  batch_id: string | null;
  batch_index: number | null;
  settled_at: number | null;
  receipt_signature: string;
  signer: string;
  created_at: number;
  updated_at: number;
};

export type NewPayment = Omit<PaymentRow, 'attempts' | 'next_attempt_at' | 'last_error' | 'tx_hash' | 'receipt_id' | 'batch_id' | 'batch_index' | 'settled_at' | 'updated_at'>;

/** The receipt a row stands for (with the signature last stored for it). */
export function receiptOf(r: PaymentRow): PaymentReceipt {
  return {
    paymentId: r.payment_id,
    payer: getAddress(r.payer),
    payTo: getAddress(r.pay_to),
    amount: String(r.amount),
    asset: getAddress(r.asset),
    network: r.network,
    status: r.status === 'settling' ? 'pending' : r.status,
    txHash: r.status === 'settled' ? ((r.tx_hash as Hex | null) ?? null) : null,
    receiptId: (r.receipt_id as Hex | null) ?? null,
    batchId: r.batch_id === null ? null : String(r.batch_id),
    signature: r.receipt_signature as Hex,
    signer: getAddress(r.signer),
    resource: r.resource,
  };
}

/**
 * Inserts a verified payment; false when its id (or its payer+nonce) is already there.
 * @example
 * if (!(await insertPayment(db, row))) … // a replay
 */
export async function insertPayment(db: Kysely<any>, row: NewPayment): Promise<boolean> {
  const { rows } = await sql<{ payment_id: string }>`
    insert into pay_payments (payment_id, payer, pay_to, asset, amount, network, resource, scheme, nonce, valid_after, valid_before, signature, agent_id,
      payload_hash, payload, requirements, status, receipt_signature, signer, created_at, updated_at)
    values (${row.payment_id}, ${row.payer}, ${row.pay_to}, ${row.asset}, ${row.amount}, ${row.network}, ${row.resource}, ${row.scheme}, ${row.nonce},
      ${row.valid_after}, ${row.valid_before}, ${row.signature}, ${row.agent_id}, ${row.payload_hash}, ${toJson(row.payload)}::jsonb, ${toJson(row.requirements)}::jsonb,
      ${row.status}, ${row.receipt_signature}, ${row.signer}, ${row.created_at}, ${row.created_at})
    on conflict do nothing
    returning payment_id
  `.execute(db);
  return rows.length === 1;
}

/** One payment by id. */
export async function getPayment(db: Kysely<any>, paymentId: string): Promise<PaymentRow | undefined> {
  const { rows } = await sql<PaymentRow>`select * from pay_payments where payment_id = ${paymentId}`.execute(db);
  return rows[0];
}

/** The payment that used this authorization (payer + nonce), if any. */
export async function getPaymentByNonce(db: Kysely<any>, payer: Address, nonce: Hex): Promise<PaymentRow | undefined> {
  const { rows } = await sql<PaymentRow>`select * from pay_payments where payer = ${getAddress(payer)} and nonce = ${nonce.toLowerCase()}`.execute(db);
  return rows[0];
}

/** The payment with this id, or else the one that used this authorization (one round trip). */
export async function findPayment(db: Kysely<any>, paymentId: string, payer: Address, nonce: Hex): Promise<PaymentRow | undefined> {
  const { rows } = await sql<PaymentRow>`
    select * from pay_payments where payment_id = ${paymentId} or (payer = ${getAddress(payer)} and nonce = ${nonce.toLowerCase()})
    order by (payment_id = ${paymentId}) desc limit 1
  `.execute(db);
  return rows[0];
}

/** Payments due for settlement (pending and past their retry time), oldest first. */
export async function duePayments(db: Kysely<any>, now: number, limit: number): Promise<PaymentRow[]> {
  const { rows } = await sql<PaymentRow>`
    select * from pay_payments where status = 'pending' and next_attempt_at <= ${now} order by created_at, payment_id limit ${limit}
  `.execute(db);
  return rows;
}

/** Payments sent in a settlement transaction that was not confirmed when the node stopped. */
export async function settlingPayments(db: Kysely<any>): Promise<PaymentRow[]> {
  const { rows } = await sql<PaymentRow>`select * from pay_payments where status = 'settling' order by created_at`.execute(db);
  return rows;
}

/** Payments of one settled batch in leaf order. */
export async function batchPayments(db: Kysely<any>, batchId: string): Promise<PaymentRow[]> {
  const { rows } = await sql<PaymentRow>`select * from pay_payments where batch_id = ${batchId} and status = 'settled' order by batch_index`.execute(db);
  return rows;
}

export type PaymentUpdate = Partial<Pick<PaymentRow, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'tx_hash' | 'receipt_id' | 'batch_id' | 'batch_index' | 'settled_at' | 'receipt_signature'>>;

/**
 * Applies per-payment updates in one statement.
 * @example
 * await updatePayments(db, [{ payment_id: 'pay_…', status: 'settled', tx_hash }])
 */
export async function updatePayments(db: Kysely<any>, updates: Array<PaymentUpdate & { payment_id: string }>): Promise<void> {
  if (updates.length === 0) return;
  const now = Date.now();
  // One statement per set of changed columns (a settled batch is one statement, not one per row).
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const u of updates) {
    const row = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
    row.updated_at = now;
    const key = Object.keys(row).sort().join(',');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  for (const [key, rows] of groups) {
    await updateColumns(db, 'pay_payments', ['payment_id'], key.split(',').filter((c) => c !== 'payment_id'), rows);
  }
}

export type ListPaymentsParameters = { payer?: Address | undefined; payTo?: Address | undefined; status?: PaymentStatus | undefined; offset: number; limit: number };

/**
 * A page of payments, newest first, with the total matching.
 * @example
 * const { items, total } = await listPayments(db, { payer, offset: 0, limit: 20 })
 */
export async function listPayments(db: Kysely<any>, p: ListPaymentsParameters): Promise<{ items: PaymentRow[]; total: number }> {
  const where = [sql`true`];
  if (p.payer) where.push(sql`payer = ${getAddress(p.payer)}`);
  if (p.payTo) where.push(sql`pay_to = ${getAddress(p.payTo)}`);
  if (p.status === 'pending') where.push(sql`status in ('pending', 'settling')`);
  else if (p.status) where.push(sql`status = ${p.status}`);
  const cond = sql.join(where, sql` and `);
  const [{ rows }, count] = await Promise.all([
    sql<PaymentRow>`select * from pay_payments where ${cond} order by created_at desc, payment_id limit ${p.limit} offset ${p.offset}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from pay_payments where ${cond}`.execute(db),
  ]);
  return { items: rows, total: count.rows[0]?.n ?? 0 };
}
