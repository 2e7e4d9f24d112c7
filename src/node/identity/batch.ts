// Applies a batch of identity events: load the rows the batch touches in a few set queries, run the
// handlers in chain order in memory, recompute the trust score of every agent whose feedback
// changed, and write everything back in bulk, all inside the caller's transaction.
import { sql, type Kysely } from 'kysely';
import { computeTrustScore } from '../../identity/trustScore.ts';
import { jsonList, toJson, updateColumns, upsertRows } from '../db/bulk.ts';
import type { BatchContext, IndexedEvent } from '../indexer/module.ts';
import { identityHandlers, type IdentityState, type TrustInput } from './handlers.ts';
import { AGENT_COLUMNS, AGENT_STAT_COLUMNS, FEEDBACK_COLUMNS, METADATA_COLUMNS, VALIDATION_COLUMNS, feedbackKey, type AgentRow, type FeedbackRow, type ValidationRow } from './rows.ts';

/** The agent an identity event concerns (ERC-721 events name it `tokenId`). */
export function identityAgentIdOf(e: IndexedEvent): bigint | null {
  const a = e.args as { agentId?: unknown; tokenId?: unknown };
  if (typeof a.agentId === 'bigint') return a.agentId;
  if (e.contract === 'IdentityRegistry' && typeof a.tokenId === 'bigint') return a.tokenId;
  return null;
}

/**
 * Runs the identity handlers over `events` (chain order) and writes the result.
 * @example
 * await applyIdentityBatch(tx, events, { chainId: 31337, touched: new Set() })
 */
export async function applyIdentityBatch(tx: Kysely<any>, events: IndexedEvent[], ctx: BatchContext): Promise<void> {
  const state = await loadState(tx, events);
  for (const e of events) {
    const handler = identityHandlers[`${e.contract}:${e.event}`];
    if (handler) await handler(e, state);
  }
  recomputeTrust(state);
  if (state.resolverWork) ctx.touched.add('registration');
  const rewritten = [...state.rewrittenAgents].filter((id) => state.agents.has(id));
  await upsertRows(tx, 'agents', ['agent_id'], AGENT_COLUMNS, rewritten.map((id) => state.agents.get(id)!));
  // Most agents in a batch only gained feedback: a narrow update of their counters is much cheaper.
  const counted = [...state.dirtyAgents].filter((id) => !state.rewrittenAgents.has(id) && state.agents.has(id));
  await updateColumns(tx, 'agents', ['agent_id'], AGENT_STAT_COLUMNS, counted.map((id) => state.agents.get(id)!));
  await upsertRows(tx, 'feedback', ['agent_id', 'client', 'feedback_index'], FEEDBACK_COLUMNS, [...state.dirtyFeedback]);
  await upsertRows(tx, 'validations', ['request_hash'], VALIDATION_COLUMNS, [...state.dirtyValidations].map((h) => state.validations.get(h)!));
  await upsertRows(tx, 'agent_metadata', ['agent_id', 'key'], METADATA_COLUMNS, [...state.dirtyMetadata].map((k) => state.metadata.get(k)!));
}

const REFERS_TO_FEEDBACK = new Set(['VerifiedFeedback', 'FeedbackRevoked', 'ResponseAppended']);
const CHANGES_TRUST = new Set(['NewFeedback', 'VerifiedFeedback', 'FeedbackRevoked']);

/** Reads, in four set queries, every stored row the batch's handlers will look at. */
async function loadState(tx: Kysely<any>, events: IndexedEvent[]): Promise<IdentityState> {
  // Agents whose identity columns may change are read whole; the others (rated, validated) only
  // need their counters: reading registration files back for thousands of agents is the cost.
  const agentIds = new Set<string>();
  const identityIds = new Set<string>();
  const trustAgents = new Set<string>();
  const hashes = new Set<string>();
  const created = new Set<string>();
  const referenced = new Map<string, { agent_id: string; client: string; feedback_index: number }>();
  for (const e of events) {
    const id = identityAgentIdOf(e)?.toString();
    if (id !== undefined) agentIds.add(id);
    if (id !== undefined && e.contract === 'IdentityRegistry') identityIds.add(id);
    const a = e.args as { clientAddress?: string; feedbackIndex?: bigint; requestHash?: string };
    if (e.contract === 'ReputationRegistry' && id !== undefined) {
      if (CHANGES_TRUST.has(e.event)) trustAgents.add(id);
      const key = `${id}:${feedbackKey(a.clientAddress!, a.feedbackIndex!)}`;
      if (e.event === 'NewFeedback') created.add(key);
      else if (REFERS_TO_FEEDBACK.has(e.event) && !created.has(key)) {
        referenced.set(key, { agent_id: id, client: a.clientAddress!, feedback_index: Number(a.feedbackIndex) });
      }
    }
    if (e.contract === 'ValidationRegistry' && typeof a.requestHash === 'string') hashes.add(a.requestHash.toLowerCase());
  }
  const countedIds = [...agentIds].filter((id) => !identityIds.has(id));
  const statColumns = sql.join(['agent_id', ...AGENT_STAT_COLUMNS].map((c) => sql.ref(`a.${c}`)));
  const [agents, counted, feedback, trust, validations] = await Promise.all([
    identityIds.size ? sql<AgentRow>`select a.* from ${jsonList([...identityIds])} k join agents a on a.agent_id = k.value::numeric`.execute(tx) : { rows: [] },
    countedIds.length ? sql<AgentRow>`select ${statColumns} from ${jsonList(countedIds)} k join agents a on a.agent_id = k.value::numeric`.execute(tx) : { rows: [] },
    referenced.size
      ? sql<FeedbackRow>`
          select f.* from jsonb_to_recordset(${toJson([...referenced.values()])}::jsonb) as k(agent_id numeric, client text, feedback_index bigint)
          join feedback f using (agent_id, client, feedback_index)`.execute(tx)
      : { rows: [] },
    trustAgents.size
      ? sql<TrustInput & { agent_id: string; feedback_index: number }>`
          select f.agent_id, f.client, f.feedback_index, f.value, f.value_decimals, f.revoked, f.receipt_source is not null as verified
          from ${jsonList([...trustAgents])} k join feedback f on f.agent_id = k.value::numeric`.execute(tx)
      : { rows: [] },
    hashes.size ? sql<ValidationRow>`select v.* from ${jsonList([...hashes])} k join validations v on v.request_hash = k.value`.execute(tx) : { rows: [] },
  ]);
  const state: IdentityState = {
    agents: new Map([...agents.rows, ...counted.rows].map((a) => [a.agent_id, a])),
    feedback: new Map(),
    trustInputs: new Map([...trustAgents].map((id) => [id, new Map()])),
    validations: new Map(validations.rows.map((v) => [v.request_hash, v])),
    metadata: new Map(),
    dirtyAgents: new Set(),
    rewrittenAgents: new Set(),
    dirtyFeedback: new Set(),
    dirtyValidations: new Set(),
    dirtyMetadata: new Set(),
    trustTouched: new Set(),
    resolverWork: false,
  };
  for (const f of feedback.rows) {
    f.feedback_index = Number(f.feedback_index);
    let m = state.feedback.get(f.agent_id);
    if (!m) state.feedback.set(f.agent_id, (m = new Map()));
    m.set(feedbackKey(f.client, f.feedback_index), f);
  }
  for (const t of trust.rows) state.trustInputs.get(t.agent_id)!.set(feedbackKey(t.client, t.feedback_index), t);
  return state;
}

/** The score the node serves, from the same pure function the CLI uses on chain reads. */
function recomputeTrust(state: IdentityState): void {
  for (const agentId of state.trustTouched) {
    const agent = state.agents.get(agentId);
    if (!agent) continue;
    // Stored feedback, overlaid with what this batch created or changed.
    const inputs = new Map(state.trustInputs.get(agentId));
    for (const [key, f] of state.feedback.get(agentId) ?? []) {
      inputs.set(key, { client: f.client, value: f.value, value_decimals: f.value_decimals, revoked: f.revoked, verified: f.receipt_source !== null });
    }
    const rows = [...inputs.values()];
    const trust = computeTrustScore(rows.map((f) => ({ client: f.client, value: BigInt(f.value), valueDecimals: f.value_decimals, revoked: f.revoked, verified: f.verified })));
    agent.trust_score = trust.score;
    agent.trust_confidence = trust.confidence;
    agent.trust_clients = trust.clients;
    agent.trust_verified_clients = trust.verifiedClients;
    agent.trust_unbacked_clients = trust.unbackedClients;
    agent.trust_revoked_count = trust.revokedCount;
    agent.feedback_count = trust.feedbackCount;
    agent.verified_feedback_count = rows.filter((f) => !f.revoked && f.verified).length;
    state.dirtyAgents.add(agentId);
  }
}
