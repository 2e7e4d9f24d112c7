// Read routes, all served from the index: health, contracts, stats, agents (list, one, registration,
// feedback, validations, trust), validations by hash and the event log.
import { createRoute, z } from '@hono/zod-openapi';
import type { AgentRecord } from '../service/types.ts';
import type { Api, ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { resolveRegistration } from './hosting.ts';
import { agentIdParams, listAgentsQuery, listEventsQuery, listFeedbackQuery, pagingQuery, requestHashParams } from './inputs.ts';
import {
  agentRecordSchema,
  agentTrustSchema,
  contractsSchema,
  errorSchema,
  eventRecordSchema,
  feedbackRecordSchema,
  healthSchema,
  nodeStatsSchema,
  pageSchema,
  registrationSchema,
  validationRecordSchema,
} from './schemas.ts';

/** A JSON response of `schema` for an OpenAPI route. @example responses: { 200: json(agentSchema, 'The agent') } */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const errors = {
  400: json(errorSchema, 'Invalid input; `field` names it'),
  404: json(errorSchema, 'Unknown id'),
};

/**
 * The agent (through the read cache), or a 404 naming `agentId`.
 * @example
 * const agent = await agentOr404(ctx, 3n)
 */
export async function agentOr404(ctx: ApiContext, agentId: bigint): Promise<AgentRecord> {
  const agent = await ctx.getAgent(agentId);
  if (!agent) throw new ApiError(404, 'NOT_FOUND', `agent ${agentId} not found`, 'agentId');
  return agent;
}

/**
 * Registers the read routes on `app`.
 * @example
 * registerReads(app, ctx)
 */
export function registerReads(app: Api, ctx: ApiContext): void {
  const { queries } = ctx;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      tags: ['node'],
      summary: 'Liveness: chain head, indexed block, uptime',
      responses: { 200: json(healthSchema, 'Chain and index reachable'), 503: json(healthSchema, 'Chain or index unreachable') },
    }),
    async (c) => {
      const [head, stats] = await Promise.allSettled([ctx.client.getBlockNumber(), queries.stats()]);
      const ok = head.status === 'fulfilled' && stats.status === 'fulfilled';
      const body = {
        status: ok ? ('ok' as const) : ('degraded' as const),
        version: ctx.version,
        chainId: ctx.deployment.chainId,
        blockNumber: head.status === 'fulfilled' ? Number(head.value) : null,
        indexedBlock: stats.status === 'fulfilled' ? stats.value.indexedBlock : null,
        uptimeSeconds: Math.floor((Date.now() - ctx.startedAt) / 1000),
      };
      return ok ? c.json(body, 200) : c.json(body, 503);
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/contracts', tags: ['node'], summary: 'The protocol deployment this node indexes', responses: { 200: json(contractsSchema, 'Deployment') } }),
    (c) => c.json({ chainId: ctx.deployment.chainId, contracts: ctx.deployment.contracts }, 200),
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/stats', tags: ['node'], summary: 'Counts and indexing progress', responses: { 200: json(nodeStatsSchema, 'Stats') } }),
    async (c) => c.json(await queries.stats(), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents',
      tags: ['agents'],
      summary: 'List agents with paging, filters and sorting',
      request: { query: listAgentsQuery },
      responses: { 200: json(pageSchema(agentRecordSchema, 'AgentPage'), 'A page of agents'), 400: errors[400] },
    }),
    async (c) => c.json(await queries.listAgents(c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}',
      tags: ['agents'],
      summary: 'One agent',
      request: { params: agentIdParams },
      responses: { 200: json(agentRecordSchema, 'The agent'), ...errors },
    }),
    async (c) => c.json(await agentOr404(ctx, c.req.valid('param').agentId), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}/registration',
      tags: ['agents'],
      summary: "The agent's ERC-8004 registration file (the node's hosted copy first, else the indexed one)",
      request: { params: agentIdParams },
      responses: { 200: json(registrationSchema, 'Registration file'), ...errors },
    }),
    async (c) => c.json((await resolveRegistration(ctx, c.req.valid('param').agentId)).file, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}/feedback',
      tags: ['agents'],
      summary: 'Feedback given to an agent',
      request: { params: agentIdParams, query: listFeedbackQuery },
      responses: { 200: json(pageSchema(feedbackRecordSchema, 'FeedbackPage'), 'A page of feedback'), ...errors },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      await agentOr404(ctx, agentId);
      return c.json(await queries.listFeedback(agentId, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}/validations',
      tags: ['agents'],
      summary: 'Validation requests filed for an agent',
      request: { params: agentIdParams, query: pagingQuery },
      responses: { 200: json(pageSchema(validationRecordSchema, 'ValidationPage'), 'A page of validations'), ...errors },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      await agentOr404(ctx, agentId);
      return c.json(await queries.listValidations(agentId, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{agentId}/trust',
      tags: ['agents'],
      summary: "The agent's trust score and what it rests on",
      request: { params: agentIdParams },
      responses: { 200: json(agentTrustSchema, 'Trust score'), ...errors },
    }),
    async (c) => {
      const agent = await agentOr404(ctx, c.req.valid('param').agentId);
      return c.json({ agentId: agent.agentId, ...agent.trust }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/validations/{requestHash}',
      tags: ['validations'],
      summary: 'One validation request and its latest answer',
      request: { params: requestHashParams },
      responses: { 200: json(validationRecordSchema, 'The validation'), ...errors },
    }),
    async (c) => {
      const { requestHash } = c.req.valid('param');
      const v = await queries.getValidation(requestHash);
      if (!v) throw new ApiError(404, 'NOT_FOUND', `validation request ${requestHash} not found`, 'requestHash');
      return c.json(v, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['events'],
      summary: 'Indexed protocol events: newest first, or ascending from afterId',
      request: { query: listEventsQuery },
      responses: { 200: json(z.object({ items: z.array(eventRecordSchema) }).openapi('EventList'), 'Events'), 400: errors[400] },
    }),
    async (c) => c.json({ items: await queries.listEvents(c.req.valid('query')) }, 200),
  );
}
