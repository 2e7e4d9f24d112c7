// Market maker (LP): provides liquidity while the market is calm and pulls all of it when volatility spikes —
// the liquidity evaporation that deepens crashes.
import { seededRandom } from './model.ts';
import { jitter } from './sizing.ts';
import { HOLD, type Strategy, type StrategyOptions } from './types.ts';

export const MARKET_MAKER_DEFAULTS = { calmVol: 0.004, panicVol: 0.012, addFraction: 0.5, target: 0.8, wait: 20 };

/** @example const s = marketMaker({ seed: 2 }); */
export function marketMaker(o: StrategyOptions): Strategy {
  const p = { ...MARKET_MAKER_DEFAULTS, ...o.params };
  const rnd = seededRandom(o.seed);
  const calm = jitter(p.calmVol, 0.3, rnd);
  const panic = jitter(p.panicVol, 0.3, rnd);
  const remove = Object.freeze({ kind: 'remove', fraction: 1 }) as { kind: 'remove'; fraction: number };
  const add = Object.freeze({ kind: 'add', fraction: p.addFraction }) as { kind: 'add'; fraction: number };
  let until = -1;
  return {
    name: 'market-maker',
    decide(m, a) {
      const vol = m.features.vol;
      if ((vol > panic || m.paused) && a.lpFraction > 0.001) {
        until = m.step + p.wait;
        return remove;
      }
      if (m.step < until || vol >= calm || a.lpFraction >= p.target || a.token0 <= 0 || a.token1 <= 0) return HOLD;
      until = m.step + p.wait;
      return add;
    },
  };
}
