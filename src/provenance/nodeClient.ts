// The node's provenance API seen from outside (the CLI, `machina mcp`): submit digests to the
// aggregator, fetch receipts, upload and fetch dataset manifests, list anchors and datasets. Errors
// are the node's own {error: {code, message, field}}, passed on as MachinaErrors.
import type { Hex } from 'viem';
import { InvalidSettingError, MachinaError } from '../errors/index.ts';
import { createNodeRequest } from '../http/nodeRequest.ts';
import type { AnchorReceipt, Manifest, ReceiptSubject } from './types.ts';

export type ProvenanceNode = ReturnType<typeof createProvenanceNode>;

type Query = Record<string, string | number | undefined>;

/**
 * A client of one node's provenance routes.
 * @example
 * const node = createProvenanceNode({ baseUrl: 'http://127.0.0.1:8787' })
 * const [receipt] = await node.submit([digest])
 */
export function createProvenanceNode({ baseUrl, timeoutMs = 30_000, fetch: doFetch = globalThis.fetch }: { baseUrl: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }) {
  const { baseUrl: base, request } = createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch, urlSetting: 'MACHINA_NODE_URL / --node-url' });
  const call = <T>(method: 'GET' | 'POST' | 'PUT', path: string, { body, query, notFound }: { body?: unknown; query?: Query; notFound?: boolean } = {}) =>
    request<T>(method, path, { body, query, notFound: notFound ? 'undefined' : undefined });

  return {
    baseUrl: base,
    /** POST /v1/anchors: the receipts (pending, or final for digests anchored before). */
    async submit(digests: readonly Hex[], subject?: ReceiptSubject): Promise<unknown[]> {
      const r = await call<{ receipts?: unknown }>('POST', '/v1/anchors', { body: { digests, ...(subject ? { subject } : {}) } });
      if (!Array.isArray(r?.receipts)) throw new MachinaError('the node answered POST /v1/anchors without receipts', { code: 'NODE_BAD_ANSWER', field: 'MACHINA_NODE_URL' });
      return r.receipts;
    },
    /** GET /v1/anchors/receipts/{digest}; undefined if the node never saw the digest. */
    receipt: (digest: Hex) => call<unknown>('GET', `/v1/anchors/receipts/${digest}`, { notFound: true }),
    /**
     * Asks for the receipt until it is anchored or `timeoutMs` passes; returns the last one seen.
     * @example
     * const final = await node.waitReceipt(digest, { timeoutMs: 60_000 })
     */
    async waitReceipt(digest: Hex, { timeoutMs = 120_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {}): Promise<AnchorReceipt | undefined> {
      const deadline = Date.now() + timeoutMs;
      let last: AnchorReceipt | undefined;
      for (;;) {
        last = (await call<AnchorReceipt>('GET', `/v1/anchors/receipts/${digest}`, { notFound: true })) ?? last;
        if (last?.status === 'anchored' || Date.now() >= deadline) return last;
        await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
      }
    },
    /** GET /v1/anchors: anchored batches, newest first, and how many digests wait. */
    anchors: (query: { limit?: number; cursor?: string } = {}) => call<{ items: Record<string, unknown>[]; pending?: number; nextCursor?: string }>('GET', '/v1/anchors', { query }),
    /** PUT /v1/datasets/{root}/manifest. */
    putManifest: (root: Hex, manifest: Manifest, location?: string) => call<unknown>('PUT', `/v1/datasets/${root}/manifest`, { body: { manifest, ...(location ? { location } : {}) } }),
    /**
     * GET /v1/datasets/{root}/manifest (the manifest itself) and where its files live, from the
     * dataset's record; undefined if the node has none.
     */
    async manifest(root: Hex): Promise<{ manifest: unknown; location?: string | undefined } | undefined> {
      const r = await call<Record<string, unknown>>('GET', `/v1/datasets/${root}/manifest`, { notFound: true });
      if (!r) return undefined;
      const record = await call<Record<string, unknown>>('GET', `/v1/datasets/${root}`, { notFound: true }).catch(() => undefined);
      return { manifest: r, location: typeof record?.location === 'string' ? record.location : undefined };
    },
    dataset: (root: Hex) => call<Record<string, unknown>>('GET', `/v1/datasets/${root}`, { notFound: true }),
    datasets: (query: { name?: string; limit?: number; cursor?: string } = {}) => call<{ items: Record<string, unknown>[]; nextCursor?: string }>('GET', '/v1/datasets', { query }),
    model: (id: Hex) => call<Record<string, unknown>>('GET', `/v1/models/${id}`, { notFound: true }),
  };
}

/** The node URL a command talks to: the flag, MACHINA_NODE_URL, or MACHINA_HOST:MACHINA_NODE_PORT. */
export function nodeUrlFrom(flag: string | undefined, settings: { host: string; nodePort: number }, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.MACHINA_NODE_URL;
  if (raw !== undefined) {
    try {
      const u = new URL(raw);
      if (u.protocol === 'http:' || u.protocol === 'https:') return raw.replace(/\/+$/, '');
    } catch {
      // fall through to the error
    }
    throw new InvalidSettingError(flag !== undefined ? '--node-url' : 'MACHINA_NODE_URL', `must be an http(s) URL (got "${raw.slice(0, 100)}")`);
  }
  return `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.nodePort}`;
}
