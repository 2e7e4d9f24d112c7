// Documents served outside /v1 for other programs to find: registration files an ERC-8004 agentURI
// can point at, and A2A agent cards (the node's, and one per agent the node hosts).
import { createRoute } from '@hono/zod-openapi';
import { hostedAgentCard, nodeAgentCard } from './cards.ts';
import type { Api, ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { resolveRegistration } from './hosting.ts';
import { agentIdParams } from './inputs.ts';
import { errors } from './reads.ts';
import { agentCardSchema, registrationSchema } from './schemas.ts';

/**
 * Registers /agents/{id}/registration.json, /agents/{id}/agent-card.json and /.well-known/agent-card.json.
 * @example
 * registerPublic(app, ctx)
 */
export function registerPublic(app: Api, ctx: ApiContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/agents/{agentId}/registration.json',
      tags: ['documents'],
      summary: 'Registration file for an ERC-8004 agentURI: the copy this node hosts, else the indexed one',
      request: { params: agentIdParams },
      responses: { 200: { description: 'Registration file', content: { 'application/json': { schema: registrationSchema } } }, ...errors },
    }),
    async (c) => c.json((await resolveRegistration(ctx, c.req.valid('param').agentId)).file, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/agent-card.json',
      tags: ['documents'],
      summary: "The node's own A2A agent card",
      responses: { 200: { description: 'A2A agent card', content: { 'application/json': { schema: agentCardSchema } } } },
    }),
    (c) => c.json(nodeAgentCard({ publicUrl: ctx.publicUrl, version: ctx.version, chainId: ctx.deployment.chainId, canWrite: !!ctx.writer }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/agents/{agentId}/agent-card.json',
      tags: ['documents'],
      summary: 'A2A agent card of an agent this node hosts, built from its registration file',
      request: { params: agentIdParams },
      responses: { 200: { description: 'A2A agent card', content: { 'application/json': { schema: agentCardSchema } } }, ...errors },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const r = await resolveRegistration(ctx, agentId);
      if (!r.hosted) throw new ApiError(404, 'NOT_HOSTED', `agent ${agentId} is not hosted by this node (its agent card, if any, lives with its registration file)`, 'agentId');
      return c.json(hostedAgentCard({ publicUrl: ctx.publicUrl, version: ctx.version, agentId, file: r.file }), 200);
    },
  );
}
