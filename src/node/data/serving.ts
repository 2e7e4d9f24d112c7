// Model serving: a model trained by compute-to-data answers paid inference requests on its owner's node. The
// operator (loopback only) starts serving a model with its weights and a price; each `POST .../infer` then goes
// through the x402 gateway priced to the model's serving agent (`getModelRoyalty(digest).agentId`). That agent is
// owned by the model's revenue vault and has no agentWallet of its own, so its payee (agentWallet in "owner" mode =
// the owner, as IdentityRegistry and X402Settlement both resolve it) is the vault: every payment lands there, and
// `routeRevenue` splits it among the datasets' contributors and the model's beneficiary.
// What is served lives in memory: a restarted node serves again after another PUT.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { InvalidDataInputError } from '../../data/errors.ts';
import { patientFeatures } from '../../data/examples/patients.ts';
import { decodeWeights, predict, type ModelWeights } from '../../data/inference.ts';
import { readModelRoyalty } from '../../data/market.ts';
import { formatError } from '../../errors/index.ts';
import { parseTokenAmount } from '../../pay/token.ts';
import { hashBytes } from '../../provenance/hash.ts';
import type { Api } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { readJsonBody } from '../api/inputs.ts';
import { json } from '../api/reads.ts';
import { addressSchema, bytes32Schema, decimalSchema, errorSchema } from '../api/schemas.ts';
import type { NodeCompute } from '../compute/routes.ts';
import { x402Gateway } from '../pay/gateway.ts';
import type { NodePay } from '../pay/routes.ts';
import { isLoopbackAddress, peerAddress } from '../provenance/routes.ts';

/** The node parts model serving uses (the node's ApiContext has them all). */
export type ModelServingContext = {
  client: MachinaPublicClient;
  deployment: Deployment;
  log: (line: string) => void;
  /** The x402 service; without it inference answers 503 PAYMENTS_UNAVAILABLE. */
  pay?: NodePay | undefined;
  /** The blob store, for `weightsBlob`. */
  compute?: Pick<NodeCompute, 'blobs'> | undefined;
  /** The DataMarket the node follows (default: the deployment's). */
  data?: { market: Address } | undefined;
};

/** Feature adapters a served model may take raw records with. */
const SERVING_FEATURES = ['patients-v1'] as const;
type ServingFeatures = (typeof SERVING_FEATURES)[number];

type Served = {
  digest: Hex;
  weights: ModelWeights;
  price: bigint;
  agentId: bigint;
  vault: Address;
  features: ServingFeatures | null;
  since: number;
  calls: number;
};

const MAX_WEIGHTS_BODY = 48 * 1024 * 1024;
const MAX_INFER_BODY = 64 * 1024;
const DIGEST = /^0x[0-9a-fA-F]{64}$/;

const bad = (field: string, reason: string) => new ApiError(400, 'INVALID_ARGUMENT', `${field}: ${reason}`, field);

export const servingSchema = z
  .object({
    model: bytes32Schema.openapi({ description: 'the weights digest (provenance), as registered' }),
    agentId: decimalSchema.openapi({ description: "the model's serving agent (ERC-8004), owned by its revenue vault" }),
    vault: addressSchema.openapi({ description: 'where every payment lands (the serving agent has no other payee)' }),
    price: decimalSchema.openapi({ description: 'per call, settlement-token base units' }),
    features: z.enum(SERVING_FEATURES).nullable().openapi({ description: 'the adapter `record` inputs go through, or null (only `x`)' }),
    inputs: z.number().int().openapi({ description: 'features the model takes' }),
    classes: z.number().int(),
    since: z.string().openapi({ description: 'ISO time serving started' }),
    calls: z.number().int().openapi({ description: 'paid calls answered since' }),
  })
  .openapi('ModelServing');

export const inferenceSchema = z
  .object({
    model: bytes32Schema,
    prediction: z.number().int().openapi({ description: 'the most probable class' }),
    probabilities: z.array(z.number()).openapi({ description: 'softmax probabilities, one per class' }),
  })
  .openapi('ModelInference');

const digestParams = z.object({ digest: bytes32Schema.openapi({ param: { name: 'digest', in: 'path' } }) });

/**
 * Registers model serving: `PUT /v1/data/models/{digest}/serving` (loopback only) starts serving a model,
 * `GET` the same path shows it, `POST /v1/data/models/{digest}/infer` answers `{ prediction, probabilities }` for an
 * x402 payment to the model's serving agent (its vault).
 * @example
 * mountModelServing(app, ctx) // ctx: the node's ApiContext
 */
export function mountModelServing(app: Api, ctx: ModelServingContext): void {
  const served = new Map<string, Served>();
  const marketAddress = (): Address => {
    const m = ctx.data?.market ?? ctx.deployment.contracts.DataMarket?.address;
    if (!m) throw new ApiError(404, 'NOT_FOUND', 'this deployment has no DataMarket: model serving is off', 'path');
    return m;
  };
  const digestOf = (c: Context): Hex => {
    const raw = c.req.param('digest') ?? '';
    if (!DIGEST.test(raw)) throw bad('digest', 'must be 0x followed by 64 hex digits (a weights digest)');
    return raw.toLowerCase() as Hex;
  };
  const servedOr404 = (digest: Hex): Served => {
    const s = served.get(digest);
    if (!s) throw new ApiError(404, 'NOT_FOUND', `model ${digest} is not served by this node (PUT /v1/data/models/${digest}/serving on the node's machine starts it)`, 'digest');
    return s;
  };
  /** The model's royalty record: its serving agent and vault (404 before `registerModelRoyalty`). */
  const royaltyOf = async (digest: Hex): Promise<{ agentId: bigint; vault: Address }> => {
    const market = marketAddress();
    const r = await readModelRoyalty(ctx.client, { market, weightsDigest: digest }).catch((err: unknown) => {
      throw new ApiError(503, 'CHAIN_UNAVAILABLE', `cannot read the model's royalty record: ${formatError(err)}`);
    });
    if (!r) throw new ApiError(404, 'NOT_FOUND', `model ${digest} has no royalty split (register it with registerModelRoyalty first: its vault owns the serving agent that is paid)`, 'digest');
    return { agentId: r.agentId, vault: r.vault };
  };
  const view = (s: Served) => ({
    model: s.digest,
    agentId: s.agentId.toString(),
    vault: s.vault,
    price: s.price.toString(),
    features: s.features,
    inputs: s.weights.features,
    classes: s.weights.classes,
    since: new Date(s.since).toISOString(),
    calls: s.calls,
  });

  app.openAPIRegistry.registerPath({
    method: 'put',
    path: '/v1/data/models/{digest}/serving',
    tags: ['data'],
    summary: "Start serving a model for paid inference (loopback only): its weights and a price per call; payments go to the model's serving agent, i.e. its revenue vault",
    description:
      'Body: `{ weightsBlob: <sha256 of the weights in this node\'s blob store> }` or `{ weights: <base64 of the train workload output> }`, `price` (whole tokens as a decimal string, e.g. "0.05", or `priceUnits`, base units), optional `features: "patients-v1"` (then `infer` also takes a raw `record`). The weights must hash (provenance digest) to `digest`, and the model must have a royalty split. Replaces what was served.',
    request: { params: digestParams },
    responses: { 200: json(servingSchema, 'Serving'), 400: json(errorSchema, 'Bad input'), 403: json(errorSchema, 'Not from the node\'s machine'), 404: json(errorSchema, 'No royalty split for this model, or no blob') },
  });
  app.put('/v1/data/models/:digest/serving', async (c) => {
    if (!isLoopbackAddress(peerAddress(c))) {
      throw new ApiError(403, 'FORBIDDEN', "only a client on the node's own machine (a loopback address) may start serving a model", 'path');
    }
    const digest = digestOf(c);
    const { value: body } = await readJsonBody(c, MAX_WEIGHTS_BODY);
    for (const k of Object.keys(body)) if (!['weightsBlob', 'weights', 'price', 'priceUnits', 'features'].includes(k)) throw bad(k, 'unknown field');
    let bytes: Uint8Array;
    if (body.weightsBlob !== undefined) {
      if (body.weights !== undefined) throw bad('weights', 'give weightsBlob or weights, not both');
      if (typeof body.weightsBlob !== 'string' || !DIGEST.test(body.weightsBlob)) throw bad('weightsBlob', 'must be a blob digest (0x + 64 hex digits)');
      const store = ctx.compute?.blobs;
      if (!store) throw new ApiError(404, 'NOT_FOUND', 'this node keeps no blob store: send the weights inline (weights, base64)', 'weightsBlob');
      const blob = await store.get(body.weightsBlob.toLowerCase() as Hex);
      if (!blob) throw new ApiError(404, 'NOT_FOUND', `this node holds no blob ${body.weightsBlob}`, 'weightsBlob');
      bytes = new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
    } else if (typeof body.weights === 'string' && body.weights.length > 0) {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body.weights)) throw bad('weights', 'must be base64');
      bytes = new Uint8Array(Buffer.from(body.weights, 'base64'));
    } else {
      throw bad('weights', 'required: weightsBlob (a blob digest) or weights (base64)');
    }
    let price: bigint;
    if (body.priceUnits !== undefined) {
      if (body.price !== undefined) throw bad('price', 'give price or priceUnits, not both');
      if (typeof body.priceUnits !== 'string' || !/^[1-9]\d{0,30}$/.test(body.priceUnits)) throw bad('priceUnits', 'must be a positive decimal integer (base units) as a string');
      price = BigInt(body.priceUnits);
    } else {
      if (typeof body.price !== 'string') throw bad('price', 'required: whole tokens as a decimal string, e.g. "0.05"');
      try {
        price = parseTokenAmount(body.price, 'price');
      } catch (err) {
        throw bad('price', formatError(err).replace(/^price: /, ''));
      }
      if (price <= 0n) throw bad('price', 'must be greater than zero');
    }
    let features: ServingFeatures | null = null;
    if (body.features !== undefined && body.features !== null) {
      if (!SERVING_FEATURES.includes(body.features as ServingFeatures)) throw bad('features', `must be one of ${SERVING_FEATURES.join(', ')}`);
      features = body.features as ServingFeatures;
    }
    const actual = hashBytes(bytes).root.toLowerCase();
    if (actual !== digest) {
      // A compute-to-data job's output blob is the weights sealed to the buyer: only the buyer's opened copy serves.
      const hint = body.weightsBlob !== undefined ? ' (a compute-to-data output blob is sealed to the buyer: send the weights trainOnData opened, inline as base64)' : '';
      throw new ApiError(400, 'DIGEST_MISMATCH', `weights: hash to ${actual}, not to the model ${digest}${hint}`, body.weightsBlob !== undefined ? 'weightsBlob' : 'weights');
    }
    let weights: ModelWeights;
    try {
      weights = decodeWeights(bytes, 'weights');
    } catch (err) {
      if (err instanceof InvalidDataInputError) throw bad(err.field ?? 'weights', err.reason);
      throw err;
    }
    const { agentId, vault } = await royaltyOf(digest);
    const s: Served = { digest, weights, price, agentId, vault, features, since: Date.now(), calls: 0 };
    served.set(digest, s);
    ctx.log(`data: serving model ${digest} (agent ${agentId}, paid to vault ${vault}) at ${price} base units per call`);
    return c.json(view(s), 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/data/models/{digest}/serving',
      tags: ['data'],
      summary: 'Whether this node serves a model for paid inference: its price, serving agent, vault and calls',
      request: { params: digestParams },
      responses: { 200: json(servingSchema, 'Served'), 400: json(errorSchema, 'Bad digest'), 404: json(errorSchema, 'Not served here') },
    }),
    async (c) => c.json(view(servedOr404(digestOf(c))), 200),
  );

  // Priced before the handler: no payment → 402 with the requirements (payee: the serving agent's vault).
  app.use('/v1/data/models/:digest/infer', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const service = ctx.pay?.service;
    if (!service) throw new ApiError(503, 'PAYMENTS_UNAVAILABLE', 'this node takes no x402 payments (it needs a signer and a SettlementToken): paid inference is off', 'path');
    const s = servedOr404(digestOf(c));
    return x402Gateway(service, () => ({ price: s.price, agentId: s.agentId, description: `inference with model ${s.digest}`, mimeType: 'application/json' }))(c, next);
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/data/models/{digest}/infer',
    tags: ['data'],
    summary: "Paid inference with a served model (x402: answer the 402's requirements; the payment goes to the model's revenue vault)",
    description: 'Body: `{ x: number[] }` (the model\'s features) or, when the model is served with a feature adapter, `{ record: {...} }`. A call that fails after payment is not charged (the payment is cancelled).',
    request: { params: digestParams },
    responses: {
      200: json(inferenceSchema, 'The prediction (PAYMENT-RESPONSE carries the signed receipt)'),
      400: json(errorSchema, 'Bad input (not charged)'),
      402: json(z.object({}).passthrough(), 'Payment required: the x402 requirements'),
      404: json(errorSchema, 'Model not served here'),
      503: json(errorSchema, 'This node takes no payments'),
    },
  });
  app.post('/v1/data/models/:digest/infer', async (c) => {
    const s = servedOr404(digestOf(c));
    const { value: body } = await readJsonBody(c, MAX_INFER_BODY);
    for (const k of Object.keys(body)) if (k !== 'x' && k !== 'record') throw bad(k, 'unknown field');
    let x: number[];
    if (body.record !== undefined) {
      if (body.x !== undefined) throw bad('record', 'give x or record, not both');
      if (!s.features) throw bad('record', 'this model is served without a feature adapter: send x');
      try {
        x = patientFeatures(body.record as Record<string, unknown>).x;
      } catch (err) {
        throw bad('record', `the ${s.features} adapter refused it: ${formatError(err)}`);
      }
    } else {
      if (!Array.isArray(body.x)) throw bad('x', `required: a list of ${s.weights.features} numbers`);
      x = body.x as number[];
    }
    let out;
    try {
      out = predict(s.weights, x);
    } catch (err) {
      if (err instanceof InvalidDataInputError) throw bad(err.field ?? 'x', err.reason);
      throw err;
    }
    s.calls++;
    return c.json({ model: s.digest, prediction: out.prediction, probabilities: out.probabilities }, 200);
  });
}
