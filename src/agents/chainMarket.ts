// The lab market as the deployed contracts hold it, seen the way a strategy sees the simulator: one observation
// (pool, oracle, lending) made into the pinned MarketView, an agent's holdings into AgentView, and a strategy's
// Action turned into contract calls (approvals included, sized from the current balances) and executed by an
// agent account (inside its key's policy) or an EOA.
import { decodeErrorResult, erc20Abi, maxUint256, parseEventLogs, toFunctionSelector, zeroAddress, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { adaptivePoolAbi, labOracleAbi, lendingMarketAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { gasWithMargin } from '../chain/write.ts';
import { MachinaError } from '../errors/index.ts';
import { revertOf } from '../errors/revert.ts';
import { debtOf, isLiquidatable, liquidateCalls, liquidationOf, listBorrowers, readBorrowRate, readLending, readPosition, utilizationOf } from '../defi/lending.ts';
import { readOracle } from '../defi/oracle.ts';
import { addLiquidityCalls, asDefiError, DefiRevertError, quoteSwap, readPool, removeLiquidityCalls, swapCalls, swapOutcome, type PoolChainState } from '../defi/pool.ts';
import { agentAccountAbi } from '../wallet/abi.ts';
import { agentOutcome, previewAgentCalls } from '../wallet/agent.ts';
import type { Call } from '../wallet/calls.ts';
import { refusalError } from '../wallet/refusal.ts';
import { readerOf } from '../wallet/client.ts';
import type { Action, AgentView, FeatureTracker, LendingView, MarketView } from './strategies/types.ts';

/** Where the lab's contracts are: the pool, its two tokens (token0 = LAB collateral, token1 = lUSD debt), the oracle and the lending market. */
export type DefiAddresses = { pool: Address; token0: Address; token1: Address; oracle: Address; lending: Address };

/** The deployment names of the lab's contracts (src/protocol/plan.ts). */
export const DEFI_CONTRACTS = { pool: 'AdaptivePool', token0: 'LabAsset', token1: 'LabDollar', oracle: 'LabOracle', lending: 'LendingMarket' } as const;

/**
 * The lab's addresses from a deployment's contracts (by name); a clear error when the deployment predates them.
 * @example
 * const defi = defiAddressesOf(Object.fromEntries(Object.entries(deployment.contracts).map(([n, c]) => [n, c.address])))
 */
export function defiAddressesOf(addresses: Record<string, Address | undefined>): DefiAddresses {
  const out = {} as DefiAddresses;
  for (const [key, name] of Object.entries(DEFI_CONTRACTS) as Array<[keyof DefiAddresses, string]>) {
    const a = addresses[name];
    if (!a) {
      throw new MachinaError(`this deployment has no ${name} (the DeFi lab's contracts, deployed on the devnet only); on the devnet, redeploy with \`machina up\` or \`machina deploy\``, { code: 'NO_DEPLOYMENT', field: 'MACHINA_DEPLOYMENTS_DIR' });
    }
    out[key] = a;
  }
  return out;
}

const UNIT = 10n ** 18n;
/** Base units (18 decimals) as a float of whole tokens. */
export const whole = (units: bigint): number => Number(units) / 1e18;
/** Whole tokens (float) as base units, floored to 1e-9 of a token; never negative. */
export function units(amount: number): bigint {
  if (!Number.isFinite(amount) || amount <= 0) return 0n;
  return (BigInt(Math.floor(amount * 1e9)) * UNIT) / 1_000_000_000n;
}

/** Everything one observation read: the raw chain state and the view a strategy gets. */
export type Observation = { view: MarketView; pool: PoolChainState; now: bigint; blockNumber: bigint };

/** Keeps the list of accounts that ever borrowed (a liquidator's watch list), reading only new Borrowed events. */
export class BorrowerWatch {
  private fromBlock = 0n;
  private readonly set = new Set<Address>();
  constructor(private readonly lending: Address) {}
  async refresh(client: MachinaPublicClient, toBlock: bigint): Promise<readonly Address[]> {
    if (toBlock >= this.fromBlock) {
      for (const a of await listBorrowers(client, { market: this.lending, fromBlock: this.fromBlock })) this.set.add(a);
      this.fromBlock = toBlock + 1n;
    }
    return [...this.set];
  }
}

/**
 * Reads the market once and builds the strategy's MarketView (features from `tracker`, which keeps the history).
 * `watch` adds the unhealthy positions to the lending view (for liquidators); without it `unhealthy` is empty.
 * @example
 * const { view } = await observeMarket(client, defi, { step, tracker })
 */
export async function observeMarket(
  client: MachinaPublicClient,
  defi: DefiAddresses,
  p: { step: number; tracker: FeatureTracker; watch?: BorrowerWatch | undefined; breaker?: number | undefined },
): Promise<Observation> {
  const [block, pool, oracle, lending, rate] = await Promise.all([
    client.getBlock({ blockTag: 'latest' }),
    readPool(client, { pool: defi.pool }),
    readOracle(client, { oracle: defi.oracle }),
    readLending(client, { market: defi.lending }),
    readBorrowRate(client, { market: defi.lending }).catch(() => 0n),
  ]);
  const price = whole(pool.spotPrice);
  const twap = whole(pool.twapPrice);
  const feed = whole(oracle.feedPrice);
  const features = p.tracker.push(price, twap, feed);
  let unhealthy: LendingView['unhealthy'] = [];
  if (p.watch && oracle.price !== null && lending.totalBorrowAssets > 0n) {
    const borrowers = await p.watch.refresh(client, block.number);
    const flagged = await Promise.all(borrowers.map(async (account) => ((await isLiquidatable(client, { market: defi.lending, account })) ? account : null)));
    unhealthy = await Promise.all(
      flagged.filter((a): a is Address => a !== null).map(async (account) => {
        const pos = await readPosition(client, { market: defi.lending, account });
        return { account, debt: whole(debtOf(lending, pos.borrowShares)), collateral: whole(pos.collateral) };
      }),
    );
  }
  const view: MarketView = {
    step: p.step,
    time: Number(block.timestamp),
    price,
    twap,
    feed,
    fee: pool.fee,
    paused: block.timestamp < pool.pausedUntil,
    features,
    lending: { utilization: whole(utilizationOf(lending)), borrowRate: whole(rate), unhealthy },
    liquidity: Math.sqrt(whole(pool.reserve0) * whole(pool.reserve1)),
    ...(p.breaker === undefined ? {} : { breaker: p.breaker }),
  };
  return { view, pool, now: block.timestamp, blockNumber: block.number };
}

/** The breaker threshold as a fraction (0 = off), read once. */
export async function readBreakerFraction(client: MachinaPublicClient, { pool }: { pool: Address }): Promise<number> {
  const b = await client.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'breaker' });
  return Number(b.threshold) / 1e6;
}

/** An agent's holdings in base units. */
export type Holdings = { token0: bigint; token1: bigint; shares: bigint };

/** Reads `holder`'s token balances and LP shares. */
export async function readHoldings(client: MachinaPublicClient, defi: DefiAddresses, holder: Address): Promise<Holdings> {
  const [token0, token1, shares] = await Promise.all([
    client.readContract({ address: defi.token0, abi: erc20Abi, functionName: 'balanceOf', args: [holder] }),
    client.readContract({ address: defi.token1, abi: erc20Abi, functionName: 'balanceOf', args: [holder] }),
    client.readContract({ address: defi.pool, abi: adaptivePoolAbi, functionName: 'sharesOf', args: [holder] }),
  ]);
  return { token0, token1, shares };
}

/** The strategy's AgentView of `h` at the pool's state: whole tokens, LP fraction, value in token1. */
export function agentView(h: Holdings, pool: PoolChainState): AgentView {
  const price = whole(pool.spotPrice);
  const lpFraction = pool.totalShares === 0n ? 0 : Number(h.shares) / Number(pool.totalShares);
  const token0 = whole(h.token0);
  const token1 = whole(h.token1);
  const lpValue = lpFraction * (whole(pool.reserve1) + whole(pool.reserve0) * price);
  return { token0, token1, lpFraction, value: token1 + token0 * price + lpValue };
}

/** A sized action: the calls to run and what they are, or why nothing runs. */
export type PlannedAction =
  | { run: false; why: string }
  | { run: true; calls: Call[]; kind: Action['kind']; summary: string; amountIn?: bigint; zeroForOne?: boolean };

const fmt = (u: bigint) => whole(u).toPrecision(6);

/**
 * Sizes a strategy's action against the current holdings and the pool (amounts clamped to the balances) and
 * turns it into calls made by `actor`. `approvals: false` leaves the approvals out (an EOA that approved the
 * pool and the market once).
 * @example
 * const planned = planAction(action, { defi, actor: account, holdings, pool })
 */
export function planAction(
  action: Action,
  p: { defi: DefiAddresses; actor: Address; holdings: Holdings; pool: PoolChainState; approvals?: boolean; slippageBps?: number; /** Most a liquidation repays at once (a partial liquidation). */ maxRepay?: bigint },
): PlannedAction {
  const { defi, actor, holdings: h, pool } = p;
  const approvals = p.approvals ?? true;
  const strip = (calls: Call[]) => (approvals ? calls : calls.filter((c) => !c.data.startsWith('0x095ea7b3')));
  switch (action.kind) {
    case 'hold':
      return { run: false, why: 'hold' };
    case 'swap': {
      const balance = action.zeroForOne ? h.token0 : h.token1;
      let amountIn = units(action.amountIn);
      if (amountIn > balance) amountIn = balance;
      if (amountIn === 0n) return { run: false, why: `nothing to sell (${action.zeroForOne ? 'token0' : 'token1'} balance ${fmt(balance)})` };
      const { minAmountOut } = quoteSwap(pool, { zeroForOne: action.zeroForOne, amountIn, slippageBps: p.slippageBps ?? 200 });
      const tokenIn = action.zeroForOne ? defi.token0 : defi.token1;
      return {
        run: true,
        kind: 'swap',
        amountIn,
        zeroForOne: action.zeroForOne,
        calls: strip(swapCalls({ pool: defi.pool, tokenIn, account: actor, zeroForOne: action.zeroForOne, amountIn, minAmountOut })),
        summary: action.zeroForOne ? `sell ${fmt(amountIn)} LAB` : `buy LAB with ${fmt(amountIn)} lUSD`,
      };
    }
    case 'add': {
      const f = Math.min(Math.max(action.fraction, 0), 1);
      const a0 = (h.token0 * BigInt(Math.floor(f * 1e6))) / 1_000_000n;
      const a1 = (h.token1 * BigInt(Math.floor(f * 1e6))) / 1_000_000n;
      if (a0 === 0n || a1 === 0n || pool.reserve0 === 0n) return { run: false, why: 'nothing to add' };
      // Only what the pool's ratio takes is approved, so the policy counts the real spend.
      const s0 = (a0 * pool.totalShares) / pool.reserve0;
      const s1 = (a1 * pool.totalShares) / pool.reserve1;
      const shares = s0 < s1 ? s0 : s1;
      if (shares === 0n) return { run: false, why: 'too little to mint a share' };
      const need0 = (shares * pool.reserve0 + pool.totalShares - 1n) / pool.totalShares;
      const need1 = (shares * pool.reserve1 + pool.totalShares - 1n) / pool.totalShares;
      const amount0Max = need0 < a0 ? need0 : a0;
      const amount1Max = need1 < a1 ? need1 : a1;
      return {
        run: true,
        kind: 'add',
        calls: strip(addLiquidityCalls({ pool: defi.pool, token0: defi.token0, token1: defi.token1, account: actor, amount0Max, amount1Max })),
        summary: `add ${fmt(amount0Max)} LAB + ${fmt(amount1Max)} lUSD`,
      };
    }
    case 'remove': {
      const f = Math.min(Math.max(action.fraction, 0), 1);
      const shares = (h.shares * BigInt(Math.floor(f * 1e6))) / 1_000_000n;
      if (shares === 0n) return { run: false, why: 'no LP shares to remove' };
      return { run: true, kind: 'remove', calls: removeLiquidityCalls({ pool: defi.pool, account: actor, shares }), summary: `remove ${(f * 100).toFixed(1)}% of LP` };
    }
    case 'liquidate': {
      let repay = units(action.repay);
      if (repay > h.token1) repay = h.token1;
      if (p.maxRepay !== undefined && repay > p.maxRepay) repay = p.maxRepay;
      if (repay === 0n) return { run: false, why: 'no lUSD to repay with' };
      return {
        run: true,
        kind: 'liquidate',
        calls: strip(liquidateCalls({ market: defi.lending, debtToken: defi.token1, borrower: action.borrower as Address, repayAssets: repay })),
        summary: `liquidate ${action.borrower} repaying ${fmt(repay)} lUSD`,
      };
    }
  }
}

/** What a mined action did, from its receipt. */
export type ActionResult = { tripped: boolean; amountOut: bigint; seized: bigint; repaid: bigint; badDebt: bigint; gasUsed: bigint };

/** Reads the outcome of an executed action from its receipt. */
export function actionResult(defi: DefiAddresses, receipt: TransactionReceipt): ActionResult {
  const s = swapOutcome(defi.pool, receipt);
  const l = liquidationOf(defi.lending, receipt.logs);
  return { tripped: s.tripped, amountOut: s.amountOut, seized: l.seized, repaid: l.repaid, badDebt: l.badDebt, gasUsed: receipt.gasUsed };
}

/** Custom errors of every lab contract, to read a call that failed inside an agent account's batch. */
const labErrorsAbi = [...adaptivePoolAbi, ...lendingMarketAbi, ...labOracleAbi, ...erc20Abi].filter((e) => e.type === 'error') as Abi;
const FUNCTIONS_BY_SELECTOR: Record<string, string> = {
  '0x095ea7b3': 'approve',
};

/**
 * An agent account's `CallFailed(index, data)` made into the inner call's DefiRevertError (the pool's or the
 * market's own error and sentence); anything else as `asDefiError` makes it.
 * @example
 * catch (e) { throw innerDefiError(e, calls) }
 */
export function innerDefiError(error: unknown, calls: readonly Call[], names: Record<string, string> = {}): unknown {
  const r = revertOf(error);
  if (r?.errorName === 'CallFailed') {
    const index = Number(r.args[0]);
    const data = r.args[1] as Hex;
    const call = calls[index];
    const fn = call ? (names[call.data.slice(0, 10)] ?? LAB_SELECTORS[call.data.slice(0, 10)] ?? FUNCTIONS_BY_SELECTOR[call.data.slice(0, 10)] ?? 'call') : 'call';
    try {
      const d = decodeErrorResult({ abi: labErrorsAbi, data });
      return new DefiRevertError(fn, d.errorName, (d.args ?? []) as readonly unknown[], error);
    } catch {
      return new MachinaError(`${fn} (call ${index} of the agent's batch) reverted with ${data}`, { code: 'DEFI_REVERTED', cause: error });
    }
  }
  return asDefiError(error);
}

/** The selectors of the lab's actions, by name, for messages. */
export const LAB_SELECTORS: Record<string, string> = Object.fromEntries(
  ([...adaptivePoolAbi, ...lendingMarketAbi] as Abi)
    .filter((e) => e.type === 'function' && ['swap', 'addLiquidity', 'removeLiquidity', 'liquidate'].includes(e.name))
    .map((e) => [toFunctionSelector(e as Parameters<typeof toFunctionSelector>[0]), (e as { name: string }).name]),
);

/**
 * An EOA approves the pool and the lending market for both tokens once, so its trades are one transaction each.
 * @example
 * await approveAll(wallet, defi)
 */
export async function approveAll(wallet: MachinaWalletClient, defi: DefiAddresses): Promise<void> {
  const reader = readerOf(wallet);
  for (const token of [defi.token0, defi.token1]) {
    for (const spender of [defi.pool, defi.lending]) {
      const hash = await wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [spender, maxUint256] });
      await reader.waitForTransactionReceipt({ hash });
    }
  }
}

/**
 * `executeAsAgent` with a gas margin (see `gasWithMargin`): previews first and throws the PolicyRefusedError that
 * names the limit instead of sending a refused action; a call that fails inside the batch throws the lab
 * contract's own DefiRevertError.
 * @example
 * const { txHash, receipt } = await executeAsAgentWithMargin(keyWallet, { account, calls })
 */
export async function executeAsAgentWithMargin(
  keyWallet: MachinaWalletClient,
  p: { account: Address; calls: readonly Call[] },
): Promise<{ executed: boolean; pendingId: bigint | null; txHash: Hex; receipt: TransactionReceipt }> {
  const reader = readerOf(keyWallet);
  const key = keyWallet.account.address;
  const first = p.calls[0];
  const at = first ? { target: first.target, selector: first.data.slice(0, 10) as Hex } : {};
  const preview = await previewAgentCalls(reader, { account: p.account, key, calls: p.calls });
  if (preview.refusal !== 0) throw await refusalError(reader, { account: p.account, key, reason: preview.refusal, asset: preview.asset, amount: preview.amount, ...at });
  const call = { address: p.account, abi: agentAccountAbi, functionName: 'executeAsAgent', args: [key, p.calls], account: keyWallet.account } as const;
  let txHash: Hex;
  try {
    const { request } = await reader.simulateContract(call);
    const gas = await reader.estimateContractGas(call);
    txHash = await keyWallet.writeContract({ ...request, gas: gasWithMargin(gas) });
  } catch (err) {
    throw innerDefiError(err, p.calls);
  }
  const receipt = await reader.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== 'success') throw new MachinaError(`executeAsAgent reverted on chain (tx ${txHash})`, { code: 'TX_REVERTED', details: { hash: txHash } });
  const refused = parseEventLogs({ abi: agentAccountAbi, logs: receipt.logs, eventName: 'AgentActionRefused' }).find((l) => l.address.toLowerCase() === p.account.toLowerCase());
  if (refused) {
    const a = refused.args;
    throw await refusalError(reader, { account: p.account, key, reason: a.reason, asset: a.asset === zeroAddress && a.amount === 0n ? undefined : a.asset, amount: a.amount === 0n ? undefined : a.amount, target: a.target, selector: a.selector });
  }
  return { ...agentOutcome(p.account, receipt), txHash, receipt };
}

/**
 * Sends one call from an EOA with a gas margin and waits for it; throws the lab contract's DefiRevertError when the
 * estimate already reverts, a MachinaError when it reverts on chain.
 */
export async function sendCallWithMargin(wallet: MachinaWalletClient, call: Call): Promise<TransactionReceipt> {
  const reader = readerOf(wallet);
  let hash: Hex;
  try {
    const gas = await reader.estimateGas({ account: wallet.account, to: call.target, data: call.data, value: call.value });
    hash = await wallet.sendTransaction({ to: call.target, data: call.data, value: call.value, gas: gasWithMargin(gas) });
  } catch (err) {
    throw asDefiError(err);
  }
  const receipt = await reader.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new MachinaError(`call to ${call.target} reverted on chain (tx ${hash})`, { code: 'TX_REVERTED', details: { hash } });
  return receipt;
}
