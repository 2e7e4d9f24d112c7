// Where the indexer stands, kept in the same database and changed in the same transactions as the
// data: the checkpoint (last indexed block and its hash), recent block hashes, and how far back
// the undo journal reaches.
import { sql, type Kysely } from 'kysely';
import type { Hex } from 'viem';
import type { NodeModule } from './module.ts';

export type IndexerState = {
  chainId: number;
  fingerprint: string;
  /** Last block whose events are all indexed (one below the first contract block before any). */
  blockNumber: number;
  blockHash: Hex | null;
  headBlock: number;
  /** Lowest block a reorg can roll back to with the journal; deeper means re-indexing from scratch. */
  undoFloor: number;
};

type StateRow = { chain_id: number; fingerprint: string; block_number: number; block_hash: string | null; head_block: number; undo_floor: number };

export async function readState(db: Kysely<any>): Promise<IndexerState | undefined> {
  const r = (await db.selectFrom('indexer_state').selectAll().where('id', '=', 1).executeTakeFirst()) as StateRow | undefined;
  if (!r) return undefined;
  return {
    chainId: r.chain_id,
    fingerprint: r.fingerprint,
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash as Hex | null,
    headBlock: Number(r.head_block),
    undoFloor: Number(r.undo_floor),
  };
}

export async function writeState(db: Kysely<any>, s: IndexerState): Promise<void> {
  await sql`
    insert into indexer_state (id, chain_id, fingerprint, block_number, block_hash, head_block, undo_floor)
    values (1, ${s.chainId}, ${s.fingerprint}, ${s.blockNumber}, ${s.blockHash}, ${s.headBlock}, ${s.undoFloor})
    on conflict (id) do update set chain_id = excluded.chain_id, fingerprint = excluded.fingerprint, block_number = excluded.block_number,
      block_hash = excluded.block_hash, head_block = excluded.head_block, undo_floor = excluded.undo_floor
  `.execute(db);
}

/**
 * Forgets everything indexed (a different chain or deployment, or a reorg deeper than the journal):
 * empties the modules' tables, the events, block hashes and journal. Event ids keep growing, so a
 * stream client never mistakes a new event for one it has seen. Node-written tables stay.
 */
export async function wipeIndexedState(db: Kysely<any>, modules: readonly NodeModule[]): Promise<void> {
  const tables = ['events', 'indexer_blocks', 'indexer_journal', 'indexer_children', ...modules.flatMap((m) => m.tables.map((t) => t.name))];
  await sql`truncate ${sql.join(tables.map((t) => sql.id(t)))}`.execute(db);
}

/**
 * Undoes every change made for blocks above `block` (journal replayed backwards), drops their
 * events and hashes, and moves the checkpoint back to `block`.
 */
export async function rollbackTo(db: Kysely<any>, block: number, hash: Hex | null): Promise<number> {
  const { rows } = await sql<{ n: number }>`select indexer_undo(${block}) as n`.execute(db);
  await db.deleteFrom('events').where('block_number', '>', block).execute();
  await db.deleteFrom('indexer_blocks').where('number', '>', block).execute();
  await db.updateTable('indexer_state').set({ block_number: block, block_hash: hash }).where('id', '=', 1).execute();
  return Number(rows[0]?.n ?? 0);
}

/** A contract a factory created, as `indexer_children` keeps it. */
export type ChildRow = { address: string; name: string; blockNumber: number; logIndex: number; txHash: Hex };

/** Every factory-created contract indexed so far. */
export async function readChildren(db: Kysely<any>): Promise<ChildRow[]> {
  const rows = await db.selectFrom('indexer_children').selectAll().execute();
  return rows.map((r) => ({ address: r.address, name: r.name, blockNumber: Number(r.block_number), logIndex: Number(r.log_index), txHash: r.tx_hash as Hex }));
}

/** Records factory-created contracts (inside the batch transaction, journaled with their block). */
export async function storeChildren(db: Kysely<any>, children: ChildRow[]): Promise<void> {
  if (children.length === 0) return;
  await db
    .insertInto('indexer_children')
    .values(children.map((c) => ({ address: c.address, name: c.name, block_number: c.blockNumber, log_index: c.logIndex, tx_hash: c.txHash })))
    .onConflict((oc) => oc.column('address').doNothing())
    .execute();
}

export async function storeBlockHashes(db: Kysely<any>, blocks: Array<{ number: number; hash: Hex }>): Promise<void> {
  if (blocks.length === 0) return;
  await sql`
    insert into indexer_blocks (number, hash)
    select number, hash from jsonb_populate_recordset(null::indexer_blocks, ${JSON.stringify(blocks)}::jsonb)
    on conflict (number) do update set hash = excluded.hash
  `.execute(db);
}

/** Recent stored hashes, newest first, at or below `block`. */
export async function storedHashes(db: Kysely<any>, block: number): Promise<Array<{ number: number; hash: Hex }>> {
  const rows = await db.selectFrom('indexer_blocks').select(['number', 'hash']).where('number', '<=', block).orderBy('number', 'desc').execute();
  return rows.map((r) => ({ number: Number(r.number), hash: r.hash as Hex }));
}

/** Forgets journal entries and hashes of blocks at or below `block`: they are final. */
export async function pruneFinal(db: Kysely<any>, block: number): Promise<void> {
  await db.deleteFrom('indexer_journal').where('block_number', '<=', block).execute();
  await db.deleteFrom('indexer_blocks').where('number', '<', block).execute();
}
