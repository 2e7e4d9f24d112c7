// The data market's money splits, to the unit, as the contract computes them: a sale among the covered
// contributors, and royalties as cumulative floors (each credit is the difference between the cumulative split
// after and before), so what is paid out always sums to exactly what came in.
import { InvalidDataInputError } from './errors.ts';
import { BPS } from './terms.ts';

function checkShares(shares: readonly number[], field: string) {
  if (!Array.isArray(shares) || shares.length === 0) throw new InvalidDataInputError(field, 'needs at least one share');
  shares.forEach((s, i) => {
    if (!Number.isSafeInteger(s) || s < 0 || s > BPS) throw new InvalidDataInputError(`${field}[${i}]`, `must be an integer 0-10000 bps (got ${String(s)})`);
  });
}

function checkAmount(v: bigint, field: string) {
  if (typeof v !== 'bigint' || v < 0n) throw new InvalidDataInputError(field, `must be a non-negative bigint (got ${String(v)})`);
}

/**
 * A sale's price per contributor index: covered contributors (bit i of `includedMask`) share it by their shares,
 * `floor(price * share_i / coveredShares)` each, and the first covered contributor takes the remainder.
 * @example
 * splitSale(100n, [5000, 3000, 2000], 0b110n) // [0n, 60n, 40n]
 */
export function splitSale(price: bigint, shares: number[], includedMask: bigint): bigint[] {
  checkAmount(price, 'price');
  checkShares(shares, 'shares');
  const covered = shares.map((_, i) => i).filter((i) => (includedMask >> BigInt(i)) & 1n);
  if (covered.length === 0) throw new InvalidDataInputError('includedMask', 'covers no contributor: nobody consented to this sale');
  const total = covered.reduce((s, i) => s + BigInt(shares[i]!), 0n);
  if (total === 0n) throw new InvalidDataInputError('shares', 'the covered contributors hold no share');
  const out = shares.map(() => 0n);
  let rest = price;
  for (const i of covered.slice(1)) {
    out[i] = (price * BigInt(shares[i]!)) / total;
    rest -= out[i]!;
  }
  out[covered[0]!] = rest;
  return out;
}

/**
 * The cumulative split of `total` among contributors by share (bps of 10,000): contributor i > 0 gets
 * `floor(total * share_i / 10000)`, contributor 0 the rest (the dust).
 * @example
 * cumulativeSplit(101n, [5000, 5000]) // [51n, 50n]
 */
export function cumulativeSplit(total: bigint, shares: number[]): bigint[] {
  checkAmount(total, 'total');
  checkShares(shares, 'shares');
  const out = shares.map((s, i) => (i === 0 ? 0n : (total * BigInt(s)) / BigInt(BPS)));
  out[0] = total - out.reduce((s, x) => s + x, 0n);
  return out;
}

/**
 * The cumulative split of a model's revenue: dataset j gets `floor(revenue * royaltyBps_j / 10000)`, the
 * beneficiary the rest.
 * @example
 * modelRevenueSplit(1_000n, [1000, 500]) // { datasets: [100n, 50n], beneficiary: 850n }
 */
export function modelRevenueSplit(revenue: bigint, royaltyBps: number[]): { datasets: bigint[]; beneficiary: bigint } {
  checkAmount(revenue, 'revenue');
  if (!Array.isArray(royaltyBps)) throw new InvalidDataInputError('royaltyBps', 'must be a list of bps');
  royaltyBps.forEach((b, i) => {
    if (!Number.isSafeInteger(b) || b < 0 || b > BPS) throw new InvalidDataInputError(`royaltyBps[${i}]`, `must be an integer 0-10000 (got ${String(b)})`);
  });
  const sum = royaltyBps.reduce((s, b) => s + b, 0);
  if (sum > BPS) throw new InvalidDataInputError('royaltyBps', `sum to ${sum} bps, more than 10,000 (100%)`);
  const datasets = royaltyBps.map((b) => (revenue * BigInt(b)) / BigInt(BPS));
  return { datasets, beneficiary: revenue - datasets.reduce((s, x) => s + x, 0n) };
}

const minus = (a: readonly bigint[], b: readonly bigint[]) => a.map((x, i) => x - b[i]!);

/**
 * What one `routeRevenue(amount)` credits, given the model's revenue routed before and each dataset's cumulative
 * royalties before (all models): the datasets' deltas, the beneficiary's delta, and each dataset's contributors'
 * deltas (of entitlement, i.e. of `creditOf`: the residual parties' — the beneficiary's, each contributor 0's — can
 * be negative by a unit or two; see `residualWithdrawable`). Sums to exactly `amount`.
 * @example
 * const c = routeRevenueCredits({ revenueBefore: 0n, amount: 1_000n, royaltyBps: [1000], datasetRoyaltiesBefore: [0n], shares: [[6000, 4000]] })
 * // c.datasets = [100n], c.beneficiary = 900n, c.contributors = [[60n, 40n]]
 */
export function routeRevenueCredits(p: {
  revenueBefore: bigint;
  amount: bigint;
  royaltyBps: number[];
  datasetRoyaltiesBefore: bigint[];
  shares: number[][];
}): { datasets: bigint[]; beneficiary: bigint; contributors: bigint[][] } {
  checkAmount(p.amount, 'amount');
  const before = modelRevenueSplit(p.revenueBefore, p.royaltyBps);
  const after = modelRevenueSplit(p.revenueBefore + p.amount, p.royaltyBps);
  const datasets = minus(after.datasets, before.datasets);
  const contributors = datasets.map((d, j) => {
    const prev = p.datasetRoyaltiesBefore[j] ?? 0n;
    return minus(cumulativeSplit(prev + d, p.shares[j]!), cumulativeSplit(prev, p.shares[j]!));
  });
  return { datasets, beneficiary: after.beneficiary - before.beneficiary, contributors };
}

/**
 * The withdrawable part of a residual party's cumulative entitlement (the model's beneficiary, or contributor 0):
 * `ceil(total * bps / 10000)`, which never decreases. The contract credits the residual party this much and holds
 * the rest of its entitlement (`creditOf` = withdrawable + held = the exact split), because the entitlement itself
 * can shrink by a unit or two when the other parties' floors tick up together.
 * @example
 * residualWithdrawable(3n, 2) // 1n (entitlement under shares 2/4999/4999: 1n)
 */
export function residualWithdrawable(total: bigint, bps: number): bigint {
  checkAmount(total, 'total');
  if (!Number.isSafeInteger(bps) || bps < 0 || bps > BPS) throw new InvalidDataInputError('bps', `must be an integer 0-10000 (got ${String(bps)})`);
  return (total * BigInt(bps) + BigInt(BPS) - 1n) / BigInt(BPS);
}
