// Readable wallet inputs (amounts in token units like `5` or `0.5`, windows like `1d` or `12h`, caps like `5/1d`),
// each error naming the flag or field.
import { parseUnits } from 'viem';
import { InvalidArgumentError } from '../errors/index.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
const WORDS: Record<string, number> = { second: 1, minute: 60, hour: 3_600, day: 86_400, week: 604_800 };

/**
 * An amount in token units (`5`, `0.5`) as base units of a token with `decimals` decimals.
 * @example
 * parseAmount('0.5', 6, '--per-tx') // 500000n
 */
export function parseAmount(raw: string, decimals: number, field: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(field, `must be an amount in token units, e.g. 5 or 0.5 (got "${raw}")`);
  if ((m[2]?.length ?? 0) > decimals) throw new InvalidArgumentError(field, `has more than ${decimals} decimals, the token's precision (got "${raw}")`);
  return parseUnits(raw.trim(), decimals);
}

/**
 * A duration such as `90s`, `30m`, `12h`, `1d`, `2w` (or `day`, `hour`) in seconds.
 * @example
 * parseDuration('12h', '--cap') // 43200
 */
export function parseDuration(raw: string, field: string): number {
  const s = raw.trim().toLowerCase();
  if (s in WORDS) return WORDS[s]!;
  const m = /^(\d+)\s*([smhdw])$/.exec(s);
  if (!m || Number(m[1]) === 0) throw new InvalidArgumentError(field, `must be a duration such as 90s, 30m, 12h, 1d or 2w (got "${raw}")`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  if (!Number.isSafeInteger(seconds) || seconds > 2 ** 32 - 1) throw new InvalidArgumentError(field, `is too long (got "${raw}")`);
  return seconds;
}

/**
 * A rolling-window cap `AMOUNT/WINDOW` such as `5/1d` or `0.5/12h`.
 * @example
 * parseCap('5/1d', 6, '--cap') // { amount: 5000000n, seconds: 86400 }
 */
export function parseCap(raw: string, decimals: number, field: string): { amount: bigint; seconds: number } {
  const [amount, window, ...rest] = raw.split('/');
  if (amount === undefined || window === undefined || window.trim() === '' || rest.length > 0) {
    throw new InvalidArgumentError(field, `must be AMOUNT/WINDOW, e.g. 5/1d or 0.5/12h (got "${raw}")`);
  }
  return { amount: parseAmount(amount, decimals, field), seconds: parseDuration(window, field) };
}

/**
 * A rate limit `CALLS/WINDOW` such as `10/1h`.
 * @example
 * parseRate('10/1h', '--rate') // { calls: 10, windowSeconds: 3600 }
 */
export function parseRate(raw: string, field: string): { calls: number; windowSeconds: number } {
  const [calls, window, ...rest] = raw.split('/');
  if (!calls || !/^\d+$/.test(calls.trim()) || Number(calls) === 0 || window === undefined || rest.length > 0) {
    throw new InvalidArgumentError(field, `must be CALLS/WINDOW, e.g. 10/1h (got "${raw}")`);
  }
  return { calls: Number(calls), windowSeconds: parseDuration(window, field) };
}
