// Applies the indexer's and each module's migrations, each module tracked in its own table so a
// later domain adds tables without renumbering anyone else's, then journals the modules' tables.
import { Migrator, type Kysely, type Migration } from 'kysely';
import { MachinaError } from '../../errors/index.ts';
import type { NodeModule } from '../indexer/module.ts';
import { indexerMigrations, journalTable } from '../indexer/schema.ts';

/**
 * Brings the schema up to date for `modules` (idempotent; safe on every start).
 * @example
 * await migrateNodeDatabase(db, 'public', [identityModule])
 */
export async function migrateNodeDatabase(db: Kysely<any>, schema: string, modules: readonly NodeModule[]): Promise<void> {
  await migrateOne(db, schema, 'indexer', indexerMigrations);
  for (const m of modules) {
    if (!/^[a-z][a-z0-9_]*$/.test(m.name)) throw new MachinaError(`node module name "${m.name}" must be a lowercase identifier`, { code: 'INVALID_MODULE' });
    await migrateOne(db, schema, m.name, m.migrations);
    for (const t of m.tables) await journalTable(db, t.name, t.primaryKey);
  }
}

async function migrateOne(db: Kysely<any>, schema: string, name: string, migrations: Record<string, Migration>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: `migrations_${name}`,
    migrationLockTableName: `migrations_${name}_lock`,
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's migrator introspects the tables of every schema; when another tenant of the same
  // database drops its schema meanwhile, the catalog read fails on that schema (not ours) before
  // any migration ran. That race is transient: run again.
  for (let attempt = 1; error && attempt <= 5 && isForeignSchemaRace(error, schema); attempt++) {
    await new Promise((r) => setTimeout(r, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MachinaError(`database: migration ${name}/${failed} failed (${(error as Error).message})`, { code: 'MIGRATION_FAILED', cause: error });
  }
}

/** A "schema … does not exist" error about a schema other than ours (another tenant dropped it). */
function isForeignSchemaRace(error: unknown, schema: string): boolean {
  const m = /schema "([^"]+)" does not exist/.exec((error as Error)?.message ?? '');
  return !!m && m[1] !== schema;
}
