// File digests: SHA-256 of each 1 MiB chunk under an OpenZeppelin standard tree. Expected roots are
// computed independently here (node:crypto + @openzeppelin/merkle-tree), so the format is pinned to
// what OpenZeppelin's MerkleProof verifies on chain; files, streams and bytes agree; bad input is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, read, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { ProvenanceError } from '../../src/provenance/errors.ts';
import { blockPair, ChunkDigester, digestOf, hashBytes, hashFile, hashStream, readInto, type PositionalRead } from '../../src/provenance/hash.ts';
import { CHUNK_SIZE } from '../../src/provenance/types.ts';

const MiB = CHUNK_SIZE;
let dir: string;

const sha256 = (b: Uint8Array) => `0x${createHash('sha256').update(b).digest('hex')}`;
/** The reference: OpenZeppelin's standard tree over ['bytes32'] chunk digests, leaves in chunk order. */
function expectedRoot(bytes: Uint8Array): string {
  const chunks: string[][] = [];
  for (let at = 0; at < bytes.length; at += MiB) chunks.push([sha256(bytes.subarray(at, at + MiB))]);
  if (chunks.length === 0) chunks.push([sha256(new Uint8Array(0))]);
  return StandardMerkleTree.of(chunks, ['bytes32'], { sortLeaves: false }).root;
}

/** Deterministic pseudo-random bytes (fast enough for tens of MiB). */
function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let block = createHash('sha256').update(`seed${seed}`).digest();
  for (let at = 0; at < n; at += 32) {
    out.set(block.subarray(0, Math.min(32, n - at)), at);
    if ((at & 0xffff) === 0) block = createHash('sha256').update(block).digest();
    else block[0] = (block[0]! + 1) & 0xff;
  }
  return out;
}

async function* pieces(bytes: Uint8Array, sizes: number[]) {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const write = (name: string, bytes: Uint8Array) => {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'machina-hash-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('known vectors', () => {
  test('a small file is one chunk: the standard leaf of its SHA-256 is the root', async () => {
    const hello = new TextEncoder().encode('hello world\n');
    const d = hashBytes(hello);
    assert.equal(d.root, expectedRoot(hello));
    assert.deepEqual({ size: d.size, chunks: d.chunks, chunkSize: d.chunkSize }, { size: 12n, chunks: 1, chunkSize: MiB });
    assert.deepEqual(await hashFile(write('hello.txt', hello)), d);
  });

  test('an empty file is one chunk, SHA-256 of nothing', async () => {
    const empty = new Uint8Array(0);
    const d = hashBytes(empty);
    assert.equal(d.root, StandardMerkleTree.of([[sha256(empty)]], ['bytes32'], { sortLeaves: false }).root);
    assert.deepEqual({ size: d.size, chunks: d.chunks }, { size: 0n, chunks: 1 });
    assert.deepEqual(await hashFile(write('empty', empty)), d);
    assert.deepEqual(await hashStream(pieces(empty, [1])), d);
  });

  test('3.5 MiB is four chunks, the last one short; file, stream and bytes agree', async () => {
    const bytes = bytesOf(3.5 * MiB, 1);
    const file = write('three-and-a-half', bytes);
    const d = await hashFile(file);
    assert.equal(d.root, expectedRoot(bytes));
    assert.deepEqual({ size: d.size, chunks: d.chunks }, { size: BigInt(bytes.length), chunks: 4 });
    assert.deepEqual(hashBytes(bytes), d);
    // Pieces that straddle chunk boundaries, and node's own stream of the file.
    assert.deepEqual(await hashStream(pieces(bytes, [777_777, 1, MiB, 3 * MiB + 5])), d);
    assert.deepEqual(await hashStream(createReadStream(file)), d);
  });

  test('an exact multiple of the chunk size has no trailing empty chunk', async () => {
    const bytes = bytesOf(2 * MiB, 2);
    const d = await hashFile(write('two', bytes));
    assert.equal(d.chunks, 2);
    assert.equal(d.root, expectedRoot(bytes));
  });

  test('one changed byte changes the root', async () => {
    const bytes = bytesOf(3 * MiB + 10, 3);
    const before = await hashFile(write('flip', bytes));
    bytes[2 * MiB + 7]! ^= 1;
    const after = await hashFile(write('flip', bytes));
    assert.notEqual(after.root, before.root);
    assert.equal(after.root, expectedRoot(bytes));
  });
});

describe('threads, progress and abort', () => {
  test('two worker threads over disjoint chunk ranges give the same root, with progress to the end', async () => {
    const bytes = bytesOf(40 * MiB + 123, 4);
    const file = write('forty', bytes);
    const one = await hashFile(file);
    const seen: bigint[] = [];
    const two = await hashFile(file, { threads: 2, onProgress: (done, total) => (assert.equal(total, BigInt(bytes.length)), seen.push(done)) });
    assert.deepEqual(two, one);
    assert.equal(one.root, expectedRoot(bytes));
    assert.equal(seen.at(-1), BigInt(bytes.length));
  });

  test('onProgress counts up to the size; an aborted hash rejects', async () => {
    const bytes = bytesOf(9 * MiB, 5);
    const file = write('nine', bytes);
    const seen: [bigint, bigint][] = [];
    await hashFile(file, { onProgress: (done, total) => seen.push([done, total]) });
    assert.ok(seen.length >= 2);
    assert.deepEqual(seen.at(-1), [BigInt(bytes.length), BigInt(bytes.length)]);
    assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1]![0]));

    const ctl = new AbortController();
    await assert.rejects(hashFile(file, { signal: ctl.signal, onProgress: () => ctl.abort() }), { name: 'AbortError' });
    const ctl2 = new AbortController();
    await assert.rejects(hashFile(file, { threads: 2, signal: ctl2.signal, onProgress: () => ctl2.abort() }), { name: 'AbortError' });
  });
});

describe('short reads', () => {
  /** fs.read that returns at most `cap` bytes a call, as NFS and FUSE may mid-file; counts its calls. */
  const capped = (cap: number) => {
    const calls = { n: 0 };
    const fn: PositionalRead = (fd, buffer, offset, length, position) =>
      new Promise((resolve, reject) => {
        calls.n++;
        read(fd, buffer, offset, Math.min(length, cap), position, (err, bytesRead) => (err ? reject(err) : resolve({ bytesRead, buffer })));
      });
    return { fn, calls };
  };
  const digestWith = async (file: string, size: bigint, pread: PositionalRead) => {
    const fd = openSync(file, 'r');
    try {
      const d = new ChunkDigester();
      await readInto(fd, d, blockPair(4 * MiB), { name: file, size, read: pread });
      return digestOf(d.finish(), d.size);
    } finally {
      closeSync(fd);
    }
  };

  test('a short read before the end is only part of the file: reading goes on to the end', async () => {
    const bytes = bytesOf(3 * MiB + 17, 7);
    const file = write('short-reads', bytes);
    const { fn } = capped(300_001);
    const d = await digestWith(file, BigInt(bytes.length), fn);
    assert.deepEqual({ root: d.root, size: d.size }, { root: expectedRoot(bytes), size: BigInt(bytes.length) });
    // The size is only where a short read may stop early: a stale one (the file shrank or grew) still reads to the end.
    assert.equal((await digestWith(file, BigInt(bytes.length) + 5n, fn)).root, expectedRoot(bytes));
    assert.equal((await digestWith(file, 10n, capped(4 * MiB).fn)).root, expectedRoot(bytes));
  });

  test('a short read that reaches the size ends the file without a final empty read', async () => {
    const bytes = bytesOf(5000, 8);
    const file = write('small-short', bytes);
    const { fn, calls } = capped(4 * MiB);
    assert.equal((await digestWith(file, BigInt(bytes.length), fn)).root, expectedRoot(bytes));
    assert.equal(calls.n, 1);
  });
});

describe('large files stream', () => {
  test('a 2 GiB (sparse) file hashes past 2^31 offsets with memory flat', async () => {
    const size = 2 * 2 ** 30 + 5;
    const file = path.join(dir, 'sparse');
    execFileSync('truncate', ['-s', String(size), file]);
    const zeroChunk = sha256(new Uint8Array(MiB));
    const leaves = Array.from({ length: 2 * 1024 }, () => [zeroChunk]);
    leaves.push([sha256(new Uint8Array(5))]);
    const expected = StandardMerkleTree.of(leaves, ['bytes32'], { sortLeaves: false }).root;
    const rss = process.memoryUsage.rss();
    let peak = rss;
    const d = await hashFile(file, { onProgress: () => (peak = Math.max(peak, process.memoryUsage.rss())) });
    assert.deepEqual({ root: d.root, size: d.size, chunks: d.chunks }, { root: expected, size: BigInt(size), chunks: 2 * 1024 + 1 });
    assert.ok(peak - rss < 64 * MiB, `rss grew by ${((peak - rss) / MiB).toFixed(0)} MiB`);
    rmSync(file);
  });
});

describe('refused input', () => {
  test('a directory, a FIFO and a missing file are named with the reason', async () => {
    mkdirSync(path.join(dir, 'sub'));
    await assert.rejects(hashFile(path.join(dir, 'sub')), (e: unknown) => e instanceof ProvenanceError && /sub: not a regular file \(a directory\)/.test(e.message));
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(hashFile(fifo), (e: unknown) => e instanceof ProvenanceError && /fifo: not a regular file \(a FIFO\)/.test(e.message));
    await assert.rejects(hashFile(path.join(dir, 'nope')), (e: unknown) => e instanceof ProvenanceError && /nope: cannot read: no such file/.test(e.message));
  });
});
