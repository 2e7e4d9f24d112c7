// An autonomous trading agent on the deployed lab: an ERC-8004 identity, a guarded agent account whose session
// key may only trade the lab's pool and lending market within spend limits, and a loop — observe the market,
// update the features, let the strategy decide, execute through the account (the policy holds whatever the
// strategy asks), reinvest (every size comes from the current balances). What `machina agent run` drives.
import { formatUnits, parseEther, toFunctionSelector, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { walletFor, type MachinaPublicClient, type MachinaWalletClient } from '../chain/clients.ts';
import { DEVNET_CHAIN_ID } from '../chain/devnet.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { registerAgentWithFile } from '../identity/actions/registerWithFile.ts';
import { mintLabToken, readPool, DefiRevertError } from '../defi/pool.ts';
import { createAgentAccount, setAgentKey } from '../wallet/account.ts';
import { PolicyRefusedError } from '../wallet/refusal.ts';
import type { KeyPolicyInput } from '../wallet/policy.ts';
import { bindAgentWallet } from '../wallet/signatures.ts';
import {
  actionResult,
  agentView,
  BorrowerWatch,
  executeAsAgentWithMargin,
  innerDefiError,
  observeMarket,
  planAction,
  readBreakerFraction,
  readHoldings,
  whole,
  type DefiAddresses,
} from './chainMarket.ts';
import { createStrategy, createSharedModel } from './strategies/create.ts';
import { FeatureTracker } from './strategies/features.ts';
import { STRATEGY_NAMES, type Action, type Strategy, type StrategyName } from './strategies/types.ts';

const WAD = 10n ** 18n;

/**
 * `raw` as a strategy name; an unknown one is an InvalidArgumentError on `field` listing the valid names.
 * @example
 * const name = parseStrategyName('momentum')
 */
export function parseStrategyName(raw: string, field = '--strategy'): StrategyName {
  if ((STRATEGY_NAMES as readonly string[]).includes(raw)) return raw as StrategyName;
  throw new InvalidArgumentError(field, `unknown strategy "${raw.slice(0, 40)}" (choose from ${STRATEGY_NAMES.join(', ')})`);
}

/** A new strategy instance by name (herd agents get their own shared model when none is given). */
export function strategyFor(name: StrategyName, o: { seed: number; params?: Record<string, number>; shared?: unknown }): Strategy {
  return createStrategy(name, { seed: o.seed, ...(o.params ? { params: o.params } : {}), shared: o.shared ?? (name === 'herd' ? createSharedModel({ seed: o.seed, params: o.params ?? {} }) : undefined) });
}

/** The session key's policy: the lab's tokens approved only to the pool and the market, trades paid only to the account itself. */
export function tradingPolicy(p: { defi: DefiAddresses; account: Address; perTx1: bigint; window1: bigint; perTx0: bigint; window0: bigint; windowSeconds: number }): KeyPolicyInput {
  const { defi, account } = p;
  const toSelf = [{ param: 3, op: 'eq' as const, value: account }];
  const approveOnly = [{ param: 0, op: 'inRecipients' as const, value: '0x' as Hex }];
  return {
    limits: [
      { asset: defi.token0, perTx: p.perTx0, windowCap: p.window0, windowSeconds: p.windowSeconds },
      { asset: defi.token1, perTx: p.perTx1, windowCap: p.window1, windowSeconds: p.windowSeconds },
    ],
    rules: [
      { target: defi.token0, selector: 'approve', conditions: approveOnly },
      { target: defi.token1, selector: 'approve', conditions: approveOnly },
      { target: defi.pool, selector: toFunctionSelector('swap(bool,uint256,uint256,address)'), conditions: toSelf },
      { target: defi.pool, selector: toFunctionSelector('addLiquidity(uint256,uint256,uint256,address)'), conditions: toSelf },
      { target: defi.pool, selector: toFunctionSelector('removeLiquidity(uint256,uint256,uint256,address)'), conditions: toSelf },
      { target: defi.lending, selector: toFunctionSelector('liquidate(address,uint256)') },
    ],
    recipients: [defi.pool, defi.lending],
  };
}

export type AgentSetupEvent =
  | { type: 'setup'; step: 'agent-registered'; agentId: bigint; txHash: Hex }
  | { type: 'setup'; step: 'account-created'; account: Address; txHash: Hex | null }
  | { type: 'setup'; step: 'agent-wallet-bound'; txHash: Hex }
  | { type: 'setup'; step: 'key-funded'; key: Address; amount: bigint; txHash: Hex }
  | { type: 'setup'; step: 'key-set'; key: Address; perTx: string; windowCap: string; txHash: Hex }
  | { type: 'setup'; step: 'funded'; token0: bigint; token1: bigint };

export type StepOutcome = 'hold' | 'executed' | 'tripped' | 'refused' | 'reverted' | 'skipped';

export type AgentStepEvent = {
  type: 'step';
  step: number;
  time: number;
  price: number;
  twap: number;
  feed: number;
  fee: number;
  paused: boolean;
  action: Action;
  outcome: StepOutcome;
  /** What ran (e.g. "sell 1.5 LAB") or why nothing ran / what refused it. */
  detail: string;
  reason?: string;
  txHash?: Hex;
  gasUsed?: bigint;
  value: number;
};

export type AgentSummary = {
  type: 'summary';
  agentId: bigint;
  account: Address;
  strategy: StrategyName;
  steps: number;
  trades: number;
  holds: number;
  refused: number;
  reverted: number;
  tripped: number;
  gasUsed: bigint;
  startValue: number;
  endValue: number;
  pnl: number;
  pnlPct: number;
  stopped: 'steps' | 'signal';
};

export type AgentEvent = AgentSetupEvent | ({ type: 'ready'; agentId: bigint; account: Address; key: Address; strategy: StrategyName; budget: bigint; maxTrade: bigint }) | AgentStepEvent | AgentSummary;

export type RunAgentParameters = {
  client: MachinaPublicClient;
  /** Owns the identity and the account; on the devnet it funds them (lab tokens' mint, gas for the session key). */
  owner: MachinaWalletClient;
  identityRegistry: Address;
  accountFactory: Address;
  defi: DefiAddresses;
  /** A strategy name, or a Strategy object (tests use one that misbehaves). */
  strategy: StrategyName | Strategy;
  seed?: number;
  params?: Record<string, number>;
  /** Steps to run (default: until `signal` aborts). */
  steps?: number;
  /** Pause between steps, ms (default 1000). */
  intervalMs?: number;
  /** lUSD base units the agent starts with (half in lUSD, half in LAB at the pool price); also scales its window cap. */
  budget: bigint;
  /** The key's per-transaction cap in lUSD base units (LAB: the same value at the setup price). Default: budget / 4. */
  maxTrade?: bigint;
  /** ETH sent to the session key for gas (default 0.5). */
  keyGas?: bigint;
  signal?: AbortSignal;
  onEvent?: (e: AgentEvent) => void;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Sets an agent up (identity, guarded account, session key, funds) and runs its loop until `steps` or `signal`.
 * @example
 * const summary = await runAgent({ client, owner, identityRegistry, accountFactory, defi, strategy: 'momentum', budget: 10_000n * 10n ** 18n, steps: 20 })
 */
export async function runAgent(p: RunAgentParameters): Promise<AgentSummary> {
  const emit = p.onEvent ?? (() => {});
  const { client, owner, defi } = p;
  const devnet = client.chain.id === DEVNET_CHAIN_ID;
  const name: StrategyName = typeof p.strategy === 'string' ? parseStrategyName(p.strategy) : p.strategy.name;
  if (p.budget <= 0n) throw new InvalidArgumentError('budget', 'must be greater than zero');
  const maxTrade = p.maxTrade ?? p.budget / 4n;
  if (maxTrade <= 0n) throw new InvalidArgumentError('maxTrade', 'must be greater than zero');
  const seed = p.seed ?? 1;
  const strategy = typeof p.strategy === 'string' ? strategyFor(name, { seed, params: p.params }) : p.strategy;

  // Identity: an ERC-8004 agent whose registration file says what it is.
  const reg = await registerAgentWithFile(client, owner, {
    identityRegistry: p.identityRegistry,
    file: { name: `Machina ${name} trader`, description: `Autonomous ${name} strategy trading the DeFi lab through a policy-guarded agent account`, services: [], x402Support: false },
  });
  emit({ type: 'setup', step: 'agent-registered', agentId: reg.agentId, txHash: reg.hash });
  if (p.signal?.aborted) throw new MachinaError('stopped during setup', { code: 'ABORTED' });

  // Guarded account, bound as the agent's wallet.
  const acct = await createAgentAccount(owner, { factory: p.accountFactory, agentId: reg.agentId });
  const account = acct.account;
  emit({ type: 'setup', step: 'account-created', account, txHash: acct.txHash ?? null });
  const bound = await bindAgentWallet(owner, { identityRegistry: p.identityRegistry, account, agentId: reg.agentId });
  emit({ type: 'setup', step: 'agent-wallet-bound', txHash: bound.txHash });

  // A session key that lives only in this process, with gas for its transactions.
  const keyAccount = privateKeyToAccount(generatePrivateKey());
  const keyWallet = walletFor(client, keyAccount);
  const keyGas = p.keyGas ?? parseEther('0.5');
  const gasHash = await owner.sendTransaction({ to: keyAccount.address, value: keyGas });
  await client.waitForTransactionReceipt({ hash: gasHash });
  emit({ type: 'setup', step: 'key-funded', key: keyAccount.address, amount: keyGas, txHash: gasHash });

  // Its policy: spend limits in both tokens, targets limited to the lab's pool, market and tokens.
  const pool0 = await readPool(client, { pool: defi.pool });
  if (pool0.spotPrice === 0n) throw new MachinaError('the lab pool has no liquidity yet', { code: 'NO_LIQUIDITY', field: 'pool' });
  const toLab = (usd: bigint) => (usd * WAD) / pool0.spotPrice;
  const windowCap = p.budget * 10n;
  const policy = tradingPolicy({ defi, account, perTx1: maxTrade, window1: windowCap, perTx0: toLab(maxTrade), window0: toLab(windowCap), windowSeconds: 86_400 });
  const keySet = await setAgentKey(owner, { account, key: keyAccount.address, policy });
  emit({ type: 'setup', step: 'key-set', key: keyAccount.address, perTx: `${formatUnits(maxTrade, 18)} lUSD`, windowCap: `${formatUnits(windowCap, 18)} lUSD/day`, txHash: keySet.txHash });

  // Funds: half the budget in lUSD, half in LAB, from the lab tokens' faucet on the devnet.
  const half = p.budget / 2n;
  if (devnet) {
    await mintLabToken(owner, { token: defi.token1, to: account, amount: half });
    await mintLabToken(owner, { token: defi.token0, to: account, amount: toLab(half) });
    emit({ type: 'setup', step: 'funded', token0: toLab(half), token1: half });
  }
  const h0 = await readHoldings(client, defi, account);
  if (h0.token0 === 0n && h0.token1 === 0n) {
    throw new MachinaError(`agent account ${account} holds no LAB or lUSD (the lab tokens' faucet funds it on the devnet only)`, { code: 'NO_FUNDS', field: 'budget' });
  }
  emit({ type: 'ready', agentId: reg.agentId, account, key: keyAccount.address, strategy: name, budget: p.budget, maxTrade });

  const tracker = new FeatureTracker();
  const watch = name === 'liquidator' ? new BorrowerWatch(defi.lending) : undefined;
  const breaker = await readBreakerFraction(client, { pool: defi.pool });
  const stats = { trades: 0, holds: 0, refused: 0, reverted: 0, tripped: 0, gasUsed: 0n };
  const startValue = agentView(h0, pool0).value;
  let endValue = startValue;
  let step = 0;
  const steps = p.steps ?? Number.POSITIVE_INFINITY;
  const intervalMs = p.intervalMs ?? 1000;
  while (step < steps && !p.signal?.aborted) {
    const obs = await observeMarket(client, defi, { step, tracker, watch, breaker });
    const holdings = await readHoldings(client, defi, account);
    const view = agentView(holdings, obs.pool);
    const action = strategy.decide(obs.view, view);
    const base = { type: 'step' as const, step, time: obs.view.time, price: obs.view.price, twap: obs.view.twap, feed: obs.view.feed, fee: obs.view.fee, paused: obs.view.paused, action };
    // A liquidation repays at most the key's per-transaction cap (partially, as liquidations may); swaps are the
    // strategy's size, and the policy refuses one beyond the cap.
    const planned = planAction(action, { defi, actor: account, holdings, pool: obs.pool, maxRepay: maxTrade });
    let event: AgentStepEvent;
    if (!planned.run) {
      stats.holds++;
      event = { ...base, outcome: action.kind === 'hold' ? 'hold' : 'skipped', detail: planned.why, value: view.value };
    } else {
      try {
        const r = await executeAsAgentWithMargin(keyWallet, { account, calls: planned.calls });
        const res = actionResult(defi, r.receipt);
        stats.gasUsed += res.gasUsed;
        if (res.tripped) stats.tripped++;
        else stats.trades++;
        event = {
          ...base,
          outcome: res.tripped ? 'tripped' : 'executed',
          detail: res.tripped ? `${planned.summary}: the circuit breaker stopped it and paused swaps` : planned.kind === 'swap' ? `${planned.summary} for ${whole(res.amountOut).toPrecision(6)}` : planned.summary,
          txHash: r.txHash,
          gasUsed: res.gasUsed,
          value: view.value,
        };
      } catch (err) {
        if (err instanceof PolicyRefusedError) {
          stats.refused++;
          event = { ...base, outcome: 'refused', detail: `${planned.summary}: ${err.message}`, reason: err.reason, value: view.value };
        } else {
          const e = innerDefiError(err, planned.calls);
          const onChain = e instanceof MachinaError && e.code === 'TX_REVERTED';
          if (!(e instanceof DefiRevertError) && !onChain) throw e;
          stats.reverted++;
          event = { ...base, outcome: 'reverted', detail: `${planned.summary}: ${(e as Error).message}`, reason: e instanceof DefiRevertError ? e.errorName : 'TX_REVERTED', value: view.value };
        }
      }
    }
    emit(event);
    step++;
    if (step < steps) await sleep(intervalMs, p.signal);
  }
  const [hEnd, poolEnd] = await Promise.all([readHoldings(client, defi, account), readPool(client, { pool: defi.pool })]);
  endValue = agentView(hEnd, poolEnd).value;
  const summary: AgentSummary = {
    type: 'summary',
    agentId: reg.agentId,
    account,
    strategy: name,
    steps: step,
    ...stats,
    startValue,
    endValue,
    pnl: endValue - startValue,
    pnlPct: startValue > 0 ? ((endValue - startValue) / startValue) * 100 : 0,
    stopped: p.signal?.aborted ? 'signal' : 'steps',
  };
  emit(summary);
  return summary;
}
