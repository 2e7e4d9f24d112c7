// Model serving on a real node: a model trained on a listed dataset (registered with its lineage and its royalty
// split, whose vault owns the serving agent) answers paid inference over x402. Unpaid calls get 402 naming the vault
// as payee; every paid call settles to the vault; routeRevenue credits the dataset's contributors and the model's
// beneficiary exactly as the contract promises.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, stringToHex, zeroHash, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { identityRegistryAbi, x402SettlementAbi } from '../../src/chain/artifacts/index.ts';
import { trainMlpKernel } from '../../src/compute/workloads/kernels.ts';
import { encodeTensors } from '../../src/compute/workloads/index.ts';
import { putBlob } from '../../src/compute/blobs.ts';
import { dataKeyFromPrivateKey, encryptTo } from '../../src/data/crypto.ts';
import { patientFeatures } from '../../src/data/examples/patients.ts';
import { decodeWeights, predict } from '../../src/data/inference.ts';
import { buyLicence, readDataCredit, registerModelRoyalty, routeRevenue } from '../../src/data/market.ts';
import { modelRevenueSplit, cumulativeSplit } from '../../src/data/split.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { tokenBalance } from '../../src/pay/token.ts';
import { createPayingFetch } from '../../src/pay/x402/client.ts';
import { listFiles } from '../../src/provenance/directory.ts';
import { hashBytes } from '../../src/provenance/hash.ts';
import { registerModel, signModel } from '../../src/provenance/actions.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { fund, publishPatients, startDataNode, waitFor, type DataNode, type PublishedPatients } from './c2dFixture.ts';

const ACCOUNTS = { siteA: 5, siteB: 6, lab: 3, client: 4 } as const;
const PRICE = 13_700n; // base units per call: odd, so the royalty floors leave dust
const CALLS = 5;
const SPEC = { hidden: 6, classes: 2, steps: 100, batchSize: 32, learningRate: 0.1, seed: 5 };

describe('model serving over x402', { timeout: 90_000 }, () => {
  let chain: TestChain;
  let node: DataNode;
  let work: string;
  let dataset: PublishedPatients;
  let dataMarket: Address;
  let token: Address;
  let weights: Uint8Array;
  let digest: Hex;
  let vault: Address;
  let agentId: bigint;
  let examples: { x: number[]; y: number }[];
  const infer = (body: unknown, init: RequestInit = {}) =>
    fetch(`${node.url}/v1/data/models/${digest}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...init });

  before(async () => {
    chain = await startTestChain();
    dataMarket = chain.address('DataMarket');
    token = chain.address('SettlementToken');
    node = await startDataNode(chain);
    work = mkdtempSync(path.join(tmpdir(), 'machina-serving-test-'));
    dataset = await publishPatients(chain, {
      node,
      workDir: work,
      name: 'registry',
      contributors: [
        { wallet: chain.wallet(ACCOUNTS.siteA), site: 'site-a', shareBps: 6_000 },
        { wallet: chain.wallet(ACCOUNTS.siteB), site: 'site-b', shareBps: 4_000 },
      ],
      perSite: 20,
      seed: 9,
      trainingPrice: 1_000_000n,
      royaltyBps: 1_000,
      allowedProviders: [],
      commercial: true,
    });
    const lab = chain.wallet(ACCOUNTS.lab);
    await fund(chain, lab.account.address, '50');
    await fund(chain, chain.wallet(ACCOUNTS.client).account.address, '10');
    const { licenceId } = await buyLicence(lab, { market: dataMarket, token, listingId: dataset.listingId, kind: 'training', purposes: ['research'] });

    // The model: the train kernel on the dataset's records (what a compute-to-data run computes), as tensors.
    const files = (await listFiles(dataset.dir)).map((f) => f.path).sort();
    examples = files.map((f) => patientFeatures(readFileSync(path.join(dataset.dir, f))));
    const f = examples[0]!.x.length;
    const r = trainMlpKernel(SPEC, Float64Array.from(examples.flatMap((e) => e.x)), examples.length, f, Int32Array.from(examples.map((e) => e.y)));
    weights = encodeTensors([
      { name: 'w1', dims: [f, SPEC.hidden], data: r.w1 },
      { name: 'b1', dims: [SPEC.hidden], data: r.b1 },
      { name: 'w2', dims: [SPEC.hidden, SPEC.classes], data: r.w2 },
      { name: 'b2', dims: [SPEC.classes], data: r.b2 },
      { name: 'loss', dims: [2], data: r.loss },
    ]);
    digest = hashBytes(weights).root;

    // Provenance record with the dataset in its lineage, then the royalty split (vault + serving agent).
    const registry = chain.address('ProvenanceRegistry');
    const trainer = await registerAgent(chain.client, lab, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://lab.example/agent.json' });
    const metrics = JSON.stringify({ loss: Array.from(r.loss) });
    const input = {
      weightsDigest: digest,
      trainerAgentId: trainer.agentId,
      configDigest: keccak256(stringToHex(JSON.stringify(SPEC))),
      metricsDigest: keccak256(stringToHex(metrics)),
      baseModel: zeroHash,
      computeJobId: 0n,
      datasetRoots: [dataset.root],
      name: 'risk-mlp',
      metrics,
      uri: '',
    };
    const signature = await signModel(lab, { chainId: chain.client.chain.id, registry, input });
    await registerModel(lab, { registry, input, signer: lab.account.address, signature });
    const royalty = await registerModelRoyalty(lab, { market: dataMarket, weightsDigest: digest, licenceIds: [licenceId], beneficiary: lab.account.address, agentURI: 'https://lab.example/model.json' });
    vault = royalty.vault;
    agentId = royalty.agentId;
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("pays the vault: the serving agent is the vault's, with no other payee", async () => {
    const identity = chain.address('IdentityRegistry');
    const [owner, wallet, payee] = await Promise.all([
      chain.client.readContract({ address: identity, abi: identityRegistryAbi, functionName: 'ownerOf', args: [agentId] }),
      chain.client.readContract({ address: identity, abi: identityRegistryAbi, functionName: 'getAgentWallet', args: [agentId] }),
      chain.client.readContract({ address: chain.address('X402Settlement'), abi: x402SettlementAbi, functionName: 'payeeOf', args: [agentId] }),
    ]);
    assert.equal(owner, vault);
    assert.equal(wallet, vault, "agentWallet defaults to the owner (the vault), which sets no other");
    assert.equal(payee, vault, 'X402Settlement pays the vault');
    assert.equal(await node.pay.payeeOf(agentId), vault, 'the gateway prices it to the vault');
  });

  it('serves the model (loopback PUT) and answers 402 to an unpaid call', async () => {
    // Before serving: 404.
    assert.equal((await infer({ x: examples[0]!.x })).status, 404);
    const wrong = await fetch(`${node.url}/v1/data/models/${digest}/serving`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weights: Buffer.from(weights.subarray(0, weights.length - 8)).toString('base64'), priceUnits: PRICE.toString() }),
    });
    assert.equal(wrong.status, 400, 'weights that do not hash to the model are refused');
    // A compute-to-data output blob is the weights sealed to the buyer: refused, saying what to send instead.
    const sealedBlob = await putBlob(node.url, encryptTo(dataKeyFromPrivateKey(generatePrivateKey()).publicKey, weights));
    const sealedPut = await fetch(`${node.url}/v1/data/models/${digest}/serving`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weightsBlob: sealedBlob.digest, priceUnits: PRICE.toString() }),
    });
    assert.equal(sealedPut.status, 400);
    const sealedErr = ((await sealedPut.json()) as { error: { code: string; field: string; message: string } }).error;
    assert.deepEqual([sealedErr.code, sealedErr.field], ['DIGEST_MISMATCH', 'weightsBlob']);
    assert.match(sealedErr.message, /sealed to the buyer/);
    const put = await fetch(`${node.url}/v1/data/models/${digest}/serving`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weights: Buffer.from(weights).toString('base64'), priceUnits: PRICE.toString(), features: 'patients-v1' }),
    });
    assert.equal(put.status, 200, await put.clone().text());
    const served = (await put.json()) as { agentId: string; vault: string; price: string; inputs: number };
    assert.deepEqual([served.agentId, served.vault, served.price, served.inputs], [agentId.toString(), vault, PRICE.toString(), 7]);

    const unpaid = await infer({ x: examples[0]!.x });
    assert.equal(unpaid.status, 402);
    const body = (await unpaid.json()) as { accepts: { payTo: string; amount: string }[] };
    assert.equal(body.accepts[0]!.payTo.toLowerCase(), vault.toLowerCase());
    assert.equal(body.accepts[0]!.amount, PRICE.toString());
  });

  it('settles every paid call to the vault, and routeRevenue splits it exactly', async () => {
    const client = chain.wallet(ACCOUNTS.client);
    const pay = createPayingFetch({ client: chain.client, payer: { kind: 'eoa', wallet: client }, maxAmount: PRICE });
    const w = decodeWeights(weights);
    const vaultBefore = await tokenBalance(chain.client, { token, owner: vault });
    for (let i = 0; i < CALLS; i++) {
      const e = examples[i]!;
      const res = await pay(`${node.url}/v1/data/models/${digest}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: e.x }) });
      assert.equal(res.status, 200, await res.clone().text());
      const out = (await res.json()) as { prediction: number; probabilities: number[] };
      assert.deepEqual(out, { model: digest, ...predict(w, e.x) });
    }
    // A raw record through the served adapter, paid too.
    const rec = JSON.parse(readFileSync(path.join(dataset.dir, 'site-a', 'p-00001.json'), 'utf8'));
    const byRecord = await pay(`${node.url}/v1/data/models/${digest}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ record: rec }) });
    assert.equal(byRecord.status, 200);
    // A bad input after payment is answered 400 and not charged.
    const bad = await pay(`${node.url}/v1/data/models/${digest}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: [1, 2] }) });
    assert.equal(bad.status, 400);
    const paidCalls = BigInt(CALLS + 1);

    let inVault = 0n;
    await waitFor(
      'each paid call to settle to the vault',
      async () => {
        inVault = (await tokenBalance(chain.client, { token, owner: vault })) - vaultBefore;
        return inVault >= PRICE * paidCalls;
      },
      30_000,
    );
    assert.equal(inVault, PRICE * paidCalls, 'each paid call settled to the vault (the failed one was not charged)');

    const [a, b, lab] = [chain.wallet(ACCOUNTS.siteA), chain.wallet(ACCOUNTS.siteB), chain.wallet(ACCOUNTS.lab)].map((x) => x.account.address);
    const credit = (account: Address) => readDataCredit(chain.client, { market: dataMarket, account });
    const before = await Promise.all([credit(a!), credit(b!), credit(lab!)]);
    const routed = await routeRevenue(client, { market: dataMarket, weightsDigest: digest });
    assert.equal(routed.amount, PRICE * paidCalls);
    const split = modelRevenueSplit(routed.amount, [1_000]);
    assert.equal(routed.toDatasets, split.datasets[0]);
    assert.equal(routed.toBeneficiary, split.beneficiary);
    const perContributor = cumulativeSplit(split.datasets[0]!, [6_000, 4_000]);
    const afterCredits = await Promise.all([credit(a!), credit(b!), credit(lab!)]);
    assert.deepEqual(
      afterCredits.map((x, i) => x - before[i]!),
      [perContributor[0], perContributor[1], split.beneficiary],
      'contributors get the dataset royalty by share (dust to contributor 0), the beneficiary the rest',
    );
    assert.equal(await tokenBalance(chain.client, { token, owner: vault }), 0n, 'the vault was emptied into the market');
  });
});
