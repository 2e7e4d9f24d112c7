// The aggregator's files without a chain: journal frames survive a torn tail (dropped, file cut back
// to the last whole frame), damage in an older segment is skipped without losing what follows, a
// failed write is cut back out (or, if it cannot be, the journal refuses every later write),
// concurrent appends share fsyncs, rotation starts a new segment, and batch files round-trip exactly
// or are refused when damaged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadBatches, writeBatchFile, type SealedBatch } from '../../src/node/provenance/batches.ts';
import { FRAME_DIGESTS, JournalError, encodeFrame, listSegments, openJournal, replaySegments, type SegmentFile } from '../../src/node/provenance/journal.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'machina-journal-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const segmentFile = (dir: string, seq: number) => path.join(dir, `journal-${String(seq).padStart(10, '0')}.log`);

/** Segment files whose next writes, truncations or opens fail as the test says (a full or failing disk). */
function faultyDisk() {
  const faults = { write: 0, truncate: 0, open: 0 };
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  const openFile = async (file: string): Promise<SegmentFile> => {
    if (faults.open > 0 && faults.open--) throw enospc();
    const fh = await open(file, 'a');
    return {
      async write(data, offset, length) {
        if (faults.write > 0 && faults.write--) {
          // Half of it reaches the file before the disk gives out.
          await fh.write(data, offset, Math.max(1, length >> 1));
          throw enospc();
        }
        return fh.write(data, offset, length);
      },
      datasync: () => fh.datasync(),
      async truncate(len) {
        if (faults.truncate > 0 && faults.truncate--) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        return fh.truncate(len);
      },
      close: () => fh.close(),
    };
  };
  return { faults, openFile };
}

describe('anchoring journal and batch files', () => {
  it('replays whole frames and cuts a torn tail', async () => {
    const dir = tmp();
    const j = await openJournal(dir);
    const payloads = [randomBytes(8 + 32 * 3), randomBytes(8 + 32)];
    for (const p of payloads) await j.append([encodeFrame(FRAME_DIGESTS, p)], () => {});
    await j.close();
    const [seg] = listSegments(dir);
    const file = path.join(dir, `journal-${String(seg).padStart(10, '0')}.log`);
    const whole = statSync(file).size;
    // A crash in the middle of a third write: half a frame on disk.
    appendFileSync(file, encodeFrame(FRAME_DIGESTS, randomBytes(8 + 32 * 10)).subarray(0, 100));
    const { frames, torn } = replaySegments(dir, 0);
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload)), payloads);
    assert.equal(torn, 100);
    assert.equal(statSync(file).size, whole, 'cut back to the last whole frame');
    // A flipped byte inside a frame fails its checksum: replay stops before it.
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    assert.equal(replaySegments(dir, 0).frames.length, 1);
  });

  it('a failed write is cut back out: later appends follow the last acknowledged frame and all replay', async () => {
    const dir = tmp();
    const disk = faultyDisk();
    const j = await openJournal(dir, { openFile: disk.openFile });
    const [a, b, c] = [randomBytes(8 + 32 * 4), randomBytes(8 + 32 * 50), randomBytes(8 + 32 * 2)];
    await j.append([encodeFrame(FRAME_DIGESTS, a)], () => {});
    disk.faults.write = 1;
    let ran = false;
    await assert.rejects(
      j.append([encodeFrame(FRAME_DIGESTS, b)], () => (ran = true)),
      (err: unknown) => err instanceof JournalError && err.code === 'JOURNAL_WRITE_FAILED' && /ENOSPC/.test(err.message),
    );
    assert.equal(ran, false, 'a write that failed is never acknowledged');
    assert.equal(statSync(segmentFile(dir, j.segment)).size, encodeFrame(FRAME_DIGESTS, a).length, 'the half-written frame is cut back out');
    await j.append([encodeFrame(FRAME_DIGESTS, c)], () => {});
    await j.close();
    const { frames, torn, skipped } = replaySegments(dir, 0);
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload)), [a, c], 'the frame acknowledged after the failure replays');
    assert.equal(torn + skipped, 0);
  });

  it('a failed write that cannot be cut back fails the journal: every later append and rotation rejects', async () => {
    const dir = tmp();
    const disk = faultyDisk();
    const j = await openJournal(dir, { openFile: disk.openFile });
    const a = randomBytes(8 + 32);
    await j.append([encodeFrame(FRAME_DIGESTS, a)], () => {});
    disk.faults.write = 1;
    disk.faults.truncate = 1;
    const failed = (err: unknown) => err instanceof JournalError && err.code === 'JOURNAL_FAILED' && /restarts/.test(err.message);
    await assert.rejects(j.append([encodeFrame(FRAME_DIGESTS, randomBytes(8 + 32 * 8))], () => {}), failed);
    // The disk is fine again, but the segment ends in garbage: nothing may be appended after it.
    await assert.rejects(j.append([encodeFrame(FRAME_DIGESTS, randomBytes(40))], () => assert.fail('acknowledged after the failure')), failed);
    await assert.rejects(j.rotate(), failed);
    await j.close();
    // After a restart, replay cuts the garbage off the newest segment and keeps what was acknowledged.
    const { frames, torn } = replaySegments(dir, 0);
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload)), [a]);
    assert.ok(torn > 0);
  });

  it('a segment that cannot be opened on rotation fails the journal loudly', async () => {
    const dir = tmp();
    const disk = faultyDisk();
    const j = await openJournal(dir, { openFile: disk.openFile });
    await j.append([encodeFrame(FRAME_DIGESTS, randomBytes(40))], () => {});
    disk.faults.open = 1;
    const failed = (err: unknown) => err instanceof JournalError && err.code === 'JOURNAL_FAILED' && /could not be opened/.test(err.message);
    await assert.rejects(j.rotate(), failed);
    await assert.rejects(j.append([encodeFrame(FRAME_DIGESTS, randomBytes(40))], () => {}), failed);
    await j.close();
  });

  it('damage inside an older segment is skipped; the frames after it and in later segments replay', async () => {
    const dir = tmp();
    const j = await openJournal(dir);
    const [a, b, c] = [randomBytes(8 + 32 * 3), randomBytes(8 + 32 * 5), randomBytes(8 + 32)];
    await j.append([encodeFrame(FRAME_DIGESTS, a)], () => {});
    const older = j.segment;
    await j.append([encodeFrame(FRAME_DIGESTS, b)], () => {});
    await j.rotate();
    await j.append([encodeFrame(FRAME_DIGESTS, c)], () => {});
    await j.close();
    // Garbage between a and b in the older segment (a failed write left behind by an older version).
    const file = segmentFile(dir, older);
    const bytes = readFileSync(file);
    const cut = encodeFrame(FRAME_DIGESTS, a).length;
    const garbage = encodeFrame(FRAME_DIGESTS, randomBytes(8 + 32 * 7)).subarray(0, 77);
    writeFileSync(file, Buffer.concat([bytes.subarray(0, cut), garbage, bytes.subarray(cut)]));
    const size = statSync(file).size;
    const { frames, torn, skipped } = replaySegments(dir, 0);
    assert.deepEqual(frames.map((f) => Buffer.from(f.payload)), [a, b, c]);
    assert.equal(skipped, 77);
    assert.equal(torn, 0);
    assert.equal(statSync(file).size, size, 'an older segment is never cut');
    // A torn tail of an older segment is skipped too, not cut, and the newer segment still replays.
    appendFileSync(file, garbage);
    const again = replaySegments(dir, 0);
    assert.deepEqual(again.frames.map((f) => Buffer.from(f.payload)), [a, b, c]);
    assert.equal(again.skipped, 77 * 2);
    assert.equal(statSync(file).size, size + 77);
  });

  it('concurrent appends share fsyncs; each runs its callback before resolving, in order', async () => {
    const dir = tmp();
    const j = await openJournal(dir);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 200 }, (_, i) => j.append([encodeFrame(FRAME_DIGESTS, randomBytes(40))], () => order.push(i))));
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i));
    assert.ok(j.stats().syncs < 200, `${j.stats().syncs} fsyncs for 200 appends`);
    const first = j.segment;
    const closed = await j.rotate();
    assert.equal(closed, first);
    assert.equal(j.segment, first + 1);
    await j.append([encodeFrame(FRAME_DIGESTS, randomBytes(40))], () => {});
    assert.equal(replaySegments(dir, first).frames.length, 1, 'only the new segment after the rotation point');
    j.dropUpTo(first);
    assert.deepEqual(listSegments(dir), [first + 1]);
    await j.close();
  });

  it('batch files round-trip, and a damaged one is refused', async () => {
    const dir = tmp();
    const count = 1000;
    const times = new Float64Array(count).map((_, i) => 1_700_000_000_000 + i);
    const b: SealedBatch = { no: 3, root: `0x${'ab'.repeat(32)}`, digests: randomBytes(count * 32), count, times, subjects: { 7: { kind: 'digest', name: 'x' } }, journalSeq: 9, sealedAt: 1_700_000_000_123 };
    await writeBatchFile(dir, b);
    writeFileSync(path.join(dir, 'batch-0000000004.bin.tmp'), 'half');
    const [loaded] = loadBatches(dir);
    assert.ok(loaded);
    assert.equal(loaded.no, 3);
    assert.equal(loaded.root, b.root);
    assert.ok(loaded.digests.equals(b.digests));
    assert.deepEqual([...loaded.times], [...times]);
    assert.deepEqual(loaded.subjects, b.subjects);
    assert.equal(loaded.journalSeq, 9);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'a half-written batch file is removed');
    const file = path.join(dir, 'batch-0000000003.bin');
    const bytes = readFileSync(file);
    bytes[100]! ^= 1;
    writeFileSync(file, bytes);
    assert.throws(() => loadBatches(dir), /damaged/);
  });
});
