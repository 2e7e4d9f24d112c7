// Input schemas of the API (path, query, body): everything a request carries is checked here, so
// that no value the index or the chain cannot take ever reaches them (a bad value is a 400 naming
// the field, never a database or encoding error turned into a 500).
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getAddress, isAddress, zeroAddress, type Address, type Hex } from 'viem';
import { redact } from '../../errors/index.ts';
import { parseFeedbackValue } from '../../identity/actions/feedback.ts';
import { ApiError } from './errors.ts';

const MAX_UINT256 = (1n << 256n) - 1n;
/** Largest id or offset the API accepts in paging: far above any real index, well inside int8 and JS safe integers. */
export const MAX_ROW_ID = 2 ** 53 - 1;
export const MAX_OFFSET = 1_000_000_000;

/** NUL cannot be stored in PostgreSQL text, and unpaired surrogates are not UTF-8: refuse both at the door. */
export function isStorableText(s: string): boolean {
  if (s.includes('\u0000')) return false;
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * A string of at most `max` characters that the index can store.
 * @example
 * z.object({ name: text(200, 1) })
 */
export function text(max: number, min = 0) {
  return z
    .string({ error: 'must be a string' })
    .min(min, min === 1 ? 'must not be empty' : `at least ${min} characters`)
    .max(max, `at most ${max} characters`)
    .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');
}

const uintDecimal = () =>
  z
    .string({ error: 'must be a decimal string' })
    .regex(/^(0|[1-9]\d*)$/, 'must be a non-negative decimal integer without sign or leading zeros')
    // Guarded: zod runs refinements even after the regex failed.
    .refine((s) => !/^\d{1,80}$/.test(s) || BigInt(s) <= MAX_UINT256, 'exceeds uint256')
    .refine((s) => s.length <= 80, 'exceeds uint256');

/** An agentId in a path: a uint256 as a decimal string, handed to handlers as a bigint. */
export const agentIdParam = uintDecimal()
  .transform((s) => BigInt(s))
  .openapi({ param: { name: 'agentId', in: 'path' }, type: 'string', pattern: '^(0|[1-9][0-9]*)$', example: '0' });

export const agentIdParams = z.object({ agentId: agentIdParam });

/**
 * A non-negative id in a path (at most 31 digits, no sign or leading zeros), handed to handlers as a bigint.
 * @example
 * z.object({ id: uintPathParam('id') })
 */
export function uintPathParam(name: string) {
  return z
    .string()
    .regex(/^(0|[1-9]\d{0,30})$/, 'must be a non-negative decimal integer without sign or leading zeros')
    .transform((s) => BigInt(s))
    .openapi({ param: { name, in: 'path' }, type: 'string', pattern: '^(0|[1-9][0-9]*)$', example: '1' });
}

/**
 * A 32-byte hex path parameter (a hash, a root, a digest), handed to handlers in lower case.
 * @example
 * z.object({ root: bytes32Param('root') })
 */
export function bytes32Param(name: string) {
  return z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
    .transform((s) => s.toLowerCase() as Hex)
    .openapi({ param: { name, in: 'path' }, type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' });
}

export const requestHashParams = z.object({ requestHash: bytes32Param('requestHash') });

/** A query integer in [min, max]; absent gives `def`. */
function intQuery(min: number, max: number, def: number) {
  const msg = `must be an integer ${min}-${max}`;
  return z
    .string()
    .regex(/^\d{1,16}$/, msg)
    .optional()
    .transform((s) => (s === undefined ? def : Number(s)))
    .refine((n) => n >= min && n <= max, msg)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: def });
}

/** An optional query integer in [min, max]. */
function optionalIntQuery(min: number, max: number) {
  const msg = `must be an integer ${min}-${max}`;
  return z
    .string()
    .regex(/^\d{1,16}$/, msg)
    .transform(Number)
    .refine((n) => n >= min && n <= max, msg)
    .optional()
    .openapi({ type: 'integer', minimum: min, maximum: max });
}

const boolQuery = () =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional()
    .openapi({ type: 'boolean' });

/** An address in a query or body, checksummed for the index (mixed case must carry a valid checksum). */
export const address = () =>
  z
    .string({ error: 'must be a string' })
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be 0x followed by 40 hex digits')
    .refine((s) => isAddress(s), 'has a wrong checksum (mixed case must be EIP-55)')
    .transform((s) => getAddress(s) as Address)
    .openapi({ type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' });

const bytes32 = () => z.string({ error: 'must be a string' }).regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits').transform((s) => s.toLowerCase() as Hex);

const name = () => z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and _ (at most 64)');

const paging = (maxLimit: number, defLimit: number) => ({
  offset: intQuery(0, MAX_OFFSET, 0),
  limit: intQuery(1, maxLimit, defLimit),
});

export const listAgentsQuery = z.object({
  ...paging(100, 20),
  owner: address().optional(),
  q: text(200, 1).optional().openapi({ description: 'case-insensitive substring of name or description' }),
  active: boolQuery(),
  x402: boolQuery(),
  sort: z.enum(['agentId', 'trust', 'feedback', 'recent'], { error: 'must be one of agentId, trust, feedback, recent' }).optional(),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
});

export const listFeedbackQuery = z.object({
  ...paging(100, 20),
  includeRevoked: boolQuery(),
  client: address().optional(),
  tag1: text(256).optional(),
});

export const pagingQuery = z.object(paging(100, 20));

export const listEventsQuery = z.object({
  limit: intQuery(1, 500, 50),
  afterId: optionalIntQuery(0, MAX_ROW_ID),
  beforeId: optionalIntQuery(0, MAX_ROW_ID),
  agentId: uintDecimal()
    .transform((s) => BigInt(s))
    .optional()
    .openapi({ type: 'string', pattern: '^(0|[1-9][0-9]*)$' }),
  contract: name().optional().openapi({ example: 'IdentityRegistry' }),
  event: name().optional().openapi({ example: 'Registered' }),
});

export const streamQuery = z.object({
  after: optionalIntQuery(0, MAX_ROW_ID).openapi({ description: 'replay events with a larger id first (like Last-Event-ID)' }),
});

// Bodies: strict objects, so a misspelt field is named rather than silently ignored.
const serviceInput = z.strictObject({
  name: text(64, 1),
  endpoint: text(2048, 1),
  version: text(64).optional(),
});

/** The node adds its own MCP and A2A services to the files it hosts, hence two fewer than the file allows. */
export const registerAgentBody = z
  .strictObject({
    name: text(200, 1),
    description: text(10_000),
    image: text(2048).optional(),
    services: z.array(serviceInput, { error: 'must be an array of {name, endpoint, version?}' }).max(62, 'at most 62 services').optional(),
    x402Support: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .openapi('RegisterAgent');

export const feedbackBody = z
  .strictObject({
    value: z
      .string({ error: 'must be a decimal string such as "87.5"' })
      .max(80, 'at most 80 characters')
      .superRefine((v, ctx) => {
        try {
          parseFeedbackValue(v, 'value');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^value: /, '') });
        }
      })
      .openapi({ example: '87.5' }),
    tag1: text(64).optional(),
    tag2: text(64).optional(),
    endpoint: text(2048).optional(),
    feedbackURI: text(2048).optional(),
    feedbackHash: bytes32().optional(),
  })
  .openapi('GiveFeedback');

export const validationBody = z
  .strictObject({
    agentId: uintDecimal().openapi({ example: '0' }),
    validator: address().refine((a) => a !== zeroAddress, 'must not be the zero address'),
    requestURI: text(2048, 1),
    requestHash: bytes32().optional(),
  })
  .openapi('RequestValidation');


// ------------------------------------------------------------------------------------------------ bodies

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;
const MAX_DEPTH = 16;

// The rest of the body is not read: the connection cannot carry another request.
const tooLarge = (max: number) => new ApiError(413, 'PAYLOAD_TOO_LARGE', `body exceeds ${max} bytes`, 'body', { connection: 'close' });

/**
 * Reads the raw body up to `maxBytes` (413 past it, also for chunked bodies with no length).
 * @example
 * const bytes = await readBodyBytes(c, 8 * 1024 * 1024)
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Buffer> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const reader = c.req.raw.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength) : Buffer.concat(chunks);
}

/**
 * Reads a JSON object body once, in order: media type (415), size (413, also for chunked bodies
 * with no length), UTF-8 and JSON (400), depth and key material (400). Answers the text as read and
 * the parsed object.
 * @example
 * const { value } = await readJsonBody(c, 2 * 1024 * 1024)
 */
export async function readJsonBody(c: Context, maxBytes: number): Promise<{ text: string; value: Record<string, unknown> }> {
  const type = c.req.header('content-type');
  const media = type?.split(';')[0]!.trim() ?? '';
  if (!JSON_MEDIA.test(media)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `body must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'no content-type'})`, 'content-type');
  const bytes = await readBodyBytes(c, maxBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'body is not valid UTF-8', 'body');
  }
  if (text.trim() === '') throw new ApiError(400, 'INVALID_JSON', 'body is empty (expected a JSON object)', 'body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'INVALID_JSON', `body is not valid JSON (${(err as Error).message.slice(0, 200)})`, 'body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ApiError(400, 'INVALID_ARGUMENT', 'body: must be a JSON object', 'body');
  // Thousands of nested levels fit in a few KiB; recursive code (JSON.stringify, validators) must never see them.
  if (depthExceeds(parsed, MAX_DEPTH)) throw new ApiError(400, 'INVALID_ARGUMENT', `body: nested deeper than ${MAX_DEPTH} levels`, 'body');
  // Key material sent in a field would end up on chain or in a stored or hosted file, served to
  // anyone, in a form (base64 in a data: URI) that no redaction could find again: refuse it here.
  // Checked on the parsed value: JSON escapes (\u0061...) cannot hide it.
  const normal = JSON.stringify(parsed);
  if (redact(normal) !== normal) {
    const field = Object.entries(parsed).find(([, v]) => redact(JSON.stringify(v) ?? '') !== (JSON.stringify(v) ?? ''))?.[0] ?? 'body';
    throw new ApiError(400, 'INVALID_ARGUMENT', `${field}: contains key material; refused`, field);
  }
  return { text, value: parsed as Record<string, unknown> };
}

/** Whether `value` nests objects or arrays deeper than `max`, found without recursion. */
function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** A page size query parameter: an integer 1–100 (the route applies its default when absent). */
export const limitQuery = z
  .string()
  .regex(/^\d{1,4}$/, 'must be an integer 1-100')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 100, 'must be an integer 1-100')
  .optional()
  .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
