// Arbitrageur: trades the pool toward the external feed when the gap beats the fee, with the closed-form size
// that maximises its profit (marginal pool price after fee = feed), kept inside the breaker's band; while swaps are
// paused, only toward the TWAP (what the pool still accepts).
import { jitter } from './sizing.ts';
import { seededRandom } from './model.ts';
import { HOLD, type Strategy, type StrategyOptions } from './types.ts';

export const ARBITRAGEUR_DEFAULTS = { minEdge: 0.001, maxFraction: 1, band: 0.95 };

/**
 * Selling x token0 into reserves (r0, r1) at fee factor g moves the marginal price to g*r0*r1/(r0+g*x)^2; setting
 * it to the target gives x = (sqrt(g*r0*r1/target) - r0)/g, and buying with y token1 y = (sqrt(g*r0*r1*target) - r1)/g.
 * @example const s = arbitrageur({ seed: 1 });
 */
export function arbitrageur(o: StrategyOptions): Strategy {
  const p = { ...ARBITRAGEUR_DEFAULTS, ...o.params };
  const minEdge = jitter(p.minEdge, 0.5, seededRandom(o.seed));
  return {
    name: 'arbitrageur',
    decide(m, a) {
      const L = m.liquidity ?? 0;
      if (L <= 0 || !(m.feed > 0) || !(m.price > 0)) return HOLD;
      const g = 1 - m.fee / 1e6;
      let target = m.feed;
      const b = m.breaker ?? 0;
      if (b > 0 && m.twap > 0) {
        const lo = m.twap * (1 - b * p.band);
        const hi = m.twap * (1 + b * p.band);
        target = target < lo ? lo : target > hi ? hi : target;
      }
      const P = m.price;
      // while swaps are paused the pool takes only swaps that do not move the price further from the TWAP:
      // trade toward the feed, but not past the TWAP
      if (m.paused) {
        if (!(m.twap > 0)) return HOLD;
        if (P >= m.twap) target = target < m.twap ? m.twap : target > P ? P : target;
        else target = target > m.twap ? m.twap : target < P ? P : target;
      }
      const sq = Math.sqrt(P);
      const r0 = L / sq;
      const r1 = L * sq;
      const cap = p.maxFraction * a.value;
      if (g * P > target * (1 + minEdge)) {
        const x = Math.min((Math.sqrt((g * r0 * r1) / target) - r0) / g, a.token0, cap / P);
        return x > 0 && x * P > 1e-9 * a.value ? { kind: 'swap', zeroForOne: true, amountIn: x } : HOLD;
      }
      if (P < g * target * (1 - minEdge)) {
        const y = Math.min((Math.sqrt(g * r0 * r1 * target) - r1) / g, a.token1, cap);
        return y > 1e-9 * a.value ? { kind: 'swap', zeroForOne: false, amountIn: y } : HOLD;
      }
      return HOLD;
    },
  };
}
