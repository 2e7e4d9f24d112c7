// The node's compute market on a real devnet: jobs posted and driven on chain through the library's
// actions show up in the API as they settle — redundant jobs paid to the majority and the minority
// slashed, an optimistic job finalized by the node's keeper once its challenge window passed, a
// challenge upheld by the arbiter's vote (the votes on the job), a cancelled job refunded; provider rows
// agree with the contract (stake, completed, slashes, reputation, locked); totals; filters and pages;
// a reorg takes an indexed job away; the blob store (PUT/GET, idempotent, size cap, unknown digests).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { erc20Abi, toHex, type Hex } from 'viem';
import { writeAndWait } from '../../src/chain/write.ts';
import { bid, cancelJob, chainNow, challenge, commitResult, readJob, readProvider } from '../../src/compute/market.ts';
import { respondToValidation } from '../../src/identity/actions/validation.ts';
import { faucet } from '../../src/pay/token.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { getJson, makeProvider, MUSD, postTestJob, randomDigest, sha256, startComputeNode, waitFor, type ComputeNode } from './fixtures/computeNode.ts';
import { databaseKinds } from './fixtures/stores.ts';

const kinds = await databaseKinds();
const fastKind = kinds.includes('postgres') ? 'postgres' : 'pglite';

describe('compute market in the node', () => {
  let chain: TestChain;
  let n: ComputeNode;
  let market: `0x${string}`;
  const P: Record<number, bigint> = {};
  // Providers' operators: devnet accounts 2, 3, 4; posters 5; challenger 6; the arbiter is the deployer (0).
  const op = (i: number) => chain.wallet(i);

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    n = await startComputeNode({ chain, kind: fastKind, maxBlobBytes: 1024, blobQuotaBytes: 16 * 1024 });
    for (const i of [2, 3, 4]) P[i] = await makeProvider(chain, i);
  });
  after(async () => {
    await n?.stop();
    await chain?.stop();
  });

  const jobAt = async (jobId: bigint, done: (j: any) => boolean, what = `job ${jobId}`) =>
    waitFor(what, async () => {
      const r = await getJson(n.url, `/v1/compute/jobs/${jobId}`);
      return r.status === 200 && done(r.body) ? r.body : undefined;
    });

  it('redundant: the majority is paid, the minority slashed for a wrong result', async () => {
    const { jobId, escrow } = await postTestJob(chain, 5, { replicas: 3, units: 10 });
    for (const i of [2, 3, 4]) await bid(op(i), { market, jobId, providerId: P[i]!, pricePerUnit: 1_000n });
    const good = randomDigest();
    await commitResult(op(2), { market, jobId, providerId: P[2]!, outputDigest: good, outputURI: 'data:,good' });
    await commitResult(op(3), { market, jobId, providerId: P[3]!, outputDigest: good, outputURI: 'data:,good' });
    const { finalized } = await commitResult(op(4), { market, jobId, providerId: P[4]!, outputDigest: randomDigest(), outputURI: 'data:,bad' });
    assert.equal(finalized?.status, 'completed');

    const job = await jobAt(jobId, (j) => j.status === 'completed');
    assert.equal(job.mode, 'redundant');
    assert.equal(job.replicas, 3);
    assert.equal(job.acceptedDigest, good);
    assert.equal(job.initialEscrow, escrow.toString());
    assert.equal(job.escrow, '0');
    assert.equal(job.assignments.length, 3);
    const by = Object.fromEntries(job.assignments.map((a: any) => [a.providerId, a]));
    for (const i of [2, 3]) {
      assert.equal(by[P[i]!.toString()].paid, true);
      assert.equal(by[P[i]!.toString()].amount, (1_000n * 10n).toString());
      assert.equal(by[P[i]!.toString()].outputDigest, good);
      assert.equal(by[P[i]!.toString()].slashed, false);
    }
    assert.equal(by[P[4]!.toString()].paid, false);
    assert.equal(by[P[4]!.toString()].slashed, true);
    assert.equal(by[P[4]!.toString()].slashAmount, (50n * MUSD).toString());
    assert.equal(job.slashes.length, 1);
    assert.equal(job.slashes[0].reason, 'wrong-result');
    assert.equal(job.slashes[0].providerId, P[4]!.toString());
    // Escrow in = paid + refund (the slashed replica's share goes back to the poster).
    assert.equal(BigInt(job.refund) + 2n * 10_000n, escrow);
  });

  it('optimistic: the keeper finalizes the job once its challenge window has passed', async () => {
    const before = n.keeper!.stats().sent.finalize;
    const { jobId } = await postTestJob(chain, 5, { mode: 'optimistic' });
    await bid(op(2), { market, jobId, providerId: P[2]!, pricePerUnit: 900n });
    const out = randomDigest();
    await commitResult(op(2), { market, jobId, providerId: P[2]!, outputDigest: out, outputURI: 'data:,opt' });
    const assigned = await jobAt(jobId, (j) => j.assignments[0]?.outputDigest === out);
    assert.equal(assigned.status, 'assigned');
    // Nobody pokes it but the node's keeper (challenge window: 10 s on the devnet).
    const job = await jobAt(jobId, (j) => j.status === 'completed', 'the keeper to finalize');
    assert.equal(job.acceptedDigest, out);
    assert.equal(job.assignments[0].paid, true);
    assert.equal(job.assignments[0].amount, (900n * 10n).toString());
    assert.ok(n.keeper!.stats().sent.finalize > before, JSON.stringify(n.keeper!.stats()));
    assert.ok(n.logs.some((l) => l.includes(`finalize job ${jobId}`)), n.logs.join('\n'));
    // A second pass finds nothing to do for it: idempotent.
    await n.keeper!.runOnce();
    assert.equal((await readJob(chain.client, { market, jobId }))!.status, 'completed');
  });

  it('a challenge upheld by the arbiter and settled by the keeper: the provider is slashed, the votes are on the job', async () => {
    const { jobId } = await postTestJob(chain, 5, { mode: 'optimistic', deadlineIn: 900 });
    // The challenger's bond, funded and approved first: the challenge window is 10 s on the devnet.
    const token = chain.address('SettlementToken');
    await faucet(chain.client, op(6), { token, to: op(6).account.address, amount: 100n * MUSD });
    await writeAndWait(chain.client, op(6), { address: token, abi: erc20Abi, functionName: 'approve', args: [market, 100n * MUSD] });
    await bid(op(3), { market, jobId, providerId: P[3]!, pricePerUnit: 1_000n });
    const wrong = randomDigest();
    const right = randomDigest();
    // Block times pinned a little ahead, so a loaded machine cannot make the challenge miss its window.
    const t = (await chainNow(chain.client)) + 20;
    await chain.client.request({ method: 'evm_setNextBlockTimestamp', params: [toHex(t)] } as never);
    await commitResult(op(3), { market, jobId, providerId: P[3]!, outputDigest: wrong, outputURI: 'data:,wrong' });
    await chain.client.request({ method: 'evm_setNextBlockTimestamp', params: [toHex(t + 1)] } as never);
    await challenge(op(6), { market, token, jobId, claimedDigest: right });
    const challenged = await jobAt(jobId, (j) => j.status === 'challenged');
    assert.equal(challenged.challenge.claimedDigest, right);
    assert.equal(challenged.challenge.challenger, op(6).account.address);
    assert.equal(challenged.challenge.resolved, false);
    assert.ok(challenged.challenge.requestHashes.length >= 1);
    // The devnet's arbiter (the deployer) answers every request: the provider's result is wrong.
    for (const requestHash of challenged.challenge.requestHashes as Hex[]) {
      await respondToValidation(chain.client, op(0), { validationRegistry: chain.address('ValidationRegistry'), requestHash, response: 0, tag: 'compute' });
    }
    // Every arbiter answered: the node's keeper settles it without waiting for the resolution window.
    const resolved = n.keeper!.stats().sent.resolve;
    const job = await jobAt(jobId, (j) => j.status === 'failed' && j.challenge?.resolved, 'the keeper to resolve the challenge');
    assert.equal(n.keeper!.stats().sent.resolve, resolved + 1);
    assert.equal(job.challenge.upheld, true);
    assert.equal(job.challenge.votesForChallenger, challenged.challenge.requestHashes.length);
    assert.equal(job.challenge.votesForProvider, 0);
    assert.equal(job.challenge.votes.length, challenged.challenge.requestHashes.length);
    for (const v of job.challenge.votes) {
      assert.equal(v.response, 0);
      assert.equal(v.vote, 'challenger');
    }
    assert.equal(job.assignments[0].slashed, true);
    assert.equal(job.slashes[0].reason, 'challenge-upheld');
    assert.equal(job.slashes[0].beneficiary, op(6).account.address);
    assert.ok(BigInt(job.slashes[0].reward) > 0n);
    assert.equal(job.refund, job.initialEscrow);
  });

  it('a cancelled job is refunded whole', async () => {
    const { jobId, escrow } = await postTestJob(chain, 5, { bidWindow: 60 });
    await cancelJob(op(5), { market, jobId });
    const job = await jobAt(jobId, (j) => j.status === 'cancelled');
    assert.equal(job.refund, escrow.toString());
    assert.equal(job.escrow, '0');
  });

  it('provider rows agree with the contract: stake, completed, slashes, reputation, locked, earned', async () => {
    await n.synced();
    const { status, body } = await getJson(n.url, '/v1/compute/providers');
    assert.equal(status, 200);
    assert.equal(body.providers.length, 3);
    for (const row of body.providers) {
      const onChain = (await readProvider(chain.client, { market, providerId: BigInt(row.providerId) }))!;
      assert.equal(row.agentId, row.providerId);
      assert.equal(row.operator, onChain.operator);
      assert.equal(row.stake, onChain.stake.toString(), `stake of ${row.providerId}`);
      assert.equal(row.locked, onChain.locked.toString(), `locked of ${row.providerId}`);
      assert.equal(row.completed, onChain.completed);
      assert.equal(row.slashes, onChain.slashes);
      assert.equal(row.reputation, onChain.reputation, `reputation of ${row.providerId}`);
      assert.equal(row.live, onChain.live);
      assert.equal(row.deviceKind, 'cpu');
      assert.equal(row.region, 'eu');
      assert.equal(row.memoryMB, 4096);
    }
    const by = Object.fromEntries(body.providers.map((r: any) => [r.providerId, r]));
    assert.equal(by[P[2]!.toString()].earned, (10_000n + 9_000n).toString());
    assert.equal(by[P[2]!.toString()].slashes, 0);
    assert.equal(by[P[3]!.toString()].slashes, 1);
    assert.equal(by[P[4]!.toString()].slashedAmount, (50n * MUSD).toString());
    assert.equal(by[P[4]!.toString()].stake, (450n * MUSD).toString());

    const one = await getJson(n.url, `/v1/compute/providers/${P[3]}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.jobs.length, 2);
    assert.equal(one.body.slashesList.length, 1);
    assert.equal(one.body.slashesList[0].reason, 'challenge-upheld');
    assert.equal((await getJson(n.url, '/v1/compute/providers/999999')).status, 404);
  });

  it('stats, filters and pages', async () => {
    const stats = (await getJson(n.url, '/v1/compute/stats')).body;
    assert.equal(stats.providers, 3);
    assert.equal(stats.liveProviders, 3);
    assert.equal(stats.jobs.total, 4);
    assert.deepEqual({ ...stats.jobs.byStatus }, { open: 0, assigned: 0, challenged: 0, completed: 2, failed: 1, cancelled: 1, expired: 0 });
    assert.equal(stats.paid, (10_000n * 2n + 9_000n).toString());
    assert.equal(stats.slashed, (100n * MUSD).toString());
    assert.equal(stats.slashCount, 2);
    assert.equal(stats.escrowOpen, '0');

    const completed = (await getJson(n.url, '/v1/compute/jobs?status=completed')).body;
    assert.deepEqual(completed.jobs.map((j: any) => j.status), ['completed', 'completed']);
    const mine = (await getJson(n.url, `/v1/compute/jobs?poster=${op(5).account.address}`)).body;
    assert.equal(mine.jobs.length, 4);
    const ofP4 = (await getJson(n.url, `/v1/compute/jobs?provider=${P[4]}`)).body;
    assert.equal(ofP4.jobs.length, 1);
    // Pages: newest first, `next` continues.
    const first = (await getJson(n.url, '/v1/compute/jobs?limit=3')).body;
    assert.deepEqual(first.jobs.map((j: any) => j.jobId), ['4', '3', '2']);
    assert.equal(first.next, '2');
    const second = (await getJson(n.url, `/v1/compute/jobs?limit=3&cursor=${first.next}`)).body;
    assert.deepEqual(second.jobs.map((j: any) => j.jobId), ['1']);
    assert.equal(second.next, null);
    // Bad input names the field.
    for (const [q, field] of [['status=done', 'status'], ['limit=0', 'limit'], ['poster=0x12', 'poster'], ['cursor=abc', 'cursor'], ['provider=-1', 'provider']] as const) {
      const r = await getJson(n.url, `/v1/compute/jobs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.field, field, q);
    }
    assert.equal((await getJson(n.url, '/v1/compute/jobs/424242')).status, 404);
    assert.equal((await getJson(n.url, '/v1/compute/jobs/x')).status, 400);
  });

  it('keeper candidates: only what is due (an auction needs its bids), the longest due first, jobs in backoff left out before the limit', async () => {
    // Bid windows of 300 s and a `now` given to the query: the node's own keeper (on chain time) leaves them alone.
    const noBids = await postTestJob(chain, 5, { bidWindow: 300, deadlineIn: 900 });
    const withBid = await postTestJob(chain, 5, { bidWindow: 300, deadlineIn: 900 });
    await bid(op(2), { market, jobId: withBid.jobId, providerId: P[2]!, pricePerUnit: 1_000n });
    await n.synced();
    await waitFor('the bid to be indexed', async () => (await getJson(n.url, `/v1/compute/jobs/${withBid.jobId}`)).body.bids?.length === 1);
    const q = n.parts.queries;
    const t = withBid.spec.deadline - 900;
    const window = await q.dueCandidates({ now: t + 400, challengeWindow: 2, limit: 1000 });
    assert.ok(window.includes(withBid.jobId), 'an auction past its window with enough bids is due');
    assert.ok(!window.includes(noBids.jobId), 'an auction without bids is not due before its deadline');
    assert.ok(!(await q.dueCandidates({ now: t + 100, challengeWindow: 2, limit: 1000 })).includes(withBid.jobId), 'not before its window closes');
    const late = await q.dueCandidates({ now: noBids.spec.deadline, challengeWindow: 2, limit: 1000 });
    assert.ok(late.includes(noBids.jobId), 'due at its deadline (>=, as jobDue)');
    assert.ok(late.indexOf(withBid.jobId) < late.indexOf(noBids.jobId), 'the longest due first');
    // Whatever else is due and in backoff is left out before the limit applies: the newer job is still reached.
    const others = late.filter((id) => id !== noBids.jobId);
    assert.deepEqual(await q.dueCandidates({ now: noBids.spec.deadline, challengeWindow: 2, limit: 1, exclude: others }), [noBids.jobId]);
    for (const j of [noBids, withBid]) await cancelJob(chain.wallet(5), { market, jobId: j.jobId });
  });

  it('long URIs (data: URIs) are cut short and flagged in lists, whole in the job detail', async () => {
    const long = `data:application/octet-stream;base64,${Buffer.from(randomBytes(3000)).toString('base64')}`;
    const { jobId } = await postTestJob(chain, 5, { inputURI: long, deadlineIn: 900 });
    await bid(op(2), { market, jobId, providerId: P[2]!, pricePerUnit: 1_000n });
    await commitResult(op(2), { market, jobId, providerId: P[2]!, outputDigest: randomDigest(), outputURI: `data:,${'o'.repeat(600)}` });
    const detail = await jobAt(jobId, (j) => j.status === 'completed');
    assert.equal(detail.inputURI, long);
    assert.equal(detail.uriTruncated, false);
    assert.equal(detail.assignments[0].outputURI, `data:,${'o'.repeat(600)}`);
    assert.equal(detail.assignments[0].uriTruncated, false);
    const list = await getJson(n.url, `/v1/compute/jobs?poster=${op(5).account.address}&limit=100`);
    const row = list.body.jobs.find((j: any) => j.jobId === jobId.toString());
    assert.equal(row.uriTruncated, true);
    assert.equal(row.inputURI, `${long.slice(0, 64)}…`);
    assert.equal(row.workloadURI, 'data:,workload', 'short URIs stay whole');
    assert.equal(row.inputDigest, detail.inputDigest, 'the digest says what to fetch');
    assert.equal(row.assignments[0].uriTruncated, true);
    assert.equal(row.assignments[0].outputURI, `data:,${'o'.repeat(58)}…`);
    assert.ok(JSON.stringify(list.body).length < 100_000);
    // Other rows are flagged false.
    assert.ok(list.body.jobs.filter((j: any) => j.jobId !== jobId.toString()).every((j: any) => j.uriTruncated === false));
  });

  it('the OpenAPI document lists the compute and blob routes', async () => {
    const doc = (await getJson(n.url, '/v1/openapi.json')).body;
    for (const p of ['/v1/compute/providers', '/v1/compute/providers/{id}', '/v1/compute/jobs', '/v1/compute/jobs/{id}', '/v1/compute/stats', '/v1/blobs', '/v1/blobs/{digest}']) {
      assert.ok(doc.paths[p], `${p} documented`);
    }
    assert.ok(doc.paths['/v1/blobs'].put);
  });

  it('market events reach the events feed under the provider\'s agent', async () => {
    const events = (await getJson(n.url, `/v1/events?agentId=${P[4]}&contract=ComputeMarket&limit=500`)).body.items;
    assert.ok(events.some((e: any) => e.contract === 'ComputeMarket' && e.event === 'Slashed'), JSON.stringify(events.map((e: any) => e.event)));
  });

  it('a job posted in blocks a reorg takes away leaves the index with them', async () => {
    await n.synced();
    const total = (await getJson(n.url, '/v1/compute/stats')).body.jobs.total;
    const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
    const { jobId } = await postTestJob(chain, 7);
    await n.synced();
    assert.equal((await getJson(n.url, `/v1/compute/jobs/${jobId}`)).body.status, 'open');
    assert.equal((await getJson(n.url, '/v1/compute/stats')).body.jobs.total, total + 1);
    await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
    for (let i = 0; i < 6; i++) await chain.client.request({ method: 'evm_mine' } as never);
    await waitFor('the reorg to be undone', async () => (await getJson(n.url, `/v1/compute/jobs/${jobId}`)).status === 404);
    assert.equal((await getJson(n.url, '/v1/compute/stats')).body.jobs.total, total);
  });

  describe('blobs', () => {
    const put = (body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) =>
      fetch(`${n.url}/v1/blobs`, { method: 'PUT', headers, body: body as never }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    it('PUT stores bytes under their sha256, GET answers them; storing again is a no-op', async () => {
      const bytes = randomBytes(700);
      const a = await put(bytes);
      assert.equal(a.status, 200);
      assert.equal(a.body.digest, sha256(bytes));
      assert.equal(a.body.size, 700);
      assert.equal(a.body.created, true);
      assert.equal(a.body.uri, `${n.url}/v1/blobs/${a.body.digest}`);
      const again = await put(bytes, { 'content-type': 'application/octet-stream', 'x-content-sha256': sha256(bytes) });
      assert.equal(again.status, 200);
      assert.equal(again.body.created, false);
      const got = await fetch(a.body.uri);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/octet-stream');
      assert.equal(got.headers.get('x-content-sha256'), a.body.digest);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
      const upper = await fetch(`${n.url}/v1/blobs/${a.body.digest.toUpperCase().replace('0X', '0x')}`);
      assert.equal(upper.status, 200);
      await upper.body?.cancel();
      const head = await fetch(a.body.uri, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '700');
    });

    it('many concurrent PUTs of the same bytes leave one whole blob', async () => {
      const bytes = randomBytes(1000);
      const rs = await Promise.all(Array.from({ length: 8 }, () => put(bytes)));
      for (const r of rs) assert.equal(r.body.digest, sha256(bytes));
      const got = Buffer.from(await (await fetch(rs[0]!.body.uri)).arrayBuffer());
      assert.deepEqual(got, bytes);
    });

    it('refuses what it must: over the size cap 413, wrong type 415, a digest header that does not match 400, unknown 404, bad digest 400', async () => {
      const big = await put(randomBytes(1025));
      assert.equal(big.status, 413);
      const json = await put('{}', { 'content-type': 'application/json' });
      assert.equal(json.status, 415);
      assert.equal(json.body.error.field, 'content-type');
      const mismatch = await put(randomBytes(10), { 'content-type': 'application/octet-stream', 'x-content-sha256': randomDigest() });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.body.error.code, 'DIGEST_MISMATCH');
      const unknown = await getJson(n.url, `/v1/blobs/${randomDigest()}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.field, 'digest');
      const bad = await getJson(n.url, '/v1/blobs/0x1234');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'digest');
    });

    it('a chunked body (no length announced) over the cap is refused as it arrives: 413, nothing kept', async () => {
      const before = await n.parts.blobs!.usage();
      const chunks = [randomBytes(600), randomBytes(600)];
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      });
      const res = await fetch(`${n.url}/v1/blobs`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body, duplex: 'half' } as RequestInit);
      assert.equal(res.status, 413);
      const err = ((await res.json()) as any).error;
      assert.equal(err.code, 'PAYLOAD_TOO_LARGE');
      assert.match(err.message, /1024-byte cap per blob/);
      assert.deepEqual(await n.parts.blobs!.usage(), before);
    });

    it('the store is open to every caller but bounded by its quota: 507 once full, bytes it holds still answer 200', async () => {
      const held = randomBytes(900);
      assert.equal((await put(held)).status, 200);
      const { stored, quota } = await n.parts.blobs!.usage();
      for (let left = quota - stored; left >= 1000; left -= 1000) assert.equal((await put(randomBytes(1000))).status, 200);
      const full = await put(randomBytes(1000));
      assert.equal(full.status, 507);
      assert.equal(full.body.error.code, 'INSUFFICIENT_STORAGE');
      assert.match(full.body.error.message, /blob store is full/);
      const again = await put(held, { 'content-type': 'application/octet-stream', 'x-content-sha256': sha256(held) });
      assert.equal(again.status, 200);
      assert.equal(again.body.created, false);
      // The OpenAPI document says who may PUT and what bounds it.
      const doc = (await getJson(n.url, '/v1/openapi.json')).body;
      const putDoc = doc.paths['/v1/blobs'].put;
      assert.match(putDoc.description, /without authentication/);
      assert.match(putDoc.description, /MACHINA_BLOB_QUOTA_BYTES/);
      assert.ok(putDoc.responses['507']);
    });
  });
});
