// The node's HTTP surface. For now the frame (health, contracts, JSON errors); each domain adds its
// routes here as it lands.
import { Hono } from 'hono';
import type { MachinaPublicClient } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployments.ts';
import { MachinaError, formatError } from '../errors/index.ts';

export type NodeContext = {
  client: MachinaPublicClient;
  deployment: Deployment;
  version: string;
};

/**
 * Builds the node's HTTP app.
 * @example
 * const app = createNodeApp({ client, deployment, version: '0.1.0' })
 */
export function createNodeApp(ctx: NodeContext): Hono {
  const app = new Hono();
  const startedAt = Date.now();

  app.get('/health', async (c) => {
    let blockNumber: number | null = null;
    let chain: 'ok' | 'unreachable' = 'ok';
    try {
      blockNumber = Number(await ctx.client.getBlockNumber());
    } catch {
      chain = 'unreachable';
    }
    return c.json(
      { status: chain === 'ok' ? 'ok' : 'degraded', version: ctx.version, chainId: ctx.deployment.chainId, blockNumber, chain, uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000) },
      chain === 'ok' ? 200 : 503,
    );
  });

  app.get('/v1/contracts', (c) => c.json(ctx.deployment));

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}`, field: null } }, 404));
  app.onError((err, c) => {
    if (err instanceof MachinaError) return c.json({ error: { code: err.code, message: err.message, field: err.field ?? null } }, 400);
    return c.json({ error: { code: 'INTERNAL', message: formatError(err), field: null } }, 500);
  });
  return app;
}
