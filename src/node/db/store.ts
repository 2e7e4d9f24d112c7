// The node's store: one database (embedded PGlite under `<dataDir>/db`, or PostgreSQL at
// DATABASE_URL), migrated for every module, with the read side (NodeQueries), the live events
// feed, and the registration files the node hosts.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { RegistrationFile } from '../../identity/registrationFile.ts';
import { createEventFeed, type LocalEventFeed } from '../indexer/feed.ts';
import type { NodeModule } from '../indexer/module.ts';
import { getHostedRegistration, putHostedRegistration } from '../identity/hosted.ts';
import { identityModule } from '../identity/module.ts';
import type { NodeQueries } from '../service/types.ts';
import { migrateNodeDatabase } from './migrate.ts';
import { openDatabase } from './open.ts';
import { createNodeQueries } from './queries.ts';

export type NodeStore = {
  db: Kysely<any>;
  kind: 'pglite' | 'postgres';
  schema: string;
  modules: readonly NodeModule[];
  queries: NodeQueries;
  /** Live indexed events; the indexer publishes each committed batch here. */
  feed: LocalEventFeed;
  putHostedRegistration(agentId: bigint, file: RegistrationFile): Promise<void>;
  getHostedRegistration(agentId: bigint): Promise<RegistrationFile | undefined>;
  /** Closes the database. Stop the indexer first. */
  close(): Promise<void>;
};

export type OpenNodeStoreParameters = {
  /** postgres://… (DATABASE_URL): use PostgreSQL instead of the embedded database. */
  databaseUrl?: string | undefined;
  /** Machina's data directory; the embedded database lives in `<dataDir>/db`. */
  dataDir: string;
  /** Postgres schema for every table (default `public`); tests use their own and drop it. */
  schema?: string | undefined;
  /** Domains to index (default: identity). */
  modules?: readonly NodeModule[] | undefined;
};

/**
 * Opens and migrates the node's database.
 * @example
 * const store = await openNodeStore({ dataDir: '.machina', databaseUrl: process.env.DATABASE_URL })
 * const agent = await store.queries.getAgent(0n)
 * await store.close()
 */
export async function openNodeStore({ databaseUrl, dataDir, schema, modules = [identityModule()] }: OpenNodeStoreParameters): Promise<NodeStore> {
  const database = await openDatabase({ databaseUrl, dataDir: path.join(dataDir, 'db'), schema });
  try {
    await migrateNodeDatabase(database.db, database.schema, modules);
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const { db } = database;
  let closing: Promise<void> | undefined;
  return {
    db,
    kind: database.kind,
    schema: database.schema,
    modules,
    queries: createNodeQueries(db),
    feed: createEventFeed(),
    putHostedRegistration: (agentId, file) => putHostedRegistration(db, agentId, file),
    getHostedRegistration: (agentId) => getHostedRegistration(db, agentId),
    close: () => (closing ??= database.close()),
  };
}
