// The events table: every decoded protocol event in index order, with a monotonic id that the
// events API and the live stream page and resume by.
import { sql, type Kysely } from 'kysely';
import type { Hex } from 'viem';
import type { EventRecord } from '../service/types.ts';
import { toJson } from '../db/bulk.ts';
import type { IndexedEvent } from './module.ts';

/** Decoded arguments as JSON-ready values: bigints become decimal strings, recursively. */
export function jsonArgs(args: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(toJson(args)) as Record<string, unknown>;
}

/**
 * Appends `events` (in chain order) and returns them as records with their new ids.
 * @example
 * const records = await insertEvents(tx, events, (e) => e.args.agentId as bigint ?? null)
 */
export async function insertEvents(db: Kysely<any>, events: IndexedEvent[], agentIdOf: (e: IndexedEvent) => bigint | null): Promise<EventRecord[]> {
  if (events.length === 0) return [];
  const records: Array<Omit<EventRecord, 'id'> & { blockHash: Hex }> = events.map((e) => {
    const agentId = agentIdOf(e);
    return {
      chainId: e.chainId,
      blockNumber: e.blockNumber,
      blockHash: e.blockHash,
      logIndex: e.logIndex,
      txHash: e.txHash,
      timestamp: e.timestamp,
      contract: e.contract,
      event: e.event,
      args: jsonArgs(e.args),
      agentId: agentId === null ? null : agentId.toString(),
    };
  });
  const rows = records.map((r) => ({
    chain_id: r.chainId,
    block_number: r.blockNumber,
    block_hash: r.blockHash,
    log_index: r.logIndex,
    tx_hash: r.txHash,
    block_timestamp: r.timestamp,
    contract: r.contract,
    event: r.event,
    args: r.args,
    agent_id: r.agentId,
  }));
  // Ids are drawn in the order of the JSON array (chain order), so ids follow the chain.
  const { rows: ids } = await sql<{ id: number; block_number: number; log_index: number }>`
    insert into events (chain_id, block_number, block_hash, log_index, tx_hash, block_timestamp, contract, event, args, agent_id)
    select chain_id, block_number, block_hash, log_index, tx_hash, block_timestamp, contract, event, args, agent_id
    from jsonb_populate_recordset(null::events, ${toJson(rows)}::jsonb) with ordinality as r
    order by ordinality
    returning id, block_number, log_index
  `.execute(db);
  const idOf = new Map(ids.map((r) => [`${r.block_number}:${r.log_index}`, Number(r.id)]));
  return records.map(({ blockHash: _h, ...r }) => ({ id: idOf.get(`${r.blockNumber}:${r.logIndex}`)!, ...r }));
}

type EventRow = {
  id: number;
  chain_id: number;
  block_number: number;
  log_index: number;
  tx_hash: string;
  block_timestamp: number;
  contract: string;
  event: string;
  args: Record<string, unknown>;
  agent_id: string | null;
};

export function eventRecordOf(r: EventRow): EventRecord {
  return {
    id: Number(r.id),
    chainId: r.chain_id,
    blockNumber: Number(r.block_number),
    logIndex: r.log_index,
    txHash: r.tx_hash as Hex,
    timestamp: Number(r.block_timestamp),
    contract: r.contract,
    event: r.event,
    args: r.args,
    agentId: r.agent_id,
  };
}

export type ListEventsParameters = { limit: number; afterId?: number; beforeId?: number; agentId?: bigint; contract?: string; event?: string };

/**
 * Newest first; with `afterId`, the events after it in ascending order (what a stream replays).
 * @example
 * const latest = await listEvents(db, { limit: 50 })
 */
export async function listEvents(db: Kysely<any>, p: ListEventsParameters): Promise<EventRecord[]> {
  let q = db.selectFrom('events').selectAll();
  if (p.afterId !== undefined) q = q.where('id', '>', p.afterId);
  if (p.beforeId !== undefined) q = q.where('id', '<', p.beforeId);
  if (p.agentId !== undefined) q = q.where('agent_id', '=', p.agentId.toString());
  if (p.contract !== undefined) q = q.where('contract', '=', p.contract);
  if (p.event !== undefined) q = q.where('event', '=', p.event);
  q = q.orderBy('id', p.afterId !== undefined ? 'asc' : 'desc').limit(p.limit);
  const rows = (await q.execute()) as EventRow[];
  return rows.map(eventRecordOf);
}
