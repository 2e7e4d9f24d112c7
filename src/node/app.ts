// The node's HTTP surface: the /v1 API (each route declared with its zod schemas, which also make
// the OpenAPI document), registration files and A2A cards, live events, MCP and the dashboard.
// Every answer that is not a success has one shape, {"error":{code,message,field}}.
import { OpenAPIHono } from '@hono/zod-openapi';
import { redact } from '../errors/index.ts';
import type { ApiContext, NodeAppDeps } from './api/context.ts';
import { createRecordCache } from './api/cache.ts';
import { registerDashboard } from './api/dashboard.ts';
import { ApiError, errorResponse, toErrorResponse, validationError } from './api/errors.ts';
import { registerPublic } from './api/public.ts';
import { registerReads } from './api/reads.ts';
import { registerStream } from './api/stream.ts';
import { registerWrites } from './api/writes.ts';
import { registerWalletRoutes } from './wallet/routes.ts';
import { registerPay } from './pay/routes.ts';
import { registerProvenance } from './provenance/routes.ts';
import { registerCompute } from './compute/routes.ts';
import { registerData } from './data/routes.ts';
import { registerSim } from './sim/routes.ts';
import type { AgentRecord } from './service/types.ts';

export type { NodeAppDeps } from './api/context.ts';
export type { HostedRegistrations } from './api/hosting.ts';
export { nodeHosting } from './api/hosting.ts';

const DISCARD_BYTES = 1024 * 1024;
const DISCARD_MS = 2_000;

/** Reads and drops up to 1 MiB for at most 2 s; true when the body ended within that. */
async function discardBody(body: ReadableStream<Uint8Array>): Promise<boolean> {
  const reader = body.getReader();
  let seen = 0;
  const deadline = Date.now() + DISCARD_MS;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), left);
        }),
      ]);
      clearTimeout(timer);
      if (!chunk) break;
      if (chunk.done) return true;
      seen += chunk.value.byteLength;
      if (seen > DISCARD_BYTES) break;
    }
  } catch {
    return false;
  }
  void reader.cancel().catch(() => {});
  return false;
}

export type NodeApp = OpenAPIHono & {
  /** Ends every open event stream (server shutdown). */
  shutdown: () => void;
  /** Number of open event streams. */
  readonly openStreams: number;
};

/**
 * Builds the node's HTTP app over its parts (chain client, index queries, event feed, optional
 * signer, hosted registration files, MCP handler, dashboard files).
 * @example
 * const app = createNodeApp({ client, deployment, version: '0.1.0', queries: store.queries, feed: store.feed, hosted: store, publicUrl: 'http://127.0.0.1:8787' })
 * const res = await app.request('/v1/agents?limit=5')
 */
export function createNodeApp(deps: NodeAppDeps): NodeApp {
  const log = (line: string) => (deps.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(redact(line));
  const cacheMs = deps.agentCacheMs ?? 1_000;
  const agentCache = cacheMs > 0 ? createRecordCache<bigint, AgentRecord>({ feed: deps.feed, ttlMs: cacheMs }) : undefined;
  const getAgent = agentCache ? (id: bigint) => agentCache.get(id, () => deps.queries.getAgent(id)) : (id: bigint) => deps.queries.getAgent(id);
  const ctx: ApiContext = { ...deps, log, startedAt: Date.now(), getAgent };
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });

  // DNS rebinding: a web page can make a browser send requests to this node under the page's own
  // domain name. Reads are public anyway; anything else (writes, MCP) must come under the node's
  // public host, `localhost`, or an IP address (which no page can rebind), so a rebound page
  // cannot make the node's signer act.
  const publicHost = new URL(deps.publicUrl).host.toLowerCase();
  const trustedHost = (host: string) =>
    host === publicHost || /^(localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])(:\d{1,5})?$/.test(host);
  app.use('*', async (c, next) => {
    const host = c.req.header('host')?.toLowerCase();
    if (host !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && !trustedHost(host)) {
      return errorResponse(403, 'FOREIGN_HOST', `this node accepts ${c.req.method} requests only under its own host names, not "${host.slice(0, 100)}"`, 'host');
    }
    // Headers are set before the handler runs: touching a finished response's headers (as
    // hono/cors does) makes the server adapter rebuild it as a full Response on every request.
    c.header('x-content-type-options', 'nosniff');
    // Reads are public (explorers and dashboards elsewhere may fetch them); writes are not offered
    // to other origins, and needing application/json keeps browsers from sending them unasked.
    // /mcp is left to the MCP handler.
    if (c.req.path !== '/mcp') {
      c.header('access-control-allow-origin', '*');
      if (c.req.method === 'OPTIONS') {
        const asked = c.req.header('access-control-request-headers');
        return c.body(null, 204, {
          'access-control-allow-methods': 'GET, HEAD',
          'access-control-max-age': '600',
          ...(asked && /^[A-Za-z0-9, _-]{1,1000}$/.test(asked) ? { 'access-control-allow-headers': asked } : {}),
        });
      }
    }
    await next();
    // A body nobody read (a 404, 405, 415 ... answered before it): read and drop it, so the
    // connection can carry the next request; past a limit, close the connection instead.
    // (GET and HEAD are left alone: Node discards their bodies itself, and touching c.req.raw
    // would build a full Request for every read.)
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
    const raw = c.req.raw;
    if (raw.body && !raw.bodyUsed && !(await discardBody(raw.body))) c.header('connection', 'close');
  });
  // First: a route priced by settings must meet the x402 gateway before its own handler.
  registerPay(app, ctx);
  registerProvenance(app, ctx);
  registerCompute(app, ctx);
  registerData(app, ctx);
  registerSim(app, ctx);
  registerReads(app, ctx);
  const streams = registerStream(app, ctx);
  registerWrites(app, ctx);
  registerWalletRoutes(app, ctx);
  registerPublic(app, ctx);

  app.all('/mcp', async (c) => {
    if (!deps.mcp) throw new ApiError(404, 'NOT_FOUND', 'MCP is not enabled on this node', 'path');
    return deps.mcp(c.req.raw);
  });

  let openapi: unknown;
  app.get('/v1/openapi.json', (c) => {
    openapi ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Machina node API',
        version: deps.version,
        description: 'ERC-8004 agents, feedback, validations and trust scores, indexed from chain. Errors: {"error":{"code","message","field"}}; big integers as decimal strings.',
      },
      servers: [{ url: deps.publicUrl.replace(/\/+$/, '') }],
    });
    return c.json(openapi as object, 200);
  });

  registerDashboard(app, deps.webRoot);

  // 404 for unknown paths, 405 (with Allow) for a known path asked with another method.
  let known: Array<{ re: RegExp; method: string }> | undefined;
  app.notFound((c) => {
    known ??= app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => ({ method: r.method, re: new RegExp(`^${r.path.replace(/[.]/g, '\\.').replace(/:[A-Za-z]+/g, '[^/]+')}$`) }));
    const allowed = [...new Set(known.filter((k) => k.re.test(c.req.path)).map((k) => k.method))];
    if (allowed.length > 0) {
      if (allowed.includes('GET')) allowed.push('HEAD');
      return errorResponse(405, 'METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allowed.join(', ')})`, 'method', { allow: allowed.join(', ') });
    }
    return errorResponse(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path.slice(0, 200)}`, 'path');
  });
  app.onError((err, c) => toErrorResponse(err, c, log));

  return Object.defineProperties(app, {
    shutdown: {
      value: () => {
        streams.close();
        agentCache?.close();
      },
    },
    openStreams: { get: () => streams.size },
  }) as NodeApp;
}
