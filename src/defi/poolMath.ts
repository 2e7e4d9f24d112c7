// The AdaptivePool's math in bigint, wei-exact: swaps, liquidity, the volatility-driven fee, the TWAP accumulator
// and the circuit breaker. Pure (no I/O): the simulator runs it, and test/defi/replay.test.ts checks it against the
// contract after every step. Scales: fees and the breaker threshold in ppm (1e6), prices, variance and k in WAD.
import { MachinaError } from '../errors/base.ts';

export const WAD = 10n ** 18n;
export const FEE_SCALE = 1_000_000n;
/** Weight of the newest squared move in the variance EWMA (0.1, WAD). */
export const ALPHA = WAD / 10n;
export const MINIMUM_LIQUIDITY = 1000n;

/** Governance's limits on the controller (fees in ppm, maxK in ppm per 1.0 of variance). */
export type PoolBounds = { minBaseFee: bigint; maxBaseFee: bigint; maxK: bigint; maxFee: bigint };
/** Breaker configuration; threshold 0 turns it off. */
export type PoolBreaker = { threshold: bigint; window: bigint; cooldown: bigint };

/** The pool's state: the fields of `IAdaptivePool.PoolState` plus its configuration and LP balances. */
export type PoolState = {
  reserve0: bigint;
  reserve1: bigint;
  totalShares: bigint;
  fee: bigint;
  baseFee: bigint;
  k: bigint;
  variance: bigint;
  priceCumulative: bigint;
  lastTimestamp: bigint;
  obsCumulative: bigint;
  obsTimestamp: bigint;
  twapPrice: bigint;
  pausedUntil: bigint;
  bounds: PoolBounds;
  breaker: PoolBreaker;
  shares: Map<string, bigint>;
};

/** What the contract would revert with; `reason` is the Solidity custom error's name. */
export class PoolMathError extends MachinaError {
  override name = 'PoolMathError';
  readonly reason: string;
  constructor(reason: string, details?: Record<string, unknown>) {
    super(`pool: ${reason}`, { code: 'POOL_REVERT', details });
    this.reason = reason;
  }
}

/**
 * A new, empty pool, as the contract's constructor leaves it.
 * @example const s = createPool({ bounds, breaker, baseFee: 3000n, k: 2_000_000n });
 */
export function createPool(p: { bounds: PoolBounds; breaker: PoolBreaker; baseFee: bigint; k: bigint }): PoolState {
  const s: PoolState = {
    reserve0: 0n, reserve1: 0n, totalShares: 0n, fee: 0n, baseFee: p.baseFee, k: p.k, variance: 0n,
    priceCumulative: 0n, lastTimestamp: 0n, obsCumulative: 0n, obsTimestamp: 0n, twapPrice: 0n, pausedUntil: 0n,
    bounds: { ...p.bounds }, breaker: { ...p.breaker }, shares: new Map(),
  };
  setBounds(s, p.bounds);
  setBreaker(s, p.breaker);
  return s;
}

/** A deep copy (the simulator forks states for what-if quotes). */
export function clonePool(s: PoolState): PoolState {
  return { ...s, bounds: { ...s.bounds }, breaker: { ...s.breaker }, shares: new Map(s.shares) };
}

/** Spot price of token0 in token1, WAD (floor). */
export function price(r0: bigint, r1: bigint): bigint {
  return (r1 * WAD) / r0;
}

/** ppm distance of `p` from `twap`. */
export function deviation(p: bigint, twap: bigint): bigint {
  return ((p > twap ? p - twap : twap - p) * FEE_SCALE) / twap;
}

/** The variance EWMA after a move from `p0` to `p1`. */
export function nextVariance(v: bigint, p0: bigint, p1: bigint): bigint {
  let move = p0 === 0n ? WAD : ((p1 > p0 ? p1 - p0 : p0 - p1) * WAD) / p0;
  if (move > WAD) move = WAD;
  return (v * (WAD - ALPHA) + ((move * move) / WAD) * ALPHA) / WAD;
}

/** fee = min(baseFee + k * variance / WAD, maxFee). */
export function dynamicFee(s: PoolState): bigint {
  const f = s.baseFee + (s.k * s.variance) / WAD;
  return f > s.bounds.maxFee ? s.bounds.maxFee : f;
}

/** Output and post-swap reserves of an exact-in swap at fee `fee` (ppm). */
export function quote(zeroForOne: boolean, amountIn: bigint, fee: bigint, r0: bigint, r1: bigint) {
  const inAfterFee = (amountIn * (FEE_SCALE - fee)) / FEE_SCALE;
  const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
  const amountOut = (inAfterFee * rOut) / (rIn + inAfterFee);
  const [n0, n1] = zeroForOne ? [r0 + amountIn, r1 - amountOut] : [r0 - amountOut, r1 + amountIn];
  return { amountOut, reserve0: n0, reserve1: n1 };
}

/** Accrues the price accumulator and rolls the TWAP window when due (the contract's `_accumulate`). */
export function accumulate(s: PoolState, now: bigint): void {
  accumulated(s, now);
  commitAccumulator(s);
}

// Scratch of the last `accumulated()` call: the TWAP accumulators at `now`, not yet written to the state. The
// mutators compute in locals, validate, and only then write, so a revert leaves the state untouched without a copy.
let accPriceCumulative = 0n;
let accLastTimestamp = 0n;
let accObsCumulative = 0n;
let accObsTimestamp = 0n;
let accTwapPrice = 0n;

function accumulated(s: PoolState, now: bigint): void {
  accPriceCumulative = s.priceCumulative;
  accLastTimestamp = s.lastTimestamp;
  accObsCumulative = s.obsCumulative;
  accObsTimestamp = s.obsTimestamp;
  accTwapPrice = s.twapPrice;
  if (now > accLastTimestamp) {
    accPriceCumulative += ((s.reserve1 * WAD) / s.reserve0) * (now - accLastTimestamp);
    accLastTimestamp = now;
  }
  if (now - accObsTimestamp >= s.breaker.window) {
    accTwapPrice = (accPriceCumulative - accObsCumulative) / (now - accObsTimestamp);
    accObsCumulative = accPriceCumulative;
    accObsTimestamp = now;
  }
}

function commitAccumulator(s: PoolState): void {
  s.priceCumulative = accPriceCumulative;
  s.lastTimestamp = accLastTimestamp;
  s.obsCumulative = accObsCumulative;
  s.obsTimestamp = accObsTimestamp;
  s.twapPrice = accTwapPrice;
}

export type SwapResult = { amountOut: bigint; tripped: boolean; fee: bigint };

/**
 * Applies an exact-in swap at block time `now` to `s` (in place; on a revert `s` is left untouched). A swap the
 * breaker stops returns `{ amountOut: 0n, tripped: true }` and pauses swaps, as the contract does. During a pause
 * (`now < pausedUntil`) a swap that does not increase the price's ppm deviation from the TWAP reference (as this
 * call's accumulation leaves it) executes normally, and one that increases it throws `SwapsPaused`.
 * @example const { amountOut } = swap(s, { zeroForOne: true, amountIn: 10n ** 18n, minAmountOut: 0n, now });
 */
export function swap(s: PoolState, p: { zeroForOne: boolean; amountIn: bigint; minAmountOut?: bigint; now: bigint }): SwapResult {
  // The simulator's hot path: no copies, no tuples; every intermediate is a local until the last checks pass.
  const amountIn = p.amountIn;
  const now = p.now;
  if (amountIn === 0n) throw new PoolMathError('ZeroAmount');
  const r0 = s.reserve0;
  const r1 = s.reserve1;
  if (r0 === 0n) throw new PoolMathError('InsufficientLiquidity');
  accumulated(s, now);
  const fee = s.fee;
  const inAfterFee = (amountIn * (FEE_SCALE - fee)) / FEE_SCALE;
  let amountOut: bigint;
  let n0: bigint;
  let n1: bigint;
  if (p.zeroForOne) {
    amountOut = (inAfterFee * r1) / (r0 + inAfterFee);
    n0 = r0 + amountIn;
    n1 = r1 - amountOut;
  } else {
    amountOut = (inAfterFee * r0) / (r1 + inAfterFee);
    n0 = r0 - amountOut;
    n1 = r1 + amountIn;
  }
  const oldPrice = (r1 * WAD) / r0;
  const newPrice = (n1 * WAD) / n0;
  // the breaker, against the reference as this call's accumulation leaves it (the contract's `_breakerStops`)
  const twap = accTwapPrice;
  if (now < s.pausedUntil) {
    // paused: only a swap that moves the price further from the TWAP is refused
    if (twap === 0n || deviation(newPrice, twap) > deviation(oldPrice, twap)) {
      throw new PoolMathError('SwapsPaused', { until: s.pausedUntil });
    }
  } else {
    const threshold = s.breaker.threshold;
    if (threshold !== 0n && twap !== 0n) {
      const newDev = deviation(newPrice, twap);
      if (newDev > threshold && newDev > deviation(oldPrice, twap)) {
        commitAccumulator(s);
        s.pausedUntil = now + s.breaker.cooldown;
        return { amountOut: 0n, tripped: true, fee };
      }
    }
  }
  const minAmountOut = p.minAmountOut ?? 0n;
  if (amountOut === 0n || amountOut < minAmountOut) {
    throw new PoolMathError('InsufficientOutput', { amountOut, minAmountOut });
  }
  commitAccumulator(s);
  s.variance = nextVariance(s.variance, oldPrice, newPrice);
  s.fee = dynamicFee(s);
  s.reserve0 = n0;
  s.reserve1 = n1;
  return { amountOut, tripped: false, fee };
}

function sqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let z = x;
  let y = (x + 1n) / 2n;
  while (y < z) {
    z = y;
    y = (x / y + y) / 2n;
  }
  return z;
}

const ceilDiv = (a: bigint, b: bigint) => (a === 0n ? 0n : (a - 1n) / b + 1n);

/**
 * Adds liquidity for `to` (in place), taking at most the given amounts at the pool's ratio.
 * @example const { shares } = addLiquidity(s, { amount0Max: 10n ** 21n, amount1Max: 10n ** 21n, to: lp, now });
 */
export function addLiquidity(
  s: PoolState,
  p: { amount0Max: bigint; amount1Max: bigint; minShares?: bigint; to: string; now: bigint },
): { shares: bigint; amount0: bigint; amount1: bigint } {
  if (p.amount0Max === 0n || p.amount1Max === 0n) throw new PoolMathError('ZeroAmount');
  let shares: bigint;
  let amount0: bigint;
  let amount1: bigint;
  const supply = s.totalShares;
  if (supply === 0n) {
    const root = sqrt(p.amount0Max * p.amount1Max);
    if (root <= MINIMUM_LIQUIDITY) throw new PoolMathError('InsufficientLiquidity');
    shares = root - MINIMUM_LIQUIDITY;
    amount0 = p.amount0Max;
    amount1 = p.amount1Max;
    if (shares < (p.minShares ?? 0n)) throw new PoolMathError('InsufficientShares', { shares });
    s.shares.set(zeroKey, MINIMUM_LIQUIDITY);
    s.totalShares = root;
    s.lastTimestamp = p.now;
    s.obsTimestamp = p.now;
    s.twapPrice = price(amount0, amount1);
  } else {
    accumulated(s, p.now);
    const s0 = (p.amount0Max * supply) / s.reserve0;
    const s1 = (p.amount1Max * supply) / s.reserve1;
    shares = s0 < s1 ? s0 : s1;
    if (shares === 0n) throw new PoolMathError('InsufficientLiquidity');
    amount0 = ceilDiv(shares * s.reserve0, supply);
    amount1 = ceilDiv(shares * s.reserve1, supply);
    if (shares < (p.minShares ?? 0n)) throw new PoolMathError('InsufficientShares', { shares });
    commitAccumulator(s);
    s.totalShares = supply + shares;
  }
  const key = p.to.toLowerCase();
  s.shares.set(key, (s.shares.get(key) ?? 0n) + shares);
  s.reserve0 += amount0;
  s.reserve1 += amount1;
  return { shares, amount0, amount1 };
}

const zeroKey = '0x0000000000000000000000000000000000000000';

/**
 * Burns `shares` of `from` (in place) and returns the pro-rata reserves.
 * @example const { amount0, amount1 } = removeLiquidity(s, { shares, from: lp, now });
 */
export function removeLiquidity(
  s: PoolState,
  p: { shares: bigint; from: string; min0?: bigint; min1?: bigint; now: bigint },
): { amount0: bigint; amount1: bigint } {
  if (p.shares === 0n) throw new PoolMathError('ZeroAmount');
  const key = p.from.toLowerCase();
  const balance = s.shares.get(key) ?? 0n;
  if (p.shares > balance) throw new PoolMathError('SharesExceedBalance', { shares: p.shares, balance });
  accumulated(s, p.now);
  const amount0 = (p.shares * s.reserve0) / s.totalShares;
  const amount1 = (p.shares * s.reserve1) / s.totalShares;
  if (amount0 === 0n || amount1 === 0n) throw new PoolMathError('InsufficientLiquidity');
  if (amount0 < (p.min0 ?? 0n)) throw new PoolMathError('InsufficientOutput', { amountOut: amount0 });
  if (amount1 < (p.min1 ?? 0n)) throw new PoolMathError('InsufficientOutput', { amountOut: amount1 });
  commitAccumulator(s);
  s.shares.set(key, balance - p.shares);
  s.totalShares -= p.shares;
  s.reserve0 -= amount0;
  s.reserve1 -= amount1;
  return { amount0, amount1 };
}

/** The controller's move of (baseFee, k), checked against the bounds (in place). */
export function setFeeParams(s: PoolState, baseFee: bigint, k: bigint): void {
  const b = s.bounds;
  if (baseFee < b.minBaseFee || baseFee > b.maxBaseFee) throw new PoolMathError('BaseFeeOutOfBounds', { baseFee });
  if (k > b.maxK) throw new PoolMathError('KOutOfBounds', { k });
  s.baseFee = baseFee;
  s.k = k;
  s.fee = dynamicFee(s);
}

/** Governance's new bounds (in place); the current parameters must lie inside. */
export function setBounds(s: PoolState, b: PoolBounds): void {
  if (b.minBaseFee > b.maxBaseFee || b.maxBaseFee > b.maxFee || b.maxFee >= FEE_SCALE) throw new PoolMathError('InvalidBounds');
  if (s.baseFee < b.minBaseFee || s.baseFee > b.maxBaseFee) throw new PoolMathError('BaseFeeOutOfBounds', { baseFee: s.baseFee });
  if (s.k > b.maxK) throw new PoolMathError('KOutOfBounds', { k: s.k });
  s.bounds = { ...b };
  s.fee = dynamicFee(s);
}

/** Governance's new breaker configuration (in place). */
export function setBreaker(s: PoolState, b: PoolBreaker): void {
  if (b.window === 0n || b.cooldown === 0n || b.threshold >= FEE_SCALE) throw new PoolMathError('InvalidBreaker');
  s.breaker = { ...b };
}
