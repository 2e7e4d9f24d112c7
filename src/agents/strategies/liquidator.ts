// Liquidator: repays unhealthy borrowers' debt at the oracle price plus the bonus, then dumps the seized
// collateral into the pool for debt tokens to liquidate again — the sales that drive liquidation cascades.
import { HOLD, type Strategy, type StrategyOptions } from './types.ts';

export const LIQUIDATOR_DEFAULTS = { minRepay: 1, sellFraction: 1 };

/** @example const s = liquidator({ seed: 4 }); */
export function liquidator(o: StrategyOptions): Strategy {
  const p = { ...LIQUIDATOR_DEFAULTS, ...o.params };
  return {
    name: 'liquidator',
    decide(m, a) {
      const l = m.lending;
      if (l !== null && l.unhealthy.length > 0 && a.token1 > p.minRepay) {
        for (const u of l.unhealthy) {
          if (u.debt > 0) return { kind: 'liquidate', borrower: u.account, repay: Math.min(u.debt, a.token1) };
        }
      }
      if (m.paused || a.token0 <= 1e-9) return HOLD;
      return { kind: 'swap', zeroForOne: true, amountIn: a.token0 * p.sellFraction };
    },
  };
}
