// Compute-to-data end to end on a real devnet: a node delivering a small synthetic patients dataset, two provider
// daemons in process (one the listing's terms allow, one they do not), a lab with a Training licence. trainOnData on
// the allowed provider returns the weights (the same bytes a local run on the same records gives: the conversion is
// deterministic); the data never reaches anyone else (the other provider skips the offer, the contract refuses the
// binding, the node refuses the delivery to any other key, the holder's included); nothing of it stays on the
// provider's disk.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address } from 'viem';
import { submitJob } from '../../src/compute/buyer.ts';
import { acceptResult, cancelJob, offer, readJob } from '../../src/compute/market.ts';
import { examplesToTensors } from '../../src/compute/provider/dataJob.ts';
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
import { devnetKey, fund, publishPatients, startDataNode, type DataNode, type PublishedPatients } from './c2dFixture.ts';

const PRICE = 10_000n;
const SPEC: TrainSpec = { model: 'mlp', hidden: 8, classes: 2, steps: 150, batchSize: 32, learningRate: 0.1, seed: 11 };
const ACCOUNTS = { siteA: 5, siteB: 6, lab: 3, allowed: 8, other: 9 } as const;

describe('compute-to-data pieces', () => {
  it('parses data references, naming the field at fault', () => {
    const ref = encodeDataReference({ node: 'http://127.0.0.1:9/', datasets: [{ listingId: 2n, licenceId: 5n }], features: 'patients-v1' });
    assert.ok(isDataReference(ref));
    assert.deepEqual(parseDataReference(ref), { kind: 'machina-data', v: 1, node: 'http://127.0.0.1:9', datasets: [{ listingId: '2', licenceId: '5' }], features: 'patients-v1' });
    const bad = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
    const base = { kind: 'machina-data', v: 1, node: 'http://n', datasets: [{ listingId: '1', licenceId: '1' }], features: 'patients-v1' };
    for (const [doc, field] of [
      [{ ...base, v: 2 }, 'input.v'],
      [{ ...base, node: 'file:///etc' }, 'input.node'],
      [{ ...base, datasets: [] }, 'input.datasets'],
      [{ ...base, datasets: [{ listingId: '01', licenceId: '1' }] }, 'input.datasets[0].listingId'],
      [{ ...base, features: 'faces-v9' }, 'input.features'],
      [{ ...base, extra: 1 }, 'input.extra'],
    ] as const) {
      assert.throws(() => parseDataReference(bad(doc)), (err: WorkloadError) => err.code === 'invalid-input' && err.field === field && err.deterministic, field);
    }
    assert.equal(isDataReference(new TextEncoder().encode('{"kind":"other"}')), false);
  });

  it('nobody but the licensed provider runs a data reference: executeJob refuses it without a failure record', async () => {
    const input = encodeDataReference({ node: 'http://127.0.0.1:9', datasets: [{ listingId: 1n, licenceId: 1n }], features: 'patients-v1' });
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
});

describe('compute-to-data', { timeout: 120_000 }, () => {
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
  let trained: Awaited<ReturnType<typeof trainOnData>>;
  let licenceId: bigint;
  let licenceOther: bigint;

  before(async () => {
    chain = await startTestChain();
    market = chain.address('ComputeMarket');
    dataMarket = chain.address('DataMarket');
    provenance = chain.address('ProvenanceRegistry');
    token = chain.address('SettlementToken');
    node = await startDataNode(chain);
    work = mkdtempSync(path.join(tmpdir(), 'machina-c2d-test-'));
    providerWork = mkdtempSync(path.join(tmpdir(), 'machina-c2d-provider-'));
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
          onEvent: (e) => events[who].push(e),
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
    for (const t of ['posted', 'offered', 'bound', 'committed', 'accepted']) assert.ok(seen.includes(t), `event ${t} in ${seen.join(', ')}`);
    const w = decodeWeights(trained.weights);
    assert.deepEqual([w.features, w.hidden, w.classes], [7, SPEC.hidden, SPEC.classes]);
    assert.equal(trained.weightsDigest, hashBytes(trained.weights).root, 'the provenance digest of the weights');
    assert.equal(trained.outputDigest, sha256Hex(trained.weights));
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
    assert.equal(local.outputDigest, trained.outputDigest, 'a local run on the same records gives the same weights');
    const examples = files.map((f) => patientFeatures(readFileSync(path.join(dataset.dir, f))));
    assert.ok(accuracy(w, examples) > 0.5, 'the model predicts better than chance');

    // The provider ran it as a compute-to-data job, and its work folder is empty again.
    const ran = events.allowed.find((e) => e.type === 'ran' && e.jobId === trained.jobId);
    assert.ok(ran && ran.type === 'ran' && !ran.failure, `ran without failure: ${JSON.stringify(ran, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    assert.deepEqual(readdirSync(providerWork), [], 'no delivered file is left in the provider work folder');
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
      input: encodeDataReference({ node: node.url, datasets: [{ listingId: dataset.listingId, licenceId: second.licenceId }], features: 'patients-v1' }),
      maxPricePerUnit: PRICE,
      replicas: 1,
      mode: 'optimistic',
      direct: true,
      deadlineSeconds: 120,
    });
    await offer(lab, { market, jobId: posted.jobId, providerId: otherId, pricePerUnit: PRICE });
    await assert.rejects(bindTrainingRun(lab, { market: dataMarket, licenceId: second.licenceId, jobId: posted.jobId, providerId: otherId }), (err: Error & { reason?: string }) => /ProviderNotAllowed/.test(`${err.reason} ${err.message}`));
    const deadline = Date.now() + 10_000;
    while (!events.other.some((e) => e.type === 'skipped' && e.jobId === posted.jobId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const skipped = events.other.find((e) => e.type === 'skipped' && e.jobId === posted.jobId);
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
      input: encodeDataReference({ node: node.url, datasets: [{ listingId: dataset.listingId, licenceId: licenceOther }], features: 'patients-v1' }),
      maxPricePerUnit: PRICE,
      replicas: 1,
      mode: 'optimistic',
      direct: true,
      deadlineSeconds: 32,
    });
    await offer(lab, { market, jobId: posted.jobId, providerId: allowedId, pricePerUnit: PRICE });
    // Never bound: the provider waits for the binding while half its time budget lasts, then gives the failure record.
    const expected = failureDigest('invalid-input', 'input.datasets[0]');
    let job = await readJob(chain.client, { market, jobId: posted.jobId });
    const until = Date.now() + 40_000;
    while (!job?.assignments[0]?.outputDigest && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      job = await readJob(chain.client, { market, jobId: posted.jobId });
    }
    assert.equal(job?.assignments[0]?.outputDigest, expected, 'the canonical failure record of the refused dataset');
    const done = await acceptResult(lab, { market, jobId: posted.jobId });
    assert.equal(done.status, 'completed');
    const after = await readJob(chain.client, { market, jobId: posted.jobId });
    assert.ok(after?.assignments[0]?.paid && !after.assignments[0].slashed, 'paid, not slashed');
    assert.deepEqual(readdirSync(providerWork), [], 'nothing left in the provider work folder');
  });
});
