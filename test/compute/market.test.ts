// The compute market's typed actions against the deployed protocol on a real devnet: providers register, stake and
// heartbeat; jobs are posted from an EOA and from an agent account's policy-checked batch; bids with no window are
// assigned at once; agreeing replicas are paid and withdraw; a minority is slashed; an auction is assigned after
// its window (and a short auction reopens first come); an optimistic result is challenged and the arbiter upholds
// it, or accepted early by its poster; a challenge without a quorum pays the provider; an unclaimed or partly filled
// job expires and is refunded without slashing; bad input is refused before any transaction, and reverts read as
// sentences.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, erc20Abi, keccak256, parseEventLogs, stringToHex, toFunctionSelector, type Address, type Hex } from 'viem';
import { computeMarketAbi } from '../../src/chain/artifacts/index.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import {
  accept,
  acceptResult,
  assignJob,
  bid,
  cancelJob,
  challenge,
  chainNow,
  commitResult,
  decodeLabel,
  ensureAllowance,
  encodeLabel,
  finalizeJob,
  heartbeat,
  jobDue,
  jobIdsFromReceipt,
  MIN_RUN_TIME,
  offer,
  postJob,
  postJobCalls,
  readArbiters,
  readBids,
  readChallenge,
  readConfig,
  readCredit,
  readJob,
  readProvider,
  registerProvider,
  requestUnstake,
  resolveChallenge,
  stakeProvider,
  updateResources,
  validateJobSpec,
  withdrawCredit,
  withdrawStake,
  type JobSpecInput,
  type MarketConfig,
  type ResourcesInput,
} from '../../src/compute/market.ts';
import { ComputeRevertError, InvalidComputeInputError } from '../../src/compute/errors.ts';
import { formatError } from '../../src/errors/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { respondToValidation } from '../../src/identity/actions/validation.ts';
import { faucet, tokenBalance } from '../../src/pay/token.ts';
import { createAgentAccount, executeAsAgent, setAgentKey } from '../../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

const M = 1_000_000n; // 1 mUSD
const digestOf = (s: string): Hex => keccak256(stringToHex(s));
const cpu = (pricePerUnit: bigint): ResourcesInput => ({ deviceKind: 'cpu', region: 'eu-west', deviceCount: 4, memoryMB: 4096, pricePerUnit });

describe('compute market actions', () => {
  let chain: TestChain;
  let market: Address;
  let token: Address;
  let cfg: MarketConfig;
  let buyer: MachinaWalletClient;
  const ops: MachinaWalletClient[] = []; // provider operators (devnet accounts 1..3)
  const ids: bigint[] = []; // their provider ids (= ERC-8004 agent ids)

  const warp = async (seconds: number) => {
    await chain.client.request({ method: 'evm_increaseTime', params: [seconds] } as never);
    await chain.client.request({ method: 'evm_mine', params: [] } as never);
  };
  const nonceOf = (w: MachinaWalletClient) => chain.client.getTransactionCount({ address: w.account.address });
  const specFor = async (over: Partial<JobSpecInput> = {}): Promise<JobSpecInput> => ({
    workloadDigest: digestOf('workload'),
    inputDigest: digestOf('input'),
    workloadURI: 'data:application/octet-stream;base64,AA==',
    inputURI: 'data:application/octet-stream;base64,AQ==',
    needs: { deviceKind: 'cpu', minMemoryMB: 1024 },
    maxPricePerUnit: 2n * M,
    units: 3,
    deadline: (await chainNow(chain.client)) + 120,
    bidWindow: 0,
    replicas: 3,
    mode: 'redundant',
    ...over,
  });

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    token = chain.address('SettlementToken');
    cfg = await readConfig(chain.client, { market });
    buyer = chain.wallet(4);
    await faucet(chain.client, buyer, { token, to: buyer.account.address, amount: 1_000n * M });
    for (let i = 1; i <= 3; i++) {
      const w = chain.wallet(i);
      ops.push(w);
      await faucet(chain.client, w, { token, to: w.account.address, amount: 1_000n * M });
      const { agentId } = await registerAgent(chain.client, w, { identityRegistry: chain.address('IdentityRegistry'), agentURI: `https://provider-${i}.example/agent.json` });
      ids.push(agentId);
    }
  });
  after(async () => chain?.stop());

  it('labels: ASCII up to 32 bytes round-trip; longer or non-ASCII text is refused naming the field', () => {
    assert.equal(decodeLabel(encodeLabel('gpu-a100')), 'gpu-a100');
    assert.equal(decodeLabel(encodeLabel('region-10')), 'region-10');
    assert.equal(encodeLabel(''), `0x${'0'.repeat(64)}`);
    assert.equal(decodeLabel(encodeLabel('x'.repeat(32))), 'x'.repeat(32));
    assert.throws(() => encodeLabel('x'.repeat(33), 'resources.region'), /resources\.region: must be at most 32 bytes \(got 33\)/);
    assert.throws(() => encodeLabel('grafikkarte-ü', 'needs.deviceKind'), /needs\.deviceKind: must be printable ASCII/);
  });

  it('registers providers, stakes (approving first), heartbeats and reads them back', async () => {
    for (let i = 0; i < 3; i++) {
      const { providerId } = await registerProvider(ops[i]!, { market, agentId: ids[i]!, resources: cpu(M + BigInt(i) * 100_000n) });
      assert.equal(providerId, ids[i]);
      const { stake } = await stakeProvider(ops[i]!, { market, token, providerId, amount: 300n * M });
      assert.equal(stake, 300n * M);
      await heartbeat(ops[i]!, { market, providerId });
    }
    const p = await readProvider(chain.client, { market, providerId: ids[0]! });
    assert.ok(p);
    assert.equal(p.operator, ops[0]!.account.address);
    assert.equal(p.stake, 300n * M);
    assert.equal(p.locked, 0n);
    assert.equal(p.live, true);
    assert.deepEqual(p.resources, cpu(M));
    assert.equal(await readProvider(chain.client, { market, providerId: 999n }), null);

    await updateResources(ops[0]!, { market, providerId: ids[0]!, resources: { ...cpu(M), region: 'eu-central' } });
    assert.equal((await readProvider(chain.client, { market, providerId: ids[0]! }))!.resources.region, 'eu-central');

    // A second registration of the same agent reverts, and the message says why in words.
    await assert.rejects(registerProvider(ops[0]!, { market, agentId: ids[0]!, resources: cpu(M) }), (err: unknown) => {
      assert.ok(err instanceof ComputeRevertError);
      assert.equal(err.errorName, 'ProviderExists');
      assert.equal(formatError(err), `register reverted: provider ${ids[0]} is already registered (ProviderExists)`);
      return true;
    });
    // Someone else's agent: not its owner.
    await assert.rejects(registerProvider(buyer, { market, agentId: ids[1]!, resources: cpu(M) }), /neither owns nor operates agent .* \(NotAgentOwner\)/);
    assert.deepEqual(await readArbiters(chain.client, { market }), [chain.wallet(0).account.address]);
  });

  it('refuses bad input before any transaction, naming the field and the reason', async () => {
    const before = await nonceOf(buyer);
    const opBefore = await nonceOf(ops[0]!);
    const now = await chainNow(chain.client);
    const cases: Array<[Partial<JobSpecInput>, RegExp]> = [
      [{ replicas: 0 }, /^spec\.replicas: must be an integer 1-5 \(got 0\)$/],
      [{ replicas: 6 }, /^spec\.replicas: must be an integer 1-5 \(got 6\)$/],
      [{ mode: 'optimistic', replicas: 2 }, /^spec\.replicas: must be 1 in optimistic mode \(got 2\)$/],
      [{ mode: 'optimistic', replicas: 3 }, /^spec\.replicas: must be 1 in optimistic mode \(got 3\)$/],
      [{ replicas: 2 }, /^spec\.replicas: must be odd \(1, 3 or 5\) so a majority always decides \(got 2\)$/],
      [{ replicas: 4 }, /^spec\.replicas: must be odd \(1, 3 or 5\) so a majority always decides \(got 4\)$/],
      [{ replicas: 3, direct: true }, /^spec\.replicas: must be 1 for a direct job/],
      [{ mode: 'majority' as never }, /^spec\.mode: must be redundant or optimistic/],
      [{ deadline: now - 10 }, /^spec\.deadline: must leave providers at least 30 s to run the job/],
      [{ deadline: now + MIN_RUN_TIME - 1 }, /^spec\.deadline: must leave providers at least 30 s to run the job/],
      [{ bidWindow: 500 }, /^spec\.bidWindow: must close at least 30 s before the deadline/],
      [{ units: 0 }, /^spec\.units: must be an integer 1-4294967295 \(got 0\)$/],
      [{ units: 1.5 }, /^spec\.units: must be an integer/],
      [{ maxPricePerUnit: 0n }, /^spec\.maxPricePerUnit: must be greater than zero$/],
      [{ maxPricePerUnit: 1n << 96n }, /^spec\.maxPricePerUnit: must be at most/],
      [{ maxPricePerUnit: 1n << 90n, units: 100 }, /^spec\.maxPricePerUnit: escrow .* does not fit in 96 bits$/],
      [{ workloadDigest: `0x${'0'.repeat(64)}` }, /^spec\.workloadDigest: must not be zero$/],
      [{ inputDigest: '0x1234' }, /^spec\.inputDigest: must be a 0x-prefixed 32-byte hex digest/],
      [{ workloadURI: '' }, /^spec\.workloadURI: must be a non-empty URI/],
      [{ needs: { deviceKind: '', minMemoryMB: 0 } }, /^spec\.needs\.deviceKind: must not be empty$/],
      [{ needs: { deviceKind: 'cpu', minMemoryMB: 0, region: 'r'.repeat(33) } }, /^spec\.needs\.region: must be at most 32 bytes \(got 33\)$/],
      [{ needs: { deviceKind: 'Γ-cpu', minMemoryMB: 0 } }, /^spec\.needs\.deviceKind: must be printable ASCII/],
      [{ needs: { deviceKind: 'cpu', minMemoryMB: -1 } }, /^spec\.needs\.minMemoryMB: must be an integer/],
    ];
    for (const [over, re] of cases) {
      const spec = await specFor(over);
      assert.throws(() => validateJobSpec(spec, now), (err: unknown) => err instanceof InvalidComputeInputError && re.test(err.message), `validateJobSpec ${JSON.stringify(over, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
      await assert.rejects(postJob(buyer, { market, token, spec }), (err: unknown) => err instanceof InvalidComputeInputError && re.test(err.message));
    }
    assert.throws(() => postJobCalls({ market, token, spec: { workloadDigest: digestOf('w') } as JobSpecInput }), /spec\.inputDigest/);
    await assert.rejects(postJob(buyer, { market: '0x1234' as Address, token, spec: await specFor() }), /market: must be a 20-byte hex address/);
    // Provider-side inputs.
    await assert.rejects(registerProvider(ops[0]!, { market, agentId: ids[0]!, resources: { ...cpu(M), deviceCount: 0 } }), /resources\.deviceCount: must be an integer 1-/);
    await assert.rejects(registerProvider(ops[0]!, { market, agentId: ids[0]!, resources: { ...cpu(M), deviceKind: 'ünicode' } }), /resources\.deviceKind: must be printable ASCII/);
    await assert.rejects(registerProvider(ops[0]!, { market, agentId: ids[0]!, resources: { ...cpu(M), pricePerUnit: 0n } }), /resources\.pricePerUnit: must be greater than zero$/);
    await assert.rejects(registerProvider(ops[0]!, { market, agentId: 0n, resources: cpu(M) }), /agentId: must be a positive bigint id/);
    await assert.rejects(bid(buyer, { market, jobId: 1n, providerId: ids[0]!, pricePerUnit: 0n }), /pricePerUnit: must be greater than zero$/);
    await assert.rejects(stakeProvider(buyer, { market, token, providerId: ids[0]!, amount: 0n }), /amount: must be greater than zero$/);
    await assert.rejects(commitResult(buyer, { market, jobId: 1n, providerId: ids[0]!, outputDigest: `0x${'0'.repeat(64)}`, outputURI: '' }), /outputDigest: must not be zero$/);
    await assert.rejects(challenge(buyer, { market, token, jobId: 1n, claimedDigest: '0xzz' as Hex }), /claimedDigest: must be a 0x-prefixed 32-byte hex digest/);
    assert.equal(await nonceOf(buyer), before, 'no transaction was sent');
    assert.equal(await nonceOf(ops[0]!), opBefore, 'no transaction was sent');
  });

  let paidJob: bigint;
  it('redundant, 3 replicas, no bid window: bids are assigned at once; no commit before every slot is filled; agreeing commits complete and pay; credits withdraw', async () => {
    const spec = await specFor();
    const balanceBefore = await tokenBalance(chain.client, { token, owner: buyer.account.address });
    const { jobId, escrow } = await postJob(buyer, { market, token, spec });
    paidJob = jobId;
    assert.equal(escrow, 2n * M * 3n * 3n);
    assert.equal(await tokenBalance(chain.client, { token, owner: buyer.account.address }), balanceBefore - escrow);
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'open');
    assert.equal(job.poster, buyer.account.address);
    assert.deepEqual(job.needs, { deviceKind: 'cpu', minMemoryMB: 1024, region: '' });

    assert.equal((await bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M })).slot, 0);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'open', 'one of three slots filled');
    assert.equal((await bid(ops[1]!, { market, jobId, providerId: ids[1]!, pricePerUnit: (3n * M) / 2n })).slot, 1);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'open', 'two of three slots filled');
    const out = digestOf('output');
    // A replica commits only once the verification set is complete (an early digest would leak to the others).
    await assert.rejects(commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: out, outputURI: 'u' }), /job \d+ is open \(WrongStatus\)/);
    assert.equal((await bid(ops[2]!, { market, jobId, providerId: ids[2]!, pricePerUnit: 2n * M })).slot, 2);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'assigned');
    assert.deepEqual(job.assignments.map((a) => a.providerId), [ids[0], ids[1], ids[2]]);
    assert.equal((await readProvider(chain.client, { market, providerId: ids[0]! }))!.locked, cfg.slashAmount);

    assert.equal((await commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: out, outputURI: 'https://p1.example/out' })).finalized, null);
    assert.equal((await commitResult(ops[1]!, { market, jobId, providerId: ids[1]!, outputDigest: out, outputURI: 'https://p2.example/out' })).finalized, null);
    const { finalized } = await commitResult(ops[2]!, { market, jobId, providerId: ids[2]!, outputDigest: out, outputURI: 'https://p3.example/out' });
    assert.ok(finalized);
    assert.equal(finalized.status, 'completed');
    assert.equal(finalized.acceptedDigest, out);
    const paid = M * 3n + ((3n * M) / 2n) * 3n + 2n * M * 3n;
    assert.equal(finalized.refund, escrow - paid);

    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'completed');
    assert.equal(job.acceptedDigest, out);
    assert.deepEqual(job.assignments.map((a) => [a.paid, a.slashed, a.outputDigest]), [[true, false, out], [true, false, out], [true, false, out]]);
    assert.equal(await readCredit(chain.client, { market, account: ops[0]!.account.address }), 3n * M);
    assert.equal(await readCredit(chain.client, { market, account: buyer.account.address }), escrow - paid);

    const opBefore = await tokenBalance(chain.client, { token, owner: ops[0]!.account.address });
    const { amount } = await withdrawCredit(ops[0]!, { market });
    assert.equal(amount, 3n * M);
    assert.equal(await tokenBalance(chain.client, { token, owner: ops[0]!.account.address }), opBefore + 3n * M);
    assert.equal(await readCredit(chain.client, { market, account: ops[0]!.account.address }), 0n);
    await assert.rejects(withdrawCredit(ops[0]!, { market }), /has no credit to withdraw \(NothingToWithdraw\)/);
    const p = (await readProvider(chain.client, { market, providerId: ids[0]! }))!;
    assert.equal(p.completed, 1);
    assert.equal(p.locked, 0n);
    assert.ok(p.reputation > 0);

    // A settled job reads as a sentence when poked again.
    await assert.rejects(cancelJob(buyer, { market, jobId }), (err: unknown) => {
      assert.ok(err instanceof ComputeRevertError);
      assert.equal(err.message, `cancel reverted: job ${jobId} is completed (WrongStatus)`);
      return true;
    });
    await assert.rejects(finalizeJob(buyer, { market, jobId }), /finalize reverted: job \d+ is completed \(WrongStatus\)/);
  });

  it('3 replicas: the minority digest is slashed, the majority paid', async () => {
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 3, units: 1 }) });
    for (let i = 0; i < 3; i++) await bid(ops[i]!, { market, jobId, providerId: ids[i]!, pricePerUnit: M });
    const before = (await readProvider(chain.client, { market, providerId: ids[2]! }))!;
    const good = digestOf('good');
    await commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: good, outputURI: 'u0' });
    await commitResult(ops[2]!, { market, jobId, providerId: ids[2]!, outputDigest: digestOf('cheat'), outputURI: 'u2' });
    const { finalized } = await commitResult(ops[1]!, { market, jobId, providerId: ids[1]!, outputDigest: good, outputURI: 'u1' });
    assert.equal(finalized?.status, 'completed');
    assert.equal(finalized?.acceptedDigest, good);
    const job = (await readJob(chain.client, { market, jobId }))!;
    assert.deepEqual(job.assignments.map((a) => [a.paid, a.slashed]), [[true, false], [true, false], [false, true]]);
    const after = (await readProvider(chain.client, { market, providerId: ids[2]! }))!;
    assert.equal(after.slashes, before.slashes + 1);
    assert.equal(after.stake, before.stake - cfg.slashAmount);
    assert.equal(after.locked, 0n);
    assert.ok(after.reputation < 100);
  });

  it('an auction with a bid window is assigned after it closes (jobDue says when)', async () => {
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1, bidWindow: 5 }) });
    assert.equal((await bid(ops[1]!, { market, jobId, providerId: ids[1]!, pricePerUnit: 2n * M })).slot, null);
    await bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M });
    const bids = await readBids(chain.client, { market, jobId });
    assert.deepEqual(bids.map((b) => b.providerId), [ids[0], ids[1]], 'best score first');
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.bids, 2);
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), null);
    await assert.rejects(assignJob(buyer, { market, jobId }), /bid window of job \d+ is open until \d+ \(BidWindowOpen\)/);
    await warp(6);
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), 'assign');
    // A slot is taken only with MIN_RUN_TIME left (else NoTimeToRun): after that only the expiry is due.
    assert.equal(jobDue(job, job.deadline - MIN_RUN_TIME, cfg), 'assign');
    assert.equal(jobDue(job, job.deadline - MIN_RUN_TIME + 1, cfg), null);
    assert.equal(jobDue(job, job.deadline, cfg), 'finalize');
    const { assigned } = await assignJob(buyer, { market, jobId });
    assert.deepEqual(assigned, [{ providerId: ids[0], slot: 0, pricePerUnit: M }]);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'assigned');
    const out = digestOf('auction');
    assert.equal((await commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: out, outputURI: 'u' })).finalized?.status, 'completed');
  });

  it('an auction short of bids: assign takes the bids it has and reopens first-come bidding for the rest', async () => {
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 3, units: 1, bidWindow: 5 }) });
    assert.equal((await bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M })).slot, null);
    await warp(6);
    const { assigned, txHash } = await assignJob(chain.wallet(6), { market, jobId });
    assert.deepEqual(assigned, [{ providerId: ids[0], slot: 0, pricePerUnit: M }]);
    const closed = parseEventLogs({ abi: computeMarketAbi, logs: (await chain.client.getTransactionReceipt({ hash: txHash })).logs, eventName: 'AuctionClosed' });
    assert.equal(closed.length, 1);
    assert.deepEqual([closed[0]!.args.jobId, closed[0]!.args.assigned, closed[0]!.args.slotsLeft], [jobId, 1, 2]);
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'open');
    assert.equal(job.bidWindow, 0, 'the auction is closed: the slots left go first come');
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), null, 'nothing for a keeper to do until the deadline');
    // Nothing would change now: NotEnoughBids.
    await assert.rejects(assignJob(chain.wallet(6), { market, jobId }), /NotEnoughBids/);
    assert.equal((await bid(ops[1]!, { market, jobId, providerId: ids[1]!, pricePerUnit: M })).slot, 1);
    assert.equal((await bid(ops[2]!, { market, jobId, providerId: ids[2]!, pricePerUnit: M })).slot, 2);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'assigned');
    const out = digestOf('reopened');
    for (let i = 0; i < 3; i++) await commitResult(ops[i]!, { market, jobId, providerId: ids[i]!, outputDigest: out, outputURI: 'u' });
    assert.equal((await readJob(chain.client, { market, jobId }))!.status, 'completed');
  });

  it('a direct job: the poster offers, the provider accepts', async () => {
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1, direct: true }) });
    await offer(buyer, { market, jobId, providerId: ids[1]!, pricePerUnit: M });
    // An offer cannot be lowered under a pending accept; repeating it at the same price (or higher) is fine.
    await assert.rejects(offer(buyer, { market, jobId, providerId: ids[1]!, pricePerUnit: M - 1n }), (err: unknown) => {
      assert.ok(err instanceof ComputeRevertError);
      assert.equal(err.errorName, 'OfferLowered');
      return true;
    });
    await offer(buyer, { market, jobId, providerId: ids[1]!, pricePerUnit: M });
    assert.equal((await accept(ops[1]!, { market, jobId, providerId: ids[1]! })).slot, 0);
    await assert.rejects(bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M }), /job \d+ is a direct job, not an auction \(NotAuction\)/);
    const { finalized } = await commitResult(ops[1]!, { market, jobId, providerId: ids[1]!, outputDigest: digestOf('direct'), outputURI: 'u' });
    assert.equal(finalized?.status, 'completed');
  });

  it('optimistic: a wrong result is challenged, the arbiter upholds it, the provider is slashed', async () => {
    const challenger = chain.wallet(5);
    await faucet(chain.client, challenger, { token, to: challenger.account.address, amount: 100n * M });
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1, mode: 'optimistic' }) });
    await bid(ops[2]!, { market, jobId, providerId: ids[2]!, pricePerUnit: M });
    // The devnet's challenge window is 10 s: approve the bond beforehand so the challenge is one transaction.
    await ensureAllowance(challenger, { token, spender: market, amount: cfg.challengeBond });
    await commitResult(ops[2]!, { market, jobId, providerId: ids[2]!, outputDigest: digestOf('wrong'), outputURI: 'u' });
    const { requestHashes, resolveBy } = await challenge(challenger, { market, token, jobId, claimedDigest: digestOf('right') });
    assert.equal(requestHashes.length, 1);
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.ok(job.challengeEndsAt > 0);
    assert.equal(jobDue({ ...job, status: 'assigned' }, job.challengeEndsAt - 1, cfg), null);
    assert.equal(jobDue({ ...job, status: 'assigned' }, job.challengeEndsAt, cfg), 'finalize');
    await assert.rejects(challenge(challenger, { market, token, jobId, claimedDigest: digestOf('other') }), /job \d+ is challenged \(WrongStatus\)/);
    assert.equal(job.status, 'challenged');
    const c = (await readChallenge(chain.client, { market, jobId }))!;
    assert.equal(c.challenger, challenger.account.address);
    assert.deepEqual(c.requestHashes, requestHashes, 'the salted request hashes of ChallengeOpened are the stored ones');
    assert.equal(jobDue(job, resolveBy, cfg, c), null);
    assert.equal(jobDue(job, resolveBy + 1, cfg, c), 'resolve');
    await assert.rejects(resolveChallenge(buyer, { market, jobId }), /ChallengeNotResolvable/);

    // The arbiter (the deployer on the devnet) re-executed and says the provider's digest is wrong.
    await respondToValidation(chain.client, chain.wallet(0), { validationRegistry: chain.address('ValidationRegistry'), requestHash: requestHashes[0]!, response: 0 });
    const before = (await readProvider(chain.client, { market, providerId: ids[2]! }))!;
    const { upheld } = await resolveChallenge(buyer, { market, jobId });
    assert.equal(upheld, true);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'failed');
    const after = (await readProvider(chain.client, { market, providerId: ids[2]! }))!;
    assert.equal(after.stake, before.stake - cfg.slashAmount);
    assert.ok((await readCredit(chain.client, { market, account: challenger.account.address })) > cfg.challengeBond, 'bond back plus a reward');
  });

  it('acceptResult: the poster accepts an optimistic result before the window ends (paid at once); anyone else is refused', async () => {
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1, mode: 'optimistic', units: 2 }) });
    await bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M });
    await assert.rejects(acceptResult(buyer, { market, jobId }), /NoResultToAccept/, 'nothing committed yet');
    const out = digestOf('optimistic-ok');
    await commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: out, outputURI: 'u' });
    await assert.rejects(acceptResult(ops[1]!, { market, jobId }), (err: unknown) => {
      assert.ok(err instanceof ComputeRevertError);
      assert.equal(err.errorName, 'NotPoster');
      assert.match(err.message, /did not post job/);
      return true;
    });
    const creditBefore = await readCredit(chain.client, { market, account: ops[0]!.account.address });
    const r = await acceptResult(buyer, { market, jobId });
    assert.equal(r.status, 'completed');
    assert.equal(r.acceptedDigest, out);
    const logs = (await chain.client.getTransactionReceipt({ hash: r.txHash })).logs;
    assert.equal(parseEventLogs({ abi: computeMarketAbi, logs, eventName: 'ResultAccepted' })[0]?.args.poster, buyer.account.address);
    const job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.status, 'completed', 'completed without waiting for the challenge window');
    assert.deepEqual(job.assignments.map((a) => [a.paid, a.slashed]), [[true, false]]);
    assert.equal(await readCredit(chain.client, { market, account: ops[0]!.account.address }), creditBefore + 2n * M);
    assert.equal((await readProvider(chain.client, { market, providerId: ids[0]! }))!.locked, 0n);
    await assert.rejects(acceptResult(buyer, { market, jobId }), /is completed \(WrongStatus\)/);
  });

  it('a challenge without a quorum of answers by resolveBy: the challenger gets the bond back and the provider is paid', async () => {
    const challenger = chain.wallet(5);
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1, mode: 'optimistic', units: 1 }) });
    await bid(ops[1]!, { market, jobId, providerId: ids[1]!, pricePerUnit: M });
    await ensureAllowance(challenger, { token, spender: market, amount: cfg.challengeBond });
    await commitResult(ops[1]!, { market, jobId, providerId: ids[1]!, outputDigest: digestOf('fine'), outputURI: 'u' });
    const creditBefore = await readCredit(chain.client, { market, account: challenger.account.address });
    const { resolveBy } = await challenge(challenger, { market, token, jobId, claimedDigest: digestOf('disputed') });
    const before = (await readProvider(chain.client, { market, providerId: ids[1]! }))!;
    await warp(Math.max(1, resolveBy - (await chainNow(chain.client)) + 1));
    const r = await resolveChallenge(buyer, { market, jobId });
    assert.equal(r.upheld, false);
    assert.equal(r.finalized?.status, 'completed');
    const noQuorum = parseEventLogs({ abi: computeMarketAbi, logs: (await chain.client.getTransactionReceipt({ hash: r.txHash })).logs, eventName: 'ChallengeNoQuorum' });
    assert.deepEqual([noQuorum[0]?.args.answered, noQuorum[0]?.args.asked], [0, 1]);
    assert.equal(await readCredit(chain.client, { market, account: challenger.account.address }), creditBefore + cfg.challengeBond, 'the bond back, no reward');
    const after = (await readProvider(chain.client, { market, providerId: ids[1]! }))!;
    assert.equal(after.stake, before.stake, 'not slashed');
    assert.equal(after.slashes, before.slashes);
    assert.deepEqual((await readJob(chain.client, { market, jobId }))!.assignments.map((a) => [a.paid, a.slashed]), [[true, false]]);
  });

  it('a partly filled job expires at its deadline: slots released unpaid and unslashed, the escrow refunded; no slot is taken without MIN_RUN_TIME left', async () => {
    const { jobId, escrow } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 3, units: 1, deadline: (await chainNow(chain.client)) + MIN_RUN_TIME + 20 }) });
    assert.equal((await bid(ops[0]!, { market, jobId, providerId: ids[0]!, pricePerUnit: M })).slot, 0);
    const before = (await readProvider(chain.client, { market, providerId: ids[0]! }))!;
    assert.equal(before.locked, cfg.slashAmount);
    await assert.rejects(commitResult(ops[0]!, { market, jobId, providerId: ids[0]!, outputDigest: digestOf('early'), outputURI: 'u' }), /is open \(WrongStatus\)/);
    await warp(25); // less than MIN_RUN_TIME left
    await assert.rejects(bid(ops[1]!, { market, jobId, providerId: ids[1]!, pricePerUnit: M }), (err: unknown) => {
      assert.ok(err instanceof ComputeRevertError);
      assert.equal(err.errorName, 'NoTimeToRun');
      return true;
    });
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), null);
    await assert.rejects(finalizeJob(buyer, { market, jobId }), /deadline not reached \(NotFinalizable\)/);
    await warp(30);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), 'finalize');
    const creditBefore = await readCredit(chain.client, { market, account: buyer.account.address });
    const f = await finalizeJob(chain.wallet(6), { market, jobId });
    assert.equal(f.status, 'expired');
    assert.equal(f.refund, escrow, 'the whole escrow back');
    assert.equal(await readCredit(chain.client, { market, account: buyer.account.address }), creditBefore + escrow);
    const logs = (await chain.client.getTransactionReceipt({ hash: f.txHash })).logs;
    assert.equal(parseEventLogs({ abi: computeMarketAbi, logs, eventName: 'Slashed' }).length, 0, 'nobody slashed');
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.deepEqual(job.assignments.map((a) => [a.paid, a.slashed]), [[false, false]]);
    const after = (await readProvider(chain.client, { market, providerId: ids[0]! }))!;
    assert.equal(after.stake, before.stake);
    assert.equal(after.slashes, before.slashes);
    assert.equal(after.locked, 0n, 'the slot released');
    assert.equal(after.activeJobs, before.activeJobs - 1);
  });

  it('an unclaimed job expires at its deadline and the escrow is credited back; an open one can be cancelled', async () => {
    const spec = await specFor({ replicas: 1, deadline: (await chainNow(chain.client)) + MIN_RUN_TIME + 10 });
    const { jobId, escrow } = await postJob(buyer, { market, token, spec });
    const creditBefore = await readCredit(chain.client, { market, account: buyer.account.address });
    let job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(jobDue(job, job.deadline - 1, cfg), null);
    await assert.rejects(finalizeJob(buyer, { market, jobId }), /cannot be finalized yet: deadline not reached \(NotFinalizable\)/);
    await warp(MIN_RUN_TIME + 11);
    job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(jobDue(job, await chainNow(chain.client), cfg), 'finalize');
    const f = await finalizeJob(chain.wallet(6), { market, jobId });
    assert.equal(f.status, 'expired');
    assert.equal(f.refund, escrow);
    assert.equal(await readCredit(chain.client, { market, account: buyer.account.address }), creditBefore + escrow);

    const { jobId: other, escrow: e2 } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1 }) });
    await assert.rejects(cancelJob(ops[0]!, { market, jobId: other }), /did not post job/);
    assert.equal((await cancelJob(buyer, { market, jobId: other })).refund, e2);
    assert.equal((await readJob(chain.client, { market, jobId: other }))!.status, 'cancelled');
    const { amount } = await withdrawCredit(buyer, { market });
    assert.equal(amount, creditBefore + escrow + e2);
    assert.equal(await readJob(chain.client, { market, jobId: 10_000n }), null);
  });

  it('an agent account posts a job as one policy-checked batch (approve + postJob)', async () => {
    const owner = chain.wallet(7);
    const key = chain.wallet(8);
    const { agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://buyer.example/agent.json' });
    const { account } = await createAgentAccount(owner, { factory: chain.address('AgentAccountFactory'), agentId });
    await faucet(chain.client, owner, { token, to: account, amount: 50n * M });
    await setAgentKey(owner, {
      account,
      key: key.account.address,
      policy: {
        limits: [{ asset: token, perTx: 20n * M, windowCap: 40n * M, windowSeconds: 86_400 }],
        rules: [
          { target: token, selector: 'approve', conditions: [{ param: 0, op: 'eq', value: market }] },
          { target: market, selector: toFunctionSelector('postJob((bytes32,bytes32,string,string,(bytes32,uint32,bytes32),uint96,uint32,uint40,uint32,uint8,uint8,bool))') },
        ],
      },
    });
    const spec = await specFor({ replicas: 1, units: 4, maxPricePerUnit: 2n * M }); // escrow 8 mUSD
    const calls = postJobCalls({ market, token, spec, now: await chainNow(chain.client) });
    assert.equal(calls.length, 2);
    assert.equal(calls[0]!.data, encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [market, 8n * M] }));
    const { executed, txHash } = await executeAsAgent(key, { account, calls });
    assert.equal(executed, true);
    const [jobId] = jobIdsFromReceipt(await chain.client.getTransactionReceipt({ hash: txHash }), market);
    assert.ok(jobId);
    const job = (await readJob(chain.client, { market, jobId }))!;
    assert.equal(job.poster, account);
    assert.equal(job.escrow, 8n * M);
    assert.equal(await tokenBalance(chain.client, { token, owner: account }), 42n * M);
    // Above the key's per-transaction cap: refused by the policy, nothing sent.
    const big = postJobCalls({ market, token, spec: await specFor({ replicas: 5, units: 3, maxPricePerUnit: 2n * M }), now: await chainNow(chain.client) });
    await assert.rejects(executeAsAgent(key, { account, calls: big }), /policy|cap/i);
  });

  it('unstakes after the cooldown and withdraws the whole stake', async () => {
    const op = ops[2]!;
    const providerId = ids[2]!;
    const { unstakeAt } = await requestUnstake(op, { market, providerId });
    assert.ok(unstakeAt > 0);
    await assert.rejects(withdrawStake(op, { market, providerId }), /unstaking cooldown ends at \d+ \(CooldownNotOver\)/);
    const { jobId } = await postJob(buyer, { market, token, spec: await specFor({ replicas: 1 }) });
    await assert.rejects(bid(op, { market, jobId, providerId, pricePerUnit: M }), /is unstaking and takes no new work \(ProviderUnstaking\)/);
    await warp(cfg.unstakeCooldown + 1);
    const stake = (await readProvider(chain.client, { market, providerId }))!.stake;
    const before = await tokenBalance(chain.client, { token, owner: op.account.address });
    const { amount } = await withdrawStake(op, { market, providerId });
    assert.equal(amount, stake);
    assert.equal(await tokenBalance(chain.client, { token, owner: op.account.address }), before + stake);
    assert.equal((await readProvider(chain.client, { market, providerId }))!.stake, 0n);
  });
});
