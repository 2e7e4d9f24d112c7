// The contract between a trading strategy and whatever runs it: the simulator (src/sim/) and the on-chain runtime
// (`machina agent run`) build the same MarketView and AgentView and execute the Action a strategy returns.
export { FeatureTracker } from './features.ts';
export { createStrategy, createSharedModel } from './create.ts';

export type StrategyName = 'momentum' | 'mean-reversion' | 'ml' | 'herd' | 'market-maker' | 'arbitrageur' | 'liquidator';

/** Returns and deviations as fractions (0.01 = 1%); `vol` the per-step volatility (EWMA of squared returns, sqrt). */
export type Features = { r1: number; r5: number; r20: number; devTwap: number; devFeed: number; vol: number };

export type LendingView = {
  utilization: number;
  borrowRate: number;
  /** Positions that may be liquidated now at the oracle price; debt in debt tokens, collateral in collateral tokens. */
  unhealthy: readonly { account: string; debt: number; collateral: number }[];
};

/**
 * What an agent sees at one step. Prices are token1 per token0 (floats). `liquidity` (optional) is the pool's
 * sqrt(reserve0 * reserve1) in whole tokens, which the arbitrageur needs for its closed-form size; `breaker`
 * (optional) the breaker threshold as a fraction (0 = off), so it can keep its trades inside the band.
 */
export type MarketView = {
  step: number;
  time: number;
  price: number;
  twap: number;
  feed: number;
  fee: number /* ppm */;
  paused: boolean;
  features: Features;
  lending: LendingView | null;
  liquidity?: number;
  breaker?: number;
};

/** The agent's own holdings, whole tokens (float); `value` in token1 at the pool price, LP position included. */
export type AgentView = { token0: number; token1: number; lpFraction: number; value: number };

export type Action =
  | { kind: 'hold' }
  | { kind: 'swap'; zeroForOne: boolean; amountIn: number } // whole tokens of the input token
  | { kind: 'add'; fraction: number } // of the agent's token balances, at the pool's ratio
  | { kind: 'remove'; fraction: number } // of the agent's LP shares
  | { kind: 'liquidate'; borrower: string; repay: number }; // whole debt tokens

export interface Strategy {
  readonly name: StrategyName;
  decide(m: MarketView, a: AgentView): Action;
}

export type StrategyOptions = { seed: number; params?: Record<string, number>; shared?: unknown };

export const STRATEGY_NAMES: readonly StrategyName[] = [
  'momentum', 'mean-reversion', 'ml', 'herd', 'market-maker', 'arbitrageur', 'liquidator',
];

/** The one hold action every strategy returns: frozen, so the hot loop allocates nothing when nobody trades. */
export const HOLD: Action = Object.freeze({ kind: 'hold' }) as Action;
