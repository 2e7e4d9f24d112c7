// The run's risk metrics, computed from its series. Definitions (all prices are the pool's spot price):
//   maxDrawdown      largest fall of the price from its running peak, fraction.
//   crashDepth       largest shortfall of the price below the external (fundamental) feed: max(0, 1 - price/feed).
//                    A fall that merely follows the fundamental is not a crash; the overshoot below it is.
//   maxMispricing    largest |1 - price/feed| over the run: the pool off the fundamental in either direction (a pool
//                    the breaker holds at a stale price above a fallen feed scores here, not in crashDepth).
//   underwaterDebt   peak over steps of the sum over borrowers of max(0, debt - collateral x feed), token1: debt
//                    that is under water at the fundamental price, whether or not the oracle (the pool's TWAP)
//                    lets it be liquidated or written off. The engine computes it every step (O(borrowers)).
//   crashDuration    longest run of consecutive steps with the shortfall above CRASH_BAND (2%).
//   timeToRecover    steps from the deepest shortfall until it is back within CRASH_BAND (censored at the end).
//   liquidationVolume debt repaid by liquidators (token1); liquidationCount the number of liquidations.
//   cascadeDepth     waves in the longest liquidation chain: a wave is a step with liquidations; the next wave
//                    belongs to the chain if it comes within `gap` steps (one TWAP window + 1, the time the
//                    oracle needs to see a price move) and liquidators sold seized collateral into the pool in
//                    between — liquidations triggered by the previous wave's sales. 0 = none, 1 = no cascade.
//   badDebt          debt written off with no collateral left (cumulative, token1).
//   realizedVol      annualised standard deviation of the per-step log returns.
//   breakerTrips     swaps the breaker stopped; pausedSteps steps that ended with swaps paused.
import type { RunMetrics, SeriesTable } from './types.ts';

export const CRASH_BAND = 0.02;

const col = (s: SeriesTable, name: string): Float64Array => {
  const c = s.data[name];
  if (c === undefined) throw new Error(`series has no column ${name}`);
  return c;
};

/**
 * @example const m = computeMetrics(series, { blockSeconds: 12, gap: 6, breakerTrips: 2 });
 */
export function computeMetrics(s: SeriesTable, o: { blockSeconds: number; gap: number; breakerTrips: number }): RunMetrics {
  const price = col(s, 'price');
  const feed = col(s, 'feed');
  const paused = col(s, 'paused');
  const liq = col(s, 'liquidations');
  const sales = col(s, 'liquidationSales');
  const repaid = col(s, 'repaid');
  const bad = col(s, 'badDebt');
  const under = s.data.underwaterDebt;
  const n = price.length;
  let maxMispricing = 0;
  let underwaterDebt = 0;
  let peak = 0;
  let maxDrawdown = 0;
  let minPrice = Number.POSITIVE_INFINITY;
  let crashDepth = 0;
  let deepest = -1;
  let run = 0;
  let crashDuration = 0;
  let pausedSteps = 0;
  let liquidationVolume = 0;
  let liquidationCount = 0;
  let sum = 0;
  let sumSq = 0;
  for (let t = 0; t < n; t++) {
    const p = price[t]!;
    if (p > peak) peak = p;
    if (peak > 0 && 1 - p / peak > maxDrawdown) maxDrawdown = 1 - p / peak;
    if (p < minPrice) minPrice = p;
    const short = feed[t]! > 0 ? 1 - p / feed[t]! : 0;
    if (short > crashDepth) {
      crashDepth = short;
      deepest = t;
    }
    if (Math.abs(short) > maxMispricing) maxMispricing = Math.abs(short);
    if (under !== undefined && under[t]! > underwaterDebt) underwaterDebt = under[t]!;
    run = short > CRASH_BAND ? run + 1 : 0;
    if (run > crashDuration) crashDuration = run;
    if (paused[t]! > 0) pausedSteps++;
    liquidationVolume += repaid[t]!;
    liquidationCount += liq[t]!;
    if (t > 0 && price[t - 1]! > 0 && p > 0) {
      const r = Math.log(p / price[t - 1]!);
      sum += r;
      sumSq += r * r;
    }
  }
  let timeToRecover = 0;
  if (deepest >= 0 && crashDepth > CRASH_BAND) {
    let t = deepest;
    while (t < n && feed[t]! > 0 && 1 - price[t]! / feed[t]! > CRASH_BAND) t++;
    timeToRecover = t - deepest;
  }
  const m = n > 1 ? n - 1 : 1;
  const variance = Math.max(0, sumSq / m - (sum / m) ** 2);
  const realizedVol = Math.sqrt(variance * ((365 * 24 * 3600) / o.blockSeconds));
  return {
    maxDrawdown,
    crashDepth,
    maxMispricing,
    underwaterDebt,
    crashDuration,
    timeToRecover,
    liquidationVolume,
    liquidationCount,
    cascadeDepth: cascadeDepth(liq, sales, o.gap),
    badDebt: n > 0 ? bad[n - 1]! : 0,
    realizedVol,
    breakerTrips: o.breakerTrips,
    pausedSteps,
    minPrice: n > 0 ? minPrice : 0,
    finalPrice: n > 0 ? price[n - 1]! : 0,
  };
}

/** See the file header. */
export function cascadeDepth(liq: Float64Array, sales: Float64Array, gap: number): number {
  let best = 0;
  let chain = 0;
  let last = -1;
  let soldSince = 0;
  for (let t = 0; t < liq.length; t++) {
    if (liq[t]! > 0) {
      chain = last >= 0 && t - last <= gap && soldSince > 0 ? chain + 1 : 1;
      if (chain > best) best = chain;
      last = t;
      soldSince = 0;
    }
    soldSince += sales[t]!;
  }
  return best;
}

/** Linear-interpolated percentile (q in [0, 1]) of `xs`. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
