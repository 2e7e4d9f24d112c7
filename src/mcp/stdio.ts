// The MCP server over stdio, for clients that spawn it (`machina mcp`): stdout carries MCP JSON-RPC
// and nothing else, so anything that would print to it is sent to stderr instead.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type CreateMcpServerParameters } from './server.ts';

/**
 * Serves MCP on this process's stdin/stdout until the client closes stdin; resolves then.
 * @example
 * await serveMcpStdio({ queries, writer, version: '0.1.0' })
 */
export async function serveMcpStdio(deps: CreateMcpServerParameters, { stdin = process.stdin, stdout = process.stdout } = {}): Promise<void> {
  // A stray console.log from any library would corrupt the JSON-RPC stream.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  const server = createMcpServer(deps);
  const transport = new StdioServerTransport(stdin, stdout);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  stdin.once('end', () => void server.close());
  stdin.once('close', () => void server.close());
  await server.connect(transport);
  await closed;
}
