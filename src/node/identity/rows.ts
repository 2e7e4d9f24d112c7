// Row shapes of the identity tables, as the batch works on them in memory and writes them back
// (snake_case = column names; numeric columns as decimal strings, bigint columns as numbers).
import { computeTrustScore } from '../../identity/trustScore.ts';
import type { IndexedEvent } from '../indexer/module.ts';

export type AgentRow = {
  agent_id: string;
  owner: string;
  agent_uri: string;
  agent_wallet: string | null;
  name: string | null;
  description: string | null;
  image: string | null;
  services: Array<{ name: string; endpoint: string; version?: string }>;
  x402_support: boolean;
  active: boolean;
  registration: Record<string, unknown> | null;
  registration_error: string | null;
  registration_uri: string | null;
  registration_attempts: number;
  registration_retry_at: number;
  registered_block: number;
  registered_tx: string;
  registered_at: number;
  updated_block: number;
  updated_tx: string;
  updated_at: number;
  feedback_count: number;
  verified_feedback_count: number;
  validation_count: number;
  trust_score: number;
  trust_confidence: number;
  trust_clients: number;
  trust_verified_clients: number;
  trust_unbacked_clients: number;
  trust_revoked_count: number;
};

export type FeedbackRow = {
  agent_id: string;
  client: string;
  feedback_index: number;
  value: string;
  value_decimals: number;
  tag1: string;
  tag2: string;
  endpoint: string;
  feedback_uri: string;
  feedback_hash: string;
  revoked: boolean;
  receipt_source: string | null;
  receipt_id: string | null;
  response_count: number;
  given_block: number;
  given_log: number;
  given_tx: string;
  given_at: number;
};

export type ValidationRow = {
  request_hash: string;
  agent_id: string;
  validator: string;
  request_uri: string;
  response: number | null;
  response_uri: string | null;
  response_hash: string | null;
  tag: string | null;
  requested_block: number;
  requested_log: number;
  requested_tx: string;
  requested_at: number;
  responded_block: number | null;
  responded_tx: string | null;
  responded_at: number | null;
};

export type MetadataRow = { agent_id: string; key: string; value: string };

export const AGENT_COLUMNS = Object.keys(newAgentRow('0', '0x', { blockNumber: 0, txHash: '0x', timestamp: 0 }));
/** What feedback and validations change on an agent. */
export const AGENT_STAT_COLUMNS: Array<keyof AgentRow> = [
  'updated_block', 'updated_tx', 'updated_at', 'feedback_count', 'verified_feedback_count', 'validation_count',
  'trust_score', 'trust_confidence', 'trust_clients', 'trust_verified_clients', 'trust_unbacked_clients', 'trust_revoked_count',
];
export const FEEDBACK_COLUMNS: Array<keyof FeedbackRow> = [
  'agent_id', 'client', 'feedback_index', 'value', 'value_decimals', 'tag1', 'tag2', 'endpoint', 'feedback_uri', 'feedback_hash',
  'revoked', 'receipt_source', 'receipt_id', 'response_count', 'given_block', 'given_log', 'given_tx', 'given_at',
];
export const VALIDATION_COLUMNS: Array<keyof ValidationRow> = [
  'request_hash', 'agent_id', 'validator', 'request_uri', 'response', 'response_uri', 'response_hash', 'tag',
  'requested_block', 'requested_log', 'requested_tx', 'requested_at', 'responded_block', 'responded_tx', 'responded_at',
];
export const METADATA_COLUMNS: Array<keyof MetadataRow> = ['agent_id', 'key', 'value'];

/** A freshly minted agent: no URI, no feedback, the trust score of no evidence. */
export function newAgentRow(agentId: string, owner: string, e: Pick<IndexedEvent, 'blockNumber' | 'txHash' | 'timestamp'>): AgentRow {
  const trust = computeTrustScore([]);
  return {
    agent_id: agentId,
    owner,
    agent_uri: '',
    agent_wallet: null,
    name: null,
    description: null,
    image: null,
    services: [],
    x402_support: false,
    active: false,
    registration: null,
    registration_error: null,
    registration_uri: '',
    registration_attempts: 0,
    registration_retry_at: 0,
    registered_block: e.blockNumber,
    registered_tx: e.txHash,
    registered_at: e.timestamp,
    updated_block: e.blockNumber,
    updated_tx: e.txHash,
    updated_at: e.timestamp,
    feedback_count: 0,
    verified_feedback_count: 0,
    validation_count: 0,
    trust_score: trust.score,
    trust_confidence: trust.confidence,
    trust_clients: trust.clients,
    trust_verified_clients: trust.verifiedClients,
    trust_unbacked_clients: trust.unbackedClients,
    trust_revoked_count: trust.revokedCount,
  };
}

export function feedbackKey(client: string, feedbackIndex: number | bigint): string {
  return `${client.toLowerCase()}:${feedbackIndex}`;
}
