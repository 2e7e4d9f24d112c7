// Write routes: register an agent (its registration file hosted by the node), give feedback,
// request validation. They sign with the node's own signer, only when it has one; the body is
// checked whole (type, size, JSON, schema) before anything touches the chain.
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Api, ApiContext } from './context.ts';
import { redact } from '../../errors/index.ts';
import { ApiError, writeError } from './errors.ts';
import { agentIdParams, feedbackBody, registerAgentBody, validationBody } from './inputs.ts';
import { errors } from './reads.ts';
import { bytes32Schema, decimalSchema, errorSchema } from './schemas.ts';

export const MAX_BODY_BYTES = 64 * 1024;
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/** 403 unless the node has a signer: checked first, since nothing else matters without one. */
function requireSigner(ctx: ApiContext): MiddlewareHandler {
  return async (_c, next) => {
    if (!ctx.writer) throw new ApiError(403, 'SIGNER_NOT_CONFIGURED', 'this node has no signer for writes (start it with MACHINA_NODE_SIGNER=on and MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)');
    await next();
  };
}

/**
 * Reads the body once, in order: media type (415), size (413, also for chunked bodies with no
 * length), UTF-8 and JSON (400), depth and key material (400). The text is left in Hono's body
 * cache for the schema validator.
 * @example
 * createRoute({ method: 'post', path: '/v1/agents', middleware: [jsonBody], ... })
 */
export const jsonBody: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type');
  const media = type?.split(';')[0]!.trim() ?? '';
  if (!JSON_MEDIA.test(media)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `body must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'no content-type'})`, 'content-type');
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = c.req.raw.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
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
  // Thousands of nested levels fit in 64 KiB; recursive code (JSON.stringify, validators) must never see them.
  if (depthExceeds(parsed, MAX_DEPTH)) throw new ApiError(400, 'INVALID_ARGUMENT', `body: nested deeper than ${MAX_DEPTH} levels`, 'body');
  // Key material sent in a field would end up on chain or in a hosted file, served to anyone, in a
  // form (base64 in a data: URI) that no redaction could find again: refuse it here.
  // Checked on the parsed value: JSON escapes (\u0061...) cannot hide it.
  const normal = JSON.stringify(parsed);
  if (redact(normal) !== normal) {
    const field = Object.entries(parsed).find(([, v]) => redact(JSON.stringify(v) ?? '') !== (JSON.stringify(v) ?? ''))?.[0] ?? 'body';
    throw new ApiError(400, 'INVALID_ARGUMENT', `${field}: contains key material; refused`, field);
  }
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  await next();
};

const MAX_DEPTH = 16;

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

// The rest of the body is not read: the connection cannot carry another request.
const tooLarge = () => new ApiError(413, 'PAYLOAD_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`, 'body', { connection: 'close' });

const created = <T extends z.ZodType>(schema: T) => ({ description: 'Sent and confirmed on chain', content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const writeErrors = {
  ...errors,
  403: { description: 'The node has no signer, or the signer may not do this', content: { 'application/json': { schema: errorSchema } } },
  409: { description: 'Conflicts with chain state', content: { 'application/json': { schema: errorSchema } } },
  413: { description: 'Body larger than 64 KiB', content: { 'application/json': { schema: errorSchema } } },
  415: { description: 'Body not application/json', content: { 'application/json': { schema: errorSchema } } },
  422: { description: 'The chain reverted it', content: { 'application/json': { schema: errorSchema } } },
};

/**
 * Registers the write routes (403 without a signer).
 * @example
 * registerWrites(app, ctx)
 */
export function registerWrites(app: Api, ctx: ApiContext): void {
  const middleware = [requireSigner(ctx), jsonBody];
  const writer = () => ctx.writer!;
  const logged = async <T>(what: string, run: () => Promise<T>, describe: (r: T) => string): Promise<T> => {
    try {
      const r = await run();
      ctx.log(`node: ${what}: ${describe(r)}`);
      return r;
    } catch (err) {
      const e = writeError(err);
      ctx.log(`node: ${what} refused (${e.status} ${e.code}): ${e.message}`);
      throw e;
    }
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agents',
      tags: ['writes'],
      summary: "Register an agent with the node's signer; the node hosts its registration file, listing the node's MCP and A2A endpoints",
      middleware,
      request: { body: body(registerAgentBody) },
      responses: { 201: created(z.object({ agentId: decimalSchema, txHash: bytes32Schema, agentURI: z.string() }).openapi('Registered')), ...writeErrors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const r = await logged('register agent', () => writer().registerAgent(input), (r) => `agent ${r.agentId} (tx ${r.txHash})`);
      return c.json(r, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agents/{agentId}/feedback',
      tags: ['writes'],
      summary: "Give feedback on an agent from the node's signer",
      middleware,
      request: { params: agentIdParams, body: body(feedbackBody) },
      responses: { 201: created(z.object({ feedbackIndex: z.number().int(), txHash: bytes32Schema }).openapi('FeedbackGiven')), ...writeErrors },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const input = c.req.valid('json');
      const r = await logged(`feedback on agent ${agentId}`, () => writer().giveFeedback({ agentId, ...input }), (r) => `index ${r.feedbackIndex} (tx ${r.txHash})`);
      return c.json(r, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/validations',
      tags: ['writes'],
      summary: "Ask a validator to check an agent's work (the node's signer must own or operate the agent)",
      middleware,
      request: { body: body(validationBody) },
      responses: { 201: created(z.object({ requestHash: bytes32Schema, txHash: bytes32Schema }).openapi('ValidationRequested')), ...writeErrors },
    }),
    async (c) => {
      const { agentId, ...input } = c.req.valid('json');
      const r = await logged(`validation request for agent ${agentId}`, () => writer().requestValidation({ agentId: BigInt(agentId), ...input }), (r) => `${r.requestHash} (tx ${r.txHash})`);
      return c.json(r, 201);
    },
  );
}
