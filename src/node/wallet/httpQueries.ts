// WalletQueries over a node's HTTP API (/v1/wallets), for programs outside the node (`machina mcp`).
import type { Address } from 'viem';
import { createNodeRequest, type NodeQueryValue } from '../../http/nodeRequest.ts';
import type { ActivityRecord, PendingRecord, WalletQueries, WalletRecord, WalletSummary } from './types.ts';
import type { Page } from '../service/types.ts';

/**
 * Reads agent wallets through a node's HTTP API; an unknown account reads as `undefined`.
 * @example
 * const wallets = createHttpWalletQueries({ baseUrl: 'http://127.0.0.1:8787' })
 * const w = await wallets.getWallet('0xAccount…')
 */
export function createHttpWalletQueries({ baseUrl, timeoutMs = 10_000, fetch: doFetch = globalThis.fetch }: { baseUrl: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }): WalletQueries {
  const { request } = createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch });
  const get = <T>(path: string, query: Record<string, NodeQueryValue> = {}, notFoundIsUndefined = false) =>
    request<T>('GET', path, { query, notFound: notFoundIsUndefined ? 'undefined' : undefined });
  return {
    listWallets: async (p) => (await get<Page<WalletSummary>>('/v1/wallets', { offset: p.offset, limit: p.limit, owner: p.owner, agentId: p.agentId }))!,
    getWallet: (address: Address) => get<WalletRecord>(`/v1/wallets/${address}`, {}, true),
    listPending: async (address, p) => (await get<Page<PendingRecord>>(`/v1/wallets/${address}/pending`, { offset: p.offset, limit: p.limit, status: p.status }))!,
    listActivity: async (address, p) => (await get<Page<ActivityRecord>>(`/v1/wallets/${address}/activity`, { offset: p.offset, limit: p.limit, kind: p.kind }))!,
  };
}
