// The data marketplace pages as a person uses them: a real node (devnet with the whole protocol,
// indexer with the identity, provenance and data modules, API) serving the built dashboard to Debian's
// headless chromium. A seller lists a patient-records dataset with three contributors; two consent to
// research and training, one to research only; a buyer takes an access licence and a training licence
// (each split among the contributors its sale covers); the buyer's trainer registers a model on the
// data with a royalty, revenue lands in the model's vault and is routed; then a contributor revokes.
// The catalogue (search and purpose filter), the listing (terms, contributors with consent and the
// revocation, licences, royalties, the consent audit), the licences by holder and the model's royalty
// flow (one band per contributor, labelled, widths proportional) show the numbers the chain holds; a
// sale made while the catalogue is open shows up without a reload.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Address, Hex } from 'viem';
import { buildWeb, webDistDir } from '../scripts/build-web.js';
import { buyLicence, giveConsent, publishListing, registerModelRoyalty, revokeConsent } from '../src/data/market.ts';
import { splitSale } from '../src/data/split.ts';
import { consentScope } from '../src/data/terms.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { dataModule, dataModules, startNodeData } from '../src/node/data/wiring.ts';
import { openNodeStore, type NodeStore } from '../src/node/db/store.ts';
import { identityModule } from '../src/node/identity/module.ts';
import { startIndexer, type RunningIndexer } from '../src/node/indexer/indexer.ts';
import { provenanceModule } from '../src/node/provenance/module.ts';
import { startNodeProvenance } from '../src/node/provenance/wiring.ts';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { faucet } from '../src/pay/token.ts';
import { registerDataset, registerModel, signModel } from '../src/provenance/actions.ts';
import { hashDirectory } from '../src/provenance/directory.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { baseTerms, digestOf, MUSD as mUSD } from './data/fixtures.ts';
import { routeModelRevenue } from './node/fixtures/dataNode.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard-data.png';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); data dashboard test skipped` : false;
const ZERO = `0x${'0'.repeat(64)}` as Hex;
const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
const lower = (a: string | null) => (a ?? '').toLowerCase();

type DataNode = { url: string; logs: string[]; synced: () => Promise<void>; stop: () => Promise<void> };

/** The embedded database with the identity, provenance and data modules (opened while the devnet starts: it takes longest). */
async function openDataStore(): Promise<{ store: NodeStore; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-dash-data-'));
  return { store: await openNodeStore({ dataDir, modules: [identityModule(), provenanceModule(), dataModule()] }), dataDir };
}

/** The node as `machina up` runs it with the data marketplace: indexer (identity, provenance, data), API + dashboard. */
async function startDataNode(chain: TestChain, { store, dataDir }: { store: NodeStore; dataDir: string }): Promise<DataNode> {
  assert.equal(dataModules(chain.deployment).length, 1, 'the deployment has DataMarket and the provenance registries');
  const indexer: RunningIndexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
  const logs: string[] = [];
  const prov = await startNodeProvenance({ client: chain.client, deployment: chain.deployment, db: store.db, schema: store.schema, dataDir, signer: undefined, log: (l: string) => logs.push(l) });
  assert.ok(prov, 'the deployment has the provenance registries');
  const data = startNodeData({ client: chain.client, deployment: chain.deployment, db: store.db, provenance: prov.parts.queries });
  assert.ok(data, 'the deployment has DataMarket');
  const node: RunningNode = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (publicUrl) => ({
      client: chain.client,
      deployment: chain.deployment,
      version: 'test',
      queries: store.queries,
      feed: store.feed,
      hosted: store,
      publicUrl,
      webRoot: webDistDir,
      log: (l: string) => logs.push(l),
      provenance: prov.parts,
      data,
    }),
  });
  return {
    url: node.url,
    logs,
    synced: async () => indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 }),
    stop: async () => {
      await node.close();
      await prov.stop();
      await indexer.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('dashboard: data marketplace', { skip }, () => {
  let chain: TestChain;
  let node: DataNode;
  let browser: Browser;
  let launching: Promise<Browser> | undefined;
  let work: string;
  let market: Address;
  let token: Address;
  let listingId: bigint;
  let otherListingId: bigint;
  let accessLicence: bigint;
  let trainingLicence: bigint;
  let model: Hex;
  let vault: Address;
  const shares = [5000, 3000, 2000];
  let contributors: Address[];
  let buyer: Address;
  let beneficiary: Address;
  /** What each contributor was credited, by source. */
  const sales = [0n, 0n, 0n];
  let royalties: bigint[];
  let toBeneficiary: bigint;
  const revenue = 12n * mUSD;

  const terms = baseTerms;

  async function api<T>(p: string): Promise<T> {
    const res = await fetch(`${node.url}${p}`);
    const json = (await res.json()) as T;
    assert.ok(res.ok, `GET ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Registers a folder as a dataset version of `owner` (wallet 1) and returns its root. */
  async function dataset(name: string, files: Record<string, string>): Promise<Hex> {
    const dir = path.join(work, name);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    const m = await hashDirectory(dir);
    await registerDataset(chain.wallet(1), { registry: chain.address('ProvenanceRegistry'), name, root: m.root, parent: ZERO, fileCount: BigInt(m.files.length), totalBytes: BigInt(m.totalBytes), uri: '' });
    return m.root;
  }

  before(async () => {
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    // The browser starts while the chain work runs.
    launching = import('playwright-core').then(({ chromium }) =>
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      }),
    );
    launching.catch(() => {});
    const opened = openDataStore();
    const [started] = await Promise.all([startTestChain(), buildWeb({ quiet: true }), opened]);
    chain = started;
    assert.ok(chain.deployment.contracts.DataMarket, 'the protocol plan deploys DataMarket');
    market = chain.address('DataMarket');
    token = chain.address('SettlementToken');
    node = await startDataNode(chain, await opened);
    work = mkdtempSync(path.join(tmpdir(), 'machina-dash-data-files-'));
    const seller = chain.wallet(1);
    contributors = [2, 3, 4].map((i) => chain.wallet(i).account.address);
    const trainer = chain.wallet(5);
    buyer = trainer.account.address;
    beneficiary = chain.wallet(6).account.address;

    // Meanwhile (other accounts): the buyer's funds and its trainer agent.
    const funded = faucet(chain.client, chain.wallet(0), { token, to: buyer, amount: 100n * mUSD });
    const trainerAgent = registerAgent(chain.client, trainer, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://example.com/trainer.json' });
    // Two datasets: patient records of three contributors (research, public health), and essays (education).
    const root = await dataset('diabetes-cohort', { 'site-a/p-1.json': '{"glucose":5.1}', 'site-b/p-1.json': '{"glucose":6.3}', 'site-c/p-1.json': '{"glucose":7.0}' });
    const essays = await dataset('school-essays', { 'e-1.txt': 'an essay\n' });
    ({ listingId } = await publishListing(seller, {
      market,
      root,
      // Commercial terms: a model royalty needs commercial training licences.
      terms: terms({ commercialUse: true }),
      contributors: contributors.map((account, i) => ({ account, shareBps: shares[i]!, recordsRoot: digestOf(`records of site ${i}`) })),
    }));
    ({ listingId: otherListingId } = await publishListing(seller, {
      market,
      root: essays,
      terms: terms({ purposes: ['education'], trainingAllowed: false, royaltyBps: 0, accessPrice: 2n * mUSD }),
      contributors: [{ account: chain.wallet(7).account.address, shareBps: 10_000, recordsRoot: digestOf('essays') }],
    }));

    // Consent: contributors 0 and 1 to research, public health, training and commercial use; contributor 2 to
    // research and commercial use only (no training).
    const documentDigest = digestOf('consent form v1');
    const full = consentScope({ purposes: ['research', 'public-health'], training: true, commercial: true });
    await Promise.all([
      giveConsent(chain.wallet(2), { market, listingId, documentDigest, scope: full }),
      giveConsent(chain.wallet(3), { market, listingId, documentDigest, scope: full }),
      giveConsent(chain.wallet(4), { market, listingId, documentDigest, scope: consentScope({ purposes: ['research'], training: false, commercial: true }) }),
      giveConsent(chain.wallet(7), { market, listingId: otherListingId, documentDigest, scope: consentScope({ purposes: ['education'], training: false, commercial: false }) }),
      funded,
      trainerAgent,
    ]);

    // The buyer: an access licence (covers all three) and a training licence (covers the two who allow training).
    const access = await buyLicence(trainer, { market, token, listingId, kind: 'access', purposes: ['research'] });
    assert.equal(access.includedMask, 0b111n);
    accessLicence = access.licenceId;
    const training = await buyLicence(trainer, { market, token, listingId, kind: 'training', purposes: ['research'] });
    assert.equal(training.includedMask, 0b011n);
    trainingLicence = training.licenceId;
    splitSale(access.price, shares, access.includedMask).forEach((a, i) => (sales[i]! += a));
    splitSale(training.price, shares, training.includedMask).forEach((a, i) => (sales[i]! += a));

    // The model trained on the data, its royalty registration, and revenue routed from its vault.
    const { agentId } = await trainerAgent;
    const metrics = JSON.stringify({ accuracy: 0.88 });
    const input = {
      weightsDigest: digestOf('weights of the risk model'),
      trainerAgentId: agentId,
      configDigest: digestOf('config'),
      metricsDigest: digestOf(metrics),
      baseModel: ZERO,
      computeJobId: 0n,
      datasetRoots: [root],
      name: 'diabetes-risk',
      metrics,
      uri: '',
    };
    const registry = chain.address('ProvenanceRegistry');
    const signature = await signModel(trainer, { chainId: chain.deployment.chainId, registry, input });
    await registerModel(trainer, { registry, input, signer: trainer.account.address, signature });
    model = input.weightsDigest;
    ({ vault } = await registerModelRoyalty(trainer, { market, weightsDigest: model, licenceIds: [trainingLicence], beneficiary, agentURI: 'https://example.com/diabetes-risk.json' }));
    let routed: Awaited<ReturnType<typeof routeModelRevenue>>['routed'];
    ({ routed, royalties, toBeneficiary } = await routeModelRevenue(chain, { market, token, vault, model, revenue, royaltyBps: [1000], shares }));
    assert.equal(routed.amount, revenue);
    assert.equal(routed.toBeneficiary, toBeneficiary);

    // Contributor 1 revokes after the model was trained: the audit names the model; its royalties stay.
    await revokeConsent(chain.wallet(3), { market, listingId });
    await node.synced();

    browser = await launching;
  });

  after(async () => {
    // A browser launched for a setup that failed later is closed too.
    await (browser ?? (await launching?.catch(() => undefined)))?.close();
    await node?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function openPage(hash: string): Promise<Page & { problems: string[] }> {
    const page = (await browser.newPage({ viewport: { width: 1400, height: 1000 } })) as Page & { problems: string[] };
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && page.problems.push(`console error: ${m.text()}`));
    await page.goto(`${node.url}/${hash}`);
    await page.locator('[data-testid="live-status"][data-status="live"]').waitFor({ timeout: 10_000 });
    return page;
  }

  it('shows the catalogue with prices, royalty, consenting contributors and sales; search and purpose filter narrow it', async () => {
    const page = await openPage('#/data');
    const row = page.locator(`[data-testid="listing-row"][data-listing-id="${listingId}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await row.getAttribute('data-name'), 'diabetes-cohort');
    assert.equal(await row.getAttribute('data-access-price'), String(5n * mUSD));
    assert.equal(await row.getAttribute('data-training-price'), String(20n * mUSD));
    assert.equal(await row.getAttribute('data-royalty-bps'), '1000');
    assert.equal(await row.getAttribute('data-consenting'), '2', 'contributor 1 revoked');
    assert.equal(await row.getAttribute('data-contributors'), '3');
    assert.equal(await row.getAttribute('data-sales'), '2');
    assert.equal(await row.getAttribute('data-revenue'), String(25n * mUSD));
    assert.equal(await row.getAttribute('data-royalties'), String(revenue / 10n));
    assert.equal((await row.locator('[data-testid="listing-access"]').textContent())?.trim(), '5 mUSD');
    assert.equal((await row.locator('[data-testid="listing-training"]').textContent())?.trim(), '20 mUSD');
    assert.equal((await row.locator('[data-testid="listing-royalty"]').textContent())?.trim(), '10%');
    assert.match((await row.locator('[data-testid="listing-consenting"]').textContent()) ?? '', /2 of 3\s*1 revoked/);
    const other = page.locator(`[data-testid="listing-row"][data-listing-id="${otherListingId}"]`);
    assert.equal(await other.getAttribute('data-training-price'), '');
    assert.match((await other.locator('[data-testid="listing-training"]').textContent()) ?? '', /not allowed/);

    // The purpose filter: public health keeps the cohort only; education the essays only.
    await page.locator('[data-testid="data-purpose"]').selectOption('public-health');
    await other.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await page.locator('[data-testid="listing-row"]').count(), 1);
    assert.match(page.url(), /#\/data\?purpose=public-health$/);
    await page.locator('[data-testid="data-purpose"]').selectOption('education');
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await other.waitFor();
    // Search by name.
    await page.locator('[data-testid="data-purpose"]').selectOption('');
    await page.locator('[data-testid="data-search"]').fill('cohort');
    await other.waitFor({ state: 'detached', timeout: 10_000 });
    await row.waitFor();
    assert.equal(await page.locator('[data-testid="listing-row"]').count(), 1);
    await page.locator('[data-testid="data-search"]').fill('no such dataset');
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('shows a listing: terms in words, contributors with share and consent (one revoked), licences, royalties and the consent audit', async () => {
    const page = await openPage('#/data');
    await page.locator(`[data-testid="listing-row"][data-listing-id="${listingId}"] [data-testid="listing-link"]`).click();
    await page.locator(`[data-testid="listing-page"][data-listing-id="${listingId}"] [data-testid="contributors-table"]`).waitFor({ timeout: 10_000 });
    const words = (await page.locator('[data-testid="terms-words"]').textContent()) ?? '';
    assert.match(words, /access licence .* costs 5 mUSD, for research or public health/);
    assert.match(words, /training licence .* costs 20 mUSD/);
    assert.match(words, /10% of the revenue of every model trained on it/);
    assert.match(words, /Commercial use is allowed \(with contributors who consented to it\)/);
    assert.doesNotMatch(words, /Non-commercial/);
    assert.match(words, /valid for 30 days/);
    assert.equal((await page.locator('[data-testid="listing-stat-sales"]').textContent())?.trim(), '2');
    assert.equal(await page.locator('[data-testid="listing-revenue"]').getAttribute('data-amount'), String(25n * mUSD));
    assert.equal(await page.locator('[data-testid="listing-royalties"]').getAttribute('data-amount'), String(revenue / 10n));

    const rows = await page.locator('[data-testid="contributor-row"]').evaluateAll((els) =>
      els.map((e) => ({ account: e.getAttribute('data-account'), share: e.getAttribute('data-share-bps'), consent: e.getAttribute('data-consent'), sales: e.getAttribute('data-earned-sales'), royalties: e.getAttribute('data-earned-royalties') })),
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r, account: lower(r.account) })),
      contributors.map((a, i) => ({ account: lower(a), share: String(shares[i]), consent: i === 1 ? 'revoked' : 'given', sales: String(sales[i]), royalties: String(royalties[i]) })),
    );
    assert.equal((await page.locator('[data-testid="contributor-row"][data-index="1"] [data-testid="consent-state"]').textContent())?.trim(), 'revoked');
    assert.match((await page.locator('[data-testid="contributor-row"][data-index="2"] [data-testid="consent-scope"]').textContent()) ?? '', /^research · commercial use$/);
    assert.equal((await page.locator('[data-testid="contributor-row"][data-index="0"] [data-testid="contributor-share"]').textContent())?.trim(), '50%');

    // The licences sold: both of the buyer's, the training one not bound to a job yet.
    const licences = await page.locator('[data-testid="listing-licences"] [data-testid="licence-row"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-licence-id')}:${e.getAttribute('data-kind')}:${e.getAttribute('data-price')}`));
    assert.deepEqual(licences.sort(), [`${accessLicence}:access:${5n * mUSD}`, `${trainingLicence}:training:${20n * mUSD}`].sort());

    // Royalties received: the model, with its flow.
    const m = page.locator(`[data-testid="listing-model"][data-digest="${model}"]`);
    await m.waitFor();
    assert.equal(await m.getAttribute('data-paid'), String(revenue / 10n));
    await m.locator('[data-testid="royalty-flow"]').waitFor({ timeout: 10_000 });
    assert.equal(await m.locator('[data-testid="flow-band"][data-kind="contributor"][data-revoked="true"]').count(), 1, 'the revoked contributor is marked in the flow');

    // The consent audit: contributor 1's revocation, with the model trained before it.
    const rev = page.locator('[data-testid="audit-revocation"][data-index="1"]');
    await rev.waitFor({ timeout: 10_000 });
    assert.equal(lower(await rev.getAttribute('data-account')), lower(contributors[1]!));
    assert.equal(await rev.getAttribute('data-models'), '1');
    assert.equal(lower(await rev.locator('[data-testid="audit-model"]').getAttribute('data-digest')), lower(model));
    assert.equal(await page.locator('[data-testid="audit-revocation"]').count(), 1);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('shows the licences a holder has: kind, validity, price', async () => {
    const page = await openPage(`#/data/licences?holder=${buyer}`);
    await page.locator('[data-testid="licence-row"]').first().waitFor({ timeout: 10_000 });
    const rows = await page.locator('[data-testid="licence-row"]').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-licence-id'), kind: e.getAttribute('data-kind'), holder: e.getAttribute('data-holder'), valid: e.getAttribute('data-valid'), job: e.getAttribute('data-job-id') })));
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(lower(r.holder), lower(buyer));
      assert.equal(r.valid, 'true');
      assert.equal(r.job, '', 'not bound to a compute job');
    }
    assert.deepEqual(rows.map((r) => `${r.id}:${r.kind}`).sort(), [`${accessLicence}:access`, `${trainingLicence}:training`].sort());
    assert.equal((await page.locator('[data-testid="licences-stat-paid"]').textContent())?.trim(), '25 mUSD');
    assert.match((await page.locator(`[data-testid="licence-row"][data-licence-id="${trainingLicence}"] [data-testid="licence-job"]`).textContent()) ?? '', /not bound yet/);
    // Another holder holds none.
    await page.locator('[data-testid="licences-holder"]').fill(beneficiary);
    await page.locator('[data-testid="licence-row"]').first().waitFor({ state: 'detached', timeout: 10_000 });
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it("draws the model's royalty flow: revenue → beneficiary and dataset → one band per contributor, labelled, widths proportional", async () => {
    const page = await openPage(`#/data/models/${model}`);
    const flow = page.locator(`[data-testid="royalty-flow"][data-routed="true"]`);
    await flow.waitFor({ timeout: 10_000 });
    assert.equal(await flow.getAttribute('data-revenue'), String(revenue));
    assert.equal(await page.locator('[data-testid="model-beneficiary"]').getAttribute('data-amount'), String(toBeneficiary));

    const bands = await flow.locator('[data-testid="flow-band"]').evaluateAll((els) =>
      els.map((e) => ({ kind: e.getAttribute('data-kind'), to: e.getAttribute('data-to'), account: e.getAttribute('data-account'), amount: e.getAttribute('data-amount'), width: Number(e.getAttribute('data-width')) })),
    );
    const ben = bands.filter((b) => b.kind === 'beneficiary');
    assert.equal(ben.length, 1);
    assert.equal(ben[0]!.amount, String(toBeneficiary));
    const ds = bands.filter((b) => b.kind === 'dataset');
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.amount, String(revenue / 10n));
    const cs = bands.filter((b) => b.kind === 'contributor');
    assert.equal(cs.length, 3, 'one band per contributor');
    for (const [i, account] of contributors.entries()) {
      const band = cs.filter((b) => lower(b.account) === lower(account));
      assert.equal(band.length, 1, `one band for contributor ${i}`);
      assert.equal(band[0]!.amount, String(royalties[i]));
      // Its label: the account, its share, the amount.
      const label = (await flow.locator(`[data-testid="flow-node"][data-id="${band[0]!.to}"]`).textContent()) ?? '';
      assert.ok(label.includes(short(account)), `label "${label}" names ${short(account)}`);
      assert.ok(label.includes(`${shares[i]! / 100}%`), `label "${label}" gives the share`);
      assert.ok(label.includes(`${Number(royalties[i]) / 1e6} mUSD`), `label "${label}" gives the amount`);
    }
    // Widths proportional to the amounts, on one scale for the whole picture.
    const unit = ben[0]!.width / Number(toBeneficiary);
    for (const b of [...ds, ...cs]) assert.ok(Math.abs(b.width - Number(b.amount) * unit) < 0.01, `band to ${b.to}: width ${b.width} for ${b.amount}`);
    assert.ok(Math.abs(cs.reduce((s, b) => s + b.width, 0) - ds[0]!.width) < 0.01, 'the contributors share the whole dataset band');
    assert.match((await flow.locator('[data-testid="flow-node"][data-id="revenue"]').textContent()) ?? '', /12 mUSD revenue/);
    assert.equal(lower(await page.locator('[data-testid="model-dataset-row"]').getAttribute('data-listing-id')), String(listingId));
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('updates live: a sale made while the catalogue is open shows up without a reload', async () => {
    const page = await openPage('#/data');
    await page.locator(`[data-testid="listing-row"][data-listing-id="${otherListingId}"][data-sales="0"]`).waitFor({ timeout: 10_000 });
    await buyLicence(chain.wallet(5), { market, token, listingId: otherListingId, kind: 'access', purposes: ['education'] });
    await page.locator(`[data-testid="listing-row"][data-listing-id="${otherListingId}"][data-sales="1"][data-revenue="${2n * mUSD}"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
