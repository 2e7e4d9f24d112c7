// One handler per identity event, Ponder-style, over the batch's in-memory rows: each reads and
// changes rows in `state` and marks what it changed; the batch writes them back in bulk.
import { getAddress, size, type Address, type Hex } from 'viem';
import type { IndexedEvent } from '../indexer/module.ts';
import { registrationFromUri } from './registration.ts';
import { feedbackKey, newAgentRow, type AgentRow, type FeedbackRow, type MetadataRow, type ValidationRow } from './rows.ts';

export type TrustInput = { client: string; value: string; value_decimals: number; revoked: boolean; verified: boolean };

export type IdentityState = {
  agents: Map<string, AgentRow>;
  /** Feedback rows the batch creates or changes (loaded when they exist), per agent, by feedbackKey. */
  feedback: Map<string, Map<string, FeedbackRow>>;
  /** What the trust score needs of every stored feedback of the agents whose feedback changes. */
  trustInputs: Map<string, Map<string, TrustInput>>;
  validations: Map<string, ValidationRow>;
  metadata: Map<string, MetadataRow>;
  /** Agents whose counters, trust or `updated` changed. */
  dirtyAgents: Set<string>;
  /** Agents that are new or whose identity columns (owner, URI, wallet, registration) changed. */
  rewrittenAgents: Set<string>;
  dirtyFeedback: Set<FeedbackRow>;
  dirtyValidations: Set<string>;
  dirtyMetadata: Set<string>;
  /** Agents whose feedback changed: their trust score is recomputed before the batch commits. */
  trustTouched: Set<string>;
  /** An http(s) agentURI appeared: the resolver has work. */
  resolverWork: boolean;
};

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

type Handler = (e: IndexedEvent, s: IdentityState) => void | Promise<void>;
type Args = Record<string, any>;

function touch(s: IdentityState, agentId: string, e: IndexedEvent): AgentRow | undefined {
  const agent = s.agents.get(agentId);
  if (!agent) return undefined;
  agent.updated_block = e.blockNumber;
  agent.updated_tx = e.txHash;
  agent.updated_at = e.timestamp;
  s.dirtyAgents.add(agentId);
  return agent;
}

function feedbackOf(s: IdentityState, agentId: string): Map<string, FeedbackRow> {
  let m = s.feedback.get(agentId);
  if (!m) s.feedback.set(agentId, (m = new Map()));
  return m;
}

function reputationTouch(s: IdentityState, agentId: string, e: IndexedEvent) {
  touch(s, agentId, e);
  s.trustTouched.add(agentId);
}

async function setUri(s: IdentityState, agent: AgentRow, uri: string) {
  s.rewrittenAgents.add(agent.agent_id);
  agent.agent_uri = uri;
  Object.assign(agent, await registrationFromUri(uri));
  if (agent.registration_uri === null) s.resolverWork = true;
}

export const identityHandlers: Record<string, Handler> = {
  // ERC-721 mint and transfers. A transfer clears the agentWallet, as the registry does (it also
  // emits MetadataSet('agentWallet', '') just before, which leads to the same state).
  'IdentityRegistry:Transfer': (e, s) => {
    const { from, to, tokenId } = e.args as Args;
    const agentId = (tokenId as bigint).toString();
    if (from === ZERO_ADDRESS) {
      if (!s.agents.has(agentId)) s.agents.set(agentId, newAgentRow(agentId, to, e));
      s.dirtyAgents.add(agentId);
      s.rewrittenAgents.add(agentId);
      return;
    }
    const agent = touch(s, agentId, e);
    if (!agent) return;
    s.rewrittenAgents.add(agentId);
    agent.owner = to;
    agent.agent_wallet = null;
  },
  'IdentityRegistry:Registered': async (e, s) => {
    const { agentId, agentURI, owner } = e.args as Args;
    const id = (agentId as bigint).toString();
    let agent = s.agents.get(id);
    if (!agent) s.agents.set(id, (agent = newAgentRow(id, owner, e)));
    agent.owner = owner;
    agent.registered_block = e.blockNumber;
    agent.registered_tx = e.txHash;
    agent.registered_at = e.timestamp;
    touch(s, id, e);
    await setUri(s, agent, agentURI as string);
  },
  'IdentityRegistry:URIUpdated': async (e, s) => {
    const { agentId, newURI } = e.args as Args;
    const agent = touch(s, (agentId as bigint).toString(), e);
    if (agent) await setUri(s, agent, newURI as string);
  },
  'IdentityRegistry:MetadataSet': (e, s) => {
    const { agentId, metadataKey, metadataValue } = e.args as Args;
    const id = (agentId as bigint).toString();
    const agent = touch(s, id, e);
    if (metadataKey === 'agentWallet') {
      // 20 bytes set it (abi.encodePacked(address)); empty clears it.
      s.rewrittenAgents.add(id);
      if (agent) agent.agent_wallet = size(metadataValue as Hex) === 20 ? getAddress(metadataValue as Address) : null;
      return;
    }
    const key = `${id}:${metadataKey as string}`;
    s.metadata.set(key, { agent_id: id, key: metadataKey as string, value: metadataValue as string });
    s.dirtyMetadata.add(key);
  },
  'ReputationRegistry:NewFeedback': (e, s) => {
    const a = e.args as Args;
    const agentId = (a.agentId as bigint).toString();
    const row: FeedbackRow = {
      agent_id: agentId,
      client: a.clientAddress,
      feedback_index: Number(a.feedbackIndex),
      value: (a.value as bigint).toString(),
      value_decimals: Number(a.valueDecimals),
      tag1: a.tag1,
      tag2: a.tag2,
      endpoint: a.endpoint,
      feedback_uri: a.feedbackURI,
      feedback_hash: a.feedbackHash,
      revoked: false,
      receipt_source: null,
      receipt_id: null,
      response_count: 0,
      given_block: e.blockNumber,
      given_log: e.logIndex,
      given_tx: e.txHash,
      given_at: e.timestamp,
    };
    feedbackOf(s, agentId).set(feedbackKey(row.client, row.feedback_index), row);
    s.dirtyFeedback.add(row);
    reputationTouch(s, agentId, e);
  },
  'ReputationRegistry:VerifiedFeedback': (e, s) => {
    const { agentId, clientAddress, feedbackIndex, receiptSource, receiptId } = e.args as Args;
    const id = (agentId as bigint).toString();
    const row = feedbackOf(s, id).get(feedbackKey(clientAddress, feedbackIndex));
    if (!row) return;
    row.receipt_source = receiptSource;
    row.receipt_id = receiptId;
    s.dirtyFeedback.add(row);
    reputationTouch(s, id, e);
  },
  'ReputationRegistry:FeedbackRevoked': (e, s) => {
    const { agentId, clientAddress, feedbackIndex } = e.args as Args;
    const id = (agentId as bigint).toString();
    const row = feedbackOf(s, id).get(feedbackKey(clientAddress, feedbackIndex));
    if (!row) return;
    row.revoked = true;
    s.dirtyFeedback.add(row);
    reputationTouch(s, id, e);
  },
  'ReputationRegistry:ResponseAppended': (e, s) => {
    const { agentId, clientAddress, feedbackIndex } = e.args as Args;
    const id = (agentId as bigint).toString();
    const row = feedbackOf(s, id).get(feedbackKey(clientAddress, feedbackIndex));
    if (!row) return;
    row.response_count += 1;
    s.dirtyFeedback.add(row);
    touch(s, id, e);
  },
  'ValidationRegistry:ValidationRequest': (e, s) => {
    const { validatorAddress, agentId, requestURI, requestHash } = e.args as Args;
    const id = (agentId as bigint).toString();
    const hash = (requestHash as string).toLowerCase();
    const isNew = !s.validations.has(hash);
    s.validations.set(hash, {
      request_hash: hash,
      agent_id: id,
      validator: validatorAddress,
      request_uri: requestURI,
      response: null,
      response_uri: null,
      response_hash: null,
      tag: null,
      requested_block: e.blockNumber,
      requested_log: e.logIndex,
      requested_tx: e.txHash,
      requested_at: e.timestamp,
      responded_block: null,
      responded_tx: null,
      responded_at: null,
    });
    s.dirtyValidations.add(hash);
    const agent = touch(s, id, e);
    if (agent && isNew) agent.validation_count += 1;
  },
  'ValidationRegistry:ValidationResponse': (e, s) => {
    const { agentId, requestHash, response, responseURI, responseHash, tag } = e.args as Args;
    const hash = (requestHash as string).toLowerCase();
    const v = s.validations.get(hash);
    if (!v) return;
    // The latest answer wins (a validator may answer again, e.g. soft then hard finality).
    v.response = Number(response);
    v.response_uri = responseURI;
    v.response_hash = responseHash;
    v.tag = tag;
    v.responded_block = e.blockNumber;
    v.responded_tx = e.txHash;
    v.responded_at = e.timestamp;
    s.dirtyValidations.add(hash);
    touch(s, (agentId as bigint).toString(), e);
  },
};
