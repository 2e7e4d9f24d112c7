// ComputeQueries' read side over a node's HTTP API (/v1/compute), for programs outside the node (`machina mcp`).
import { createNodeRequest } from '../../http/nodeRequest.ts';
import type { ComputeQueries, ComputeStats, JobDetail, JobRow, ProviderRow, SlashRow } from './queries.ts';

export type ComputeReads = Pick<ComputeQueries, 'listProviders' | 'getProvider' | 'listJobs' | 'getJob' | 'stats'>;

/**
 * Reads the compute market through a node's HTTP API; an unknown job or provider reads as `undefined`.
 * @example
 * const compute = createHttpComputeQueries({ baseUrl: 'http://127.0.0.1:8787' })
 * const job = await compute.getJob(1n)
 */
export function createHttpComputeQueries({ baseUrl, timeoutMs = 10_000, fetch: doFetch = globalThis.fetch }: { baseUrl: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }): ComputeReads {
  const { request } = createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch });
  return {
    listProviders: async () => (await request<{ providers: ProviderRow[] }>('GET', '/v1/compute/providers'))!.providers,
    getProvider: (id) => request<ProviderRow & { jobs: JobRow[]; slashesList: SlashRow[] }>('GET', `/v1/compute/providers/${id}`, { notFound: 'undefined' }),
    listJobs: async (p) =>
      (await request<{ jobs: JobRow[]; next: string | null }>('GET', '/v1/compute/jobs', { query: { status: p.status, poster: p.poster, provider: p.provider, limit: p.limit, cursor: p.cursor } }))!,
    getJob: (id) => request<JobDetail>('GET', `/v1/compute/jobs/${id}`, { notFound: 'undefined' }),
    stats: async () => (await request<ComputeStats>('GET', '/v1/compute/stats'))!,
  };
}
