// The node's blob store on its own: uploads are streamed to disk while hashed (a stream of chunks far
// larger than any one chunk is stored without being gathered), the cap per blob and the quota on the whole
// store refuse what does not fit and leave nothing behind, bytes already held cost no quota, concurrent
// uploads of the same bytes are counted once, and a store reopened over the same directory counts what it
// holds and removes the temporary files a crash left.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BlobStoreError, createBlobStore } from '../../src/node/compute/blobs.ts';

const sha = (b: Uint8Array) => `0x${createHash('sha256').update(b).digest('hex')}`;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'machina-blobs-'));
  dirs.push(d);
  return d;
};
/** Every file under `dir`, relative. */
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));

async function refusal(p: Promise<unknown>, reason: BlobStoreError['reason']): Promise<BlobStoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BlobStoreError, `expected BlobStoreError, got ${err}`);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail(`expected a ${reason} refusal`);
}

describe('node blob store', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('streams an upload to disk in chunks, as it arrives, and names it by its sha256', async () => {
    const dir = tmp();
    const store = createBlobStore({ dir, maxBytes: 8 << 20, quotaBytes: 64 << 20 });
    const whole = randomBytes(4 << 20);
    // A source that yields 64 KiB at a time and looks at the temporary file each time it is asked for more:
    // what it gave before must be on disk already (a buffering store would write nothing until the end).
    let behind = 0;
    async function* source() {
      for (let o = 0; o < whole.length; o += 65536) {
        if (o > 0) {
          const tmpFile = files(dir).find((f) => f.endsWith('.tmp'));
          const onDisk = tmpFile ? statSync(path.join(dir, tmpFile)).size : 0;
          behind = Math.max(behind, o - onDisk);
        }
        yield whole.subarray(o, o + 65536);
      }
    }
    const r = await store.putStream(source());
    assert.equal(r.digest, sha(whole));
    assert.equal(r.size, whole.length);
    assert.equal(r.created, true);
    assert.ok(behind <= 65536, `the disk was ${behind} bytes behind what the store had taken`);
    assert.deepEqual(await store.get(r.digest), whole);
    assert.deepEqual(files(dir), [path.join(r.digest.slice(2, 4), r.digest.slice(2))]);
    assert.deepEqual(await store.usage(), { stored: whole.length, uploading: 0, quota: 64 << 20 });
  });

  it('refuses a blob over the cap, announced or not, and keeps nothing of it', async () => {
    const dir = tmp();
    const store = createBlobStore({ dir, maxBytes: 1000, quotaBytes: 1 << 20 });
    await refusal(store.putStream([randomBytes(10)], { declaredSize: 1001 }), 'too-large');
    // No length announced (a chunked body): refused as the bytes arrive.
    const err = await refusal(store.putStream([randomBytes(600), randomBytes(600)]), 'too-large');
    assert.match(err.message, /1000-byte cap per blob/);
    assert.deepEqual(files(dir), []);
    assert.equal((await store.usage()).stored, 0);
    assert.equal((await store.usage()).uploading, 0);
  });

  it('refuses what does not fit in the quota (507 at the route), counting uploads in flight; bytes it holds cost nothing again', async () => {
    const dir = tmp();
    const store = createBlobStore({ dir, maxBytes: 2000, quotaBytes: 3000 });
    const a = randomBytes(1500);
    const b = randomBytes(1400);
    await store.put(a);
    await store.put(b);
    assert.equal((await store.usage()).stored, 2900);
    const err = await refusal(store.put(randomBytes(200)), 'quota');
    assert.match(err.message, /blob store is full/);
    // Unannounced length: refused when the bytes cross the quota, and nothing is left.
    await refusal(store.putStream([randomBytes(50), randomBytes(100)]), 'quota');
    assert.equal(files(dir).length, 2);
    // The same bytes again: hashed, not stored, not counted (with their digest announced or not).
    assert.equal((await store.putStream([a], { expectedDigest: sha(a) })).created, false);
    assert.equal((await store.putStream([a.subarray(0, 50)], { expectedDigest: sha(a) }).catch((e) => e)).reason, 'digest-mismatch');
    assert.equal((await store.usage()).stored, 2900);
    // A 50-byte upload still fits; two of them in flight at once do not both fit.
    await store.put(randomBytes(50));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield randomBytes(30);
      await gate;
      yield randomBytes(10);
    }
    const first = store.putStream(slow());
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await store.usage()).uploading, 30);
    await refusal(store.put(randomBytes(30)), 'quota');
    release();
    assert.equal((await first).created, true);
    assert.deepEqual(await store.usage(), { stored: 2990, uploading: 0, quota: 3000 });
  });

  it('a digest announced that the bytes do not have keeps nothing', async () => {
    const dir = tmp();
    const store = createBlobStore({ dir });
    await refusal(store.putStream([randomBytes(100)], { expectedDigest: sha(randomBytes(1)) }), 'digest-mismatch');
    assert.deepEqual(files(dir), []);
  });

  it('concurrent uploads of the same bytes leave one blob, counted once', async () => {
    const dir = tmp();
    const store = createBlobStore({ dir, quotaBytes: 100_000 });
    const bytes = randomBytes(5000);
    const rs = await Promise.all(Array.from({ length: 8 }, () => store.putStream([bytes.subarray(0, 2500), bytes.subarray(2500)])));
    assert.equal(rs.filter((r) => r.created).length, 1);
    assert.equal(files(dir).length, 1);
    assert.deepEqual(await store.usage(), { stored: 5000, uploading: 0, quota: 100_000 });
  });

  it('reopened over the same directory: counts what it holds, removes what a crash left half-written', async () => {
    const dir = tmp();
    const first = createBlobStore({ dir, quotaBytes: 10_000 });
    const kept = await first.put(randomBytes(4000));
    writeFileSync(path.join(dir, 'upload.1.abcd.tmp'), randomBytes(3000));
    mkdirSync(path.join(dir, 'ab'), { recursive: true });
    writeFileSync(path.join(dir, 'ab', `${'ab'.repeat(32)}.1.ff.tmp`), randomBytes(100));
    const again = createBlobStore({ dir, quotaBytes: 10_000 });
    assert.deepEqual(await again.usage(), { stored: 4000, uploading: 0, quota: 10_000 });
    assert.deepEqual(files(dir), [path.join(kept.digest.slice(2, 4), kept.digest.slice(2))]);
    await refusal(again.put(randomBytes(6001)), 'quota');
  });
});
