// The node's database layer on both databases: opening and migrating (twice is a no-op), schema
// names, the reorg journal's undo, and the read side of an empty index.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { upsertRows } from '../../src/node/db/bulk.ts';
import { openDatabase } from '../../src/node/db/open.ts';
import { JOURNAL_BLOCK_SETTING } from '../../src/node/indexer/schema.ts';
import { databaseKinds, newStoreLocation, type StoreLocation } from './fixtures/stores.ts';

const kinds = await databaseKinds();

describe('node database', () => {
  it('refuses a schema name that is not a plain identifier', async () => {
    await assert.rejects(openDatabase({ dataDir: '/nonexistent', schema: 'x"; drop table y; --' }), (err: Error & { field?: string }) => err.field === 'schema');
  });

  for (const kind of kinds) {
    describe(kind, () => {
      const locations: StoreLocation[] = [];
      after(async () => {
        for (const l of locations) await l.drop();
      });

      it('migrates once per module and opens again without change; an empty index reads as empty', async () => {
        // From an empty directory: the embedded database runs its initdb here (other tests start from a copy).
        const location = newStoreLocation(kind, { initdb: true });
        locations.push(location);
        let store = await location.open();
        await store.close();
        store = await location.open();
        try {
          const { rows } = await sql<{ name: string }>`select name from migrations_identity union all select name from migrations_indexer order by name`.execute(store.db);
          assert.deepEqual(rows.map((r) => r.name), ['0001_identity', '0001_indexer', '0002_children']);
          assert.deepEqual(await store.queries.stats(), { chainId: 0, agents: 0, feedback: 0, validations: 0, events: 0, indexedBlock: 0, headBlock: 0 });
          assert.deepEqual(await store.queries.listAgents({ offset: 0, limit: 10 }), { items: [], total: 0, offset: 0, limit: 10 });
          assert.deepEqual(await store.queries.listEvents({ limit: 10 }), []);
          assert.equal(await store.queries.getAgent(0n), undefined);
          if (kind === 'postgres') {
            const { rows: tables } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = ${location.schema!}`.execute(store.db);
            assert.ok(tables[0]!.n >= 10, 'every table lives in the store\'s own schema');
          }
        } finally {
          await store.close();
        }
      });

      it('the journal undoes, block by block, what was written near the head', async () => {
        const location = newStoreLocation(kind);
        locations.push(location);
        const store = await location.open();
        const rows = async () => (await sql<{ agent_id: string; key: string; value: string }>`select agent_id, key, value from agent_metadata order by agent_id, key`.execute(store.db)).rows;
        try {
          await upsertRows(store.db, 'agent_metadata', ['agent_id', 'key'], ['agent_id', 'key', 'value'], [{ agent_id: '1', key: 'final', value: 'kept' }]);
          await store.db.transaction().execute(async (tx) => {
            const at = (block: number) => sql`select set_config(${JOURNAL_BLOCK_SETTING}, ${String(block)}, true)`.execute(tx);
            await at(10);
            await upsertRows(tx, 'agent_metadata', ['agent_id', 'key'], ['agent_id', 'key', 'value'], [{ agent_id: '1', key: 'a', value: 'v10' }, { agent_id: '1', key: 'final', value: 'changed-10' }]);
            await at(11);
            await upsertRows(tx, 'agent_metadata', ['agent_id', 'key'], ['agent_id', 'key', 'value'], [{ agent_id: '1', key: 'a', value: 'v11' }, { agent_id: '2', key: 'b', value: 'new-11\u0000' }]);
            await sql`delete from agent_metadata where key = 'final'`.execute(tx);
          });
          assert.deepEqual(await rows(), [{ agent_id: '1', key: 'a', value: 'v11' }, { agent_id: '2', key: 'b', value: 'new-11\uFFFD' }]);
          const undo = async (after_: number) => (await sql<{ n: number }>`select indexer_undo(${after_}) as n`.execute(store.db)).rows[0]!.n;
          assert.equal(await undo(10), 3);
          assert.deepEqual(await rows(), [{ agent_id: '1', key: 'a', value: 'v10' }, { agent_id: '1', key: 'final', value: 'changed-10' }]);
          assert.equal(await undo(9), 2);
          assert.deepEqual(await rows(), [{ agent_id: '1', key: 'final', value: 'kept' }], 'writes outside a journaled block are not journaled');
          assert.equal(await undo(0), 0);
        } finally {
          await store.close();
        }
      });
    });
  }
});
