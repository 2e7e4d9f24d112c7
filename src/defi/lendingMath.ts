// The LendingMarket's math in bigint, wei-exact: Morpho-Blue-style shares, the kinked borrow-rate curve, linear
// interest accrual with a reserve fee, health, liquidation and bad-debt write-off, as pinned in the header of
// contracts/src/defi/interfaces/ILendingMarket.sol. Pure (no I/O): the simulator runs it in its hot loop and
// test/defi/replay.test.ts checks it against the contract after every step. Every call computes in locals,
// validates, and only then writes, so a call that throws (the contract would revert) leaves the state untouched.
import { MachinaError } from '../errors/base.ts';

export const WAD = 10n ** 18n;
/** Seconds per year in the interest formula (365 days). */
export const YEAR = 365n * 24n * 60n * 60n;
/** Virtual shares and assets (Morpho Blue): shares = a * (S + 1e6) / (A + 1). */
export const VIRTUAL_SHARES = 1_000_000n;
export const VIRTUAL_ASSETS = 1n;
/** `type(uint256).max`: "everything" for withdraw, repay and liquidate. */
export const MAX = 2n ** 256n - 1n;
/** The reserve factor's ceiling (0.5, WAD). */
export const MAX_RESERVE_FACTOR = WAD / 2n;
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** The borrow-rate curve: annual rates and the kink in WAD. */
export type Curve = { baseRate: bigint; slope1: bigint; slope2: bigint; kink: bigint };
/** Governance's limits on the curve the controller may set. */
export type CurveBounds = { maxBaseRate: bigint; maxSlope1: bigint; maxSlope2: bigint; minKink: bigint; maxKink: bigint };
/** One account's position (`ILendingMarket.Position`). */
export type Position = { supplyShares: bigint; borrowShares: bigint; collateral: bigint };

/** The market: the fields of `ILendingMarket.MarketState` plus its configuration and positions (keys lower-case). */
export type LendingState = {
  totalSupplyAssets: bigint;
  totalSupplyShares: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  totalCollateral: bigint;
  badDebt: bigint;
  lastAccrual: bigint;
  curve: Curve;
  bounds: CurveBounds;
  lltv: bigint;
  bonus: bigint;
  reserveFactor: bigint;
  treasury: string;
  owner: string;
  controller: string;
  positions: Map<string, Position>;
};

/**
 * The oracle price a call reads, WAD. A function is called only where the contract reads the oracle, so an
 * unavailable oracle (a function that throws) fails exactly the calls that would revert with `OracleUnavailable`.
 * It must not call back into this module (the mutators keep their intermediate results in module scratch).
 */
export type PriceInput = bigint | (() => bigint);

/** What the contract would revert with; `reason` is the Solidity custom error's name. */
export class LendingMathError extends MachinaError {
  override name = 'LendingMathError';
  readonly reason: string;
  constructor(reason: string, details?: Record<string, unknown>) {
    super(`lending: ${reason}`, { code: 'LENDING_REVERT', details });
    this.reason = reason;
  }
}

// ------------------------------------------------------------------ shares

/** a * (S + 1e6) / (A + 1), floor. */
export const toSharesDown = (a: bigint, A: bigint, S: bigint) => (a * (S + VIRTUAL_SHARES)) / (A + VIRTUAL_ASSETS);
/** a * (S + 1e6) / (A + 1), ceil. */
export const toSharesUp = (a: bigint, A: bigint, S: bigint) => mulDivUp(a, S + VIRTUAL_SHARES, A + VIRTUAL_ASSETS);
/** s * (A + 1) / (S + 1e6), floor. */
export const toAssetsDown = (s: bigint, A: bigint, S: bigint) => (s * (A + VIRTUAL_ASSETS)) / (S + VIRTUAL_SHARES);
/** s * (A + 1) / (S + 1e6), ceil. */
export const toAssetsUp = (s: bigint, A: bigint, S: bigint) => mulDivUp(s, A + VIRTUAL_ASSETS, S + VIRTUAL_SHARES);

function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
  const p = x * y;
  return p === 0n ? 0n : (p - 1n) / d + 1n;
}

const key = (a: string) => a.toLowerCase();
const EMPTY: Position = Object.freeze({ supplyShares: 0n, borrowShares: 0n, collateral: 0n }) as Position;

// ------------------------------------------------------------------ construction and reads

/**
 * A new market as the contract's constructor leaves it (reserve factor 0, treasury = owner, controller = owner
 * unless given). `now` is the deployment block's timestamp (`lastAccrual`). Throws `InvalidRiskParams` unless
 * 0 < lltv < 1, bonus < 1 and lltv * (1 + bonus) < 1 (WAD: lltv * (WAD + bonus) < WAD^2), as the constructor reverts.
 * @example const s = createLending({ lltv: 8n * 10n ** 17n, bonus: 5n * 10n ** 16n, curve, bounds, owner, now });
 */
export function createLending(p: {
  lltv: bigint;
  bonus: bigint;
  curve: Curve;
  bounds: CurveBounds;
  owner: string;
  controller?: string;
  now?: bigint;
}): LendingState {
  checkAddress(p.controller);
  if (p.lltv === 0n || p.lltv >= WAD || p.bonus >= WAD) throw new LendingMathError('InvalidRiskParams');
  // lltv * (1 + bonus) < 1: otherwise a borrower at lltv could liquidate itself at a profit and leave bad debt
  if (p.lltv * (WAD + p.bonus) >= WAD * WAD) throw new LendingMathError('InvalidRiskParams');
  if (!boundsConsistent(p.bounds)) throw new LendingMathError('InvalidBounds');
  if (!checkCurve(p.curve, p.bounds)) throw new LendingMathError('CurveOutOfBounds');
  return {
    totalSupplyAssets: 0n, totalSupplyShares: 0n, totalBorrowAssets: 0n, totalBorrowShares: 0n, totalCollateral: 0n,
    badDebt: 0n, lastAccrual: p.now ?? 0n, curve: { ...p.curve }, bounds: { ...p.bounds }, lltv: p.lltv, bonus: p.bonus,
    reserveFactor: 0n, treasury: key(p.owner), owner: key(p.owner), controller: key(p.controller ?? p.owner),
    positions: new Map(),
  };
}

/** A deep copy (for what-if quotes; the mutators themselves never copy). */
export function cloneLending(s: LendingState): LendingState {
  const positions = new Map<string, Position>();
  for (const [k, v] of s.positions) positions.set(k, { ...v });
  return { ...s, curve: { ...s.curve }, bounds: { ...s.bounds }, positions };
}

/** The account's position (zeros when it has none); do not mutate the result. */
export function positionOf(s: LendingState, account: string): Readonly<Position> {
  return s.positions.get(key(account)) ?? EMPTY;
}

/** Utilisation, WAD: min(A_borrow * 1e18 / A_supply, 1e18), 0 with no supply. */
export function utilization(s: Pick<LendingState, 'totalSupplyAssets' | 'totalBorrowAssets'>): bigint {
  return utilizationOf(s.totalBorrowAssets, s.totalSupplyAssets);
}

function utilizationOf(borrowAssets: bigint, supplyAssets: bigint): bigint {
  if (supplyAssets === 0n) return 0n;
  const u = (borrowAssets * WAD) / supplyAssets;
  return u > WAD ? WAD : u;
}

/** The annual borrow rate (WAD) of `curve` at utilisation `u`. */
export function rateAt(curve: Curve, u: bigint): bigint {
  return u <= curve.kink
    ? curve.baseRate + (curve.slope1 * u) / curve.kink
    : curve.baseRate + curve.slope1 + (curve.slope2 * (u - curve.kink)) / (WAD - curve.kink);
}

/** The current annual borrow rate at the stored utilisation, WAD (the contract's `borrowRate()`). */
export function borrowRate(s: LendingState): bigint {
  return rateAt(s.curve, utilization(s));
}

/** An account's debt on the stored state: toAssetsUp(borrowShares). */
export function debtOf(s: LendingState, account: string): bigint {
  const p = s.positions.get(key(account));
  return p === undefined || p.borrowShares === 0n ? 0n : toAssetsUp(p.borrowShares, s.totalBorrowAssets, s.totalBorrowShares);
}

/** The most an account with `collateral` may owe at `price`: collateral * price / 1e18 * lltv / 1e18. */
export function maxDebtOf(collateral: bigint, price: bigint, lltv: bigint): bigint {
  return (((collateral * price) / WAD) * lltv) / WAD;
}

/** Whether `account` can be liquidated at `price` on the stored state (the contract's `isLiquidatable`). */
export function isLiquidatable(s: LendingState, account: string, price: bigint): boolean {
  const p = s.positions.get(key(account));
  if (p === undefined || p.borrowShares === 0n) return false;
  return toAssetsUp(p.borrowShares, s.totalBorrowAssets, s.totalBorrowShares) > maxDebtOf(p.collateral, price, s.lltv);
}

// ------------------------------------------------------------------ accrual

// Scratch of the last `accrued()` call: the totals after interest up to `now`, not yet written to the state.
let accSupplyAssets = 0n;
let accSupplyShares = 0n;
let accBorrowAssets = 0n;
let accFeeShares = 0n;

/** Computes the accrual up to `now` into the scratch variables, without writing anything. */
function accrued(s: LendingState, now: bigint): void {
  accSupplyAssets = s.totalSupplyAssets;
  accSupplyShares = s.totalSupplyShares;
  accBorrowAssets = s.totalBorrowAssets;
  accFeeShares = 0n;
  const dt = now - s.lastAccrual;
  if (dt <= 0n || accBorrowAssets === 0n) return;
  const rate = rateAt(s.curve, utilizationOf(accBorrowAssets, accSupplyAssets));
  const interest = (accBorrowAssets * rate * dt) / (WAD * YEAR);
  accBorrowAssets += interest;
  accSupplyAssets += interest;
  if (s.reserveFactor !== 0n) {
    const fee = (interest * s.reserveFactor) / WAD;
    accFeeShares = toSharesDown(fee, accSupplyAssets - fee, accSupplyShares);
    accSupplyShares += accFeeShares;
  }
}

/** Writes the scratch accrual to the state (the caller has validated everything). */
function commitAccrual(s: LendingState, now: bigint): void {
  if (now > s.lastAccrual) s.lastAccrual = now;
  s.totalSupplyAssets = accSupplyAssets;
  s.totalSupplyShares = accSupplyShares;
  s.totalBorrowAssets = accBorrowAssets;
  if (accFeeShares !== 0n) {
    const t = s.positions.get(s.treasury);
    if (t === undefined) s.positions.set(s.treasury, { supplyShares: accFeeShares, borrowShares: 0n, collateral: 0n });
    else t.supplyShares += accFeeShares;
  }
}

/**
 * Accrues interest up to `now` (in place): what every state-changing call of the contract does first.
 * @example accrue(s, now); const rate = borrowRate(s);
 */
export function accrue(s: LendingState, now: bigint): { interest: bigint; feeShares: bigint } {
  const before = s.totalBorrowAssets;
  accrued(s, now);
  const out = { interest: accBorrowAssets - before, feeShares: accFeeShares };
  commitAccrual(s, now);
  return out;
}

function resolvePrice(p: PriceInput): bigint {
  return typeof p === 'bigint' ? p : p();
}

function writablePosition(s: LendingState, k: string): Position {
  let p = s.positions.get(k);
  if (p === undefined) {
    p = { supplyShares: 0n, borrowShares: 0n, collateral: 0n };
    s.positions.set(k, p);
  }
  return p;
}

function checkAddress(a: string | undefined): void {
  if (a !== undefined && key(a) === ZERO_ADDRESS) throw new LendingMathError('ZeroAddress');
}

// ------------------------------------------------------------------ lending

/**
 * Lends `assets` of the debt token; shares = toSharesDown(assets) go to `onBehalf` (default `from`).
 * @example const { shares } = supply(s, { from: lender, assets: 10n ** 21n, now });
 */
export function supply(s: LendingState, p: { from: string; assets: bigint; onBehalf?: string; now: bigint }): { shares: bigint } {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.onBehalf);
  accrued(s, p.now);
  // a dust amount may buy no share; the contract accepts it too
  const shares = toSharesDown(p.assets, accSupplyAssets, accSupplyShares);
  commitAccrual(s, p.now);
  writablePosition(s, key(p.onBehalf ?? p.from)).supplyShares += shares;
  s.totalSupplyShares += shares;
  s.totalSupplyAssets += p.assets;
  return { shares };
}

/**
 * Withdraws `assets` (MAX = everything) of `from`'s supply: shares burned = toSharesUp(assets); for MAX, all shares
 * and assets = toAssetsDown(shares). Borrows must stay covered by supply.
 * @example const { assets, shares } = withdraw(s, { from: lender, assets: MAX, now });
 */
export function withdraw(s: LendingState, p: { from: string; assets: bigint; to?: string; now: bigint }): { assets: bigint; shares: bigint } {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.to);
  accrued(s, p.now);
  const k = key(p.from);
  // the treasury withdraws the fee shares of this very accrual too
  const available = (s.positions.get(k)?.supplyShares ?? 0n) + (k === s.treasury ? accFeeShares : 0n);
  let assets: bigint;
  let shares: bigint;
  if (p.assets === MAX) {
    // everything: nothing held is nothing to withdraw
    if (available === 0n) throw new LendingMathError('ZeroAmount');
    shares = available;
    assets = toAssetsDown(shares, accSupplyAssets, accSupplyShares);
  } else {
    assets = p.assets;
    shares = toSharesUp(assets, accSupplyAssets, accSupplyShares);
    if (shares > available) throw new LendingMathError('InsufficientBalance', { requested: shares, available });
  }
  const supplyAfter = accSupplyAssets - assets;
  if (accBorrowAssets > supplyAfter) {
    throw new LendingMathError('InsufficientLiquidity', { totalBorrowAssets: accBorrowAssets, totalSupplyAssets: supplyAfter });
  }
  commitAccrual(s, p.now);
  writablePosition(s, k).supplyShares -= shares;
  s.totalSupplyShares -= shares;
  s.totalSupplyAssets -= assets;
  return { assets, shares };
}

/**
 * Posts `assets` of collateral for `onBehalf` (default `from`).
 * @example supplyCollateral(s, { from: borrower, assets: 10n ** 20n, now });
 */
export function supplyCollateral(s: LendingState, p: { from: string; assets: bigint; onBehalf?: string; now: bigint }): void {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.onBehalf);
  accrued(s, p.now);
  commitAccrual(s, p.now);
  writablePosition(s, key(p.onBehalf ?? p.from)).collateral += p.assets;
  s.totalCollateral += p.assets;
}

/**
 * Takes back `assets` of `from`'s collateral; the position must stay healthy at `price` (read only with debt).
 * @example withdrawCollateral(s, { from: borrower, assets: 10n ** 18n, price, now });
 */
export function withdrawCollateral(s: LendingState, p: { from: string; assets: bigint; to?: string; price: PriceInput; now: bigint }): void {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.to);
  accrued(s, p.now);
  const k = key(p.from);
  const pos = s.positions.get(k) ?? EMPTY;
  if (p.assets > pos.collateral) throw new LendingMathError('InsufficientBalance', { requested: p.assets, available: pos.collateral });
  const collateral = pos.collateral - p.assets;
  if (pos.borrowShares !== 0n) {
    const debt = toAssetsUp(pos.borrowShares, accBorrowAssets, s.totalBorrowShares);
    const maxDebt = maxDebtOf(collateral, resolvePrice(p.price), s.lltv);
    if (debt > maxDebt) throw new LendingMathError('InsufficientCollateral', { debt, maxDebt });
  }
  commitAccrual(s, p.now);
  writablePosition(s, k).collateral = collateral;
  s.totalCollateral -= p.assets;
}

/**
 * Borrows `assets` (shares = toSharesUp); the position must stay healthy at `price` and borrows within supply.
 * @example const { shares } = borrow(s, { from: borrower, assets: 10n ** 18n, price, now });
 */
export function borrow(s: LendingState, p: { from: string; assets: bigint; to?: string; price: PriceInput; now: bigint }): { shares: bigint } {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.to);
  accrued(s, p.now);
  const k = key(p.from);
  const pos = s.positions.get(k) ?? EMPTY;
  const shares = toSharesUp(p.assets, accBorrowAssets, s.totalBorrowShares);
  const borrowAssets = accBorrowAssets + p.assets;
  const borrowShares = s.totalBorrowShares + shares;
  if (borrowAssets > accSupplyAssets) {
    throw new LendingMathError('InsufficientLiquidity', { totalBorrowAssets: borrowAssets, totalSupplyAssets: accSupplyAssets });
  }
  const userShares = pos.borrowShares + shares;
  const debt = toAssetsUp(userShares, borrowAssets, borrowShares);
  const maxDebt = maxDebtOf(pos.collateral, resolvePrice(p.price), s.lltv);
  if (debt > maxDebt) throw new LendingMathError('InsufficientCollateral', { debt, maxDebt });
  commitAccrual(s, p.now);
  writablePosition(s, k).borrowShares = userShares;
  s.totalBorrowAssets = borrowAssets;
  s.totalBorrowShares = borrowShares;
  return { shares };
}

/**
 * Repays up to `assets` (MAX = all) of `onBehalf`'s (default `from`) debt: at or above toAssetsUp(borrowShares)
 * the whole debt (assets = that), else shares = toSharesDown(assets).
 * @example const { repaid } = repay(s, { from: borrower, assets: MAX, now });
 */
export function repay(s: LendingState, p: { from: string; assets: bigint; onBehalf?: string; now: bigint }): { repaid: bigint; shares: bigint } {
  if (p.assets === 0n) throw new LendingMathError('ZeroAmount');
  checkAddress(p.onBehalf);
  accrued(s, p.now);
  const k = key(p.onBehalf ?? p.from);
  const pos = s.positions.get(k);
  if (pos === undefined || pos.borrowShares === 0n) throw new LendingMathError('NoDebt');
  const debt = toAssetsUp(pos.borrowShares, accBorrowAssets, s.totalBorrowShares);
  let repaid: bigint;
  let shares: bigint;
  if (p.assets >= debt) {
    repaid = debt;
    shares = pos.borrowShares;
  } else {
    repaid = p.assets;
    shares = toSharesDown(repaid, accBorrowAssets, s.totalBorrowShares);
  }
  commitAccrual(s, p.now);
  pos.borrowShares -= shares;
  s.totalBorrowShares -= shares;
  s.totalBorrowAssets = s.totalBorrowAssets > repaid ? s.totalBorrowAssets - repaid : 0n;
  return { repaid, shares };
}

export type LiquidateResult = { repaid: bigint; shares: bigint; seized: bigint; badDebt: bigint };

/**
 * Liquidates an unhealthy `borrower` at `price`: repays up to `repayAssets` (MAX = whole debt), seizes
 * repaid * (1e18 + bonus) / price collateral (capped at the collateral, then repaid = ceil(seized * price /
 * (1e18 + bonus)); nothing to repay reverts ZeroAmount), and writes off whatever debt is left with no collateral
 * behind it.
 * @example const { repaid, seized, badDebt } = liquidate(s, { liquidator, borrower, repayAssets: MAX, price, now });
 */
export function liquidate(
  s: LendingState,
  p: { liquidator: string; borrower: string; repayAssets: bigint; price: PriceInput; now: bigint },
): LiquidateResult {
  if (p.repayAssets === 0n) throw new LendingMathError('ZeroAmount');
  accrued(s, p.now);
  const k = key(p.borrower);
  const pos = s.positions.get(k);
  if (pos === undefined || pos.borrowShares === 0n) throw new LendingMathError('NoDebt');
  const price = resolvePrice(p.price);
  let borrowAssets = accBorrowAssets;
  let borrowShares = s.totalBorrowShares;
  const debt = toAssetsUp(pos.borrowShares, borrowAssets, borrowShares);
  const maxDebt = maxDebtOf(pos.collateral, price, s.lltv);
  if (debt <= maxDebt) throw new LendingMathError('HealthyPosition', { debt, maxDebt });
  const incentive = WAD + s.bonus;
  let repaid = p.repayAssets < debt ? p.repayAssets : debt;
  let seized = (repaid * incentive) / price;
  if (seized > pos.collateral) {
    seized = pos.collateral;
    repaid = mulDivUp(seized, price, incentive);
  }
  if (repaid === 0n) throw new LendingMathError('ZeroAmount');
  const shares = repaid === debt ? pos.borrowShares : toSharesDown(repaid, borrowAssets, borrowShares);
  let userShares = pos.borrowShares - shares;
  borrowShares -= shares;
  borrowAssets = borrowAssets > repaid ? borrowAssets - repaid : 0n;
  const collateral = pos.collateral - seized;
  let bad = 0n;
  let supplyAssets = accSupplyAssets;
  if (collateral === 0n && userShares !== 0n) {
    bad = toAssetsUp(userShares, borrowAssets, borrowShares);
    if (bad > borrowAssets) bad = borrowAssets;
    borrowAssets -= bad;
    borrowShares -= userShares;
    supplyAssets -= bad;
    userShares = 0n;
  }
  commitAccrual(s, p.now);
  pos.borrowShares = userShares;
  pos.collateral = collateral;
  s.totalBorrowAssets = borrowAssets;
  s.totalBorrowShares = borrowShares;
  s.totalSupplyAssets = supplyAssets;
  s.totalCollateral -= seized;
  s.badDebt += bad;
  return { repaid, shares, seized, badDebt: bad };
}

// ------------------------------------------------------------------ governance

function checkCurve(c: Curve, b: CurveBounds): boolean {
  return (
    c.kink > 0n && c.kink < WAD && c.kink >= b.minKink && c.kink <= b.maxKink &&
    c.baseRate <= b.maxBaseRate && c.slope1 <= b.maxSlope1 && c.slope2 <= b.maxSlope2
  );
}

function boundsConsistent(b: CurveBounds): boolean {
  return b.minKink !== 0n && b.minKink <= b.maxKink && b.maxKink < WAD;
}

function checkBounds(b: CurveBounds, current: Curve): void {
  if (!boundsConsistent(b) || !checkCurve(current, b)) throw new LendingMathError('InvalidBounds');
}

function onlyAccount(expected: string, from: string | undefined, reason: string): void {
  if (from !== undefined && key(from) !== expected) throw new LendingMathError(reason, { account: from });
}

/**
 * The controller's new curve, within governance's bounds (accrues at the old curve first; in place).
 * @example setCurve(s, { curve: { ...s.curve, slope2: 3n * 10n ** 18n }, now });
 */
export function setCurve(s: LendingState, p: { curve: Curve; now: bigint; from?: string }): void {
  onlyAccount(s.controller, p.from, 'NotController');
  if (!checkCurve(p.curve, s.bounds)) throw new LendingMathError('CurveOutOfBounds');
  accrue(s, p.now);
  s.curve = { ...p.curve };
}

/**
 * Governance's new curve bounds; the current curve must lie inside (accrues first; in place).
 * @example setCurveBounds(s, { bounds: { ...s.bounds, maxSlope2: 5n * 10n ** 18n }, now });
 */
export function setCurveBounds(s: LendingState, p: { bounds: CurveBounds; now: bigint; from?: string }): void {
  onlyAccount(s.owner, p.from, 'OwnableUnauthorizedAccount');
  checkBounds(p.bounds, s.curve);
  accrue(s, p.now);
  s.bounds = { ...p.bounds };
}

/**
 * Governance's reserve factor (WAD, at most 0.5e18) and treasury; interest so far accrues at the old factor.
 * @example setReserve(s, { reserveFactor: 10n ** 17n, treasury, now });
 */
export function setReserve(s: LendingState, p: { reserveFactor: bigint; treasury: string; now: bigint; from?: string }): void {
  onlyAccount(s.owner, p.from, 'OwnableUnauthorizedAccount');
  if (p.reserveFactor > MAX_RESERVE_FACTOR) throw new LendingMathError('InvalidRiskParams');
  checkAddress(p.treasury);
  accrue(s, p.now);
  s.reserveFactor = p.reserveFactor;
  s.treasury = key(p.treasury);
}

/**
 * Governance's new curve controller (in place).
 * @example setController(s, { controller, now });
 */
export function setController(s: LendingState, p: { controller: string; now: bigint; from?: string }): void {
  onlyAccount(s.owner, p.from, 'OwnableUnauthorizedAccount');
  checkAddress(p.controller);
  accrue(s, p.now);
  s.controller = key(p.controller);
}
