// From an agentURI to the agent's registration columns. data: URIs are decoded right here (pure,
// inside the indexing transaction); http(s) URIs are left to the background resolver.
import { fetchRegistrationFile, type RegistrationFile } from '../../identity/registrationFile.ts';
import { formatError } from '../../errors/index.ts';
import type { AgentRow } from './rows.ts';

type RegistrationColumns = Pick<
  AgentRow,
  'name' | 'description' | 'image' | 'services' | 'x402_support' | 'active' | 'registration' | 'registration_error' | 'registration_uri' | 'registration_attempts' | 'registration_retry_at'
>;

/** Columns for a readable file (or for none, with the reason). `active` needs a file that does not say otherwise. */
export function registrationColumns(uri: string, file: RegistrationFile | null, error: string | null): RegistrationColumns {
  return {
    name: file?.name ?? null,
    description: file?.description ?? null,
    image: file?.image ?? null,
    services: (file?.services ?? []).map((s) => ({ name: s.name, endpoint: s.endpoint, ...(s.version !== undefined ? { version: s.version } : {}) })),
    x402_support: file?.x402Support ?? false,
    active: file !== null && file.active !== false,
    registration: file as Record<string, unknown> | null,
    registration_error: error,
    registration_uri: uri,
    registration_attempts: 0,
    registration_retry_at: 0,
  };
}

export function isHttpUri(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

/**
 * The registration columns an agentURI gives without any I/O. For http(s) URIs the previous
 * columns stay and `registration_uri` is left unset, which queues the URI for the resolver.
 * @example
 * Object.assign(agent, await registrationFromUri('data:application/json;base64,...'))
 */
export async function registrationFromUri(uri: string): Promise<Partial<RegistrationColumns>> {
  if (uri === '') return registrationColumns(uri, null, null);
  if (isHttpUri(uri)) return { registration_uri: null, registration_attempts: 0, registration_retry_at: 0 };
  if (uri.startsWith('data:')) {
    try {
      const file = await fetchRegistrationFile(uri);
      return registrationColumns(uri, file ?? null, file ? null : 'unreadable data: URI');
    } catch (err) {
      return registrationColumns(uri, null, oneLine(formatError(err)));
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1] ?? 'this';
  return registrationColumns(uri, null, `${scheme}: URIs are not resolved by this node (no gateway configured)`);
}

export function oneLine(message: string): string {
  const line = message.split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
