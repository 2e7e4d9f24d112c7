// `machina agent run` on a devnet with the lab deployed: a momentum agent trades through its guarded agent
// account (its swaps are on chain, sent by the account), the account's policy refuses what a strategy asks beyond
// the key's spend limit (reported, the run goes on), a bad --strategy is a clear error; and runOnDevnet drives a
// small population against the same contracts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEventLogs, type Address, type Hex } from 'viem';
import { defiAddressesOf, type DefiAddresses } from '../../src/agents/chainMarket.ts';
import { runOnDevnet } from '../../src/agents/devnetRun.ts';
import { runAgent, type AgentEvent } from '../../src/agents/runtime.ts';
import type { Strategy } from '../../src/agents/strategies/types.ts';
import { adaptivePoolAbi } from '../../src/chain/artifacts/index.ts';
import { getAgentCount } from '../../src/identity/actions/agents.ts';
import { predictAgentAccount } from '../../src/wallet/account.ts';
import { balanceOf, mintLabToken, readPool, swap } from '../../src/defi/pool.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { runCliInHost, startCliHost, stopCliHost } from '../helpers/cli.ts';

const WAD = 10n ** 18n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('machina agent run', () => {
  let chain: TestChain;
  let defi: DefiAddresses;

  before(async () => {
    startCliHost();
    chain = await startTestChain();
    defi = defiAddressesOf(Object.fromEntries(Object.entries(chain.deployment.contracts).map(([n, c]) => [n, c.address])));
    // The price driver (account 2) holds plenty of both tokens.
    const driver = chain.wallet(2);
    await mintLabToken(driver, { token: defi.token0, to: driver.account.address, amount: 5_000n * WAD });
    await mintLabToken(driver, { token: defi.token1, to: driver.account.address, amount: 500_000n * WAD });
  });
  after(async () => {
    stopCliHost();
    await chain?.stop();
  });

  /**
   * Moves the pool's price twice by about `pct`% once the next agent's account is funded (so the moves land
   * while its loop runs): the trend a momentum agent follows. Two 3% moves stay inside the breaker's 10% band.
   */
  async function drivePrice(up: boolean, pct = 3): Promise<Address> {
    const identityRegistry = chain.address('IdentityRegistry');
    // The CLI signs as devnet account 0 and registers the next agent id; its account's address is known up front.
    const agentId = await getAgentCount(chain.client, { identityRegistry });
    const account = await predictAgentAccount(chain.client, { factory: chain.address('AgentAccountFactory'), owner: chain.wallet(0).account.address, agentId });
    for (let i = 0; i < 600 && (await balanceOf(chain.client, { token: defi.token0, owner: account })) === 0n; i++) await sleep(50);
    const driver = chain.wallet(2);
    for (const wait of [300, 900]) {
      await sleep(wait);
      const s = await readPool(chain.client, { pool: defi.pool });
      // Constant product: moving the price by f takes about reserve * (sqrt(1 + f) - 1) of the input token.
      const grow = BigInt(Math.round((Math.sqrt(1 + pct / 100) - 1) * 1e6));
      const amountIn = up ? (s.reserve1 * grow) / 1_000_000n : (s.reserve0 * grow) / 1_000_000n;
      await swap(driver, { pool: defi.pool, zeroForOne: !up, amountIn, minAmountOut: 0n });
    }
    return account;
  }

  const lines = (stdout: string): AgentEvent[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as AgentEvent);

  it('a momentum agent follows a rise: its agent account buys LAB in the pool, on chain', async () => {
    const [r, account] = await Promise.all([
      runCliInHost(['agent', 'run', '--strategy', 'momentum', '--steps', '12', '--interval', '200', '--json'], chain.env, { timeoutMs: 60_000 }),
      drivePrice(true),
    ]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    const events = lines(r.stdout);
    const ready = events.find((e) => e.type === 'ready');
    assert.ok(ready && ready.type === 'ready');
    assert.equal(ready.account, account);
    const steps = events.filter((e) => e.type === 'step');
    assert.equal(steps.length, 12);
    const trades = steps.filter((e) => e.type === 'step' && e.outcome === 'executed');
    assert.ok(trades.length >= 1, `no trade in:\n${r.stdout}`);
    for (const t of trades) {
      assert.ok(t.type === 'step' && t.txHash);
      assert.equal(t.action.kind, 'swap');
      const receipt = await chain.client.getTransactionReceipt({ hash: t.txHash as Hex });
      const swaps = parseEventLogs({ abi: adaptivePoolAbi, logs: receipt.logs, eventName: 'Swap' }).filter((l) => l.address.toLowerCase() === defi.pool.toLowerCase());
      assert.equal(swaps.length, 1);
      assert.equal(swaps[0]!.args.sender, account, 'the agent account itself swapped');
      assert.equal(swaps[0]!.args.to, account, 'and was paid');
      assert.equal(swaps[0]!.args.zeroForOne, false, 'buying LAB after a rise');
    }
    const summary = events.at(-1)!;
    assert.ok(summary.type === 'summary');
    assert.equal(summary.trades, trades.length);
    assert.equal(summary.stopped, 'steps');
    assert.equal(typeof summary.pnl, 'number');
  });

  it("reports a trade beyond the key's per-transaction cap as refused by the policy and keeps running", async () => {
    const [r] = await Promise.all([
      runCliInHost(['agent', 'run', '--strategy', 'momentum', '--steps', '12', '--interval', '200', '--max-trade', '1', '--json'], chain.env, { timeoutMs: 60_000 }),
      drivePrice(false),
    ]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    const events = lines(r.stdout);
    const refused = events.filter((e) => e.type === 'step' && e.outcome === 'refused');
    assert.ok(refused.length >= 1, `nothing refused in:\n${r.stdout}`);
    for (const e of refused) {
      assert.ok(e.type === 'step');
      assert.equal(e.reason, 'PerTxCapExceeded');
      assert.match(e.detail, /sell .* LAB/);
      assert.equal(e.txHash, undefined, 'a refused action sends nothing');
    }
    const summary = events.at(-1)!;
    assert.ok(summary.type === 'summary');
    assert.equal(summary.refused, refused.length);
    assert.equal(summary.trades, 0);
    assert.equal(summary.steps, 12);
  });

  it('holds the policy against a strategy that misbehaves: dumping everything, every step', async () => {
    const greedy: Strategy = { name: 'momentum', decide: (_m, a) => ({ kind: 'swap', zeroForOne: true, amountIn: a.token0 * 1_000 }) };
    const events: AgentEvent[] = [];
    const summary = await runAgent({
      client: chain.client,
      owner: chain.wallet(3),
      identityRegistry: chain.address('IdentityRegistry'),
      accountFactory: chain.address('AgentAccountFactory'),
      defi,
      strategy: greedy,
      steps: 3,
      intervalMs: 0,
      budget: 10_000n * WAD,
      onEvent: (e) => events.push(e),
    });
    // Its whole LAB (5,000 lUSD worth) is twice the key's 2,500 lUSD per-transaction cap.
    assert.equal(summary.refused, 3);
    assert.equal(summary.trades, 0);
    const steps = events.filter((e) => e.type === 'step');
    assert.ok(steps.every((e) => e.type === 'step' && e.outcome === 'refused' && e.reason === 'PerTxCapExceeded' && /per-transaction|per transaction|cap/i.test(e.detail)), JSON.stringify(steps, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const funded = events.find((e) => e.type === 'setup' && e.step === 'funded');
    assert.ok(funded && funded.type === 'setup' && funded.step === 'funded');
    assert.equal(await balanceOf(chain.client, { token: defi.token0, owner: summary.account }), funded.token0, 'nothing left the account');
  });

  it('names --strategy and the valid strategies when the name is unknown', async () => {
    const r = await runCliInHost(['agent', 'run', '--strategy', 'yolo', '--steps', '1'], chain.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--strategy: unknown strategy "yolo" \(choose from momentum, mean-reversion, ml, herd, market-maker, arbitrageur, liquidator\)/);
  });

  it('runOnDevnet drives a small population against the deployed lab: a read per decision, a transaction per trade', async () => {
    const before = await readPool(chain.client, { pool: defi.pool });
    const r = await runOnDevnet({ client: chain.client, addresses: defi, strategies: { momentum: 2, 'mean-reversion': 2, herd: 2, arbitrageur: 1 }, steps: 6, seed: 7, funder: chain.wallet(4) });
    assert.equal(r.agents, 7);
    assert.equal(r.decisions, 42);
    assert.ok(r.trades >= 1, JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    assert.ok(r.wallMs > 0 && r.setupMs > 0);
    const after_ = await readPool(chain.client, { pool: defi.pool });
    assert.notEqual(after_.reserve0, before.reserve0, 'the trades moved the pool');
  });

  // Last: it leaves the pool paused by the breaker.
  it("reports a swap the pool refuses inside the account's batch (away from the TWAP while the breaker pauses) in the pool's own words", async () => {
    const driver = chain.wallet(2);
    // A 30% move against the TWAP: the breaker stops the swap and pauses swaps for the cooldown.
    const s = await readPool(chain.client, { pool: defi.pool });
    const tripped = await swap(driver, { pool: defi.pool, zeroForOne: false, amountIn: (s.reserve1 * 15n) / 100n, minAmountOut: 0n });
    assert.equal(tripped.tripped, true);
    // During the pause only swaps toward the TWAP execute: this agent trades away from it, blind to the pause.
    const p = await readPool(chain.client, { pool: defi.pool });
    const away = p.spotPrice >= p.twapPrice ? { zeroForOne: false, amountIn: 10 } : { zeroForOne: true, amountIn: 0.1 };
    const blind: Strategy = { name: 'momentum', decide: () => ({ kind: 'swap', ...away }) };
    const events: AgentEvent[] = [];
    const summary = await runAgent({
      client: chain.client,
      owner: chain.wallet(3),
      identityRegistry: chain.address('IdentityRegistry'),
      accountFactory: chain.address('AgentAccountFactory'),
      defi,
      strategy: blind,
      steps: 1,
      intervalMs: 0,
      budget: 10_000n * WAD,
      onEvent: (e) => events.push(e),
    });
    assert.equal(summary.reverted, 1);
    const step = events.find((e) => e.type === 'step');
    assert.ok(step && step.type === 'step');
    assert.equal(step.outcome, 'reverted');
    assert.equal(step.reason, 'SwapsPaused');
    assert.match(step.detail, /swap reverted: the circuit breaker paused swaps until .* \(SwapsPaused\)/);
  });
});
