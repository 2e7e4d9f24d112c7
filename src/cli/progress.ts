// A progress bar on stderr for long work (hashing gigabytes, re-hashing a dataset), never on stdout
// and never under --json. It appears only after half a second, so quick work prints nothing; off a
// terminal it writes a plain line every few seconds instead of redrawing.

export type ProgressBar = { update: (done: bigint, total: bigint, label?: string) => void; stop: () => void };

const NONE: ProgressBar = { update: () => {}, stop: () => {} };

/**
 * @example
 * const bar = progressBar({ json: !!opts.json, what: 'hashing' })
 * await hashFile(file, { onProgress: bar.update }); bar.stop()
 */
export function progressBar({ json, what, stream = process.stderr }: { json: boolean; what: string; stream?: NodeJS.WriteStream }): ProgressBar {
  if (json) return NONE;
  const started = Date.now();
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total, label) {
      const now = Date.now();
      if (now - started < 500 || now - lastDraw < (tty ? 100 : 5_000)) return;
      lastDraw = now;
      const pct = total > 0n ? Number((done * 1000n) / total) / 10 : 0;
      const width = 30;
      const fill = Math.min(width, Math.round((pct / 100) * width));
      const rate = Number(done) / ((now - started) / 1000);
      const line = `${what}${label ? ` ${label}` : ''} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct.toFixed(1)}% ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(BigInt(Math.round(rate)))}/s`;
      if (tty) stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
      else stream.write(`${line}\n`);
      drawn = true;
    },
    stop() {
      if (drawn && tty) stream.write('\r\x1b[K');
    },
  };
}

export function formatBytes(n: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
