// A small population of strategies driven against the deployed lab contracts, the way the simulator drives its
// engine: every step one market observation, then every agent reads its holdings (its observation), decides,
// and sends a transaction when it trades. The bench divides the simulator's decisions per second by this run's.
// Agents are plain EOAs (keys derived from the seed, gas and lab tokens from the devnet's funded account 0),
// that approved the pool and the market once, so a trade is exactly one transaction.
import { encodePacked, keccak256, parseEther, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { connectChain, walletFor, type MachinaPublicClient, type MachinaWalletClient } from '../chain/clients.ts';
import { devnetAccount } from '../chain/signer.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { mintLabToken } from '../defi/pool.ts';
import { readOracle, setFeedPrice } from '../defi/oracle.ts';
import { seededRandom } from './strategies/model.ts';
import { actionResult, agentView, approveAll, BorrowerWatch, sendCallWithMargin, defiAddressesOf, observeMarket, planAction, readBreakerFraction, readHoldings, units, whole, type DefiAddresses } from './chainMarket.ts';
import { strategyFor } from './runtime.ts';
import { createSharedModel } from './strategies/create.ts';
import { FeatureTracker } from './strategies/features.ts';
import { STRATEGY_NAMES, type Strategy, type StrategyName } from './strategies/types.ts';

export type DevnetRunParameters = {
  /** The chain: an RPC URL or a connected client (one of the two). */
  rpcUrl?: string;
  client?: MachinaPublicClient;
  /** The lab's addresses, or a deployment's addresses by contract name. */
  addresses: DefiAddresses | Record<string, Address>;
  /** How many agents of each strategy. */
  strategies: Partial<Record<StrategyName, number>>;
  steps: number;
  seed?: number;
  /** Pays the agents' gas and mints their lab tokens (default: devnet account 0). */
  funder?: MachinaWalletClient;
  /** The oracle's feeder, who pushes the feed's random walk (default: devnet account 0, the devnet's feeder). */
  feeder?: MachinaWalletClient;
  /** What each agent starts with, base units (default 100 LAB and 10,000 lUSD). */
  funds?: { token0: bigint; token1: bigint };
  /**
   * Per-step volatility of the external feed's seeded random walk, which the funder (the oracle's feeder on the
   * devnet) pushes before each step so that arbitrageurs and the rest have something to trade on (default 0.01;
   * 0 leaves the feed alone).
   */
  feedVol?: number;
};

export type DevnetRunResult = {
  agents: number;
  steps: number;
  /** Strategy decisions made (agents x steps). */
  decisions: number;
  /** Decisions that sent a transaction that was mined (the breaker's stops included). */
  trades: number;
  reverted: number;
  tripped: number;
  gasUsed: bigint;
  /** The decision loop's wall time (setup excluded). */
  wallMs: number;
  setupMs: number;
  finalPrice: number;
};

function isDefi(a: DevnetRunParameters['addresses']): a is DefiAddresses {
  return typeof (a as DefiAddresses).pool === 'string' && typeof (a as DefiAddresses).token0 === 'string';
}

/**
 * Runs `strategies` (counts) for `steps` steps against the deployed lab; returns decisions, trades and wall time.
 * @example
 * const { decisions, wallMs } = await runOnDevnet({ rpcUrl, addresses: deployment, strategies: { momentum: 4, herd: 4 }, steps: 50, seed: 1 })
 */
export async function runOnDevnet(p: DevnetRunParameters): Promise<DevnetRunResult> {
  if (!Number.isInteger(p.steps) || p.steps < 1) throw new InvalidArgumentError('steps', `must be a positive integer (got ${String(p.steps)})`);
  const counts = Object.entries(p.strategies) as Array<[StrategyName, number]>;
  for (const [name, n] of counts) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`strategies.${name}`, `unknown strategy (choose from ${STRATEGY_NAMES.join(', ')})`);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`strategies.${name}`, `must be a count 0 or more (got ${String(n)})`);
  }
  if (!p.client && !p.rpcUrl) throw new InvalidArgumentError('rpcUrl', 'give rpcUrl or client');
  const client = p.client ?? (await connectChain(p.rpcUrl!));
  const defi = isDefi(p.addresses) ? p.addresses : defiAddressesOf(p.addresses);
  const seed = p.seed ?? 1;
  const funder = p.funder ?? walletFor(client, devnetAccount(0));
  const feeder = p.feeder ?? (p.funder ? walletFor(client, devnetAccount(0)) : funder);
  const funds = p.funds ?? { token0: 100n * 10n ** 18n, token1: 10_000n * 10n ** 18n };
  const t0 = performance.now();

  // The population: seeded keys, one strategy each; herd agents share one model.
  const shared = createSharedModel({ seed: p.seed ?? 1 });
  const agents: Array<{ wallet: MachinaWalletClient; address: Address; strategy: Strategy }> = [];
  for (const [name, n] of counts) {
    for (let i = 0; i < n; i++) {
      const index = agents.length;
      const key = keccak256(encodePacked(['string', 'uint256', 'uint256'], ['machina-devnet-run', BigInt(seed), BigInt(index)]));
      const account = privateKeyToAccount(key);
      agents.push({ wallet: walletFor(client, account), address: account.address, strategy: strategyFor(name, { seed: seed * 1_000 + index, shared: name === 'herd' ? shared : undefined }) });
    }
  }
  if (agents.length === 0) throw new InvalidArgumentError('strategies', 'must hold at least one agent');

  // Gas and lab tokens from the funder, then each agent approves the pool and the market once (in parallel).
  for (const a of agents) {
    const hash = await funder.sendTransaction({ to: a.address, value: parseEther('1') });
    await client.waitForTransactionReceipt({ hash });
    await mintLabToken(funder, { token: defi.token0, to: a.address, amount: funds.token0 });
    await mintLabToken(funder, { token: defi.token1, to: a.address, amount: funds.token1 });
  }
  await Promise.all(agents.map((a) => approveAll(a.wallet, defi)));
  const breaker = await readBreakerFraction(client, { pool: defi.pool });
  const tracker = new FeatureTracker();
  const watch = agents.some((a) => a.strategy.name === 'liquidator') ? new BorrowerWatch(defi.lending) : undefined;
  const feedVol = p.feedVol ?? 0.01;
  const rnd = seededRandom(seed ^ 0x5eed);
  let feed = whole((await readOracle(client, { oracle: defi.oracle })).feedPrice) || 100;
  const setupMs = performance.now() - t0;

  let decisions = 0;
  let trades = 0;
  let reverted = 0;
  let tripped = 0;
  let gasUsed = 0n;
  let finalPrice = 0;
  const t1 = performance.now();
  for (let step = 0; step < p.steps; step++) {
    if (feedVol > 0) {
      // Box-Muller from the seeded source: one normal draw per step.
      const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      feed *= Math.exp(feedVol * z);
      await setFeedPrice(feeder, { oracle: defi.oracle, price: units(feed) });
    }
    const obs = await observeMarket(client, defi, { step, tracker, watch, breaker });
    finalPrice = obs.view.price;
    for (const a of agents) {
      const holdings = await readHoldings(client, defi, a.address);
      const action = a.strategy.decide(obs.view, agentView(holdings, obs.pool));
      decisions++;
      const planned = planAction(action, { defi, actor: a.address, holdings, pool: obs.pool, approvals: false, slippageBps: 500 });
      if (!planned.run) continue;
      try {
        for (const call of planned.calls) {
          const receipt = await sendCallWithMargin(a.wallet, call);
          gasUsed += receipt.gasUsed;
          if (actionResult(defi, receipt).tripped) tripped++;
        }
        trades++;
      } catch {
        // A trade the chain refuses (slippage, paused swaps, a healthy position) is a decision that did not trade.
        reverted++;
      }
    }
  }
  const wallMs = performance.now() - t1;
  return { agents: agents.length, steps: p.steps, decisions, trades, reverted, tripped, gasUsed, wallMs, setupMs, finalPrice };
}
