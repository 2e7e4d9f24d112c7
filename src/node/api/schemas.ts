// Output schemas of the API: the records of src/node/service/types.ts as zod, so one declaration
// types the handlers, documents the answers (OpenAPI) and lets tests check real answers against it.
import { z } from '@hono/zod-openapi';
import { registrationFileSchema } from '../../identity/registrationFile.ts';
import type { AgentRecord, EventRecord, FeedbackRecord, NodeStats, TrustRecord, ValidationRecord } from '../service/types.ts';

export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/).openapi({ example: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' });
export const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/).openapi({ example: `0x${'ab'.repeat(32)}` });
export const txHashSchema = bytes32Schema;
export const decimalSchema = z.string().regex(/^\d+$/).openapi({ description: 'uint256 as a decimal string', example: '7' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'INVALID_ARGUMENT' }),
      message: z.string().openapi({ example: 'limit: must be an integer 1-100' }),
      field: z.string().nullable().openapi({ example: 'limit' }),
    }),
  })
  .openapi('Error');

export const blockRefSchema = z.object({ blockNumber: z.number().int(), txHash: txHashSchema, timestamp: z.number().int() }).openapi('BlockRef');

export const trustRecordSchema = z
  .object({
    score: z.number().openapi({ description: '0-100, shrunk towards 50 when little backs it' }),
    confidence: z.number(),
    clients: z.number().int(),
    verifiedClients: z.number().int(),
    unbackedClients: z.number().int(),
    feedbackCount: z.number().int(),
    revokedCount: z.number().int(),
  })
  .openapi('TrustRecord');

export const serviceSchema = z.object({ name: z.string(), endpoint: z.string(), version: z.string().optional() }).openapi('Service');

// Rebuilt from the identity schema's shape: a schema made before @hono/zod-openapi extended zod
// (module load order decides) has no .openapi() of its own.
export const registrationSchema = z.looseObject({ ...registrationFileSchema.shape }).openapi('RegistrationFile', { description: 'ERC-8004 agent registration file' });

export const agentRecordSchema = z
  .object({
    agentId: decimalSchema,
    owner: addressSchema,
    agentURI: z.string(),
    agentWallet: addressSchema.nullable(),
    name: z.string().nullable(),
    description: z.string().nullable(),
    image: z.string().nullable(),
    services: z.array(serviceSchema),
    x402Support: z.boolean(),
    active: z.boolean(),
    registration: z.union([registrationSchema, z.null()]),
    registrationError: z.string().nullable(),
    registered: blockRefSchema,
    updated: blockRefSchema,
    feedbackCount: z.number().int(),
    verifiedFeedbackCount: z.number().int(),
    validationCount: z.number().int(),
    trust: trustRecordSchema,
  })
  .openapi('Agent');

export const feedbackRecordSchema = z
  .object({
    agentId: decimalSchema,
    client: addressSchema,
    feedbackIndex: z.number().int(),
    value: z.string().openapi({ example: '87.5' }),
    valueDecimals: z.number().int(),
    tag1: z.string(),
    tag2: z.string(),
    endpoint: z.string(),
    feedbackURI: z.string(),
    feedbackHash: bytes32Schema,
    revoked: z.boolean(),
    receipt: z.object({ source: addressSchema, receiptId: bytes32Schema }).nullable(),
    responseCount: z.number().int(),
    given: blockRefSchema,
  })
  .openapi('Feedback');

export const validationRecordSchema = z
  .object({
    requestHash: bytes32Schema,
    agentId: decimalSchema,
    validator: addressSchema,
    requestURI: z.string(),
    response: z.number().int().nullable(),
    responseURI: z.string().nullable(),
    responseHash: bytes32Schema.nullable(),
    tag: z.string().nullable(),
    requested: blockRefSchema,
    responded: blockRefSchema.nullable(),
  })
  .openapi('Validation');

export const eventRecordSchema = z
  .object({
    id: z.number().int(),
    chainId: z.number().int(),
    blockNumber: z.number().int(),
    logIndex: z.number().int(),
    txHash: txHashSchema,
    timestamp: z.number().int(),
    contract: z.string().openapi({ example: 'IdentityRegistry' }),
    event: z.string().openapi({ example: 'Registered' }),
    args: z.record(z.string(), z.unknown()),
    agentId: decimalSchema.nullable(),
  })
  .openapi('Event');

export const nodeStatsSchema = z
  .object({
    chainId: z.number().int(),
    agents: z.number().int(),
    feedback: z.number().int(),
    validations: z.number().int(),
    events: z.number().int(),
    indexedBlock: z.number().int(),
    headBlock: z.number().int(),
  })
  .openapi('NodeStats');

/**
 * The Page<T> of types.ts around an item schema, named for the OpenAPI document.
 * @example
 * pageSchema(agentRecordSchema, 'AgentPage')
 */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() }).openapi(name);
}

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    chainId: z.number().int(),
    blockNumber: z.number().int().nullable(),
    indexedBlock: z.number().int().nullable(),
    uptimeSeconds: z.number().int(),
  })
  .openapi('Health');

export const contractsSchema = z
  .object({ chainId: z.number().int(), contracts: z.record(z.string(), z.object({ address: addressSchema, blockNumber: z.number().int() })) })
  .openapi('Contracts');

export const agentTrustSchema = trustRecordSchema.extend({ agentId: decimalSchema }).openapi('AgentTrust');

// The A2A agent card (A2A protocol 0.3: the fields its SDKs require, plus what the node can say).
const agentSkillSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  examples: z.array(z.string()).optional(),
  inputModes: z.array(z.string()).optional(),
  outputModes: z.array(z.string()).optional(),
});
export const agentCardSchema = z
  .object({
    protocolVersion: z.string(),
    name: z.string(),
    description: z.string(),
    url: z.string(),
    preferredTransport: z.string(),
    version: z.string(),
    iconUrl: z.string().optional(),
    documentationUrl: z.string().optional(),
    provider: z.object({ organization: z.string(), url: z.string() }).optional(),
    capabilities: z.object({ streaming: z.boolean(), pushNotifications: z.boolean(), stateTransitionHistory: z.boolean() }),
    defaultInputModes: z.array(z.string()),
    defaultOutputModes: z.array(z.string()),
    skills: z.array(agentSkillSchema),
  })
  .openapi('AgentCard');
export type AgentCard = z.infer<typeof agentCardSchema>;

// Compile-time proof that the schemas describe exactly the records of types.ts: every record is
// accepted by its schema's type, and the two have the same keys at every level checked here.
type Keys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : { missing: Exclude<keyof A, keyof B>; extra: Exclude<keyof B, keyof A> };
type Fits<A, B> = [A] extends [B] ? true : false;
type Check<T extends true> = T;
export type SchemaChecks = [
  Check<Fits<AgentRecord, z.infer<typeof agentRecordSchema>>>,
  Check<Keys<AgentRecord, z.infer<typeof agentRecordSchema>>>,
  Check<Keys<AgentRecord['registered'], z.infer<typeof blockRefSchema>>>,
  Check<Fits<TrustRecord, z.infer<typeof trustRecordSchema>>>,
  Check<Keys<TrustRecord, z.infer<typeof trustRecordSchema>>>,
  Check<Fits<FeedbackRecord, z.infer<typeof feedbackRecordSchema>>>,
  Check<Keys<FeedbackRecord, z.infer<typeof feedbackRecordSchema>>>,
  Check<Fits<ValidationRecord, z.infer<typeof validationRecordSchema>>>,
  Check<Keys<ValidationRecord, z.infer<typeof validationRecordSchema>>>,
  Check<Fits<EventRecord, z.infer<typeof eventRecordSchema>>>,
  Check<Keys<EventRecord, z.infer<typeof eventRecordSchema>>>,
  Check<Fits<NodeStats, z.infer<typeof nodeStatsSchema>>>,
  Check<Keys<NodeStats, z.infer<typeof nodeStatsSchema>>>,
];
