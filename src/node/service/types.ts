// What the node knows and serves, as plain JSON-ready records: the contract between the indexer's
// database (which fills them), the HTTP API, the MCP tools and the dashboard (which read them).
// Big integers (agentId, values, amounts) travel as decimal strings, addresses checksummed.
import type { Address, Hex } from 'viem';
import type { RegistrationFile } from '../../identity/registrationFile.ts';
import type { TrustScore } from '../../identity/trustScore.ts';

export type BlockRef = { blockNumber: number; txHash: Hex; timestamp: number };

export type AgentRecord = {
  agentId: string;
  owner: Address;
  agentURI: string;
  /** null after a transfer clears it or an owner unsets it. */
  agentWallet: Address | null;
  /** From the registration file, when the node could read it (data: URIs inline, http(s) fetched). */
  name: string | null;
  description: string | null;
  image: string | null;
  services: Array<{ name: string; endpoint: string; version?: string }>;
  x402Support: boolean;
  active: boolean;
  registration: RegistrationFile | null;
  /** Why the registration file could not be read or validated (one line), else null. */
  registrationError: string | null;
  registered: BlockRef;
  updated: BlockRef;
  feedbackCount: number;
  verifiedFeedbackCount: number;
  validationCount: number;
  trust: TrustRecord;
};

/** The trust score as the node stores and serves it (src/identity/trustScore.ts computes it). */
export type TrustRecord = Omit<TrustScore, 'evidenceWeight'>;

export type FeedbackRecord = {
  agentId: string;
  client: Address;
  feedbackIndex: number;
  value: string;
  valueDecimals: number;
  tag1: string;
  tag2: string;
  endpoint: string;
  feedbackURI: string;
  feedbackHash: Hex;
  revoked: boolean;
  receipt: { source: Address; receiptId: Hex } | null;
  responseCount: number;
  given: BlockRef;
};

export type ValidationRecord = {
  requestHash: Hex;
  agentId: string;
  validator: Address;
  requestURI: string;
  /** null until the validator answers; the latest answer otherwise. */
  response: number | null;
  responseURI: string | null;
  responseHash: Hex | null;
  tag: string | null;
  requested: BlockRef;
  responded: BlockRef | null;
};

export type EventRecord = {
  /** Monotonic id in index order; the SSE stream resumes from it (Last-Event-ID). */
  id: number;
  chainId: number;
  blockNumber: number;
  logIndex: number;
  txHash: Hex;
  timestamp: number;
  contract: string;
  event: string;
  /** Decoded event arguments, bigints as decimal strings. */
  args: Record<string, unknown>;
  /** The agent the event concerns, when it concerns one. */
  agentId: string | null;
};

export type Page<T> = { items: T[]; total: number; offset: number; limit: number };

export type ListAgentsParams = {
  offset: number;
  limit: number;
  owner?: Address | undefined;
  /** Case-insensitive substring of name or description. */
  q?: string | undefined;
  active?: boolean | undefined;
  x402?: boolean | undefined;
  sort?: 'agentId' | 'trust' | 'feedback' | 'recent' | undefined;
  order?: 'asc' | 'desc' | undefined;
};

export type NodeStats = {
  chainId: number;
  agents: number;
  feedback: number;
  validations: number;
  events: number;
  indexedBlock: number;
  headBlock: number;
};

/** Read side, served from the index (never from the chain). */
export interface NodeQueries {
  stats(): Promise<NodeStats>;
  listAgents(params: ListAgentsParams): Promise<Page<AgentRecord>>;
  getAgent(agentId: bigint): Promise<AgentRecord | undefined>;
  listFeedback(agentId: bigint, params: { offset: number; limit: number; includeRevoked?: boolean; client?: Address; tag1?: string }): Promise<Page<FeedbackRecord>>;
  listValidations(agentId: bigint, params: { offset: number; limit: number }): Promise<Page<ValidationRecord>>;
  getValidation(requestHash: Hex): Promise<ValidationRecord | undefined>;
  listEvents(params: { limit: number; afterId?: number; beforeId?: number; agentId?: bigint; contract?: string; event?: string }): Promise<EventRecord[]>;
}

/** Write side: present only when the node has its own signer. Keys never leave it. */
export interface NodeWriter {
  readonly address: Address;
  registerAgent(p: { name: string; description: string; image?: string; services?: Array<{ name: string; endpoint: string; version?: string }>; x402Support?: boolean }): Promise<{ agentId: string; txHash: Hex; agentURI: string }>;
  giveFeedback(p: { agentId: bigint; value: string; tag1?: string; tag2?: string; endpoint?: string; feedbackURI?: string; feedbackHash?: Hex }): Promise<{ feedbackIndex: number; txHash: Hex }>;
  requestValidation(p: { agentId: bigint; validator: Address; requestURI: string; requestHash?: Hex }): Promise<{ requestHash: Hex; txHash: Hex }>;
}

/** New indexed events, pushed to live surfaces (SSE, dashboard) as batches commit. */
export interface EventFeed {
  subscribe(listener: (events: EventRecord[]) => void): () => void;
}
