// Dataset manifests: the list of (path, size, file root) whose standard Merkle root is a directory's
// digest, the proof that one file belongs to it, and the strict reader for manifests others hand us
// (every field checked, the root recomputed, the first bad field named).
import { hexToBytes, type Hex } from 'viem';
import { ProvenanceError } from './errors.ts';
import { keccak256Bytes, MerkleTree } from './merkle/index.ts';
import { CHUNK_SIZE, type Manifest, type ManifestEntry } from './types.ts';

/** The manifest tree's leaf encoding (OpenZeppelin standard tree). */
export const MANIFEST_LEAF_TYPES = ['string', 'uint256', 'bytes32'] as const;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const DECIMAL = /^(0|[1-9]\d{0,77})$/;
const UINT256_MAX = (1n << 256n) - 1n;

/**
 * `items` in the manifest's path order: by the UTF-8 bytes of `key(item)` (JavaScript's `<` orders
 * UTF-16 units, which differs above U+FFFF). Each key is encoded once: encoding inside the comparator
 * would cost more than the hashing of 10,000 small files.
 *
 * @example sortByUtf8(['😀', '～'], (s) => s) // ['～', '😀']
 */
export function sortByUtf8<T>(items: readonly T[], key: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(key(item), 'utf8') }));
  return keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map((k) => k.item);
}

/**
 * The standard leaf of one manifest entry: keccak256(keccak256(abi.encode(string path, uint256 size,
 * bytes32 root))), equal to `standardLeafHash(MANIFEST_LEAF_TYPES, ...)` (the tests hold it to
 * OpenZeppelin's). Encoded by hand: the generic ABI encoder costs more than the rest of a 10,000-file
 * manifest's tree.
 */
export function manifestLeafBytes(entry: ManifestEntry): Uint8Array {
  const path = Buffer.from(entry.path, 'utf8');
  const enc = new Uint8Array(128 + Math.ceil(path.length / 32) * 32);
  const view = new DataView(enc.buffer);
  view.setUint32(28, 0x60); // the string's offset: after the three head words
  putUint256(enc, 32, BigInt(entry.size));
  enc.set(hexToBytes(entry.root), 64);
  putUint256(enc, 96, BigInt(path.length));
  enc.set(path, 128);
  return keccak256Bytes(keccak256Bytes(enc));
}

function putUint256(out: Uint8Array, at: number, v: bigint) {
  for (let i = 31; i >= 0 && v > 0n; i--, v >>= 8n) out[at + i] = Number(v & 0xffn);
}

/**
 * The standard tree over the entries, in their order (no sorting of leaves: the order is the paths').
 *
 * @example manifestTree(manifest).proof(0)
 */
export function manifestTree(m: Manifest | readonly ManifestEntry[]): MerkleTree {
  const files = Array.isArray(m) ? (m as readonly ManifestEntry[]) : (m as Manifest).files;
  if (files.length === 0) throw new ProvenanceError('files', 'a manifest holds at least one file');
  const leaves = new Uint8Array(files.length * 32);
  files.forEach((f, i) => leaves.set(manifestLeafBytes(f), i * 32));
  return MerkleTree.fromLeaves(leaves);
}

/**
 * The manifest root of entries already in manifest order (see `buildManifest` to sort them).
 *
 * @example manifestRoot([{ path: 'a.txt', size: '5', root: hashBytes(bytes).root }])
 */
export function manifestRoot(files: readonly ManifestEntry[]): Hex {
  return manifestTree(files).root;
}

/**
 * A manifest from entries in any order: paths checked and sorted by UTF-8 bytes, duplicates refused,
 * total size and root computed.
 *
 * @example buildManifest(entries).root
 */
export function buildManifest(files: readonly ManifestEntry[]): Manifest {
  if (files.length === 0) throw new ProvenanceError('files', 'a manifest holds at least one file');
  const checked = files.map((f, i): ManifestEntry => {
    const field = `files[${i}]`;
    return { path: checkPath(f.path, `${field}.path`), size: checkSize(f.size, `${field}.size`), root: checkRoot(f.root, `${field}.root`) };
  });
  const entries = sortByUtf8(checked, (e) => e.path);
  // checkPath admits only valid Unicode, whose UTF-8 is one-to-one: equal bytes are equal strings.
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]!.path === entries[i]!.path) throw new ProvenanceError('files', `path ${JSON.stringify(entries[i]!.path)} appears twice`);
  }
  return {
    type: 'machina.dataset-manifest',
    version: 1,
    chunkSize: CHUNK_SIZE,
    root: manifestRoot(entries),
    totalBytes: entries.reduce((s, e) => s + BigInt(e.size), 0n).toString(),
    files: entries,
  };
}

/**
 * One file's inclusion proof in the manifest: OpenZeppelin's `MerkleProof.verify(proof, root, leaf)`
 * accepts it, with leaf = the standard leaf of (path, size, file root).
 *
 * @example const { leaf, proof, root } = fileProof(manifest, 'train/0001.jsonl')
 */
export function fileProof(m: Manifest, filePath: string): { leaf: Hex; proof: Hex[]; root: Hex } {
  const index = m.files.findIndex((f) => f.path === filePath);
  if (index < 0) throw new ProvenanceError('path', `${JSON.stringify(filePath)} is not in the manifest`, 'NOT_IN_MANIFEST');
  const tree = manifestTree(m);
  return { leaf: tree.leaf(index), proof: tree.proof(index), root: tree.root };
}

/**
 * Reads a manifest someone hands us (a file, an API body): checks every field, that paths are
 * well-formed, unique and in order, that `totalBytes` adds up, and that `root` is the tree's root.
 * Throws a ProvenanceError naming the first bad field, e.g. `files[3].size: ...`.
 *
 * @example const m = parseManifest(JSON.parse(readFileSync('manifest.json', 'utf8')))
 */
export function parseManifest(json: unknown): Manifest {
  const m = object(json, 'manifest');
  if (m.type !== 'machina.dataset-manifest') fail('type', `must be "machina.dataset-manifest" (got ${describe(m.type)})`);
  if (m.version !== 1) fail('version', `must be 1 (got ${describe(m.version)})`);
  if (m.chunkSize !== CHUNK_SIZE) fail('chunkSize', `must be ${CHUNK_SIZE}, the only chunk size this format knows (got ${describe(m.chunkSize)})`);
  const root = checkRoot(m.root, 'root');
  const totalBytes = checkSize(m.totalBytes, 'totalBytes');
  if (!Array.isArray(m.files)) fail('files', `must be an array (got ${describe(m.files)})`);
  const raw = m.files as unknown[];
  if (raw.length === 0) fail('files', 'a manifest holds at least one file');
  let previous: Buffer | undefined;
  let sum = 0n;
  const files = raw.map((v, i): ManifestEntry => {
    const field = `files[${i}]`;
    const e = object(v, field);
    const p = checkPath(e.path, `${field}.path`);
    const key = Buffer.from(p, 'utf8');
    if (previous) {
      const order = Buffer.compare(previous, key);
      if (order === 0) fail(`${field}.path`, `${JSON.stringify(p)} appears twice`);
      if (order > 0) fail(`${field}.path`, `${JSON.stringify(p)} is out of order (paths are sorted by their UTF-8 bytes)`);
    }
    previous = key;
    const size = checkSize(e.size, `${field}.size`);
    sum += BigInt(size);
    return { path: p, size, root: checkRoot(e.root, `${field}.root`) };
  });
  if (BigInt(totalBytes) !== sum) fail('totalBytes', `is ${totalBytes} but the files add up to ${sum}`);
  const actual = manifestRoot(files);
  if (actual !== root) fail('root', `is ${root} but the files' tree has root ${actual}`, 'MANIFEST_ROOT_MISMATCH');
  return { type: 'machina.dataset-manifest', version: 1, chunkSize: CHUNK_SIZE, root, totalBytes, files };
}

/** A relative POSIX path with no empty, `.` or `..` segment, no NUL, and valid Unicode (so its UTF-8 is exact). */
function checkPath(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') fail(field, `must be a non-empty string (got ${describe(v)})`);
  const p = v as string;
  if (p.startsWith('/')) fail(field, `must be relative (got ${JSON.stringify(p)})`);
  if (p.includes('\0')) fail(field, 'must not contain a NUL character');
  if (Buffer.from(p, 'utf8').toString('utf8') !== p) fail(field, `must be valid Unicode (got ${JSON.stringify(p)})`);
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') fail(field, `must be a POSIX path without empty, "." or ".." segments (got ${JSON.stringify(p)})`);
  }
  return p;
}

function checkSize(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DECIMAL.test(v) || BigInt(v) > UINT256_MAX) fail(field, `must be a decimal string of bytes without leading zeros (got ${describe(v)})`);
  return v as string;
}

function checkRoot(v: unknown, field: string): Hex {
  if (typeof v !== 'string' || !BYTES32.test(v)) fail(field, `must be 32 bytes of hex, 0x + 64 digits (got ${describe(v)})`);
  return (v as string).toLowerCase() as Hex;
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, `must be an object (got ${describe(v)})`);
  return v as Record<string, unknown>;
}

function fail(field: string, reason: string, code = 'MALFORMED_MANIFEST'): never {
  throw new ProvenanceError(field, reason, code);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 80 ? `"${v.slice(0, 77)}..."` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
