// Reading anchor receipts someone hands us: every field is checked before any of it is trusted, and
// the first bad one is named (`batch.proof[3]: must be 32 bytes of hex`), so a truncated or forged
// receipt gets a clear verdict instead of a crash deep inside proof checking.
import { getAddress, isAddress, type Address, type Hex } from 'viem';
import { ProvenanceError } from './errors.ts';
import type { AnchorReceipt, ReceiptSubject } from './types.ts';

/** Deeper than any batch could be (2^64 digests), so a longer proof is forged. */
const MAX_PROOF_LENGTH = 64;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const DECIMAL = /^(0|[1-9]\d{0,77})$/;

type Obj = Record<string, unknown>;

const fail = (field: string, reason: string): never => {
  throw new ProvenanceError(field, reason, 'MALFORMED_RECEIPT');
};

function object(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, `must be an object (got ${describe(v)})`);
  return v as Obj;
}

function bytes32(v: unknown, field: string): Hex {
  if (typeof v !== 'string' || !BYTES32.test(v)) fail(field, `must be 32 bytes of hex, 0x + 64 digits (got ${describe(v)})`);
  return (v as string).toLowerCase() as Hex;
}

function address(v: unknown, field: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) fail(field, `must be a 20-byte hex address (got ${describe(v)})`);
  return getAddress(v as string);
}

function integer(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be an integer ${min}-${max} (got ${describe(v)})`);
  return v as number;
}

function decimal(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DECIMAL.test(v)) fail(field, `must be a non-negative decimal integer string (got ${describe(v)})`);
  return v as string;
}

function optionalString(v: unknown, field: string, max = 1024): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) fail(field, `must be a string of at most ${max} characters (got ${describe(v)})`);
  return v as string;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `"${v.length > 70 ? `${v.slice(0, 67)}...` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const SUBJECT_FIELDS: Record<string, readonly string[]> = { file: ['kind', 'name', 'size', 'chunkSize'], dataset: ['kind', 'name', 'files', 'totalBytes', 'chunkSize'], digest: ['kind', 'name'] };

/**
 * Validates a receipt subject field by field (`subject.size: must be ...`); undefined for none.
 * `strict` (intake from clients) also refuses fields the subject's kind does not have and names
 * holding NUL; a receipt read back keeps only the known fields.
 * @example
 * const subject = parseSubject(body.subject, { strict: true })
 */
export function parseSubject(v: unknown, opts: { strict?: boolean } = {}): ReceiptSubject | undefined {
  if (v === undefined || v === null) return undefined;
  const s = object(v, 'subject');
  if (opts.strict) {
    const known = typeof s.kind === 'string' && Object.hasOwn(SUBJECT_FIELDS, s.kind) ? SUBJECT_FIELDS[s.kind] : undefined;
    if (known) for (const k of Object.keys(s)) if (!known.includes(k)) fail(`subject.${k}`, 'unknown field');
    if (typeof s.name === 'string' && s.name.includes('\u0000')) fail('subject.name', 'must not contain NUL characters');
  }
  const name = optionalString(s.name, 'subject.name');
  switch (s.kind) {
    case 'file':
      return { kind: 'file', name, size: decimal(s.size, 'subject.size'), chunkSize: integer(s.chunkSize, 'subject.chunkSize', 1) };
    case 'dataset':
      return { kind: 'dataset', name, files: integer(s.files, 'subject.files', 1), totalBytes: decimal(s.totalBytes, 'subject.totalBytes'), chunkSize: integer(s.chunkSize, 'subject.chunkSize', 1) };
    case 'digest':
      return { kind: 'digest', name };
    default:
      return fail('subject.kind', `must be file, dataset or digest (got ${describe(s.kind)})`);
  }
}

/**
 * Validates an anchor receipt (parsed JSON, or the JSON text itself) field by field.
 * Throws a ProvenanceError (code MALFORMED_RECEIPT) naming the first bad field.
 * @example
 * const receipt = parseReceipt(JSON.parse(readFileSync('report.pdf.receipt.json', 'utf8')))
 */
export function parseReceipt(json: unknown): AnchorReceipt {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (err) {
      fail('receipt', `is not JSON, perhaps truncated (${(err as Error).message})`);
    }
  }
  const r = object(json, 'receipt');
  if (r.type !== 'machina.anchor-receipt') fail('type', `must be "machina.anchor-receipt" (got ${describe(r.type)})`);
  if (r.version !== 1) fail('version', `must be 1, the only receipt format this version reads (got ${describe(r.version)})`);
  const digest = bytes32(r.digest, 'digest');
  const subject = parseSubject(r.subject);
  if (r.status !== 'pending' && r.status !== 'anchored') fail('status', `must be pending or anchored (got ${describe(r.status)})`);
  if (typeof r.submittedAt !== 'string' || Number.isNaN(Date.parse(r.submittedAt))) fail('submittedAt', `must be an ISO-8601 time (got ${describe(r.submittedAt)})`);
  const node = optionalString(r.node, 'node');
  const chainId = integer(r.chainId, 'chainId', 1);
  const registry = address(r.registry, 'registry');
  const receipt: AnchorReceipt = {
    type: 'machina.anchor-receipt',
    version: 1,
    digest,
    ...(subject ? { subject } : {}),
    status: r.status as AnchorReceipt['status'],
    submittedAt: r.submittedAt as string,
    ...(node !== undefined ? { node } : {}),
    chainId,
    registry,
  };
  if (receipt.status === 'pending') return receipt;

  const b = object(r.batch, 'batch');
  const root = bytes32(b.root, 'batch.root');
  const size = integer(b.size, 'batch.size', 1);
  const index = integer(b.index, 'batch.index', 0, size - 1);
  if (!Array.isArray(b.proof)) fail('batch.proof', `must be an array of 32-byte hex strings (got ${describe(b.proof)})`);
  const rawProof = b.proof as unknown[];
  if (rawProof.length > MAX_PROOF_LENGTH) fail('batch.proof', `has ${rawProof.length} entries, more than any batch needs (${MAX_PROOF_LENGTH})`);
  const proof = rawProof.map((p, i) => bytes32(p, `batch.proof[${i}]`));
  // A batch of n digests has a proof of at most ceil(log2 n) steps; one of 1 digest has none.
  if (size === 1 && proof.length > 0) fail('batch.proof', `must be empty for a batch of one digest (has ${proof.length} entries)`);

  const a = object(r.anchor, 'anchor');
  receipt.batch = { root, size, index, proof };
  receipt.anchor = {
    txHash: bytes32(a.txHash, 'anchor.txHash'),
    blockNumber: decimal(a.blockNumber, 'anchor.blockNumber'),
    blockHash: bytes32(a.blockHash, 'anchor.blockHash'),
    timestamp: integer(a.timestamp, 'anchor.timestamp', 1),
    submitter: address(a.submitter, 'anchor.submitter'),
  };
  return receipt;
}

/** The receipt file name `machina anchor` suggests for a path: `PATH.receipt.json`. */
export function receiptFileFor(path: string): string {
  return `${path.replace(/\/+$/, '')}.receipt.json`;
}
