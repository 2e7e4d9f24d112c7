// The provenance pages as a person uses them: a real node (devnet with the whole protocol, indexer
// with the provenance module, the aggregator anchoring through the node's signer, API) serving the
// built dashboard to Debian's headless chromium. Digests anchored through the API appear as batches
// with their transactions and their receipts (proof checked in the page); two versions of a dataset
// show what changed between them; the lineage picture holds the datasets, the model trained on them
// and the model fine-tuned from it; and after one training file is changed on disk the audit marks
// that dataset red and names the file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { keccak256, stringToHex, toHex, type Hex } from 'viem';
import { buildWeb, webDistDir } from '../scripts/build-web.js';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { openNodeStore, type NodeStore } from '../src/node/db/store.ts';
import { identityModule } from '../src/node/identity/module.ts';
import { startIndexer, type RunningIndexer } from '../src/node/indexer/indexer.ts';
import { provenanceModule } from '../src/node/provenance/module.ts';
import { startNodeProvenance } from '../src/node/provenance/wiring.ts';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { registerDataset, registerModel, signModel } from '../src/provenance/actions.ts';
import { hashDirectory } from '../src/provenance/directory.ts';
import type { AnchorReceipt, Manifest } from '../src/provenance/types.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/machina-dashboard-provenance.png';
const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install -y chromium); provenance dashboard test skipped` : false;
const ZERO = `0x${'0'.repeat(64)}` as Hex;

type ProvNode = { url: string; logs: string[]; store: NodeStore; indexer: RunningIndexer; node: RunningNode; synced: () => Promise<void>; stop: () => Promise<void> };

/** The node as `machina up` runs it with provenance: embedded database, indexer, aggregator (fast batches), API + dashboard. */
async function startProvenanceNode(chain: TestChain): Promise<ProvNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-dash-prov-'));
  await seedEmbeddedDatabase(dataDir);
  const store = await openNodeStore({ dataDir, modules: [identityModule(), provenanceModule()] });
  const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
  const logs: string[] = [];
  const prov = await startNodeProvenance({
    client: chain.client,
    deployment: chain.deployment,
    db: store.db,
    schema: store.schema,
    dataDir,
    signer: chain.wallet(0),
    intervalMs: 300,
    maxBatch: 1_000_000,
    log: (l: string) => logs.push(l),
  });
  assert.ok(prov, 'the deployment has AnchorRegistry and ProvenanceRegistry');
  const node = await startNode({
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
    }),
  });
  return {
    url: node.url,
    logs,
    store,
    indexer,
    node,
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

/** A folder of small training files. */
function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

describe('dashboard: provenance', { skip }, () => {
  let chain: TestChain;
  let node: ProvNode;
  let browser: Browser;
  let work: string;
  let v1: Manifest;
  let v2: Manifest;
  let v2Dir: string;
  let modelA: Hex;
  let modelB: Hex;
  const digests: Hex[] = [];
  let receipts: AnchorReceipt[] = [];

  const registry = () => chain.deployment.contracts.ProvenanceRegistry!.address;
  async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await fetch(`${node.url}${p}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as T;
    assert.ok(res.ok, `${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  before(async () => {
    assert.ok(hasChromium, `${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    await buildWeb({ quiet: true });
    chain = await startTestChain();
    assert.ok(chain.deployment.contracts.AnchorRegistry && chain.deployment.contracts.ProvenanceRegistry, 'the protocol plan deploys AnchorRegistry and ProvenanceRegistry');
    node = await startProvenanceNode(chain);
    work = mkdtempSync(path.join(tmpdir(), 'machina-dash-prov-data-'));

    // Five digests through the aggregator: one batch (or a few), anchored by the node's signer.
    for (let i = 0; i < 5; i++) digests.push(keccak256(stringToHex(`dashboard digest ${i}`)));
    const submitted = await api<{ receipts: AnchorReceipt[] }>('POST', '/v1/anchors', { digests });
    assert.equal(submitted.receipts.length, 5);
    const deadline = Date.now() + 30_000;
    for (;;) {
      receipts = await Promise.all(digests.map((d) => api<AnchorReceipt>('GET', `/v1/anchors/receipts/${d}`)));
      if (receipts.every((r) => r.status === 'anchored')) break;
      assert.ok(Date.now() < deadline, `the digests were anchored within 30 s (${receipts.map((r) => r.status).join(', ')}); node log:\n${node.logs.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Dataset v1, then v2 derived from it: one file changed, one removed, one added.
    const v1Dir = path.join(work, 'v1');
    writeFiles(v1Dir, { 'train/a.txt': 'alpha\n', 'train/b.txt': 'bravo\n', 'train/c.txt': 'charlie\n', 'README.md': '# toy set\n' });
    v2Dir = path.join(work, 'v2');
    cpSync(v1Dir, v2Dir, { recursive: true });
    writeFiles(v2Dir, { 'train/b.txt': 'bravo, cleaned\n', 'train/d.txt': 'delta\n' });
    unlinkSync(path.join(v2Dir, 'train/c.txt'));
    v1 = await hashDirectory(v1Dir);
    v2 = await hashDirectory(v2Dir);
    const owner = chain.wallet(1);
    const register = async (m: Manifest, parent: Hex, dir: string) => {
      await registerDataset(owner, { registry: registry(), name: 'toy-set', root: m.root, parent, fileCount: BigInt(m.files.length), totalBytes: BigInt(m.totalBytes), uri: `${node.url}/v1/datasets/${m.root}/manifest` });
      // The node stores manifests only for datasets it has indexed: wait for the registration first.
      const indexed = Date.now() + 15_000;
      while ((await fetch(`${node.url}/v1/datasets/${m.root}`)).status === 404) {
        assert.ok(Date.now() < indexed, `dataset ${m.root} indexed within 15 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await api('PUT', `/v1/datasets/${m.root}/manifest`, { manifest: m, location: dir });
    };
    await register(v1, ZERO, v1Dir);
    await register(v2, v1.root, v2Dir);

    // Model A trained on v2 by agent 0 (owned by account 1); model B fine-tuned from A, also on v1.
    const { agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.deployment.contracts.IdentityRegistry!.address, agentURI: 'https://example.com/trainer.json' });
    const model = async (name: string, datasetRoots: Hex[], baseModel: Hex) => {
      const weightsDigest = keccak256(stringToHex(`weights of ${name}`));
      const metrics = JSON.stringify({ accuracy: 0.91 });
      const input = {
        weightsDigest,
        trainerAgentId: agentId,
        configDigest: keccak256(stringToHex(`config of ${name}`)),
        metricsDigest: keccak256(stringToHex(metrics)),
        baseModel,
        computeJobId: 0n,
        datasetRoots,
        name,
        metrics,
        uri: '',
      };
      const signature = await signModel(owner, { chainId: chain.deployment.chainId, registry: registry(), input });
      await registerModel(owner, { registry: registry(), input, signer: owner.account.address, signature });
      return weightsDigest;
    };
    modelA = await model('toy-model', [v2.root], ZERO);
    modelB = await model('toy-model-ft', [v1.root], modelA);
    await node.synced();

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  after(async () => {
    await browser?.close();
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

  it('lists the anchored batches with their transactions, and a pasted digest shows its receipt with the proof', async () => {
    const page = await openPage('#/anchors');
    const roots = [...new Set(receipts.map((r) => r.batch!.root))];
    for (const root of roots) {
      const row = page.locator(`[data-testid="anchor-row"][data-root="${root}"]`);
      await row.waitFor({ timeout: 10_000 });
      const tx = receipts.find((r) => r.batch!.root === root)!.anchor!.txHash;
      const link = row.locator('[data-testid="anchor-tx"]');
      assert.equal(await link.getAttribute('data-tx'), tx);
      assert.ok(await link.getAttribute('href'), 'the transaction is a link');
    }
    assert.equal(await page.locator('[data-testid="anchors-pending"]').textContent(), '0');
    // A batch opens on click: this node's aggregator built it.
    await page.locator(`[data-testid="anchor-row"][data-root="${roots[0]}"]`).click();
    await page.locator('[data-testid="anchor-detail"][data-ours="true"]').waitFor({ timeout: 10_000 });

    // Paste a digest: its receipt, anchored, with the proof checked in the page.
    const r = receipts[2]!;
    await page.locator('[data-testid="receipt-input"]').fill(r.digest);
    const receipt = page.locator(`[data-testid="receipt"][data-digest="${r.digest}"][data-status="anchored"]`);
    await receipt.waitFor({ timeout: 10_000 });
    assert.equal((await receipt.locator('[data-testid="receipt-root"]').textContent())?.toLowerCase(), r.batch!.root.toLowerCase());
    assert.match((await receipt.locator('[data-testid="proof-check"]').textContent()) ?? '', /proof leads to the root/);
    assert.equal(await receipt.locator('[data-testid="receipt-tx"]').getAttribute('data-tx'), r.anchor!.txHash);

    // A digest the node never saw: no receipt, said so.
    await page.locator('[data-testid="receipt-input"]').fill(toHex(7n, { size: 32 }));
    await page.locator('[data-testid="receipt-missing"]').waitFor({ timeout: 10_000 });

    // A new digest arrives pending and turns anchored on the open page.
    const fresh = keccak256(stringToHex('submitted while the page is open'));
    await page.locator('[data-testid="receipt-input"]').fill(fresh);
    await page.locator('[data-testid="receipt-missing"]').waitFor({ timeout: 10_000 });
    await api('POST', '/v1/anchors', { digests: [fresh] });
    const final = page.locator(`[data-testid="receipt"][data-digest="${fresh}"][data-status="anchored"]`);
    await final.waitFor({ timeout: 20_000 });
    // ... and its batch joins the list without a reload (RootAnchored over the live feed).
    const freshRoot = (await final.locator('[data-testid="receipt-root"]').textContent())!.trim();
    await page.locator(`[data-testid="anchor-row"][data-root="${freshRoot}"] [data-testid="anchor-tx"]`).waitFor({ timeout: 10_000 });
    // The receipts asked for before the node had them answered 404, which chromium logs; nothing else may.
    assert.deepEqual(page.problems.filter((p) => !/Failed to load resource: the server responded with a status of 404/.test(p)), []);
    await page.close();
  });

  it('lists both dataset versions and shows what changed from the parent', async () => {
    const page = await openPage('#/datasets');
    for (const [m, version] of [[v1, 1], [v2, 2]] as const) {
      const row = page.locator(`[data-testid="dataset-row"][data-root="${m.root}"]`);
      await row.waitFor({ timeout: 10_000 });
      assert.equal(await row.getAttribute('data-version'), String(version));
      assert.equal(await row.getAttribute('data-name'), 'toy-set');
    }
    await page.locator(`[data-testid="dataset-row"][data-root="${v2.root}"] a`).first().click();
    await page.locator(`[data-testid="dataset-page"][data-root="${v2.root}"] [data-testid="dataset-record"]`).waitFor({ timeout: 10_000 });
    assert.equal((await page.locator('[data-testid="dataset-version"]').textContent())?.trim(), '2');
    assert.equal(await page.locator('[data-testid="dataset-parent"] [data-testid="dataset-link"]').getAttribute('data-root'), v1.root);

    const diff = page.locator('[data-testid="diff-view"]');
    await diff.waitFor({ timeout: 10_000 });
    assert.equal(await diff.getAttribute('data-changed'), '1');
    assert.equal(await diff.getAttribute('data-added'), '1');
    assert.equal(await diff.getAttribute('data-removed'), '1');
    await page.locator('[data-testid="diff-row"][data-kind="changed"][data-path="train/b.txt"]').waitFor();
    await page.locator('[data-testid="diff-row"][data-kind="added"][data-path="train/d.txt"]').waitFor();
    await page.locator('[data-testid="diff-row"][data-kind="removed"][data-path="train/c.txt"]').waitFor();

    // The manifest: every file of v2.
    await page.locator('[data-testid="manifest-table"]').waitFor({ timeout: 10_000 });
    const paths = await page.locator('[data-testid="manifest-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
    assert.deepEqual(paths, v2.files.map((f) => f.path));
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('draws the lineage: dataset versions, the model trained on them, the fine-tuned model, edges by kind', async () => {
    const page = await openPage('#/models');
    await page.locator(`[data-testid="model-row"][data-id="${modelB}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`[data-testid="model-row"][data-id="${modelB}"] a`).first().click();
    const svg = page.locator('[data-testid="lineage-svg"]');
    await svg.waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="audit-report"][data-verdict="intact"]').waitFor({ timeout: 20_000 });

    const nodes = await svg.locator('[data-testid="lineage-node"]').evaluateAll((els) =>
      els.map((e) => ({ id: e.getAttribute('data-id'), kind: e.getAttribute('data-kind'), depth: Number(e.getAttribute('data-depth')), tampered: e.getAttribute('data-tampered') })),
    );
    const byId = new Map(nodes.map((n) => [n.id, n]));
    for (const id of [v1.root, v2.root, modelA, modelB]) assert.ok(byId.has(id.toLowerCase()), `node ${id} drawn`);
    assert.equal(byId.get(v1.root.toLowerCase())!.kind, 'dataset');
    assert.equal(byId.get(modelB.toLowerCase())!.kind, 'model');
    // Columns by depth: v1, then v2, then model A, then its fine-tuned model B.
    assert.deepEqual([v1.root, v2.root, modelA, modelB].map((id) => byId.get(id.toLowerCase())!.depth), [0, 1, 2, 3]);
    assert.ok(nodes.every((n) => n.tampered === 'false'));

    const edges = await svg.locator('[data-testid="lineage-edge"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}:${e.getAttribute('data-kind')}`));
    const want = [`${v1.root}>${v2.root}:parent`, `${v2.root}>${modelA}:trained-on`, `${modelA}>${modelB}:base-model`, `${v1.root}>${modelB}:trained-on`].map((s) => s.toLowerCase());
    for (const e of want) assert.ok(edges.includes(e), `edge ${e} drawn (have ${edges.join(', ')})`);
    const labels = await svg.locator('[data-testid="lineage-edge"] text').allTextContents();
    assert.ok(labels.includes('derived') && labels.includes('trained on') && labels.includes('fine-tuned'), `edge labels: ${labels.join(', ')}`);

    // Nodes are links: the v2 node opens its dataset page.
    await svg.locator(`[data-testid="lineage-node"][data-id="${v2.root.toLowerCase()}"]`).click();
    await page.locator(`[data-testid="dataset-page"][data-root="${v2.root.toLowerCase()}"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('marks the dataset red and names the file after a training file is changed', async (t) => {
    writeFileSync(path.join(v2Dir, 'train/a.txt'), 'alphA\n');
    const page = await openPage(`#/lineage/${modelB}`);
    const bad = page.locator(`[data-testid="lineage-node"][data-id="${v2.root.toLowerCase()}"][data-tampered="true"]`);
    await bad.waitFor({ timeout: 20_000 });
    assert.equal(await bad.getAttribute('data-files'), 'train/a.txt');
    assert.match((await bad.locator('[data-testid="lineage-bad-file"]').first().textContent()) ?? '', /tampered: train\/a\.txt/);
    // Only v2 holds the changed file; v1's copy is untouched.
    assert.equal(await page.locator(`[data-testid="lineage-node"][data-id="${v1.root.toLowerCase()}"]`).getAttribute('data-tampered'), 'false');
    assert.equal(await page.locator('[data-testid="audit-report"]').getAttribute('data-verdict'), 'file-tampered');
    await page.locator('[data-testid="audit-finding"][data-path="train/a.txt"]').waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);

    // Put it back and run the audit again from the page: intact, nothing red.
    writeFileSync(path.join(v2Dir, 'train/a.txt'), 'alpha\n');
    await page.locator('[data-testid="audit-rerun"]').click();
    await page.locator('[data-testid="audit-report"][data-verdict="intact"]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('[data-testid="lineage-node"][data-tampered="true"]').count(), 0);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
