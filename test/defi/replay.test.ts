// The AdaptivePool on a real devnet against src/defi/poolMath.ts, side by side: a seeded random sequence of swaps
// both ways, adds, removes, controller moves and time jumps (breaker trips and paused swaps included), with the
// full pool state (reserves, shares, fee, variance, TWAP accumulators, breaker) compared to the wei after every step.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BaseError, ContractFunctionRevertedError, getAddress, type Address, type Hex } from 'viem';
import { adaptivePoolAbi, adaptivePoolBytecode, mockTokenAbi, mockTokenBytecode } from '../../src/chain/artifacts/index.ts';
import { connectChain, walletFor, type MachinaPublicClient, type MachinaWalletClient } from '../../src/chain/clients.ts';
import { startDevnet, type Devnet } from '../../src/chain/devnet.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import {
  addLiquidity,
  createPool,
  PoolMathError,
  removeLiquidity,
  setFeeParams,
  swap,
  type PoolBounds,
  type PoolBreaker,
  type PoolState,
} from '../../src/defi/poolMath.ts';

const STEPS = 300;
const SEED = 0x8d3f_2a11;

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
  return { next, int: (n: number) => Math.floor(next() * n), big: (max: bigint) => (max * BigInt(Math.floor(next() * 1e9))) / 1_000_000_000n };
}

describe('AdaptivePool replay: chain and poolMath agree to the wei', () => {
  let devnet: Devnet;
  let client: MachinaPublicClient;
  let owner: MachinaWalletClient;
  const actors: MachinaWalletClient[] = [];
  let pool: Address;

  const bounds: PoolBounds = { minBaseFee: 500n, maxBaseFee: 10_000n, maxK: 20_000_000n, maxFee: 60_000n };
  const breaker: PoolBreaker = { threshold: 50_000n, window: 60n, cooldown: 10n };
  const baseFee = 3_000n;
  const k = 5_000_000n;

  async function mined(hash: Hex) {
    return client.waitForTransactionReceipt({ hash, pollingInterval: 5 });
  }

  async function deploy(w: MachinaWalletClient, abi: unknown, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
    const hash = await w.deployContract({ abi, bytecode, args } as Parameters<MachinaWalletClient['deployContract']>[0]);
    const r = await mined(hash);
    assert.equal(r.status, 'success');
    return getAddress(r.contractAddress!);
  }

  before(async () => {
    devnet = await startDevnet({ port: 0 });
    client = await connectChain(devnet.rpcUrl);
    owner = walletFor(client, devnetAccount(0));
    for (const i of [1, 2, 3]) actors.push(walletFor(client, devnetAccount(i)));
    const t0 = await deploy(owner, mockTokenAbi, mockTokenBytecode, ['Token0', 'T0']);
    const t1 = await deploy(owner, mockTokenAbi, mockTokenBytecode, ['Token1', 'T1']);
    pool = await deploy(owner, adaptivePoolAbi, adaptivePoolBytecode, [
      t0, t1, owner.account.address, owner.account.address, bounds, Number(baseFee), k,
      { threshold: Number(breaker.threshold), window: Number(breaker.window), cooldown: Number(breaker.cooldown) },
    ]);
    for (const a of actors) {
      for (const t of [t0, t1]) {
        await mined(await owner.writeContract({ address: t, abi: mockTokenAbi, functionName: 'mint', args: [a.account.address, 10n ** 30n] }));
        await mined(await a.writeContract({ address: t, abi: mockTokenAbi, functionName: 'approve', args: [pool, 2n ** 256n - 1n] }));
      }
    }
  });

  after(async () => {
    await devnet?.stop();
  });

  async function assertSame(mirror: PoolState, step: string) {
    const s = await client.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'state' });
    const chain = {
      reserve0: s.reserve0, reserve1: s.reserve1, totalShares: s.totalShares, fee: BigInt(s.fee), baseFee: BigInt(s.baseFee),
      k: s.k, variance: s.variance, priceCumulative: s.priceCumulative, lastTimestamp: s.lastTimestamp,
      obsCumulative: s.obsCumulative, obsTimestamp: s.obsTimestamp, twapPrice: s.twapPrice, pausedUntil: s.pausedUntil,
    };
    const { bounds: _b, breaker: _r, shares: _s, ...mine } = mirror;
    assert.deepEqual(chain, mine, `state differs after ${step}`);
  }

  it(`replays ${STEPS} seeded random steps with identical state after each`, { timeout: 120_000 }, async (t) => {
    const r = rng(SEED);
    const mirror = createPool({ bounds, breaker, baseFee, k });
    const latest = await client.getBlock();
    let now = latest.timestamp;
    const counts = { swap: 0, tripped: 0, paused: 0, reverted: 0, add: 0, remove: 0, params: 0, time: 0 };

    /** Sends one pool call in a block at `now + 1` and applies `model` to the mirror; both must succeed or both fail. */
    async function step(label: string, w: MachinaWalletClient, functionName: string, args: readonly unknown[], model: () => unknown) {
      now += 1n;
      await client.request({ method: 'evm_setNextBlockTimestamp' as never, params: [Number(now)] as never });
      let mirrorError: unknown;
      let result: unknown;
      try {
        result = model();
      } catch (err) {
        if (!(err instanceof PoolMathError)) throw err;
        mirrorError = err;
      }
      // Explicit gas: no estimate, so a revert is mined (at the same timestamp as the mirror assumed) and checked.
      const hash = await w.writeContract({ address: pool, abi: adaptivePoolAbi, functionName, args, gas: 600_000n } as never);
      const receipt = await mined(hash);
      assert.equal(receipt.status, mirrorError ? 'reverted' : 'success', `${label}: chain ${receipt.status}, mirror ${mirrorError ? (mirrorError as PoolMathError).reason : 'ok'}`);
      if (mirrorError) {
        // the same call at the reverted block's state and timestamp names the contract's error
        const reason = await client
          .simulateContract({ address: pool, abi: adaptivePoolAbi, functionName, args, account: w.account, blockNumber: receipt.blockNumber } as never)
          .then(
            () => 'none',
            (err: unknown) => {
              const revert = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
              return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : String(err);
            },
          );
        assert.equal(reason, (mirrorError as PoolMathError).reason, `${label}: revert reason`);
        counts.reverted++;
        if ((mirrorError as PoolMathError).reason === 'SwapsPaused') counts.paused++;
      }
      await assertSame(mirror, label);
      return result;
    }

    // seed the pool first
    await step('seed', actors[0]!, 'addLiquidity', [10n ** 21n * 5n, 10n ** 21n * 10n, 0n, actors[0]!.account.address], () =>
      addLiquidity(mirror, { amount0Max: 5n * 10n ** 21n, amount1Max: 10n ** 22n, to: actors[0]!.account.address, now }));

    for (let i = 0; i < STEPS; i++) {
      const roll = r.next();
      const w = actors[r.int(actors.length)]!;
      const who = w.account.address;
      if (roll < 0.55) {
        const zeroForOne = r.next() < 0.5;
        const reserve = zeroForOne ? mirror.reserve0 : mirror.reserve1;
        // mostly small trades, sometimes one big enough to trip the breaker
        const amountIn = r.next() < 0.07 ? r.big(reserve / 8n) + 1n : r.big(reserve / 60n) + 1n;
        const res = (await step(`step ${i} swap ${zeroForOne ? '0→1' : '1→0'} ${amountIn}`, w, 'swap', [zeroForOne, amountIn, 0n, who], () =>
          swap(mirror, { zeroForOne, amountIn, now }))) as { tripped: boolean } | undefined;
        if (res?.tripped) counts.tripped++;
        else if (res) counts.swap++;
      } else if (roll < 0.68) {
        const a0 = r.big(10n ** 21n) + 1n;
        const a1 = r.big(2n * 10n ** 21n) + 1n;
        await step(`step ${i} add ${a0}/${a1}`, w, 'addLiquidity', [a0, a1, 0n, who], () =>
          addLiquidity(mirror, { amount0Max: a0, amount1Max: a1, to: who, now }));
        counts.add++;
      } else if (roll < 0.78) {
        const bal = mirror.shares.get(who.toLowerCase()) ?? 0n;
        // a tenth of the time more than held, to check SharesExceedBalance both sides
        const shares = r.next() < 0.1 ? bal + 1n : r.big(bal / 2n) + 1n;
        await step(`step ${i} remove ${shares}`, w, 'removeLiquidity', [shares, 0n, 0n, who], () =>
          removeLiquidity(mirror, { shares, from: who, now }));
        counts.remove++;
      } else if (roll < 0.83) {
        // the controller moves (baseFee, k); sometimes out of bounds, which both sides refuse
        const bf = BigInt(200 + r.int(11_000));
        const kk = BigInt(r.int(25_000_000));
        await step(`step ${i} setFeeParams ${bf}/${kk}`, owner, 'setFeeParams', [Number(bf), kk], () => setFeeParams(mirror, bf, kk));
        counts.params++;
      } else {
        const dt = BigInt(1 + r.int(90));
        await client.request({ method: 'evm_increaseTime' as never, params: [Number(dt)] as never });
        await client.request({ method: 'evm_mine' as never, params: [] as never });
        now = (await client.getBlock()).timestamp;
        counts.time++;
      }
    }
    // LP balances agree too
    for (const a of actors) {
      const onChain = await client.readContract({ address: pool, abi: adaptivePoolAbi, functionName: 'sharesOf', args: [a.account.address] });
      assert.equal(onChain, mirror.shares.get(a.account.address.toLowerCase()) ?? 0n, `shares of ${a.account.address}`);
    }
    // the sequence must exercise every path it claims to
    assert.ok(counts.swap > 50, `swaps ${counts.swap}`);
    assert.ok(counts.tripped > 0, 'the breaker never tripped');
    assert.ok(counts.paused > 0, 'no swap met a pause');
    assert.ok(counts.reverted > counts.paused, 'no other revert was checked');
    assert.ok(mirror.variance > 0n && mirror.fee > mirror.baseFee, 'the fee never rose with volatility');
    t.diagnostic(`steps: ${JSON.stringify(counts)}`);
  });
});
