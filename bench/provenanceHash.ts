// Content hashing figures: hashFile on a 1 GiB file against `sha256sum` on the same file in the same
// run (page cache warm for both, best of 3), with one thread and with two worker threads; and
// hashDirectory over 10,000 small files against `find | xargs sha256sum` over the same directory.
// `openssl dgst -sha256` (when installed) is timed too, for context: coreutils' sha256sum here has no
// SHA-NI code, while node's crypto is OpenSSL's, which does; against openssl the figure shows what the
// chunk tree and the reads cost.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hashDirectory } from '../src/provenance/directory.ts';
import { hashFile } from '../src/provenance/hash.ts';

const run = promisify(execFile);

export type ProvenanceHashParameters = {
  log?: (line: string) => void;
  /** Size of the hashed file (default 1 GiB). */
  bytes?: number;
  /** Timed runs of each tool; the best counts (default 3). */
  rounds?: number;
  /** Small files in the directory measurement (default 10,000). */
  files?: number;
};

export type ProvenanceHashResult = {
  bytes: number;
  rounds: number;
  /** Best seconds and MB/s (10^6 bytes) of each. */
  sha256sum: { seconds: number; mbPerSecond: number };
  /** `openssl dgst -sha256`, when installed. */
  openssl: { seconds: number; mbPerSecond: number } | null;
  hashFile: { seconds: number; mbPerSecond: number };
  hashFileTwoThreads: { seconds: number; mbPerSecond: number };
  /** hashFile (one thread) throughput over sha256sum's. */
  ratio: number;
  directory: { files: number; seconds: number; filesPerSecond: number; sha256sumSeconds: number };
  goals: { ratio: number };
};

const best = async (rounds: number, fn: () => Promise<unknown>): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, (performance.now() - t) / 1000);
  }
  return min;
};

/**
 * Writes the file and the directory under os.tmpdir(), measures, and deletes them.
 * @example provenanceHashReport(await measureProvenanceHash({ log: console.error }))
 */
export async function measureProvenanceHash({ log = () => {}, bytes = 1 << 30, rounds = 3, files = 10_000 }: ProvenanceHashParameters = {}): Promise<ProvenanceHashResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'machina-bench-hash-'));
  try {
    const file = path.join(dir, 'big.bin');
    log(`hash: writing ${(bytes / 2 ** 20).toFixed(0)} MiB to ${file} ...`);
    // Random content; one 16 MiB block reused with a counter in front, since SHA-256 runs at the same
    // speed on any bytes and generating 1 GiB of randomness would dominate the setup.
    const block = randomBytes(16 << 20);
    const fd = openSync(file, 'w');
    for (let at = 0, i = 0; at < bytes; at += block.length, i++) {
      block.writeUInt32BE(i, 0);
      writeSync(fd, block, 0, Math.min(block.length, bytes - at));
    }
    closeSync(fd);

    // Warm the page cache for both, then alternate so that neither gets a quieter moment.
    const { stdout } = await run('sha256sum', [file]);
    await hashFile(file);
    if (!/^[0-9a-f]{64} /.test(stdout)) throw new Error(`sha256sum printed ${stdout.slice(0, 100)}`);
    const hasOpenssl = await run('openssl', ['version']).then(() => true, () => false);
    const times = { sha: Infinity, one: Infinity, two: Infinity, openssl: Infinity };
    for (let r = 0; r < rounds; r++) {
      times.sha = Math.min(times.sha, await best(1, () => run('sha256sum', [file])));
      times.one = Math.min(times.one, await best(1, () => hashFile(file)));
      times.two = Math.min(times.two, await best(1, () => hashFile(file, { threads: 2 })));
      if (hasOpenssl) times.openssl = Math.min(times.openssl, await best(1, () => run('openssl', ['dgst', '-sha256', file])));
      log(`hash: round ${r + 1}/${rounds}: sha256sum ${times.sha.toFixed(2)} s, hashFile ${times.one.toFixed(2)} s, two threads ${times.two.toFixed(2)} s${hasOpenssl ? `, openssl ${times.openssl.toFixed(2)} s` : ''} (best so far)`);
    }
    rmSync(file);

    log(`hash: writing ${files} small files ...`);
    const tree = path.join(dir, 'tree');
    const perDir = 100;
    for (let i = 0; i < files; i++) {
      const sub = path.join(tree, `d${Math.floor(i / perDir)}`);
      if (i % perDir === 0) mkdirSync(sub, { recursive: true });
      writeFileSync(path.join(sub, `f${i % perDir}.jsonl`), `{"row":${i},"text":"${'x'.repeat(i % 500)}"}\n`);
    }
    await hashDirectory(tree);
    const dirSeconds = await best(rounds, () => hashDirectory(tree));
    const shaDirSeconds = await best(rounds, () => run('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: tree }));

    const mb = (s: number) => bytes / 1e6 / s;
    return {
      bytes,
      rounds,
      sha256sum: { seconds: times.sha, mbPerSecond: mb(times.sha) },
      openssl: hasOpenssl ? { seconds: times.openssl, mbPerSecond: mb(times.openssl) } : null,
      hashFile: { seconds: times.one, mbPerSecond: mb(times.one) },
      hashFileTwoThreads: { seconds: times.two, mbPerSecond: mb(times.two) },
      ratio: times.sha / times.one,
      directory: { files, seconds: dirSeconds, filesPerSecond: files / dirSeconds, sha256sumSeconds: shaDirSeconds },
      goals: { ratio: 0.9 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines for `npm run bench`. */
export function provenanceHashReport(r: ProvenanceHashResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `Content hashing of a ${n(r.bytes / 2 ** 20)} MiB file (1 MiB chunks, SHA-256, standard Merkle tree), page cache warm, best of ${r.rounds}`,
    `  sha256sum:              ${n(r.sha256sum.mbPerSecond)} MB/s (${r.sha256sum.seconds.toFixed(2)} s)`,
    `  hashFile:               ${n(r.hashFile.mbPerSecond)} MB/s (${r.hashFile.seconds.toFixed(2)} s)   ratio ${r.ratio.toFixed(2)}x`,
    `  hashFile, two threads:  ${n(r.hashFileTwoThreads.mbPerSecond)} MB/s (${r.hashFileTwoThreads.seconds.toFixed(2)} s)`,
    ...(r.openssl ? [`  openssl dgst -sha256:   ${n(r.openssl.mbPerSecond)} MB/s (${r.openssl.seconds.toFixed(2)} s)   hashFile at ${(r.openssl.seconds / r.hashFile.seconds).toFixed(2)}x of it (same OpenSSL SHA-256; context, not the goal)`] : []),
    `  goal >= ${r.goals.ratio}x sha256sum: ${r.ratio >= r.goals.ratio ? 'met' : 'NOT met'}`,
    `Directory of ${n(r.directory.files)} small files: hashDirectory ${r.directory.seconds.toFixed(2)} s (${n(r.directory.filesPerSecond)} files/s, manifest root included); find | xargs sha256sum ${r.directory.sha256sumSeconds.toFixed(2)} s`,
  ].join('\n');
}

// `node --import tsx bench/provenanceHash.ts` runs this benchmark alone.
if (process.argv[1]?.endsWith('provenanceHash.ts')) {
  process.stdout.write(`${provenanceHashReport(await measureProvenanceHash({ log: (l) => process.stderr.write(`${l}\n`) }))}\n`);
}
