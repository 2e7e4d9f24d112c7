// Compute-to-data references: the input of a job that trains on licensed data the buyer never sees. The input
// bytes are a small UTF-8 JSON document naming the seller's node, the datasets (listing + Training licence bound
// to the job) and the feature adapter that turns records into the train workload's tensors:
//
//   {"kind":"machina-data","v":1,"node":"http://...","datasets":[{"listingId":"1","licenceId":"3"}],"features":"patients-v1",
//    "resultKey":"0x04..."}
//
// `resultKey` is the buyer's data public key (uncompressed secp256k1): the provider seals the trained weights to it
// before publishing the output, so the model reaches the buyer only (the committed digest is over the sealed bytes).
// Only the provider the licences are bound to can resolve it (the seller's node delivers to its operator key), so
// nobody else re-executes such a job: validators and arbiters skip it (see provider/validator.ts). Pure: no I/O.
import { secp256k1 } from '@noble/curves/secp256k1';
import type { Hex } from 'viem';
import { MachinaError } from '../../errors/index.ts';
import { invalidInput } from './errors.ts';

export const DATA_REFERENCE_KIND = 'machina-data';
/** Feature adapters a provider knows (name → how records become tensors; see provider/dataJob.ts). */
export const FEATURE_ADAPTERS = ['patients-v1'] as const;
export type FeatureAdapterName = (typeof FEATURE_ADAPTERS)[number];

export type DataReference = {
  kind: typeof DATA_REFERENCE_KIND;
  v: 1;
  /** The seller's node (POST /v1/data/deliveries). */
  node: string;
  /** At least one; listing and licence ids as decimal strings. */
  datasets: { listingId: string; licenceId: string }[];
  features: FeatureAdapterName;
  /** The buyer's data public key, 0x04 + 128 hex digits (lower case): the weights are sealed to it. */
  resultKey: Hex;
};

/** At most this many datasets in one reference. */
export const MAX_REFERENCE_DATASETS = 32;
const MAX_REFERENCE_BYTES = 16 * 1024;
const DECIMAL_ID = /^[1-9]\d{0,77}$/;
const UNCOMPRESSED_KEY = /^0x04[0-9a-fA-F]{128}$/;

/** The result key checked: an uncompressed secp256k1 point (lower case). Throws WorkloadError naming `field`. */
function resultKeyOf(v: unknown, field: string): Hex {
  if (typeof v !== 'string' || !UNCOMPRESSED_KEY.test(v)) throw invalidInput(field, "must be the buyer's data public key, 0x04 + 128 hex digits (uncompressed secp256k1)");
  try {
    secp256k1.ProjectivePoint.fromHex(v.slice(2)).assertValidity();
  } catch {
    throw invalidInput(field, 'is not a point on secp256k1');
  }
  return v.toLowerCase() as Hex;
}

/**
 * Whether input bytes look like a data reference (a JSON object whose kind is "machina-data"), without validating
 * it: a cheap test before `parseDataReference`.
 * @example isDataReference(new TextEncoder().encode('{"kind":"machina-data"}')) // true
 */
export function isDataReference(input: Uint8Array): boolean {
  if (input.length < 10 || input.length > MAX_REFERENCE_BYTES || input[0] !== 0x7b /* { */) return false;
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input)) as unknown;
    return !!v && typeof v === 'object' && (v as { kind?: unknown }).kind === DATA_REFERENCE_KIND;
  } catch {
    return false;
  }
}

/**
 * Parses and validates a data reference; throws WorkloadError('invalid-input') naming the field at fault (the same
 * on every machine, so it is a deterministic failure).
 * @example const ref = parseDataReference(inputBytes)
 */
export function parseDataReference(input: Uint8Array): DataReference {
  if (input.length > MAX_REFERENCE_BYTES) throw invalidInput('input', `a data reference has at most ${MAX_REFERENCE_BYTES} bytes, got ${input.length}`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input));
  } catch {
    throw invalidInput('input', 'is not UTF-8 JSON (a data reference)');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidInput('input', 'must be a JSON object (a data reference)');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['kind', 'v', 'node', 'datasets', 'features', 'resultKey'].includes(k)) throw invalidInput(`input.${k}`, 'unknown field of a data reference');
  if (o.kind !== DATA_REFERENCE_KIND) throw invalidInput('input.kind', `must be "${DATA_REFERENCE_KIND}"`);
  if (o.v !== 1) throw invalidInput('input.v', `unsupported version ${JSON.stringify(o.v)} (this build reads 1)`);
  if (typeof o.node !== 'string' || o.node.length > 2048) throw invalidInput('input.node', 'must be an http(s) URL');
  let url: URL;
  try {
    url = new URL(o.node);
  } catch {
    throw invalidInput('input.node', 'must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput('input.node', 'must be an http(s) URL');
  if (!Array.isArray(o.datasets) || o.datasets.length === 0 || o.datasets.length > MAX_REFERENCE_DATASETS) {
    throw invalidInput('input.datasets', `must be a list of 1..${MAX_REFERENCE_DATASETS} datasets`);
  }
  const seen = new Set<string>();
  const datasets = o.datasets.map((d, i) => {
    const f = `input.datasets[${i}]`;
    if (!d || typeof d !== 'object' || Array.isArray(d)) throw invalidInput(f, 'must be { listingId, licenceId }');
    const r = d as Record<string, unknown>;
    for (const k of Object.keys(r)) if (k !== 'listingId' && k !== 'licenceId') throw invalidInput(`${f}.${k}`, 'unknown field');
    if (typeof r.listingId !== 'string' || !DECIMAL_ID.test(r.listingId)) throw invalidInput(`${f}.listingId`, 'must be a decimal id (a string) ≥ 1');
    if (typeof r.licenceId !== 'string' || !DECIMAL_ID.test(r.licenceId)) throw invalidInput(`${f}.licenceId`, 'must be a decimal id (a string) ≥ 1');
    if (seen.has(r.licenceId)) throw invalidInput(`${f}.licenceId`, `licence ${r.licenceId} is listed twice`);
    seen.add(r.licenceId);
    return { listingId: r.listingId, licenceId: r.licenceId };
  });
  if (!FEATURE_ADAPTERS.includes(o.features as FeatureAdapterName)) throw invalidInput('input.features', `unknown feature adapter ${JSON.stringify(o.features)} (known: ${FEATURE_ADAPTERS.join(', ')})`);
  const resultKey = resultKeyOf(o.resultKey, 'input.resultKey');
  return { kind: DATA_REFERENCE_KIND, v: 1, node: o.node.replace(/\/+$/, ''), datasets, features: o.features as FeatureAdapterName, resultKey };
}

/**
 * The canonical bytes of a data reference (fixed key order), the job input of a compute-to-data run.
 * @example const input = encodeDataReference({ node, datasets: [{ listingId: '1', licenceId: '3' }], features: 'patients-v1', resultKey: buyerKey.publicKey })
 */
export function encodeDataReference(p: { node: string; datasets: { listingId: bigint | string; licenceId: bigint | string }[]; features: FeatureAdapterName; resultKey: Hex }): Uint8Array {
  const doc = {
    kind: DATA_REFERENCE_KIND,
    v: 1,
    node: p.node.replace(/\/+$/, ''),
    datasets: p.datasets.map((d) => ({ listingId: String(d.listingId), licenceId: String(d.licenceId) })),
    features: p.features,
    resultKey: typeof p.resultKey === 'string' ? p.resultKey.toLowerCase() : p.resultKey,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  parseDataReference(bytes);
  return bytes;
}

/**
 * This executor cannot resolve a compute-to-data input (it has no data key, or is not the provider the data is
 * licensed to): not a failure of the job, so it is never turned into a failure record. Validators skip such jobs.
 */
export class DataJobNotResolvableError extends MachinaError {
  override name = 'DataJobNotResolvableError';
  constructor(message: string) {
    super(message, { code: 'DATA_JOB_NOT_RESOLVABLE', field: 'input' });
  }
}
