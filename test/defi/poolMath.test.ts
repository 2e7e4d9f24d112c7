// The pool mirror's in-place contract: a call that throws (the contract would revert) leaves the state exactly as it
// was, a swap the breaker stops writes only the TWAP accumulators and the pause, and a pause refuses only the swaps
// that move the price further from the TWAP reference. The wei-exact agreement with the
// contract itself is test/defi/replay.test.ts's job.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addLiquidity, clonePool, createPool, deviation, PoolMathError, price, removeLiquidity, swap, type PoolState } from '../../src/defi/poolMath.ts';

const E18 = 10n ** 18n;
const LP = '0x00000000000000000000000000000000000000a1';

function seeded(): PoolState {
  const s = createPool({
    bounds: { minBaseFee: 500n, maxBaseFee: 10_000n, maxK: 20_000_000n, maxFee: 60_000n },
    breaker: { threshold: 50_000n, window: 60n, cooldown: 10n },
    baseFee: 3_000n,
    k: 5_000_000n,
  });
  addLiquidity(s, { amount0Max: 1000n * E18, amount1Max: 2000n * E18, to: LP, now: 100n });
  return s;
}

function reverts(s: PoolState, reason: string, f: () => unknown) {
  const before = clonePool(s);
  assert.throws(f, (e: unknown) => e instanceof PoolMathError && e.reason === reason, `expected ${reason}`);
  assert.deepEqual(s, before, `${reason} changed the state`);
}

describe('poolMath: reverted calls leave the state untouched', () => {
  it('swap, addLiquidity and removeLiquidity', () => {
    const s = seeded();
    // late enough that the accumulators and the TWAP window would move
    reverts(s, 'InsufficientOutput', () => swap(s, { zeroForOne: true, amountIn: E18, minAmountOut: 10n * E18, now: 200n }));
    reverts(s, 'ZeroAmount', () => swap(s, { zeroForOne: true, amountIn: 0n, now: 200n }));
    reverts(s, 'InsufficientShares', () => addLiquidity(s, { amount0Max: E18, amount1Max: 2n * E18, minShares: 10n ** 30n, to: LP, now: 200n }));
    reverts(s, 'InsufficientOutput', () => removeLiquidity(s, { shares: E18, from: LP, min0: 10n ** 30n, now: 200n }));
    reverts(s, 'SharesExceedBalance', () => removeLiquidity(s, { shares: 10n ** 30n, from: LP, now: 200n }));
    const empty = createPool({ bounds: s.bounds, breaker: s.breaker, baseFee: s.baseFee, k: s.k });
    reverts(empty, 'InsufficientShares', () => addLiquidity(empty, { amount0Max: E18, amount1Max: E18, minShares: E18, to: LP, now: 1n }));
    reverts(empty, 'InsufficientLiquidity', () => swap(empty, { zeroForOne: true, amountIn: E18, now: 1n }));
  });

  it('a swap the breaker stops rolls the TWAP and pauses, and moves nothing else', () => {
    const s = seeded();
    swap(s, { zeroForOne: true, amountIn: E18, now: 170n }); // rolls a window: the TWAP is now set
    const before = clonePool(s);
    const r = swap(s, { zeroForOne: true, amountIn: 200n * E18, now: 175n });
    assert.deepEqual(r, { amountOut: 0n, tripped: true, fee: before.fee });
    assert.equal(s.pausedUntil, 185n);
    assert.equal(s.lastTimestamp, 175n);
    assert.equal(s.priceCumulative, before.priceCumulative + ((before.reserve1 * E18) / before.reserve0) * 5n);
    const { pausedUntil: _p, lastTimestamp: _l, priceCumulative: _c, ...rest } = s;
    const { pausedUntil: _bp, lastTimestamp: _bl, priceCumulative: _bc, ...restBefore } = before;
    assert.deepEqual(rest, restBefore);
    // further down, away from the reference: refused, and the accumulation it would have done is not kept
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: true, amountIn: E18, now: 184n }));
  });
});

describe('poolMath: during a pause only swaps that move away from the TWAP are refused', () => {
  /** Seeded at price 2.0, pushed ~4% down inside the 5% band, then tripped: paused until 185. */
  function tripped(): PoolState {
    const s = seeded();
    swap(s, { zeroForOne: true, amountIn: 20n * E18, now: 175n }); // rolls the window: the reference is 2.0
    assert.equal(s.twapPrice, 2n * E18);
    assert.equal(swap(s, { zeroForOne: true, amountIn: 100n * E18, now: 175n }).tripped, true);
    assert.equal(s.pausedUntil, 185n);
    return s;
  }
  const dev = (s: PoolState) => deviation(price(s.reserve0, s.reserve1), s.twapPrice);

  it('executes a swap toward the reference, without touching the pause', () => {
    const s = tripped();
    const before = clonePool(s);
    const r = swap(s, { zeroForOne: false, amountIn: 10n * E18, now: 180n });
    assert.equal(r.tripped, false);
    assert.ok(r.amountOut > 0n);
    assert.ok(dev(s) < dev(before));
    assert.equal(s.pausedUntil, 185n);
    assert.equal(s.reserve1, before.reserve1 + 10n * E18);
    assert.equal(s.lastTimestamp, 180n);
    assert.notEqual(s.variance, before.variance); // the EWMA took the move
  });

  it('executes a dust swap that leaves the ppm deviation unchanged', () => {
    const s = tripped();
    const d = dev(s);
    assert.ok(swap(s, { zeroForOne: true, amountIn: 10n ** 9n, now: 180n }).amountOut > 0n);
    assert.equal(dev(s), d);
  });

  it('refuses a swap away from the reference, or past it to a larger deviation, and leaves the state alone', () => {
    const s = tripped();
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: true, amountIn: E18, now: 180n }));
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: false, amountIn: 300n * E18, now: 180n }));
    // a refusal wins over a too-high minimum; an allowed swap still checks it
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: true, amountIn: E18, minAmountOut: 10n ** 30n, now: 180n }));
    reverts(s, 'InsufficientOutput', () => swap(s, { zeroForOne: false, amountIn: E18, minAmountOut: 10n ** 30n, now: 180n }));
  });

  it('judges against the reference this call rolls', () => {
    const s = tripped();
    const spot = price(s.reserve0, s.reserve1);
    // at 235 the window (60 s) rolls to the average since 175: the pushed spot price itself, so a move up toward
    // the old reference of 2.0 now moves away from the new one
    s.pausedUntil = 300n;
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: false, amountIn: E18, now: 235n }));
    assert.equal(s.twapPrice, 2n * E18);
    addLiquidity(s, { amount0Max: E18, amount1Max: 2n * E18, to: LP, now: 235n });
    assert.equal(s.twapPrice, spot);
  });

  it('recovers at the end of the cooldown', () => {
    const s = tripped();
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: true, amountIn: E18, now: 184n }));
    assert.ok(swap(s, { zeroForOne: true, amountIn: E18, now: 185n }).amountOut > 0n);
    assert.equal(swap(s, { zeroForOne: true, amountIn: 100n * E18, now: 185n }).tripped, true);
    assert.equal(s.pausedUntil, 195n);
  });
});
