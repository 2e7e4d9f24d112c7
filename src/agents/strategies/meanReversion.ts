// Mean reversion: sells when the pool price stands above its TWAP and buys below it, when the gap beats its
// threshold plus the pool's current fee.
import { seededRandom } from './model.ts';
import { jitter, swapAction } from './sizing.ts';
import { HOLD, type Strategy, type StrategyOptions } from './types.ts';

export const MEAN_REVERSION_DEFAULTS = { threshold: 0.02, fraction: 0.1, hold: 5 };

/** @example const s = meanReversion({ seed: 7 }); */
export function meanReversion(o: StrategyOptions): Strategy {
  const p = { ...MEAN_REVERSION_DEFAULTS, ...o.params };
  const rnd = seededRandom(o.seed);
  const threshold = jitter(p.threshold, 0.5, rnd);
  const fraction = jitter(p.fraction, 0.5, rnd);
  let until = -1;
  return {
    name: 'mean-reversion',
    decide(m, a) {
      if (m.paused || m.step < until) return HOLD;
      const d = m.features.devTwap;
      const cut = threshold + m.fee / 1e6;
      if (d <= cut && d >= -cut) return HOLD;
      const action = swapAction(d > 0, fraction, m, a);
      if (action !== HOLD) until = m.step + p.hold;
      return action;
    },
  };
}
