// The aggregator's files without a chain: journal frames survive a torn tail (dropped, file cut back
// to the last whole frame), concurrent appends share fsyncs, rotation starts a new segment, and batch
// files round-trip exactly or are refused when damaged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadBatches, writeBatchFile, type SealedBatch } from '../../src/node/provenance/batches.ts';
import { FRAME_DIGESTS, encodeFrame, listSegments, openJournal, replaySegments } from '../../src/node/provenance/journal.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'machina-journal-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

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
