// The DeFi lab on a real devnet against its bigint mirrors, side by side: the AdaptivePool (src/defi/poolMath.ts), the
// LabOracle (src/defi/oracleMath.ts) and the LendingMarket (src/defi/lendingMath.ts) driven by one seeded random
// sequence of swaps, liquidity moves, feed pushes, source switches, supplies, withdrawals, collateral moves, borrows,
// repayments, liquidations (bad debt included), curve and fee moves and time jumps; the breaker trips, refuses swaps
// away from the TWAP during its pauses and lets swaps toward it execute. After every step the whole state is
// compared to the wei: the pool's 13 fields, the market's state, curve bounds and reserve, every account's position
// and liquidatability, the borrow rate, and the oracle's price and feed; a call reverts on both sides or neither, with
// the same custom error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, getAddress, toHex, type Abi, type Account, type Address, type Hex } from 'viem';
import {
  adaptivePoolAbi,
  adaptivePoolBytecode,
  labOracleAbi,
  labOracleBytecode,
  labTokenAbi,
  labTokenBytecode,
  lendingMarketAbi,
  lendingMarketBytecode,
} from '../../src/chain/artifacts/index.ts';
import { connectChain, walletFor, type MachinaPublicClient } from '../../src/chain/clients.ts';
import { startDevnet, type Devnet } from '../../src/chain/devnet.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import {
  borrow,
  borrowRate,
  createLending,
  debtOf,
  isLiquidatable,
  liquidate,
  MAX,
  maxDebtOf,
  positionOf,
  repay,
  setCurve,
  setCurveBounds,
  setReserve,
  supply,
  supplyCollateral,
  withdraw,
  withdrawCollateral,
  type Curve,
  type CurveBounds,
  type LendingState,
} from '../../src/defi/lendingMath.ts';
import { createOracle, readOracle, setFeedPrice, setSource, type OracleSource } from '../../src/defi/oracleMath.ts';
import {
  addLiquidity,
  createPool,
  price as spotPrice,
  removeLiquidity,
  setFeeParams,
  swap,
  type PoolBounds,
  type PoolBreaker,
} from '../../src/defi/poolMath.ts';

const STEPS = 1000;
const SEED = 0x5eed_0009;
const E18 = 10n ** 18n;
const GAS = 1_000_000n;

/** xorshift32: a small seeded generator, so a failing step can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    big: (max: bigint) => (max * BigInt(Math.floor(next() * 1e9))) / 1_000_000_000n,
    /** `v` scaled by a factor drawn uniformly from [lo, hi). */
    scale: (v: bigint, lo: number, hi: number) => (v * BigInt(Math.floor((lo + next() * (hi - lo)) * 1e9))) / 1_000_000_000n,
  };
}

/** A failed call's custom error name (the market bubbles up the oracle's), else the error's text. */
function revertName(err: unknown): string {
  const revert = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
  return revert instanceof ContractFunctionRevertedError ? (revert.data?.errorName ?? 'unknown') : String(err);
}

const errorsOf = (abi: Abi) => abi.filter((x) => x.type === 'error');
const SOURCE: Record<OracleSource, number> = { feed: 0, pool: 1 };

describe('DeFi lab replay: pool, oracle and lending market agree with their mirrors to the wei', () => {
  let devnet: Devnet;
  let client: MachinaPublicClient;
  const owner = devnetAccount(0);
  const actors: Account[] = [1, 2, 3, 4].map((i) => devnetAccount(i));
  let t0: Address;
  let t1: Address;
  let pool: Address;
  let oracle: Address;
  let market: Address;

  const poolBounds: PoolBounds = { minBaseFee: 500n, maxBaseFee: 10_000n, maxK: 20_000_000n, maxFee: 60_000n };
  const breaker: PoolBreaker = { threshold: 50_000n, window: 60n, cooldown: 10n };
  const baseFee = 3_000n;
  const k = 5_000_000n;
  const lltv = 8n * 10n ** 17n;
  const bonus = 5n * 10n ** 16n;
  const curve: Curve = { baseRate: 2n * 10n ** 16n, slope1: 10n ** 17n, slope2: E18, kink: 8n * 10n ** 17n };
  const curveBounds: CurveBounds = { maxBaseRate: 10n ** 17n, maxSlope1: 5n * 10n ** 17n, maxSlope2: 3n * E18, minKink: 5n * 10n ** 17n, maxKink: 95n * 10n ** 16n };

  // the market reverts with the oracle's errors too
  const marketAbi = [...lendingMarketAbi, ...errorsOf(labOracleAbi as Abi)] as Abi;

  /**
   * Sends one call from an anvil dev account (anvil signs) with a fixed gas limit (no estimate, so a revert is mined
   * too, in a block of its own) and returns its receipt once mined: one round trip (EIP-7966's sync send).
   */
  async function send(from: Account, to: Address, data: Hex) {
    const rc = (await client.request({
      method: 'eth_sendTransactionSync' as never,
      params: [{ from: from.address, to, data, gas: toHex(GAS) }] as never,
    })) as { status: Hex; blockNumber: Hex };
    return { status: rc.status === '0x1' ? 'success' : 'reverted', blockNumber: BigInt(rc.blockNumber) };
  }

  async function deploy(abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
    const w = walletFor(client, owner);
    const r = await client.waitForTransactionReceipt({ hash: await w.deployContract({ abi, bytecode, args } as never), pollingInterval: 5 });
    assert.equal(r.status, 'success');
    return getAddress(r.contractAddress!);
  }

  before(async () => {
    devnet = await startDevnet({ port: 0 });
    client = await connectChain(devnet.rpcUrl);
    t0 = await deploy(labTokenAbi, labTokenBytecode, ['Collateral', 'COL']);
    t1 = await deploy(labTokenAbi, labTokenBytecode, ['Debt', 'DEBT']);
    pool = await deploy(adaptivePoolAbi, adaptivePoolBytecode, [
      t0, t1, owner.address, owner.address, poolBounds, Number(baseFee), k,
      { threshold: Number(breaker.threshold), window: Number(breaker.window), cooldown: Number(breaker.cooldown) },
    ]);
    oracle = await deploy(labOracleAbi, labOracleBytecode, [pool, owner.address, owner.address, SOURCE.feed]);
    market = await deploy(lendingMarketAbi, lendingMarketBytecode, [t0, t1, oracle, owner.address, owner.address, lltv, bonus, curve, curveBounds]);
    // one sender's transactions in order (anvil assigns the nonces), different senders side by side
    const calls = new Map<Account, [Address, Hex][]>([[owner, []], ...actors.map((a) => [a, []] as [Account, [Address, Hex][]])]);
    for (const a of actors) {
      for (const t of [t0, t1]) {
        calls.get(owner)!.push([t, encodeFunctionData({ abi: labTokenAbi, functionName: 'mint', args: [a.address, 10n ** 30n] })]);
        for (const spender of [pool, market]) calls.get(a)!.push([t, encodeFunctionData({ abi: labTokenAbi, functionName: 'approve', args: [spender, MAX] })]);
      }
    }
    await Promise.all(
      [...calls].map(async ([from, list]) => {
        for (const [to, data] of list) assert.equal((await send(from, to, data)).status, 'success');
      }),
    );
    // every block one second after the last, so a step needs no timestamp call; time jumps set the next one
    await client.request({ method: 'anvil_setBlockTimestampInterval' as never, params: [1] as never });
  });

  after(async () => {
    await devnet?.stop();
  });

  it(`replays ${STEPS} seeded random steps with identical state after each`, { timeout: 180_000 }, async (t) => {
    const r = rng(SEED);
    const deployed = await client.readContract({ address: market, abi: lendingMarketAbi, functionName: 'state' });
    const lending: LendingState = createLending({ lltv, bonus, curve, bounds: curveBounds, owner: owner.address, now: deployed.lastAccrual });
    const mirror = createPool({ bounds: poolBounds, breaker, baseFee, k });
    const feed = createOracle({ source: 'feed', owner: owner.address });
    const accounts = [owner, ...actors].map((a) => a.address);
    let now = (await client.getBlock()).timestamp;
    let jumped = true;
    let block = await client.getBlockNumber();
    const counts: Record<string, number> = {};
    const count = (kind: string) => {
      counts[kind] = (counts[kind] ?? 0) + 1;
    };
    const reverts: Record<string, number> = {};

    /** The oracle's price as the mirror sees it, or null when unavailable. */
    const oracleNow = () => {
      try {
        return readOracle(feed, mirror);
      } catch {
        return null;
      }
    };
    const priceFn = () => readOracle(feed, mirror);

    const read = (address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
      client.readContract({ address, abi, functionName, args } as never).then(
        (v: unknown) => v,
        (err: unknown) => ({ reverted: revertName(err) }),
      );
    const all = <T extends Record<string, Promise<unknown>>>(o: T) =>
      Promise.all(Object.values(o)).then((v) => Object.fromEntries(Object.keys(o).map((key, i) => [key, v[i]])) as { [K in keyof T]: any });

    /**
     * Every read the comparison needs, sent at once (the transport batches them into one request): the state after
     * every step, and with `full` the market's configuration, views and the oracle's feed too (after governance and
     * oracle steps, and every few steps; they cost anvil a dozen calls more).
     */
    function readState(full: boolean) {
      return all({
        pool: read(pool, adaptivePoolAbi as Abi, 'state'),
        market: read(market, marketAbi, 'state'),
        price: read(oracle, labOracleAbi as Abi, 'price'),
        positions: Promise.all(accounts.map((a) => read(market, marketAbi, 'position', [a]))),
        ...(full
          ? {
              bounds: read(market, marketAbi, 'curveBounds'),
              reserveFactor: read(market, marketAbi, 'reserveFactor'),
              treasury: read(market, marketAbi, 'treasury'),
              rate: read(market, marketAbi, 'borrowRate'),
              feed: read(oracle, labOracleAbi as Abi, 'feed'),
              source: read(oracle, labOracleAbi as Abi, 'source'),
              liquidatable: Promise.all(accounts.map((a) => read(market, marketAbi, 'isLiquidatable', [a]))),
            }
          : {}),
      });
    }

    async function assertSame(label: string) {
      checkState(await readState(true), label);
    }

    function checkState(chain: Awaited<ReturnType<typeof readState>>, label: string) {
      const p = chain.pool as Record<string, bigint | number>;
      assert.deepEqual(
        {
          reserve0: p.reserve0, reserve1: p.reserve1, totalShares: p.totalShares, fee: BigInt(p.fee!), baseFee: BigInt(p.baseFee!),
          k: p.k, variance: p.variance, priceCumulative: p.priceCumulative, lastTimestamp: p.lastTimestamp,
          obsCumulative: p.obsCumulative, obsTimestamp: p.obsTimestamp, twapPrice: p.twapPrice, pausedUntil: p.pausedUntil,
        },
        {
          reserve0: mirror.reserve0, reserve1: mirror.reserve1, totalShares: mirror.totalShares, fee: mirror.fee, baseFee: mirror.baseFee,
          k: mirror.k, variance: mirror.variance, priceCumulative: mirror.priceCumulative, lastTimestamp: mirror.lastTimestamp,
          obsCumulative: mirror.obsCumulative, obsTimestamp: mirror.obsTimestamp, twapPrice: mirror.twapPrice, pausedUntil: mirror.pausedUntil,
        },
        `pool state differs after ${label}`,
      );
      const L = lending;
      assert.deepEqual(
        chain.market,
        {
          totalSupplyAssets: L.totalSupplyAssets, totalSupplyShares: L.totalSupplyShares, totalBorrowAssets: L.totalBorrowAssets,
          totalBorrowShares: L.totalBorrowShares, totalCollateral: L.totalCollateral, badDebt: L.badDebt, lastAccrual: L.lastAccrual,
          curve: L.curve,
        },
        `market state differs after ${label}`,
      );
      const mp = oracleNow();
      assert.deepEqual(chain.price, mp ?? { reverted: 'OracleUnavailable' }, `oracle price differs after ${label}`);
      accounts.forEach((a, i) => assert.deepEqual(chain.positions[i], positionOf(L, a), `position of ${a} differs after ${label}`));
      if (!('bounds' in chain)) return;
      assert.deepEqual(chain.bounds, L.bounds, `curve bounds differ after ${label}`);
      assert.deepEqual([chain.reserveFactor, (chain.treasury as string).toLowerCase()], [L.reserveFactor, L.treasury], `reserve differs after ${label}`);
      assert.equal(chain.rate, borrowRate(L), `borrow rate differs after ${label}`);
      assert.deepEqual([chain.feed, chain.source], [[feed.feedPrice, feed.feedUpdatedAt], SOURCE[feed.source]], `oracle feed differs after ${label}`);
      accounts.forEach((a, i) => {
        const expected = positionOf(L, a).borrowShares === 0n ? false : mp === null ? { reverted: 'OracleUnavailable' } : isLiquidatable(L, a, mp);
        assert.deepEqual(chain.liquidatable[i], expected, `isLiquidatable(${a}) differs after ${label}`);
      });
    }

    /**
     * Sends one call in a block at `now + 1` and applies `model` to the mirrors; both succeed or both revert with the
     * same custom error.
     */
    async function step(label: string, from: Account, to: Address, abi: Abi, functionName: string, args: readonly unknown[], model: () => unknown) {
      now += 1n;
      let mirrorError: string | undefined;
      let result: unknown;
      try {
        result = model();
      } catch (err) {
        if (!(err instanceof Error && 'reason' in err && typeof err.reason === 'string')) throw err;
        mirrorError = err.reason;
      }
      if (jumped) {
        await client.request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(now)] as never });
        jumped = false;
      }
      const rc = await send(from, to, encodeFunctionData({ abi, functionName, args } as never));
      block += 1n;
      const full = to === oracle || functionName.startsWith('set') || block % 8n === 0n;
      // the state and, for an expected revert, the same call at the reverted block's state and timestamp (which
      // names the contract's error), in one batch
      const [reason, values] = await Promise.all([
        mirrorError
          ? client.simulateContract({ address: to, abi, functionName, args, account: from, blockNumber: block } as never).then(() => 'none', revertName)
          : undefined,
        readState(full),
      ]);
      assert.equal(rc.blockNumber, block, `${label}: mined in its own block`);
      assert.equal(rc.status, mirrorError ? 'reverted' : 'success', `${label}: chain ${rc.status}, mirror ${mirrorError ?? 'ok'}`);
      if (mirrorError) {
        assert.equal(reason, mirrorError, `${label}: revert reason`);
        reverts[mirrorError] = (reverts[mirrorError] ?? 0) + 1;
      }
      checkState(values, label);
      return mirrorError ? undefined : result;
    }

    const pick = () => actors[r.int(actors.length)]!;
    const poolStep = (label: string, from: Account, fn: string, args: readonly unknown[], model: () => unknown) =>
      step(label, from, pool, adaptivePoolAbi as Abi, fn, args, model);
    const marketStep = async (label: string, from: Account, fn: string, args: readonly unknown[], model: () => unknown) => {
      // counts the accruals that minted reserve shares to the treasury (other than its own supplies)
      const treasury = lending.treasury;
      const before = positionOf(lending, treasury).supplyShares;
      const result = await step(label, from, market, marketAbi, fn, args, model);
      if (fn !== 'supply' && positionOf(lending, treasury).supplyShares > before) count('reserveFee');
      return result;
    };
    const oracleStep = (label: string, from: Account, fn: string, args: readonly unknown[], model: () => unknown) =>
      step(label, from, oracle, labOracleAbi as Abi, fn, args, model);

    await assertSame('deployment');
    // lending before any price: the borrow reads the oracle, which has none yet
    const a0 = actors[0]!;
    await marketStep('supply before prices', a0, 'supply', [10n ** 22n, a0.address], () =>
      supply(lending, { from: a0.address, assets: 10n ** 22n, onBehalf: a0.address, now }));
    await marketStep('collateral before prices', a0, 'supplyCollateral', [10n ** 21n, a0.address], () =>
      supplyCollateral(lending, { from: a0.address, assets: 10n ** 21n, onBehalf: a0.address, now }));
    await marketStep('borrow before prices', a0, 'borrow', [10n ** 18n, a0.address], () =>
      borrow(lending, { from: a0.address, assets: 10n ** 18n, to: a0.address, price: priceFn, now }));
    assert.equal(reverts.OracleUnavailable, 1);
    // seed the pool at price 2.0; the fundamental price that the feeder pushes starts there too
    await poolStep('seed', a0, 'addLiquidity', [5n * 10n ** 21n, 10n ** 22n, 0n, a0.address], () =>
      addLiquidity(mirror, { amount0Max: 5n * 10n ** 21n, amount1Max: 10n ** 22n, to: a0.address, now }));
    let fundamental = 2n * E18;

    for (let i = 0; i < STEPS; i++) {
      // the source switches mid-run: feed, then the pool's TWAP, then the feed again, then the pool
      if (i === 300 || i === 600 || i === 800) {
        const source: OracleSource = feed.source === 'feed' ? 'pool' : 'feed';
        await oracleStep(`step ${i} setSource ${source}`, owner, 'setSource', [SOURCE[source]], () => setSource(feed, { source, from: owner.address }));
        count('source');
        continue;
      }
      // liquidator bots: an unhealthy position draws a liquidation more often than the base rate
      const p = oracleNow();
      const unhealthy = p === null ? [] : actors.filter((a) => isLiquidatable(lending, a.address, p));
      const roll = unhealthy.length > 0 && r.next() < 0.4 ? 0.8 : r.next();
      const w = pick();
      const who = w.address;
      const label = `step ${i}`;
      if (roll < 0.22) {
        // swaps: most arbitrage the pool toward the fundamental price, so the TWAP follows the feed's crashes; during
        // a pause (the block after this one is before its end), toward the TWAP reference, the direction that executes
        const spot = mirror.reserve0 === 0n ? fundamental : spotPrice(mirror.reserve0, mirror.reserve1);
        const target = now + 1n < mirror.pausedUntil ? mirror.twapPrice : fundamental;
        const zeroForOne = r.next() < 0.6 ? spot > target : r.next() < 0.5;
        const reserve = zeroForOne ? mirror.reserve0 : mirror.reserve1;
        const amountIn = r.next() < 0.08 ? r.big(reserve / 8n) + 1n : r.big(reserve / 80n) + 1n;
        // `now` is the call's block time once the step runs the model
        let paused = false;
        const res = (await poolStep(`${label} swap ${zeroForOne ? '0→1' : '1→0'} ${amountIn}`, w, 'swap', [zeroForOne, amountIn, 0n, who], () => {
          paused = now < mirror.pausedUntil;
          return swap(mirror, { zeroForOne, amountIn, now });
        })) as { tripped: boolean } | undefined;
        count(res === undefined ? 'swapReverted' : res.tripped ? 'swapTripped' : 'swap');
        // a pause refuses only swaps away from the TWAP: the others execute
        if (res !== undefined && paused) count('swapWhilePaused');
      } else if (roll < 0.25) {
        const a0 = r.big(10n ** 21n) + 1n;
        const a1 = r.big(2n * 10n ** 21n) + 1n;
        await poolStep(`${label} add ${a0}/${a1}`, w, 'addLiquidity', [a0, a1, 0n, who], () =>
          addLiquidity(mirror, { amount0Max: a0, amount1Max: a1, to: who, now }));
        count('add');
      } else if (roll < 0.28) {
        const bal = mirror.shares.get(who.toLowerCase()) ?? 0n;
        const shares = r.next() < 0.1 ? bal + 1n : r.big(bal / 2n) + 1n;
        await poolStep(`${label} remove ${shares}`, w, 'removeLiquidity', [shares, 0n, 0n, who], () =>
          removeLiquidity(mirror, { shares, from: who, now }));
        count('remove');
      } else if (roll < 0.29) {
        const bf = BigInt(200 + r.int(11_000));
        const kk = BigInt(r.int(25_000_000));
        await poolStep(`${label} setFeeParams ${bf}/${kk}`, owner, 'setFeeParams', [Number(bf), kk], () => setFeeParams(mirror, bf, kk));
        count('poolParams');
      } else if (roll < 0.40) {
        // the fundamental walks, crashes now and then, and recovers
        const shock = r.next();
        fundamental = shock < 0.25 ? r.scale(fundamental, 0.55, 0.85) : shock < 0.4 ? r.scale(fundamental, 1.1, 1.35) : r.scale(fundamental, 0.95, 1.04);
        if (fundamental < E18 / 4n) fundamental = E18 / 4n;
        if (fundamental > 8n * E18) fundamental = 8n * E18;
        const bad = r.next();
        const [from, value] = bad < 0.06 ? [w, fundamental] : bad < 0.12 ? [owner, 0n] : [owner, fundamental];
        await oracleStep(`${label} feed ${value} by ${from.address}`, from, 'setFeedPrice', [value], () =>
          setFeedPrice(feed, { price: value, now, from: from.address }));
        count('feed');
      } else if (roll < 0.45) {
        const assets = r.next() < 0.05 ? 0n : r.big(2n * 10n ** 22n) + 1n;
        await marketStep(`${label} supply ${assets}`, w, 'supply', [assets, who], () => supply(lending, { from: who, assets, onBehalf: who, now }));
        count('supply');
      } else if (roll < 0.49) {
        const held = positionOf(lending, who).supplyShares;
        const worth = lending.totalSupplyShares === 0n ? 0n : (held * lending.totalSupplyAssets) / lending.totalSupplyShares;
        const x = r.next();
        const assets = x < 0.2 ? MAX : x < 0.3 ? worth + 10n ** 18n : r.big(worth) + 1n;
        await marketStep(`${label} withdraw ${assets}`, w, 'withdraw', [assets, who], () => withdraw(lending, { from: who, assets, to: who, now }));
        count('withdraw');
      } else if (roll < 0.57) {
        const assets = r.big(2n * 10n ** 21n) + 1n;
        await marketStep(`${label} supplyCollateral ${assets}`, w, 'supplyCollateral', [assets, who], () =>
          supplyCollateral(lending, { from: who, assets, onBehalf: who, now }));
        count('collateralIn');
      } else if (roll < 0.60) {
        const pos = positionOf(lending, who);
        const p = oracleNow();
        // free collateral at the current price, and sometimes a bit more than that
        let free = pos.collateral;
        if (pos.borrowShares !== 0n && p !== null) {
          const debt = debtOf(lending, who);
          const need = (((debt * E18) / lltv + 1n) * E18) / p + 1n;
          free = pos.collateral > need ? pos.collateral - need : 0n;
        }
        const x = r.next();
        const assets = x < 0.15 ? pos.collateral + 1n : x < 0.35 ? r.scale(free, 1.0, 1.2) + 1n : r.big(free) + 1n;
        await marketStep(`${label} withdrawCollateral ${assets}`, w, 'withdrawCollateral', [assets, who], () =>
          withdrawCollateral(lending, { from: who, assets, to: who, price: priceFn, now }));
        count('collateralOut');
      } else if (roll < 0.75) {
        // borrow close to the limit, so that price drops make real liquidations
        const pos = positionOf(lending, who);
        const p = oracleNow() ?? fundamental;
        const limit = maxDebtOf(pos.collateral, p, lltv);
        const debt = debtOf(lending, who);
        const headroom = limit > debt ? limit - debt : 0n;
        const x = r.next();
        const liquidity = lending.totalSupplyAssets - lending.totalBorrowAssets;
        const assets = x < 0.06 ? liquidity + r.big(10n ** 20n) + 1n : r.scale(headroom, 0.85, 1.02) + 1n;
        await marketStep(`${label} borrow ${assets}`, w, 'borrow', [assets, who], () => borrow(lending, { from: who, assets, to: who, price: priceFn, now }));
        count('borrow');
      } else if (roll < 0.78) {
        const onBehalf = r.next() < 0.8 ? who : pick().address;
        const debt = debtOf(lending, onBehalf);
        const x = r.next();
        const assets = x < 0.3 ? MAX : x < 0.4 ? debt + 10n ** 18n : r.big(debt) + 1n;
        await marketStep(`${label} repay ${assets} for ${onBehalf}`, w, 'repay', [assets, onBehalf], () =>
          repay(lending, { from: who, assets, onBehalf, now }));
        count('repay');
      } else if (roll < 0.83) {
        // liquidators mostly go after positions the mirror sees as unhealthy
        const debtors = actors.filter((a) => positionOf(lending, a.address).borrowShares > 0n);
        const borrower =
          unhealthy.length > 0 && r.next() < 0.85
            ? unhealthy[r.int(unhealthy.length)]!.address
            : debtors.length > 0 && r.next() < 0.7
              ? debtors[r.int(debtors.length)]!.address
              : pick().address;
        const debt = debtOf(lending, borrower);
        const x = r.next();
        const repayAssets = x < 0.4 ? MAX : r.big(debt) + 1n;
        const res = (await marketStep(`${label} liquidate ${borrower} for ${repayAssets}`, w, 'liquidate', [borrower, repayAssets], () =>
          liquidate(lending, { liquidator: who, borrower, repayAssets, price: priceFn, now }))) as { badDebt: bigint } | undefined;
        count(res === undefined ? 'liquidateReverted' : `liquidation:${feed.source}`);
        if (res !== undefined && res.badDebt > 0n) count(`badDebt:${feed.source}`);
      } else if (roll < 0.855) {
        // the controller moves the curve; sometimes out of bounds, sometimes someone else tries
        const c: Curve = {
          baseRate: r.big(12n * 10n ** 16n),
          slope1: r.big(6n * 10n ** 17n),
          slope2: r.big(35n * 10n ** 17n),
          kink: 4n * 10n ** 17n + r.big(6n * 10n ** 17n) + 1n,
        };
        const from = r.next() < 0.1 ? w : owner;
        await marketStep(`${label} setCurve ${JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`, from, 'setCurve', [c], () =>
          setCurve(lending, { curve: c, now, from: from.address }));
        count('curve');
      } else if (roll < 0.865) {
        const b: CurveBounds = {
          maxBaseRate: r.big(2n * 10n ** 17n),
          maxSlope1: r.big(E18),
          maxSlope2: r.big(5n * E18),
          minKink: r.big(7n * 10n ** 17n),
          maxKink: 6n * 10n ** 17n + r.big(5n * 10n ** 17n),
        };
        await marketStep(`${label} setCurveBounds`, owner, 'setCurveBounds', [b], () => setCurveBounds(lending, { bounds: b, now, from: owner.address }));
        count('curveBounds');
      } else if (roll < 0.875) {
        const reserveFactor = r.big(6n * 10n ** 17n);
        const treasury = r.next() < 0.5 ? owner.address : who;
        await marketStep(`${label} setReserve ${reserveFactor} ${treasury}`, owner, 'setReserve', [reserveFactor, treasury], () =>
          setReserve(lending, { reserveFactor, treasury, now, from: owner.address }));
        count('reserve');
      } else {
        // time passes: seconds to minutes mostly, sometimes days of interest
        now += r.next() < 0.85 ? BigInt(1 + r.int(120)) : BigInt(3_600 + r.int(20 * 86_400));
        jumped = true;
        count('time');
      }
    }
    for (const a of actors) {
      const onChain = await client.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'sharesOf', args: [a.address] });
      assert.equal(onChain, mirror.shares.get(a.address.toLowerCase()) ?? 0n, `LP shares of ${a.address}`);
    }
    t.diagnostic(`steps: ${JSON.stringify(counts)}`);
    t.diagnostic(`reverts: ${JSON.stringify(reverts)}`);
    // the sequence must exercise every path it claims to
    assert.ok((counts.swap ?? 0) > 100, 'swaps');
    assert.ok((counts.swapTripped ?? 0) > 0 && (reverts.SwapsPaused ?? 0) > 0, 'the breaker never tripped or paused a swap');
    assert.ok((counts.swapWhilePaused ?? 0) >= 5, `swaps executed during a pause: ${counts.swapWhilePaused ?? 0}`);
    const liquidations = (counts['liquidation:feed'] ?? 0) + (counts['liquidation:pool'] ?? 0);
    const badDebts = (counts['badDebt:feed'] ?? 0) + (counts['badDebt:pool'] ?? 0);
    assert.ok(liquidations >= 40, `liquidations ${liquidations}`);
    assert.ok((counts['liquidation:feed'] ?? 0) >= 10 && (counts['liquidation:pool'] ?? 0) >= 10, 'too few liquidations at one of the sources');
    assert.ok(badDebts >= 5, `bad-debt write-offs ${badDebts}`);
    assert.ok(lending.badDebt > 0n);
    for (const reason of ['OracleUnavailable', 'InsufficientCollateral', 'InsufficientLiquidity', 'InsufficientBalance', 'HealthyPosition', 'NoDebt', 'CurveOutOfBounds', 'NotController', 'NotFeeder', 'InvalidPrice']) {
      assert.ok((reverts[reason] ?? 0) > 0, `no ${reason} revert was checked`);
    }
    assert.ok((counts.reserveFee ?? 0) >= 10, 'too few accruals minted reserve shares');
  });
});
