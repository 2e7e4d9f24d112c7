// Requests to a node's HTTP API from outside the node (the CLI, `machina mcp`): JSON in and out, the
// node's own {error: {code, message, field}} passed on as a MachinaError, and an unreachable node or a
// body that is not JSON named with the setting that points at the node.
import { MachinaError } from '../errors/index.ts';

export type NodeQueryValue = string | number | bigint | boolean | undefined;

export type NodeRequestOptions = {
  /** Sent as JSON. */
  body?: unknown;
  /** Search parameters; `undefined` values are left out. */
  query?: Record<string, NodeQueryValue> | undefined;
  /** A 404 reads as `undefined` instead of throwing the node's NOT_FOUND. */
  notFound?: 'undefined' | undefined;
};

export type NodeRequest = <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: NodeRequestOptions) => Promise<T | undefined>;

export type CreateNodeRequestParameters = {
  /** The node's base URL, e.g. http://127.0.0.1:8787 (trailing slashes are dropped). */
  baseUrl: string;
  /** Per-request timeout. */
  timeoutMs: number;
  fetch?: typeof globalThis.fetch | undefined;
  /** How the user points at the node, for the unreachable message (default MACHINA_NODE_URL). */
  urlSetting?: string | undefined;
};

/**
 * A JSON request function bound to one node.
 * @example
 * const { request } = createNodeRequest({ baseUrl: 'http://127.0.0.1:8787', timeoutMs: 10_000 })
 * const agent = await request<AgentRecord>('GET', '/v1/agents/3', { notFound: 'undefined' })
 */
export function createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch = globalThis.fetch, urlSetting = 'MACHINA_NODE_URL' }: CreateNodeRequestParameters): { baseUrl: string; request: NodeRequest } {
  const base = baseUrl.replace(/\/+$/, '');

  async function request<T>(method: string, path: string, { body, query, notFound }: NodeRequestOptions = {}): Promise<T | undefined> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    let res: Response;
    try {
      res = await doFetch(`${base}${path}${params.size ? `?${params}` : ''}`, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new MachinaError(timedOut ? `the node at ${base} did not answer within ${timeoutMs} ms` : `cannot reach the node at ${base} (is \`machina up\` running, or is ${urlSetting} right?)`, {
        code: 'NODE_UNREACHABLE',
        field: 'MACHINA_NODE_URL',
        cause: err,
      });
    }
    if (res.status === 404 && notFound === 'undefined') {
      await res.body?.cancel();
      return undefined;
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MachinaError(`the node answered ${res.status} with a body that is not JSON (${method} ${path})`, { code: 'NODE_BAD_ANSWER', field: 'MACHINA_NODE_URL' });
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
      throw new MachinaError(typeof e?.message === 'string' ? e.message : `the node answered ${res.status} (${method} ${path})`, {
        code: typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
        field: typeof e?.field === 'string' ? e.field : undefined,
      });
    }
    return json as T;
  }

  return { baseUrl: base, request };
}

/**
 * Retries a node write until the node's indexer has seen the chain event it depends on: the node answers
 * NOT_FOUND until then. A route the node lacks ("no route …") and any other error are final.
 * @example
 * await retryWhileNotIndexed(() => request('PUT', `/v1/data/listings/${id}/records`, { body }), 20_000)
 */
export async function retryWhileNotIndexed<T>(fn: () => Promise<T>, timeoutMs = 15_000, pollMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof MachinaError && err.code === 'NOT_FOUND') || /^no route /.test(err.message) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
