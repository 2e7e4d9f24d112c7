// The features every strategy reads, computed once per step from the price path, so the simulator and the
// on-chain runtime feed strategies exactly the same numbers.
import type { Features } from './types.ts';

const HISTORY = 21;

/**
 * Tracks the last 21 prices and an EWMA of squared one-step returns.
 * @example const t = new FeatureTracker(); const f = t.push(price, twap, feed); // f.r5, f.vol ...
 */
export class FeatureTracker {
  private readonly prices = new Float64Array(HISTORY);
  private count = 0;
  private head = 0;
  private variance = 0;
  /** Weight of the newest squared return in the volatility EWMA. */
  readonly alpha: number;

  constructor(alpha = 0.1) {
    this.alpha = alpha;
  }

  /** Records this step's pool price, TWAP and external feed and returns the features (a new frozen object). */
  push(price: number, twap: number, feed: number): Features {
    const prev = this.count > 0 ? this.at(1 - 1) : price;
    this.head = (this.head + 1) % HISTORY;
    this.prices[this.head] = price;
    this.count = Math.min(this.count + 1, HISTORY);
    const r1 = prev > 0 ? price / prev - 1 : 0;
    this.variance = this.count <= 1 ? 0 : this.variance * (1 - this.alpha) + r1 * r1 * this.alpha;
    return Object.freeze({
      r1,
      r5: this.ret(5, price),
      r20: this.ret(20, price),
      devTwap: twap > 0 ? price / twap - 1 : 0,
      devFeed: feed > 0 ? price / feed - 1 : 0,
      vol: Math.sqrt(this.variance),
    });
  }

  /** The price `back` steps ago (0 = the newest). */
  private at(back: number): number {
    return this.prices[(this.head - back + HISTORY) % HISTORY]!;
  }

  private ret(n: number, price: number): number {
    const back = Math.min(n, this.count - 1);
    if (back <= 0) return 0;
    const p = this.at(back);
    return p > 0 ? price / p - 1 : 0;
  }
}
