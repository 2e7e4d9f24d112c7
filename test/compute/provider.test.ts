// Provider daemons against a real devnet: redundant execution pays the honest majority and slashes a cheater;
// an optimistic cheat is caught by a validator daemon, the arbiter upholds the challenge, the challenger is paid.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from 'viem';
import { demoJob, submitJob, waitForJob } from '../../src/compute/buyer.ts';
import { acceptResult, offer, readCredit, readJob, readProvider, type JobState } from '../../src/compute/market.ts';
import { startProviderDaemon, type ProviderDaemon } from '../../src/compute/provider/daemon.ts';
import type { ProviderEvent } from '../../src/compute/provider/events.ts';
import { seededRng } from '../../src/compute/provider/pricing.ts';
import { ensureProvider } from '../../src/compute/provider/setup.ts';
import { startArbiter } from '../../src/compute/provider/validator.ts';
import { closeSandboxes } from '../../src/compute/workloads/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { bid } from '../../src/compute/market.ts';
import { encodeBundle, failureDigest } from '../../src/compute/workloads/index.ts';

/** A wasm bundle (ABI in wasm.ts) whose run() traps: a deterministic failure. */
function trappingBundle(): Uint8Array {
  // (module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) i32.const 1024)
  //   (func (export "output_ptr") (result i32) i32.const 0) (func (export "run") (param i32 i32) (result i32) unreachable))
  const hex =
    '0061736d0100000001100360017f017f6000017f60027f7f017f0304030001020503010001072504066d656d6f7279020005616c6c6f63' +
    '00000a6f75747075745f70747200010372756e00020a100305004180080b040041000b0300000b';
  return encodeBundle({ kind: 'wasm', module: Uint8Array.from(Buffer.from(hex, 'hex')) });
}

const PRICE = 10_000n; // 0.01 mUSD per unit
const MAX_PRICE = 50_000n;

describe('provider daemon', () => {
  let chain: TestChain;
  let market: Address;
  let token: Address;
  const daemons: ProviderDaemon[] = [];
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    token = chain.address('SettlementToken');
  });
  after(async () => {
    await Promise.allSettled([...daemons.map((d) => d.stop()), ...stops.map((s) => s())]);
    await closeSandboxes();
    await chain?.stop();
  });

  async function startProvider(
    account: number,
    o: { deviceKind?: string; cheatRate?: number; seed?: number; validator?: boolean; bid?: boolean; wallet?: MachinaWalletClient; concurrency?: number } = {},
  ) {
    const wallet = chain.wallet(account);
    const setup = await ensureProvider(chain.client, wallet, {
      market,
      token,
      identityRegistry: chain.address('IdentityRegistry'),
      resources: { deviceKind: o.deviceKind ?? 'cpu', region: 'eu', deviceCount: 2, memoryMB: 1024, pricePerUnit: PRICE },
      useFaucet: true,
    });
    const events: ProviderEvent[] = [];
    const daemon = await startProviderDaemon({
      client: chain.client,
      wallet: o.wallet ?? wallet,
      market,
      token,
      providerId: setup.providerId,
      pricePerUnit: PRICE,
      cheatRate: o.cheatRate,
      rng: o.seed === undefined ? undefined : seededRng(o.seed),
      pollMs: 50,
      concurrency: o.concurrency,
      validator: o.validator,
      bid: o.bid,
      validationRegistry: chain.address('ValidationRegistry'),
      onEvent: (e) => events.push(e),
    });
    daemons.push(daemon);
    return { daemon, events, providerId: setup.providerId, stakeBefore: setup.provider.stake };
  }

  async function post(account: number, p: { replicas: number; mode: 'redundant' | 'optimistic'; deviceKind?: string; workload?: Uint8Array }): Promise<JobState> {
    const { input, units } = demoJob();
    const workload = p.workload ?? demoJob().workload;
    const wallet = chain.wallet(account);
    const { faucet } = await import('../../src/pay/token.ts');
    await faucet(chain.client, wallet, { token, to: wallet.account.address, amount: 1_000_000_000n });
    const { jobId } = await submitJob({
      wallet,
      client: chain.client,
      market,
      token,
      workload,
      input,
      units,
      maxPricePerUnit: MAX_PRICE,
      replicas: p.replicas,
      mode: p.mode,
      bidWindow: 0,
      deadlineSeconds: 60,
      needs: { deviceKind: p.deviceKind ?? 'cpu', minMemoryMB: 64 },
    });
    return waitForJob({ client: chain.client, wallet, market, jobId, timeoutMs: 40_000 });
  }

  it('redundant x3: the honest majority is paid, the cheater is slashed', async () => {
    const honestA = await startProvider(1);
    const honestB = await startProvider(2);
    const cheater = await startProvider(3, { cheatRate: 1, seed: 7 });

    const jobs = await Promise.all([post(4, { replicas: 3, mode: 'redundant' }), post(5, { replicas: 3, mode: 'redundant' })]);
    for (const job of jobs) {
      assert.equal(job.status, 'completed', `job ${job.jobId} is ${job.status}`);
      assert.equal(job.assignments.length, 3);
      const byProvider = new Map(job.assignments.map((a) => [a.providerId, a]));
      assert.equal(byProvider.get(honestA.providerId)?.paid, true);
      assert.equal(byProvider.get(honestB.providerId)?.paid, true);
      assert.equal(byProvider.get(cheater.providerId)?.slashed, true);
      assert.equal(byProvider.get(cheater.providerId)?.paid, false);
      assert.equal(job.acceptedDigest, byProvider.get(honestA.providerId)?.outputDigest);
      assert.notEqual(job.acceptedDigest, byProvider.get(cheater.providerId)?.outputDigest);
    }
    // Events arrive with the next poll after the finalizing block.
    const until = Date.now() + 15_000;
    const paidTo = (d: { events: ProviderEvent[] }) => d.events.filter((e) => e.type === 'paid').length;
    while (Date.now() < until && (paidTo(honestA) < 2 || paidTo(honestB) < 2 || cheater.events.filter((e) => e.type === 'slashed').length < 2)) await new Promise((r) => setTimeout(r, 50));
    assert.equal(honestA.events.filter((e) => e.type === 'paid').length, 2);
    assert.equal(honestB.events.filter((e) => e.type === 'paid').length, 2);
    assert.equal(cheater.events.filter((e) => e.type === 'cheated').length, 2);
    const slashes = cheater.events.filter((e): e is Extract<ProviderEvent, { type: 'slashed' }> => e.type === 'slashed');
    assert.equal(slashes.length, 2);
    assert.ok(slashes.every((s) => s.reason === 'wrong-result'));

    const after = await readProvider(chain.client, { market, providerId: cheater.providerId });
    assert.ok(after!.stake < cheater.stakeBefore, 'the cheater ends with less stake than it started with');
    assert.equal(after!.slashes, 2);
    const honestState = await readProvider(chain.client, { market, providerId: honestA.providerId });
    assert.equal(honestState!.completed, 2);
    assert.ok((await readCredit(chain.client, { market, account: chain.wallet(1).account.address })) >= 2n * PRICE);
    assert.equal(honestA.daemon.stats().errors, 0, JSON.stringify(honestA.events.filter((e) => e.type === 'error'), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    await Promise.all([honestA.daemon.stop(), honestB.daemon.stop(), cheater.daemon.stop()]);
  });

  it('optimistic: a validator catches the cheat, the arbiter upholds the challenge, the challenger is rewarded', async () => {
    // Only the cheater offers "gpu", so it wins the job; the validator only watches.
    const cheater = await startProvider(6, { deviceKind: 'gpu', cheatRate: 1, seed: 1 });
    // A validator only: not a provider, it just holds tokens for the bond.
    const { faucet } = await import('../../src/pay/token.ts');
    await faucet(chain.client, chain.wallet(7), { token, to: chain.wallet(7).account.address, amount: 100_000_000n });
    const validator = { events: [] as ProviderEvent[] };
    daemons.push(
      await startProviderDaemon({
        client: chain.client,
        wallet: chain.wallet(7),
        market,
        token,
        providerId: null,
        pricePerUnit: PRICE,
        validator: true,
        validationRegistry: chain.address('ValidationRegistry'),
        pollMs: 50,
        onEvent: (e) => validator.events.push(e),
      }),
    );
    const arbiterEvents: ProviderEvent[] = [];
    const arbiter = startArbiter({ client: chain.client, wallet: chain.wallet(0), market, validationRegistry: chain.address('ValidationRegistry'), pollMs: 50, onEvent: (e) => arbiterEvents.push(e) });
    stops.push(arbiter.stop);
    const creditBefore = await readCredit(chain.client, { market, account: chain.wallet(7).account.address });

    const job = await post(8, { replicas: 1, mode: 'optimistic', deviceKind: 'gpu' });
    assert.equal(job.status, 'failed', 'an upheld challenge fails the job and refunds the buyer');
    assert.equal(job.assignments[0]!.providerId, cheater.providerId);
    assert.equal(job.assignments[0]!.slashed, true);

    const until = Date.now() + 5_000;
    while (Date.now() < until && !validator.events.some((e) => e.type === 'rewarded')) await new Promise((r) => setTimeout(r, 50));
    assert.ok(validator.events.some((e) => e.type === 'verified' && !e.agrees));
    assert.ok(validator.events.some((e) => e.type === 'challenged' && e.jobId === job.jobId));
    assert.ok(validator.events.some((e) => e.type === 'rewarded' && e.jobId === job.jobId), 'the challenger is rewarded');
    const answered = arbiterEvents.find((e): e is Extract<ProviderEvent, { type: 'answered' }> => e.type === 'answered');
    assert.equal(answered?.response, 0, 'the arbiter re-executed and found the committed digest wrong');
    assert.ok(cheater.events.some((e) => e.type === 'slashed' && e.reason === 'challenge-upheld'));
    assert.ok(cheater.events.some((e) => e.type === 'disputed'));
    const creditAfter = await readCredit(chain.client, { market, account: chain.wallet(7).account.address });
    assert.ok(creditAfter > creditBefore, 'bond back plus a share of the slash');
    const final = await readJob(chain.client, { market, jobId: job.jobId });
    assert.equal(final!.status, 'failed');
  });

  it('optimistic, honest: the validator agrees and the result is paid after the challenge window', async () => {
    const honest = await startProvider(9, { deviceKind: 'tpu' });
    const job = await post(8, { replicas: 1, mode: 'optimistic', deviceKind: 'tpu' });
    assert.equal(job.status, 'completed');
    assert.equal(job.assignments[0]!.providerId, honest.providerId);
    assert.equal(job.assignments[0]!.paid, true);
    const until = Date.now() + 5_000;
    while (Date.now() < until && !honest.events.some((e) => e.type === 'paid')) await new Promise((r) => setTimeout(r, 50));
    assert.ok(honest.events.some((e) => e.type === 'paid'));
  });

  it('a direct offer made while every device is busy is taken up when one frees, not dropped', async () => {
    const p = await startProvider(2, { deviceKind: 'npu', concurrency: 1 });
    const buyer = chain.wallet(5);
    const { faucet } = await import('../../src/pay/token.ts');
    await faucet(chain.client, buyer, { token, to: buyer.account.address, amount: 1_000_000_000n });
    const { workload, input, units } = demoJob();
    const postDirect = async () => {
      const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, maxPricePerUnit: MAX_PRICE, replicas: 1, mode: 'optimistic', direct: true, deadlineSeconds: 120, needs: { deviceKind: 'npu', minMemoryMB: 64 } });
      await offer(buyer, { market, jobId, providerId: p.providerId, pricePerUnit: PRICE });
      return jobId;
    };
    const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!(await ok())) {
        assert.ok(Date.now() < end, `timed out waiting for ${what}: ${JSON.stringify(p.events.slice(-8), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      // The first job holds the one device from its assignment until it settles (committed, inside the challenge window).
      const first = await postDirect();
      await until('the first result to be committed', () => p.events.some((e) => e.type === 'committed' && e.jobId === first));
      const second = await postDirect();
      await until('the busy provider to skip the second offer', () => p.events.some((e) => e.type === 'skipped' && e.jobId === second && /busy/.test(e.reason)));
      assert.equal((await readJob(chain.client, { market, jobId: second }))!.status, 'open');
      // The buyer accepts the first result: the device frees, and the standing offer is taken.
      await acceptResult(buyer, { market, jobId: first });
      await until('the second offer to be taken', async () => (await readJob(chain.client, { market, jobId: second }))!.status !== 'open');
      assert.equal((await readJob(chain.client, { market, jobId: second }))!.assignments[0]!.providerId, p.providerId);
      await until('the second result to be committed', () => p.events.some((e) => e.type === 'committed' && e.jobId === second));
      await acceptResult(buyer, { market, jobId: second });
    } finally {
      await p.daemon.stop(); // the later tests reuse account 2's provider with other devices
    }
  });

  it('a restarted daemon picks up a job posted while it was down, and reports only its own run', async () => {
    const { workload, input, units } = demoJob();
    const buyer = chain.wallet(5);
    const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, maxPricePerUnit: MAX_PRICE, replicas: 1, bidWindow: 0, deadlineSeconds: 60, needs: { deviceKind: 'cpu', minMemoryMB: 64 } });
    const restarted = await startProvider(1);
    const job = await waitForJob({ client: chain.client, wallet: buyer, market, jobId, timeoutMs: 30_000 });
    assert.equal(job.status, 'completed');
    assert.equal(job.assignments[0]!.providerId, restarted.providerId);
    const until = Date.now() + 5_000;
    while (Date.now() < until && !restarted.events.some((e) => e.type === 'paid')) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(restarted.events.filter((e) => e.type === 'paid').map((e) => (e as { jobId: bigint }).jobId), [jobId], 'payments of the earlier run are history');
  });
  it('a workload that traps: every honest replica (3) commits the same failure record and is paid', async () => {
    const a = await startProvider(1, { deviceKind: 'dsp' });
    const b = await startProvider(2, { deviceKind: 'dsp' });
    const c = await startProvider(3, { deviceKind: 'dsp' });
    const job = await post(4, { replicas: 3, mode: 'redundant', deviceKind: 'dsp', workload: trappingBundle() });
    assert.equal(job.status, 'completed', `job ${job.jobId} is ${job.status}`);
    assert.equal(job.acceptedDigest, failureDigest('crashed'));
    assert.ok(job.assignments.every((x) => x.paid && !x.slashed && x.outputDigest === failureDigest('crashed')));
    assert.ok(a.events.some((e) => e.type === 'ran' && e.failure === 'crashed'));
    await Promise.all([a.daemon.stop(), b.daemon.stop(), c.daemon.stop()]);
  });

  it('a commit that fails on transport errors is retried until it lands (more than a few attempts)', async () => {
    // The operator's wallet loses its first 4 commitResult sends (an RPC hiccup): the slot must not be lost.
    // Four is past what a generic 3-attempt retry would survive; each further one only waits longer (backoff
    // 0.4, 0.8, 1.6, 3.2, then 5 s).
    const base = chain.wallet(3);
    let failures = 0;
    const flaky: MachinaWalletClient = {
      ...base,
      writeContract: (async (args: Parameters<MachinaWalletClient['writeContract']>[0]) => {
        if ((args as { functionName?: string }).functionName === 'commitResult' && failures < 4) {
          failures++;
          throw new Error('fetch failed (simulated RPC hiccup)');
        }
        return base.writeContract(args);
      }) as MachinaWalletClient['writeContract'],
    };
    const p = await startProvider(3, { deviceKind: 'asic', wallet: flaky });
    const job = await post(5, { replicas: 1, mode: 'redundant', deviceKind: 'asic' });
    assert.equal(job.status, 'completed', `job ${job.jobId} is ${job.status}`);
    assert.equal(job.assignments[0]!.paid, true);
    assert.equal(failures, 4);
    assert.ok(p.events.filter((e) => e.type === 'error' && e.stage.startsWith('commit (attempt')).length >= 4);
    await p.daemon.stop();
  });

  it('a daemon restarted long after it was assigned (beyond the recent-blocks window) finds the slot on the chain and commits', async () => {
    // Provider 2 offers "fpga"; no daemon runs. It wins a job by a bid of its own, then 1,500 blocks pass.
    const wallet = chain.wallet(2);
    const setup = await ensureProvider(chain.client, wallet, {
      market,
      token,
      identityRegistry: chain.address('IdentityRegistry'),
      resources: { deviceKind: 'fpga', region: 'eu', deviceCount: 2, memoryMB: 1024, pricePerUnit: PRICE },
      useFaucet: true,
    });
    const { workload, input, units } = demoJob();
    const buyer = chain.wallet(5);
    const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, maxPricePerUnit: MAX_PRICE, replicas: 1, bidWindow: 0, deadlineSeconds: 120, needs: { deviceKind: 'fpga', minMemoryMB: 64 } });
    const { slot } = await bid(wallet, { market, jobId, providerId: setup.providerId, pricePerUnit: PRICE });
    assert.equal(slot, 0);
    await chain.client.request({ method: 'anvil_mine', params: ['0x5dc'] } as never);
    const restarted = await startProvider(2, { deviceKind: 'fpga' });
    const job = await waitForJob({ client: chain.client, wallet: buyer, market, jobId, timeoutMs: 60_000 });
    assert.equal(job.status, 'completed');
    assert.equal(job.assignments[0]!.paid, true);
    assert.ok(restarted.events.some((e) => e.type === 'committed' && e.jobId === jobId));
    await restarted.daemon.stop();
  });
});

describe('provider pricing and validation helpers', () => {
  it('quote asks the base price when idle, more under load, never above the job maximum, nothing when full', async () => {
    const { quote } = await import('../../src/compute/provider/pricing.ts');
    assert.deepEqual(quote({ basePricePerUnit: 1_000n, activeJobs: 0, capacity: 2, maxPricePerUnit: 5_000n }), { ok: true, pricePerUnit: 1_000n });
    assert.deepEqual(quote({ basePricePerUnit: 1_000n, activeJobs: 1, capacity: 2, maxPricePerUnit: 5_000n }), { ok: true, pricePerUnit: 1_125n });
    assert.deepEqual(quote({ basePricePerUnit: 1_000n, activeJobs: 1, capacity: 2, maxPricePerUnit: 1_050n }), { ok: true, pricePerUnit: 1_050n });
    assert.deepEqual(quote({ basePricePerUnit: 1_000n, activeJobs: 0, capacity: 2, maxPricePerUnit: 999n }), { ok: false, reason: 'price-too-low' });
    assert.deepEqual(quote({ basePricePerUnit: 1_000n, activeJobs: 2, capacity: 2, maxPricePerUnit: 5_000n }), { ok: false, reason: 'busy' });
  });

  it('cannotRun names the first unmet need; an empty region accepts any', async () => {
    const { cannotRun } = await import('../../src/compute/provider/pricing.ts');
    const mine = { deviceKind: 'cpu', memoryMB: 1024, region: 'eu' };
    assert.equal(cannotRun({ deviceKind: 'cpu', minMemoryMB: 512, region: '' }, mine), null);
    assert.equal(cannotRun({ deviceKind: 'gpu', minMemoryMB: 512, region: '' }, mine), 'device-kind');
    assert.equal(cannotRun({ deviceKind: 'cpu', minMemoryMB: 2048, region: '' }, mine), 'memory');
    assert.equal(cannotRun({ deviceKind: 'cpu', minMemoryMB: 0, region: 'us' }, mine), 'region');
  });

  it('seededRng repeats; request URIs name the job', async () => {
    const { jobIdOfRequestURI } = await import('../../src/compute/provider/validator.ts');
    const a = seededRng(42);
    const b = seededRng(42);
    assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
    assert.equal(jobIdOfRequestURI('machina:compute:17'), 17n);
    assert.equal(jobIdOfRequestURI('ipfs://x'), null);
  });
});

describe('provider daemon: a job short of providers', () => {
  let chain: TestChain;
  const daemons: ProviderDaemon[] = [];
  before(async () => {
    chain = await startTestChain();
  });
  after(async () => {
    await Promise.allSettled(daemons.map((d) => d.stop()));
    await closeSandboxes();
    await chain?.stop();
  });

  it('a replica runs at once but commits only when every slot is taken; daemons started later join the job and it completes', async () => {
    const market = chain.address('ComputeMarket');
    const token = chain.address('SettlementToken');
    const start = async (account: number) => {
      const wallet = chain.wallet(account);
      const setup = await ensureProvider(chain.client, wallet, {
        market,
        token,
        identityRegistry: chain.address('IdentityRegistry'),
        resources: { deviceKind: 'cpu', region: 'eu', deviceCount: 2, memoryMB: 1024, pricePerUnit: PRICE },
        useFaucet: true,
      });
      const events: ProviderEvent[] = [];
      const daemon = await startProviderDaemon({ client: chain.client, wallet, market, token, providerId: setup.providerId, pricePerUnit: PRICE, pollMs: 50, onEvent: (e) => events.push(e) });
      daemons.push(daemon);
      return { daemon, events, providerId: setup.providerId };
    };
    const first = await start(1);
    const { workload, input, units } = demoJob();
    const buyer = chain.wallet(4);
    const { faucet } = await import('../../src/pay/token.ts');
    await faucet(chain.client, buyer, { token, to: buyer.account.address, amount: 1_000_000_000n });
    const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, maxPricePerUnit: MAX_PRICE, replicas: 3, mode: 'redundant', bidWindow: 0, deadlineSeconds: 120, needs: { deviceKind: 'cpu', minMemoryMB: 64 } });
    const until = Date.now() + 30_000;
    while (Date.now() < until && !first.events.some((e) => e.type === 'ran' && e.jobId === jobId)) await new Promise((r) => setTimeout(r, 50));
    assert.ok(first.events.some((e) => e.type === 'ran' && e.jobId === jobId), 'the first provider ran its replica');
    // It holds its result while the job is short of providers: no commit, no error.
    await new Promise((r) => setTimeout(r, 1_500));
    const waiting = (await readJob(chain.client, { market, jobId }))!;
    assert.deepEqual([waiting.status, waiting.assigned, waiting.committed], ['open', 1, 0]);
    assert.ok(!first.events.some((e) => e.type === 'committed' || e.type === 'error'), JSON.stringify(first.events.filter((e) => e.type === 'error'), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    // Two more providers come up later: they find the open job, take the slots left, and everyone commits.
    await start(2);
    await start(3);
    const job = await waitForJob({ client: chain.client, wallet: buyer, market, jobId, timeoutMs: 60_000 });
    assert.equal(job.status, 'completed', `job ${jobId} is ${job.status}`);
    assert.ok(job.assignments.length === 3 && job.assignments.every((a) => a.paid && !a.slashed));
    assert.ok(first.events.some((e) => e.type === 'committed' && e.jobId === jobId));
  });
});
