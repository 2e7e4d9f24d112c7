// The compute API: providers (stake, earnings, slashes, reputation, liveness), jobs with their
// replicas, results, payouts and challenges, market totals, all from the index; and the node's
// content-addressed blob store (workloads, inputs, outputs) that providers and buyers share.
import { createRoute, z } from '@hono/zod-openapi';
import type { Hex } from 'viem';
import type { Api } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { address, bytes32Param, uintPathParam } from '../api/inputs.ts';
import { errors } from '../api/reads.ts';
import { addressSchema, bytes32Schema, decimalSchema, errorSchema } from '../api/schemas.ts';
import { BlobStoreError, type BlobStore } from './blobs.ts';
import { JOB_STATUS_NAMES } from './module.ts';
import { DETAIL_URI_MAX, isJobCursor, LIST_URI_MAX, type ComputeQueries } from './queries.ts';

/** What the node's compute surface is given. */
export type NodeCompute = {
  queries: ComputeQueries;
  /** The blob store; without it /v1/blobs answers 404. */
  blobs?: BlobStore | undefined;
};

/** The parts of the API context these routes use. */
export type ComputeRouteContext = { compute?: NodeCompute | undefined; publicUrl: string };

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const STATUSES = JOB_STATUS_NAMES.filter((s) => s !== 'none') as [string, ...string[]];

export const providerRowSchema = z
  .object({
    providerId: decimalSchema,
    agentId: decimalSchema,
    operator: addressSchema,
    deviceKind: z.string(),
    region: z.string(),
    deviceCount: z.number().int(),
    memoryMB: z.number().int(),
    pricePerUnit: decimalSchema,
    stake: decimalSchema,
    locked: decimalSchema,
    reputation: z.number().int().openapi({ description: '0..100 = 100 * completed / (completed + 3 * slashes + 1)' }),
    completed: z.number().int(),
    slashes: z.number().int(),
    slashedAmount: decimalSchema,
    earned: decimalSchema,
    activeJobs: z.number().int(),
    lastHeartbeat: z.number().int(),
    live: z.boolean(),
    unstakeAt: z.number().int(),
    registeredAt: z.number().int(),
  })
  .openapi('ComputeProvider');

export const slashRowSchema = z
  .object({
    providerId: decimalSchema,
    jobId: decimalSchema,
    reason: z.enum(['wrong-result', 'challenge-upheld', 'no-show']),
    amount: decimalSchema,
    beneficiary: addressSchema,
    reward: decimalSchema,
    txHash: bytes32Schema,
    blockNumber: z.number().int(),
    timestamp: z.number().int(),
  })
  .openapi('ComputeSlash');

const assignmentSchema = z.object({
  slot: z.number().int(),
  providerId: decimalSchema,
  pricePerUnit: decimalSchema,
  outputDigest: bytes32Schema.nullable(),
  outputURI: z.string().nullable().openapi({ description: 'Where the output is; cut short when longer than this answer allows (see uriTruncated)' }),
  uriTruncated: z.boolean().openapi({ description: 'outputURI was cut short (a long data: URI): fetch the output by outputDigest from a blob store (GET /v1/blobs/{digest}), or read the job detail' }),
  committedAt: z.number().int().nullable(),
  paid: z.boolean(),
  amount: decimalSchema.nullable(),
  receiptId: bytes32Schema.nullable(),
  slashed: z.boolean(),
  slashAmount: decimalSchema.nullable(),
});

const challengeSchema = z.object({
  challenger: addressSchema,
  claimedDigest: bytes32Schema,
  resolveBy: z.number().int(),
  openedAt: z.number().int(),
  resolved: z.boolean(),
  upheld: z.boolean().nullable(),
  votesForProvider: z.number().int().nullable(),
  votesForChallenger: z.number().int().nullable(),
  resolvedAt: z.number().int().nullable(),
  requestHashes: z.array(bytes32Schema),
  votes: z.array(
    z.object({
      requestHash: bytes32Schema,
      validator: addressSchema,
      response: z.number().int().nullable(),
      vote: z.enum(['provider', 'challenger']).nullable(),
      respondedAt: z.number().int().nullable(),
    }),
  ),
});

export const jobRowSchema = z
  .object({
    jobId: decimalSchema,
    poster: addressSchema,
    status: z.enum(STATUSES),
    mode: z.enum(['redundant', 'optimistic']),
    direct: z.boolean(),
    replicas: z.number().int(),
    units: z.number().int(),
    maxPricePerUnit: decimalSchema,
    escrow: decimalSchema,
    initialEscrow: decimalSchema,
    workloadDigest: bytes32Schema,
    inputDigest: bytes32Schema,
    workloadURI: z.string(),
    inputURI: z.string(),
    uriTruncated: z.boolean().openapi({
      description: `workloadURI or inputURI was cut short (to its first 64 characters and an ellipsis): lists carry URIs of up to ${LIST_URI_MAX} characters whole, a job's detail up to ${DETAIL_URI_MAX}. Fetch the bytes by digest from a blob store, or read the job detail.`,
    }),
    needs: z.object({ deviceKind: z.string(), minMemoryMB: z.number().int(), region: z.string() }),
    bidWindow: z.number().int(),
    deadline: z.number().int(),
    postedAt: z.number().int(),
    postedTx: bytes32Schema,
    finalizedAt: z.number().int().nullable(),
    finalizedTx: bytes32Schema.nullable(),
    acceptedDigest: bytes32Schema.nullable(),
    refund: decimalSchema.nullable(),
    assignments: z.array(assignmentSchema),
    challenge: challengeSchema.nullable(),
  })
  .openapi('ComputeJob');

const jobDetailSchema = jobRowSchema
  .extend({
    bids: z.array(z.object({ providerId: decimalSchema, kind: z.enum(['bid', 'offer']), pricePerUnit: decimalSchema, reputation: z.number().int().nullable(), placedAt: z.number().int(), txHash: bytes32Schema })),
    slashes: z.array(slashRowSchema),
  })
  .openapi('ComputeJobDetail');

const providerDetailSchema = providerRowSchema.extend({ jobs: z.array(jobRowSchema), slashesList: z.array(slashRowSchema) }).openapi('ComputeProviderDetail');

export const computeStatsSchema = z
  .object({
    providers: z.number().int(),
    liveProviders: z.number().int(),
    jobs: z.object({ total: z.number().int(), byStatus: z.record(z.string(), z.number().int()) }),
    paid: decimalSchema,
    slashed: decimalSchema,
    slashCount: z.number().int(),
    escrowOpen: decimalSchema,
    staked: decimalSchema,
  })
  .openapi('ComputeStats');

const blobSchema = z.object({ digest: bytes32Schema, uri: z.string(), size: z.number().int(), created: z.boolean() }).openapi('Blob');

const listJobsQuery = z.object({
  status: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }).optional(),
  poster: address().optional(),
  provider: z
    .string()
    .regex(/^(0|[1-9]\d{0,30})$/, 'must be a provider id (a decimal integer)')
    .transform((s) => BigInt(s))
    .optional()
    .openapi({ type: 'string', pattern: '^(0|[1-9][0-9]*)$' }),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer 1-100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be an integer 1-100')
    .optional()
    .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
  cursor: z.string().refine(isJobCursor, 'is not a cursor this node gave').optional().openapi({ description: '`next` of the previous page' }),
});

/**
 * Registers the compute and blob routes (no-op when the node has no compute parts).
 * @example
 * registerCompute(app, ctx)
 */
export function registerCompute(app: Api, ctx: ComputeRouteContext): void {
  const compute = ctx.compute;
  if (!compute) return;
  const q = compute.queries;
  const node = ctx.publicUrl.replace(/\/+$/, '');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/compute/providers',
      tags: ['compute'],
      summary: 'Providers of the compute market: offer, stake (and locked), earnings, slashes, reputation, liveness',
      responses: { 200: json(z.object({ providers: z.array(providerRowSchema) }), 'Every provider, by id') },
    }),
    async (c) => c.json({ providers: await q.listProviders() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/compute/providers/{id}',
      tags: ['compute'],
      summary: 'One provider, with its 50 most recent jobs and its slashes',
      request: { params: z.object({ id: uintPathParam('id') }) },
      responses: { 200: json(providerDetailSchema, 'The provider'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const p = await q.getProvider(id);
      if (!p) throw new ApiError(404, 'NOT_FOUND', `provider ${id} is not registered (or not indexed yet)`, 'id');
      return c.json(p as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/compute/jobs',
      tags: ['compute'],
      summary: 'Jobs, newest first; filter by status, poster or provider',
      request: { query: listJobsQuery },
      responses: { 200: json(z.object({ jobs: z.array(jobRowSchema), next: z.string().nullable() }), 'A page of jobs'), 400: errors[400] },
    }),
    async (c) => {
      const { status, poster, provider, limit = 20, cursor } = c.req.valid('query');
      return c.json((await q.listJobs({ status, poster, provider, limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/compute/jobs/{id}',
      tags: ['compute'],
      summary: 'One job: spec, replicas with their digests and payouts, bids and offers, slashes, the challenge and the arbiters\' votes',
      request: { params: z.object({ id: uintPathParam('id') }) },
      responses: { 200: json(jobDetailSchema, 'The job'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await q.getJob(id);
      if (!job) throw new ApiError(404, 'NOT_FOUND', `job ${id} was not posted (or is not indexed yet)`, 'id');
      return c.json(job as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/compute/stats',
      tags: ['compute'],
      summary: 'Market totals: providers (live), jobs by status, paid, slashed, open escrow, stake',
      responses: { 200: json(computeStatsSchema, 'Totals') },
    }),
    async (c) => c.json(await q.stats(), 200),
  );

  const blobs = () => {
    if (!compute.blobs) throw new ApiError(404, 'NOT_FOUND', 'this node keeps no blob store', 'path');
    return compute.blobs;
  };

  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/blobs',
    tags: ['compute'],
    summary: 'Stores bytes under their sha256 (workloads, inputs, outputs); storing the same bytes again is a no-op',
    description: [
      'Body: application/octet-stream. Answers the digest (sha256, 0x-hex, a bytes32 as jobs name their workload and input) and the URI to fetch it from. An optional `x-content-sha256` header is checked against the bytes; nothing is kept when it does not match.',
      'Open to every caller that reaches the node, without authentication: buyers store workloads and inputs here, and providers on other machines store their outputs. What callers can make the node keep is bounded by a cap per blob (MACHINA_BLOB_MAX_BYTES, 64 MiB by default: 413 past it) and a quota on the whole store (MACHINA_BLOB_QUOTA_BYTES, 2 GiB by default), which counts every stored byte and the bytes of uploads in flight: 507 when the store is full. Bytes the store already holds (named by `x-content-sha256`) do not count again.',
      'The body is streamed to disk while it is hashed; it is never held whole in memory.',
    ].join('\n\n'),
    request: { body: { required: true, content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
    responses: {
      200: json(blobSchema, 'Stored (or already held)'),
      400: json(errorSchema, 'x-content-sha256 does not match the bytes'),
      404: json(errorSchema, 'This node keeps no blob store'),
      413: json(errorSchema, "Body larger than the node's cap per blob"),
      415: json(errorSchema, 'Body not application/octet-stream'),
      507: json(errorSchema, "The node's blob store is full (its quota)"),
    },
  });
  app.put('/v1/blobs', async (c) => {
    const store = blobs();
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/octet-stream') {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `body must be application/octet-stream (got ${type ? JSON.stringify(type.slice(0, 100)) : 'no content-type'})`, 'content-type');
    }
    const expected = c.req.header('x-content-sha256');
    if (expected !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(expected)) {
      throw new ApiError(400, 'DIGEST_MISMATCH', `x-content-sha256: must be 0x followed by 64 hex digits (got ${JSON.stringify(expected.slice(0, 80))})`, 'x-content-sha256');
    }
    const length = c.req.header('content-length');
    const declaredSize = length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : undefined;
    let r: Awaited<ReturnType<BlobStore['putStream']>>;
    try {
      // Streamed to a temporary file while hashed; checked (digest, cap, quota) before anything is kept.
      r = await store.putStream(c.req.raw.body ?? [], { expectedDigest: expected, declaredSize });
    } catch (err) {
      if (!(err instanceof BlobStoreError)) throw err;
      // The rest of the body is not read: the connection closes after the answer.
      if (err.reason === 'too-large') throw new ApiError(413, 'PAYLOAD_TOO_LARGE', err.message, 'body', { connection: 'close' });
      if (err.reason === 'quota') throw new ApiError(507, 'INSUFFICIENT_STORAGE', err.message, 'body', { connection: 'close' });
      throw new ApiError(400, 'DIGEST_MISMATCH', `x-content-sha256: ${err.message}`, 'x-content-sha256');
    }
    return c.json({ digest: r.digest, uri: `${node}/v1/blobs/${r.digest}`, size: r.size, created: r.created }, 200);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/blobs/{digest}',
    tags: ['compute'],
    summary: 'The bytes stored under a sha256 digest',
    request: { params: z.object({ digest: bytes32Param('digest') }) },
    responses: {
      200: { description: 'The bytes (immutable: their name is their hash)', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      ...errors,
    },
  });
  app.get('/v1/blobs/:digest', async (c) => {
    const raw = c.req.param('digest');
    if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new ApiError(400, 'INVALID_ARGUMENT', 'digest: must be 0x followed by 64 hex digits', 'digest');
    const digest = raw.toLowerCase() as Hex;
    // HEAD (answered by this GET route) must not open a file nobody reads.
    const head = c.req.method === 'HEAD';
    const blob = head ? await blobs().size(digest).then((size) => (size === undefined ? undefined : { size, stream: null })) : await blobs().open(digest);
    if (!blob) throw new ApiError(404, 'NOT_FOUND', `this node holds no blob ${digest}`, 'digest');
    return new Response(blob.stream, {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(blob.size),
        'cache-control': 'public, max-age=31536000, immutable',
        etag: `"${digest}"`,
        'x-content-sha256': digest,
        'x-content-type-options': 'nosniff',
        'access-control-allow-origin': '*',
      },
    });
  });
}
