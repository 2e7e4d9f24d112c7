// Dataset manifests: a directory's digest is the standard tree over (path, size, file root) in UTF-8
// path order, recomputed here with @openzeppelin/merkle-tree; one changed byte changes exactly that
// file's entry; diffs and directory checks name the files; every malformed manifest field is named;
// links, special files and empty directories are refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { ProvenanceError } from '../../src/provenance/errors.ts';
import { checkDirectory, diffManifests } from '../../src/provenance/diff.ts';
import { hashDirectory } from '../../src/provenance/directory.ts';
import { hashFile } from '../../src/provenance/hash.ts';
import { buildManifest, fileProof, manifestRoot, parseManifest } from '../../src/provenance/manifest.ts';
import { verifyProof } from '../../src/provenance/merkle/index.ts';
import { CHUNK_SIZE, type Manifest } from '../../src/provenance/types.ts';

const MiB = CHUNK_SIZE;
const TYPES = ['string', 'uint256', 'bytes32'];
let root: string;
let n = 0;
const fresh = () => path.join(root, `case${n++}`);

const sha256 = (b: Uint8Array) => `0x${createHash('sha256').update(b).digest('hex')}`;
function fileRootOf(bytes: Uint8Array): string {
  const chunks: string[][] = [];
  for (let at = 0; at < bytes.length; at += MiB) chunks.push([sha256(bytes.subarray(at, at + MiB))]);
  if (chunks.length === 0) chunks.push([sha256(bytes)]);
  return StandardMerkleTree.of(chunks, ['bytes32'], { sortLeaves: false }).root;
}

/** Writes `files` (relative path -> content) under a new directory. */
function tree(files: Record<string, string | Uint8Array>): string {
  const dir = fresh();
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

// '～' (U+FF5E) sorts before '😀' (U+1F600) by UTF-8 bytes but after it by UTF-16 units (JS's `<`);
// 'B' before 'a' (bytes, not locale); 'a/b' before 'a0' ('/' is 0x2f, '0' is 0x30).
const FILES: Record<string, string | Uint8Array> = {
  'a/b/c.txt': 'deep',
  a0: 'after the directory a',
  'B.txt': 'capital',
  'a.txt': '',
  '😀.json': '{"emoji":true}',
  '～.txt': 'wave dash',
  'big/weights.bin': new Uint8Array(2 * MiB + 3).fill(7),
};

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'machina-manifest-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('hashDirectory', () => {
  test('the root is the standard tree over (path, size, file root) in UTF-8 path order', async () => {
    const dir = tree(FILES);
    const progress: { files: number; bytes: bigint }[] = [];
    const m = await hashDirectory(dir, { onProgress: (p) => progress.push(p) });
    const order = ['B.txt', 'a.txt', 'a/b/c.txt', 'a0', 'big/weights.bin', '～.txt', '😀.json'];
    assert.deepEqual(m.files.map((f) => f.path), order);
    const values = order.map((p) => {
      const bytes = typeof FILES[p] === 'string' ? new TextEncoder().encode(FILES[p] as string) : (FILES[p] as Uint8Array);
      return [p, String(bytes.length), fileRootOf(bytes)];
    });
    assert.deepEqual(m.files.map((f) => [f.path, f.size, f.root]), values);
    assert.equal(m.root, StandardMerkleTree.of(values, TYPES, { sortLeaves: false }).root);
    assert.equal(m.totalBytes, String(values.reduce((s, v) => s + Number(v[1]), 0)));
    assert.deepEqual({ type: m.type, version: m.version, chunkSize: m.chunkSize }, { type: 'machina.dataset-manifest', version: 1, chunkSize: MiB });
    assert.equal(manifestRoot(m.files), m.root);
    assert.deepEqual(progress.at(-1), { files: 7, totalFiles: 7, bytes: BigInt(m.totalBytes), totalBytes: BigInt(m.totalBytes) });
    // The entry of a file equals hashFile of it.
    assert.equal(m.files[4]!.root, (await hashFile(path.join(dir, 'big/weights.bin'))).root);
  });

  test('manifest leaves match OpenZeppelin for long multi-byte paths and sizes past 2^64', () => {
    const root32 = (s: string) => sha256(new TextEncoder().encode(s)) as `0x${string}`;
    const entries = [
      { path: 'x', size: '0', root: root32('0') },
      { path: `${'dir/'.repeat(8)}données-😀-${'z'.repeat(31)}.parquet`, size: String(2n ** 64n + 5n), root: root32('1') },
      { path: 'y'.repeat(32), size: String(2n ** 256n - 1n), root: root32('2') },
    ];
    const values = entries.map((e) => [e.path, e.size, e.root]);
    assert.equal(manifestRoot(entries), StandardMerkleTree.of(values, TYPES, { sortLeaves: false }).root);
  });

  test('one changed byte changes exactly that file root and the manifest root', async () => {
    const dir = tree(FILES);
    const before = await hashDirectory(dir);
    writeFileSync(path.join(dir, 'a/b/c.txt'), 'deeP');
    const after = await hashDirectory(dir);
    assert.notEqual(after.root, before.root);
    const differing = after.files.filter((f, i) => f.root !== before.files[i]!.root).map((f) => f.path);
    assert.deepEqual(differing, ['a/b/c.txt']);
    const d = diffManifests(before, after);
    assert.deepEqual(d.changed.map((c) => c.path), ['a/b/c.txt']);
    assert.deepEqual([d.added, d.removed, d.unchanged], [[], [], 6]);
  });

  test('a file proof verifies against the root (OpenZeppelin and ours); another leaf does not', async () => {
    const m = await hashDirectory(tree(FILES));
    for (const f of m.files) {
      const { leaf, proof, root: r } = fileProof(m, f.path);
      assert.equal(r, m.root);
      assert.ok(StandardMerkleTree.verify(m.root, TYPES, [f.path, f.size, f.root], proof), f.path);
      assert.ok(verifyProof(m.root, leaf, proof));
    }
    const wrong = fileProof(m, 'a0');
    assert.equal(verifyProof(m.root, fileProof(m, 'B.txt').leaf, wrong.proof), false);
    assert.throws(() => fileProof(m, 'nope'), /path: "nope" is not in the manifest/);
  });

  test('symbolic links, special files and empty directories are refused, naming the path', async () => {
    const link = tree({ 'x.txt': 'x' });
    symlinkSync(path.join(link, 'x.txt'), path.join(link, 'y.txt'));
    await assert.rejects(hashDirectory(link), (e: unknown) => e instanceof ProvenanceError && /^y\.txt: is a symbolic link/.test(e.message));

    const fifo = tree({ 'x.txt': 'x' });
    mkdirSync(path.join(fifo, 'd'));
    execFileSync('mkfifo', [path.join(fifo, 'd/pipe')]);
    await assert.rejects(hashDirectory(fifo), (e: unknown) => e instanceof ProvenanceError && /^d\/pipe: not a regular file \(a FIFO\)/.test(e.message));

    const emptySub = tree({ 'x.txt': 'x' });
    mkdirSync(path.join(emptySub, 'nothing/here'), { recursive: true });
    await assert.rejects(hashDirectory(emptySub), (e: unknown) => e instanceof ProvenanceError && /^nothing\/here: is an empty directory/.test(e.message));

    const empty = fresh();
    mkdirSync(empty);
    await assert.rejects(hashDirectory(empty), /holds no files/);
    await assert.rejects(hashDirectory(path.join(root, 'missing')), /missing: cannot read: no such file/);
  });

  test('a file name that is not valid UTF-8 is refused, naming it; a real U+FFFD is a name like any other', async (t) => {
    const dir = tree({ 'x.txt': 'x', 'real\uFFFD.txt': 'replacement character' });
    const m = await hashDirectory(dir);
    assert.deepEqual(m.files.map((f) => f.path), ['real\uFFFD.txt', 'x.txt']);
    mkdirSync(path.join(dir, 'sub'));
    try {
      writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'sub', 'bad')), Buffer.from([0xff]), Buffer.from('.txt')]), 'not UTF-8');
    } catch (e) {
      t.skip(`this file system refuses a non-UTF-8 name (${(e as NodeJS.ErrnoException).code})`);
      return;
    }
    await assert.rejects(hashDirectory(dir), (e: unknown) => e instanceof ProvenanceError && e.message === 'sub/bad\uFFFD.txt: file name is not valid UTF-8');
  });

  test('10,000 small files hash in bounded concurrency', async () => {
    const dir = fresh();
    for (let i = 0; i < 100; i++) {
      mkdirSync(path.join(dir, `d${i}`), { recursive: true });
      for (let j = 0; j < 100; j++) writeFileSync(path.join(dir, `d${i}`, `f${j}.txt`), `file ${i}/${j}\n`);
    }
    const t = performance.now();
    const m = await hashDirectory(dir);
    const ms = performance.now() - t;
    assert.equal(m.files.length, 10_000);
    assert.equal(m.files[0]!.path, 'd0/f0.txt');
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
  });
});

describe('diffManifests and checkDirectory', () => {
  test('added, removed, changed and unchanged files', async () => {
    const v1 = await hashDirectory(tree({ 'keep.txt': 'k', 'edit.txt': 'one', 'drop.txt': 'd' }));
    const v2 = await hashDirectory(tree({ 'keep.txt': 'k', 'edit.txt': 'two', 'new/n.txt': 'n' }));
    const d = diffManifests(v1, v2);
    assert.deepEqual(d.added.map((f) => f.path), ['new/n.txt']);
    assert.deepEqual(d.removed.map((f) => f.path), ['drop.txt']);
    assert.deepEqual(d.changed.map((c) => [c.path, c.before.root, c.after.root]), [['edit.txt', v1.files.find((f) => f.path === 'edit.txt')!.root, v2.files.find((f) => f.path === 'edit.txt')!.root]]);
    assert.equal(d.unchanged, 1);
    assert.deepEqual(diffManifests(v1, v1), { added: [], removed: [], changed: [], unchanged: 3 });
  });

  test('checkDirectory reports changed, missing and extra files', async () => {
    const dir = tree({ 'a.txt': 'a', 'b/b.txt': 'b', 'c.txt': 'c' });
    const m = await hashDirectory(dir);
    assert.deepEqual(await checkDirectory(dir, m), { ok: true, changed: [], missing: [], extra: [] });
    appendFileSync(path.join(dir, 'b/b.txt'), '!');
    unlinkSync(path.join(dir, 'c.txt'));
    writeFileSync(path.join(dir, 'extra.txt'), 'e');
    const r = await checkDirectory(dir, m);
    assert.equal(r.ok, false);
    assert.deepEqual(r.changed, [{ path: 'b/b.txt', expected: m.files[1]!.root, actual: (await hashFile(path.join(dir, 'b/b.txt'))).root }]);
    assert.deepEqual([r.missing, r.extra], [['c.txt'], ['extra.txt']]);
  });
});

describe('parseManifest', () => {
  let good: Manifest;
  before(() => {
    const r = (s: string) => sha256(new TextEncoder().encode(s));
    good = buildManifest([
      { path: 'train/b.jsonl', size: '20', root: r('b') as `0x${string}` },
      { path: 'train/a.jsonl', size: '10', root: r('a') as `0x${string}` },
      { path: 'README.md', size: '0', root: r('') as `0x${string}` },
    ]);
  });
  const bad = (edit: (m: any) => void, field: string, why: RegExp) => {
    const m = JSON.parse(JSON.stringify(good));
    edit(m);
    assert.throws(
      () => parseManifest(m),
      (e: unknown) => e instanceof ProvenanceError && e.field === field && why.test(e.message),
      `expected ${field} ${why}`,
    );
  };

  test('a manifest survives JSON and parses to itself; buildManifest sorted it', () => {
    assert.deepEqual(good.files.map((f) => f.path), ['README.md', 'train/a.jsonl', 'train/b.jsonl']);
    assert.equal(good.totalBytes, '30');
    assert.deepEqual(parseManifest(JSON.parse(JSON.stringify(good))), good);
    const upper = JSON.parse(JSON.stringify(good));
    upper.root = upper.root.toUpperCase().replace('0X', '0x');
    assert.deepEqual(parseManifest(upper), good);
    assert.throws(() => buildManifest([...good.files, good.files[1]!]), (e: unknown) => e instanceof ProvenanceError && e.field === 'files' && /"train\/a.jsonl" appears twice/.test(e.message));
  });

  test('each malformed field is named', () => {
    assert.throws(() => parseManifest('nope'), (e: unknown) => e instanceof ProvenanceError && e.field === 'manifest');
    bad((m) => (m.type = 'something'), 'type', /must be "machina.dataset-manifest"/);
    bad((m) => (m.version = 2), 'version', /must be 1/);
    bad((m) => (m.chunkSize = 4096), 'chunkSize', /must be 1048576/);
    bad((m) => (m.root = '0x1234'), 'root', /32 bytes of hex/);
    bad((m) => (m.root = `0x${'00'.repeat(32)}`), 'root', /tree has root 0x/);
    bad((m) => (m.totalBytes = 30), 'totalBytes', /decimal string/);
    bad((m) => (m.totalBytes = '31'), 'totalBytes', /add up to 30/);
    bad((m) => (m.files = {}), 'files', /must be an array/);
    bad((m) => (m.files = []), 'files', /at least one file/);
    bad((m) => (m.files[1] = 'x'), 'files[1]', /must be an object/);
    bad((m) => (m.files[1].path = '/etc/passwd'), 'files[1].path', /relative/);
    bad((m) => (m.files[1].path = 'train/../a.jsonl'), 'files[1].path', /"\.\." segments/);
    bad((m) => (m.files[1].path = 'train//a.jsonl'), 'files[1].path', /empty/);
    bad((m) => (m.files[1].path = 12), 'files[1].path', /non-empty string/);
    bad((m) => (m.files[1].path = 'train/\ud800'), 'files[1].path', /valid Unicode/);
    bad((m) => (m.files[2].path = 'train/a.jsonl'), 'files[2].path', /appears twice/);
    bad((m) => m.files.reverse(), 'files[1].path', /out of order/);
    bad((m) => (m.files[1].size = '010'), 'files[1].size', /without leading zeros/);
    bad((m) => (m.files[1].size = 10), 'files[1].size', /decimal string/);
    bad((m) => (m.files[1].root = 'zz'), 'files[1].root', /32 bytes of hex/);
    bad((m) => (m.files[1].root = m.files[2].root), 'root', /tree has root/);
  });
});
