// WalletQueries over a node's HTTP API (/v1/wallets), for programs outside the node (`machina mcp`).
import type { Address } from 'viem';
import { MachinaError } from '../../errors/index.ts';
import type { ActivityRecord, PendingRecord, WalletQueries, WalletRecord, WalletSummary } from './types.ts';
import type { Page } from '../service/types.ts';

/**
 * Reads agent wallets through a node's HTTP API; an unknown account reads as `undefined`.
 * @example
 * const wallets = createHttpWalletQueries({ baseUrl: 'http://127.0.0.1:8787' })
 * const w = await wallets.getWallet('0xAccount…')
 */
export function createHttpWalletQueries({ baseUrl, timeoutMs = 10_000, fetch: doFetch = globalThis.fetch }: { baseUrl: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }): WalletQueries {
  const base = baseUrl.replace(/\/+$/, '');
  async function get<T>(path: string, query: Record<string, string | number | bigint | undefined> = {}, notFoundIsUndefined = false): Promise<T | undefined> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    let res: Response;
    try {
      res = await doFetch(`${base}${path}${params.size ? `?${params}` : ''}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new MachinaError(`cannot reach the node at ${base} (is \`machina up\` running, or is MACHINA_NODE_URL right?)`, { code: 'NODE_UNREACHABLE', field: 'MACHINA_NODE_URL', cause: err });
    }
    if (res.status === 404 && notFoundIsUndefined) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string } } | null;
    if (!res.ok) {
      throw new MachinaError(body?.error?.message ?? `the node answered ${res.status} (GET ${path})`, { code: body?.error?.code ?? `HTTP_${res.status}`, field: body?.error?.field });
    }
    return body as T;
  }
  return {
    listWallets: async (p) => (await get<Page<WalletSummary>>('/v1/wallets', { offset: p.offset, limit: p.limit, owner: p.owner, agentId: p.agentId }))!,
    getWallet: (address: Address) => get<WalletRecord>(`/v1/wallets/${address}`, {}, true),
    listPending: async (address, p) => (await get<Page<PendingRecord>>(`/v1/wallets/${address}/pending`, { offset: p.offset, limit: p.limit, status: p.status }))!,
    listActivity: async (address, p) => (await get<Page<ActivityRecord>>(`/v1/wallets/${address}/activity`, { offset: p.offset, limit: p.limit, kind: p.kind }))!,
  };
}
