// A progress bar on stderr for long work (hashing gigabytes, re-hashing a dataset), never on stdout
// and never under --json. It appears only after half a second, so quick work prints nothing; off a
// terminal it writes a plain line every few seconds instead of redrawing.

export type ProgressBar = { update: (done: bigint, total: bigint, label?: string) => void; stop: () => void };
export type CountBar = { update: (done: number, total: number, unit?: string) => void; stop: () => void };
type Options = { json: boolean; what: string; stream?: NodeJS.WriteStream };

/** The drawing rules both bars share: quiet for half a second, redraw at most every 100 ms (5 s off a terminal). */
function drawer({ json, stream = process.stderr }: Options) {
  const started = Date.now();
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let drawn = false;
  const bar = (frac: number) => {
    const width = 30;
    const fill = Math.min(width, Math.round(frac * width));
    return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(1)}%`;
  };
  return {
    started,
    draw(line: (bar: (frac: number) => string, elapsedSec: number) => string, final: boolean) {
      if (json) return;
      const now = Date.now();
      if (now - started < 500 || (now - lastDraw < (tty ? 100 : 5_000) && !final)) return;
      lastDraw = now;
      const text = line(bar, (now - started) / 1000);
      if (tty) stream.write(`\r${text.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
      else stream.write(`${text}\n`);
      drawn = true;
    },
    stop() {
      if (drawn && tty) stream.write('\r\x1b[K');
    },
  };
}

/**
 * A byte-counting bar.
 * @example
 * const bar = progressBar({ json: !!opts.json, what: 'hashing' })
 * await hashFile(file, { onProgress: bar.update }); bar.stop()
 */
export function progressBar(o: Options): ProgressBar {
  const d = drawer(o);
  return {
    update(done, total, label) {
      d.draw((bar, secs) => {
        const frac = total > 0n ? Number((done * 1000n) / total) / 1000 : 0;
        return `${o.what}${label ? ` ${label}` : ''} ${bar(frac)} ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(BigInt(Math.round(Number(done) / secs)))}/s`;
      }, false);
    },
    stop: d.stop,
  };
}

/**
 * A bar over a count of things (runs, steps), with the time left.
 * @example
 * const bar = countProgressBar({ json, what: 'simulating' })
 * await runMonteCarlo(sc, { onProgress: (d, t) => bar.update(d, t, 'runs') }); bar.stop()
 */
export function countProgressBar(o: Options): CountBar {
  const d = drawer(o);
  return {
    update(done, total, unit = '') {
      d.draw((bar, secs) => {
        const frac = total > 0 ? Math.min(1, done / total) : 0;
        const eta = frac > 0 ? Math.max(0, secs / frac - secs) : NaN;
        return `${o.what} ${bar(frac)} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${unit ? ` ${unit}` : ''}${Number.isFinite(eta) ? ` ~${Math.ceil(eta)} s left` : ''}`;
      }, done >= total);
    },
    stop: d.stop,
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
