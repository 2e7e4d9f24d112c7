// The wallet API's input and output schemas (zod, which also documents them in the OpenAPI file).
import { z } from '@hono/zod-openapi';
import { address } from '../api/inputs.ts';
import { addressSchema, blockRefSchema, bytes32Schema, decimalSchema } from '../api/schemas.ts';

const MAX_OFFSET = 1_000_000_000;

function intQuery(min: number, max: number, def: number) {
  const msg = `must be an integer ${min}-${max}`;
  return z
    .string()
    .regex(/^\d{1,16}$/, msg)
    .optional()
    .transform((s) => (s === undefined ? def : Number(s)))
    .refine((n) => n >= min && n <= max, msg)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: def });
}

const uint = () =>
  z
    .string({ error: 'must be a decimal string' })
    .regex(/^(0|[1-9]\d{0,77})$/, 'must be a non-negative decimal integer without sign or leading zeros')
    .refine((s) => !/^\d+$/.test(s) || BigInt(s) < 1n << 256n, 'exceeds uint256')
    .transform((s) => BigInt(s));

const paging = { offset: intQuery(0, MAX_OFFSET, 0), limit: intQuery(1, 100, 20) };

export const accountParams = z.object({ address: address().openapi({ param: { name: 'address', in: 'path' }, type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }) });
export const pendingParams = z.object({
  address: address().openapi({ param: { name: 'address', in: 'path' }, type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }),
  pendingId: uint().openapi({ param: { name: 'pendingId', in: 'path' }, type: 'string', pattern: '^(0|[1-9][0-9]*)$', example: '1' }),
});

export const listWalletsQuery = z.object({
  ...paging,
  owner: address().optional(),
  agentId: uint().optional().openapi({ type: 'string', pattern: '^(0|[1-9][0-9]*)$' }),
});

export const PENDING_STATUS_VALUES = ['queued', 'approved', 'rejected', 'expired'] as const;
export const listPendingQuery = z.object({
  ...paging,
  status: z.enum(PENDING_STATUS_VALUES, { error: 'must be one of queued, approved, rejected, expired' }).optional(),
});

export const ACTIVITY_KINDS = [
  'initialized',
  'guardian_set',
  'frozen',
  'unfrozen',
  'key_set',
  'key_revoked',
  'owner_call',
  'executed',
  'spend',
  'refused',
  'queued',
  'pending_approved',
  'pending_rejected',
  'pending_expired',
  'signature',
] as const;
export const listActivityQuery = z.object({
  ...paging,
  kind: z.enum(ACTIVITY_KINDS, { error: `must be one of ${ACTIVITY_KINDS.join(', ')}` }).optional(),
});

/** Approve and reject take no input, but a JSON body (`{}`) keeps browsers from sending them unasked. */
export const emptyBody = z.strictObject({}).openapi('Empty');

const assetSchema = z.union([addressSchema, z.literal('native')]).openapi({ description: 'token address, or `native` for the chain token' });

const spendLimitShape = {
  asset: assetSchema,
  perTx: decimalSchema,
  windowCap: decimalSchema,
  windowSeconds: z.number().int(),
  escalateAbove: decimalSchema.nullable(),
};

export const keyPolicySchema = z
  .object({
    validAfter: z.number().int(),
    validUntil: z.number().int().openapi({ description: '0 = no expiry' }),
    rateLimit: z.object({ calls: z.number().int(), windowSeconds: z.number().int() }).nullable(),
    pendingTtlSeconds: z.number().int(),
    limits: z.array(z.object(spendLimitShape)),
    rules: z.array(
      z.object({
        target: addressSchema,
        selector: z.string(),
        selectorName: z.string().nullable(),
        conditions: z.array(z.object({ param: z.number().int(), op: z.string(), value: z.string() })),
      }),
    ),
    recipients: z.array(addressSchema),
  })
  .openapi('KeyPolicy');

export const walletSummarySchema = z
  .object({
    address: addressSchema,
    agentId: decimalSchema,
    owner: addressSchema,
    guardian: addressSchema,
    frozen: z.boolean(),
    salt: bytes32Schema.nullable(),
    created: blockRefSchema,
    updated: blockRefSchema,
    activeKeys: z.number().int(),
    pendingCount: z.number().int(),
  })
  .openapi('WalletSummary');

export const pendingRecordSchema = z
  .object({
    account: addressSchema,
    pendingId: decimalSchema,
    key: addressSchema,
    kind: z.enum(['calls', 'signature']),
    callsHash: bytes32Schema,
    status: z.enum(PENDING_STATUS_VALUES),
    expiresAt: z.number().int(),
    queued: blockRefSchema,
    resolved: blockRefSchema.nullable(),
  })
  .openapi('PendingAction');

export const walletRecordSchema = walletSummarySchema
  .extend({
    keys: z.array(
      z.object({
        key: addressSchema,
        status: z.enum(['active', 'revoked', 'expired', 'notYetValid']),
        validAfter: z.number().int(),
        validUntil: z.number().int(),
        policyHash: bytes32Schema,
        set: blockRefSchema,
        policy: keyPolicySchema.nullable(),
        spend: z.array(z.object({ ...spendLimitShape, spent: decimalSchema, source: z.enum(['chain', 'index']) })),
      }),
    ),
    pending: z.array(pendingRecordSchema),
    readAt: z.number().int(),
  })
  .openapi('Wallet');

export const activityRecordSchema = z
  .object({
    account: addressSchema,
    blockNumber: z.number().int(),
    logIndex: z.number().int(),
    txHash: bytes32Schema,
    timestamp: z.number().int(),
    kind: z.enum(ACTIVITY_KINDS),
    key: addressSchema.nullable(),
    asset: assetSchema.nullable(),
    amount: decimalSchema.nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('WalletActivity');

export const pendingDecisionSchema = z
  .object({ account: addressSchema, pendingId: decimalSchema, decision: z.enum(['approved', 'rejected']), txHash: bytes32Schema })
  .openapi('PendingDecision');
