// Input schemas of the API (path, query, body): everything a request carries is checked here, so
// that no value the index or the chain cannot take ever reaches them (a bad value is a 400 naming
// the field, never a database or encoding error turned into a 500).
import { z } from '@hono/zod-openapi';
import { getAddress, isAddress, zeroAddress, type Address, type Hex } from 'viem';
import { parseFeedbackValue } from '../../identity/actions/feedback.ts';

const MAX_UINT256 = (1n << 256n) - 1n;
/** Largest id or offset the API accepts in paging: far above any real index, well inside int8 and JS safe integers. */
export const MAX_ROW_ID = 2 ** 53 - 1;
export const MAX_OFFSET = 1_000_000_000;

/** NUL cannot be stored in PostgreSQL text, and unpaired surrogates are not UTF-8: refuse both at the door. */
function isStorableText(s: string): boolean {
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

export const requestHashParams = z.object({
  requestHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
    .transform((s) => s.toLowerCase() as Hex)
    .openapi({ param: { name: 'requestHash', in: 'path' }, type: 'string', pattern: '^0x[0-9a-fA-F]{64}$' }),
});

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

