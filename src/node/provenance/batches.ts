// Sealed batches on disk: one file per batch (its digests, when each was accepted, the subjects
// clients gave, the root), written whole to a temporary name, fsynced and renamed, so a batch file
// either exists complete or not at all. Beside it, small JSON files record the anchoring
// transaction once sent (`.sent.json`) and once mined (`.anchor.json`).
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Address, Hex } from 'viem';
import type { ReceiptSubject } from '../../provenance/types.ts';
import { fsyncDir } from './journal.ts';

const MAGIC = 0x5442414d; // 'MABT'
const VERSION = 1;
const HEADER = 64;

/** The transaction and block that anchored a batch root. */
export type AnchorData = { txHash: Hex; blockNumber: string; blockHash: Hex; timestamp: number; submitter: Address };

export type SealedBatch = {
  /** Batch number, from 1, in sealing order. */
  no: number;
  root: Hex;
  /** n * 32 bytes, in tree order. */
  digests: Buffer;
  count: number;
  /** When the aggregator accepted each digest (ms since the epoch). */
  times: Float64Array;
  /** Subjects by index in the batch (only the digests a client described). */
  subjects: Record<number, ReceiptSubject>;
  /** Journal segments up to this one are fully contained in batches up to this one (0: none new). */
  journalSeq: number;
  sealedAt: number;
  anchor?: AnchorData | undefined;
  sent?: { txHash: Hex; at: number } | undefined;
};

const BATCH = /^batch-(\d{10})\.bin$/;
const base = (dir: string, no: number) => path.join(dir, `batch-${String(no).padStart(10, '0')}`);

function writeDurable(file: string, data: Buffer | string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/**
 * Writes a sealed batch durably (temporary file, fsync, rename, fsync of the directory).
 * @example
 * writeBatchFile(dir, batch)
 */
export async function writeBatchFile(dir: string, b: SealedBatch): Promise<void> {
  const subjects = Buffer.from(JSON.stringify(b.subjects), 'utf8');
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(b.count, 8);
  head.writeUInt32LE(b.journalSeq, 12);
  head.writeDoubleLE(b.sealedAt, 16);
  Buffer.from(b.root.slice(2), 'hex').copy(head, 24);
  head.writeUInt32LE(subjects.length, 56);
  const times = Buffer.from(b.times.buffer, b.times.byteOffset, b.count * 8);
  const body = Buffer.concat([head, b.digests.subarray(0, b.count * 32), times, subjects]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  // Asynchronous: a batch of a million digests is 40 MB, and intake goes on meanwhile.
  const file = `${base(dir, b.no)}.bin`;
  const fh = await open(`${file}.tmp`, 'w');
  try {
    await fh.writev([body, crc]);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(`${file}.tmp`, file);
  fsyncDir(dir);
}

function readBatchFile(file: string, no: number): SealedBatch {
  const buf = readFileSync(file);
  const body = buf.subarray(0, buf.length - 4);
  if (buf.length < HEADER + 4 || buf.readUInt32LE(0) !== MAGIC || crc32(body) !== buf.readUInt32LE(buf.length - 4)) {
    throw new Error(`batch file ${file} is damaged (bad magic or checksum)`);
  }
  const count = buf.readUInt32LE(8);
  const subjectsLen = buf.readUInt32LE(56);
  const digests = Buffer.from(buf.subarray(HEADER, HEADER + count * 32));
  // Copied into its own (8-byte aligned) array: a Buffer's offset in its pool may not be.
  const times = new Float64Array(count);
  Buffer.from(times.buffer).set(buf.subarray(HEADER + count * 32, HEADER + count * 40));
  const subjects = JSON.parse(buf.subarray(HEADER + count * 40, HEADER + count * 40 + subjectsLen).toString('utf8')) as Record<number, ReceiptSubject>;
  return {
    no,
    count,
    digests,
    times,
    subjects,
    journalSeq: buf.readUInt32LE(12),
    sealedAt: buf.readDoubleLE(16),
    root: `0x${buf.subarray(24, 56).toString('hex')}` as Hex,
  };
}

/**
 * Every batch in `dir`, in order, with what is known of its anchoring.
 * @example
 * const batches = loadBatches(dir)
 */
export function loadBatches(dir: string): SealedBatch[] {
  const out: SealedBatch[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = BATCH.exec(f);
    if (m) {
      const no = Number(m[1]);
      const b = readBatchFile(path.join(dir, f), no);
      const anchorFile = `${base(dir, no)}.anchor.json`;
      const sentFile = `${base(dir, no)}.sent.json`;
      if (existsSync(anchorFile)) b.anchor = JSON.parse(readFileSync(anchorFile, 'utf8')) as AnchorData;
      if (existsSync(sentFile)) b.sent = JSON.parse(readFileSync(sentFile, 'utf8')) as { txHash: Hex; at: number };
      out.push(b);
    } else if (f.endsWith('.tmp')) {
      // A write cut short by a crash: the batch it was for is rebuilt from the journal.
      rmSync(path.join(dir, f), { force: true });
    }
  }
  return out;
}

/** Records the anchoring transaction before waiting for it, so a restart looks for it before resending. */
export function writeSent(dir: string, no: number, sent: { txHash: Hex; at: number }): void {
  writeDurable(`${base(dir, no)}.sent.json`, JSON.stringify(sent));
}

/** Records that the batch's root is anchored (the receipt's final data). */
export function writeAnchor(dir: string, no: number, anchor: AnchorData): void {
  writeDurable(`${base(dir, no)}.anchor.json`, JSON.stringify(anchor));
  rmSync(`${base(dir, no)}.sent.json`, { force: true });
}

/** Forgets an anchor that a reorg took away: the batch is anchored again. */
export function clearAnchor(dir: string, no: number): void {
  rmSync(`${base(dir, no)}.anchor.json`, { force: true });
  rmSync(`${base(dir, no)}.sent.json`, { force: true });
  fsyncDir(dir);
}
