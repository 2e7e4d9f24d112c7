// The node's HTTP API as the dashboard reads it: typed fetchers over the /v1 routes, and the one error
// shape every route answers with on failure. The record types are the node's own (service/types.ts).
import type { AgentRecord, EventRecord, FeedbackRecord, NodeStats, Page, TrustRecord, ValidationRecord } from '../../src/node/service/types.ts';

import type { ActivityRecord, PendingRecord, WalletRecord, WalletSummary } from '../../src/node/wallet/types.ts';

export type { AgentRecord, EventRecord, FeedbackRecord, NodeStats, Page, TrustRecord, ValidationRecord };
export type { ActivityRecord, PendingRecord, WalletRecord, WalletSummary };

export type Health = {
  status: 'ok' | 'degraded';
  version: string;
  chainId: number;
  blockNumber: number | null;
  indexedBlock: number | null;
  uptimeSeconds: number;
};

export type Contracts = { chainId: number; contracts: Record<string, { address: string; blockNumber: number }> };

export type EventFilter = { contract?: string; event?: string; agentId?: string };

/** A 4xx/5xx answer from the node: `{"error": {code, message, field}}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** Query string from the defined, non-empty values only. */
function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function getJson<T>(path: string, signal?: AbortSignal, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { signal, ...init, headers: { accept: 'application/json', ...init?.headers } });
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string | null } } | null;
  if (!res.ok) {
    const e = body?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.field ?? null);
  }
  return body as T;
}

export const api = {
  health: (signal?: AbortSignal) => getJson<Health>('/health', signal),
  contracts: (signal?: AbortSignal) => getJson<Contracts>('/v1/contracts', signal),
  stats: (signal?: AbortSignal) => getJson<NodeStats>('/v1/stats', signal),
  agents: (p: { q?: string; offset?: number; limit?: number; sort?: string; order?: string }, signal?: AbortSignal) =>
    getJson<Page<AgentRecord>>(`/v1/agents${query(p)}`, signal),
  agent: (agentId: string, signal?: AbortSignal) => getJson<AgentRecord>(`/v1/agents/${encodeURIComponent(agentId)}`, signal),
  feedback: (agentId: string, p: { offset?: number; limit?: number; includeRevoked?: boolean }, signal?: AbortSignal) =>
    getJson<Page<FeedbackRecord>>(`/v1/agents/${encodeURIComponent(agentId)}/feedback${query(p)}`, signal),
  validations: (agentId: string, p: { offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<ValidationRecord>>(`/v1/agents/${encodeURIComponent(agentId)}/validations${query(p)}`, signal),
  events: (p: EventFilter & { limit?: number; beforeId?: number; afterId?: number }, signal?: AbortSignal) =>
    getJson<{ items: EventRecord[] }>(`/v1/events${query(p)}`, signal),
};

/** An x402 payment the node took, with its signed receipt (GET /v1/payments). */
export type PaymentRecord = {
  paymentId: string;
  payer: string;
  payTo: string;
  amount: string;
  asset: string;
  network: string;
  status: 'pending' | 'settled' | 'failed' | 'expired';
  txHash: string | null;
  receiptId: string | null;
  batchId: string | null;
  signature: string;
  signer: string;
  resource: string;
};

/** Agent wallets and payments (/v1/wallets, /v1/payments). */
export const walletApi = {
  wallets: (p: { owner?: string; agentId?: string; offset?: number; limit?: number }, signal?: AbortSignal) => getJson<Page<WalletSummary>>(`/v1/wallets${query(p)}`, signal),
  wallet: (address: string, signal?: AbortSignal) => getJson<WalletRecord>(`/v1/wallets/${encodeURIComponent(address)}`, signal),
  pending: (address: string, p: { status?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<PendingRecord>>(`/v1/wallets/${encodeURIComponent(address)}/pending${query(p)}`, signal),
  activity: (address: string, p: { kind?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<ActivityRecord>>(`/v1/wallets/${encodeURIComponent(address)}/activity${query(p)}`, signal),
  /** Approves or rejects a queued action through the node's signer (which must own the account). */
  decide: (address: string, pendingId: string, decision: 'approve' | 'reject') =>
    getJson<{ decision: string; txHash: string }>(`/v1/wallets/${encodeURIComponent(address)}/pending/${encodeURIComponent(pendingId)}/${decision}`, undefined, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }),
  payments: (p: { payer?: string; payTo?: string; status?: string; offset?: number; limit?: number }, signal?: AbortSignal) => getJson<Page<PaymentRecord>>(`/v1/payments${query(p)}`, signal),
};

/** Does a live event pass the event log's filter (the same one the API applies)? */
export function matchesFilter(e: EventRecord, f: EventFilter): boolean {
  return (!f.contract || e.contract === f.contract) && (!f.event || e.event === f.event) && (!f.agentId || e.agentId === f.agentId);
}
