// NodeQueries over a node's HTTP API, for programs that read the index from outside the node
// (`machina mcp`). Same records as in process; an unknown agent or request reads as `undefined`.
import type { Address, Hex } from 'viem';
import { createNodeRequest, type NodeQueryValue } from '../../http/nodeRequest.ts';
import type { AgentRecord, EventRecord, FeedbackRecord, ListAgentsParams, NodeQueries, NodeStats, Page, ValidationRecord } from './types.ts';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:8787';

export type CreateHttpQueriesParameters = {
  /** The node's base URL, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
};

/**
 * Reads a node's index through its HTTP API (`/v1/...`).
 * @example
 * const queries = createHttpQueries({ baseUrl: process.env.MACHINA_NODE_URL ?? 'http://127.0.0.1:8787' })
 * const agent = await queries.getAgent(3n)
 */
export function createHttpQueries({ baseUrl, timeoutMs = 10_000, fetch: doFetch = globalThis.fetch }: CreateHttpQueriesParameters): NodeQueries {
  const { request } = createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch });
  const get = <T>(path: string, query: Record<string, NodeQueryValue> = {}, options: { notFound?: 'undefined' } = {}) => request<T>('GET', path, { query, ...options });
  const must = async <T>(p: Promise<T | undefined>): Promise<T> => (await p)!;

  return {
    stats: () => must(get<NodeStats>('/v1/stats')),
    listAgents: (p: ListAgentsParams) =>
      must(get<Page<AgentRecord>>('/v1/agents', { offset: p.offset, limit: p.limit, owner: p.owner, q: p.q, active: p.active, x402: p.x402, sort: p.sort, order: p.order })),
    getAgent: (agentId: bigint) => get<AgentRecord>(`/v1/agents/${agentId}`, {}, { notFound: 'undefined' }),
    listFeedback: async (agentId: bigint, p: { offset: number; limit: number; includeRevoked?: boolean; client?: Address; tag1?: string }) =>
      (await get<Page<FeedbackRecord>>(
        `/v1/agents/${agentId}/feedback`,
        { offset: p.offset, limit: p.limit, includeRevoked: p.includeRevoked, client: p.client, tag1: p.tag1 },
        { notFound: 'undefined' },
      )) ?? emptyPage(p),
    listValidations: async (agentId: bigint, p: { offset: number; limit: number }) =>
      (await get<Page<ValidationRecord>>(`/v1/agents/${agentId}/validations`, { offset: p.offset, limit: p.limit }, { notFound: 'undefined' })) ?? emptyPage(p),
    getValidation: (requestHash: Hex) => get<ValidationRecord>(`/v1/validations/${requestHash}`, {}, { notFound: 'undefined' }),
    listEvents: async (p: { limit: number; afterId?: number; beforeId?: number; agentId?: bigint; contract?: string; event?: string }) =>
      (await must(get<{ items: EventRecord[] }>('/v1/events', { limit: p.limit, afterId: p.afterId, beforeId: p.beforeId, agentId: p.agentId, contract: p.contract, event: p.event }))).items,
  };
}

// An agent the node does not know has no feedback and no validations, as in the database.
function emptyPage<T>(p: { offset: number; limit: number }): Page<T> {
  return { items: [], total: 0, offset: p.offset, limit: p.limit };
}
