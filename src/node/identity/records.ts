// Identity rows as the records the API, MCP tools and dashboard read (service/types.ts). Addresses
// are stored checksummed (viem decodes them so), so reads need no re-hashing.
import type { Address, Hex } from 'viem';
import type { RegistrationFile } from '../../identity/registrationFile.ts';
import type { AgentRecord, FeedbackRecord, ValidationRecord } from '../service/types.ts';
import type { AgentRow, FeedbackRow, ValidationRow } from './rows.ts';

export function agentRecordOf(r: AgentRow): AgentRecord {
  return {
    agentId: r.agent_id,
    owner: r.owner as Address,
    agentURI: r.agent_uri,
    agentWallet: (r.agent_wallet as Address | null),
    name: r.name,
    description: r.description,
    image: r.image,
    services: r.services,
    x402Support: r.x402_support,
    active: r.active,
    registration: r.registration as RegistrationFile | null,
    // An http(s) URI not fetched yet is not an error, just not known.
    registrationError: r.registration_error,
    registered: { blockNumber: Number(r.registered_block), txHash: r.registered_tx as Hex, timestamp: Number(r.registered_at) },
    updated: { blockNumber: Number(r.updated_block), txHash: r.updated_tx as Hex, timestamp: Number(r.updated_at) },
    feedbackCount: r.feedback_count,
    verifiedFeedbackCount: r.verified_feedback_count,
    validationCount: r.validation_count,
    trust: {
      score: r.trust_score,
      confidence: r.trust_confidence,
      clients: r.trust_clients,
      verifiedClients: r.trust_verified_clients,
      unbackedClients: r.trust_unbacked_clients,
      feedbackCount: r.feedback_count,
      revokedCount: r.trust_revoked_count,
    },
  };
}

export function feedbackRecordOf(r: FeedbackRow): FeedbackRecord {
  return {
    agentId: r.agent_id,
    client: r.client as Address,
    feedbackIndex: Number(r.feedback_index),
    value: r.value,
    valueDecimals: r.value_decimals,
    tag1: r.tag1,
    tag2: r.tag2,
    endpoint: r.endpoint,
    feedbackURI: r.feedback_uri,
    feedbackHash: r.feedback_hash as Hex,
    revoked: r.revoked,
    receipt: r.receipt_source ? { source: r.receipt_source as Address, receiptId: r.receipt_id as Hex } : null,
    responseCount: r.response_count,
    given: { blockNumber: Number(r.given_block), txHash: r.given_tx as Hex, timestamp: Number(r.given_at) },
  };
}

export function validationRecordOf(r: ValidationRow): ValidationRecord {
  return {
    requestHash: r.request_hash as Hex,
    agentId: r.agent_id,
    validator: r.validator as Address,
    requestURI: r.request_uri,
    response: r.response,
    responseURI: r.response_uri,
    responseHash: r.response_hash as Hex | null,
    tag: r.tag,
    requested: { blockNumber: Number(r.requested_block), txHash: r.requested_tx as Hex, timestamp: Number(r.requested_at) },
    responded:
      r.responded_block === null ? null : { blockNumber: Number(r.responded_block), txHash: r.responded_tx as Hex, timestamp: Number(r.responded_at) },
  };
}
