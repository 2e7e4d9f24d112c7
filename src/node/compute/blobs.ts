// The node's content-addressed blob store, where buyers put workloads and inputs and providers put
// outputs: a blob's name is the sha256 of its bytes, so whoever fetches it can check what it got.
// Files live under <dir>/<first two hex digits>/<digest hex>; a write goes to a temporary file that is
// renamed into place, so a reader never sees half a blob and storing the same bytes twice is a no-op.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Hex } from 'viem';

/** Default largest blob accepted: 64 MiB (an ONNX model with its inputs fits). */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;

export type BlobStore = {
  /** Largest blob accepted, in bytes. */
  maxBytes: number;
  /** Stores `bytes` under their sha256; `created` is false when the blob was already there. */
  put(bytes: Uint8Array): Promise<{ digest: Hex; size: number; created: boolean }>;
  /** The blob's size, or undefined when the store does not hold it. */
  size(digest: Hex): Promise<number | undefined>;
  /** The blob as a web stream, or undefined when the store does not hold it. */
  open(digest: Hex): Promise<{ size: number; stream: ReadableStream<Uint8Array> } | undefined>;
  /** The whole blob, or undefined. */
  get(digest: Hex): Promise<Buffer | undefined>;
};

const DIGEST = /^0x[0-9a-f]{64}$/;

/**
 * sha256 of `bytes` as 0x-prefixed lower-case hex (a bytes32).
 * @example
 * blobDigest(new TextEncoder().encode('hi')) // '0x8f43…'
 */
export function blobDigest(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A blob store in `dir` (created on first write).
 * @example
 * const blobs = createBlobStore({ dir: path.join(dataDir, 'blobs') })
 * const { digest } = await blobs.put(bytes)
 */
export function createBlobStore({ dir, maxBytes = DEFAULT_MAX_BLOB_BYTES }: { dir: string; maxBytes?: number }): BlobStore {
  const fileOf = (digest: Hex) => {
    const d = digest.toLowerCase();
    if (!DIGEST.test(d)) throw new Error(`not a sha256 digest: ${digest}`);
    return path.join(dir, d.slice(2, 4), d.slice(2));
  };
  const size = async (digest: Hex) => {
    try {
      const st = await stat(fileOf(digest));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    maxBytes,
    async put(bytes) {
      if (bytes.byteLength > maxBytes) throw new RangeError(`blob of ${bytes.byteLength} bytes exceeds ${maxBytes}`);
      const digest = blobDigest(bytes);
      const file = fileOf(digest);
      if ((await size(digest)) === bytes.byteLength) return { digest, size: bytes.byteLength, created: false };
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, bytes, { flag: 'wx' });
        // Same bytes under the same name: a concurrent writer's rename is as good as ours.
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true }).catch(() => {});
        throw err;
      }
      return { digest, size: bytes.byteLength, created: true };
    },
    size,
    async open(digest) {
      const n = await size(digest);
      if (n === undefined) return undefined;
      return { size: n, stream: Readable.toWeb(createReadStream(fileOf(digest))) as ReadableStream<Uint8Array> };
    },
    async get(digest) {
      const n = await size(digest);
      if (n === undefined) return undefined;
      return readFile(fileOf(digest));
    },
  };
}
