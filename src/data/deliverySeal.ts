// The sending side of a delivery, for the node: the frames for a licensee, each file sealed to its key and carrying
// its manifest inclusion proof. Every file is hashed before it is sealed, so a node whose stored copy changed stops
// with an error frame instead of shipping data that does not match the chain.
import type { Hex } from 'viem';
import { hashBytes } from '../provenance/hash.ts';
import { manifestTree } from '../provenance/manifest.ts';
import type { Manifest, ManifestEntry } from '../provenance/types.ts';
import { encryptTo } from './crypto.ts';
import { encodeFrame, type ExcludedContributor } from './deliveryFormat.ts';
import { InvalidDataInputError } from './errors.ts';

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
};

/**
 * The frames of a delivery, encoded, one at a time: a header, then one sealed file per path. A file whose bytes do
 * not hash to its manifest entry (or cannot be read) ends the stream with an error frame.
 * @example
 * for await (const bytes of sealDelivery({ listingId, licenceId, manifest, paths, excluded, publicKey, read })) stream.write(bytes)
 */
export async function* sealDelivery(p: SealDeliveryParameters): AsyncGenerator<Uint8Array> {
  const index = new Map(p.manifest.files.map((f, i) => [f.path, i]));
  const missing = p.paths.find((x) => !index.has(x));
  if (missing !== undefined) throw new InvalidDataInputError('paths', `${JSON.stringify(missing)} is not in the manifest`);
  const tree = manifestTree(p.manifest);
  yield encodeFrame({
    kind: 'header',
    header: {
      type: 'machina.data-delivery',
      version: 1,
      listingId: String(p.listingId),
      licenceId: String(p.licenceId),
      root: p.manifest.root,
      files: p.paths.length,
      excluded: p.excluded,
    },
  });
  for (const path of p.paths) {
    const i = index.get(path)!;
    const entry = p.manifest.files[i]!;
    let bytes: Uint8Array;
    try {
      bytes = await p.read(entry);
    } catch (e) {
      yield encodeFrame({ kind: 'error', error: { code: 'FILE_UNREADABLE', message: `${path}: the node cannot read its copy (${(e as Error)?.message ?? String(e)})` } });
      return;
    }
    const digest = hashBytes(bytes);
    if (digest.root !== entry.root || digest.size !== BigInt(entry.size)) {
      yield encodeFrame({ kind: 'error', error: { code: 'FILE_CHANGED', message: `${path}: the node's copy no longer matches the manifest` } });
      return;
    }
    yield encodeFrame({ kind: 'file', file: { path, size: bytes.length, fileRoot: entry.root, proof: tree.proof(i) }, box: encryptTo(p.publicKey, bytes) });
  }
}
