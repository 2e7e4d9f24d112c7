// Write routes: register an agent (its registration file hosted by the node), give feedback,
// request validation. They sign with the node's own signer, only when it has one; the body is
// checked whole (type, size, JSON, schema) before anything touches the chain.
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Api, ApiContext } from './context.ts';
import { ApiError, writeError } from './errors.ts';
import { agentIdParams, feedbackBody, readJsonBody, registerAgentBody, validationBody } from './inputs.ts';
import { errors } from './reads.ts';
import { bytes32Schema, decimalSchema, errorSchema } from './schemas.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** 403 unless the node has a signer: checked first, since nothing else matters without one. */
function requireSigner(ctx: ApiContext): MiddlewareHandler {
  return async (_c, next) => {
    if (!ctx.writer) throw new ApiError(403, 'SIGNER_NOT_CONFIGURED', 'this node has no signer for writes (start it with MACHINA_NODE_SIGNER=on and MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)');
    await next();
  };
}

/**
 * Reads the body once (see readJsonBody: media type, size, UTF-8, JSON, depth, key material) and
 * leaves the text in Hono's body cache for the schema validator.
 * @example
 * createRoute({ method: 'post', path: '/v1/agents', middleware: [jsonBody], ... })
 */
export const jsonBody: MiddlewareHandler = async (c, next) => {
  const { text } = await readJsonBody(c, MAX_BODY_BYTES);
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  await next();
};

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
