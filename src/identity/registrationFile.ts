// The ERC-8004 agent registration file (the JSON an agentURI points to): its type, a validator that
// names the faulty field, and helpers to build it and to carry it on chain as a data: URI.
import { z } from 'zod';
import { isAddress, type Address } from 'viem';
import { InvalidArgumentError } from '../errors/index.ts';

export const REGISTRATION_TYPE = 'https://eips.ethereum.org/EIPS/eip-8004#registration-v1';

const agentRegistryIdSchema = z
  .string()
  .regex(/^eip155:\d+:0x[0-9a-fA-F]{40}$/, 'must be "eip155:{chainId}:{address}"')
  .refine((s) => isAddress(s.split(':')[2]!), 'address has a wrong checksum');

const serviceSchema = z.object({
  name: z.string().min(1, 'must not be empty').max(64, 'at most 64 characters'),
  endpoint: z.string().min(1, 'must not be empty').max(2048, 'at most 2048 characters'),
  version: z.string().max(64, 'at most 64 characters').optional(),
}).passthrough();

export const registrationFileSchema = z.object({
  type: z.literal(REGISTRATION_TYPE, { message: `must be "${REGISTRATION_TYPE}"` }),
  name: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters'),
  description: z.string().max(10_000, 'at most 10000 characters'),
  image: z.string().max(2048, 'at most 2048 characters').optional(),
  services: z.array(serviceSchema).max(64, 'at most 64 services'),
  x402Support: z.boolean().optional(),
  active: z.boolean().optional(),
  registrations: z
    .array(z.object({ agentId: z.number().int().nonnegative().or(z.string().regex(/^\d+$/)), agentRegistry: agentRegistryIdSchema }))
    .optional(),
  supportedTrust: z.array(z.string().min(1)).optional(),
}).passthrough();

export type RegistrationFile = z.infer<typeof registrationFileSchema>;
export type AgentService = z.infer<typeof serviceSchema>;

/**
 * Validates a registration file; throws an InvalidArgumentError naming the first faulty field
 * (e.g. `services[1].endpoint: must not be empty`).
 * @example
 * const file = parseRegistrationFile(JSON.parse(text))
 */
export function parseRegistrationFile(json: unknown, field = 'registration'): RegistrationFile {
  const result = registrationFileSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`), field);
  throw new InvalidArgumentError(at, issue.message);
}

/** `eip155:{chainId}:{address}`: how a registration names the registry that minted the agent. */
export function agentRegistryId(chainId: number, registry: Address): string {
  return `eip155:${chainId}:${registry}`;
}

export type BuildRegistrationFileParameters = {
  name: string;
  description: string;
  image?: string | undefined;
  services?: AgentService[];
  x402Support?: boolean;
  active?: boolean;
  supportedTrust?: string[];
  registration?: { agentId: bigint; chainId: number; registry: Address };
};

/**
 * Builds a valid registration file.
 * @example
 * buildRegistrationFile({ name: 'summarizer', description: 'Summarizes text', services: [{ name: 'MCP', endpoint: 'https://…' }] })
 */
export function buildRegistrationFile(p: BuildRegistrationFileParameters): RegistrationFile {
  return parseRegistrationFile({
    type: REGISTRATION_TYPE,
    name: p.name,
    description: p.description,
    ...(p.image ? { image: p.image } : {}),
    services: p.services ?? [],
    x402Support: p.x402Support ?? false,
    active: p.active ?? true,
    registrations: p.registration
      ? [{ agentId: Number(p.registration.agentId), agentRegistry: agentRegistryId(p.registration.chainId, p.registration.registry) }]
      : [],
    supportedTrust: p.supportedTrust ?? ['reputation'],
  });
}

/** The registration file as a self-contained `data:application/json;base64,` agentURI. */
export function toDataUri(file: RegistrationFile): string {
  return `data:application/json;base64,${Buffer.from(JSON.stringify(file)).toString('base64')}`;
}

/**
 * Reads a registration file from an agentURI: data: URIs are decoded in place, http(s) URIs are
 * fetched; other schemes (ipfs:, ar:) return `undefined` since no gateway is configured.
 */
export async function fetchRegistrationFile(agentURI: string, { timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<RegistrationFile | undefined> {
  if (agentURI.startsWith('data:')) {
    const m = /^data:([^,;]*)(;base64)?,(.*)$/s.exec(agentURI);
    if (!m) throw new InvalidArgumentError('agentURI', 'malformed data: URI');
    const body = m[2] ? Buffer.from(m[3]!, 'base64').toString('utf8') : decodeURIComponent(m[3]!);
    return parseRegistrationFile(parseJson(body, 'agentURI'), 'agentURI');
  }
  if (/^https?:\/\//.test(agentURI)) {
    const res = await fetch(agentURI, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new InvalidArgumentError('agentURI', `fetching ${agentURI} answered ${res.status}`);
    return parseRegistrationFile(parseJson(await res.text(), 'agentURI'), 'agentURI');
  }
  return undefined;
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(field, 'registration file is not valid JSON');
  }
}

/** Parses `NAME=ENDPOINT` or `NAME=ENDPOINT@VERSION`, as the CLI's `--service` takes it. */
export function parseServiceFlag(raw: string): AgentService {
  const eq = raw.indexOf('=');
  if (eq <= 0 || eq === raw.length - 1) throw new InvalidArgumentError('--service', `expected NAME=ENDPOINT (got "${raw}")`);
  const name = raw.slice(0, eq);
  let endpoint = raw.slice(eq + 1);
  let version: string | undefined;
  const at = endpoint.lastIndexOf('@');
  // A version suffix only when it follows a URL path, not inside user@host.
  if (at > 0 && /^[0-9][0-9A-Za-z.\-]*$/.test(endpoint.slice(at + 1))) {
    version = endpoint.slice(at + 1);
    endpoint = endpoint.slice(0, at);
  }
  return version ? { name, endpoint, version } : { name, endpoint };
}
