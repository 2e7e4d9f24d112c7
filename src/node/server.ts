// Serves the node app over HTTP on one host and port, and closes it cleanly.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { MachinaError } from '../errors/index.ts';
import { createNodeApp, type NodeContext } from './app.ts';

export type RunningNode = { url: string; port: number; close: () => Promise<void> };

/**
 * Starts the node service; port 0 picks a free port.
 * @example
 * const node = await startNode({ host: '127.0.0.1', port: 8787, context })
 */
export async function startNode({ host, port, context }: { host: string; port: number; context: NodeContext }): Promise<RunningNode> {
  const app = createNodeApp(context);
  return await new Promise<RunningNode>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((res) => {
          server.close(() => res());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
      });
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? `port ${port} is already in use (set MACHINA_NODE_PORT or --port)` : err.message;
      reject(new MachinaError(`node: ${reason}`, { code: 'NODE_FAILED', field: 'MACHINA_NODE_PORT' }));
    });
  });
}
