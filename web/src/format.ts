// How values read on screen: short addresses, feedback values with their decimals, relative times.

export function shortAddress(a: string | null | undefined): string {
  if (!a) return '—';
  return a.length > 14 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}

export function shortHash(h: string): string {
  return h.length > 18 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h;
}

/**
 * A feedback value on screen. The node sends the on-chain int128 and its decimals; a value that
 * already carries a decimal point is shown as it is.
 */
export function feedbackValue(value: string, decimals: number): string {
  if (value.includes('.') || decimals <= 0 || !/^-?\d+$/.test(value)) return value;
  const neg = value.startsWith('-');
  const digits = (neg ? value.slice(1) : value).padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const frac = digits.slice(-decimals).replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export function score(n: number): string {
  return n.toFixed(1);
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function timeAgo(unixSeconds: number, now = Date.now()): string {
  const s = Math.max(0, Math.round(now / 1000 - unixSeconds));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

export function dateTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export function count(n: number | undefined): string {
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

/** Scores are colour-coded the same everywhere: poor, mixed, good. */
export function scoreTone(n: number): 'bad' | 'mid' | 'good' {
  return n < 40 ? 'bad' : n < 70 ? 'mid' : 'good';
}

/** A byte count in binary units ("1.5 MiB"); takes the decimal strings the API sends for uint128 sizes. */
export function bytes(n: number | string | bigint): string {
  const v = typeof n === 'bigint' ? Number(n) : Number(n);
  if (!Number.isFinite(v)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) (x /= 1024), i++;
  return i === 0 ? `${v} B` : `${x < 10 ? x.toFixed(1) : Math.round(x)} ${units[i]}`;
}
