// The data marketplace API: the catalogue, one listing (terms, contributors with their consent,
// versions, sales, royalties), the consent audit, licences, an account's royalties, a model's royalty
// flow, licensed delivery (a signed request answered with the records encrypted to the requester's key),
// and the records partition a seller gives its own node (loopback only). Errors in the node's one shape.
import { createRoute, z } from '@hono/zod-openapi';
import type { Address } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { DELIVERY_CONTENT_TYPE } from '../../data/deliveryFormat.ts';
import { InvalidDataInputError } from '../../data/errors.ts';
import { PURPOSES, purposesToMask } from '../../data/terms.ts';
import type { Api } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { address, bytes32Param, limitQuery, readJsonBody, uintPathParam } from '../api/inputs.ts';
import { errors, json } from '../api/reads.ts';
import { addressSchema, bytes32Schema, decimalSchema, errorSchema } from '../api/schemas.ts';
import type { ProvenanceQueries } from '../provenance/queries.ts';
import { isLoopbackAddress, peerAddress } from '../provenance/routes.ts';
import { authorizeDelivery, checkDeliveryRequest, deliveryStream, planDelivery } from './delivery.ts';
import { DELIVERY_REQUEST_MAX_SKEW } from '../../data/deliveryRequest.ts';
import { isIdCursor, type DataQueries } from './queries.ts';
import { checkRecordsPartition } from './records.ts';
import { mountModelServing, type ModelServingContext } from './serving.ts';

/** What the node's data surface is given. */
export type NodeData = {
  queries: DataQueries;
  /** The DataMarket the node follows. */
  market: Address;
  /** The ComputeMarket, for training deliveries (the bound job and its provider). */
  computeMarket?: Address | undefined;
  /** The provenance reads, to keep a listing's manifest beside its records. */
  provenance?: Pick<ProvenanceQueries, 'putManifest'> | undefined;
  /** Deliveries streaming at once on this node (read per request; default DEFAULT_MAX_DELIVERIES); beyond it 503 BUSY. */
  maxDeliveries?: number | undefined;
};

/** Deliveries a node streams at once unless told otherwise: each holds one file in memory while it is sealed. */
export const DEFAULT_MAX_DELIVERIES = 4;
/** Seconds a client is told to wait when every delivery slot is taken. */
const BUSY_RETRY_AFTER = 5;

/** The parts of the API context these routes use. */
export type DataRouteContext = Omit<ModelServingContext, 'data'> & { data?: NodeData | undefined; client: MachinaPublicClient; deployment: Deployment; publicUrl: string; log: (line: string) => void };

const MAX_RECORDS_BODY = 16 * 1024 * 1024;
const MAX_DELIVERY_BODY = 16 * 1024;

const cursorQuery = z.string().max(40, 'is not a cursor this node gave').refine(isIdCursor, 'is not a cursor this node gave').optional().openapi({ description: '`nextCursor` of the previous page' });

const termsSchema = z
  .object({
    accessPrice: decimalSchema,
    trainingPrice: decimalSchema,
    royaltyBps: z.number().int(),
    trainingAllowed: z.boolean(),
    commercialUse: z.boolean(),
    attribution: z.boolean(),
    computeOnly: z.boolean(),
    purposes: z.array(z.string()).openapi({ description: `purpose names (${Object.keys(PURPOSES).join(', ')}, or bit:N)` }),
    purposesMask: z.number().int(),
    expiry: z.number().int().openapi({ description: 'unix seconds; 0 = no end' }),
    licenceDuration: z.number().int().openapi({ description: 'seconds a licence runs; 0 = until expiry' }),
    termsDigest: bytes32Schema,
    allowedProviders: z.array(decimalSchema),
  })
  .openapi('DataTerms');

export const dataListingRowSchema = z
  .object({
    listingId: decimalSchema,
    root: bytes32Schema,
    name: z.string().nullable(),
    version: z.number().int().nullable(),
    parentId: decimalSchema.nullable(),
    owner: addressSchema,
    agentOwned: z.boolean(),
    ownerAgentId: decimalSchema.nullable(),
    active: z.boolean(),
    terms: termsSchema.nullable(),
    contributorCount: z.number().int(),
    consenting: z.number().int(),
    revoked: z.number().int(),
    consentEpoch: z.number().int(),
    sales: z.number().int(),
    revenue: decimalSchema,
    royalties: decimalSchema,
    createdAt: z.number().int(),
    txHash: bytes32Schema,
    hasRecords: z.boolean().openapi({ description: 'this node holds the records and can deliver them' }),
  })
  .openapi('DataListing');

const consentSchema = z.object({
  state: z.enum(['none', 'given', 'revoked']),
  documentDigest: bytes32Schema.nullable(),
  scope: z.number().int().nullable(),
  purposes: z.array(z.string()),
  training: z.boolean(),
  commercial: z.boolean(),
  givenAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
});

export const dataLicenceSchema = z
  .object({
    licenceId: decimalSchema,
    listingId: decimalSchema,
    root: bytes32Schema.nullable(),
    name: z.string().nullable(),
    holder: addressSchema,
    kind: z.enum(['access', 'training']),
    purposes: z.array(z.string()),
    purposesMask: z.number().int(),
    commercial: z.boolean(),
    royaltyBps: z.number().int(),
    issuedAt: z.number().int(),
    expiresAt: z.number().int(),
    valid: z.boolean(),
    consentEpoch: z.number().int(),
    includedMask: decimalSchema,
    included: z.array(z.number().int()),
    price: decimalSchema,
    jobId: decimalSchema.nullable(),
    providerId: decimalSchema.nullable(),
    model: bytes32Schema.nullable(),
    txHash: bytes32Schema,
  })
  .openapi('DataLicence');

const listingDetailSchema = dataListingRowSchema
  .extend({
    contributors: z.array(
      z.object({ index: z.number().int(), account: addressSchema, shareBps: z.number().int(), recordsRoot: bytes32Schema, consent: consentSchema, earnedSales: decimalSchema, earnedRoyalties: decimalSchema }),
    ),
    versions: z.array(z.object({ root: bytes32Schema, name: z.string().nullable(), version: z.number().int().nullable(), listingId: decimalSchema.nullable(), current: z.boolean() })),
    licences: z.array(dataLicenceSchema),
    models: z.array(z.object({ weightsDigest: bytes32Schema, name: z.string().nullable(), royaltyBps: z.number().int(), paid: decimalSchema, agentId: decimalSchema })),
  })
  .openapi('DataListingDetail');

const auditModelSchema = z.object({
  weightsDigest: bytes32Schema,
  name: z.string(),
  registeredAt: z.number().int(),
  trainedOn: z.array(bytes32Schema),
  via: z.enum(['dataset', 'descendant-dataset', 'base-model']),
  royalty: z.boolean(),
});
const auditSchema = z
  .object({
    listingId: decimalSchema,
    root: bytes32Schema,
    name: z.string().nullable(),
    modelsInLineage: z.number().int(),
    revocations: z.array(
      z.object({
        index: z.number().int(),
        account: addressSchema,
        revokedAt: z.number().int(),
        blockNumber: z.number().int(),
        txHash: bytes32Schema,
        models: z.array(auditModelSchema).openapi({ description: "models registered before the revocation whose lineage holds the listing's data" }),
        modelsAfter: z.array(auditModelSchema),
      }),
    ),
  })
  .openapi('DataConsentAudit');

const royaltiesSchema = z
  .object({
    account: addressSchema,
    credited: z.object({ sale: decimalSchema, royalty: decimalSchema, modelRevenue: decimalSchema, total: decimalSchema }),
    withdrawn: decimalSchema,
    balance: decimalSchema.openapi({ description: 'credited − withdrawn: what withdraw() pays now' }),
    held: decimalSchema.openapi({ description: 'held back by the exact cumulative splits (a few units at most)' }),
    byListing: z.array(z.object({ listingId: decimalSchema, name: z.string().nullable(), sale: decimalSchema, royalty: decimalSchema, modelRevenue: decimalSchema })),
    recent: z.array(z.object({ account: addressSchema, listingId: decimalSchema, reason: z.enum(['sale', 'royalty', 'model-revenue']), ref: bytes32Schema, amount: decimalSchema, at: z.number().int(), txHash: bytes32Schema })),
    withdrawals: z.array(z.object({ to: addressSchema, amount: decimalSchema, at: z.number().int(), txHash: bytes32Schema })),
  })
  .openapi('DataRoyalties');

const modelFlowSchema = z
  .object({
    weightsDigest: bytes32Schema,
    name: z.string().nullable(),
    vault: addressSchema,
    agentId: decimalSchema,
    beneficiary: addressSchema,
    revenue: decimalSchema,
    toDatasets: decimalSchema,
    toBeneficiary: decimalSchema,
    datasets: z.array(
      z.object({
        listingId: decimalSchema,
        root: bytes32Schema.nullable(),
        name: z.string().nullable(),
        royaltyBps: z.number().int(),
        paid: decimalSchema,
        contributors: z.array(z.object({ index: z.number().int(), account: addressSchema, shareBps: z.number().int(), amount: decimalSchema })),
      }),
    ),
    routes: z.array(z.object({ amount: decimalSchema, toDatasets: decimalSchema, toBeneficiary: decimalSchema, at: z.number().int(), txHash: bytes32Schema })),
    registeredAt: z.number().int(),
    txHash: bytes32Schema,
  })
  .openapi('DataModelRoyalties');

const deliveryRequestSchema = z
  .object({
    licenceId: decimalSchema,
    listingId: decimalSchema,
    timestamp: z.number().int().openapi({ description: 'unix seconds; at most 300 s before the node\'s clock (60 s after)' }),
    chainId: z.number().int(),
    market: addressSchema,
    nonce: z.string().regex(/^[0-9a-f]{16,64}$/).optional().openapi({ description: 'random lowercase hex (16-64 digits) making the request unique: a signed request is accepted once' }),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/).openapi({
      description:
        'EIP-191 personal_sign of "machina-data-delivery\\nchain:{chainId}\\nmarket:{market}\\nlisting:{listingId}\\nlicence:{licenceId}\\ntime:{timestamp}" followed by "\\nnonce:{nonce}" when given; the node recovers the public key from it and encrypts to that key',
    }),
  })
  .openapi('DataDeliveryRequest');

const listingsQuery = z.object({
  q: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters').optional().openapi({ description: "case-insensitive substring of the dataset's name" }),
  purpose: z.string().min(1, 'must not be empty').max(400, 'at most 400 characters').optional().openapi({ description: 'purpose names, comma-separated: listings that allow all of them' }),
  owner: address().optional(),
  active: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional().openapi({ type: 'boolean' }),
  limit: limitQuery,
  cursor: cursorQuery,
});

const licencesQuery = z.object({
  holder: address().optional(),
  listing: z.string().regex(/^(0|[1-9]\d{0,30})$/, 'must be a listing id (a decimal integer)').transform((s) => BigInt(s)).optional().openapi({ type: 'string', pattern: '^(0|[1-9][0-9]*)$' }),
  limit: limitQuery,
  cursor: cursorQuery,
});

/**
 * Registers the data routes (no-op when the node has no data parts) and the model serving routes.
 * @example
 * registerData(app, ctx)
 */
export function registerData(app: Api, ctx: DataRouteContext): void {
  const data = ctx.data;
  if (!data) return;
  const q = data.queries;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/listings',
      tags: ['data'],
      summary: "The data catalogue, newest first: listings with their dataset's name, terms (purposes by name), consent counts, sales and royalties",
      request: { query: listingsQuery },
      responses: { 200: json(z.object({ items: z.array(dataListingRowSchema), nextCursor: z.string().optional() }), 'A page of listings'), 400: errors[400] },
    }),
    async (c) => {
      const { q: text, purpose, owner, active, limit = 20, cursor } = c.req.valid('query');
      let purposesMask: number | undefined;
      if (purpose !== undefined) {
        try {
          purposesMask = purposesToMask(purpose.split(',').map((s) => s.trim()), 'purpose');
        } catch (err) {
          if (err instanceof InvalidDataInputError) throw new ApiError(400, 'INVALID_ARGUMENT', err.message, 'purpose');
          throw err;
        }
      }
      return c.json((await q.listListings({ q: text, purposesMask, owner, active, limit, cursor })) as never, 200);
    },
  );

  const listingOr404 = async (id: bigint) => {
    const l = await q.getListing(id);
    if (!l) throw new ApiError(404, 'NOT_FOUND', `listing ${id} does not exist (or is not indexed yet)`, 'id');
    return l;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/listings/{id}',
      tags: ['data'],
      summary: 'One listing: terms, contributors with their consent and earnings, dataset versions, recent licences, models paying it royalties',
      request: { params: z.object({ id: uintPathParam('id') }) },
      responses: { 200: json(listingDetailSchema, 'The listing'), ...errors },
    }),
    async (c) => c.json((await listingOr404(c.req.valid('param').id)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/listings/{id}/audit',
      tags: ['data'],
      summary: "Consent audit: each revocation, with the models registered before it whose lineage holds the listing's data (trained while the consent was in force)",
      request: { params: z.object({ id: uintPathParam('id') }) },
      responses: { 200: json(auditSchema, 'The audit'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const a = await q.audit(id);
      if (!a) throw new ApiError(404, 'NOT_FOUND', `listing ${id} does not exist (or is not indexed yet)`, 'id');
      return c.json(a as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/licences',
      tags: ['data'],
      summary: 'Licences, newest first; filter by holder or listing',
      request: { query: licencesQuery },
      responses: { 200: json(z.object({ items: z.array(dataLicenceSchema), nextCursor: z.string().optional() }), 'A page of licences'), 400: errors[400] },
    }),
    async (c) => {
      const { holder, listing, limit = 20, cursor } = c.req.valid('query');
      return c.json((await q.listLicences({ holder, listingId: listing, limit, cursor })) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/licences/{id}',
      tags: ['data'],
      summary: 'One licence: listing, holder, kind, purposes, validity, covered contributors, price, bound compute job and model',
      request: { params: z.object({ id: uintPathParam('id') }) },
      responses: { 200: json(dataLicenceSchema, 'The licence'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const l = await q.getLicence(id);
      if (!l) throw new ApiError(404, 'NOT_FOUND', `licence ${id} does not exist (or is not indexed yet)`, 'id');
      return c.json(l as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/royalties',
      tags: ['data'],
      summary: "An account's data earnings: credits by reason (sale, royalty, model revenue) and by listing, withdrawn, balance",
      request: { query: z.object({ account: address() }) },
      responses: { 200: json(royaltiesSchema, 'The account\'s credits'), 400: errors[400] },
    }),
    async (c) => c.json((await q.royalties(c.req.valid('query').account)) as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/models/{digest}/royalties',
      tags: ['data'],
      summary: "A model's royalty flow: revenue routed from its vault → each dataset's royalty → each contributor, and the beneficiary's rest",
      request: { params: z.object({ digest: bytes32Param('digest') }) },
      responses: { 200: json(modelFlowSchema, 'The flow'), ...errors },
    }),
    async (c) => {
      const { digest } = c.req.valid('param');
      const m = await q.modelRoyalties(digest);
      if (!m) throw new ApiError(404, 'NOT_FOUND', `model ${digest} has no royalty registration (or it is not indexed yet)`, 'digest');
      return c.json(m as never, 200);
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/data/deliveries',
    tags: ['data'],
    summary: "Licensed delivery: a signed request for a licence's data, answered with the records encrypted to the requester's key",
    description: [
      'The node recovers the public key from the signature and decides on the chain: an Access licence delivers to its holder; a Training licence to the operator of the compute provider it is bound to, while that provider is assigned the job. The licence must be valid (not expired) and for `listingId`; the request signed within 300 s.',
      'A Training licence is also refused (403) when its provider is no longer in the listing\'s current non-empty allowedProviders, and for a compute-only listing when the provider\'s operator holds the licence. A signed request works once (409 REPLAYED after); the node streams a few deliveries at once (503 BUSY with Retry-After beyond).',
      `The answer is ${DELIVERY_CONTENT_TYPE}: frames (src/data/deliveryFormat.ts), only their types and lengths in the clear — a header sealed to the recovered key (listing, licence, dataset root, file count, contributors left out) then one frame per file, each a box sealed to that key (ECIES secp256k1, AES-256-GCM) of [u32 length][{path, size, fileRoot, proof}][the file's bytes]; an error frame (plain {code, message}, naming a manifest path at most) ends a failed stream. Files of contributors the licence does not cover, or who revoked their consent since, are left out.`,
    ].join('\n\n'),
    request: { body: { required: true, content: { 'application/json': { schema: deliveryRequestSchema } } } },
    responses: {
      200: { description: 'The delivery stream', content: { [DELIVERY_CONTENT_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } } },
      400: json(errorSchema, 'Invalid input (INVALID_ARGUMENT), another chain or market (WRONG_CHAIN, WRONG_MARKET) or a malformed signature (INVALID_SIGNATURE); `field` names it'),
      401: json(errorSchema, 'STALE_REQUEST: signed more than 300 s from the node\'s clock'),
      403: json(errorSchema, 'NOT_LICENSED: the signing key holds no such licence (or is not the bound provider\'s operator, or holds a compute-only licence itself); PROVIDER_NOT_ALLOWED: the bound provider is no longer in the terms'),
      404: json(errorSchema, 'No such licence, or this node holds no records for the listing'),
      409: json(errorSchema, 'WRONG_LICENCE: the licence is for another listing, or a training licence not bound to a job; JOB_NOT_RUNNING: the bound job is not assigned to its provider; REPLAYED: this signed request was used before'),
      410: json(errorSchema, 'LICENCE_EXPIRED'),
      415: json(errorSchema, 'Body not application/json'),
      503: json(errorSchema, 'BUSY: the node is streaming as many deliveries as it allows; retry after the Retry-After seconds'),
    },
  });
  // Node-wide: deliveries in flight (each holds a file while sealing it), and the signed requests already used
  // (a request works once: a replay, by anyone who saw it, is refused before any chain read).
  let inFlight = 0;
  const used = new Map<string, number>();
  const forgetUsed = (now: number) => {
    for (const [k, until] of used) {
      if (until > now) break;
      used.delete(k);
    }
  };
  app.post('/v1/data/deliveries', async (c) => {
    const { value: body } = await readJsonBody(c, MAX_DELIVERY_BODY);
    // Cheap first: fields, ids, chain, market, time window, signature; no chain read yet.
    const verified = await checkDeliveryRequest({ client: ctx.client, market: data.market, body });
    const now = Math.floor(Date.now() / 1000);
    forgetUsed(now);
    if (used.has(verified.replayKey)) throw new ApiError(409, 'REPLAYED', 'signature: this signed request was already used; sign a new one for each delivery', 'signature');
    const max = data.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    if (inFlight >= max) {
      throw new ApiError(503, 'BUSY', `this node is already streaming ${inFlight} deliveries (its limit is ${max}); retry in ${BUSY_RETRY_AFTER} s with a newly signed request`, undefined, { 'retry-after': String(BUSY_RETRY_AFTER) });
    }
    // Kept until the request could no longer pass the time window anyway (Map order = expiry order).
    used.set(verified.replayKey, now + DELIVERY_REQUEST_MAX_SKEW + 1);
    inFlight++;
    let streaming = false;
    try {
      const auth = await authorizeDelivery({ client: ctx.client, market: data.market, computeMarket: data.computeMarket, verified });
      const records = await q.getRecords(auth.listingId);
      if (!records) throw new ApiError(404, 'NOT_FOUND', `this node holds no records for listing ${auth.listingId} (the seller gives them to its own node: PUT /v1/data/listings/${auth.listingId}/records)`, 'listingId');
      if (records.root.toLowerCase() !== auth.root) throw new ApiError(409, 'RECORDS_OUTDATED', `the records this node holds for listing ${auth.listingId} are of dataset ${records.root}, not ${auth.root}`, 'listingId');
      const plan = planDelivery({ auth, files: records.files });
      ctx.log(`data: delivering licence ${auth.licenceId} (listing ${auth.listingId}, ${auth.kind}) to ${auth.address}: ${plan.files.length} file(s), ${plan.excluded.length} contributor(s) left out`);
      const stream = deliveryStream({ auth, plan, files: records.files, location: records.location, log: ctx.log, onDone: () => inFlight-- });
      streaming = true;
      return new Response(stream, { status: 200, headers: { 'content-type': DELIVERY_CONTENT_TYPE, 'cache-control': 'no-store' } });
    } finally {
      if (!streaming) inFlight--;
    }
  });

  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/data/listings/{id}/records',
    tags: ['data'],
    summary: "Gives the node a listing's records (loopback only): where the files live and which are each contributor's",
    description:
      "Body {location, contributors: [{index, paths}]}. Accepted only from the node's own machine. The folder at `location` must hash to the listing's dataset root, every file must be named for exactly one contributor, and each contributor's files must hash to its recordsRoot on the listing. Nothing is kept unless everything checks.",
    request: {
      params: z.object({ id: uintPathParam('id') }),
      body: { required: true, content: { 'application/json': { schema: z.object({ location: z.string(), contributors: z.array(z.object({ index: z.number().int(), paths: z.array(z.string()) })) }) } } },
    },
    responses: {
      200: json(z.object({ listingId: decimalSchema, root: bytes32Schema, files: z.number().int(), contributors: z.array(z.object({ index: z.number().int(), files: z.number().int() })), stored: z.literal(true) }), 'Stored'),
      400: json(errorSchema, 'The folder, a path or a contributor\'s files do not check; `field` names it'),
      403: json(errorSchema, "Not from the node's own machine"),
      404: json(errorSchema, 'No such listing (or not indexed yet)'),
      413: json(errorSchema, 'Body too large'),
      415: json(errorSchema, 'Body not application/json'),
    },
  });
  app.put('/v1/data/listings/:id/records', async (c) => {
    if (!isLoopbackAddress(peerAddress(c))) {
      throw new ApiError(403, 'FORBIDDEN', "location: only a client on the node's own machine (a loopback address) may give a listing's records", 'location');
    }
    const raw = c.req.param('id');
    if (!/^[1-9]\d{0,30}$/.test(raw)) throw new ApiError(400, 'INVALID_ARGUMENT', 'id: must be a listing id (a positive decimal integer)', 'id');
    const id = BigInt(raw);
    const { value: body } = await readJsonBody(c, MAX_RECORDS_BODY);
    for (const k of Object.keys(body)) if (k !== 'location' && k !== 'contributors') throw new ApiError(400, 'INVALID_ARGUMENT', `${k}: unknown field`, k);
    const listing = await listingOr404(id);
    const part = await checkRecordsPartition({
      listingId: id,
      root: listing.root,
      contributors: listing.contributors.map((x) => ({ index: x.index, account: x.account, recordsRoot: x.recordsRoot })),
      location: body.location,
      partition: body.contributors,
    });
    await q.putRecords({ listingId: id, root: listing.root, location: part.location, files: part.files });
    // The manifest beside it, for audits and for buyers who verify what they received (provenance's own table).
    await data.provenance?.putManifest(listing.root, part.manifest, part.location).catch((err) => ctx.log(`data: could not keep the manifest of ${listing.root}: ${(err as Error).message}`));
    return c.json({ listingId: id.toString(), root: listing.root, files: part.files.length, contributors: part.perContributor, stored: true as const }, 200);
  });

  // Model serving (x402 inference paid to a model's serving agent, whose owner is the model's vault).
  mountModelServing(app, ctx);
}
