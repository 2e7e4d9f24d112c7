// The provenance API: digest intake and receipts (the anchoring aggregator), anchored roots, dataset
// versions with their manifests and diffs, model records, the lineage graph and the audit of a
// model. Every error is the node's one shape, naming the field at fault.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { MachinaError } from '../../errors/index.ts';
import { diffManifests } from '../../provenance/diff.ts';
import { ProvenanceError } from '../../provenance/errors.ts';
import { parseManifest } from '../../provenance/manifest.ts';
import { parseSubject } from '../../provenance/receipt.ts';
import type { Api } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { bytes32Param as bytes32, isStorableText, readBodyBytes, readJsonBody } from '../api/inputs.ts';
import { errors, json } from '../api/reads.ts';
import { errorSchema } from '../api/schemas.ts';
import type { Aggregator } from './aggregator.ts';
import { createModelAuditor, type ModelAuditor } from './audits.ts';
import { JournalError } from './journal.ts';
import { decodeCursor, type ProvenanceQueries } from './queries.ts';

/** What the node's provenance surface is given. */
export type NodeProvenance = {
  queries: ProvenanceQueries;
  /** The anchoring aggregator; absent when the node has no signer (POST /v1/anchors answers 403). */
  aggregator?: Aggregator | undefined;
  /** Audits a model, one audit per model at a time (the routes make their own when absent). */
  audit?: ModelAuditor | undefined;
};

/** The parts of the API context these routes use (the node's ApiContext has them all). */
export type ProvenanceRouteContext = {
  provenance?: NodeProvenance | undefined;
  client: MachinaPublicClient;
  deployment: Deployment;
  publicUrl: string;
};

export const MAX_JSON_DIGESTS = 10_000;
/** Raw intake: up to 8 MiB (262,144 digests) a request. */
export const MAX_RAW_DIGESTS = 262_144;
const MAX_JSON_BYTES = 2 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

const pageQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer 1-100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be an integer 1-100')
    .optional()
    .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
  cursor: z
    .string()
    .max(200, 'is not a cursor this node gave')
    .refine((s) => decodeCursor(s) !== undefined, 'is not a cursor this node gave')
    .optional()
    .openapi({ description: 'nextCursor of the previous page' }),
});

const receiptSchema = z
  .object({
    type: z.literal('machina.anchor-receipt'),
    version: z.literal(1),
    digest: z.string(),
    subject: z.any().optional(),
    status: z.enum(['pending', 'anchored']),
    submittedAt: z.string(),
    node: z.string().optional(),
    chainId: z.number().int(),
    registry: z.string(),
    batch: z.object({ root: z.string(), size: z.number().int(), index: z.number().int(), proof: z.array(z.string()) }).optional(),
    anchor: z.object({ txHash: z.string(), blockNumber: z.string(), blockHash: z.string(), timestamp: z.number().int(), submitter: z.string() }).optional(),
  })
  .openapi('AnchorReceipt');
const anchorSchema = z
  .object({ root: z.string(), chainId: z.number().int(), registry: z.string(), txHash: z.string(), blockNumber: z.string(), blockHash: z.string(), timestamp: z.number().int(), submitter: z.string(), size: z.string() })
  .openapi('AnchoredRoot');
const datasetSchema = z.object({}).passthrough().openapi('DatasetVersion');
const modelSchema = z.object({}).passthrough().openapi('ModelRecord');

const bad = (field: string, reason: string) => new ApiError(400, 'INVALID_ARGUMENT', `${field}: ${reason}`, field);

/** The TCP peer of a request, as @hono/node-server hands it over (undefined in-process, e.g. app.request). */
export function peerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; server?: { incoming?: { socket?: { remoteAddress?: string } } } } | undefined;
  return (env?.server ?? env)?.incoming?.socket?.remoteAddress;
}

/** 127.0.0.0/8 and ::1 (also as IPv4-mapped IPv6, as a dual-stack socket reports it). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return /^(::ffff:)?127(\.\d{1,3}){3}$/i.test(address) || address === '::1';
}

/** The longest dataset location (a path on the node's machine) the node stores. */
export const MAX_LOCATION = 4096;

/**
 * `location` of a body, checked: an absolute path to an existing directory on this node, resolved (symlinks and
 * all) to the path stored. A bad value is a 400 naming `location`.
 * @example const dir = await parseDirectoryLocation('/srv/data/patients-v1')
 */
export async function parseDirectoryLocation(v: unknown): Promise<string> {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LOCATION || !isStorableText(v)) throw bad('location', `must be a non-empty string of at most ${MAX_LOCATION} characters without NUL or unpaired surrogates`);
  if (!path.isAbsolute(v)) throw bad('location', 'must be an absolute path');
  let real: string;
  try {
    real = await realpath(v);
    if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw bad('location', `is not an existing directory on this node: ${JSON.stringify(v.slice(0, 200))}`);
  }
  if (real.length > MAX_LOCATION || !isStorableText(real)) throw bad('location', `resolves to a path that cannot be stored (longer than ${MAX_LOCATION} characters or not text)`);
  return real;
}

/**
 * Where a dataset's files live, as the node's own machine gives it: an absolute path to an existing
 * directory, resolved (symlinks and all) to the path stored. Only a loopback peer may give one: a
 * location is a path on the uploader's machine, and the node's audits walk and hash it.
 */
async function parseLocation(c: Context, v: unknown): Promise<string> {
  if (!isLoopbackAddress(peerAddress(c))) {
    throw new ApiError(403, 'FORBIDDEN', 'location: only a client on the node\'s own machine (a loopback address) may say where a dataset\'s files live; send the manifest without it', 'location');
  }
  return parseDirectoryLocation(v);
}

/** A client's receipt subject, strictly checked; a bad field is a 400 naming it. */
function subjectOf(v: unknown) {
  try {
    return parseSubject(v, { strict: true });
  } catch (err) {
    if (err instanceof ProvenanceError) throw new ApiError(400, 'INVALID_ARGUMENT', err.message, err.field);
    throw err;
  }
}

/** `digests` of a JSON body as n * 32 bytes, each checked (field `digests[i]`). */
function parseDigests(v: unknown): Buffer {
  if (!Array.isArray(v)) throw bad('digests', 'must be an array of 0x-prefixed 32-byte hex digests');
  if (v.length === 0) throw bad('digests', 'must hold at least one digest');
  if (v.length > MAX_JSON_DIGESTS) throw bad('digests', `at most ${MAX_JSON_DIGESTS} digests a request (got ${v.length}; send more as application/octet-stream)`);
  const out = Buffer.allocUnsafe(v.length * 32);
  for (let i = 0; i < v.length; i++) {
    const d = v[i];
    if (typeof d !== 'string' || !HEX32.test(d)) {
      const why = typeof d !== 'string' ? 'must be a string' : !/^0x[0-9a-fA-F]*$/.test(d) ? 'must be 0x followed by hex digits' : `must be 32 bytes (64 hex digits), got ${Math.max(0, d.length - 2)} digits`;
      throw bad(`digests[${i}]`, why);
    }
    out.write(d.slice(2), i * 32, 'hex');
  }
  return out;
}

/**
 * Registers the provenance routes (no-op when the node has no provenance parts).
 * @example
 * registerProvenance(app, ctx)
 */
export function registerProvenance(app: Api, ctx: ProvenanceRouteContext): void {
  const prov = ctx.provenance;
  if (!prov) return;
  const q = prov.queries;
  const audit = prov.audit ?? createModelAuditor({ client: ctx.client, deployment: ctx.deployment, queries: q });
  const node = ctx.publicUrl.replace(/\/+$/, '');
  const aggregator = () => {
    if (!prov.aggregator) throw new ApiError(403, 'SIGNER_NOT_CONFIGURED', 'this node does not run the anchoring aggregator (it needs a signer: MACHINA_NODE_SIGNER=on and a key)');
    return prov.aggregator;
  };

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/anchors',
    tags: ['provenance'],
    summary: 'Submit digests for anchoring: on disk before the answer, sealed into a batch and anchored in one transaction',
    description: `JSON {digests: [0x… ×1..${MAX_JSON_DIGESTS}], subject?} answers 202 {receipts} (pending ones turn final once anchored; already anchored ones are final). application/octet-stream of n × 32 raw bytes (n ≤ ${MAX_RAW_DIGESTS}) answers 202 {accepted: n}.`,
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: z.object({ digests: z.array(z.string().regex(HEX32)).min(1).max(MAX_JSON_DIGESTS), subject: z.any().optional() }) },
          'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
        },
      },
    },
    responses: {
      202: json(z.union([z.object({ receipts: z.array(receiptSchema) }), z.object({ accepted: z.number().int() })]), 'Accepted (durably)'),
      400: json(errorSchema, 'Invalid input; `field` names it'),
      403: json(errorSchema, 'The node does not run the aggregator'),
      413: json(errorSchema, 'Body too large'),
      415: json(errorSchema, 'Neither application/json nor application/octet-stream'),
      503: json(errorSchema, 'The node cannot write its journal (disk full or failing); nothing was accepted'),
    },
  });
  /** Submits to the aggregator; a journal that cannot write answers 503 (nothing from the request was acknowledged). */
  const submit = async (agg: Aggregator, digests: Buffer, subject?: ReturnType<typeof subjectOf>) => {
    try {
      return await agg.submit(digests, subject);
    } catch (err) {
      if (err instanceof JournalError) throw new ApiError(503, err.code, `the digests were not accepted: ${err.message}`);
      throw err;
    }
  };
  app.post('/v1/anchors', async (c) => {
    const agg = aggregator();
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/octet-stream') {
      const body = await readBodyBytes(c, MAX_RAW_DIGESTS * 32);
      if (body.length === 0) throw bad('body', 'must hold at least one 32-byte digest');
      if (body.length % 32 !== 0) throw bad('body', `must be whole 32-byte digests (got ${body.length} bytes, ${body.length % 32} too many)`);
      const { accepted } = await submit(agg, body);
      return c.json({ accepted }, 202);
    }
    if (!/^application\/([\w.-]+\+)?json$/.test(type)) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `body must be application/json or application/octet-stream (got ${type ? JSON.stringify(type.slice(0, 100)) : 'no content-type'})`, 'content-type');
    }
    const { value: body } = await readJsonBody(c, MAX_JSON_BYTES);
    for (const k of Object.keys(body)) if (k !== 'digests' && k !== 'subject') throw bad(k, 'unknown field');
    const digests = parseDigests(body.digests);
    const subject = body.subject === undefined ? undefined : subjectOf(body.subject);
    await submit(agg, digests, subject);
    // One pass per batch: receipts of digests anchored in the same batch share one tree.
    return c.json({ receipts: agg.receipts(digests, node) }, 202);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/anchors/receipts/{digest}',
      tags: ['provenance'],
      summary: 'The receipt of a submitted digest: pending, or anchored with its inclusion proof and the anchoring transaction',
      request: { params: z.object({ digest: bytes32('digest') }) },
      responses: { 200: json(receiptSchema, 'The receipt'), ...errors },
    }),
    async (c) => {
      const { digest } = c.req.valid('param');
      const r = prov.aggregator?.receipt(digest, node);
      if (!r) throw new ApiError(404, 'NOT_FOUND', `digest ${digest} was never submitted to this node`, 'digest');
      return c.json(r as z.infer<typeof receiptSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/anchors',
      tags: ['provenance'],
      summary: 'Anchored roots (any submitter), newest first, and how many digests wait in this node\'s aggregator',
      request: { query: pageQuery },
      responses: { 200: json(z.object({ items: z.array(anchorSchema), pending: z.number().int(), nextCursor: z.string().optional() }), 'A page of anchors'), 400: errors[400] },
    }),
    async (c) => {
      const { limit = 20, cursor } = c.req.valid('query');
      const page = await q.listAnchors({ limit, cursor });
      return c.json({ ...page, pending: prov.aggregator?.pendingCount() ?? 0 }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/anchors/{root}',
      tags: ['provenance'],
      summary: 'One anchored root (or a batch of this node\'s aggregator still in flight)',
      request: { params: z.object({ root: bytes32('root') }) },
      responses: { 200: json(z.object({}).passthrough(), 'The anchor'), ...errors },
    }),
    async (c) => {
      const { root } = c.req.valid('param');
      const row = await q.getAnchor(root);
      const batch = prov.aggregator?.batchByRoot(root);
      if (!row && !batch) throw new ApiError(404, 'NOT_FOUND', `root ${root} is not anchored (not indexed yet, or never)`, 'root');
      const ours = batch ? { batch: { no: batch.no, size: batch.size, sealedAt: batch.sealedAt, status: batch.status } } : {};
      if (row) return c.json({ ...row, status: 'anchored', ...ours }, 200);
      const a = batch!.anchor;
      const base = { root, chainId: ctx.client.chain.id, registry: prov.aggregator!.registry, size: String(batch!.size), status: batch!.status, ...ours };
      return c.json(a ? { ...base, ...a } : base, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/datasets',
      tags: ['provenance'],
      summary: 'Registered dataset versions, newest first (by name with ?name=)',
      request: { query: pageQuery.extend({ name: z.string().min(1, 'must not be empty').max(256, 'at most 256 characters').optional() }) },
      responses: { 200: json(z.object({ items: z.array(datasetSchema), nextCursor: z.string().optional() }), 'A page of dataset versions'), 400: errors[400] },
    }),
    async (c) => {
      const { limit = 20, cursor, name } = c.req.valid('query');
      return c.json(await q.listDatasets({ limit, cursor, name }), 200);
    },
  );

  const datasetOr404 = async (root: Hex) => {
    const d = await q.getDataset(root);
    if (!d) throw new ApiError(404, 'NOT_FOUND', `dataset version ${root} is not registered (or not indexed yet)`, 'root');
    return d;
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/datasets/{root}',
      tags: ['provenance'],
      summary: 'One dataset version: the registry record, whether this node holds its manifest, and where its files live',
      request: { params: z.object({ root: bytes32('root') }) },
      responses: { 200: json(datasetSchema, 'The dataset version'), ...errors },
    }),
    async (c) => c.json(await datasetOr404(c.req.valid('param').root), 200),
  );

  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/datasets/{root}/manifest',
    tags: ['provenance'],
    summary: 'Stores the manifest of a registered dataset version (its files\' tree must recompute to {root}) and, from the node\'s own machine only, where its files live',
    description: 'The dataset version must be registered (indexed) with the manifest\'s file count and total bytes. `location` (an existing directory, which audits re-hash) is accepted only from a loopback client.',
    request: {
      params: z.object({ root: bytes32('root') }),
      body: { required: true, content: { 'application/json': { schema: z.object({ manifest: z.object({}).passthrough(), location: z.string().optional() }) } } },
    },
    responses: {
      200: json(z.object({ root: z.string(), files: z.number().int(), totalBytes: z.string(), stored: z.literal(true) }), 'Stored'),
      400: json(errorSchema, 'Invalid manifest, its root is not {root}, its counts differ from the registered ones, or location is no directory; `field` names it'),
      403: json(errorSchema, 'location given by a client that is not on the node\'s machine'),
      404: json(errorSchema, 'No dataset version {root} is registered (or indexed yet)'),
      413: json(errorSchema, 'Body too large'),
      415: json(errorSchema, 'Body not application/json'),
    },
  });
  app.put('/v1/datasets/:root/manifest', async (c) => {
    const root = c.req.param('root');
    if (!HEX32.test(root)) throw bad('root', 'must be 0x followed by 64 hex digits');
    const { value: body } = await readJsonBody(c, MAX_MANIFEST_BYTES);
    for (const k of Object.keys(body)) if (k !== 'manifest' && k !== 'location') throw bad(k, 'unknown field');
    const location = body.location === undefined ? null : await parseLocation(c, body.location);
    let manifest;
    try {
      manifest = parseManifest(body.manifest);
    } catch (err) {
      if (err instanceof MachinaError) {
        const field = err.field ? `manifest.${err.field.replace(/^manifest\.?/, '')}`.replace(/\.$/, '') : 'manifest';
        throw new ApiError(400, 'INVALID_ARGUMENT', `manifest: ${err.message}`, field);
      }
      throw err;
    }
    if (manifest.root.toLowerCase() !== root.toLowerCase()) throw bad('manifest.root', `the manifest's root ${manifest.root} is not ${root.toLowerCase()}`);
    // Only manifests of registered versions are kept, and only ones that agree with the registration.
    const dataset = await datasetOr404(root.toLowerCase() as Hex);
    if (String(manifest.files.length) !== dataset.fileCount) throw bad('manifest.files', `holds ${manifest.files.length} file(s); dataset version ${dataset.root} is registered with ${dataset.fileCount}`);
    if (manifest.totalBytes !== dataset.totalBytes) throw bad('manifest.totalBytes', `is ${manifest.totalBytes}; dataset version ${dataset.root} is registered with ${dataset.totalBytes} bytes`);
    await q.putManifest(root.toLowerCase() as Hex, manifest, location);
    return c.json({ root: manifest.root, files: manifest.files.length, totalBytes: manifest.totalBytes, stored: true }, 200);
  });

  const manifestOr404 = async (root: Hex, field: string) => {
    const m = await q.getManifest(root);
    if (!m) throw new ApiError(404, 'NOT_FOUND', `this node holds no manifest for ${root}`, field);
    return m;
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/datasets/{root}/manifest',
      tags: ['provenance'],
      summary: 'A dataset version\'s manifest (machina.dataset-manifest v1), as uploaded and checked against its root',
      request: { params: z.object({ root: bytes32('root') }) },
      responses: { 200: json(z.object({}).passthrough(), 'The manifest'), ...errors },
    }),
    async (c) => c.json((await manifestOr404(c.req.valid('param').root, 'root')).manifest as never, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/datasets/{root}/diff/{other}',
      tags: ['provenance'],
      summary: 'Files added, removed and changed from dataset version {root} to {other}',
      request: { params: z.object({ root: bytes32('root'), other: bytes32('other') }) },
      responses: { 200: json(z.object({}).passthrough(), 'The diff'), ...errors },
    }),
    async (c) => {
      const { root, other } = c.req.valid('param');
      const [a, b] = [await manifestOr404(root, 'root'), await manifestOr404(other, 'other')];
      return c.json(diffManifests(a.manifest, b.manifest) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      tags: ['provenance'],
      summary: 'Registered models, newest first',
      request: { query: pageQuery },
      responses: { 200: json(z.object({ items: z.array(modelSchema), nextCursor: z.string().optional() }), 'A page of models'), 400: errors[400] },
    }),
    async (c) => {
      const { limit = 20, cursor } = c.req.valid('query');
      return c.json(await q.listModels({ limit, cursor }), 200);
    },
  );
  const modelOr404 = async (id: Hex) => {
    const m = await q.getModel(id);
    if (!m) throw new ApiError(404, 'NOT_FOUND', `model ${id} is not registered (or not indexed yet)`, 'id');
    return m;
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models/{id}',
      tags: ['provenance'],
      summary: 'One model record: trainer agent, signer, config and metrics digests, base model, compute job, training datasets',
      request: { params: z.object({ id: bytes32('id') }) },
      responses: { 200: json(modelSchema, 'The model'), ...errors },
    }),
    async (c) => c.json(await modelOr404(c.req.valid('param').id), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/lineage/{id}',
      tags: ['provenance'],
      summary: 'The lineage graph around a dataset version or model: parents, training data, base models, and what derives from it',
      request: { params: z.object({ id: bytes32('id') }) },
      responses: { 200: json(z.object({ nodes: z.array(z.object({}).passthrough()), edges: z.array(z.object({}).passthrough()), truncated: z.boolean().optional() }), 'The graph'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const g = await q.lineage(id);
      if (!g) throw new ApiError(404, 'NOT_FOUND', `${id} is neither a registered dataset version nor a registered model`, 'id');
      return c.json(g, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models/{id}/audit',
      tags: ['provenance'],
      summary: 'Audits a model: walks its lineage and verifies every link, re-hashing the training files where this node knows they live',
      request: { params: z.object({ id: bytes32('id') }) },
      responses: { 200: json(z.object({}).passthrough(), 'The audit report (verdict, links, findings)'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await modelOr404(id);
      return c.json((await audit(id)) as never, 200);
    },
  );
}
