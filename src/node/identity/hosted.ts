// Registration files the node hosts for agents it registered itself: their agentURI points at
// the node's /agents/{id}/registration.json, which serves the file kept here.
import { sql, type Kysely } from 'kysely';
import { parseRegistrationFile, type RegistrationFile } from '../../identity/registrationFile.ts';
import { toJson } from '../db/bulk.ts';

/**
 * Stores (or replaces) the file served for `agentId`, and queues the agent's registration to be
 * read again when its agentURI is an http(s) URL (it may point here).
 * @example
 * await putHostedRegistration(db, 7n, buildRegistrationFile({ name: 'a', description: 'b' }))
 */
export async function putHostedRegistration(db: Kysely<any>, agentId: bigint, file: RegistrationFile): Promise<void> {
  const valid = parseRegistrationFile(file);
  await db.transaction().execute(async (tx) => {
    await sql`
      insert into hosted_registrations (agent_id, file, updated_at) values (${agentId.toString()}, ${toJson(valid)}::jsonb, ${Date.now()})
      on conflict (agent_id) do update set file = excluded.file, updated_at = excluded.updated_at
    `.execute(tx);
    await sql`
      update agents set registration_uri = null, registration_attempts = 0, registration_retry_at = 0
      where agent_id = ${agentId.toString()} and agent_uri ~* '^https?://'
    `.execute(tx);
  });
}

export async function getHostedRegistration(db: Kysely<any>, agentId: bigint): Promise<RegistrationFile | undefined> {
  const row = await db.selectFrom('hosted_registrations').select('file').where('agent_id', '=', agentId.toString()).executeTakeFirst();
  return row ? (row.file as RegistrationFile) : undefined;
}
