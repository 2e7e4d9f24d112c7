// The pool mirror's in-place contract: a call that throws (the contract would revert) leaves the state exactly as it
// was, and a swap the breaker stops writes only the TWAP accumulators and the pause. The wei-exact agreement with the
// contract itself is test/defi/replay.test.ts's job.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addLiquidity, clonePool, createPool, PoolMathError, removeLiquidity, swap, type PoolState } from '../../src/defi/poolMath.ts';

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
    reverts(s, 'SwapsPaused', () => swap(s, { zeroForOne: false, amountIn: E18, now: 184n }));
  });
});
