// The MCP server over streamable HTTP, as a web-standard handler the node mounts at /mcp
// (Hono: `app.all('/mcp', (c) => handler(c.req.raw))`). Stateless: each POST gets a fresh server
// and transport, so requests from many clients never share state and nothing needs cleaning up.
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { formatError } from '../errors/index.ts';
import { createMcpServer, type CreateMcpServerParameters } from './server.ts';

export type CreateMcpHttpHandlerParameters = CreateMcpServerParameters & {
  /** Largest JSON-RPC body accepted, in bytes (default 256 KiB); larger bodies get 413. */
  maxBodyBytes?: number;
};

/**
 * A `(Request) => Promise<Response>` serving MCP's streamable HTTP transport in stateless mode:
 * POST carries JSON-RPC and is answered with JSON; GET and DELETE (streams and sessions, which a
 * stateless server does not have) answer 405.
 * @example
 * const mcp = createMcpHttpHandler({ queries, writer, version })
 * app.all('/mcp', (c) => mcp(c.req.raw))
 */
export function createMcpHttpHandler({ maxBodyBytes = 256 * 1024, ...deps }: CreateMcpHttpHandlerParameters): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'POST') return jsonRpcError(405, -32000, `method ${request.method} not allowed: this MCP endpoint is stateless, send JSON-RPC with POST`, { Allow: 'POST' });
    const server = createMcpServer(deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: maxBodyBytes });
    try {
      await server.connect(transport);
      return await transport.handleRequest(request);
    } catch (err) {
      return jsonRpcError(500, -32603, `internal error: ${formatError(err)}`);
    } finally {
      // With JSON responses the answer is complete once handleRequest resolves.
      void server.close().catch(() => {});
    }
  };
}

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}
