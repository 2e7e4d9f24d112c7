// The aggregator's write-ahead journal: every accepted digest is appended to a segment file and
// fsynced before the client hears 202. Concurrent requests share one fsync (group commit); sealing a
// batch rotates to a new segment, so "everything up to segment N is in batch files" is one number.
// A write that fails is cut back out of the segment before anything else is written; if it cannot
// be, the journal refuses every write until the node restarts (and replay drops the damage).
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { MachinaError } from '../../errors/index.ts';

const MAGIC = 0x4d4a524e; // 'MJRN'
const MAGIC_BYTES = Buffer.from([0x4e, 0x52, 0x4a, 0x4d]); // MAGIC as written (little-endian)
export const FRAME_HEADER = 16;
/** A frame of digests accepted together: f64 submittedAt (ms) then n * 32 bytes. */
export const FRAME_DIGESTS = 1;
/** The subject a client gave for one digest: 32 bytes digest then UTF-8 JSON. */
export const FRAME_SUBJECT = 2;

export type JournalFrame = { kind: number; payload: Buffer };

/**
 * One frame: magic, kind, payload length and CRC-32, then the payload. A frame torn by a crash fails
 * its length or CRC check; it was never acknowledged, so replay drops it.
 * @example
 * const frame = encodeFrame(FRAME_DIGESTS, payload)
 */
export function encodeFrame(kind: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(kind, 4);
  out.writeUInt32LE(payload.length, 8);
  out.writeUInt32LE(crc32(payload), 12);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** The header of a frame whose payload follows separately (no copy of a large body). */
export function frameHeader(kind: number, parts: Buffer[]): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER);
  let len = 0;
  let crc = 0;
  for (const p of parts) {
    len += p.length;
    crc = crc32(p, crc);
  }
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE(kind, 4);
  h.writeUInt32LE(len, 8);
  h.writeUInt32LE(crc, 12);
  return h;
}

const SEGMENT = /^journal-(\d{10})\.log$/;
const segmentName = (seq: number) => `journal-${String(seq).padStart(10, '0')}.log`;

/** Segment numbers present in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => SEGMENT.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The length of the whole frame at `at` (header, length and CRC all good), or 0. */
function frameAt(buf: Buffer, at: number): number {
  if (at + FRAME_HEADER > buf.length || buf.readUInt32LE(at) !== MAGIC) return 0;
  const len = buf.readUInt32LE(at + 8);
  if (at + FRAME_HEADER + len > buf.length) return 0;
  return crc32(buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len)) === buf.readUInt32LE(at + 12) ? FRAME_HEADER + len : 0;
}

/** The start of the first whole frame at or after `from`, or -1. */
function nextFrameAt(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(MAGIC_BYTES, from); at !== -1; at = buf.indexOf(MAGIC_BYTES, at + 1)) if (frameAt(buf, at) > 0) return at;
  return -1;
}

/**
 * Reads the frames of every segment after `afterSeq`, in order. Only the newest segment can have a
 * torn tail (a crash during a write that was never acknowledged): it is cut off there. Damage
 * anywhere else (an older segment, or the middle of the newest) is skipped up to the next whole
 * frame, so no acknowledged frame after it is lost; `skipped` counts those bytes.
 * @example
 * for (const f of replaySegments(dir, lastSealed).frames) apply(f)
 */
export function replaySegments(dir: string, afterSeq: number): { frames: JournalFrame[]; torn: number; skipped: number } {
  const frames: JournalFrame[] = [];
  let torn = 0;
  let skipped = 0;
  const segments = listSegments(dir);
  const newest = segments.at(-1);
  for (const seq of segments) {
    if (seq <= afterSeq) continue;
    const file = path.join(dir, segmentName(seq));
    const buf = readFileSync(file);
    let at = 0;
    while (at < buf.length) {
      const len = frameAt(buf, at);
      if (len > 0) {
        frames.push({ kind: buf.readUInt32LE(at + 4), payload: buf.subarray(at + FRAME_HEADER, at + len) });
        at += len;
        continue;
      }
      const next = nextFrameAt(buf, at + 1);
      if (next === -1) break;
      skipped += next - at;
      at = next;
    }
    if (at < buf.length) {
      if (seq === newest) {
        torn += buf.length - at;
        truncateSync(file, at);
      } else {
        skipped += buf.length - at;
      }
    }
  }
  return { frames, torn, skipped };
}

/** Makes a directory entry (a new or renamed file) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The journal could not take a write (disk full, I/O error): nothing of it was acknowledged. Code
 * JOURNAL_WRITE_FAILED when the segment was cut back and later writes may succeed, JOURNAL_FAILED
 * when the journal refuses every write until the node restarts.
 */
export class JournalError extends MachinaError {
  override name = 'JournalError';
  constructor(message: string, p: { failed: boolean; cause?: unknown }) {
    super(message, { code: p.failed ? 'JOURNAL_FAILED' : 'JOURNAL_WRITE_FAILED', cause: p.cause });
  }
}

const why = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);

/** What the journal needs of an open segment file (a node:fs FileHandle is one). */
export type SegmentFile = {
  write(data: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
};

export type OpenJournalOptions = {
  /** Opens a segment file for appending (tests inject failing writes here). */
  openFile?: ((file: string) => Promise<SegmentFile>) | undefined;
};

type Op = { kind: 'write'; bufs: Buffer[]; onDurable: () => void; resolve: () => void; reject: (e: unknown) => void } | { kind: 'rotate'; resolve: (seq: number) => void; reject: (e: unknown) => void };

export type Journal = {
  /**
   * Appends `bufs` (whole frames); once they are on disk, runs `onDurable` (in journal order, before
   * any later rotation) and resolves.
   */
  append(bufs: Buffer[], onDurable: () => void): Promise<void>;
  /** Closes the current segment (after every append queued before) and opens the next; resolves with the closed segment's number. */
  rotate(): Promise<number>;
  /** Deletes segments up to and including `seq` (their digests are in batch files). */
  dropUpTo(seq: number): void;
  /** The segment being written. */
  readonly segment: number;
  /** fsyncs done, appends and bytes written, and the time spent writing and syncing, for figures. */
  stats(): { syncs: number; writes: number; bytes: number; syncMs: number };
  close(): Promise<void>;
};

/**
 * Opens the journal in `dir`, appending to a fresh segment after the newest one present.
 * @example
 * const journal = await openJournal(dir)
 * await journal.append([encodeFrame(FRAME_DIGESTS, payload)], () => pending.add(...))
 */
export async function openJournal(dir: string, opts: OpenJournalOptions = {}): Promise<Journal> {
  const openFile = opts.openFile ?? ((file: string) => open(file, 'a'));
  let seq = (listSegments(dir).at(-1) ?? 0) + 1;
  /** Bytes of the current segment that hold whole, acknowledged frames: a failed write is cut back to it. */
  let good = 0;
  const openSegment = async (n: number) => {
    const file = path.join(dir, segmentName(n));
    const f = await openFile(file);
    try {
      fsyncDir(dir);
      good = statSync(file).size;
    } catch (err) {
      await f.close().catch(() => {});
      throw err;
    }
    return f;
  };
  let fh: SegmentFile | undefined = await openSegment(seq);
  /** Set once the journal cannot go on safely: every later append and rotation rejects with it. */
  let failed: JournalError | undefined;
  const queue: Op[] = [];
  let running = false;
  let closed = false;
  const stats = { syncs: 0, writes: 0, bytes: 0, syncMs: 0 };

  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) {
        const op = queue[0]!;
        if (op.kind === 'rotate') {
          queue.shift();
          if (failed || !fh) {
            op.reject(failed);
            continue;
          }
          const closedSeq = seq;
          try {
            const old = fh;
            fh = undefined;
            await old.close();
            fh = await openSegment(seq + 1);
            seq++;
            op.resolve(closedSeq);
          } catch (err) {
            // No segment to append to: say so on every later call rather than fail one by one.
            failed = new JournalError(`journal segment ${closedSeq + 1} could not be opened in ${dir} (${why(err)}); no digest is accepted until the node restarts`, { failed: true, cause: err });
            op.reject(failed);
          }
          continue;
        }
        // Every write queued up to the next rotation shares one write and one fsync.
        let n = 0;
        while (n < queue.length && queue[n]!.kind === 'write') n++;
        const group = queue.splice(0, n) as Array<Extract<Op, { kind: 'write' }>>;
        if (failed || !fh) {
          for (const g of group) g.reject(failed);
          continue;
        }
        const bufs = group.flatMap((g) => g.bufs);
        const data = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
        try {
          let off = 0;
          const t0 = performance.now();
          while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
          await fh.datasync();
          good += data.length;
          stats.syncMs += performance.now() - t0;
          stats.syncs++;
          stats.writes += group.length;
          stats.bytes += data.length;
        } catch (err) {
          // Part of the group may be in the segment: cut it back to the last acknowledged frame before
          // any later group is appended after it, or later acknowledged frames would follow garbage.
          let e = new JournalError(`the journal could not be written (${why(err)})`, { failed: false, cause: err });
          try {
            await fh.truncate(good);
            await fh.datasync();
          } catch (cutErr) {
            failed = new JournalError(`the journal could not be written (${why(err)}) nor cut back (${why(cutErr)}); no digest is accepted until the node restarts`, { failed: true, cause: err });
            e = failed;
          }
          for (const g of group) g.reject(e);
          continue;
        }
        for (const g of group) {
          try {
            g.onDurable();
          } catch (err) {
            g.reject(err);
            continue;
          }
          g.resolve();
        }
      }
    } finally {
      running = false;
    }
  };

  return {
    append(bufs, onDurable) {
      if (closed) return Promise.reject(new Error('journal closed'));
      if (failed) return Promise.reject(failed);
      return new Promise<void>((resolve, reject) => {
        queue.push({ kind: 'write', bufs, onDurable, resolve, reject });
        void drain();
      });
    },
    rotate() {
      if (closed) return Promise.reject(new Error('journal closed'));
      if (failed) return Promise.reject(failed);
      return new Promise<number>((resolve, reject) => {
        queue.push({ kind: 'rotate', resolve, reject });
        void drain();
      });
    },
    dropUpTo(upTo) {
      for (const n of listSegments(dir)) if (n <= upTo && n !== seq) rmSync(path.join(dir, segmentName(n)), { force: true });
    },
    get segment() {
      return seq;
    },
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      // Let queued appends finish, then close.
      while (queue.length > 0 || running) await new Promise((r) => setTimeout(r, 1));
      closed = true;
      await fh?.close();
      fh = undefined;
    },
  };
}
