// The node's content-addressed blob store, where buyers put workloads and inputs and providers put
// outputs: a blob's name is the sha256 of its bytes, so whoever fetches it can check what it got.
// Files live under <dir>/<first two hex digits>/<digest hex>. An upload is streamed to a temporary file
// while it is hashed (never held whole in memory) and renamed into place once its digest is known, so a
// reader never sees half a blob and storing the same bytes twice is a no-op.
// Anyone who reaches the node may store: a cap per blob and a quota on the whole store (bytes held plus
// bytes being uploaded) bound what they can make it keep. Temporary files a crash left behind are removed
// when the store opens.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open as openFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Hex } from 'viem';

/** Default largest blob accepted: 64 MiB (an ONNX model with its inputs fits). */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
/** Default total the store may hold: 2 GiB. */
export const DEFAULT_BLOB_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** Why a put was refused: `too-large` (over the per-blob cap), `quota` (the store is full), `digest-mismatch` (not the bytes announced). */
export class BlobStoreError extends Error {
  override name = 'BlobStoreError';
  constructor(
    readonly reason: 'too-large' | 'quota' | 'digest-mismatch',
    message: string,
  ) {
    super(message);
  }
}

export type BlobPutResult = { digest: Hex; size: number; created: boolean };

export type BlobStore = {
  /** Largest blob accepted, in bytes. */
  maxBytes: number;
  /** Total bytes the store may hold. */
  quotaBytes: number;
  /** Stores `bytes` under their sha256; `created` is false when the blob was already there. */
  put(bytes: Uint8Array): Promise<BlobPutResult>;
  /**
   * Stores a stream of bytes under their sha256, written to disk as it arrives. `expectedDigest` (when given)
   * must match, else nothing is kept; when the store already holds that digest the bytes are only hashed, and
   * do not count against the quota. `declaredSize` (a Content-Length) is checked before anything is read.
   * Throws BlobStoreError.
   */
  putStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>, opts?: { expectedDigest?: string | undefined; declaredSize?: number | undefined }): Promise<BlobPutResult>;
  /** The blob's size, or undefined when the store does not hold it. */
  size(digest: Hex): Promise<number | undefined>;
  /** The blob as a web stream, or undefined when the store does not hold it. */
  open(digest: Hex): Promise<{ size: number; stream: ReadableStream<Uint8Array> } | undefined>;
  /** The whole blob, or undefined. */
  get(digest: Hex): Promise<Buffer | undefined>;
  /** Bytes held (stored blobs) and bytes being uploaded now. */
  usage(): Promise<{ stored: number; uploading: number; quota: number }>;
};

const DIGEST = /^0x[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

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
 * const blobs = createBlobStore({ dir: path.join(dataDir, 'blobs'), maxBytes: 64 << 20, quotaBytes: 2 ** 31 })
 * const { digest } = await blobs.put(bytes)
 */
export function createBlobStore({ dir, maxBytes = DEFAULT_MAX_BLOB_BYTES, quotaBytes = DEFAULT_BLOB_QUOTA_BYTES }: { dir: string; maxBytes?: number; quotaBytes?: number }): BlobStore {
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

  // What the store holds, counted once when it opens (removing what a crash left half-written) and kept
  // up to date by puts; `uploading` is what uploads in flight have written so far.
  let stored = 0;
  let uploading = 0;
  let opened: Promise<void> | undefined;
  const committing = new Map<string, Promise<void>>();
  const ready = () =>
    (opened ??= (async () => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return;
      }
      for (const name of names) {
        if (name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true }).catch(() => {});
        if (!/^[0-9a-f]{2}$/.test(name)) continue;
        const shard = path.join(dir, name);
        for (const blob of await readdir(shard).catch(() => [] as string[])) {
          const file = path.join(shard, blob);
          if (blob.endsWith('.tmp')) await rm(file, { force: true }).catch(() => {});
          else if (HEX64.test(blob)) stored += await stat(file).then((s) => (s.isFile() ? s.size : 0), () => 0);
        }
      }
    })());

  const full = (adding: number) =>
    new BlobStoreError('quota', `the node's blob store is full: it holds ${stored} bytes (${uploading} more being uploaded) of its ${quotaBytes}-byte quota, and this blob needs ${adding} more`);
  const tooLarge = (n: number | string) => new BlobStoreError('too-large', `blob of ${n} bytes exceeds the node's ${maxBytes}-byte cap per blob`);

  const putStream: BlobStore['putStream'] = async (source, opts = {}) => {
    await ready();
    const expected = opts.expectedDigest?.toLowerCase();
    if (opts.declaredSize !== undefined && opts.declaredSize > maxBytes) throw tooLarge(opts.declaredSize);
    // Bytes the store already holds are only hashed: re-storing them costs no disk and no quota.
    const have = expected && DIGEST.test(expected) ? await size(expected as Hex) : undefined;
    if (have === undefined && opts.declaredSize !== undefined && stored + uploading + opts.declaredSize > quotaBytes) throw full(opts.declaredSize);
    const hash = createHash('sha256');
    let tmp: string | undefined;
    let fh: Awaited<ReturnType<typeof openFile>> | undefined;
    let n = 0;
    let reserved = 0;
    try {
      if (have === undefined) {
        await mkdir(dir, { recursive: true });
        tmp = path.join(dir, `upload.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
        fh = await openFile(tmp, 'wx');
      }
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        n += chunk.byteLength;
        if (n > maxBytes) throw tooLarge(`more than ${maxBytes}`);
        hash.update(chunk);
        if (fh) {
          if (stored + uploading + chunk.byteLength > quotaBytes) throw full(n);
          uploading += chunk.byteLength;
          reserved += chunk.byteLength;
          await fh.write(chunk);
        }
      }
      const digest = `0x${hash.digest('hex')}` as Hex;
      if (expected !== undefined && expected !== digest) throw new BlobStoreError('digest-mismatch', `the body's sha256 is ${digest}, not ${expected.slice(0, 80)}`);
      if (!fh || !tmp) return { digest, size: n, created: false };
      await fh.close();
      fh = undefined;
      const file = fileOf(digest);
      const from = tmp;
      // One commit per digest at a time, so concurrent uploads of the same bytes are counted once.
      const commit = (committing.get(digest) ?? Promise.resolve()).then(async () => {
        const before = await size(digest);
        if (before === n) return false;
        await mkdir(path.dirname(file), { recursive: true });
        await rename(from, file);
        stored += n - (before ?? 0);
        return true;
      });
      const tail = commit.then(() => {}, () => {});
      committing.set(digest, tail);
      try {
        const created = await commit;
        if (created) tmp = undefined;
        return { digest, size: n, created };
      } finally {
        if (committing.get(digest) === tail) committing.delete(digest);
      }
    } finally {
      uploading -= reserved;
      await fh?.close().catch(() => {});
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
    }
  };

  return {
    maxBytes,
    quotaBytes,
    put: (bytes) => putStream([bytes], { declaredSize: bytes.byteLength }),
    putStream,
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
    async usage() {
      await ready();
      return { stored, uploading, quota: quotaBytes };
    },
  };
}
