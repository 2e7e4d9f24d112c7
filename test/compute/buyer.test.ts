// The buyer's flow on a real devnet: the demo job is submitted (as data: URIs, through a node's blob store, and from
// an agent account), three providers run it for real and agree, the waiter sees it complete and the result's URI
// serves the accepted bytes; demoPlan picks a majority of 3 only when 3 providers are live; a waiter with a wallet
// expires an unclaimed job and assigns an auction by itself; a waiter that verifies an optimistic job itself accepts
// an honest result before the window ends and challenges a cheat (the arbiter upholds it); bad parameters are
// refused before any upload or transaction.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { toFunctionSelector, type Address } from 'viem';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { fetchBlob } from '../../src/compute/blobs.ts';
import { demoJob, demoPlan, jobResult, submitJob, waitForJob, type BuyerVerification } from '../../src/compute/buyer.ts';
import { InvalidComputeInputError } from '../../src/compute/errors.ts';
import {
  bid,
  commitResult,
  KEEPER_RACE_ERRORS,
  MIN_RUN_TIME,
  pokeJob,
  readChallenge,
  readConfig,
  readCredit,
  readJob,
  readProvider,
  registerProvider,
  stakeProvider,
  type JobState,
  type JobStatusName,
} from '../../src/compute/market.ts';
import { startProviderDaemon, type ProviderDaemon } from '../../src/compute/provider/daemon.ts';
import type { ProviderEvent } from '../../src/compute/provider/events.ts';
import { ensureProvider } from '../../src/compute/provider/setup.ts';
import { startArbiter } from '../../src/compute/provider/validator.ts';
import { closeSandboxes, runWorkload, sha256Hex } from '../../src/compute/workloads/index.ts';
import { dataUri } from '../../src/compute/blobs.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { faucet } from '../../src/pay/token.ts';
import { createAgentAccount, setAgentKey } from '../../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

const M = 1_000_000n;

describe('compute buyer', () => {
  let chain: TestChain;
  let market: Address;
  let token: Address;
  let buyer: MachinaWalletClient;
  const ops: MachinaWalletClient[] = [];
  const ids: bigint[] = [];
  let blobServer: Server;
  const stops: Array<() => Promise<void>> = [];
  let nodeUrl: string;
  const blobs = new Map<string, Buffer>();

  const warp = async (seconds: number) => {
    await chain.client.request({ method: 'evm_increaseTime', params: [seconds] } as never);
    await chain.client.request({ method: 'evm_mine', params: [] } as never);
  };
  const nonceOf = (w: MachinaWalletClient) => chain.client.getTransactionCount({ address: w.account.address });

  /** What a provider daemon does for one replica: bid, fetch, run, commit. */
  const serve = async (i: number, jobId: bigint, workloadURI: string, inputURI: string, job: Pick<JobState, 'workloadDigest' | 'inputDigest'>, opts: { bid?: boolean } = {}) => {
    if (opts.bid !== false) await bid(ops[i]!, { market, jobId, providerId: ids[i]!, pricePerUnit: M / 2n });
    const [bundle, input] = await Promise.all([fetchBlob(workloadURI, job.workloadDigest), fetchBlob(inputURI, job.inputDigest)]);
    const { output, outputDigest } = await runWorkload(bundle, input, { timeoutMs: 10_000, memoryMB: 64 });
    return commitResult(ops[i]!, { market, jobId, providerId: ids[i]!, outputDigest, outputURI: dataUri(output) });
  };

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    token = chain.address('SettlementToken');
    buyer = chain.wallet(4);
    await faucet(chain.client, buyer, { token, to: buyer.account.address, amount: 1_000n * M });
    for (let i = 1; i <= 2; i++) {
      const w = chain.wallet(i);
      ops.push(w);
      await faucet(chain.client, w, { token, to: w.account.address, amount: 1_000n * M });
      const { agentId } = await registerAgent(chain.client, w, { identityRegistry: chain.address('IdentityRegistry'), agentURI: `https://provider-${i}.example/agent.json` });
      await registerProvider(w, { market, agentId, resources: { deviceKind: 'cpu', region: '', deviceCount: 4, memoryMB: 2048, pricePerUnit: M / 2n } });
      await stakeProvider(w, { market, token, providerId: agentId, amount: 300n * M });
      ids.push(agentId);
    }
    // A stand-in for the node's blob store: PUT /v1/blobs → { digest, uri }, GET /v1/blobs/{digest}.
    blobServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'PUT' && req.url === '/v1/blobs') {
          const body = Buffer.concat(chunks);
          const digest = sha256Hex(new Uint8Array(body));
          blobs.set(digest, body);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ digest, uri: `${nodeUrl}/v1/blobs/${digest}`, size: body.length }));
          return;
        }
        const blob = req.method === 'GET' && req.url?.startsWith('/v1/blobs/') ? blobs.get(req.url.slice('/v1/blobs/'.length)) : undefined;
        if (blob) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(blob);
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => blobServer.listen(0, '127.0.0.1', resolve));
    nodeUrl = `http://127.0.0.1:${(blobServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await Promise.allSettled(stops.map((s) => s()));
    await closeSandboxes();
    blobServer?.close();
    await chain?.stop();
  });

  it('refuses bad parameters before any upload or transaction', async () => {
    const { workload, input } = demoJob();
    const before = await nonceOf(buyer);
    const base = { wallet: buyer, client: chain.client, market, token, workload, input, nodeUrl };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ replicas: 0 }, /spec\.replicas: must be an integer 1-5 \(got 0\)/],
      [{ replicas: 6 }, /spec\.replicas: must be an integer 1-5 \(got 6\)/],
      [{ mode: 'optimistic', replicas: 3 }, /spec\.replicas: must be 1 in optimistic mode \(got 3\)/],
      [{ units: 0 }, /spec\.units: must be an integer 1-/],
      [{ maxPricePerUnit: 0n }, /spec\.maxPricePerUnit: must be greater than zero/],
      [{ deadlineSeconds: 0 }, /deadlineSeconds: must be a positive whole number of seconds/],
      [{ replicas: 2 }, /spec\.replicas: must be odd \(1, 3 or 5\)/],
      [{ replicas: 4 }, /spec\.replicas: must be odd \(1, 3 or 5\)/],
      [{ replicas: 3, direct: true }, /spec\.replicas: must be 1 for a direct job/],
      [{ deadlineSeconds: MIN_RUN_TIME - 1 }, /spec\.deadline: must leave providers at least 30 s to run the job/],
      [{ bidWindow: 400 }, /spec\.bidWindow: must close at least 30 s before the deadline/],
      [{ needs: { deviceKind: 'x'.repeat(40), minMemoryMB: 0 } }, /spec\.needs\.deviceKind: must be at most 32 bytes \(got 40\)/],
      [{ workload: new Uint8Array() }, /workload: must not be empty/],
      [{ workload: new Uint8Array([1, 2, 3]) }, /workload\.header: not a valid workload bundle: truncated/],
      [{ workload: new TextEncoder().encode('MCWB not really a bundle') }, /workload\.version: not a valid workload bundle/],
      [{ input: 'text' }, /input: must be a Uint8Array/],
    ];
    for (const [over, re] of cases) {
      await assert.rejects(submitJob({ ...base, ...over } as never), (err: unknown) => err instanceof InvalidComputeInputError && re.test(err.message), JSON.stringify(Object.keys(over)));
    }
    assert.equal(await nonceOf(buyer), before, 'no transaction was sent');
    assert.equal(blobs.size, 0, 'nothing was uploaded');
  });

  it('the demo job: submitted as data: URIs, run by three providers who agree, completed; the result URI serves the accepted bytes', async () => {
    const { workload, input, units } = demoJob();
    // Two live providers cannot form a majority of 3: the demo goes optimistic (the buyer checks it itself).
    assert.deepEqual(await demoPlan(chain.client, { market }), { mode: 'optimistic', replicas: 1 });
    // A provider of another device kind does not count.
    const gpu = chain.wallet(3);
    await faucet(chain.client, gpu, { token, to: gpu.account.address, amount: 1_000n * M });
    const { agentId } = await registerAgent(chain.client, gpu, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://provider-3.example/agent.json' });
    await registerProvider(gpu, { market, agentId, resources: { deviceKind: 'gpu', region: '', deviceCount: 4, memoryMB: 2048, pricePerUnit: M / 2n } });
    await stakeProvider(gpu, { market, token, providerId: agentId, amount: 300n * M });
    assert.deepEqual(await demoPlan(chain.client, { market }), { mode: 'optimistic', replicas: 1 });
    const { updateResources } = await import('../../src/compute/market.ts');
    await updateResources(gpu, { market, providerId: agentId, resources: { deviceKind: 'cpu', region: '', deviceCount: 4, memoryMB: 2048, pricePerUnit: M / 2n } });
    ops.push(gpu);
    ids.push(agentId);
    assert.deepEqual(await demoPlan(chain.client, { market }), { mode: 'redundant', replicas: 3 });
    const sub = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, replicas: 3 });
    assert.equal(sub.workloadDigest, sha256Hex(workload));
    assert.ok(sub.workloadURI.startsWith('data:'));
    assert.equal(sub.escrow, 3n * M);
    const statuses: JobStatusName[] = [];
    const waiting = waitForJob({ client: chain.client, market, jobId: sub.jobId, timeoutMs: 20_000, pollMs: 50, onStatus: (s) => statuses.push(s.status) });
    const job = (await readJob(chain.client, { market, jobId: sub.jobId }))!;
    // One after the other: the last commit settles the job, and a gas estimate made before the others landed
    // would be too low for that (the daemon adds a margin for it; this hand-rolled provider does not). Every slot
    // is taken before anyone commits (commits are refused until the job is fully assigned).
    for (let i = 0; i < 3; i++) await bid(ops[i]!, { market, jobId: sub.jobId, providerId: ids[i]!, pricePerUnit: M / 2n });
    for (let i = 0; i < 3; i++) await serve(i, sub.jobId, sub.workloadURI, sub.inputURI, job, { bid: false });
    const done = await waiting;
    assert.equal(done.status, 'completed');
    assert.equal(statuses[0], 'open');
    assert.equal(statuses.at(-1), 'completed');
    assert.ok(done.assignments.every((a) => a.paid && !a.slashed));

    const r = await jobResult({ client: chain.client, market, jobId: sub.jobId });
    assert.equal(r.status, 'completed');
    assert.ok(r.acceptedDigest && r.outputURI && r.providerId);
    const output = await fetchBlob(r.outputURI, r.acceptedDigest);
    assert.equal(sha256Hex(output), r.acceptedDigest);
  });

  it('uploads the workload and input to the node when nodeUrl is given', async () => {
    const { workload, input } = demoJob();
    const sub = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, nodeUrl, replicas: 1 });
    assert.equal(sub.workloadURI, `${nodeUrl}/v1/blobs/${sub.workloadDigest}`);
    assert.equal(sub.inputURI, `${nodeUrl}/v1/blobs/${sub.inputDigest}`);
    const job = (await readJob(chain.client, { market, jobId: sub.jobId }))!;
    const { finalized } = await serve(0, sub.jobId, sub.workloadURI, sub.inputURI, job);
    assert.equal(finalized?.status, 'completed', 'one replica in redundant mode is accepted on its own');
    const r = await jobResult({ client: chain.client, market, jobId: sub.jobId });
    assert.equal(r.providerId, ids[0]);
  });

  it('a waiter with a wallet expires an unclaimed job and assigns an auction after its window, by itself', async () => {
    const { workload, input } = demoJob();
    const expiring = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, deadlineSeconds: MIN_RUN_TIME + 10 });
    await warp(MIN_RUN_TIME + 11);
    const actions: string[] = [];
    const expired = await waitForJob({ client: chain.client, wallet: chain.wallet(6), market, jobId: expiring.jobId, timeoutMs: 10_000, pollMs: 50, onAction: (a) => actions.push(a.action) });
    assert.equal(expired.status, 'expired');
    assert.deepEqual(actions, ['finalize']);
    assert.equal((await jobResult({ client: chain.client, market, jobId: expiring.jobId })).outputURI, null);

    const auction = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, bidWindow: 5, deadlineSeconds: 60 });
    await bid(ops[1]!, { market, jobId: auction.jobId, providerId: ids[1]!, pricePerUnit: M / 4n });
    await warp(6);
    const job = (await readJob(chain.client, { market, jobId: auction.jobId }))!;
    // The provider runs once it is assigned (by the waiter's `assign`).
    const provider = (async () => {
      for (;;) {
        const j = (await readJob(chain.client, { market, jobId: auction.jobId }))!;
        if (j.status === 'assigned') return serve(1, auction.jobId, auction.workloadURI, auction.inputURI, job, { bid: false });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    actions.length = 0;
    const done = await waitForJob({ client: chain.client, wallet: buyer, market, jobId: auction.jobId, timeoutMs: 15_000, pollMs: 50, onAction: (a) => actions.push(a.action) });
    await provider;
    assert.equal(done.status, 'completed');
    assert.deepEqual(actions, ['assign']);
  });

  it('pokeJob calls what is due once: a second keeper with a stale view lost the race, a fresh view has nothing to do', async () => {
    const { workload, input } = demoJob();
    const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, deadlineSeconds: MIN_RUN_TIME + 10 });
    await warp(MIN_RUN_TIME + 11);
    const stale = (await readJob(chain.client, { market, jobId }))!;
    const cfg = await readConfig(chain.client, { market });
    const first = await pokeJob(chain.wallet(6), { market, job: stale, cfg });
    assert.equal(first?.action, 'finalize');
    assert.equal(first?.status, 'expired');
    assert.ok(first?.txHash);
    assert.deepEqual(await pokeJob(chain.wallet(6), { market, job: stale, cfg }), { action: 'finalize', raced: 'WrongStatus' });
    assert.equal(await pokeJob(chain.wallet(6), { market, job: (await readJob(chain.client, { market, jobId }))!, cfg }), null);
    assert.ok(KEEPER_RACE_ERRORS.includes('DeadlinePassed'));
    assert.ok(KEEPER_RACE_ERRORS.includes('NoTimeToRun'));
  });

  it('concurrent posts from one wallet each take their own escrow (the approval and the post stay together)', async () => {
    const w = chain.wallet(9);
    await faucet(chain.client, w, { token, to: w.account.address, amount: 100n * M });
    const { workload, input } = demoJob();
    const posts = await Promise.all(
      [1, 2, 3, 4].map((units) => submitJob({ wallet: w, client: chain.client, market, token, workload, input, units, maxPricePerUnit: M, deadlineSeconds: 120 })),
    );
    assert.equal(new Set(posts.map((p) => p.jobId)).size, 4);
    for (const p of posts) assert.equal((await readJob(chain.client, { market, jobId: p.jobId }))!.escrow, p.escrow);
    assert.deepEqual(posts.map((p) => p.escrow).sort(), [1n * M, 2n * M, 3n * M, 4n * M].sort());
  });

  it('times out with JOB_TIMEOUT naming the status, and reports an unknown job', async () => {
    const { workload, input } = demoJob();
    const { jobId } = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input });
    await assert.rejects(waitForJob({ client: chain.client, market, jobId, timeoutMs: 200, pollMs: 50 }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'JOB_TIMEOUT');
      assert.match((err as Error).message, new RegExp(`job ${jobId} is still open after 200 ms`));
      return true;
    });
    await assert.rejects(waitForJob({ client: chain.client, market, jobId: 9_999n, timeoutMs: 200 }), /job 9999 not found/);
  });

  it('an agent account submits the demo job through its key, inside its policy', async () => {
    const owner = chain.wallet(7);
    const key = chain.wallet(8);
    const { agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://buyer.example/agent.json' });
    const { account } = await createAgentAccount(owner, { factory: chain.address('AgentAccountFactory'), agentId });
    await faucet(chain.client, owner, { token, to: account, amount: 10n * M });
    await setAgentKey(owner, {
      account,
      key: key.account.address,
      policy: {
        limits: [{ asset: token, perTx: 5n * M, windowCap: 10n * M, windowSeconds: 86_400 }],
        rules: [
          { target: token, selector: 'approve', conditions: [{ param: 0, op: 'eq', value: market }] },
          { target: market, selector: toFunctionSelector('postJob((bytes32,bytes32,string,string,(bytes32,uint32,bytes32),uint96,uint32,uint40,uint32,uint8,uint8,bool))') },
        ],
      },
    });
    const { workload, input } = demoJob();
    const sub = await submitJob({ wallet: key, client: chain.client, market, token, workload, input, agentAccount: account });
    const job = (await readJob(chain.client, { market, jobId: sub.jobId }))!;
    assert.equal(job.poster, account);
    assert.equal(job.escrow, sub.escrow);
    await assert.rejects(submitJob({ wallet: key, client: chain.client, market, token, workload, input, agentAccount: account, maxPricePerUnit: 6n * M }), /cap/i);
  });

  /** A provider daemon of its own device kind (so it takes only the jobs posted for it). */
  async function startDaemon(account: number, deviceKind: string, cheatRate = 0): Promise<{ daemon: ProviderDaemon; providerId: bigint; events: ProviderEvent[] }> {
    const wallet = chain.wallet(account);
    const setup = await ensureProvider(chain.client, wallet, {
      market,
      token,
      identityRegistry: chain.address('IdentityRegistry'),
      resources: { deviceKind, region: '', deviceCount: 2, memoryMB: 1024, pricePerUnit: M / 4n },
      useFaucet: true,
    });
    const events: ProviderEvent[] = [];
    const daemon = await startProviderDaemon({
      client: chain.client,
      wallet,
      market,
      token,
      providerId: setup.providerId,
      pricePerUnit: M / 4n,
      cheatRate,
      pollMs: 50,
      validationRegistry: chain.address('ValidationRegistry'),
      onEvent: (e) => events.push(e),
    });
    stops.push(daemon.stop);
    return { daemon, providerId: setup.providerId, events };
  }

  it('waitForJob verify: the poster re-runs an honest optimistic result and accepts it before the challenge window ends', async () => {
    const honest = await startDaemon(1, 'vpu');
    const { workload, input, units } = demoJob();
    const sub = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, mode: 'optimistic', replicas: 1, deadlineSeconds: 120, needs: { deviceKind: 'vpu', minMemoryMB: 0 } });
    const checks: BuyerVerification[] = [];
    const done = await waitForJob({ client: chain.client, wallet: buyer, market, jobId: sub.jobId, timeoutMs: 60_000, pollMs: 50, verify: { workload, input, token }, onVerify: (v) => checks.push(v) });
    assert.equal(done.status, 'completed');
    assert.equal(done.assignments[0]!.providerId, honest.providerId);
    assert.equal(done.assignments[0]!.paid, true);
    assert.equal(checks.length, 1);
    assert.equal(checks[0]!.action, 'accepted');
    assert.equal(checks[0]!.agrees, true);
    assert.equal(checks[0]!.expected, done.acceptedDigest);
    // Accepted, not finalized at the end of the window: the accepting transaction settled it, inside the window.
    const receipt = await chain.client.getTransactionReceipt({ hash: checks[0]!.txHash });
    const block = await chain.client.getBlock({ blockNumber: receipt.blockNumber });
    assert.ok(Number(block.timestamp) < done.challengeEndsAt, `accepted at ${block.timestamp}, the window ends at ${done.challengeEndsAt}`);
    await honest.daemon.stop();
  });

  it('waitForJob verify: a cheating provider is challenged by the poster, the arbiter upholds it, the cheater is slashed', async () => {
    const cheater = await startDaemon(2, 'npu', 1);
    // The devnet's arbiter is account 0 (the deployer): it re-executes and answers the market's validation requests.
    const arbiterEvents: ProviderEvent[] = [];
    const arbiter = startArbiter({ client: chain.client, wallet: chain.wallet(0), market, validationRegistry: chain.address('ValidationRegistry'), pollMs: 50, onEvent: (e) => arbiterEvents.push(e) });
    stops.push(arbiter.stop);
    const { workload, input, units } = demoJob();
    const stakeBefore = (await readProvider(chain.client, { market, providerId: cheater.providerId }))!.stake;
    const creditBefore = await readCredit(chain.client, { market, account: buyer.account.address });
    const cfg = await readConfig(chain.client, { market });
    const sub = await submitJob({ wallet: buyer, client: chain.client, market, token, workload, input, units, mode: 'optimistic', replicas: 1, deadlineSeconds: 120, needs: { deviceKind: 'npu', minMemoryMB: 0 } });
    const checks: BuyerVerification[] = [];
    const done = await waitForJob({ client: chain.client, wallet: buyer, market, jobId: sub.jobId, timeoutMs: 90_000, pollMs: 50, verify: { workload, input, token }, onVerify: (v) => checks.push(v) });
    assert.equal(checks.length, 1);
    assert.equal(checks[0]!.action, 'challenged');
    assert.equal(checks[0]!.agrees, false);
    assert.equal(done.status, 'failed', 'an upheld challenge fails the job and refunds the buyer');
    assert.equal(done.assignments[0]!.providerId, cheater.providerId);
    assert.equal(done.assignments[0]!.slashed, true);
    const c = (await readChallenge(chain.client, { market, jobId: sub.jobId }))!;
    assert.equal(c.challenger, buyer.account.address);
    assert.equal(c.claimedDigest, checks[0]!.expected);
    assert.deepEqual([c.resolved, c.upheld], [true, true]);
    const answered = arbiterEvents.find((e): e is Extract<ProviderEvent, { type: 'answered' }> => e.type === 'answered' && e.jobId === sub.jobId);
    assert.equal(answered?.response, 0, 'the arbiter re-executed and found the committed digest wrong');
    assert.equal((await readProvider(chain.client, { market, providerId: cheater.providerId }))!.stake, stakeBefore - cfg.slashAmount);
    // The escrow back, the bond back, and a share of the slash.
    assert.ok((await readCredit(chain.client, { market, account: buyer.account.address })) > creditBefore + sub.escrow + cfg.challengeBond);
    await cheater.daemon.stop();
  });
});
