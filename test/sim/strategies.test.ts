// The pure strategies: features, each strategy's rule, the herd's one shared model, the arbitrageur's closed form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSharedModel,
  createStrategy,
  OnlineForecaster,
  PRIOR_WEIGHTS,
  SharedModel,
  FeatureTracker,
  HOLD,
  STRATEGY_NAMES,
  type AgentView,
  type Features,
  type MarketView,
} from '../../src/agents/strategies/index.ts';
import { aiVariant } from '../../src/agents/strategies/ai.ts';
import { addLiquidity, createPool, price, swap } from '../../src/defi/poolMath.ts';

const calm: Features = Object.freeze({ r1: 0, r5: 0, r20: 0, devTwap: 0, devFeed: 0, vol: 0.001 });

function view(o: Omit<Partial<MarketView>, 'features'> & { features?: Partial<Features> } = {}): MarketView {
  const { features, ...rest } = o;
  return {
    step: 10, time: 120, price: 100, twap: 100, feed: 100, fee: 3000, paused: false, lending: null, liquidity: 1_000_000, breaker: 0,
    ...rest,
    features: { ...calm, ...features },
  };
}
const agent: AgentView = { token0: 50, token1: 5000, lpFraction: 0, value: 10_000 };

describe('FeatureTracker', () => {
  it('computes returns over 1, 5 and 20 steps, deviations and an EWMA volatility', () => {
    const t = new FeatureTracker();
    let f = t.push(100, 100, 100);
    assert.deepEqual({ ...f }, { r1: 0, r5: 0, r20: 0, devTwap: 0, devFeed: 0, vol: 0 });
    for (let i = 1; i <= 25; i++) f = t.push(100 + i, 100, 110);
    assert.ok(Math.abs(f.r1 - (125 / 124 - 1)) < 1e-12);
    assert.ok(Math.abs(f.r5 - (125 / 120 - 1)) < 1e-12);
    assert.ok(Math.abs(f.r20 - (125 / 105 - 1)) < 1e-12);
    assert.ok(Math.abs(f.devTwap - 0.25) < 1e-12);
    assert.ok(Math.abs(f.devFeed - (125 / 110 - 1)) < 1e-12);
    assert.ok(f.vol > 0.005 && f.vol < 0.02);
    assert.ok(Object.isFrozen(f));
  });
});

describe('strategies', () => {
  it('every name builds and holds in a calm market, returning the one frozen HOLD', () => {
    const shared = createSharedModel();
    for (const name of STRATEGY_NAMES) {
      const s = createStrategy(name, { seed: 1, shared });
      assert.equal(s.name, name);
      const a = s.decide(view(), { ...agent, token0: name === 'liquidator' ? 0 : agent.token0, lpFraction: name === 'market-maker' ? 0.9 : 0 });
      assert.equal(a, HOLD, name);
    }
    assert.ok(Object.isFrozen(HOLD));
  });

  it('momentum follows the trend when the move beats its threshold plus the fee, and the dynamic fee suppresses it', () => {
    const s = createStrategy('momentum', { seed: 1, params: { threshold: 0.01, horizon: 5 } });
    const up = s.decide(view({ features: { r5: 0.05 } }), agent);
    assert.equal(up.kind, 'swap');
    assert.equal(up.kind === 'swap' && up.zeroForOne, false, 'buys token0 after a rise');
    const t = createStrategy('momentum', { seed: 1, params: { threshold: 0.01, horizon: 5 } });
    assert.equal(t.decide(view({ features: { r5: 0.05 }, fee: 50_000 }), agent), HOLD, 'a 5% fee eats the signal');
    const down = createStrategy('momentum', { seed: 2, params: { horizon: 5 } }).decide(view({ features: { r5: -0.08 } }), agent);
    assert.ok(down.kind === 'swap' && down.zeroForOne, 'sells token0 after a fall');
    assert.equal(createStrategy('momentum', { seed: 1 }).decide(view({ features: { r5: -0.08, r20: -0.08 }, paused: true }), agent), HOLD);
  });

  it('sizes are fractions of current value (profits reinvested) capped by holdings', () => {
    const s = createStrategy('momentum', { seed: 3, params: { fraction: 0.1, horizon: 5 } });
    const rich = s.decide(view({ features: { r5: -0.1 } }), { token0: 1000, token1: 0, lpFraction: 0, value: 100_000 });
    const s2 = createStrategy('momentum', { seed: 3, params: { fraction: 0.1, horizon: 5 } });
    const poor = s2.decide(view({ features: { r5: -0.1 } }), { token0: 100, token1: 0, lpFraction: 0, value: 10_000 });
    assert.ok(rich.kind === 'swap' && poor.kind === 'swap');
    assert.ok(Math.abs(rich.amountIn / poor.amountIn - 10) < 1e-9);
    const s3 = createStrategy('momentum', { seed: 3, params: { fraction: 0.9, horizon: 5 } });
    const capped = s3.decide(view({ features: { r5: -0.1 } }), { token0: 1, token1: 9_900, lpFraction: 0, value: 10_000 });
    assert.ok(capped.kind === 'swap' && capped.amountIn <= 1);
  });

  it('mean reversion sells above the TWAP and buys below', () => {
    const above = createStrategy('mean-reversion', { seed: 1 }).decide(view({ features: { devTwap: 0.1 } }), agent);
    const below = createStrategy('mean-reversion', { seed: 1 }).decide(view({ features: { devTwap: -0.1 } }), agent);
    assert.ok(above.kind === 'swap' && above.zeroForOne);
    assert.ok(below.kind === 'swap' && !below.zeroForOne);
  });

  it('the herd\'s one model is a draw from the same distribution as each ml agent\'s, not the consensus prior', () => {
    for (const seed of [1, 2, 3]) {
      const v = aiVariant(seed, {});
      const shared = createSharedModel({ seed });
      assert.deepEqual([...shared.model.weights], v.weights, 'the same draw an ml agent with this seed makes');
      assert.deepEqual(shared.rule, v.rule);
    }
    // over many draws the mean weights match the ml agents' (both ~ prior x E[U(-1,2)] = prior / 2)
    const meanW0 = (f: (seed: number) => number) => Array.from({ length: 2000 }, (_, i) => f(i + 1)).reduce((a, b) => a + b, 0) / 2000;
    const herdMean = meanW0((seed) => createSharedModel({ seed }).model.weights[0]!);
    const mlMean = meanW0((seed) => aiVariant(seed * 7919 + 13).weights[0]!);
    assert.ok(Math.abs(herdMean - PRIOR_WEIGHTS[0]! / 2) < 0.03 && Math.abs(mlMean - PRIOR_WEIGHTS[0]! / 2) < 0.03, `${herdMean} ${mlMean}`);
  });

  it('herd agents share one model: one training step per market step, identical actions in lockstep', () => {
    // a trend-following herd (the consensus prior) so that the crash below makes it sell
    const shared = new SharedModel({ model: new OnlineForecaster({ weights: PRIOR_WEIGHTS }) });
    const herd = Array.from({ length: 50 }, (_, i) => createStrategy('herd', { seed: i, shared }));
    const t = new FeatureTracker();
    let price = 100;
    for (let step = 0; step < 30; step++) {
      price *= step === 25 ? 0.85 : 1 + 0.001 * Math.sin(step);
      const m = view({ step, price, twap: 100, feed: 100 });
      m.features = t.push(price, 100, 100);
      const actions = herd.map((s) => s.decide(m, agent));
      const first = JSON.stringify(actions[0]);
      assert.ok(actions.every((a) => JSON.stringify(a) === first), `step ${step}: lockstep`);
      if (step === 25) assert.ok(actions[0]?.kind === 'swap' && actions[0].zeroForOne, 'the herd sells the crash together');
      if (step === 26) assert.equal(actions[0], HOLD, 'and holds together');
    }
    assert.equal(shared.model.updates, 29, 'trained once per step, not once per agent');
  });

  it('independent ML agents train their own models and disagree', () => {
    const ml = Array.from({ length: 200 }, (_, i) => createStrategy('ml', { seed: i + 1 }));
    const t = new FeatureTracker();
    const counts = { buy: 0, sell: 0, hold: 0 };
    let price = 100;
    for (let step = 0; step < 10; step++) {
      price *= step === 9 ? 0.9 : 1;
      const m = view({ step, price });
      m.features = t.push(price, 100, 100);
      for (const s of ml) {
        const a = s.decide(m, agent);
        if (step === 9) counts[a.kind === 'swap' ? (a.zeroForOne ? 'sell' : 'buy') : 'hold']++;
      }
    }
    assert.ok(counts.sell > 0 && counts.buy + counts.hold > 0, JSON.stringify(counts));
  });

  it('the market maker adds liquidity when calm and pulls it all when volatility spikes', () => {
    const s = createStrategy('market-maker', { seed: 1 });
    const add = s.decide(view({ features: { vol: 0.0005 } }), agent);
    assert.equal(add.kind, 'add');
    const pull = s.decide(view({ step: 11, features: { vol: 0.05 } }), { ...agent, lpFraction: 0.5 });
    assert.deepEqual({ ...pull }, { kind: 'remove', fraction: 1 });
  });

  it('the arbitrageur trades the pool to the feed with the closed-form size, inside the breaker band', () => {
    const WAD = 10n ** 18n;
    for (const [feed, fee] of [[90, 3000], [112, 3000], [95, 20_000]] as const) {
      const pool = createPool({ bounds: { minBaseFee: 0n, maxBaseFee: 50_000n, maxK: 0n, maxFee: 50_000n }, breaker: { threshold: 0n, window: 60n, cooldown: 60n }, baseFee: BigInt(fee), k: 0n });
      addLiquidity(pool, { amount0Max: 10_000n * WAD, amount1Max: 1_000_000n * WAD, to: 'lp', now: 1n });
      const L = Math.sqrt(10_000 * 1_000_000);
      const a = createStrategy('arbitrageur', { seed: 1, params: { minEdge: 0.0001 } }).decide(
        view({ price: 100, feed, fee, liquidity: L }),
        { token0: 1e6, token1: 1e8, lpFraction: 0, value: 2e8 },
      );
      assert.equal(a.kind, 'swap');
      if (a.kind !== 'swap') continue;
      assert.equal(a.zeroForOne, feed < 100);
      swap(pool, { zeroForOne: a.zeroForOne, amountIn: BigInt(Math.floor(a.amountIn * 1e18)), now: 2n });
      const after = Number(price(pool.reserve0, pool.reserve1)) / 1e18;
      const g = 1 - fee / 1e6;
      // the marginal price after the fee lands on the feed: spot = feed / g (selling) or feed * g (buying)
      const expected = a.zeroForOne ? feed / g : feed * g;
      assert.ok(Math.abs(after / expected - 1) < 1e-3, `feed ${feed}: pool ${after}, expected ${expected}`);
    }
    const banded = createStrategy('arbitrageur', { seed: 1 }).decide(view({ feed: 70, breaker: 0.1, liquidity: 1e5 }), { token0: 1e6, token1: 1e8, lpFraction: 0, value: 2e8 });
    assert.ok(banded.kind === 'swap');
    const small = createStrategy('arbitrageur', { seed: 1 }).decide(view({ feed: 100.1 }), agent);
    assert.equal(small, HOLD, 'a gap inside the fee is not worth it');
  });

  it('the liquidator repays an unhealthy borrower, then dumps the seized collateral', () => {
    const s = createStrategy('liquidator', { seed: 1 });
    const lending = { utilization: 0.5, borrowRate: 0.05, unhealthy: [{ account: 'b1', debt: 800, collateral: 10 }] };
    const a = s.decide(view({ lending }), { token0: 0, token1: 500, lpFraction: 0, value: 500 });
    assert.deepEqual({ ...a }, { kind: 'liquidate', borrower: 'b1', repay: 500 });
    const sell = s.decide(view({ lending: { ...lending, unhealthy: [] } }), { token0: 6, token1: 0, lpFraction: 0, value: 600 });
    assert.deepEqual({ ...sell }, { kind: 'swap', zeroForOne: true, amountIn: 6 });
    assert.equal(s.decide(view({ paused: true, lending: { ...lending, unhealthy: [] } }), { token0: 6, token1: 0, lpFraction: 0, value: 600 }), HOLD);
  });
});
