// The aggregator's write-ahead journal: every accepted digest is appended to a segment file and
// fsynced before the client hears 202. Concurrent requests share one fsync (group commit); sealing a
// batch rotates to a new segment, so "everything up to segment N is in batch files" is one number.
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = 0x4d4a524e; // 'MJRN'
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

/**
 * Reads the frames of every segment after `afterSeq`, in order. A segment's torn tail (crash during a
 * write that was never acknowledged) is cut off so the next append starts on a frame boundary.
 * @example
 * for (const f of replaySegments(dir, lastSealed).frames) apply(f)
 */
export function replaySegments(dir: string, afterSeq: number): { frames: JournalFrame[]; torn: number } {
  const frames: JournalFrame[] = [];
  let torn = 0;
  for (const seq of listSegments(dir)) {
    if (seq <= afterSeq) continue;
    const file = path.join(dir, segmentName(seq));
    const buf = readFileSync(file);
    let at = 0;
    while (at + FRAME_HEADER <= buf.length) {
      const len = buf.readUInt32LE(at + 8);
      if (buf.readUInt32LE(at) !== MAGIC || at + FRAME_HEADER + len > buf.length) break;
      const payload = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len);
      if (crc32(payload) !== buf.readUInt32LE(at + 12)) break;
      frames.push({ kind: buf.readUInt32LE(at + 4), payload });
      at += FRAME_HEADER + len;
    }
    if (at < buf.length) {
      torn += buf.length - at;
      truncateSync(file, at);
    }
  }
  return { frames, torn };
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
export async function openJournal(dir: string): Promise<Journal> {
  let seq = (listSegments(dir).at(-1) ?? 0) + 1;
  const openSegment = async (n: number) => {
    const fh = await open(path.join(dir, segmentName(n)), 'a');
    fsyncDir(dir);
    return fh;
  };
  let fh: FileHandle = await openSegment(seq);
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
          try {
            await fh.close();
            const closedSeq = seq;
            fh = await openSegment(++seq);
            op.resolve(closedSeq);
          } catch (err) {
            op.reject(err);
          }
          continue;
        }
        // Every write queued up to the next rotation shares one write and one fsync.
        let n = 0;
        while (n < queue.length && queue[n]!.kind === 'write') n++;
        const group = queue.splice(0, n) as Array<Extract<Op, { kind: 'write' }>>;
        const bufs = group.flatMap((g) => g.bufs);
        try {
          const data = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
          let off = 0;
          const t0 = performance.now();
          while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
          await fh.datasync();
          stats.syncMs += performance.now() - t0;
          stats.syncs++;
          stats.writes += group.length;
          stats.bytes += data.length;
        } catch (err) {
          for (const g of group) g.reject(err);
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
      return new Promise<void>((resolve, reject) => {
        queue.push({ kind: 'write', bufs, onDurable, resolve, reject });
        void drain();
      });
    },
    rotate() {
      if (closed) return Promise.reject(new Error('journal closed'));
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
      await fh.close();
    },
  };
}
