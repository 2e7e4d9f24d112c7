// Folders: the walk that lists a directory's regular files in manifest order (refusing links and
// special files by name), hashing many files at once with bounded concurrency and reused buffers,
// and the directory manifest built from them.
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ProvenanceError } from './errors.ts';
import { blockPair, ChunkDigester, digestOf, fsClose, fsStat, kindOf, openRegular, readInto, reason, type Blocks, type FileDigest, type FileKind } from './hash.ts';
import { buildManifest, sortByUtf8 } from './manifest.ts';
import { CHUNK_SIZE, type Manifest, type ManifestEntry } from './types.ts';

type Stats = fs.Stats;
/** Files hashed at once by a directory walk. */
const DEFAULT_CONCURRENCY = 32;

export type DirectoryProgress = { files: number; totalFiles: number; bytes: bigint; totalBytes: bigint };

export type HashDirectoryOptions = {
  onProgress?: ((p: DirectoryProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Files hashed at once (default 32): enough to hide open/read latency of small files, few enough for fds. */
  concurrency?: number | undefined;
};

/** A regular file found under a directory: its manifest path (POSIX, relative) and where it is on disk. */
export type FoundFile = { path: string; file: string; size: bigint };

export type WalkOptions = { signal?: AbortSignal | undefined; allowEmptyDirs?: boolean | undefined };

/**
 * Every regular file under `dir`, sorted by the UTF-8 bytes of its relative path. Symbolic links,
 * special files and unreadable entries stop the walk with an error naming them; so does an empty
 * directory, which a manifest could not bring back (unless `allowEmptyDirs`).
 */
export async function listFiles(dir: string, opts: WalkOptions = {}): Promise<FoundFile[]> {
  let top: Stats;
  try {
    top = await fsStat(dir);
  } catch (e) {
    throw new ProvenanceError(dir, `cannot read: ${reason(e)}`, 'UNREADABLE_FILE');
  }
  if (!top.isDirectory()) throw new ProvenanceError(dir, `not a directory (${kindOf(top)})`, 'UNSUPPORTED_FILE');
  const found: { path: string; file: string }[] = [];
  const walk = async (abs: string, rel: string) => {
    opts.signal?.throwIfAborted();
    const shown = rel === '' ? dir : rel;
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      throw new ProvenanceError(shown, `cannot read directory: ${reason(e)}`, 'UNREADABLE_FILE');
    }
    if (entries.length === 0 && !opts.allowEmptyDirs) {
      throw new ProvenanceError(shown, rel === '' ? 'the directory holds no files' : 'is an empty directory, which a manifest cannot record; remove it or add a file', 'UNSUPPORTED_FILE');
    }
    // readdir decodes a name that is not UTF-8 with U+FFFD in place of the bad bytes: a manifest path
    // that names no file on disk. Only then are the raw names read, to tell it from a real U+FFFD.
    if (entries.some((d) => d.name.includes('\uFFFD'))) await checkUtf8Names(abs, rel);
    for (const dirent of entries) {
      const childRel = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      const childAbs = path.join(abs, dirent.name);
      const e = knownType(dirent) ? dirent : lstatOf(childAbs, childRel);
      if (e.isDirectory()) await walk(childAbs, childRel);
      else if (e.isFile()) found.push({ path: childRel, file: childAbs });
      else if (e.isSymbolicLink()) throw new ProvenanceError(childRel, 'is a symbolic link; only regular files are hashed (copy the target in, or remove the link)', 'UNSUPPORTED_FILE');
      else throw new ProvenanceError(childRel, `not a regular file (${kindOf(e)})`, 'UNSUPPORTED_FILE');
    }
  };
  await walk(dir, '');
  if (found.length === 0 && !opts.allowEmptyDirs) throw new ProvenanceError(dir, 'the directory holds no files', 'UNSUPPORTED_FILE');
  // lstat answers from the inode cache in microseconds; through libuv's pool each costs several
  // times that, so these run on this thread, yielding every few milliseconds.
  const slice = timeSlicer();
  const withSizes: FoundFile[] = [];
  for (const f of found) {
    await slice();
    opts.signal?.throwIfAborted();
    const st = lstatOf(f.file, f.path);
    if (!st.isFile()) throw new ProvenanceError(f.path, `not a regular file (${kindOf(st)})`, 'UNSUPPORTED_FILE');
    withSizes.push({ ...f, size: BigInt(st.size) });
  }
  return sortByUtf8(withSizes, (f) => f.path);
}

/** Refuses the first entry of `abs` whose name is not valid UTF-8, naming it as readdir decoded it. */
async function checkUtf8Names(abs: string, rel: string): Promise<void> {
  let raw: Buffer[];
  try {
    raw = await readdir(abs, { encoding: 'buffer' });
  } catch (e) {
    throw new ProvenanceError(rel === '' ? abs : rel, `cannot read directory: ${reason(e)}`, 'UNREADABLE_FILE');
  }
  for (const name of raw) {
    if (isUtf8(name)) continue;
    const shown = name.toString('utf8');
    throw new ProvenanceError(rel === '' ? shown : `${rel}/${shown}`, 'file name is not valid UTF-8', 'UNSUPPORTED_FILE');
  }
}

// Some file systems (certain network and FUSE ones) report no type in directory entries.
const knownType = (e: FileKind) => e.isFile() || e.isDirectory() || e.isSymbolicLink() || e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice();

function lstatOf(file: string, name: string): Stats {
  try {
    return fs.lstatSync(file);
  } catch (e) {
    throw new ProvenanceError(name, `cannot read: ${reason(e)}`, 'UNREADABLE_FILE');
  }
}

/** Maps `items` with at most `limit` calls in flight, keeping order; the first failure rejects. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number, slot: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const run = async (slot: number) => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i, slot);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, (_, slot) => run(slot)));
  return out;
}

/**
 * Files up to this size are read with synchronous calls on this thread: open, fstat, one read and
 * close cost a few microseconds from the page cache, against tens through libuv's pool (measured:
 * 10,000 small files in about 0.2 s instead of 0.5-1 s). Larger files take the asynchronous path,
 * whose reads overlap with hashing.
 */
const SMALL_FILE = 256 * 1024;
/** How long synchronous work runs before yielding to the event loop (timers, sockets, progress). */
const SLICE_MS = 8;

function timeSlicer(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}

function hashSmallFile(f: FoundFile, buf: Buffer): FileDigest {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(f.file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new ProvenanceError(f.path, 'is a symbolic link; only regular files are hashed', 'UNSUPPORTED_FILE');
    throw new ProvenanceError(f.path, `cannot read: ${reason(e)}`, 'UNREADABLE_FILE');
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ProvenanceError(f.path, `not a regular file (${kindOf(st)})`, 'UNSUPPORTED_FILE');
    const d = new ChunkDigester();
    // A file that grew since it was listed is read to its end all the same. The end is a read of 0
    // bytes, or a short read that reaches the size fstat gave; a short read before it (NFS, FUSE)
    // is only part of the file.
    const size = st.size;
    for (let pos = 0; ; ) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, pos);
      } catch (e) {
        throw new ProvenanceError(f.path, `cannot read: ${reason(e)}`, 'UNREADABLE_FILE');
      }
      if (n === 0) break;
      d.update(buf.subarray(0, n));
      pos += n;
      if (n < buf.length && pos >= size) break;
    }
    return digestOf(d.finish(), d.size);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Digests of the given files, hashed `concurrency` at a time; each slot reuses its own buffers.
 * `onFile` runs as each finishes, `onBytes` as bytes are read.
 */
export async function hashFiles(files: readonly FoundFile[], opts: { concurrency?: number | undefined; signal?: AbortSignal | undefined; onBytes?: (n: bigint) => void; onFile?: (f: FoundFile, d: FileDigest) => void } = {}): Promise<FileDigest[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  // Each slot's blocks are only as big as the largest file it might meet, up to 1 MiB: 32 slots of
  // small files should not cost 64 MiB of buffers.
  const largest = files.reduce((m, f) => (f.size > m ? f.size : m), 0n);
  const blockBytes = Math.max(4096, Math.min(CHUNK_SIZE, Number(largest) + 1));
  const slots: (Blocks | undefined)[] = [];
  const small = Buffer.allocUnsafe(SMALL_FILE + 1);
  const slice = timeSlicer();
  return pool(
    files,
    concurrency,
    async (f, _i, slot) => {
      if (f.size <= SMALL_FILE) {
        await slice();
        const digest = hashSmallFile(f, small);
        opts.onBytes?.(digest.size);
        opts.onFile?.(f, digest);
        return digest;
      }
      const blocks = (slots[slot] ??= blockPair(blockBytes));
      const fd = await openRegular(f.file, f.path, true);
      try {
        const d = new ChunkDigester();
        let seen = 0n;
        await readInto(fd, d, blocks, {
          name: f.path,
          size: f.size,
          signal: opts.signal,
          onBytes: (done) => {
            opts.onBytes?.(done - seen);
            seen = done;
          },
        });
        const digest = digestOf(d.finish(), d.size);
        opts.onFile?.(f, digest);
        return digest;
      } finally {
        await fsClose(fd);
      }
    },
    opts.signal,
  );
}

/**
 * Hashes `files` while keeping one progress record (files and bytes done of the totals), reported
 * at the start, after each file and after each chunk-sized read.
 */
export async function hashFilesWithProgress(files: readonly FoundFile[], opts: { concurrency?: number | undefined; signal?: AbortSignal | undefined; onProgress?: ((p: DirectoryProgress) => void) | undefined } = {}): Promise<FileDigest[]> {
  const totalBytes = files.reduce((s, f) => s + f.size, 0n);
  const progress: DirectoryProgress = { files: 0, totalFiles: files.length, bytes: 0n, totalBytes };
  const report = () => opts.onProgress?.({ ...progress });
  report();
  return hashFiles(files, {
    concurrency: opts.concurrency,
    signal: opts.signal,
    onBytes: (n) => {
      progress.bytes += n;
      if (n >= BigInt(CHUNK_SIZE)) report();
    },
    onFile: () => {
      progress.files++;
      report();
    },
  });
}

/**
 * The manifest of every regular file under `dir` (recursive): POSIX relative paths sorted by UTF-8
 * bytes, sizes, file roots, and the manifest root, the directory's digest.
 *
 * @example const m = await hashDirectory('data/v2', { onProgress: (p) => bar(p.bytes, p.totalBytes) }); m.root
 */
export async function hashDirectory(dir: string, opts: HashDirectoryOptions = {}): Promise<Manifest> {
  const files = await listFiles(dir, { signal: opts.signal });
  const digests = await hashFilesWithProgress(files, opts);
  const entries: ManifestEntry[] = files.map((f, i) => ({ path: f.path, size: digests[i]!.size.toString(), root: digests[i]!.root }));
  return buildManifest(entries);
}
