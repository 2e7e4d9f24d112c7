// Momentum: buys after a rise and sells after a fall over its horizon (5 or 20 steps), when the move beats its
// threshold plus the pool's current fee.
import { seededRandom } from './model.ts';
import { jitter, swapAction } from './sizing.ts';
import { HOLD, type Strategy, type StrategyOptions } from './types.ts';

export const MOMENTUM_DEFAULTS = { threshold: 0.01, fraction: 0.1, hold: 10, horizon: 0 };

/** @example const s = momentum({ seed: 7 }); const action = s.decide(market, agent); */
export function momentum(o: StrategyOptions): Strategy {
  const p = { ...MOMENTUM_DEFAULTS, ...o.params };
  const rnd = seededRandom(o.seed);
  const threshold = jitter(p.threshold, 0.5, rnd);
  const fraction = jitter(p.fraction, 0.5, rnd);
  const long = p.horizon === 0 ? rnd() < 0.5 : p.horizon >= 20;
  let until = -1;
  return {
    name: 'momentum',
    decide(m, a) {
      if (m.paused || m.step < until) return HOLD;
      const s = long ? m.features.r20 : m.features.r5;
      const cut = threshold + m.fee / 1e6;
      if (s <= cut && s >= -cut) return HOLD;
      const action = swapAction(s < 0, fraction, m, a);
      if (action !== HOLD) until = m.step + p.hold;
      return action;
    },
  };
}
