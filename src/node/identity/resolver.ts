// Reads http(s) registration files outside the indexing transactions: a slow or dead web server
// never holds up indexing. Each result lands only if the agent still points at the same URI;
// failures are recorded in registrationError and retried with growing delays.
import { sql, type Kysely } from 'kysely';
import { fetchRegistrationFile, type RegistrationFile } from '../../identity/registrationFile.ts';
import { formatError } from '../../errors/index.ts';
import { toJson } from '../db/bulk.ts';
import type { ModuleWorker } from '../indexer/module.ts';
import { oneLine, registrationColumns } from './registration.ts';

export type RegistrationResolverOptions = {
  /** Per-file fetch timeout. */
  timeoutMs?: number;
  /** Files fetched at once. */
  concurrency?: number;
  /** How often to look for due retries when nothing nudges. */
  intervalMs?: number;
  fetchFile?: (uri: string, o: { timeoutMs: number }) => Promise<RegistrationFile | undefined>;
};

const MAX_RETRY_DELAY_MS = 10 * 60_000;

/**
 * Starts the resolver; `nudge()` after a batch that set an http(s) agentURI, `stop()` on shutdown.
 * @example
 * const resolver = startRegistrationResolver(db)
 */
export function startRegistrationResolver(db: Kysely<any>, o: RegistrationResolverOptions = {}): ModuleWorker {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const concurrency = o.concurrency ?? 4;
  const intervalMs = o.intervalMs ?? 2_000;
  const fetchFile = o.fetchFile ?? fetchRegistrationFile;
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = true;

  const resolveOne = async (agentId: string, uri: string, attempts: number) => {
    let file: RegistrationFile | undefined;
    let error: string | null = null;
    try {
      file = await fetchFile(uri, { timeoutMs });
      if (!file) error = 'no registration file at this URI';
    } catch (err) {
      error = oneLine(formatError(err));
    }
    if (file) {
      const c = registrationColumns(uri, file, null);
      await sql`
        update agents set name = ${c.name}, description = ${c.description}, image = ${c.image}, services = ${toJson(c.services)}::jsonb,
          x402_support = ${c.x402_support}, active = ${c.active}, registration = ${toJson(c.registration)}::jsonb,
          registration_error = null, registration_uri = ${uri}, registration_attempts = 0, registration_retry_at = 0
        where agent_id = ${agentId} and agent_uri = ${uri}
      `.execute(db);
    } else {
      const delay = Math.min(MAX_RETRY_DELAY_MS, 2_000 * 2 ** attempts);
      await sql`
        update agents set registration_error = ${error}, registration_attempts = ${attempts + 1}, registration_retry_at = ${Date.now() + delay}
        where agent_id = ${agentId} and agent_uri = ${uri} and registration_uri is null
      `.execute(db);
    }
  };

  const pass = async (): Promise<number> => {
    const { rows } = await sql<{ agent_id: string; agent_uri: string; registration_attempts: number }>`
      select agent_id, agent_uri, registration_attempts from agents
      where registration_uri is null and registration_retry_at <= ${Date.now()}
      order by registration_retry_at, agent_id limit ${concurrency * 8}
    `.execute(db);
    let next = 0;
    const worker = async () => {
      while (!stopped && next < rows.length) {
        const r = rows[next++]!;
        await resolveOne(r.agent_id, r.agent_uri, r.registration_attempts).catch(() => {});
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return rows.length;
  };

  const loop = (async () => {
    while (!stopped) {
      let found = 0;
      if (pending) {
        pending = false;
        found = await pass().catch(() => 0);
      }
      if (found > 0) {
        pending = true;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
      wake = undefined;
      pending = true;
    }
  })();

  return {
    nudge() {
      pending = true;
      wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
