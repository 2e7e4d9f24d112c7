// The indexer's own tables: where it stands (checkpoint), recent block hashes (reorg detection),
// the undo journal that reorgs replay backwards, and every decoded event (the events feed).
import { sql, type Kysely, type Migration } from 'kysely';

/** Session setting naming the block whose changes the journal trigger records ('' = don't journal). */
export const JOURNAL_BLOCK_SETTING = 'machina.journal_block';

export const indexerMigrations: Record<string, Migration> = {
  '0001_indexer': {
    async up(db: Kysely<any>) {
      await sql`
        create table indexer_state (
          id integer primary key check (id = 1),
          chain_id integer not null,
          fingerprint text not null,
          block_number bigint not null,
          block_hash text,
          head_block bigint not null default 0,
          undo_floor bigint not null
        );
        create table indexer_blocks (number bigint primary key, hash text not null);
        create table indexer_tables (table_name text primary key, primary_key text[] not null);
        create table indexer_journal (
          id bigserial primary key,
          block_number bigint not null,
          table_name text not null,
          op char(1) not null,
          row_data jsonb not null
        );
        create index indexer_journal_block on indexer_journal (block_number);
        create table events (
          id bigserial primary key,
          chain_id integer not null,
          block_number bigint not null,
          block_hash text not null,
          log_index integer not null,
          tx_hash text not null,
          block_timestamp bigint not null,
          contract text not null,
          event text not null,
          args jsonb not null,
          agent_id numeric,
          -- A log is stored once: a bug that replays a batch fails loudly instead of counting twice.
          unique (block_number, log_index)
        );
        create index events_agent on events (agent_id, id) where agent_id is not null;
      `.execute(db);
      // Records the previous version of a row (or the key of a new one) for the block being indexed.
      await sql`
        create or replace function indexer_journal_row() returns trigger language plpgsql as $fn$
        begin
          execute format('insert into %I.indexer_journal (block_number, table_name, op, row_data) values ($1, $2, $3, $4)', tg_table_schema)
            using current_setting('machina.journal_block')::bigint,
                  tg_table_name,
                  case tg_op when 'INSERT' then 'I' when 'UPDATE' then 'U' else 'D' end,
                  case tg_op when 'INSERT' then to_jsonb(new) else to_jsonb(old) end;
          return null;
        end
        $fn$
      `.execute(db);
      // Replays the journal backwards down to (not including) block `after_block`, then forgets it.
      await sql`
        create or replace function indexer_undo(after_block bigint) returns integer language plpgsql as $fn$
        declare
          r record;
          cols text;
          s text := current_schema();
          n integer := 0;
        begin
          perform set_config('machina.journal_block', '', true);
          for r in
            select j.table_name, j.op, j.row_data, t.primary_key
            from indexer_journal j join indexer_tables t using (table_name)
            where j.block_number > after_block
            order by j.id desc
          loop
            select string_agg(quote_ident(c), ', ') into cols from unnest(r.primary_key) as c;
            execute format('delete from %I.%I where (%s) = (select %s from jsonb_populate_record(null::%I.%I, $1))',
                           s, r.table_name, cols, cols, s, r.table_name) using r.row_data;
            if r.op <> 'I' then
              execute format('insert into %I.%I select * from jsonb_populate_record(null::%I.%I, $1)',
                             s, r.table_name, s, r.table_name) using r.row_data;
            end if;
            n := n + 1;
          end loop;
          delete from indexer_journal where block_number > after_block;
          return n;
        end
        $fn$
      `.execute(db);
    },
  },
  // Contracts created by factories (module `children`): where each came from, journaled like any
  // chain-derived table so that a reorg forgets children created in the blocks it undoes.
  '0002_children': {
    async up(db: Kysely<any>) {
      await sql`
        create table indexer_children (
          address text primary key,
          name text not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null
        )
      `.execute(db);
      await journalTable(db, 'indexer_children', ['address']);
    },
  },
};

/**
 * Puts a module's chain-derived table under the journal: near the chain head, every insert,
 * update and delete is recorded with its block so that a reorg can undo it.
 */
export async function journalTable(db: Kysely<any>, table: string, primaryKey: string[]): Promise<void> {
  await sql`
    insert into indexer_tables (table_name, primary_key) values (${table}, array(select jsonb_array_elements_text(${JSON.stringify(primaryKey)}::jsonb)))
    on conflict (table_name) do update set primary_key = excluded.primary_key
  `.execute(db);
  await sql`
    create or replace trigger indexer_journal after insert or update or delete on ${sql.id(table)}
    for each row when (coalesce(current_setting('machina.journal_block', true), '') <> '')
    execute function indexer_journal_row()
  `.execute(db);
}
