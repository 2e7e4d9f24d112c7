// Trade sizing shared by the traders: every size is a fraction of the agent's current value (so profits are
// reinvested), capped by what it holds.
import { HOLD, type Action, type AgentView, type MarketView } from './types.ts';

/** Below this share of its value a trade is not worth a transaction. */
const DUST = 1e-6;

/** A swap of `fraction` of the agent's value: sell token0 (`sell`) or buy it with token1. */
export function swapAction(sell: boolean, fraction: number, m: MarketView, a: AgentView): Action {
  if (!(fraction > 0) || !(a.value > 0) || !(m.price > 0)) return HOLD;
  if (sell) {
    const amountIn = Math.min((fraction * a.value) / m.price, a.token0);
    return amountIn * m.price > DUST * a.value ? { kind: 'swap', zeroForOne: true, amountIn } : HOLD;
  }
  const amountIn = Math.min(fraction * a.value, a.token1);
  return amountIn > DUST * a.value ? { kind: 'swap', zeroForOne: false, amountIn } : HOLD;
}

/** `base` scaled by a per-agent factor in [1 - spread, 1 + spread). */
export function jitter(base: number, spread: number, rnd: () => number): number {
  return base * (1 - spread + 2 * spread * rnd());
}
