// The node's data marketplace on a real devnet: a seller lists patient records of three contributors (two
// consent to research, public health, training and commercial use, one to research and commercial use only; the
// seller raises the access price once, which moves the quote epoch) and an essay collection; a buyer
// takes an access and a training licence (each split among the contributors its sale covers); the buyer's
// trainer registers a model on the data with a royalty, revenue lands in its vault and is routed; a
// contributor revokes, another withdraws. The catalogue (search, purpose, owner, pages), the listing
// (terms by name, contributors with consent and earnings, versions, licences, models), the consent audit,
// licences, an account's royalties and a model's royalty flow agree with the chain to the unit; the records
// partition is checked before anything is kept; a reorg takes a sale away; every route is in the OpenAPI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address, Hex } from 'viem';
import { buyLicence, giveConsent, quote, readDataCredit, registerModelRoyalty, revokeConsent, setTerms, withdrawDataCredit } from '../../src/data/market.ts';
import { splitSale } from '../../src/data/split.ts';
import { consentScope } from '../../src/data/terms.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { faucet } from '../../src/pay/token.ts';
import { registerModel, signModel } from '../../src/provenance/actions.ts';
import type { TestChain } from '../helpers/chain.ts';
import { baseTerms, digestOf, getJson, listPatientRecords, MUSD, routeModelRevenue, sendJson, startDataTestBed, waitFor, ZERO32, type DataNode, type DataTestBed, type TestListing } from './fixtures/dataNode.ts';

describe('data marketplace in the node', () => {
  let chain: TestChain;
  let bed: DataTestBed;
  let n: DataNode;
  let work: string;
  let market: Address;
  let token: Address;
  let A: TestListing;
  let B: TestListing;
  const shares = [5000, 3000, 2000];
  const sales = [0n, 0n, 0n];
  let accessLicence: bigint;
  let trainingLicence: bigint;
  let model: Hex;
  let vault: Address;
  let royalties: bigint[];
  let toBeneficiary: bigint;
  let withdrawn: bigint;
  const revenue = 12n * MUSD;
  const addr = (i: number) => chain.wallet(i).account.address;

  before(async () => {
    bed = await startDataTestBed('machina-data-test-');
    ({ chain, n, market, token, work } = bed);
    // Commercial terms: a model royalty needs commercial training licences.
    A = await listPatientRecords(chain, { work, name: 'diabetes-cohort', seller: 1, contributors: shares.map((shareBps, i) => ({ wallet: 2 + i, shareBps })), terms: { commercialUse: true, accessPrice: 4n * MUSD } });
    B = await listPatientRecords(chain, { work, name: 'school-essays', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], terms: { purposes: ['education'], trainingAllowed: false, royaltyBps: 0, accessPrice: 2n * MUSD } });

    const documentDigest = digestOf('consent form v1');
    const full = consentScope({ purposes: ['research', 'public-health'], training: true, commercial: true });
    await giveConsent(chain.wallet(2), { market, listingId: A.listingId, documentDigest, scope: full });
    await giveConsent(chain.wallet(3), { market, listingId: A.listingId, documentDigest, scope: full });
    await giveConsent(chain.wallet(4), { market, listingId: A.listingId, documentDigest, scope: consentScope({ purposes: ['research'], training: false, commercial: true }) });
    // A terms change (4 → 5 MUSD access) bumps the quote epoch like a consent does (3 → 4).
    await setTerms(chain.wallet(1), { market, listingId: A.listingId, terms: baseTerms({ commercialUse: true }) });

    const trainer = chain.wallet(5);
    await faucet(chain.client, chain.wallet(0), { token, to: trainer.account.address, amount: 100n * MUSD });
    const access = await buyLicence(trainer, { market, token, listingId: A.listingId, kind: 'access', purposes: ['research'] });
    assert.equal(access.includedMask, 0b111n);
    accessLicence = access.licenceId;
    const training = await buyLicence(trainer, { market, token, listingId: A.listingId, kind: 'training', purposes: ['research'] });
    assert.equal(training.includedMask, 0b011n);
    trainingLicence = training.licenceId;
    splitSale(access.price, shares, access.includedMask).forEach((a, i) => (sales[i]! += a));
    splitSale(training.price, shares, training.includedMask).forEach((a, i) => (sales[i]! += a));

    const { agentId } = await registerAgent(chain.client, trainer, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://example.com/trainer.json' });
    const metrics = JSON.stringify({ accuracy: 0.88 });
    const input = { weightsDigest: digestOf('weights'), trainerAgentId: agentId, configDigest: digestOf('config'), metricsDigest: digestOf(metrics), baseModel: ZERO32, computeJobId: 0n, datasetRoots: [A.root], name: 'diabetes-risk', metrics, uri: '' };
    const registry = chain.address('ProvenanceRegistry');
    await registerModel(trainer, { registry, input, signer: trainer.account.address, signature: await signModel(trainer, { chainId: chain.deployment.chainId, registry, input }) });
    model = input.weightsDigest;
    ({ vault } = await registerModelRoyalty(trainer, { market, weightsDigest: model, licenceIds: [trainingLicence], beneficiary: addr(6), agentURI: 'https://example.com/diabetes-risk.json' }));
    let routed: Awaited<ReturnType<typeof routeModelRevenue>>['routed'];
    ({ routed, royalties, toBeneficiary } = await routeModelRevenue(chain, { market, token, vault, model, revenue, royaltyBps: [1000], shares }));
    assert.equal(routed.amount, revenue);

    // Contributor 1 revokes after the model; contributor 0 withdraws everything.
    await revokeConsent(chain.wallet(3), { market, listingId: A.listingId });
    withdrawn = (await withdrawDataCredit(chain.wallet(2), { market })).amount;
    await n.synced();
  });

  after(async () => {
    await bed?.stop();
  });

  it('catalogue: both listings with names and terms by purpose name; q, purpose, owner and pages narrow it; a bad purpose names the field', async () => {
    const all = (await getJson(n.url, '/v1/data/listings')).body;
    assert.deepEqual(all.items.map((l: any) => l.listingId), [B.listingId.toString(), A.listingId.toString()]);
    const a = all.items.find((l: any) => l.listingId === A.listingId.toString());
    assert.equal(a.name, 'diabetes-cohort');
    assert.equal(a.version, 1);
    assert.equal(a.root, A.root.toLowerCase());
    assert.deepEqual(a.terms.purposes, ['research', 'public-health']);
    assert.equal(a.terms.accessPrice, (5n * MUSD).toString());
    assert.equal(a.terms.royaltyBps, 1000);
    assert.equal(a.terms.commercialUse, true);
    assert.equal(a.contributorCount, 3);
    assert.equal(a.consenting, 2);
    assert.equal(a.revoked, 1);
    assert.equal(a.sales, 2);
    assert.equal(a.revenue, (25n * MUSD).toString());
    assert.equal(a.owner, addr(1));
    // 3 consents, 1 terms change, 1 revocation — the node's epoch is the one the chain quotes with.
    assert.equal(a.consentEpoch, 5);
    assert.equal(a.consentEpoch, (await quote(chain.client, { market, listingId: A.listingId, kind: 'access', purposes: ['research'] })).consentEpoch);
    const q = (s: string) => getJson(n.url, `/v1/data/listings?${s}`).then((r) => r.body.items.map((l: any) => l.listingId));
    assert.deepEqual(await q('q=ESSAY'), [B.listingId.toString()]);
    assert.deepEqual(await q('purpose=education'), [B.listingId.toString()]);
    assert.deepEqual(await q('purpose=research,public-health'), [A.listingId.toString()]);
    assert.deepEqual(await q(`owner=${addr(1)}&limit=5`), [B.listingId.toString(), A.listingId.toString()]);
    assert.deepEqual(await q(`owner=${addr(9)}`), []);
    const page = (await getJson(n.url, '/v1/data/listings?limit=1')).body;
    assert.equal(page.nextCursor, B.listingId.toString());
    assert.deepEqual((await getJson(n.url, `/v1/data/listings?limit=1&cursor=${page.nextCursor}`)).body.items.map((l: any) => l.listingId), [A.listingId.toString()]);
    const bad = await getJson(n.url, '/v1/data/listings?purpose=research,astrology');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'purpose');
    assert.match(bad.body.error.message, /astrology/);
    for (const [s, field] of [['limit=0', 'limit'], ['owner=0x12', 'owner'], ['cursor=x', 'cursor']] as const) assert.equal((await getJson(n.url, `/v1/data/listings?${s}`)).body.error.field, field, s);
  });

  it('listing: contributors with their consent and earnings to the unit, licences, versions, the model paying it', async () => {
    const { status, body: l } = await getJson(n.url, `/v1/data/listings/${A.listingId}`);
    assert.equal(status, 200);
    assert.equal(l.contributors.length, 3);
    const [c0, c1, c2] = l.contributors;
    assert.equal(c0.account, addr(2));
    assert.equal(c0.shareBps, 5000);
    assert.equal(c0.consent.state, 'given');
    assert.deepEqual(c0.consent.purposes, ['research', 'public-health']);
    assert.equal(c0.consent.training, true);
    assert.equal(c0.consent.commercial, true);
    assert.equal(c0.consent.documentDigest, digestOf('consent form v1'));
    assert.equal(c1.consent.state, 'revoked');
    assert.ok(c1.consent.revokedAt > 0);
    assert.equal(c2.consent.training, false);
    assert.equal(c2.consent.commercial, true);
    assert.deepEqual(c2.consent.purposes, ['research']);
    l.contributors.forEach((c: any, i: number) => {
      assert.equal(c.earnedSales, sales[i]!.toString(), `sales of contributor ${i}`);
      assert.equal(c.earnedRoyalties, royalties[i]!.toString(), `royalties of contributor ${i}`);
    });
    assert.deepEqual(l.licences.map((x: any) => x.licenceId), [trainingLicence.toString(), accessLicence.toString()]);
    assert.deepEqual(l.versions, [{ root: A.root.toLowerCase(), name: 'diabetes-cohort', version: 1, listingId: A.listingId.toString(), current: true }]);
    assert.equal(l.models.length, 1);
    assert.equal(l.models[0].weightsDigest, model);
    assert.equal(l.models[0].name, 'diabetes-risk');
    assert.equal(l.models[0].royaltyBps, 1000);
    assert.equal(l.models[0].paid, royalties.reduce((s, x) => s + x, 0n).toString());
    assert.equal(l.royalties, l.models[0].paid);
    assert.equal(l.hasRecords, false);
    assert.equal((await getJson(n.url, '/v1/data/listings/999')).status, 404);
    assert.equal((await getJson(n.url, '/v1/data/listings/x')).body.error.field, 'id');
  });

  it('consent audit: the revocation, with the model registered before it whose lineage holds the data', async () => {
    const { body: a } = await getJson(n.url, `/v1/data/listings/${A.listingId}/audit`);
    assert.equal(a.revocations.length, 1);
    const r = a.revocations[0];
    assert.equal(r.index, 1);
    assert.equal(r.account, addr(3));
    assert.deepEqual(r.models.map((m: any) => [m.weightsDigest, m.name, m.via, m.royalty]), [[model, 'diabetes-risk', 'dataset', true]]);
    assert.deepEqual(r.modelsAfter, []);
    assert.equal(a.modelsInLineage, 1);
    assert.deepEqual((await getJson(n.url, `/v1/data/listings/${B.listingId}/audit`)).body.revocations, []);
    assert.equal((await getJson(n.url, '/v1/data/listings/77/audit')).status, 404);
  });

  it('licences: by holder and listing, one in detail (valid, covered contributors, the model it trained)', async () => {
    const mine = (await getJson(n.url, `/v1/data/licences?holder=${addr(5)}`)).body.items;
    assert.deepEqual(mine.map((x: any) => x.licenceId), [trainingLicence.toString(), accessLicence.toString()]);
    assert.deepEqual((await getJson(n.url, `/v1/data/licences?listing=${B.listingId}`)).body.items, []);
    const t = (await getJson(n.url, `/v1/data/licences/${trainingLicence}`)).body;
    assert.equal(t.kind, 'training');
    assert.equal(t.valid, true);
    assert.deepEqual(t.included, [0, 1]);
    assert.equal(t.includedMask, '3');
    assert.equal(t.price, (20n * MUSD).toString());
    assert.equal(t.model, model);
    assert.equal(t.royaltyBps, 1000);
    assert.deepEqual(t.purposes, ['research']);
    assert.equal(t.name, 'diabetes-cohort');
    const acc = (await getJson(n.url, `/v1/data/licences/${accessLicence}`)).body;
    assert.deepEqual(acc.included, [0, 1, 2]);
    assert.equal(acc.model, null);
    assert.equal((await getJson(n.url, '/v1/data/licences/4242')).status, 404);
  });

  it('royalties per account: credits by reason, withdrawn and balance agree with the chain', async () => {
    const c0 = (await getJson(n.url, `/v1/data/royalties?account=${addr(2)}`)).body;
    assert.equal(c0.credited.sale, sales[0]!.toString());
    assert.equal(c0.credited.royalty, royalties[0]!.toString());
    assert.equal(c0.withdrawn, withdrawn.toString());
    assert.equal(withdrawn, sales[0]! + royalties[0]!);
    assert.equal(c0.balance, '0');
    assert.equal(c0.withdrawals.length, 1);
    for (const i of [1, 2]) {
      const c = (await getJson(n.url, `/v1/data/royalties?account=${addr(2 + i)}`)).body;
      assert.equal(c.balance, (await readDataCredit(chain.client, { market, account: addr(2 + i) })).toString(), `balance of contributor ${i}`);
      assert.equal(c.byListing[0].listingId, A.listingId.toString());
    }
    const ben = (await getJson(n.url, `/v1/data/royalties?account=${addr(6)}`)).body;
    assert.equal(ben.credited.modelRevenue, toBeneficiary.toString());
    assert.equal((await getJson(n.url, '/v1/data/royalties')).body.error.field, 'account');
  });

  it('model royalty flow: revenue → dataset → each contributor, and the beneficiary\'s rest, exact', async () => {
    const f = (await getJson(n.url, `/v1/data/models/${model}/royalties`)).body;
    assert.equal(f.vault, vault);
    assert.equal(f.beneficiary, addr(6));
    assert.equal(f.revenue, revenue.toString());
    assert.equal(f.toBeneficiary, toBeneficiary.toString());
    assert.equal(BigInt(f.toDatasets) + BigInt(f.toBeneficiary), revenue);
    assert.equal(f.datasets.length, 1);
    const d = f.datasets[0];
    assert.equal(d.name, 'diabetes-cohort');
    assert.equal(d.royaltyBps, 1000);
    assert.equal(d.paid, f.toDatasets);
    assert.deepEqual(d.contributors.map((c: any) => c.amount), royalties.map(String));
    assert.equal(f.routes.length, 1);
    assert.equal((await getJson(n.url, `/v1/data/models/${digestOf('nope')}/royalties`)).status, 404);
  });

  it('records: refused until the partition checks (folder, files, each contributor\'s root), from loopback only; then kept', async () => {
    const put = (id: bigint, body: unknown) => sendJson(n.url, 'PUT', `/v1/data/listings/${id}/records`, body);
    const parts = A.records.contributors;
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...A.records, location: B.dir }, 'location', /hashes to/],
      [{ ...A.records, location: 'relative/dir' }, 'location', /absolute/],
      [{ location: A.dir, contributors: parts.slice(0, 2) }, 'contributors', /contributor 2 .* is missing/],
      [{ location: A.dir, contributors: [{ index: 0, paths: [...parts[0]!.paths.slice(1), parts[1]!.paths[0]] }, ...parts.slice(1)] }, 'contributors[0].paths', /recordsRoot/],
      [{ location: A.dir, contributors: [parts[0], { index: 1, paths: [parts[0]!.paths[0], ...parts[1]!.paths] }, parts[2]] }, 'contributors[1].paths[0]', /contributor 0 already/],
      [{ location: A.dir, contributors: [{ index: 0, paths: ['site-a/nope.json'] }, ...parts.slice(1)] }, 'contributors[0].paths[0]', /not a file/],
      [{ location: A.dir, contributors: [{ index: 5, paths: ['x'] }] }, 'contributors[0].index', /indexes 0-2/],
      [{ ...A.records, extra: 1 }, 'extra', /unknown field/],
    ];
    for (const [body, field, why] of cases) {
      const r = await put(A.listingId, body);
      assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, why);
    }
    assert.equal((await put(999n, A.records)).status, 404);
    // Not from the node's machine (an in-process request has no loopback peer).
    const remote = await n.node.app.request(`/v1/data/listings/${A.listingId}/records`, { method: 'PUT', headers: { 'content-type': 'application/json', host: '127.0.0.1' }, body: JSON.stringify(A.records) });
    assert.equal(remote.status, 403);
    assert.equal(((await remote.json()) as any).error.field, 'location');
    assert.equal((await getJson(n.url, `/v1/data/listings/${A.listingId}`)).body.hasRecords, false, 'nothing kept after refusals');

    const ok = await put(A.listingId, A.records);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.files, A.manifest.files.length);
    assert.deepEqual(ok.body.contributors, [0, 1, 2].map((index) => ({ index, files: 3 })));
    assert.equal((await getJson(n.url, `/v1/data/listings/${A.listingId}`)).body.hasRecords, true);
    // The manifest is kept beside them, for buyers and audits.
    assert.equal((await getJson(n.url, `/v1/datasets/${A.root}/manifest`)).body.root, A.root);
  });

  it('the OpenAPI document lists every data route', async () => {
    const doc = (await getJson(n.url, '/v1/openapi.json')).body;
    for (const [p, m] of [
      ['/v1/data/listings', 'get'],
      ['/v1/data/listings/{id}', 'get'],
      ['/v1/data/listings/{id}/audit', 'get'],
      ['/v1/data/listings/{id}/records', 'put'],
      ['/v1/data/licences', 'get'],
      ['/v1/data/licences/{id}', 'get'],
      ['/v1/data/royalties', 'get'],
      ['/v1/data/models/{digest}/royalties', 'get'],
      ['/v1/data/deliveries', 'post'],
    ] as const) {
      assert.ok(doc.paths[p]?.[m], `${m.toUpperCase()} ${p} documented`);
    }
    assert.ok(doc.paths['/v1/data/deliveries'].post.responses['403']);
    assert.ok(doc.paths['/v1/data/deliveries'].post.responses['410']);
  });

  it('a sale in blocks a reorg takes away leaves the index with them', async () => {
    await n.synced();
    const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
    await giveConsent(chain.wallet(7), { market, listingId: B.listingId, documentDigest: digestOf('essay consent'), scope: consentScope({ purposes: ['education'], training: false, commercial: false }) });
    await faucet(chain.client, chain.wallet(0), { token, to: addr(8), amount: 10n * MUSD });
    const { licenceId } = await buyLicence(chain.wallet(8), { market, token, listingId: B.listingId, kind: 'access', purposes: ['education'] });
    await n.synced();
    assert.equal((await getJson(n.url, `/v1/data/licences/${licenceId}`)).status, 200);
    assert.equal((await getJson(n.url, `/v1/data/listings/${B.listingId}`)).body.sales, 1);
    assert.equal((await getJson(n.url, `/v1/data/royalties?account=${addr(7)}`)).body.credited.sale, (2n * MUSD).toString());
    await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
    for (let i = 0; i < 6; i++) await chain.client.request({ method: 'evm_mine' } as never);
    await waitFor('the reorg to be undone', async () => (await getJson(n.url, `/v1/data/licences/${licenceId}`)).status === 404);
    assert.equal((await getJson(n.url, `/v1/data/listings/${B.listingId}`)).body.sales, 0);
    assert.equal((await getJson(n.url, `/v1/data/royalties?account=${addr(7)}`)).body.credited.total, '0');
    assert.equal((await getJson(n.url, `/v1/data/listings/${B.listingId}`)).body.contributors[0].consent.state, 'none');
  });
});
