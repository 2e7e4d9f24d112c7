// Workload bundles: what a job's workloadDigest commits to. A bundle is bytes; its digest is the sha256 of
// those bytes. Three kinds: a WebAssembly module, an ONNX model, or the hyperparameters of a small training run.
//
// Bundle layout, version 1 (integers little-endian):
//   magic    4 bytes  "MCWB" (Machina compute workload bundle)
//   version  u8       1
//   kind     u8       1 = wasm, 2 = onnx, 3 = train
//   metaLen  u32      then metaLen bytes of UTF-8 JSON, an object (see WorkloadMeta / TrainSpec below)
//   bodyLen  u32      then bodyLen bytes: the .wasm module (wasm), the .onnx model (onnx), nothing (train)
// Nothing may follow the body. encodeBundle writes the JSON with sorted keys, so equal bundles are equal bytes.
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import { invalidBundle } from './errors.ts';
import { checkOnnxModel } from './onnxCheck.ts';

export type WorkloadKind = 'wasm' | 'onnx' | 'train';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['wasm', 'onnx', 'train'];

/** Hyperparameters of a 'train' workload: a one-hidden-layer MLP (ReLU, softmax cross-entropy) trained by SGD in float64. */
export type TrainSpec = {
  model: 'mlp';
  /** Hidden units, 1..4096. */
  hidden: number;
  /** Output classes, 2..1024; labels in the input are 0..classes-1. */
  classes: number;
  /** SGD steps, 1..1,000,000. */
  steps: number;
  /** Examples per step, 1..65,536; at least the dataset size means full batch. */
  batchSize: number;
  /** Positive and finite. */
  learningRate: number;
  /** Seeds weight initialisation and batch sampling (uint32). */
  seed: number;
};

export type WorkloadBundle =
  /** `module`: a WebAssembly binary following the ABI documented in wasm.ts. */
  | { kind: 'wasm'; name?: string | undefined; module: Uint8Array }
  /** `model`: an ONNX ModelProto (float32 inputs and outputs). */
  | { kind: 'onnx'; name?: string | undefined; model: Uint8Array }
  | { kind: 'train'; name?: string | undefined; train: TrainSpec };

const MAGIC = [0x4d, 0x43, 0x57, 0x42]; // "MCWB"
const VERSION = 1;
const KIND_CODE: Record<WorkloadKind, number> = { wasm: 1, onnx: 2, train: 3 };
/** Bundles above this are refused before parsing (a model this big has no place in a job). */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
const MAX_META_BYTES = 64 * 1024;

/**
 * The sha256 of `bytes` as 0x-prefixed hex (a bytes32): the digest of bundles, inputs and outputs.
 * @example sha256Hex(new Uint8Array()) // '0xe3b0c442...'
 */
export function sha256Hex(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}

/** JSON with object keys sorted at every level: one text per value. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function checkInt(field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw invalidBundle(field, `must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  return v;
}

function checkName(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 64 || /[\u0000-\u001f]/.test(v)) throw invalidBundle('name', 'must be a string of at most 64 printable characters');
  return v;
}

/** Validates a TrainSpec, naming the field at fault. */
export function validateTrainSpec(t: unknown): TrainSpec {
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw invalidBundle('train', 'must be an object');
  const o = t as Record<string, unknown>;
  const known = ['model', 'hidden', 'classes', 'steps', 'batchSize', 'learningRate', 'seed'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw invalidBundle(`train.${k}`, 'unknown field');
  if (o.model !== 'mlp') throw invalidBundle('train.model', `must be "mlp", got ${JSON.stringify(o.model)}`);
  const lr = o.learningRate;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw invalidBundle('train.learningRate', `must be a positive finite number, got ${JSON.stringify(lr)}`);
  return {
    model: 'mlp',
    hidden: checkInt('train.hidden', o.hidden, 1, 4096),
    classes: checkInt('train.classes', o.classes, 2, 1024),
    steps: checkInt('train.steps', o.steps, 1, 1_000_000),
    batchSize: checkInt('train.batchSize', o.batchSize, 1, 65_536),
    learningRate: lr,
    seed: checkInt('train.seed', o.seed, 0, 0xffffffff),
  };
}

const isWasm = (b: Uint8Array) => b.length >= 8 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;

function checkBody(field: string, v: unknown, minLength: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw invalidBundle(field, 'must be a Uint8Array');
  if (v.length < minLength) throw invalidBundle(field, `is empty`);
  return v;
}

/**
 * The bytes of a bundle (layout above); throws WorkloadError('invalid-bundle') naming the field at fault.
 * @example const bytes = encodeBundle({ kind: 'wasm', module: wasmBytes }); const digest = sha256Hex(bytes)
 */
export function encodeBundle(b: WorkloadBundle): Uint8Array {
  if (!b || typeof b !== 'object') throw invalidBundle('bundle', 'must be an object');
  const kind = (b as { kind: unknown }).kind;
  if (!WORKLOAD_KINDS.includes(kind as WorkloadKind)) throw invalidBundle('kind', `must be one of ${WORKLOAD_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const name = checkName(b.name);
  let meta: Record<string, unknown>;
  let body: Uint8Array;
  if (b.kind === 'wasm') {
    body = checkBody('module', b.module, 8);
    if (!isWasm(body)) throw invalidBundle('module', 'is not a WebAssembly binary (no \\0asm header)');
    meta = { name };
  } else if (b.kind === 'onnx') {
    body = checkBody('model', b.model, 1);
    checkOnnxModel(body);
    meta = { name };
  } else {
    body = new Uint8Array();
    meta = { name, train: validateTrainSpec(b.train) };
  }
  const json = new TextEncoder().encode(canonicalJson(meta));
  const size = 14 + json.length + body.length;
  if (size > MAX_BUNDLE_BYTES) throw invalidBundle('bundle', `${size} bytes exceeds ${MAX_BUNDLE_BYTES}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = KIND_CODE[b.kind];
  view.setUint32(6, json.length, true);
  out.set(json, 10);
  view.setUint32(10 + json.length, body.length, true);
  out.set(body, 14 + json.length);
  return out;
}

/**
 * Parses and validates bundle bytes; throws WorkloadError('invalid-bundle') naming the field at fault.
 * The returned module/model are views into `bytes`.
 * @example const b = decodeBundle(bytes); if (b.kind === 'train') console.log(b.train.steps)
 */
export function decodeBundle(bytes: Uint8Array): WorkloadBundle {
  if (!(bytes instanceof Uint8Array)) throw invalidBundle('bundle', 'must be bytes');
  if (bytes.length > MAX_BUNDLE_BYTES) throw invalidBundle('bundle', `${bytes.length} bytes exceeds ${MAX_BUNDLE_BYTES}`);
  if (bytes.length < 14) throw invalidBundle('header', `truncated: ${bytes.length} bytes, a bundle has at least 14`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) throw invalidBundle('magic', 'not a workload bundle (expected "MCWB")');
  if (bytes[4] !== VERSION) throw invalidBundle('version', `unsupported version ${bytes[4]} (this build reads ${VERSION})`);
  const kind = WORKLOAD_KINDS.find((k) => KIND_CODE[k] === bytes[5]);
  if (!kind) throw invalidBundle('kind', `unknown kind code ${bytes[5]} (1 wasm, 2 onnx, 3 train)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaLen = view.getUint32(6, true);
  if (metaLen > MAX_META_BYTES) throw invalidBundle('meta', `${metaLen} bytes exceeds ${MAX_META_BYTES}`);
  if (10 + metaLen + 4 > bytes.length) throw invalidBundle('meta', `truncated: declares ${metaLen} bytes`);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(10, 10 + metaLen)));
  } catch {
    throw invalidBundle('meta', 'is not UTF-8 JSON');
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw invalidBundle('meta', 'must be a JSON object');
  const m = meta as Record<string, unknown>;
  const allowed = kind === 'train' ? ['name', 'train'] : ['name'];
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw invalidBundle(`meta.${k}`, `unknown field for a ${kind} bundle`);
  const name = checkName(m.name);
  const bodyLen = view.getUint32(10 + metaLen, true);
  const bodyStart = 14 + metaLen;
  if (bodyStart + bodyLen > bytes.length) throw invalidBundle(kind === 'wasm' ? 'module' : kind === 'onnx' ? 'model' : 'body', `truncated: declares ${bodyLen} bytes, ${bytes.length - bodyStart} present`);
  if (bodyStart + bodyLen < bytes.length) throw invalidBundle('trailing', `${bytes.length - bodyStart - bodyLen} bytes after the body`);
  const body = bytes.subarray(bodyStart, bodyStart + bodyLen);
  const named = name === undefined ? {} : { name };
  if (kind === 'wasm') {
    if (!isWasm(body)) throw invalidBundle('module', 'is not a WebAssembly binary (no \\0asm header)');
    return { kind, ...named, module: body };
  }
  if (kind === 'onnx') {
    if (body.length === 0) throw invalidBundle('model', 'is empty');
    checkOnnxModel(body);
    return { kind, ...named, model: body };
  }
  if (body.length !== 0) throw invalidBundle('body', 'a train bundle has no body');
  return { kind, ...named, train: validateTrainSpec(m.train) };
}
