// Opens the node's database: embedded PGlite in a directory by default, PostgreSQL when a URL is
// given. Both speak the same SQL through Kysely and keep every table in one Postgres schema.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { InvalidSettingError, MachinaError } from '../../errors/index.ts';
import { PGliteDialect } from './pgliteDialect.ts';

export type Database = {
  db: Kysely<any>;
  kind: 'pglite' | 'postgres';
  schema: string;
  close: () => Promise<void>;
};

export type OpenDatabaseParameters = {
  /** postgres://… — when set, PostgreSQL is used instead of the embedded database. */
  databaseUrl?: string | undefined;
  /** Directory of the embedded database (ignored with `databaseUrl`). */
  dataDir: string;
  /** Postgres schema holding every table; created if missing. Default `public`. */
  schema?: string | undefined;
};

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Opens (and creates) the database; the returned Kysely instance resolves unqualified names in `schema`.
 * @example
 * const { db, close } = await openDatabase({ dataDir: '.machina/db' })
 */
export async function openDatabase({ databaseUrl, dataDir, schema = 'public' }: OpenDatabaseParameters): Promise<Database> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidSettingError('schema', `must be a lowercase SQL identifier (got "${schema}")`);
  }
  if (databaseUrl) return openPostgres(databaseUrl, schema);
  return openPGlite(dataDir, schema);
}

async function openPGlite(dataDir: string, schema: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  let pglite: PGlite;
  try {
    // int8 as a JS number (block numbers and ids stay far below 2^53), numeric as a decimal string
    // (uint256 agent ids, int128 values): the same shapes node-postgres gives below.
    pglite = await PGlite.create(dataDir, { parsers: { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => v } });
  } catch (err) {
    throw new MachinaError(`database: cannot open the embedded database in ${dataDir} (${(err as Error).message})`, {
      code: 'DATABASE_UNAVAILABLE',
      field: 'MACHINA_DATA_DIR',
      cause: err,
    });
  }
  await pglite.exec(`create schema if not exists "${schema}"; set search_path to "${schema}"`);
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    schema,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function openPostgres(databaseUrl: string, schema: string): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    // Every pooled connection resolves names in the node's schema.
    options: `-c search_path="${schema}"`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new MachinaError(`database: cannot reach PostgreSQL at DATABASE_URL (${(err as Error).message})`, {
      code: 'DATABASE_UNAVAILABLE',
      field: 'DATABASE_URL',
      cause: err,
    });
  }
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', schema, close: () => db.destroy() };
}

/** Drops `schema` and everything in it (tests: each runs in its own schema). */
export async function dropSchema(db: Kysely<any>, schema: string): Promise<void> {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
}
