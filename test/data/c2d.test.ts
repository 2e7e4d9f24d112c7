// Compute-to-data end to end on a real devnet: a node delivering a small synthetic patients dataset, two provider
// daemons in process (one the listing's terms allow, one they do not), a lab with a Training licence. trainOnData on
// the allowed provider returns the weights (the same bytes a local run on the same records gives: the conversion is
// deterministic); the data never reaches anyone else (the other provider skips the offer, the contract refuses the
// binding, the node refuses the delivery to any other key, the holder's included); nothing of it stays on the
// provider's disk. The weights leave sealed to the lab's key. A node that trickles bytes or sends too many gets the
// canonical failure record in time (paid, not slashed); a trainOnData interrupted after the post is continued.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address } from 'viem';
import { submitJob } from '../../src/compute/buyer.ts';
import { acceptResult, cancelJob, offer, readJob } from '../../src/compute/market.ts';
import { dataJobRefusal, examplesToTensors, resolveDataInput, sweepDataWorkDir } from '../../src/compute/provider/dataJob.ts';
import { findPostedJob } from '../../src/compute/provider/logs.ts';
import { fetchBlob } from '../../src/compute/blobs.ts';
import { computeMarketAbi } from '../../src/chain/artifacts/index.ts';
import { startProviderDaemon, type ProviderDaemon, type ProviderEvent } from '../../src/compute/provider/daemon.ts';
import { ensureProvider } from '../../src/compute/provider/setup.ts';
import { closeSandboxes, DataJobNotResolvableError, encodeBundle, failureDigest, encodeDataReference, isDataReference, parseDataReference, runWorkload, sha256Hex, WorkloadError, type TrainSpec } from '../../src/compute/workloads/index.ts';
import { executeJob } from '../../src/compute/provider/execute.ts';
import { trainOnData } from '../../src/data/computeToData.ts';
import { dataKeyFromPrivateKey } from '../../src/data/crypto.ts';
import { fetchLicensedData } from '../../src/data/delivery.ts';
import { patientFeatures } from '../../src/data/examples/patients.ts';
import { decodeWeights, accuracy } from '../../src/data/inference.ts';
import { bindTrainingRun, buyLicence, readLicence } from '../../src/data/market.ts';
import { hashBytes } from '../../src/provenance/hash.ts';
import { listFiles } from '../../src/provenance/directory.ts';
import { readFileSync } from 'node:fs';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { devnetKey, fund, publishPatients, startDataNode, waitFor, type DataNode, type PublishedPatients } from './c2dFixture.ts';

const PRICE = 10_000n;
const SPEC: TrainSpec = { model: 'mlp', hidden: 8, classes: 2, steps: 150, batchSize: 32, learningRate: 0.1, seed: 11 };
const ACCOUNTS = { siteA: 5, siteB: 6, lab: 3, allowed: 8, other: 9 } as const;
const LAB_KEY = dataKeyFromPrivateKey(devnetKey(ACCOUNTS.lab));
const RESULT_KEY = LAB_KEY.publicKey;

/** A fake seller node: answers the delivery POST with 200 and the delivery content type, then `send`s its body. */
async function stubNode(send: (res: ServerResponse) => void): Promise<{ url: string; closed: () => boolean; server: Server }> {
  let closed = false;
  const server = createServer((req, res) => {
    req.resume();
    res.on('close', () => {
      closed = true;
    });
    res.writeHead(200, { 'content-type': 'application/vnd.machina.delivery' });
    send(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed: () => closed, server };
}

/** The start of a frame that announces `length` bytes (type u8, length u32): a reader then waits for the rest. */
const framePrefix = (type: number, length: number) => {
  const b = Buffer.alloc(5);
  b[0] = type;
  b.writeUInt32BE(length, 1);
  return b;
};

describe('compute-to-data pieces', () => {
  it('parses data references, naming the field at fault', () => {
    const ref = encodeDataReference({ node: 'http://127.0.0.1:9/', datasets: [{ listingId: 2n, licenceId: 5n }], features: 'patients-v1', resultKey: RESULT_KEY });
    assert.ok(isDataReference(ref));
    assert.deepEqual(parseDataReference(ref), { kind: 'machina-data', v: 1, node: 'http://127.0.0.1:9', datasets: [{ listingId: '2', licenceId: '5' }], features: 'patients-v1', resultKey: RESULT_KEY.toLowerCase() });
    const bad = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
    const base = { kind: 'machina-data', v: 1, node: 'http://n', datasets: [{ listingId: '1', licenceId: '1' }], features: 'patients-v1', resultKey: RESULT_KEY };
    const { resultKey: _omit, ...noKey } = base;
    for (const [doc, field] of [
      [{ ...base, v: 2 }, 'input.v'],
      [{ ...base, node: 'file:///etc' }, 'input.node'],
      [{ ...base, datasets: [] }, 'input.datasets'],
      [{ ...base, datasets: [{ listingId: '01', licenceId: '1' }] }, 'input.datasets[0].listingId'],
      [{ ...base, features: 'faces-v9' }, 'input.features'],
      [{ ...base, extra: 1 }, 'input.extra'],
      [noKey, 'input.resultKey'],
      [{ ...base, resultKey: `0x02${RESULT_KEY.slice(4, 68)}` }, 'input.resultKey'],
      [{ ...base, resultKey: `0x04${'11'.repeat(64)}` }, 'input.resultKey'],
    ] as const) {
      assert.throws(() => parseDataReference(bad(doc)), (err: WorkloadError) => err.code === 'invalid-input' && err.field === field && err.deterministic, field);
    }
    assert.equal(isDataReference(new TextEncoder().encode('{"kind":"other"}')), false);
  });

  it('nobody but the licensed provider runs a data reference: executeJob refuses it without a failure record', async () => {
    const input = encodeDataReference({ node: 'http://127.0.0.1:9', datasets: [{ listingId: 1n, licenceId: 1n }], features: 'patients-v1', resultKey: RESULT_KEY });
    const bundle = encodeBundle({ kind: 'train', train: SPEC });
    await assert.rejects(
      executeJob({ jobId: 7n, needs: { minMemoryMB: 0 }, deadline: Math.floor(Date.now() / 1000) + 60 } as never, { bytes: { bundle, input } }),
      (err: Error) => err instanceof DataJobNotResolvableError,
    );
  });

  it('turns examples into the train input deterministically', () => {
    const ex = [{ x: [0.5, -1], y: 1 }, { x: [2, 0], y: 0 }];
    assert.deepEqual(examplesToTensors(ex), examplesToTensors(ex.map((e) => ({ ...e }))));
    assert.throws(() => examplesToTensors([]), (err: WorkloadError) => err.field === 'input.datasets' && err.deterministic);
    assert.throws(() => examplesToTensors([{ x: [1], y: 0 }, { x: [1, 2], y: 1 }]), (err: WorkloadError) => err.field === 'input.datasets');
  });

  it('sweeps only stale staging folders of the data folder, never through a link, never a shared folder', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'machina-c2d-sweep-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'machina-c2d-outside-'));
    try {
      mkdirSync(path.join(root, 'machina-c2d-Ab12Cd', 'site-a'), { recursive: true });
      writeFileSync(path.join(root, 'machina-c2d-Ab12Cd', 'site-a', 'p-00001.json'), '{"secret":1}');
      writeFileSync(path.join(outside, 'keep.json'), '{}');
      symlinkSync(outside, path.join(root, 'machina-c2d-Lnk123'));
      mkdirSync(path.join(root, 'machina-c2d-provider-x'));
      writeFileSync(path.join(root, 'notes.txt'), 'mine');
      const removed = await sweepDataWorkDir(root);
      assert.deepEqual(removed.sort(), ['machina-c2d-Ab12Cd', 'machina-c2d-Lnk123']);
      assert.deepEqual(readdirSync(root).sort(), ['machina-c2d-provider-x', 'notes.txt']);
      assert.ok(existsSync(path.join(outside, 'keep.json')), 'the target of a link is left alone');
      assert.deepEqual(await sweepDataWorkDir(tmpdir()), [], 'the OS temp folder is shared: never swept');
      assert.deepEqual(await sweepDataWorkDir(path.join(root, 'absent')), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('compute-to-data', { timeout: 300_000 }, () => {
  let chain: TestChain;
  let node: DataNode;
  let work: string;
  let providerWork: string;
  let dataset: PublishedPatients;
  let allowedId: bigint;
  let otherId: bigint;
  let market: Address;
  let dataMarket: Address;
  let provenance: Address;
  let token: Address;
  const daemons: ProviderDaemon[] = [];
  const events = { allowed: [] as ProviderEvent[], other: [] as ProviderEvent[] };
  /** Told of each provider event as its daemon reports it. */
  const eventListeners = new Set<(who: keyof typeof events, e: ProviderEvent) => void>();
  /** The first event of `who` that matches, already reported or reported within timeoutMs (else undefined). */
  const eventOf = (who: keyof typeof events, match: (e: ProviderEvent) => boolean, timeoutMs: number) =>
    new Promise<ProviderEvent | undefined>((resolve) => {
      const seen = events[who].find(match);
      if (seen) return resolve(seen);
      const listener = (w: keyof typeof events, e: ProviderEvent) => {
        if (w === who && match(e)) done(e);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (e: ProviderEvent | undefined) => {
        clearTimeout(timer);
        eventListeners.delete(listener);
        resolve(e);
      };
      eventListeners.add(listener);
    });
  let trained: Awaited<ReturnType<typeof trainOnData>>;
  let licenceId: bigint;
  let licenceOther: bigint;
  let trickleJob: bigint;
  let trickleLicence: bigint;

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    dataMarket = chain.address('DataMarket');
    provenance = chain.address('ProvenanceRegistry');
    token = chain.address('SettlementToken');
    node = await startDataNode(chain);
    work = mkdtempSync(path.join(tmpdir(), 'machina-c2d-test-'));
    providerWork = mkdtempSync(path.join(tmpdir(), 'machina-c2d-provider-'));
    // What a crash of an older build left: decrypted records in a staging folder. The daemon removes it at start.
    mkdirSync(path.join(providerWork, 'machina-c2d-Zz9Yy8'));
    writeFileSync(path.join(providerWork, 'machina-c2d-Zz9Yy8', 'p-00001.json'), '{"pseudonym":"x"}');
    const setups = await Promise.all(
      ([['allowed', ACCOUNTS.allowed], ['other', ACCOUNTS.other]] as const).map(async ([who, i]) => {
        const wallet = chain.wallet(i);
        const s = await ensureProvider(chain.client, wallet, {
          market,
          token,
          identityRegistry: chain.address('IdentityRegistry'),
          resources: { deviceKind: 'cpu', region: 'eu', deviceCount: 1, memoryMB: 1024, pricePerUnit: PRICE },
          useFaucet: true,
        });
        return [who, s.providerId] as const;
      }),
    );
    allowedId = setups.find(([w]) => w === 'allowed')![1];
    otherId = setups.find(([w]) => w === 'other')![1];
    dataset = await publishPatients(chain, {
      node,
      workDir: work,
      name: 'cohort',
      contributors: [
        { wallet: chain.wallet(ACCOUNTS.siteA), site: 'site-a', shareBps: 6_000 },
        { wallet: chain.wallet(ACCOUNTS.siteB), site: 'site-b', shareBps: 4_000 },
      ],
      perSite: 30,
      seed: 3,
      trainingPrice: 2_000_000n,
      royaltyBps: 1_000,
      allowedProviders: [allowedId],
    });
    await fund(chain, chain.wallet(ACCOUNTS.lab).account.address, '100');
    for (const [who, i, id] of [['allowed', ACCOUNTS.allowed, allowedId], ['other', ACCOUNTS.other, otherId]] as const) {
      daemons.push(
        await startProviderDaemon({
          client: chain.client,
          wallet: chain.wallet(i),
          market,
          token,
          providerId: id,
          pricePerUnit: PRICE,
          pollMs: 50,
          data: { key: dataKeyFromPrivateKey(devnetKey(i)), market: dataMarket, provenance, workDir: who === 'allowed' ? providerWork : undefined, pollMs: 100 },
          onEvent: (e) => {
            events[who].push(e);
            for (const l of eventListeners) l(who, e);
          },
        }),
      );
    }
  });

  after(async () => {
    await Promise.allSettled(daemons.map((d) => d.stop()));
    await closeSandboxes();
    await node?.stop();
    await chain?.stop();
    for (const d of [work, providerWork]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('trains on the allowed provider and returns the weights; the raw data does not stay on its disk', async () => {
    const lab = chain.wallet(ACCOUNTS.lab);
    const bought = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });
    licenceId = bought.licenceId;
    const seen: string[] = [];
    trained = await trainOnData({
      wallet: lab,
      key: LAB_KEY,
      client: chain.client,
      addresses: { computeMarket: market, dataMarket, token },
      nodeUrl: node.url,
      licenceIds: [licenceId],
      listingIds: [dataset.listingId],
      providerId: allowedId,
      train: SPEC,
      features: 'patients-v1',
      deadlineSeconds: 120,
      pollMs: 100,
      onEvent: (e) => seen.push(e.type),
    });
    for (const t of ['posted', 'offered', 'assigned', 'bound', 'committed', 'accepted']) assert.ok(seen.includes(t), `event ${t} in ${seen.join(', ')}`);
    assert.ok(seen.indexOf('assigned') < seen.indexOf('bound'), 'licences are bound only once the provider took the job');
    const w = decodeWeights(trained.weights);
    assert.deepEqual([w.features, w.hidden, w.classes], [7, SPEC.hidden, SPEC.classes]);
    assert.equal(trained.weightsDigest, hashBytes(trained.weights).root, 'the provenance digest of the weights');
    assert.notEqual(trained.outputDigest, sha256Hex(trained.weights), 'the committed digest is of the sealed weights');
    // What was published is sealed to the lab's key: nobody else reads the weights.
    const logs = await chain.client.getContractEvents({ address: market, abi: computeMarketAbi, eventName: 'ResultCommitted', args: { jobId: trained.jobId }, fromBlock: 0n });
    const uri = (logs[0]?.args as { outputURI?: string } | undefined)?.outputURI;
    assert.ok(uri, 'the ResultCommitted log');
    const sealed = await fetchBlob(uri, trained.outputDigest, { maxBytes: 1 << 24 });
    assert.throws(() => decodeWeights(sealed), 'the public output is not the weights');
    assert.deepEqual(LAB_KEY.decrypt(sealed), trained.weights);
    assert.throws(() => dataKeyFromPrivateKey(devnetKey(ACCOUNTS.other)).decrypt(sealed), 'another key cannot open it');
    assert.ok(trained.metrics.lossAfter! < trained.metrics.lossBefore!, `loss fell: ${trained.metrics.lossBefore} → ${trained.metrics.lossAfter}`);

    // The job settled, paid, and the licence is bound to it.
    const job = await readJob(chain.client, { market, jobId: trained.jobId });
    assert.equal(job?.status, 'completed');
    assert.equal(job?.acceptedDigest, trained.outputDigest);
    const lic = await readLicence(chain.client, { market: dataMarket, licenceId });
    assert.equal(lic?.jobId, trained.jobId);
    assert.equal(lic?.providerId, allowedId);

    // Deterministic: the records sorted by path, through the same adapter, train to the very same bytes.
    const files = (await listFiles(dataset.dir)).map((f) => f.path).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const input = examplesToTensors(files.map((f) => patientFeatures(readFileSync(path.join(dataset.dir, f)))));
    const local = await runWorkload(encodeBundle({ kind: 'train', name: 'compute-to-data', train: SPEC }), input, { timeoutMs: 30_000, memoryMB: 256 });
    assert.equal(local.outputDigest, sha256Hex(trained.weights), 'a local run on the same records gives the same weights');
    const examples = files.map((f) => patientFeatures(readFileSync(path.join(dataset.dir, f))));
    assert.ok(accuracy(w, examples) > 0.5, 'the model predicts better than chance');

    // The provider ran it as a compute-to-data job, and its work folder is empty again.
    const ran = events.allowed.find((e) => e.type === 'ran' && e.jobId === trained.jobId);
    assert.ok(ran && ran.type === 'ran' && !ran.failure, `ran without failure: ${JSON.stringify(ran, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    assert.deepEqual(readdirSync(providerWork), [], 'no delivered file is left in the provider work folder (and the stale one was swept at start)');
    // The operator key never appears in what the daemon reports.
    const key = devnetKey(ACCOUNTS.allowed).slice(2).toLowerCase();
    const text = JSON.stringify(events.allowed, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).toLowerCase();
    assert.ok(!text.includes(key), 'no key material in the provider events');
  });

  it('refuses a provider the terms do not allow: before posting, at the binding, and at delivery', async () => {
    const lab = chain.wallet(ACCOUNTS.lab);
    const second = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });
    // trainOnData checks the terms before anything is posted.
    await assert.rejects(
      trainOnData({
        wallet: lab,
        key: LAB_KEY,
        client: chain.client,
        addresses: { computeMarket: market, dataMarket, token },
        nodeUrl: node.url,
        licenceIds: [second.licenceId],
        listingIds: [dataset.listingId],
        providerId: otherId,
        train: SPEC,
        features: 'patients-v1',
      }),
      (err: Error & { field?: string }) => err.field === 'providerId' && /do not allow provider/.test(err.message),
    );

    // A job offered to it by hand: its daemon skips the offer, the contract refuses to bind the licence to it.
    const posted = await submitJob({
      wallet: lab,
      client: chain.client,
      market,
      token,
      workload: encodeBundle({ kind: 'train', name: 'compute-to-data', train: SPEC }),
      input: encodeDataReference({ node: node.url, datasets: [{ listingId: dataset.listingId, licenceId: second.licenceId }], features: 'patients-v1', resultKey: RESULT_KEY }),
      maxPricePerUnit: PRICE,
      replicas: 1,
      mode: 'optimistic',
      direct: true,
      deadlineSeconds: 120,
    });
    await offer(lab, { market, jobId: posted.jobId, providerId: otherId, pricePerUnit: PRICE });
    await assert.rejects(bindTrainingRun(lab, { market: dataMarket, licenceId: second.licenceId, jobId: posted.jobId, providerId: otherId }), (err: Error & { reason?: string }) => /ProviderNotAllowed/.test(`${err.reason} ${err.message}`));
    const skipped = await eventOf('other', (e) => e.type === 'skipped' && e.jobId === posted.jobId, 10_000);
    assert.ok(skipped && skipped.type === 'skipped' && /do not allow provider/.test(skipped.reason), `the other provider skipped the offer: ${skipped && 'reason' in skipped ? skipped.reason : 'no event'}`);
    assert.equal((await readJob(chain.client, { market, jobId: posted.jobId }))?.status, 'open', 'nobody took it');
    await cancelJob(lab, { market, jobId: posted.jobId });
    licenceOther = second.licenceId;

    // The node delivers a training licence's data to the bound provider's operator only: not to another provider's
    // key, not to the licence holder's.
    for (const i of [ACCOUNTS.other, ACCOUNTS.lab]) {
      await assert.rejects(
        fetchLicensedData({ nodeUrl: node.url, client: chain.client, market: dataMarket, provenance, licenceId, key: dataKeyFromPrivateKey(devnetKey(i)) }),
        (err: Error & { status?: number; code?: string }) => err.status === 403 && err.code === 'NOT_LICENSED',
      );
    }
  });
  it('a licence the buyer never binds: the provider commits the failure record in time (paid, not slashed as a no-show)', async () => {
    const lab = chain.wallet(ACCOUNTS.lab);
    const posted = await submitJob({
      wallet: lab,
      client: chain.client,
      market,
      token,
      workload: encodeBundle({ kind: 'train', name: 'compute-to-data', train: SPEC }),
      input: encodeDataReference({ node: node.url, datasets: [{ listingId: dataset.listingId, licenceId: licenceOther }], features: 'patients-v1', resultKey: RESULT_KEY }),
      maxPricePerUnit: PRICE,
      replicas: 1,
      mode: 'optimistic',
      direct: true,
      deadlineSeconds: 32,
    });
    await offer(lab, { market, jobId: posted.jobId, providerId: allowedId, pricePerUnit: PRICE });
    // Never bound: the provider waits for the binding while half its time budget lasts, then gives the failure record.
    const expected = failureDigest('invalid-input', 'input.datasets[0]');
    const job = await waitFor(
      'the failure record to be committed',
      async () => {
        const j = await readJob(chain.client, { market, jobId: posted.jobId });
        return j?.assignments[0]?.outputDigest ? j : undefined;
      },
      40_000,
    );
    assert.equal(job?.assignments[0]?.outputDigest, expected, 'the canonical failure record of the refused dataset');
    const done = await acceptResult(lab, { market, jobId: posted.jobId });
    assert.equal(done.status, 'completed');
    const after = await readJob(chain.client, { market, jobId: posted.jobId });
    assert.ok(after?.assignments[0]?.paid && !after.assignments[0].slashed, 'paid, not slashed');
    assert.deepEqual(readdirSync(providerWork), [], 'nothing left in the provider work folder');
  });

  it('a node that trickles bytes: the provider cuts it off within half the budget and commits the failure record (paid, not slashed)', async () => {
    const lab = chain.wallet(ACCOUNTS.lab);
    const lic = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });
    const stub = await stubNode((res) => {
      res.write(framePrefix(1, 1 << 20));
      const t = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(t));
    });
    try {
      const posted = await submitJob({
        wallet: lab,
        client: chain.client,
        market,
        token,
        workload: encodeBundle({ kind: 'train', name: 'compute-to-data', train: SPEC }),
        input: encodeDataReference({ node: stub.url, datasets: [{ listingId: dataset.listingId, licenceId: lic.licenceId }], features: 'patients-v1', resultKey: RESULT_KEY }),
        maxPricePerUnit: PRICE,
        replicas: 1,
        mode: 'optimistic',
        direct: true,
        deadlineSeconds: 30,
      });
      await offer(lab, { market, jobId: posted.jobId, providerId: allowedId, pricePerUnit: PRICE });
      const readPosted = () => readJob(chain.client, { market, jobId: posted.jobId });
      let job = await waitFor(
        'the provider to take the job',
        async () => {
          const j = await readPosted();
          return j && j.status !== 'open' ? j : undefined;
        },
        20_000,
      ).catch((err: Error) => {
        // What the provider did meanwhile is what tells why (a CI run once timed out here).
        const recent = events.allowed.slice(-12).map((e) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        throw new Error(`${err.message}; the provider's last events:\n${recent.join('\n')}`);
      });
      assert.equal(job?.status, 'assigned', 'the provider took the job');
      await bindTrainingRun(lab, { market: dataMarket, licenceId: lic.licenceId, jobId: posted.jobId, providerId: allowedId });
      const expected = failureDigest('invalid-input', 'input.datasets[0]');
      job = await waitFor(
        'the failure record to be committed',
        async () => {
          const j = await readPosted();
          return j?.assignments[0]?.outputDigest ? j : undefined;
        },
        40_000,
      );
      assert.equal(job?.assignments[0]?.outputDigest, expected, 'the canonical failure record of the dataset that never arrived');
      assert.ok(Date.now() / 1000 < job!.deadline, 'committed before the deadline');
      assert.ok(stub.closed(), 'the stalled delivery was aborted (its connection closed)');
      const done = await acceptResult(lab, { market, jobId: posted.jobId });
      assert.equal(done.status, 'completed');
      const after = await readJob(chain.client, { market, jobId: posted.jobId });
      assert.ok(after?.assignments[0]?.paid && !after.assignments[0].slashed, 'paid, not slashed');
      trickleJob = posted.jobId;
      trickleLicence = lic.licenceId;
    } finally {
      stub.server.closeAllConnections();
      stub.server.close();
    }
  });

  it('a node that sends more than the dataset holds is cut off at the cap; a job too small for its datasets is refused up front', async () => {
    assert.ok(trickleJob, 'needs the previous test');
    const stub = await stubNode((res) => {
      res.write(framePrefix(2, 100 << 20));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    try {
      const posted = await findPostedJob(chain.client, { market, jobId: trickleJob });
      assert.ok(posted);
      const job = { ...posted, deadline: Math.floor(Date.now() / 1000) + 120 };
      const bundle = encodeBundle({ kind: 'train', name: 'compute-to-data', train: SPEC });
      const input = encodeDataReference({ node: stub.url, datasets: [{ listingId: dataset.listingId, licenceId: trickleLicence }], features: 'patients-v1', resultKey: RESULT_KEY });
      const data = { key: dataKeyFromPrivateKey(devnetKey(ACCOUNTS.allowed)), market: dataMarket, provenance };
      const started = Date.now();
      await assert.rejects(
        resolveDataInput(chain.client, data, { job, bundle, input, providerId: allowedId }),
        (err: WorkloadError) => err.code === 'invalid-input' && err.deterministic && err.field === 'input.datasets[0]' && /sent more than \d+ bytes/.test(err.message),
      );
      assert.ok(Date.now() - started < 20_000, 'at once, not at the end of the budget');
      await waitFor('the oversized delivery to be aborted', async () => stub.closed(), 5_000);
      assert.ok(stub.closed(), 'the oversized delivery was aborted');
      // The registered size against the job's cap: refused before any byte is fetched, and before the offer is taken.
      await assert.rejects(resolveDataInput(chain.client, { ...data, maxDataBytes: 1_000 }, { job, bundle, input, providerId: allowedId }), (err: WorkloadError) => err.field === 'input.datasets[0]' && /more than the 1000 a job/.test(err.message));
      const refusal = await dataJobRefusal(chain.client, { ...data, maxDataBytes: 1_000 }, { job, bundle, input, providerId: allowedId });
      assert.match(refusal ?? '', /^datasets\[0\]: the datasets hold \d+ bytes, more than the 1000/);
    } finally {
      stub.server.closeAllConnections();
      stub.server.close();
    }
  });

  it('a trainOnData interrupted after the post is continued with its jobId: one job, each licence bound once', async () => {
    const lab = chain.wallet(ACCOUNTS.lab);
    const a = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });
    const b = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });
    const params = {
      wallet: lab,
      key: LAB_KEY,
      client: chain.client,
      addresses: { computeMarket: market, dataMarket, token },
      nodeUrl: node.url,
      licenceIds: [a.licenceId, b.licenceId],
      listingIds: [dataset.listingId, dataset.listingId],
      providerId: allowedId,
      train: SPEC,
      features: 'patients-v1' as const,
      deadlineSeconds: 120,
      pollMs: 100,
    };
    let interrupted: (Error & { details?: { jobId?: string; resumable?: boolean } }) | undefined;
    await assert.rejects(
      trainOnData({
        ...params,
        onEvent: (e) => {
          if (e.type === 'bound') throw new Error('the client crashed');
        },
      }),
      (err: Error & { details?: { jobId?: string; resumable?: boolean } }) => {
        interrupted = err;
        return /the client crashed/.test(err.message) && !!err.details?.resumable && new RegExp(`jobId ${err.details?.jobId}`).test(err.message);
      },
    );
    const jobId = BigInt(interrupted!.details!.jobId!);
    assert.equal((await readLicence(chain.client, { market: dataMarket, licenceId: a.licenceId }))?.jobId, jobId, 'the first licence is bound');
    assert.equal((await readLicence(chain.client, { market: dataMarket, licenceId: b.licenceId }))?.jobId ?? 0n, 0n, 'the second is not yet');
    // Other parameters do not continue that job.
    await assert.rejects(trainOnData({ ...params, train: { ...SPEC, seed: 12 }, jobId }), (err: Error & { field?: string }) => err.field === 'jobId' && /digests differ/.test(err.message));
    const seen: string[] = [];
    const done = await trainOnData({ ...params, jobId, onEvent: (e) => seen.push(e.type) });
    assert.equal(done.jobId, jobId);
    assert.ok(seen.includes('resumed') && !seen.includes('posted') && !seen.includes('offered'), `no new job, no new offer: ${seen.join(', ')}`);
    assert.equal(seen.filter((t) => t === 'bound').length, 1, 'only the licence not yet bound');
    assert.equal((await readLicence(chain.client, { market: dataMarket, licenceId: b.licenceId }))?.jobId, jobId);
    const w = decodeWeights(done.weights);
    assert.deepEqual([w.hidden, w.classes], [SPEC.hidden, SPEC.classes]);
    assert.equal((await readJob(chain.client, { market, jobId }))?.status, 'completed');
  });

  it('trainOnData needs the buyer key', async () => {
    await assert.rejects(
      trainOnData({ wallet: chain.wallet(ACCOUNTS.lab), client: chain.client, addresses: { computeMarket: market, dataMarket, token }, nodeUrl: node.url, licenceIds: [1n], listingIds: [1n], providerId: allowedId, train: SPEC, features: 'patients-v1' } as never),
      (err: Error & { field?: string }) => err.field === 'key' && /DataKey/.test(err.message),
    );
  });
});
