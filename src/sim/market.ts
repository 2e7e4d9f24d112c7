// The simulated market: the AdaptivePool, the LendingMarket and the LabOracle as their exact bigint mirrors, the
// agents' bigint balances (with float shadows for decisions), and the actions agents take on them. Every state
// change goes through src/defi/{poolMath,lendingMath,oracleMath}.ts, so it matches the contracts to the wei.
import { createSharedModel, createStrategy } from '../agents/strategies/create.ts';
import type { Strategy, StrategyName } from '../agents/strategies/types.ts';
import {
  borrow,
  createLending,
  isLiquidatable,
  liquidate,
  LendingMathError,
  positionOf,
  supply,
  supplyCollateral,
  toAssetsUp,
  type LendingState,
} from '../defi/lendingMath.ts';
import { OracleMathError, oraclePrice } from '../defi/oracleMath.ts';
import { addLiquidity, createPool, PoolMathError, price as poolPrice, removeLiquidity, swap, type PoolState } from '../defi/poolMath.ts';
import { mixSeed } from '../math/random.ts';
import { Rng } from './rng.ts';
import type { Scenario } from './scenario.ts';
import type { SimEvent } from './types.ts';

export const WAD = 10n ** 18n;
const WAD_F = 1e18;
/** Block time of the genesis block (seconds); step s is mined at GENESIS + (s + 1) * blockSeconds. */
export const GENESIS = 1_700_000_000;

/** Whole tokens (float) to wei, floored; negatives and NaN to 0. */
export function toWei(x: number): bigint {
  return x > 0 ? BigInt(Math.floor(x * WAD_F)) : 0n;
}

/** Wei to whole tokens (float). */
export function fromWei(x: bigint): number {
  return Number(x) / WAD_F;
}

function fractionOf(x: bigint, f: number): bigint {
  if (f >= 1) return x;
  return (x * BigInt(Math.floor(f * 1e9))) / 1_000_000_000n;
}

/** What `Market.swapFor` did. */
export const SWAP_DONE = 1;
export const SWAP_PAUSED = 0;
export const SWAP_TRIPPED = -1;
export const SWAP_REVERTED = -2;
export type SwapOutcome = typeof SWAP_DONE | typeof SWAP_PAUSED | typeof SWAP_TRIPPED | typeof SWAP_REVERTED;

/** The agents' population after shares and herdShare are resolved. */
export type Population = { strategy: StrategyName; herd: boolean; capital: number }[];

/** Expands a scenario's `agents` block into one entry per agent (deterministic, before shuffling). */
export function population(sc: Scenario): Population {
  const a = sc.agents;
  const groups: [StrategyName | 'ai', number, number][] = [
    ['momentum', a.momentum, a.capital.trader],
    ['mean-reversion', a.meanReversion, a.capital.trader],
    ['ai', a.ai, a.capital.trader],
    ['market-maker', a.marketMaker, a.capital.marketMaker],
    ['arbitrageur', a.arbitrageur, a.capital.arbitrageur],
    ['liquidator', a.liquidator, a.capital.liquidator],
  ];
  let counts: number[];
  if (a.total !== undefined) {
    const sum = groups.reduce((s, g) => s + g[1], 0);
    const raw = groups.map((g) => (sum > 0 ? (g[1] / sum) * a.total! : 0));
    counts = raw.map(Math.floor);
    const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((x, y) => y[0] - x[0]);
    let left = a.total - counts.reduce((s, c) => s + c, 0);
    for (const [, i] of order) {
      if (left <= 0) break;
      if (raw[i]! > 0) {
        counts[i]!++;
        left--;
      }
    }
  } else {
    counts = groups.map((g) => Math.round(g[1]));
  }
  const out: Population = [];
  groups.forEach(([name, , capital], gi) => {
    const n = counts[gi]!;
    if (name === 'ai') {
      const herd = Math.round(a.herdShare * n);
      for (let i = 0; i < n; i++) out.push({ strategy: i < herd ? 'herd' : 'ml', herd: i < herd, capital });
    } else {
      for (let i = 0; i < n; i++) out.push({ strategy: name, herd: false, capital });
    }
  });
  return out;
}

/** Whether the scenario's protections (breaker, dynamic fee) are on. */
export function protections(sc: Scenario): { breaker: boolean; dynamicFee: boolean } {
  if (sc.protections === 'on') return { breaker: true, dynamicFee: true };
  if (sc.protections === 'off') return { breaker: false, dynamicFee: false };
  return { breaker: sc.market.breaker.enabled, dynamicFee: sc.market.dynamicFee };
}

/** Counters the engine turns into series and metrics. */
export type StepCounters = {
  volume: number;
  trades: number;
  liquidations: number;
  liquidatedCollateral: number;
  liquidationSales: number;
  repaid: number;
};

/** The whole simulated market at one moment. */
export class Market {
  readonly sc: Scenario;
  readonly pool: PoolState;
  readonly lending: LendingState | null;
  readonly oracleSource: 'pool' | 'feed';
  now: bigint;
  feed: number;
  feedWei: bigint;

  // agents
  readonly n: number;
  readonly strategies: Strategy[];
  readonly kinds: StrategyName[];
  readonly herd: Uint8Array;
  readonly isLiquidator: Uint8Array;
  readonly addr: string[];
  readonly bal0: bigint[];
  readonly bal1: bigint[];
  readonly lp: bigint[];
  readonly f0: Float64Array;
  readonly f1: Float64Array;
  readonly lpF: Float64Array;

  // float views of the pool, refreshed after every change
  priceF = 0;
  r0F = 0;
  r1F = 0;
  sharesF = 0;

  // borrowers
  readonly borrowers: string[] = [];
  readonly bLiqPrice: Float64Array;
  /** Per borrower: borrow shares (as a float of the raw share count) and collateral (whole token0). */
  readonly bShares: Float64Array;
  readonly bColl: Float64Array;
  readonly unhealthy: { account: string; debt: number; collateral: number }[] = [];
  readonly borrowerIndex = new Map<string, number>();

  readonly events: SimEvent[] = [];
  readonly counters: StepCounters = { volume: 0, trades: 0, liquidations: 0, liquidatedCollateral: 0, liquidationSales: 0, repaid: 0 };
  breakerTrips = 0;
  step = 0;
  private readonly oracleFn = () => this.oracleWei();

  constructor(sc: Scenario, seed: number) {
    this.sc = sc;
    const m = sc.market;
    const prot = protections(sc);
    const k = prot.dynamicFee ? BigInt(m.k) : 0n;
    this.pool = createPool({
      bounds: { minBaseFee: 0n, maxBaseFee: BigInt(m.fee), maxK: k, maxFee: BigInt(m.maxFee) },
      breaker: { threshold: prot.breaker ? BigInt(m.breaker.threshold) : 0n, window: BigInt(m.breaker.window), cooldown: BigInt(m.breaker.cooldown) },
      baseFee: BigInt(m.fee),
      k,
    });
    this.now = BigInt(GENESIS);
    addLiquidity(this.pool, { amount0Max: toWei(m.liquidity), amount1Max: toWei(m.liquidity * m.price), to: 'genesis', now: this.now });
    this.feed = m.price;
    this.feedWei = toWei(m.price);
    this.oracleSource = sc.oracle.source;
    this.refreshPool();

    // agents, in a seeded order so that strategy kinds are not clustered by index
    const pop = population(sc);
    const rng = new Rng(seed, 1);
    for (let i = pop.length - 1; i > 0; i--) {
      const j = rng.u32() % (i + 1);
      [pop[i], pop[j]] = [pop[j]!, pop[i]!];
    }
    this.n = pop.length;
    this.strategies = new Array<Strategy>(this.n);
    this.kinds = pop.map((p) => p.strategy);
    this.herd = new Uint8Array(this.n);
    this.isLiquidator = new Uint8Array(this.n);
    this.addr = pop.map((_, i) => `agent${i}`);
    this.bal0 = new Array<bigint>(this.n);
    this.bal1 = new Array<bigint>(this.n);
    this.lp = new Array<bigint>(this.n).fill(0n);
    this.f0 = new Float64Array(this.n);
    this.f1 = new Float64Array(this.n);
    this.lpF = new Float64Array(this.n);
    // the herd's one model: a single draw from the same distribution as each ml agent's (see aiVariant)
    const shared = createSharedModel({ seed: mixSeed(seed, 5), params: sc.agents.params.herd ?? {} });
    const breakerF = prot.breaker ? m.breaker.threshold / 1e6 : 0;
    for (let i = 0; i < this.n; i++) {
      const p = pop[i]!;
      const params = { ...(sc.agents.params[p.strategy] ?? {}) };
      this.strategies[i] = createStrategy(p.strategy, { seed: (seed * 1_000_003 + i * 7919) >>> 0, params, shared });
      this.herd[i] = p.herd ? 1 : 0;
      this.isLiquidator[i] = p.strategy === 'liquidator' ? 1 : 0;
      // liquidators hold debt tokens (what they repay with); everyone else starts half and half
      const share0 = p.strategy === 'liquidator' ? 0 : 0.5;
      this.bal0[i] = toWei((p.capital * share0) / m.price);
      this.bal1[i] = toWei(p.capital * (1 - share0));
      this.f0[i] = fromWei(this.bal0[i]!);
      this.f1[i] = fromWei(this.bal1[i]!);
    }
    this.breakerF = breakerF;

    // lending: suppliers, then borrowers at LTVs spread below lltv
    const l = sc.lending;
    this.bLiqPrice = new Float64Array(l.enabled ? l.borrowers.count : 0);
    this.bShares = new Float64Array(this.bLiqPrice.length);
    this.bColl = new Float64Array(this.bLiqPrice.length);
    if (!l.enabled) {
      this.lending = null;
      return;
    }
    const c = l.curve;
    this.lending = createLending({
      lltv: toWei(l.lltv),
      bonus: toWei(l.bonus),
      curve: { baseRate: toWei(c.baseRate), slope1: toWei(c.slope1), slope2: toWei(c.slope2), kink: toWei(c.kink) },
      bounds: { maxBaseRate: toWei(Math.max(c.baseRate, 1)), maxSlope1: toWei(Math.max(c.slope1, 10)), maxSlope2: toWei(Math.max(c.slope2, 100)), minKink: 1n, maxKink: WAD - 1n },
      owner: 'governance',
      now: this.now,
    });
    supply(this.lending, { from: 'suppliers', assets: toWei(l.supply), now: this.now });
    const oracle = this.oracleWei();
    const oracleF = fromWei(oracle);
    const brng = new Rng(seed, 2);
    for (let j = 0; j < l.borrowers.count; j++) {
      const account = `borrower${j}`;
      const collateral = l.borrowers.collateral * (0.5 + brng.next());
      const ltv = l.lltv * (l.borrowers.ltvMin + (l.borrowers.ltvMax - l.borrowers.ltvMin) * brng.next());
      supplyCollateral(this.lending, { from: account, assets: toWei(collateral), now: this.now });
      try {
        borrow(this.lending, { from: account, assets: toWei(collateral * oracleF * ltv), price: oracle, now: this.now });
      } catch (e) {
        if (!(e instanceof LendingMathError)) throw e;
      }
      this.borrowerIndex.set(account, this.borrowers.length);
      this.borrowers.push(account);
      this.updateBorrower(this.borrowers.length - 1);
    }
  }

  readonly breakerF: number;

  /** The oracle's price now (WAD), as `LabOracle.price()` would return it. */
  oracleWei(): bigint {
    return oraclePrice({ source: this.oracleSource, feedPrice: this.feedWei, pool: this.pool });
  }

  /** The oracle's price now (WAD), or 0n while it has none (`OracleUnavailable`: the TWAP has not started). */
  oracleOrZero(): bigint {
    try {
      return this.oracleWei();
    } catch (e) {
      if (e instanceof OracleMathError) return 0n;
      throw e;
    }
  }

  refreshPool(): void {
    const p = this.pool;
    this.priceF = fromWei(poolPrice(p.reserve0, p.reserve1));
    this.r0F = fromWei(p.reserve0);
    this.r1F = fromWei(p.reserve1);
    this.sharesF = fromWei(p.totalShares);
  }

  /** Agent i's value in token1 at pool price `price` (LP position included). */
  valueOf(i: number, price: number): number {
    const lp = this.lpF[i]!;
    const lpValue = lp > 0 && this.sharesF > 0 ? (lp / this.sharesF) * (this.r0F * price + this.r1F) : 0;
    return this.f0[i]! * price + this.f1[i]! + lpValue;
  }

  private setBalances(i: number, b0: bigint, b1: bigint): void {
    this.bal0[i] = b0;
    this.bal1[i] = b1;
    this.f0[i] = fromWei(b0);
    this.f1[i] = fromWei(b1);
  }

  /**
   * Agent i (or the whale, i = -1) swaps. Returns SWAP_DONE when it executed, SWAP_PAUSED when swaps are paused and
   * this one would move the price further from the TWAP (the pool's `SwapsPaused`; swaps toward the TWAP still
   * execute during a pause), SWAP_TRIPPED when the breaker stopped it (and paused the pool), SWAP_REVERTED when
   * it reverted otherwise or was empty. In every case but SWAP_DONE nothing moved.
   */
  swapFor(i: number, zeroForOne: boolean, amount: number): SwapOutcome {
    let amountIn = toWei(amount);
    if (i >= 0) {
      const bal = zeroForOne ? this.bal0[i]! : this.bal1[i]!;
      if (amountIn > bal) amountIn = bal;
    }
    if (amountIn === 0n) return SWAP_REVERTED;
    let r;
    try {
      r = swap(this.pool, { zeroForOne, amountIn, now: this.now });
    } catch (e) {
      if (e instanceof PoolMathError) return e.reason === 'SwapsPaused' ? SWAP_PAUSED : SWAP_REVERTED;
      throw e;
    }
    if (r.tripped) {
      this.breakerTrips++;
      this.events.push({
        step: this.step, kind: 'breaker',
        detail: { price: this.priceF, twap: fromWei(this.pool.twapPrice), pausedUntil: Number(this.pool.pausedUntil), agent: i, strategy: i >= 0 ? this.kinds[i]! : 'whale' },
      });
      return SWAP_TRIPPED;
    }
    const priceBefore = this.priceF;
    if (i >= 0) {
      if (zeroForOne) this.setBalances(i, this.bal0[i]! - amountIn, this.bal1[i]! + r.amountOut);
      else this.setBalances(i, this.bal0[i]! + r.amountOut, this.bal1[i]! - amountIn);
    }
    this.refreshPool();
    const c = this.counters;
    c.trades++;
    c.volume += zeroForOne ? fromWei(amountIn) * priceBefore : fromWei(amountIn);
    if (zeroForOne && i >= 0 && this.isLiquidator[i] === 1) c.liquidationSales += fromWei(amountIn);
    return SWAP_DONE;
  }

  /** Agent i adds `fraction` of its balances as liquidity (at the pool's ratio). */
  addFor(i: number, fraction: number): void {
    const a0 = fractionOf(this.bal0[i]!, fraction);
    const a1 = fractionOf(this.bal1[i]!, fraction);
    if (a0 === 0n || a1 === 0n) return;
    try {
      const r = addLiquidity(this.pool, { amount0Max: a0, amount1Max: a1, to: this.addr[i]!, now: this.now });
      this.setBalances(i, this.bal0[i]! - r.amount0, this.bal1[i]! - r.amount1);
      this.lp[i] = this.lp[i]! + r.shares;
      this.lpF[i] = fromWei(this.lp[i]!);
    } catch (e) {
      if (!(e instanceof PoolMathError)) throw e;
    }
    this.refreshPool();
  }

  /** Agent i burns `fraction` of its LP shares. */
  removeFor(i: number, fraction: number): void {
    const shares = fractionOf(this.lp[i]!, fraction);
    if (shares === 0n) return;
    try {
      const r = removeLiquidity(this.pool, { shares, from: this.addr[i]!, now: this.now });
      this.setBalances(i, this.bal0[i]! + r.amount0, this.bal1[i]! + r.amount1);
      this.lp[i] = this.lp[i]! - shares;
      this.lpF[i] = fromWei(this.lp[i]!);
    } catch (e) {
      if (!(e instanceof PoolMathError)) throw e;
    }
    this.refreshPool();
  }

  /** Agent i liquidates `borrower`, repaying up to `repay` debt tokens at the oracle price. */
  liquidateFor(i: number, borrower: string, repay: number): void {
    const lending = this.lending;
    if (lending === null) return;
    let repayAssets = toWei(repay);
    if (repayAssets > this.bal1[i]!) repayAssets = this.bal1[i]!;
    if (repayAssets === 0n) return;
    let r;
    try {
      r = liquidate(lending, { liquidator: this.addr[i]!, borrower, repayAssets, price: this.oracleFn, now: this.now });
    } catch (e) {
      if (!(e instanceof LendingMathError) && !(e instanceof OracleMathError)) throw e;
      this.recheck(borrower);
      return;
    }
    this.setBalances(i, this.bal0[i]! + r.seized, this.bal1[i]! - r.repaid);
    const c = this.counters;
    c.liquidations++;
    c.liquidatedCollateral += fromWei(r.seized);
    c.repaid += fromWei(r.repaid);
    this.events.push({ step: this.step, kind: 'liquidation', detail: { borrower, repaid: fromWei(r.repaid), seized: fromWei(r.seized), price: fromWei(this.oracleWei()) } });
    if (r.badDebt > 0n) this.events.push({ step: this.step, kind: 'bad-debt', detail: { borrower, amount: fromWei(r.badDebt) } });
    this.recheck(borrower);
  }

  /** Recomputes a borrower's float liquidation price and its entry in the unhealthy list. */
  private recheck(borrower: string): void {
    const j = this.borrowerIndex.get(borrower);
    if (j === undefined || this.lending === null) return;
    this.updateBorrower(j);
    const idx = this.unhealthy.findIndex((u) => u.account === borrower);
    if (idx < 0) return;
    const oracle = this.oracleOrZero();
    if (oracle === 0n) return;
    if (isLiquidatable(this.lending, borrower, oracle)) this.unhealthy[idx] = this.viewOf(borrower);
    else this.unhealthy.splice(idx, 1);
  }

  private viewOf(account: string) {
    const l = this.lending!;
    const p = positionOf(l, account);
    return { account, debt: fromWei(toAssetsUp(p.borrowShares, l.totalBorrowAssets, l.totalBorrowShares)), collateral: fromWei(p.collateral) };
  }

  /** Recomputes every borrower's float shadows (their debt moves with accrued interest). */
  refreshBorrowers(): void {
    if (this.lending === null) return;
    for (let j = 0; j < this.borrowers.length; j++) this.updateBorrower(j);
  }

  private updateBorrower(j: number): void {
    const l = this.lending!;
    const p = positionOf(l, this.borrowers[j]!);
    const debt = p.borrowShares === 0n ? 0 : fromWei(toAssetsUp(p.borrowShares, l.totalBorrowAssets, l.totalBorrowShares));
    const coll = fromWei(p.collateral);
    this.bShares[j] = Number(p.borrowShares);
    this.bColl[j] = coll;
    this.bLiqPrice[j] = debt === 0 ? 0 : coll === 0 ? Number.POSITIVE_INFINITY : debt / (coll * fromWei(l.lltv));
  }

  /**
   * Debt hidden by the oracle: the sum over borrowers of max(0, debt - collateral x feed), token1 — what would be
   * bad debt if positions were valued at the external (fundamental) price, whatever the oracle says. Floats over
   * the borrower arrays (debt = shares x the market's assets per share, so accrued interest counts): O(borrowers).
   */
  underwaterDebt(feed: number): number {
    const l = this.lending;
    if (l === null) return 0;
    // toAssetsUp's ratio (virtual shares and assets included), wei per share, then wei to whole tokens
    const perShare = (Number(l.totalBorrowAssets) + 1) / (Number(l.totalBorrowShares) + 1e6) / WAD_F;
    let sum = 0;
    const shares = this.bShares;
    const coll = this.bColl;
    for (let j = 0; j < shares.length; j++) {
      const gap = shares[j]! * perShare - coll[j]! * feed;
      if (gap > 0) sum += gap;
    }
    return sum;
  }

  /**
   * Rebuilds the list of liquidatable borrowers at the oracle price: a float prefilter (liquidation price within 2%
   * of the oracle) and then the exact check of the contract.
   */
  scanUnhealthy(oracle: bigint): void {
    this.unhealthy.length = 0;
    const l = this.lending;
    if (l === null) return;
    const cut = fromWei(oracle) * 0.98;
    for (let j = 0; j < this.borrowers.length; j++) {
      if (this.bLiqPrice[j]! < cut) continue;
      const b = this.borrowers[j]!;
      if (isLiquidatable(l, b, oracle)) this.unhealthy.push(this.viewOf(b));
    }
  }
}
