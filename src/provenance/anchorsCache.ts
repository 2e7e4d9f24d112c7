// Saved block data for `machina verify --offline`: the anchors (root, block, time, submitter) that
// online verifies, `machina anchor --wait` and `machina anchors` saw on chain, kept per chain under
// the CLI's data directory, so that a receipt can later be checked with no RPC at all.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getAddress, isAddress, type Hex } from 'viem';
import { ProvenanceError } from './errors.ts';
import type { SavedAnchor } from './types.ts';

export type SavedAnchorsFile = { type: 'machina.saved-anchors'; version: 1; anchors: SavedAnchor[] };

/** `<dataDir>/saved-anchors/<chainId>.json`. */
export function anchorsCacheFile(dataDir: string, chainId: number): string {
  return path.join(dataDir, 'saved-anchors', `${chainId}.json`);
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

function parseAnchor(v: unknown, field: string): SavedAnchor {
  const bad = (f: string, reason: string): never => {
    throw new ProvenanceError(`${field}.${f}`, reason, 'MALFORMED_ANCHORS');
  };
  if (typeof v !== 'object' || v === null) return bad('', 'must be an object');
  const a = v as Record<string, unknown>;
  const b32 = (f: string): Hex => (typeof a[f] === 'string' && BYTES32.test(a[f] as string) ? ((a[f] as string).toLowerCase() as Hex) : bad(f, 'must be 32 bytes of hex'));
  const addr = (f: string) => (typeof a[f] === 'string' && isAddress(a[f] as string, { strict: false }) ? getAddress(a[f] as string) : bad(f, 'must be a 20-byte hex address'));
  const int = (f: string) => (typeof a[f] === 'number' && Number.isInteger(a[f]) && (a[f] as number) >= 0 ? (a[f] as number) : bad(f, 'must be a non-negative integer'));
  const blockNumber = typeof a.blockNumber === 'number' || typeof a.blockNumber === 'bigint' ? String(a.blockNumber) : a.blockNumber;
  if (typeof blockNumber !== 'string' || !/^\d{1,20}$/.test(blockNumber)) bad('blockNumber', 'must be a decimal block number');
  return {
    root: b32('root'),
    chainId: int('chainId'),
    registry: addr('registry'),
    txHash: b32('txHash'),
    blockNumber: blockNumber as string,
    blockHash: b32('blockHash'),
    timestamp: int('timestamp'),
    submitter: addr('submitter'),
  };
}

/**
 * Parses saved block data: `{anchors: [...]}` (this module's file and `machina anchors --json`),
 * `{items: [...]}` (a node's GET /v1/anchors page) or a bare array. Rows lacking chainId or registry
 * take `defaults`. Throws a ProvenanceError naming the bad row and field.
 * @example
 * const saved = parseSavedAnchors(JSON.parse(text), { chainId: 31337, registry })
 */
export function parseSavedAnchors(json: unknown, defaults: Partial<Pick<SavedAnchor, 'chainId' | 'registry'>> = {}, source = 'anchors'): SavedAnchor[] {
  const rows = Array.isArray(json) ? json : typeof json === 'object' && json !== null ? ((json as { anchors?: unknown }).anchors ?? (json as { items?: unknown }).items) : undefined;
  if (!Array.isArray(rows)) throw new ProvenanceError(source, 'must hold a list of anchors ({"anchors": [...]}, a node\'s {"items": [...]}, or an array)', 'MALFORMED_ANCHORS');
  const withDefaults = (row: Record<string, unknown>) => {
    const out = { ...row };
    for (const [k, v] of Object.entries(defaults)) if (out[k] === undefined || out[k] === null) out[k] = v;
    return out;
  };
  return rows.map((row, i) => parseAnchor(typeof row === 'object' && row !== null ? withDefaults(row as Record<string, unknown>) : row, `${source}[${i}]`));
}

/**
 * Reads a saved-anchors file (from --anchors or the cache). A missing cache file is an empty list.
 * @example
 * const saved = readSavedAnchors('anchors.json')
 */
export function readSavedAnchors(file: string, { missingOk = false } = {}): SavedAnchor[] {
  if (!existsSync(file)) {
    if (missingOk) return [];
    throw new ProvenanceError('--anchors', `no such file: ${file}`, 'MALFORMED_ANCHORS');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProvenanceError(file, `is not JSON (${(err as Error).message})`, 'MALFORMED_ANCHORS');
  }
  return parseSavedAnchors(json, {}, path.basename(file));
}

/** The saved anchors of `chainId` in the CLI's data directory. */
export function loadAnchorsCache(dataDir: string, chainId: number): SavedAnchor[] {
  return readSavedAnchors(anchorsCacheFile(dataDir, chainId), { missingOk: true });
}

const keyOf = (a: SavedAnchor) => `${a.chainId}:${a.registry.toLowerCase()}:${a.root.toLowerCase()}`;

/**
 * Adds `anchors` to the cache of their chains (a root seen again replaces the old row), writing each
 * file atomically so a crash never leaves half a file. Returns how many rows each file now holds.
 * @example
 * saveAnchors(settings.dataDir, [savedAnchor])
 */
export function saveAnchors(dataDir: string, anchors: readonly SavedAnchor[]): Map<number, number> {
  const byChain = new Map<number, SavedAnchor[]>();
  for (const a of anchors) byChain.set(a.chainId, [...(byChain.get(a.chainId) ?? []), a]);
  const counts = new Map<number, number>();
  for (const [chainId, rows] of byChain) {
    const file = anchorsCacheFile(dataDir, chainId);
    // A damaged cache is rebuilt rather than blocking the save: the chain is the source of truth.
    let existing: SavedAnchor[] = [];
    try {
      existing = readSavedAnchors(file, { missingOk: true });
    } catch {
      existing = [];
    }
    const merged = new Map(existing.map((a) => [keyOf(a), a]));
    for (const a of rows) merged.set(keyOf(a), a);
    const out: SavedAnchorsFile = { type: 'machina.saved-anchors', version: 1, anchors: [...merged.values()].sort((x, y) => Number(BigInt(x.blockNumber) - BigInt(y.blockNumber)) || x.root.localeCompare(y.root)) };
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(out, null, 1)}\n`);
    renameSync(tmp, file);
    counts.set(chainId, out.anchors.length);
  }
  return counts;
}
