// The lending and oracle mirrors on their own: the rate curve around its kink, accrual with and without the reserve,
// the rounding direction of every share conversion, liquidation (partial, capped seizure, bad-debt write-off) and
// each revert reason, with reverted calls leaving the state as it was. Expected values are worked out from the
// interface header's formulas by hand, not through the mirror's helpers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accrue,
  borrow,
  borrowRate,
  cloneLending,
  createLending,
  debtOf,
  isLiquidatable,
  LendingMathError,
  liquidate,
  MAX,
  positionOf,
  rateAt,
  repay,
  setController,
  setCurve,
  setCurveBounds,
  setReserve,
  supply,
  supplyCollateral,
  toAssetsDown,
  toAssetsUp,
  toSharesDown,
  toSharesUp,
  utilization,
  withdraw,
  withdrawCollateral,
  YEAR,
  type Curve,
  type CurveBounds,
  type LendingState,
} from '../../src/defi/lendingMath.ts';
import { createOracle, OracleMathError, oraclePrice, readOracle, setFeedPrice, setSource } from '../../src/defi/oracleMath.ts';

const E18 = 10n ** 18n;
const LENDER = '0x00000000000000000000000000000000000000a1';
const BORROWER = '0x00000000000000000000000000000000000000b1';
const LIQUIDATOR = '0x00000000000000000000000000000000000000c1';
const OWNER = '0x00000000000000000000000000000000000000d1';
const TREASURY = '0x00000000000000000000000000000000000000e1';
const ZERO = '0x0000000000000000000000000000000000000000';

// 2% base, +10% up to the 80% kink, +100% from there to full utilisation
const curve: Curve = { baseRate: 2n * 10n ** 16n, slope1: 10n ** 17n, slope2: E18, kink: 8n * 10n ** 17n };
const bounds: CurveBounds = { maxBaseRate: 10n ** 17n, maxSlope1: E18, maxSlope2: 5n * E18, minKink: 5n * 10n ** 17n, maxKink: 95n * 10n ** 16n };
const LLTV = 8n * 10n ** 17n;
const BONUS = 5n * 10n ** 16n;
const T0 = 1_000_000n;

function market(): LendingState {
  return createLending({ lltv: LLTV, bonus: BONUS, curve, bounds, owner: OWNER, now: T0 });
}

/** Asserts `f` throws the named revert and leaves `s` exactly as it was. */
function reverts(s: LendingState, reason: string, f: () => unknown) {
  const before = cloneLending(s);
  assert.throws(f, (e: unknown) => e instanceof LendingMathError && e.reason === reason, `expected ${reason}`);
  assert.deepEqual(s, before, `${reason} changed the state`);
}

const never = () => {
  throw new Error('the oracle must not be read here');
};

describe('lendingMath: shares', () => {
  it('rounds each conversion the way the header says, with 1e6 virtual shares and 1 virtual asset', () => {
    // A = 3, S = 0: a * (0 + 1e6) / 4
    assert.equal(toSharesDown(3n, 3n, 0n), 750_000n);
    assert.equal(toSharesDown(1n, 2n, 0n), 333_333n);
    assert.equal(toSharesUp(1n, 2n, 0n), 333_334n);
    assert.equal(toSharesUp(3n, 2n, 0n), 1_000_000n); // exact: no rounding up
    // s * (A + 1) / (S + 1e6)
    assert.equal(toAssetsDown(1_000_000n, 3n, 2_000_000n), 1n); // 4e6 / 3e6
    assert.equal(toAssetsUp(1_000_000n, 3n, 2_000_000n), 2n);
    assert.equal(toAssetsUp(1_000_000n, 2n, 2_000_000n), 1n); // exact
    assert.equal(toAssetsUp(0n, 5n, 5n), 0n);
  });

  it('gives the first supplier 1e6 shares per wei and rounds a withdrawal against the withdrawer', () => {
    const s = market();
    assert.deepEqual(supply(s, { from: LENDER, assets: 1000n, now: T0 }), { shares: 1000n * 1_000_000n });
    // 1 wei of 1000 (+1 virtual) costs ceil(1 * (1e9 + 1e6) / 1001) shares
    const shares = (1_001_000_000n + 1000n) / 1001n;
    assert.deepEqual(withdraw(s, { from: LENDER, assets: 1n, now: T0 }), { assets: 1n, shares });
    assert.equal(positionOf(s, LENDER).supplyShares, 1_000_000_000n - shares);
    // MAX withdraws everything left at toAssetsDown
    const left = 1_000_000_000n - shares;
    const out = withdraw(s, { from: LENDER, assets: MAX, now: T0 });
    assert.deepEqual(out, { assets: (left * 1000n) / (left + 1_000_000n), shares: left });
    assert.equal(s.totalSupplyShares, 0n);
  });

  it('rounds borrow shares up and partial-repay shares down', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 10n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 10n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 3n, price: E18, now: T0 });
    assert.equal(s.totalBorrowShares, 3_000_000n);
    // now A = 3, S = 3e6: 1 wei buys ceil(1 * 4e6 / 4) = 1e6 exactly; 2 wei of repay burn floor(2 * 4e6 / 4)
    const { shares } = borrow(s, { from: BORROWER, assets: 2n, price: E18, now: T0 });
    assert.equal(shares, 2_000_000n);
    // A = 5, S = 5e6; repaying 1 burns floor(1 * 6e6 / 6) = 1e6
    assert.deepEqual(repay(s, { from: BORROWER, assets: 1n, now: T0 }), { repaid: 1n, shares: 1_000_000n });
  });
});

describe('lendingMath: rate curve', () => {
  it('is linear to the kink and steep above it', () => {
    const wad = E18;
    assert.equal(rateAt(curve, 0n), curve.baseRate);
    assert.equal(rateAt(curve, curve.kink), curve.baseRate + curve.slope1);
    assert.equal(rateAt(curve, curve.kink / 2n), curve.baseRate + curve.slope1 / 2n);
    // one wei above the kink: the steep slope's share rounds down to 5 (1e18 * 1 / 2e17)
    assert.equal(rateAt(curve, curve.kink + 1n), curve.baseRate + curve.slope1 + 5n);
    assert.equal(rateAt(curve, curve.kink - 1n), curve.baseRate + (curve.slope1 * (curve.kink - 1n)) / curve.kink);
    assert.equal(rateAt(curve, wad), curve.baseRate + curve.slope1 + curve.slope2);
  });

  it('reads utilisation capped at 100%, zero with no supply', () => {
    assert.equal(utilization({ totalSupplyAssets: 0n, totalBorrowAssets: 5n }), 0n);
    assert.equal(utilization({ totalSupplyAssets: 3n, totalBorrowAssets: 1n }), E18 / 3n);
    assert.equal(utilization({ totalSupplyAssets: 3n, totalBorrowAssets: 4n }), E18);
  });
});

describe('lendingMath: accrual', () => {
  function borrowed(): LendingState {
    const s = market();
    supply(s, { from: LENDER, assets: 1000n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 2000n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 500n * E18, price: E18, now: T0 });
    return s;
  }

  it('charges A_borrow * rate * dt / (1e18 * 365 days) to borrowers and pays it to suppliers', () => {
    const s = borrowed();
    const rate = curve.baseRate + (curve.slope1 * (E18 / 2n)) / curve.kink; // U = 50%
    assert.equal(borrowRate(s), rate);
    const dt = 12_345n;
    const interest = (500n * E18 * rate * dt) / (E18 * YEAR);
    assert.deepEqual(accrue(s, T0 + dt), { interest, feeShares: 0n });
    assert.equal(s.totalBorrowAssets, 500n * E18 + interest);
    assert.equal(s.totalSupplyAssets, 1000n * E18 + interest);
    assert.equal(s.lastAccrual, T0 + dt);
    // same block again: nothing
    assert.deepEqual(accrue(s, T0 + dt), { interest: 0n, feeShares: 0n });
  });

  it('uses the utilisation stored before the accrual, above the kink too', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 100n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 1000n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 90n * E18, price: E18, now: T0 });
    const u = (90n * E18 * E18) / (100n * E18);
    const rate = curve.baseRate + curve.slope1 + (curve.slope2 * (u - curve.kink)) / (E18 - curve.kink);
    const { interest } = accrue(s, T0 + YEAR);
    assert.equal(interest, (90n * E18 * rate) / E18);
  });

  it('only moves lastAccrual when nothing is borrowed', () => {
    const s = market();
    supply(s, { from: LENDER, assets: E18, now: T0 });
    supply(s, { from: LENDER, assets: E18, now: T0 + 50n });
    assert.equal(s.lastAccrual, T0 + 50n);
    assert.equal(s.totalSupplyAssets, 2n * E18);
  });

  it('mints the reserve cut as supply shares to the treasury, priced after the interest joined', () => {
    const s = borrowed();
    setReserve(s, { reserveFactor: 10n ** 17n, treasury: TREASURY, now: T0 });
    const S = s.totalSupplyShares;
    const rate = borrowRate(s);
    const interest = (500n * E18 * rate * 1000n) / (E18 * YEAR);
    const fee = interest / 10n;
    const feeShares = (fee * (S + 1_000_000n)) / (1000n * E18 + interest - fee + 1n);
    assert.deepEqual(accrue(s, T0 + 1000n), { interest, feeShares });
    assert.equal(positionOf(s, TREASURY).supplyShares, feeShares);
    assert.equal(s.totalSupplyShares, S + feeShares);
  });

  it('accrues at the old curve before the controller moves it', () => {
    const a = borrowed();
    const b = cloneLending(a);
    const steep = { ...curve, slope1: 5n * 10n ** 17n };
    setCurve(a, { curve: steep, now: T0 + 1000n, from: OWNER });
    accrue(b, T0 + 1000n);
    assert.equal(a.totalBorrowAssets, b.totalBorrowAssets);
    assert.deepEqual(a.curve, steep);
    assert.ok(borrowRate(a) > borrowRate(b));
  });
});

describe('lendingMath: health and liquidation', () => {
  // 100 collateral at price 1.0 and lltv 0.8: at most 80 of debt
  function levered(debt: bigint): LendingState {
    const s = market();
    supply(s, { from: LENDER, assets: 1000n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 100n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: debt, price: E18, now: T0 });
    return s;
  }

  it('allows a borrow up to collateral * price / 1e18 * lltv / 1e18, not a wei more', () => {
    const s = levered(80n * E18);
    assert.equal(debtOf(s, BORROWER), 80n * E18);
    reverts(s, 'InsufficientCollateral', () => borrow(s, { from: BORROWER, assets: 1n, price: E18, now: T0 }));
    assert.equal(isLiquidatable(s, BORROWER, E18), false);
    assert.equal(isLiquidatable(s, BORROWER, E18 - 1n), true);
    assert.equal(isLiquidatable(s, LENDER, 1n), false);
  });

  it('checks liquidity before health, and reads the oracle only after', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 10n * E18, now: T0 });
    reverts(s, 'InsufficientLiquidity', () => borrow(s, { from: BORROWER, assets: 11n * E18, price: never, now: T0 }));
    reverts(s, 'InsufficientCollateral', () => borrow(s, { from: BORROWER, assets: E18, price: E18, now: T0 }));
  });

  it('lets collateral go without reading the oracle when there is no debt, and keeps an indebted position healthy', () => {
    const s = levered(40n * E18);
    supplyCollateral(s, { from: LENDER, assets: 5n * E18, now: T0 });
    withdrawCollateral(s, { from: LENDER, assets: 5n * E18, price: never, now: T0 });
    reverts(s, 'InsufficientBalance', () => withdrawCollateral(s, { from: BORROWER, assets: 101n * E18, price: E18, now: T0 }));
    // 50 collateral backs exactly 40
    withdrawCollateral(s, { from: BORROWER, assets: 50n * E18, price: E18, now: T0 });
    reverts(s, 'InsufficientCollateral', () => withdrawCollateral(s, { from: BORROWER, assets: 1n, price: E18, now: T0 }));
    assert.equal(s.totalCollateral, 50n * E18);
  });

  it('refuses a healthy position, then seizes repaid * (1 + bonus) / price of an unhealthy one', () => {
    const s = levered(80n * E18);
    reverts(s, 'HealthyPosition', () => liquidate(s, { liquidator: LIQUIDATOR, borrower: BORROWER, repayAssets: MAX, price: E18, now: T0 }));
    reverts(s, 'NoDebt', () => liquidate(s, { liquidator: LIQUIDATOR, borrower: LENDER, repayAssets: MAX, price: E18, now: T0 }));
    reverts(s, 'ZeroAmount', () => liquidate(s, { liquidator: LIQUIDATOR, borrower: BORROWER, repayAssets: 0n, price: E18, now: T0 }));
    const price = 9n * 10n ** 17n; // 100 collateral now worth 90: max debt 72
    const repayAssets = 10n * E18;
    const r = liquidate(s, { liquidator: LIQUIDATOR, borrower: BORROWER, repayAssets, price, now: T0 });
    const seized = (repayAssets * (E18 + BONUS)) / price;
    // A = 80e18, S = 80e24: 10e18 buys floor(10e18 * (80e24 + 1e6) / (80e18 + 1)) shares
    const shares = (repayAssets * (80n * 10n ** 24n + 1_000_000n)) / (80n * E18 + 1n);
    assert.deepEqual(r, { repaid: repayAssets, shares, seized, badDebt: 0n });
    assert.equal(positionOf(s, BORROWER).collateral, 100n * E18 - seized);
    assert.equal(s.totalCollateral, 100n * E18 - seized);
    assert.equal(s.totalBorrowAssets, 70n * E18);
    assert.equal(s.badDebt, 0n);
  });

  it('caps the seizure at the collateral, repays ceil(seized * price / (1 + bonus)) and writes the rest off', () => {
    const s = levered(80n * E18);
    const price = 5n * 10n ** 17n; // 100 collateral worth 50 against 80 of debt
    const supplyBefore = s.totalSupplyAssets;
    const r = liquidate(s, { liquidator: LIQUIDATOR, borrower: BORROWER, repayAssets: MAX, price, now: T0 });
    const seized = 100n * E18;
    const num = seized * price;
    const repaid = num % (E18 + BONUS) === 0n ? num / (E18 + BONUS) : num / (E18 + BONUS) + 1n;
    const A = 80n * E18;
    const S = 80n * 10n ** 24n;
    const shares = (repaid * (S + 1_000_000n)) / (A + 1n);
    const leftShares = S - shares;
    const leftAssets = A - repaid;
    const num2 = leftShares * (leftAssets + 1n);
    const d2 = S - shares + 1_000_000n;
    let bad = num2 % d2 === 0n ? num2 / d2 : num2 / d2 + 1n;
    if (bad > leftAssets) bad = leftAssets;
    assert.deepEqual(r, { repaid, shares, seized, badDebt: bad });
    assert.deepEqual(positionOf(s, BORROWER), { supplyShares: 0n, borrowShares: 0n, collateral: 0n });
    assert.equal(s.totalBorrowShares, 0n);
    assert.equal(s.totalBorrowAssets, leftAssets - bad);
    assert.equal(s.totalSupplyAssets, supplyBefore - bad);
    assert.equal(s.badDebt, bad);
    assert.equal(s.totalCollateral, 0n);
  });

  it('lets a dust liquidation repay a wei and seize nothing (the seizure rounds down)', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 1000n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 100n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 160n * E18, price: 2n * E18, now: T0 });
    const price = 15n * 10n ** 17n; // max debt 120 < 160
    const r = liquidate(s, { liquidator: LIQUIDATOR, borrower: BORROWER, repayAssets: 1n, price, now: T0 });
    assert.equal(r.repaid, 1n);
    assert.equal(r.seized, 0n); // 1 * 1.05e18 / 1.5e18
    assert.equal(r.shares, (160n * 10n ** 24n + 1_000_000n) / (160n * E18 + 1n));
  });
});

describe('lendingMath: repay and withdraw edges', () => {
  it('repays everything at or above the rounded-up debt, and a part below it', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 100n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 100n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 50n * E18, price: E18, now: T0 });
    accrue(s, T0 + YEAR / 12n);
    const debt = debtOf(s, BORROWER);
    assert.ok(debt > 50n * E18);
    const part = repay(s, { from: BORROWER, assets: 10n * E18, now: T0 + YEAR / 12n });
    assert.equal(part.repaid, 10n * E18);
    const all = repay(s, { from: LENDER, assets: MAX, onBehalf: BORROWER, now: T0 + YEAR / 12n });
    assert.equal(positionOf(s, BORROWER).borrowShares, 0n);
    assert.equal(s.totalBorrowShares, 0n);
    assert.ok(all.repaid >= debt - 10n * E18);
    reverts(s, 'NoDebt', () => repay(s, { from: BORROWER, assets: 1n, now: T0 + YEAR / 12n }));
  });

  it('keeps borrows covered by supply on withdrawal', () => {
    const s = market();
    supply(s, { from: LENDER, assets: 100n * E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: 200n * E18, now: T0 });
    borrow(s, { from: BORROWER, assets: 60n * E18, price: E18, now: T0 });
    reverts(s, 'InsufficientLiquidity', () => withdraw(s, { from: LENDER, assets: 40n * E18 + 1n, now: T0 }));
    withdraw(s, { from: LENDER, assets: 40n * E18, now: T0 });
    reverts(s, 'InsufficientBalance', () => withdraw(s, { from: BORROWER, assets: 1n, now: T0 }));
    reverts(s, 'ZeroAmount', () => withdraw(s, { from: BORROWER, assets: MAX, now: T0 }));
  });

  it('names each argument revert and leaves the state alone', () => {
    const s = market();
    supply(s, { from: LENDER, assets: E18, now: T0 });
    for (const [reason, f] of [
      ['ZeroAmount', () => supply(s, { from: LENDER, assets: 0n, now: T0 + 1n })],
      ['ZeroAddress', () => supply(s, { from: LENDER, assets: 1n, onBehalf: ZERO, now: T0 + 1n })],
      ['ZeroAmount', () => withdraw(s, { from: LENDER, assets: 0n, now: T0 + 1n })],
      ['ZeroAddress', () => withdraw(s, { from: LENDER, assets: 1n, to: ZERO, now: T0 + 1n })],
      ['ZeroAmount', () => supplyCollateral(s, { from: LENDER, assets: 0n, now: T0 + 1n })],
      ['ZeroAmount', () => withdrawCollateral(s, { from: LENDER, assets: 0n, price: E18, now: T0 + 1n })],
      ['ZeroAmount', () => borrow(s, { from: LENDER, assets: 0n, price: E18, now: T0 + 1n })],
      ['ZeroAddress', () => borrow(s, { from: LENDER, assets: 1n, to: ZERO, price: E18, now: T0 + 1n })],
      ['ZeroAmount', () => repay(s, { from: LENDER, assets: 0n, now: T0 + 1n })],
      ['NoDebt', () => repay(s, { from: LENDER, assets: 1n, now: T0 + 1n })],
    ] as const) {
      reverts(s, reason, f);
    }
  });
});

describe('lendingMath: governance', () => {
  it('keeps the curve within bounds and the bounds consistent', () => {
    const s = market();
    reverts(s, 'NotController', () => setCurve(s, { curve, now: T0, from: LENDER }));
    reverts(s, 'CurveOutOfBounds', () => setCurve(s, { curve: { ...curve, slope2: 6n * E18 }, now: T0 }));
    reverts(s, 'CurveOutOfBounds', () => setCurve(s, { curve: { ...curve, kink: 4n * 10n ** 17n }, now: T0 }));
    reverts(s, 'CurveOutOfBounds', () => setCurve(s, { curve: { ...curve, baseRate: 10n ** 17n + 1n }, now: T0 }));
    setCurve(s, { curve: { ...curve, kink: bounds.maxKink }, now: T0 });
    reverts(s, 'InvalidBounds', () => setCurveBounds(s, { bounds: { ...bounds, minKink: 0n }, now: T0 }));
    reverts(s, 'InvalidBounds', () => setCurveBounds(s, { bounds: { ...bounds, maxKink: E18 }, now: T0 }));
    reverts(s, 'InvalidBounds', () => setCurveBounds(s, { bounds: { ...bounds, minKink: 96n * 10n ** 16n }, now: T0 }));
    // the current curve (kink 0.95) would fall outside
    reverts(s, 'InvalidBounds', () => setCurveBounds(s, { bounds: { ...bounds, maxKink: 9n * 10n ** 17n }, now: T0 }));
    reverts(s, 'OwnableUnauthorizedAccount', () => setCurveBounds(s, { bounds, now: T0, from: LENDER }));
    setCurveBounds(s, { bounds: { ...bounds, maxSlope2: 2n * E18 }, now: T0 + 5n, from: OWNER });
    assert.equal(s.bounds.maxSlope2, 2n * E18);
    assert.equal(s.lastAccrual, T0 + 5n);
  });

  it('caps the reserve factor at 50% and refuses a zero treasury or controller', () => {
    const s = market();
    reverts(s, 'InvalidRiskParams', () => setReserve(s, { reserveFactor: E18 / 2n + 1n, treasury: TREASURY, now: T0 }));
    reverts(s, 'ZeroAddress', () => setReserve(s, { reserveFactor: 0n, treasury: ZERO, now: T0 }));
    reverts(s, 'ZeroAddress', () => setController(s, { controller: ZERO, now: T0 }));
    setReserve(s, { reserveFactor: E18 / 2n, treasury: TREASURY, now: T0 });
    assert.equal(s.treasury, TREASURY);
    setController(s, { controller: LENDER, now: T0 });
    setCurve(s, { curve, now: T0, from: LENDER });
    reverts(s, 'NotController', () => setCurve(s, { curve, now: T0, from: OWNER }));
  });

  it('checks the constructor arguments', () => {
    const f = (o: Partial<Parameters<typeof createLending>[0]>) => () =>
      createLending({ lltv: LLTV, bonus: BONUS, curve, bounds, owner: OWNER, ...o });
    const is = (reason: string) => (e: unknown) => e instanceof LendingMathError && e.reason === reason;
    assert.throws(f({ lltv: 0n }), is('InvalidRiskParams'));
    assert.throws(f({ lltv: E18 }), is('InvalidRiskParams'));
    assert.throws(f({ bonus: E18 }), is('InvalidRiskParams'));
    // lltv * (1 + bonus) must stay below 1 (review M1): 0.95 * 1.10, exactly 0.8 * 1.25, one wei past the edge
    assert.throws(f({ lltv: 95n * 10n ** 16n, bonus: E18 / 10n }), is('InvalidRiskParams'));
    assert.throws(f({ lltv: 8n * 10n ** 17n, bonus: E18 / 4n }), is('InvalidRiskParams'));
    assert.throws(f({ lltv: 95n * 10n ** 16n, bonus: 52_631_578_947_368_422n }), is('InvalidRiskParams'));
    assert.throws(f({ lltv: E18 / 2n + 1n, bonus: E18 - 1n }), is('InvalidRiskParams'));
    assert.equal(f({ lltv: 95n * 10n ** 16n, bonus: 52_631_578_947_368_421n })().bonus, 52_631_578_947_368_421n);
    assert.equal(f({ lltv: E18 / 2n, bonus: E18 - 1n })().lltv, E18 / 2n);
    assert.equal(f({ lltv: E18 - 1n, bonus: 0n })().lltv, E18 - 1n);
    assert.throws(f({ bounds: { ...bounds, minKink: 0n } }), is('InvalidBounds'));
    assert.throws(f({ curve: { ...curve, slope1: 2n * E18 } }), is('CurveOutOfBounds'));
    const s = market();
    assert.equal(s.reserveFactor, 0n);
    assert.equal(s.treasury, OWNER);
    assert.equal(s.lastAccrual, T0);
  });
});

describe('oracleMath', () => {
  it('reads the feed or the pool TWAP, and is unavailable while the source has no price', () => {
    const pool = { twapPrice: 3n * E18 };
    assert.equal(oraclePrice({ source: 'feed', feedPrice: 2n * E18, pool }), 2n * E18);
    assert.equal(oraclePrice({ source: 'pool', feedPrice: 2n * E18, pool }), 3n * E18);
    const unavailable = (e: unknown) => e instanceof OracleMathError && e.reason === 'OracleUnavailable';
    assert.throws(() => oraclePrice({ source: 'feed', feedPrice: 0n, pool }), unavailable);
    assert.throws(() => oraclePrice({ source: 'pool', feedPrice: E18, pool: { twapPrice: 0n } }), unavailable);
    assert.throws(() => oraclePrice({ source: 'pool', feedPrice: E18, pool: null }), unavailable);
  });

  it('takes pushes from the feeder only, positive only, and source changes from governance only', () => {
    const o = createOracle({ source: 'feed', owner: OWNER, feeder: LENDER });
    const is = (reason: string) => (e: unknown) => e instanceof OracleMathError && e.reason === reason;
    assert.throws(() => readOracle(o, null), is('OracleUnavailable'));
    assert.throws(() => setFeedPrice(o, { price: E18, now: T0, from: OWNER }), is('NotFeeder'));
    assert.throws(() => setFeedPrice(o, { price: 0n, now: T0, from: LENDER }), is('InvalidPrice'));
    setFeedPrice(o, { price: 2n * E18, now: T0, from: LENDER });
    assert.deepEqual([o.feedPrice, o.feedUpdatedAt, readOracle(o, null)], [2n * E18, T0, 2n * E18]);
    assert.throws(() => setSource(o, { source: 'pool', from: LENDER }), is('OwnableUnauthorizedAccount'));
    setSource(o, { source: 'pool', from: OWNER });
    assert.equal(readOracle(o, { twapPrice: 7n }), 7n);
  });

  it('fails a market call with OracleUnavailable only where the market reads the price', () => {
    const s = market();
    supply(s, { from: LENDER, assets: E18, now: T0 });
    supplyCollateral(s, { from: BORROWER, assets: E18, now: T0 });
    const price = () => oraclePrice({ source: 'feed', feedPrice: 0n, pool: null });
    withdrawCollateral(s, { from: BORROWER, assets: 1n, price, now: T0 });
    const before = cloneLending(s);
    assert.throws(() => borrow(s, { from: BORROWER, assets: 1n, price, now: T0 + 9n }), (e: unknown) => e instanceof OracleMathError);
    assert.deepEqual(s, before);
  });
});
