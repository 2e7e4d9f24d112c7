// Serves the node app over HTTP on one host and port, and closes it cleanly: open event streams
// and keep-alive connections end too, so a stuck client cannot hold shutdown.
import { getRequestListener } from '@hono/node-server';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MachinaError, formatError } from '../errors/index.ts';
import { errorBody } from './api/errors.ts';
import { createNodeApp, type NodeApp, type NodeAppDeps } from './app.ts';

export type RunningNode = { url: string; port: number; app: NodeApp; close: () => Promise<void> };

/** A raw HTTP/1.1 error answer with the API's error shape, for requests that never reach the app. */
function rawError(status: number, reason: string, code: string, message: string, head = false): string {
  const body = JSON.stringify(errorBody(code, message, null));
  // An answer to HEAD carries no body, or the client would read it as the start of the next answer.
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`;
}

/**
 * Starts the node service; port 0 picks a free port.
 * @example
 * const node = await startNode({ host: '127.0.0.1', port: 8787, deps })
 * await node.close()
 */
export type StartNodeParameters = {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The app's parts, or a function building them from the URL the server got: with port 0 the
   * public URL (which agentURIs and cards point at) is known only once listening.
   */
  deps: NodeAppDeps | ((url: string) => NodeAppDeps | Promise<NodeAppDeps>);
};

/**
 * Starts the node service.
 * @example
 * const node = await startNode({ host: '127.0.0.1', port: 0, deps: (url) => ({ ...parts, publicUrl: url }) })
 * await node.close()
 */
export async function startNode({ host, port, deps }: StartNodeParameters): Promise<RunningNode> {
  let listener: RequestListener | undefined;
  const server: Server = createServer({ requestTimeout: 60_000, headersTimeout: 30_000 }, (req, res) => {
    if (listener) return void listener(req, res);
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(JSON.stringify(errorBody('STARTING', 'the node is starting', null)));
  });
  // Requests Node's HTTP parser refuses (malformed request line, bad header bytes, headers too
  // large) get the same JSON error shape instead of a bare "400 Bad Request".
  // Every socket, including those Node's HTTP layer no longer tracks (refused by the parser,
  // upgrade or CONNECT attempts): shutdown cuts them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Connections already answered and closing: what the client still sends is not a new request.
  const answered = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET' || answered.has(socket)) return socket.destroy();
    const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    socket.end(
      tooLarge
        ? rawError(431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'request headers too large', head)
        : rawError(400, 'Bad Request', 'BAD_REQUEST', 'malformed HTTP request', head),
    );
  });
  // An Expect header other than 100-continue: Node would answer a bare 417.
  server.on('checkExpectation', (req, res) => {
    const body = JSON.stringify(errorBody('EXPECTATION_FAILED', 'only "Expect: 100-continue" is supported', 'expect'));
    answered.add(req.socket);
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(req.method === 'HEAD' ? undefined : body);
  });
  // No WebSocket or other upgrade is served: say so instead of dropping the connection.
  server.on('upgrade', (_req, socket: Socket) => {
    socket.end(rawError(400, 'Bad Request', 'UPGRADE_NOT_SUPPORTED', 'protocol upgrades are not supported'));
  });
  // Nor is the node a proxy: CONNECT would otherwise just drop the connection.
  server.on('connect', (_req, socket: Socket) => {
    socket.end(rawError(405, 'Method Not Allowed', 'METHOD_NOT_ALLOWED', 'CONNECT is not supported'));
  });

  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? `port ${port} is already in use (set MACHINA_NODE_PORT or --port)` : err.message;
      reject(new MachinaError(`node: ${reason}`, { code: 'NODE_FAILED', field: 'MACHINA_NODE_PORT' }));
    });
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${info.port}`;
  let app: NodeApp;
  try {
    app = createNodeApp(typeof deps === 'function' ? await deps(url) : deps);
  } catch (err) {
    await new Promise<void>((res) => server.close(() => res()));
    throw err;
  }
  listener = getRequestListener(app.fetch, {
    hostname: host,
    // Requests the adapter cannot even turn into a Request (bad Host, backslashes in the path ...).
    errorHandler: (err) => {
      const bad = (err as Error)?.name === 'RequestError';
      const body = errorBody(bad ? 'BAD_REQUEST' : 'INTERNAL', bad ? formatError(err) : 'internal error', null);
      return new Response(JSON.stringify(body), { status: bad ? 400 : 500, headers: { 'content-type': 'application/json; charset=utf-8' } });
    },
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port: info.port,
    app,
    close: () =>
      (closing ??= new Promise<void>((res) => {
        app.shutdown();
        server.close(() => res());
        server.closeIdleConnections();
        // Streams end on their own once shut down; whatever still holds a socket after a grace
        // period (a client that stopped reading, a slow upload) is cut.
        setTimeout(() => {
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        }, 500).unref();
      })),
  };
}
