// The sending side of a delivery, for the node: the frames for a licensee, the header and each file (with its
// manifest inclusion proof) sealed to its key. Every file is hashed before it is sealed, so a node whose stored copy
// changed stops with an error frame instead of shipping data that does not match the chain. A file is sealed and
// handed over in segments (SEAL_SEGMENT_BYTES), so a delivery holds one file's bytes plus a segment or two, and a
// consumer that pulls slowly (backpressure) keeps it that way.
import type { Hex } from 'viem';
import { hashBytes } from '../provenance/hash.ts';
import { manifestTree } from '../provenance/manifest.ts';
import type { Manifest, ManifestEntry } from '../provenance/types.ts';
import { BOX_OVERHEAD, createSealer, normalizePublicKey } from './crypto.ts';
import { encodeFrame, fileBoxHead, FRAME_TYPES, framePrefix, sealHeaderFrame, type DeliveryFileHeader, type ExcludedContributor } from './deliveryFormat.ts';
import { InvalidDataInputError } from './errors.ts';

/** Plaintext bytes sealed per piece handed to the consumer. */
export const SEAL_SEGMENT_BYTES = 1 << 20;

export type SealDeliveryParameters = {
  listingId: bigint | string;
  licenceId: bigint | string;
  /** The whole dataset manifest (its root is the listing's root). */
  manifest: Manifest;
  /** Paths to deliver (in manifest order is best); every one must be in the manifest. */
  paths: readonly string[];
  excluded: ExcludedContributor[];
  /** The recipient's public key (recovered from its signed request). */
  publicKey: Hex;
  /** Reads one file's bytes. */
  read: (entry: ManifestEntry) => Promise<Uint8Array>;
  /** The detail of a file that could not be read or changed (it stays out of the stream, which travels in the clear). */
  onFileError?: ((path: string, detail: string) => void) | undefined;
  /** The manifest's tree when the caller keeps one (built from `manifest` otherwise). */
  tree?: ReturnType<typeof manifestTree> | undefined;
};

/** The error frame's message: the manifest path only, never where the node keeps the file. */
const unreadable = (path: string) => `a stored file of this dataset is unreadable or changed: ${path}`;

/**
 * The frames of a delivery, encoded, piece by piece: the sealed header, then each file's frame (its prefix, then its
 * box in segments). A file whose bytes do not hash to its manifest entry (or cannot be read) ends the stream with an
 * error frame naming its manifest path.
 * @example
 * for await (const bytes of sealDelivery({ listingId, licenceId, manifest, paths, excluded, publicKey, read })) stream.write(bytes)
 */
export async function* sealDelivery(p: SealDeliveryParameters): AsyncGenerator<Uint8Array> {
  const index = new Map(p.manifest.files.map((f, i) => [f.path, i]));
  const missing = p.paths.find((x) => !index.has(x));
  if (missing !== undefined) throw new InvalidDataInputError('paths', `${JSON.stringify(missing)} is not in the manifest`);
  const tree = p.tree ?? manifestTree(p.manifest);
  const recipient = normalizePublicKey(p.publicKey);
  yield sealHeaderFrame(p.publicKey, {
    type: 'machina.data-delivery',
    version: 1,
    listingId: String(p.listingId),
    licenceId: String(p.licenceId),
    root: p.manifest.root,
    files: p.paths.length,
    excluded: p.excluded,
  });
  for (const path of p.paths) {
    const i = index.get(path)!;
    const entry = p.manifest.files[i]!;
    let bytes: Uint8Array;
    try {
      bytes = await p.read(entry);
    } catch (e) {
      p.onFileError?.(path, (e as Error)?.message ?? String(e));
      yield encodeFrame({ kind: 'error', error: { code: 'FILE_UNREADABLE', message: unreadable(path) } });
      return;
    }
    const digest = hashBytes(bytes);
    if (digest.root !== entry.root || digest.size !== BigInt(entry.size)) {
      p.onFileError?.(path, `its bytes hash to ${digest.root} (${digest.size} bytes), not the manifest's ${entry.root} (${entry.size} bytes)`);
      yield encodeFrame({ kind: 'error', error: { code: 'FILE_CHANGED', message: unreadable(path) } });
      return;
    }
    yield* sealFileFrames(recipient, { path, size: bytes.length, fileRoot: entry.root, proof: tree.proof(i) }, bytes);
  }
}

// An encryptTo box (src/data/crypto.ts) produced in segments through its Sealer, so a large file is never copied
// whole; any DataKey opens it (test/data/delivery.test.ts checks they agree).
function* sealFileFrames(recipient: Hex, file: DeliveryFileHeader, bytes: Uint8Array): Generator<Uint8Array> {
  const head = fileBoxHead(file);
  const sealer = createSealer(recipient);
  const start = new Uint8Array(5 + sealer.header.length);
  start.set(framePrefix(FRAME_TYPES.file, BOX_OVERHEAD + head.length + bytes.length), 0);
  start.set(sealer.header, 5);
  yield start;
  yield sealer.update(head);
  for (let at = 0; at < bytes.length; at += SEAL_SEGMENT_BYTES) yield sealer.update(bytes.subarray(at, Math.min(bytes.length, at + SEAL_SEGMENT_BYTES)));
  yield sealer.final();
}
