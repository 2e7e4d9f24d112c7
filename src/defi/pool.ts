// Typed actions and reads for the AdaptivePool and the lab tokens: swaps with a slippage floor (quoted with the
// pool's exact math), liquidity in and out, the pool's full state, and the calls an agent account makes for the
// same actions (approve exactly what the action spends, then act, so the key's spend limit sees every trade).
// Reverts of the pool, the lending market and the oracle become one readable DefiRevertError.
import { encodeFunctionData, erc20Abi, parseEventLogs, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { adaptivePoolAbi, labTokenAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { gasWithMargin } from '../chain/write.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { asRevertError, isRevertNamed, revertArg as str, revertErrorParameters, type RevertSentences } from '../errors/revert.ts';
import { ensureAllowance } from '../pay/token.ts';
import type { Call } from '../wallet/calls.ts';
import { readerOf } from '../wallet/client.ts';
import { FEE_SCALE, quote, WAD } from './poolMath.ts';

/** Readable sentences for the pool's, the lending market's and the oracle's custom errors (ABI argument order). */
const sentences: RevertSentences = {
  // AdaptivePool
  InvalidToken: () => 'a token or recipient is the zero address, or the two tokens are the same',
  ZeroAmount: () => 'the amount is zero',
  InsufficientOutput: (a) => `the swap would pay ${str(a[0])}, below the minimum of ${str(a[1])} (the price moved; retry with more slippage)`,
  InsufficientLiquidity: (a) =>
    a.length >= 2 ? `borrows of ${str(a[0])} would exceed the market's supply of ${str(a[1])}` : 'the pool has no liquidity yet, or the deposit is too small to mint a share',
  InsufficientShares: (a) => `the deposit would mint ${str(a[0])} shares, below the minimum of ${str(a[1])}`,
  SharesExceedBalance: (a) => `burning ${str(a[0])} shares, but the caller holds ${str(a[1])}`,
  SwapsPaused: (a) => `the circuit breaker paused swaps until ${new Date(Number(a[0]) * 1000).toISOString()} (${str(a[0])}); until then only swaps toward the TWAP execute`,
  NotController: (a) => `${str(a[0])} is not the parameter controller`,
  BaseFeeOutOfBounds: (a) => `base fee ${str(a[0])} ppm is outside governance's bounds ${str(a[1])}-${str(a[2])} ppm`,
  KOutOfBounds: (a) => `k ${str(a[0])} is above governance's bound of ${str(a[1])}`,
  InvalidBounds: () => 'the bounds are inconsistent, or the current parameters lie outside them',
  InvalidBreaker: () => 'the breaker configuration is inconsistent (window or cooldown zero while on, or threshold of 100% or more)',
  // LendingMarket
  ZeroAddress: () => 'an address argument is the zero address',
  InsufficientCollateral: (a) => `the position's debt ${str(a[0])} would exceed its borrowing power of ${str(a[1])} at the oracle price`,
  InsufficientBalance: (a) => `asked for ${str(a[0])}, but the account has ${str(a[1])}`,
  HealthyPosition: (a) => `the position is healthy (debt ${str(a[0])} within its limit of ${str(a[1])}) and cannot be liquidated`,
  NoDebt: () => 'the account has no debt',
  CurveOutOfBounds: () => "the rate curve lies outside governance's bounds (or its kink is not between 0 and 1)",
  InvalidRiskParams: () => 'risk parameters out of range (lltv in (0, 1), bonus below 1, reserve factor at most 0.5)',
  // LabOracle
  OracleUnavailable: () => "the oracle has no price yet (no feed pushed, or the pool's TWAP window has not completed)",
  NotFeeder: (a) => `${str(a[0])} is not the oracle's feeder`,
  InvalidPrice: () => 'the price must be greater than zero',
};

/**
 * A defi contract (pool, lending market, oracle) reverted; `errorName` is the Solidity error, `args` its arguments.
 * @example
 * try { await swap(wallet, p) } catch (e) { if (e instanceof DefiRevertError && e.errorName === 'SwapsPaused') { ... } }
 */
export class DefiRevertError extends MachinaError {
  override name = 'DefiRevertError';
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor(functionName: string, errorName: string, args: readonly unknown[], cause?: unknown) {
    super(...revertErrorParameters('DEFI_REVERTED', sentences, functionName, errorName, args, cause));
    this.errorName = errorName;
    this.args = args;
  }
}

/**
 * `error` as a DefiRevertError when it is a decoded contract revert; Machina errors and anything else unchanged.
 * @example
 * try { ... } catch (e) { throw asDefiError(e, 'swap') }
 */
export function asDefiError(error: unknown, functionName = 'call'): unknown {
  return asRevertError(error, (r) => new DefiRevertError(functionName, r.errorName, r.args, error));
}

/** True when `error` is a defi revert named one of `names` (any name when none is given). */
export function isDefiRevert(error: unknown, ...names: string[]): boolean {
  return isRevertNamed(error instanceof DefiRevertError ? error.errorName : undefined, error, names);
}


/**
 * One lab write: simulated first (a revert becomes a DefiRevertError sentence), sent with a gas margin, confirmed.
 * @example
 * const { hash, receipt } = await defiWrite(wallet, 'swap', pool, adaptivePoolAbi, [true, amountIn, minOut, to])
 */
export async function defiWrite(wallet: MachinaWalletClient, functionName: string, address: Address, abi: Abi, args: readonly unknown[]): Promise<{ hash: Hex; receipt: TransactionReceipt }> {
  const reader = readerOf(wallet);
  let hash: Hex;
  try {
    const call = { address, abi, functionName, args, account: wallet.account } as Parameters<typeof reader.simulateContract>[0];
    const { request } = await reader.simulateContract(call);
    const gas = await reader.estimateContractGas(call as Parameters<typeof reader.estimateContractGas>[0]);
    hash = await wallet.writeContract({ ...(request as Parameters<MachinaWalletClient['writeContract']>[0]), gas: gasWithMargin(gas) });
  } catch (err) {
    throw asDefiError(err, functionName);
  }
  const receipt = await reader.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new MachinaError(`${functionName} reverted on chain (tx ${hash})`, { code: 'TX_REVERTED', details: { hash } });
  return { hash, receipt };
}

function positive(value: bigint, field: string): bigint {
  if (typeof value !== 'bigint' || value <= 0n) throw new InvalidArgumentError(field, `must be a positive amount in base units (got ${String(value)})`);
  return value;
}

/**
 * Mints `amount` of a lab token to `to` (the lab's faucet: LabToken's mint is open, the tokens carry no value).
 * @example
 * await mintLabToken(wallet, { token, to: account, amount: 10n ** 21n })
 */
export async function mintLabToken(wallet: MachinaWalletClient, p: { token: Address; to: Address; amount: bigint }): Promise<{ txHash: Hex }> {
  positive(p.amount, 'amount');
  const { hash } = await defiWrite(wallet, 'mint', p.token, labTokenAbi, [p.to, p.amount]);
  return { txHash: hash };
}

/** Balance of `owner` in `token`, base units. */
export async function balanceOf(client: MachinaPublicClient | MachinaWalletClient, p: { token: Address; owner: Address }): Promise<bigint> {
  return readerOf(client).readContract({ address: p.token, abi: erc20Abi, functionName: 'balanceOf', args: [p.owner] });
}

/** `IAdaptivePool.PoolState` as read from the chain, plus the spot price and the pause flag at the latest block. */
export type PoolChainState = {
  reserve0: bigint;
  reserve1: bigint;
  totalShares: bigint;
  fee: number;
  baseFee: number;
  k: bigint;
  variance: bigint;
  priceCumulative: bigint;
  lastTimestamp: bigint;
  obsCumulative: bigint;
  obsTimestamp: bigint;
  twapPrice: bigint;
  pausedUntil: bigint;
  /** reserve1 * 1e18 / reserve0 (0 while empty). */
  spotPrice: bigint;
};

/**
 * The pool's full state in one read (`state()`), with its spot price.
 * @example
 * const { reserve0, reserve1, fee, twapPrice } = await readPool(client, { pool })
 */
export async function readPool(client: MachinaPublicClient | MachinaWalletClient, { pool }: { pool: Address }): Promise<PoolChainState> {
  const s = await readerOf(client).readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'state' });
  return {
    reserve0: s.reserve0,
    reserve1: s.reserve1,
    totalShares: s.totalShares,
    fee: Number(s.fee),
    baseFee: Number(s.baseFee),
    k: s.k,
    variance: s.variance,
    priceCumulative: s.priceCumulative,
    lastTimestamp: s.lastTimestamp,
    obsCumulative: s.obsCumulative,
    obsTimestamp: s.obsTimestamp,
    twapPrice: s.twapPrice,
    pausedUntil: s.pausedUntil,
    spotPrice: s.reserve0 === 0n ? 0n : (s.reserve1 * WAD) / s.reserve0,
  };
}

/** The pool's two tokens (token0 = the collateral asset, token1 = the debt asset in the lab). */
export async function poolTokens(client: MachinaPublicClient | MachinaWalletClient, { pool }: { pool: Address }): Promise<{ token0: Address; token1: Address }> {
  const reader = readerOf(client);
  const [token0, token1] = await Promise.all([
    reader.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'token0' }),
    reader.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'token1' }),
  ]);
  return { token0, token1 };
}

/** LP shares `owner` holds in the pool. */
export async function sharesOf(client: MachinaPublicClient | MachinaWalletClient, p: { pool: Address; owner: Address }): Promise<bigint> {
  return readerOf(client).readContract({ address: p.pool, abi: adaptivePoolAbi, functionName: 'sharesOf', args: [p.owner] });
}

/**
 * What an exact-in swap pays at the pool's current state and fee (the contract's math), and the floor after
 * `slippageBps` (default 100 = 1%).
 * @example
 * const { amountOut, minAmountOut } = quoteSwap(state, { zeroForOne: true, amountIn: 10n ** 18n })
 */
export function quoteSwap(s: Pick<PoolChainState, 'reserve0' | 'reserve1' | 'fee'>, p: { zeroForOne: boolean; amountIn: bigint; slippageBps?: number }): { amountOut: bigint; minAmountOut: bigint } {
  if (s.reserve0 === 0n) return { amountOut: 0n, minAmountOut: 0n };
  const { amountOut } = quote(p.zeroForOne, p.amountIn, BigInt(s.fee), s.reserve0, s.reserve1);
  const bps = BigInt(p.slippageBps ?? 100);
  return { amountOut, minAmountOut: (amountOut * (10_000n - bps)) / 10_000n };
}

export type SwapParameters = { pool: Address; zeroForOne: boolean; amountIn: bigint; minAmountOut: bigint; to?: Address | undefined };
export type SwapOutcome = { txHash: Hex; amountOut: bigint; tripped: boolean; fee: number; gasUsed: bigint };

/** Reads what a swap did from its receipt: paid out (Swap event) or stopped by the breaker (BreakerTripped). */
export function swapOutcome(pool: Address, receipt: TransactionReceipt): Omit<SwapOutcome, 'txHash'> {
  const logs = receipt.logs.filter((l) => l.address.toLowerCase() === pool.toLowerCase());
  const swapped = parseEventLogs({ abi: adaptivePoolAbi, logs, eventName: 'Swap' })[0];
  const tripped = parseEventLogs({ abi: adaptivePoolAbi, logs, eventName: 'BreakerTripped' }).length > 0;
  return { amountOut: swapped ? swapped.args.amountOut : 0n, tripped, fee: swapped ? Number(swapped.args.fee) : 0, gasUsed: receipt.gasUsed };
}

/**
 * Swaps exactly `amountIn` of one token for at least `minAmountOut` of the other, approving the pool for exactly
 * what it pulls when the allowance is short. A swap the circuit breaker stops returns `tripped: true` (nothing moved).
 * @example
 * const { amountOut } = await swap(wallet, { pool, zeroForOne: true, amountIn: 10n ** 18n, minAmountOut })
 */
export async function swap(wallet: MachinaWalletClient, p: SwapParameters): Promise<SwapOutcome> {
  positive(p.amountIn, 'amountIn');
  const { token0, token1 } = await poolTokens(wallet, { pool: p.pool });
  await ensureAllowance(wallet, { token: p.zeroForOne ? token0 : token1, spender: p.pool, amount: p.amountIn }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'swap', p.pool, adaptivePoolAbi, [p.zeroForOne, p.amountIn, p.minAmountOut, p.to ?? wallet.account.address]);
  return { txHash: hash, ...swapOutcome(p.pool, receipt) };
}

/**
 * Deposits up to the given amounts at the pool's ratio; approves both tokens as needed.
 * @example
 * const { shares } = await addLiquidity(wallet, { pool, amount0Max, amount1Max })
 */
export async function addLiquidity(
  wallet: MachinaWalletClient,
  p: { pool: Address; amount0Max: bigint; amount1Max: bigint; minShares?: bigint; to?: Address },
): Promise<{ txHash: Hex; shares: bigint; amount0: bigint; amount1: bigint }> {
  positive(p.amount0Max, 'amount0Max');
  positive(p.amount1Max, 'amount1Max');
  const { token0, token1 } = await poolTokens(wallet, { pool: p.pool });
  await ensureAllowance(wallet, { token: token0, spender: p.pool, amount: p.amount0Max }, (e) => asDefiError(e, 'approve'));
  await ensureAllowance(wallet, { token: token1, spender: p.pool, amount: p.amount1Max }, (e) => asDefiError(e, 'approve'));
  const { hash, receipt } = await defiWrite(wallet, 'addLiquidity', p.pool, adaptivePoolAbi, [p.amount0Max, p.amount1Max, p.minShares ?? 0n, p.to ?? wallet.account.address]);
  const ev = parseEventLogs({ abi: adaptivePoolAbi, logs: receipt.logs, eventName: 'LiquidityAdded' })[0];
  return { txHash: hash, shares: ev?.args.shares ?? 0n, amount0: ev?.args.amount0 ?? 0n, amount1: ev?.args.amount1 ?? 0n };
}

/**
 * Burns `shares` and takes the pro-rata reserves.
 * @example
 * const { amount0, amount1 } = await removeLiquidity(wallet, { pool, shares })
 */
export async function removeLiquidity(
  wallet: MachinaWalletClient,
  p: { pool: Address; shares: bigint; min0?: bigint; min1?: bigint; to?: Address },
): Promise<{ txHash: Hex; amount0: bigint; amount1: bigint }> {
  positive(p.shares, 'shares');
  const { hash, receipt } = await defiWrite(wallet, 'removeLiquidity', p.pool, adaptivePoolAbi, [p.shares, p.min0 ?? 0n, p.min1 ?? 0n, p.to ?? wallet.account.address]);
  const ev = parseEventLogs({ abi: adaptivePoolAbi, logs: receipt.logs, eventName: 'LiquidityRemoved' })[0];
  return { txHash: hash, amount0: ev?.args.amount0 ?? 0n, amount1: ev?.args.amount1 ?? 0n };
}

const approveCall = (token: Address, spender: Address, amount: bigint): Call => ({
  target: token,
  value: 0n,
  data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] }),
});

/**
 * The calls an agent account makes to swap (run them with `executeAsAgent`): approve the pool for exactly `amountIn`
 * of the input token (the spend the key's policy counts), then swap to the account itself.
 * @example
 * await executeAsAgent(keyWallet, { account, calls: swapCalls({ pool, tokenIn, account, zeroForOne: true, amountIn, minAmountOut }) })
 */
export function swapCalls(p: { pool: Address; tokenIn: Address; account: Address; zeroForOne: boolean; amountIn: bigint; minAmountOut: bigint }): Call[] {
  positive(p.amountIn, 'amountIn');
  return [
    approveCall(p.tokenIn, p.pool, p.amountIn),
    { target: p.pool, value: 0n, data: encodeFunctionData({ abi: adaptivePoolAbi, functionName: 'swap', args: [p.zeroForOne, p.amountIn, p.minAmountOut, p.account] }) },
  ];
}

/** The calls an agent account makes to add liquidity: approve both tokens for the maxima, then deposit to itself. */
export function addLiquidityCalls(p: { pool: Address; token0: Address; token1: Address; account: Address; amount0Max: bigint; amount1Max: bigint; minShares?: bigint }): Call[] {
  positive(p.amount0Max, 'amount0Max');
  positive(p.amount1Max, 'amount1Max');
  return [
    approveCall(p.token0, p.pool, p.amount0Max),
    approveCall(p.token1, p.pool, p.amount1Max),
    { target: p.pool, value: 0n, data: encodeFunctionData({ abi: adaptivePoolAbi, functionName: 'addLiquidity', args: [p.amount0Max, p.amount1Max, p.minShares ?? 0n, p.account] }) },
  ];
}

/** The call an agent account makes to burn shares, paid to itself. */
export function removeLiquidityCalls(p: { pool: Address; account: Address; shares: bigint }): Call[] {
  positive(p.shares, 'shares');
  return [{ target: p.pool, value: 0n, data: encodeFunctionData({ abi: adaptivePoolAbi, functionName: 'removeLiquidity', args: [p.shares, 0n, 0n, p.account] }) }];
}

/** An approval call for an agent account (exported for the lending calls). */
export { approveCall };

/** ppm fee as a fraction (e.g. 3000 → 0.003). */
export const feeFraction = (fee: number): number => fee / Number(FEE_SCALE);
