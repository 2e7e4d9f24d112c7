// The shapes of the MCP tools: inputs (validated by the SDK before a tool runs, and published as JSON
// Schema in tools/list so that a model knows what to send) and outputs (the node's records, see
// src/node/service/types.ts). Each input rule carries its reason, so a rejection reads as
// "<reason> at <field>". Outputs accept extra fields: a node that adds one breaks no client.
import { z } from 'zod';

const DECIMAL_ID = /^\d{1,78}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const FEEDBACK_VALUE = /^-?\d{1,39}(\.\d{1,18})?$/;

const agentId = z
  .string()
  .regex(DECIMAL_ID, 'must be a non-negative integer written as a decimal string, e.g. "12"')
  .describe('ERC-8004 agent id, as a decimal string (e.g. "0", "12")');
const address = (what: string) => z.string().regex(ADDRESS, 'must be a 20-byte hex address, 0x + 40 hex digits').describe(what);
const bytes32 = (what: string) => z.string().regex(BYTES32, 'must be 32 bytes of hex, 0x + 64 hex digits').describe(what);
const offset = z.number().int('must be an integer').min(0, 'must be 0 or more').default(0).describe('how many items to skip (default 0)');
const limit = z.number().int('must be an integer').min(1, 'must be 1-100').max(100, 'must be 1-100').default(20).describe('page size, 1-100 (default 20)');
const text = (max: number, what: string) => z.string().max(max, `at most ${max} characters`).describe(what);

/** A non-negative id or cursor as a decimal string (at most 31 digits), described as `what`. */
export const decimal = (what: string) => z.string().regex(/^(0|[1-9]\d{0,30})$/, 'must be a non-negative decimal integer').describe(what);

const service = z.object({
  name: z.string().min(1, 'must not be empty').max(64, 'at most 64 characters').describe('protocol or kind of endpoint, e.g. "MCP", "A2A", "web"'),
  endpoint: z.string().min(1, 'must not be empty').max(2048, 'at most 2048 characters').describe('where the service answers (URL)'),
  version: z.string().max(64, 'at most 64 characters').optional().describe('protocol version, e.g. "2025-06-18"'),
});

export const registerAgentInput = z.object({
  name: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters').describe("the agent's display name"),
  description: text(10_000, 'what the agent does, for people and other agents'),
  image: text(2048, 'URL of an image or logo').optional(),
  services: z.array(service).max(64, 'at most 64 services').optional().describe('endpoints where the agent can be reached'),
  x402Support: z.boolean().optional().describe('true if the agent accepts x402 payments'),
});

export const getAgentInput = z.object({ agentId });

export const listAgentsInput = z.object({
  offset,
  limit,
  q: text(200, 'case-insensitive text to find in the name or description').optional(),
  owner: address('only agents owned by this address').optional(),
  sort: z.enum(['agentId', 'trust', 'feedback', 'recent'], 'must be one of agentId, trust, feedback, recent').optional().describe('sort key (default agentId)'),
  order: z.enum(['asc', 'desc'], 'must be asc or desc').optional().describe('sort order'),
});

export const listFeedbackInput = z.object({
  agentId,
  offset,
  limit,
  includeRevoked: z.boolean().optional().describe('include revoked feedback (default false)'),
  client: address('only feedback given by this address').optional(),
  tag1: text(64, 'only feedback with this first tag').optional(),
});

export const giveFeedbackInput = z.object({
  agentId,
  value: z
    .string()
    .regex(FEEDBACK_VALUE, 'must be a decimal number written as a string, e.g. "87" or "99.5" (at most 18 decimals)')
    .describe('the rating as a decimal string, e.g. "87" or "99.5"; decimals are kept exactly'),
  tag1: text(64, 'first tag, e.g. "quality", "uptime", "successRate"').optional(),
  tag2: text(64, 'second tag').optional(),
  endpoint: text(2048, 'the endpoint the feedback is about').optional(),
  feedbackURI: text(2048, 'URI of an off-chain feedback file').optional(),
  feedbackHash: bytes32('keccak256 of the feedback file').optional(),
});

export const requestValidationInput = z.object({
  agentId,
  validator: address('address of the validator asked to check the work'),
  requestURI: z.string().min(1, 'must not be empty').max(2048, 'at most 2048 characters').describe('URI of the work to validate (inputs, outputs, evidence)'),
  requestHash: bytes32('commitment to the request; default keccak256("{agentId}:{requestURI}")').optional(),
});

export const getValidationInput = z.object({ requestHash: bytes32('the validation request hash') });

const blockRef = z.looseObject({ blockNumber: z.number(), txHash: z.string(), timestamp: z.number() });

export const trustRecord = z.looseObject({
  score: z.number(),
  confidence: z.number(),
  clients: z.number(),
  verifiedClients: z.number(),
  unbackedClients: z.number(),
  feedbackCount: z.number(),
  revokedCount: z.number(),
});

export const agentRecord = z.looseObject({
  agentId: z.string(),
  owner: z.string(),
  agentURI: z.string(),
  agentWallet: z.string().nullable(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  image: z.string().nullable(),
  services: z.array(z.looseObject({ name: z.string(), endpoint: z.string(), version: z.string().optional() })),
  x402Support: z.boolean(),
  active: z.boolean(),
  registration: z.record(z.string(), z.unknown()).nullable(),
  registrationError: z.string().nullable(),
  registered: blockRef,
  updated: blockRef,
  feedbackCount: z.number(),
  verifiedFeedbackCount: z.number(),
  validationCount: z.number(),
  trust: trustRecord,
});

export const feedbackRecord = z.looseObject({
  agentId: z.string(),
  client: z.string(),
  feedbackIndex: z.number(),
  value: z.string(),
  valueDecimals: z.number(),
  tag1: z.string(),
  tag2: z.string(),
  endpoint: z.string(),
  feedbackURI: z.string(),
  feedbackHash: z.string(),
  revoked: z.boolean(),
  receipt: z.looseObject({ source: z.string(), receiptId: z.string() }).nullable(),
  responseCount: z.number(),
  given: blockRef,
});

export const validationRecord = z.looseObject({
  requestHash: z.string(),
  agentId: z.string(),
  validator: z.string(),
  requestURI: z.string(),
  response: z.number().nullable(),
  responseURI: z.string().nullable(),
  responseHash: z.string().nullable(),
  tag: z.string().nullable(),
  requested: blockRef,
  responded: blockRef.nullable(),
});

const page = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item), total: z.number(), offset: z.number(), limit: z.number() });

export const agentPage = page(agentRecord);
export const feedbackPage = page(feedbackRecord);
export const trustOutput = trustRecord.extend({ agentId: z.string() });

export const registerAgentOutput = z.looseObject({ agentId: z.string(), owner: z.string(), txHash: z.string(), agentURI: z.string() });
export const giveFeedbackOutput = z.looseObject({ agentId: z.string(), client: z.string(), feedbackIndex: z.number(), value: z.string(), txHash: z.string() });
export const requestValidationOutput = z.looseObject({ requestHash: z.string(), agentId: z.string(), validator: z.string(), requestURI: z.string(), txHash: z.string() });
