// Typed actions and reads for the LendingMarket: supply and withdraw the debt token, post and take back
// collateral, borrow, repay, liquidate; the market's state, positions, rates and health; and the calls an agent
// account makes for a liquidation. Reverts become DefiRevertError sentences (see pool.ts).
import { encodeFunctionData, maxUint256, parseAbi, parseEventLogs, type Address, type Hex } from 'viem';
import { lendingMarketAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { ensureAllowance } from '../pay/token.ts';
import type { Call } from '../wallet/calls.ts';
import { readerOf } from '../wallet/client.ts';
import { approveCall, asDefiError, defiWrite } from './pool.ts';
import { WAD } from './poolMath.ts';

/** Getters every LendingMarket has (the pinned interface's public state). */
const riskAbi = parseAbi(['function lltv() view returns (uint64)', 'function liquidationBonus() view returns (uint64)']);

export type LendingCurve = { baseRate: bigint; slope1: bigint; slope2: bigint; kink: bigint };
export type LendingCurveBounds = { maxBaseRate: bigint; maxSlope1: bigint; maxSlope2: bigint; minKink: bigint; maxKink: bigint };

/** `ILendingMarket.MarketState` as read from the chain. */
export type LendingChainState = {
  totalSupplyAssets: bigint;
  totalSupplyShares: bigint;
  totalBorrowAssets: bigint;
  totalBorrowShares: bigint;
  totalCollateral: bigint;
  badDebt: bigint;
  lastAccrual: bigint;
  curve: LendingCurve;
};

export type LendingPosition = { supplyShares: bigint; borrowShares: bigint; collateral: bigint };

/**
 * The market's state in one read (`state()`).
 * @example
 * const { totalSupplyAssets, totalBorrowAssets, badDebt } = await readLending(client, { market })
 */
export async function readLending(client: MachinaPublicClient | MachinaWalletClient, { market }: { market: Address }): Promise<LendingChainState> {
  const s = await readerOf(client).readContract({ address: market, abi: lendingMarketAbi, functionName: 'state' });
  return {
    totalSupplyAssets: s.totalSupplyAssets,
    totalSupplyShares: s.totalSupplyShares,
    totalBorrowAssets: s.totalBorrowAssets,
    totalBorrowShares: s.totalBorrowShares,
    totalCollateral: s.totalCollateral,
    badDebt: s.badDebt,
    lastAccrual: BigInt(s.lastAccrual),
    curve: { baseRate: BigInt(s.curve.baseRate), slope1: BigInt(s.curve.slope1), slope2: BigInt(s.curve.slope2), kink: BigInt(s.curve.kink) },
  };
}

/** One account's position. */
export async function readPosition(client: MachinaPublicClient | MachinaWalletClient, p: { market: Address; account: Address }): Promise<LendingPosition> {
  const r = await readerOf(client).readContract({ address: p.market, abi: lendingMarketAbi, functionName: 'position', args: [p.account] });
  return { supplyShares: r.supplyShares, borrowShares: r.borrowShares, collateral: r.collateral };
}

/** The current annual borrow rate (WAD) at the stored utilisation. */
export async function readBorrowRate(client: MachinaPublicClient | MachinaWalletClient, { market }: { market: Address }): Promise<bigint> {
  return readerOf(client).readContract({ address: market, abi: lendingMarketAbi, functionName: 'borrowRate' });
}

/** Whether `account` can be liquidated now (false, not a throw, while the oracle has no price). */
export async function isLiquidatable(client: MachinaPublicClient | MachinaWalletClient, p: { market: Address; account: Address }): Promise<boolean> {
  try {
    return await readerOf(client).readContract({ address: p.market, abi: lendingMarketAbi, functionName: 'isLiquidatable', args: [p.account] });
  } catch {
    return false;
  }
}

/** The market's liquidation LTV and bonus (WAD). */
export async function readRiskParams(client: MachinaPublicClient | MachinaWalletClient, { market }: { market: Address }): Promise<{ lltv: bigint; liquidationBonus: bigint }> {
  const reader = readerOf(client);
  const [lltv, liquidationBonus] = await Promise.all([
    reader.readContract({ address: market, abi: riskAbi, functionName: 'lltv' }),
    reader.readContract({ address: market, abi: riskAbi, functionName: 'liquidationBonus' }),
  ]);
  return { lltv: BigInt(lltv), liquidationBonus: BigInt(liquidationBonus) };
}

/** Utilisation of a market state (WAD), as the contract computes it. */
export function utilizationOf(s: Pick<LendingChainState, 'totalSupplyAssets' | 'totalBorrowAssets'>): bigint {
  if (s.totalSupplyAssets === 0n) return 0n;
  const u = (s.totalBorrowAssets * WAD) / s.totalSupplyAssets;
  return u > WAD ? WAD : u;
}

/** Debt of a position in assets, rounded up (toAssetsUp), at the stored totals. */
export function debtOf(s: Pick<LendingChainState, 'totalBorrowAssets' | 'totalBorrowShares'>, borrowShares: bigint): bigint {
  const num = borrowShares * (s.totalBorrowAssets + 1n);
  const den = s.totalBorrowShares + 1_000_000n;
  return num === 0n ? 0n : (num - 1n) / den + 1n;
}

/** Accounts that ever borrowed from `market` (from its Borrowed events), for a liquidator's watch list. */
export async function listBorrowers(client: MachinaPublicClient | MachinaWalletClient, p: { market: Address; fromBlock?: bigint }): Promise<Address[]> {
  const logs = await readerOf(client).getContractEvents({ address: p.market, abi: lendingMarketAbi, eventName: 'Borrowed', fromBlock: p.fromBlock ?? 0n });
  const seen = new Set<Address>();
  for (const l of logs) {
    const caller = (l.args as { caller?: Address }).caller;
    if (caller) seen.add(caller);
  }
  return [...seen];
}

function positive(value: bigint, field: string): bigint {
  if (typeof value !== 'bigint' || value <= 0n) throw new InvalidArgumentError(field, `must be a positive amount in base units (got ${String(value)})`);
  return value;
}

type Tx = { txHash: Hex; gasUsed: bigint };

/**
 * Lends `assets` of the debt token (approved as needed); shares go to `onBehalf` (default: the signer).
 * @example
 * await supply(wallet, { market, debtToken, assets: 10n ** 24n })
 */
export async function supply(wallet: MachinaWalletClient, p: { market: Address; debtToken: Address; assets: bigint; onBehalf?: Address }): Promise<Tx & { shares: bigint }> {
  positive(p.assets, 'assets');
  await ensureAllowance(wallet, { token: p.debtToken, spender: p.market, amount: p.assets }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'supply', p.market, lendingMarketAbi, [p.assets, p.onBehalf ?? wallet.account.address]);
  const ev = parseEventLogs({ abi: lendingMarketAbi, logs: receipt.logs, eventName: 'Supplied' })[0];
  return { txHash: hash, gasUsed: receipt.gasUsed, shares: ev?.args.shares ?? 0n };
}

/** Withdraws `assets` (or `'max'`: everything) of the signer's supply. */
export async function withdraw(wallet: MachinaWalletClient, p: { market: Address; assets: bigint | 'max'; to?: Address }): Promise<Tx & { withdrawn: bigint }> {
  const assets = p.assets === 'max' ? maxUint256 : positive(p.assets, 'assets');
  const { hash, receipt } = await defiWrite(wallet, 'withdraw', p.market, lendingMarketAbi, [assets, p.to ?? wallet.account.address]);
  const ev = parseEventLogs({ abi: lendingMarketAbi, logs: receipt.logs, eventName: 'Withdrawn' })[0];
  return { txHash: hash, gasUsed: receipt.gasUsed, withdrawn: ev?.args.assets ?? 0n };
}

/** Posts `assets` of the collateral token (approved as needed) for `onBehalf` (default: the signer). */
export async function supplyCollateral(wallet: MachinaWalletClient, p: { market: Address; collateralToken: Address; assets: bigint; onBehalf?: Address }): Promise<Tx> {
  positive(p.assets, 'assets');
  await ensureAllowance(wallet, { token: p.collateralToken, spender: p.market, amount: p.assets }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'supplyCollateral', p.market, lendingMarketAbi, [p.assets, p.onBehalf ?? wallet.account.address]);
  return { txHash: hash, gasUsed: receipt.gasUsed };
}

/** Takes back `assets` of the signer's collateral; the position must stay healthy. */
export async function withdrawCollateral(wallet: MachinaWalletClient, p: { market: Address; assets: bigint; to?: Address }): Promise<Tx> {
  positive(p.assets, 'assets');
  const { hash, receipt } = await defiWrite(wallet, 'withdrawCollateral', p.market, lendingMarketAbi, [p.assets, p.to ?? wallet.account.address]);
  return { txHash: hash, gasUsed: receipt.gasUsed };
}

/**
 * Borrows `assets` of the debt token against the signer's collateral.
 * @example
 * await borrow(wallet, { market, assets: 5_000n * 10n ** 18n })
 */
export async function borrow(wallet: MachinaWalletClient, p: { market: Address; assets: bigint; to?: Address }): Promise<Tx & { shares: bigint }> {
  positive(p.assets, 'assets');
  const { hash, receipt } = await defiWrite(wallet, 'borrow', p.market, lendingMarketAbi, [p.assets, p.to ?? wallet.account.address]);
  const ev = parseEventLogs({ abi: lendingMarketAbi, logs: receipt.logs, eventName: 'Borrowed' })[0];
  return { txHash: hash, gasUsed: receipt.gasUsed, shares: ev?.args.shares ?? 0n };
}

/** Repays up to `assets` (or `'max'`: the whole debt) of `onBehalf`'s debt (default: the signer's); approves as needed. */
export async function repay(
  wallet: MachinaWalletClient,
  p: { market: Address; debtToken: Address; assets: bigint | 'max'; onBehalf?: Address },
): Promise<Tx & { repaid: bigint }> {
  const onBehalf = p.onBehalf ?? wallet.account.address;
  let assets: bigint;
  let allowance: bigint;
  if (p.assets === 'max') {
    const [s, pos] = await Promise.all([readLending(wallet, { market: p.market }), readPosition(wallet, { market: p.market, account: onBehalf })]);
    assets = maxUint256;
    // Interest accrues until the repay is mined: a margin of 1% covers it.
    allowance = (debtOf(s, pos.borrowShares) * 101n) / 100n + 1n;
  } else {
    assets = positive(p.assets, 'assets');
    allowance = assets;
  }
  await ensureAllowance(wallet, { token: p.debtToken, spender: p.market, amount: allowance }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'repay', p.market, lendingMarketAbi, [assets, onBehalf]);
  const ev = parseEventLogs({ abi: lendingMarketAbi, logs: receipt.logs, eventName: 'Repaid' })[0];
  return { txHash: hash, gasUsed: receipt.gasUsed, repaid: ev?.args.assets ?? 0n };
}

export type LiquidateOutcome = Tx & { repaid: bigint; seized: bigint; badDebt: bigint };

/**
 * Liquidates an unhealthy `borrower`, repaying up to `repayAssets` (approved as needed) and seizing collateral at the
 * oracle price plus the bonus.
 * @example
 * const { seized } = await liquidate(wallet, { market, debtToken, borrower, repayAssets: 10n ** 21n })
 */
export async function liquidate(wallet: MachinaWalletClient, p: { market: Address; debtToken: Address; borrower: Address; repayAssets: bigint }): Promise<LiquidateOutcome> {
  positive(p.repayAssets, 'repayAssets');
  await ensureAllowance(wallet, { token: p.debtToken, spender: p.market, amount: p.repayAssets }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'liquidate', p.market, lendingMarketAbi, [p.borrower, p.repayAssets]);
  return { txHash: hash, gasUsed: receipt.gasUsed, ...liquidationOf(p.market, receipt.logs) };
}

/** What a liquidation did, from its logs (zeros when there was none). */
export function liquidationOf(market: Address, logs: readonly { address: Address; data: Hex; topics: readonly Hex[] }[]): { repaid: bigint; seized: bigint; badDebt: bigint } {
  const mine = logs.filter((l) => l.address.toLowerCase() === market.toLowerCase()) as Parameters<typeof parseEventLogs>[0]['logs'];
  const liq = parseEventLogs({ abi: lendingMarketAbi, logs: mine, eventName: 'Liquidated' })[0];
  const bad = parseEventLogs({ abi: lendingMarketAbi, logs: mine, eventName: 'BadDebtRealized' })[0];
  return { repaid: liq?.args.repaid ?? 0n, seized: liq?.args.seized ?? 0n, badDebt: bad?.args.assets ?? 0n };
}

/**
 * The calls an agent account makes to liquidate: approve the market for exactly `repayAssets` of the debt token,
 * then liquidate (the seized collateral goes to the account, the caller).
 * @example
 * await executeAsAgent(keyWallet, { account, calls: liquidateCalls({ market, debtToken, borrower, repayAssets }) })
 */
export function liquidateCalls(p: { market: Address; debtToken: Address; borrower: Address; repayAssets: bigint }): Call[] {
  positive(p.repayAssets, 'repayAssets');
  return [
    approveCall(p.debtToken, p.market, p.repayAssets),
    { target: p.market, value: 0n, data: encodeFunctionData({ abi: lendingMarketAbi, functionName: 'liquidate', args: [p.borrower, p.repayAssets] }) },
  ];
}
