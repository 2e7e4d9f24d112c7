// An empty embedded database for a test node without paying for initdb each time. A new PGlite data
// directory runs PostgreSQL's initdb inside WebAssembly (5-10 s on an idle 2-core machine, 30+ s on a
// busy one); opening an existing one takes ~1 s. So the first test that needs one initialises a
// template (once per PGlite version, kept in the temporary directory), and every node data directory
// starts as a copy of it: the node then opens, creates its schema and migrates exactly as on a first
// start, only PostgreSQL's own catalog setup is skipped. `machina up`'s first boot in test/up.test.ts
// keeps a real initdb.
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { repoRoot } from './cli.ts';

const version = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version as string;
/** The initialised, never-opened-by-a-node cluster every test database is copied from. */
export const pgliteTemplateDir = path.join(tmpdir(), `machina-test-pglite-${version}`);

let making: Promise<string> | undefined;

/** Creates the template if it is not there yet (several test processes may race: the first rename wins). */
export function pgliteTemplate(): Promise<string> {
  return (making ??= (async () => {
    if (existsSync(path.join(pgliteTemplateDir, 'PG_VERSION'))) return pgliteTemplateDir;
    const tmp = mkdtempSync(`${pgliteTemplateDir}.tmp-`);
    const db = await PGlite.create(path.join(tmp, 'db'));
    await db.close();
    try {
      renameSync(path.join(tmp, 'db'), pgliteTemplateDir);
    } catch (err) {
      // Another process made it meanwhile.
      if (!existsSync(path.join(pgliteTemplateDir, 'PG_VERSION'))) throw err;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return pgliteTemplateDir;
  })());
}

/**
 * Makes `<dataDir>/db` (where openNodeStore keeps the embedded database) an empty, initialised
 * cluster, unless a database is already there. For a machine (startMachine), pass its node data
 * directory: `<settings.dataDir>/node/<chainId>`.
 * @example
 * await seedEmbeddedDatabase(dataDir); const store = await openNodeStore({ dataDir })
 */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  const target = path.join(dataDir, 'db');
  if (existsSync(target)) return;
  cpSync(await pgliteTemplate(), target, { recursive: true });
}
