// The node's provenance on a real devnet and both databases: digests in through the API, pending
// receipts, batches sealed by size and by time, anchored receipts whose proofs verify offline and on
// chain, idempotent resubmission, pending digests kept across a restart; registry events indexed
// (and undone by a reorg); datasets, manifests (only of registered versions; a location only from the
// node's own machine), diffs, models, lineage, audits shared while running; bad input named.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bytesToHex, type Hex } from 'viem';
import { anchorRegistryAbi, provenanceRegistryAbi } from '../../src/chain/artifacts/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { JournalError } from '../../src/node/provenance/journal.ts';
import { digestLeaf, verifyProof } from '../../src/provenance/merkle/index.ts';
import { buildManifest } from '../../src/provenance/manifest.ts';
import type { AnchorReceipt, Manifest } from '../../src/provenance/types.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { ensureProvenanceContracts, startProvenanceNode, type ProvenanceNode } from './fixtures/provenanceNode.ts';
import { databaseKinds } from './fixtures/stores.ts';

const kinds = await databaseKinds();
// The intake tests restart nodes often; PostgreSQL opens in a fraction of PGlite's time.
const fastKind = kinds.includes('postgres') ? 'postgres' : 'pglite';
const digest = () => bytesToHex(randomBytes(32));
const digests = (n: number) => Array.from({ length: n }, digest);

async function post(url: string, body: unknown, type = 'application/json') {
  const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': type }, body: type === 'application/json' ? JSON.stringify(body) : (body as never) });
  return { status: res.status, body: (await res.json()) as any };
}
const get = async (url: string, p: string) => {
  const res = await fetch(`${url}${p}`);
  return { status: res.status, body: (await res.json()) as any };
};

/** Checks an anchored receipt: the proof leads to the root offline, the registry agrees on chain, the anchor matches the tx. */
async function assertAnchored(chain: TestChain, r: AnchorReceipt, d: Hex) {
  assert.equal(r.status, 'anchored', `receipt of ${d} is ${r.status}`);
  assert.equal(r.digest, d);
  assert.ok(r.batch && r.anchor);
  assert.ok(verifyProof(r.batch.root, digestLeaf(d), r.batch.proof), 'proof verifies offline');
  const onChain = await chain.client.readContract({ address: chain.address('AnchorRegistry'), abi: anchorRegistryAbi, functionName: 'verify', args: [r.batch.proof, r.batch.root, d] });
  assert.equal(onChain, true, 'AnchorRegistry.verify accepts it');
  const tx = await chain.client.getTransactionReceipt({ hash: r.anchor.txHash });
  assert.equal(tx.blockHash, r.anchor.blockHash);
  assert.equal(tx.blockNumber.toString(), r.anchor.blockNumber);
  assert.equal(r.chainId, chain.client.chain.id);
  assert.equal(r.registry.toLowerCase(), chain.address('AnchorRegistry').toLowerCase());
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('provenance intake and receipts', () => {
  let chain: TestChain;
  before(async () => {
    chain = await startTestChain();
    await ensureProvenanceContracts(chain);
  });
  after(async () => chain?.stop());

  it('submit -> pending receipt -> anchored receipt whose proof verifies offline and on chain', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind });
    try {
      const ds = digests(5);
      const res = await post(n.url, { digests: ds, subject: { kind: 'digest', name: 'five' } });
      assert.equal(res.status, 202);
      assert.equal(res.body.receipts.length, 5);
      for (const [i, r] of (res.body.receipts as AnchorReceipt[]).entries()) {
        assert.equal(r.status, 'pending');
        assert.equal(r.digest, ds[i]);
        assert.equal(r.type, 'machina.anchor-receipt');
        assert.equal(r.node, n.url);
        assert.deepEqual(r.subject, { kind: 'digest', name: 'five' });
      }
      const pending = await get(n.url, `/v1/anchors/receipts/${ds[0]}`);
      assert.equal(pending.status, 200);
      assert.equal(pending.body.status, 'pending');
      assert.equal((await get(n.url, '/v1/anchors')).body.pending, 5);
      await n.parts.aggregator!.flush();
      for (const d of ds) {
        const r = await get(n.url, `/v1/anchors/receipts/${d}`);
        await assertAnchored(chain, r.body, d);
        assert.equal(r.body.submittedAt, pending.body.submittedAt);
      }
      // The same digest in upper case is the same digest.
      assert.equal((await get(n.url, `/v1/anchors/receipts/${ds[1]!.toUpperCase().replace('0X', '0x')}`)).body.status, 'anchored');
    } finally {
      await n.stop();
    }
  });

  it('resubmission is idempotent: the first receipt stays, anchored ones come back final, no new batch', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind });
    try {
      const ds = digests(3);
      const first = await post(n.url, { digests: ds });
      await new Promise((r) => setTimeout(r, 5));
      const again = await post(n.url, { digests: [ds[0], ds[0], ds[1]] });
      assert.equal(again.status, 202);
      assert.equal(again.body.receipts[0].submittedAt, first.body.receipts[0].submittedAt);
      await n.parts.aggregator!.flush();
      const batches = n.parts.aggregator!.batches().length;
      assert.equal(batches, 1, 'three digests, one batch, duplicates left out');
      assert.equal(n.parts.aggregator!.batches()[0]!.size, 3);
      const final = await post(n.url, { digests: ds });
      for (const [i, r] of (final.body.receipts as AnchorReceipt[]).entries()) await assertAnchored(chain, r, ds[i] as Hex);
      const raw = await post(n.url, Buffer.from(ds.map((d) => d.slice(2)).join(''), 'hex'), 'application/octet-stream');
      assert.deepEqual(raw, { status: 202, body: { accepted: 3 } });
      await n.parts.aggregator!.flush();
      assert.equal(n.parts.aggregator!.batches().length, batches, 'nothing new to anchor');
    } finally {
      await n.stop();
    }
  });

  it('seals by size (maxBatch) at once and by time (intervalMs) without being asked', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind, intervalMs: 60_000, maxBatch: 100 });
    try {
      const raw = randomBytes(250 * 32);
      assert.deepEqual(await post(n.url, raw, 'application/octet-stream'), { status: 202, body: { accepted: 250 } });
      // 250 pending >= 100: sealed now into batches of at most 100, long before the interval.
      const batches = await waitFor('size-triggered batches', async () => {
        const b = n.parts.aggregator!.batches();
        return b.length === 3 && b.every((x) => x.status === 'anchored') ? b : undefined;
      });
      assert.deepEqual(batches.map((b) => b.size).sort(), [100, 100, 50]);
      const d = bytesToHex(raw.subarray(32 * 170, 32 * 171));
      await assertAnchored(chain, (await get(n.url, `/v1/anchors/receipts/${d}`)).body, d);
    } finally {
      await n.stop();
    }
    const t = await startProvenanceNode({ chain, kind: fastKind, intervalMs: 150, maxBatch: 1_000_000 });
    try {
      const ds = digests(4);
      await post(t.url, { digests: ds });
      const r = await waitFor('time-triggered anchoring', async () => {
        const x = (await get(t.url, `/v1/anchors/receipts/${ds[3]}`)).body;
        return x.status === 'anchored' ? x : undefined;
      });
      await assertAnchored(chain, r, ds[3] as Hex);
    } finally {
      await t.stop();
    }
  });

  it('an anchor that a reorg takes away is anchored again, and the receipt follows', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind, intervalMs: 200 });
    try {
      const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
      const ds = digests(2);
      await post(n.url, { digests: ds });
      await n.parts.aggregator!.flush();
      const first = (await get(n.url, `/v1/anchors/receipts/${ds[0]}`)).body as AnchorReceipt;
      assert.equal(first.status, 'anchored');
      await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
      await chain.client.request({ method: 'evm_mine' } as never);
      const again = await waitFor('the batch to be anchored again', async () => {
        const r = (await get(n.url, `/v1/anchors/receipts/${ds[0]}`)).body as AnchorReceipt;
        return r.status === 'anchored' && r.anchor!.blockHash !== first.anchor!.blockHash ? r : undefined;
      });
      assert.equal(again.batch!.root, first.batch!.root, 'same batch, same root');
      await assertAnchored(chain, again, ds[0] as Hex);
      assert.ok(n.logs.some((l) => /reorged away/.test(l)), n.logs.join('\n'));
    } finally {
      await n.stop();
    }
  });

  it('bad input is a 400/404/413/415 in the node error shape naming the field', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind });
    try {
      const cases: Array<[unknown, string, number, string]> = [
        [{ digests: ['0x1234'] }, 'application/json', 400, 'digests[0]'],
        [{ digests: [digest(), `0x${'zz'.repeat(32)}`] }, 'application/json', 400, 'digests[1]'],
        [{ digests: [`0x${'ab'.repeat(33)}`] }, 'application/json', 400, 'digests[0]'],
        [{ digests: [123] }, 'application/json', 400, 'digests[0]'],
        [{ digests: [] }, 'application/json', 400, 'digests'],
        [{ digests: 'nope' }, 'application/json', 400, 'digests'],
        [{ digests: Array.from({ length: 10_001 }, () => `0x${'11'.repeat(32)}`) }, 'application/json', 400, 'digests'],
        [{ digests: [digest()], extra: 1 }, 'application/json', 400, 'extra'],
        [{ digests: [digest()], subject: { kind: 'file', size: 12 } }, 'application/json', 400, 'subject.size'],
        [{ digests: [digest()], subject: { kind: 'rock' } }, 'application/json', 400, 'subject.kind'],
        [randomBytes(33), 'application/octet-stream', 400, 'body'],
        [new Uint8Array(0), 'application/octet-stream', 400, 'body'],
        ['digests', 'text/plain', 415, 'content-type'],
      ];
      for (const [body, type, status, field] of cases) {
        const res = await fetch(`${n.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': type }, body: type === 'application/json' ? JSON.stringify(body) : (body as never) });
        const j = (await res.json()) as any;
        assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 80)} -> ${JSON.stringify(j)}`);
        assert.equal(j.error.field, field, JSON.stringify(j));
        assert.equal(typeof j.error.message, 'string');
      }
      const notJson = await fetch(`${n.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"digests": [' });
      assert.equal(notJson.status, 400);
      assert.equal(((await notJson.json()) as any).error.field, 'body');
      const big = await fetch(`${n.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(262_145 * 32) });
      assert.equal(big.status, 413);
      for (const [p, status, field] of [
        [`/v1/anchors/receipts/0x1234`, 400, 'digest'],
        [`/v1/anchors/receipts/${digest()}`, 404, 'digest'],
        [`/v1/anchors/${digest()}`, 404, 'root'],
        [`/v1/anchors/not-a-root`, 400, 'root'],
        [`/v1/anchors?limit=0`, 400, 'limit'],
        [`/v1/anchors?cursor=xyz`, 400, 'cursor'],
        [`/v1/datasets/${digest()}`, 404, 'root'],
        [`/v1/datasets/${digest()}/manifest`, 404, 'root'],
        [`/v1/models/${digest()}`, 404, 'id'],
        [`/v1/models/0x12/audit`, 400, 'id'],
        [`/v1/lineage/${digest()}`, 404, 'id'],
      ] as const) {
        const r = await get(n.url, p);
        assert.equal(r.status, status, `${p} -> ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, field, `${p} -> ${JSON.stringify(r.body)}`);
      }
      const doc = await get(n.url, '/v1/openapi.json');
      assert.equal(doc.status, 200);
      for (const p of ['/v1/anchors', '/v1/anchors/receipts/{digest}', '/v1/datasets/{root}/manifest', '/v1/lineage/{id}', '/v1/models/{id}/audit']) assert.ok(doc.body.paths[p], `${p} is documented`);
      // Nothing from the refused requests was taken in.
      assert.equal(n.parts.aggregator!.stats().accepted, 0);
      // A journal that cannot write (disk full, failed) answers 503 with its reason, for both bodies.
      const agg = n.parts.aggregator!;
      const submit = agg.submit;
      agg.submit = async () => {
        throw new JournalError('the journal could not be written (ENOSPC) nor cut back (EIO); no digest is accepted until the node restarts', { failed: true });
      };
      try {
        for (const [body, type] of [[{ digests: [digest()] }, 'application/json'], [randomBytes(32), 'application/octet-stream']] as const) {
          const r = await post(n.url, body, type);
          assert.equal(r.status, 503, JSON.stringify(r.body));
          assert.equal(r.body.error.code, 'JOURNAL_FAILED');
          assert.match(r.body.error.message, /ENOSPC/);
        }
      } finally {
        agg.submit = submit;
      }
    } finally {
      await n.stop();
    }
  });

  it('a node without a signer serves reads and refuses intake with 403', async () => {
    const n = await startProvenanceNode({ chain, kind: fastKind, readOnly: true });
    try {
      const r = await post(n.url, { digests: [digest()] });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'SIGNER_NOT_CONFIGURED');
      assert.equal((await get(n.url, '/v1/anchors')).status, 200);
    } finally {
      await n.stop();
    }
  });
});

for (const kind of kinds) {
  describe(`provenance node (${kind})`, () => {
    let chain: TestChain;
    before(async () => {
      chain = await startTestChain();
      await ensureProvenanceContracts(chain);
    });
    after(async () => chain?.stop());

    it('a restart keeps pending digests (and the index), then anchors them', async () => {
      const first = await startProvenanceNode({ chain, kind, keep: true });
      const ds = digests(20);
      await post(first.url, { digests: ds.slice(0, 10) });
      await post(first.url, Buffer.from(ds.slice(10).map((d) => d.slice(2)).join(''), 'hex'), 'application/octet-stream');
      const submittedAt = (await get(first.url, `/v1/anchors/receipts/${ds[0]}`)).body.submittedAt;
      await first.stop();
      const second = await startProvenanceNode({ chain, kind, dataDir: first.dataDir, schema: (first.store.schema !== 'public' ? first.store.schema : undefined) });
      try {
        const r = await get(second.url, `/v1/anchors/receipts/${ds[0]}`);
        assert.equal(r.body.status, 'pending');
        assert.equal(r.body.submittedAt, submittedAt);
        await second.parts.aggregator!.flush();
        for (const d of ds) await assertAnchored(chain, (await get(second.url, `/v1/anchors/receipts/${d}`)).body, d as Hex);
        assert.equal(second.parts.aggregator!.batches().length, 1);
      } finally {
        await second.stop();
      }
    });

    it('indexes anchors, datasets and models; serves manifests, diffs, lineage and the audit', async () => {
      const n = await startProvenanceNode({ chain, kind });
      try {
        const ds = digests(3);
        await post(n.url, { digests: ds });
        await n.parts.aggregator!.flush();
        const receipt = (await get(n.url, `/v1/anchors/receipts/${ds[0]}`)).body as AnchorReceipt;
        await n.synced();
        const list = await get(n.url, '/v1/anchors?limit=100');
        const row = list.body.items.find((a: any) => a.root === receipt.batch!.root);
        assert.ok(row, 'the anchored root is indexed');
        assert.equal(row.txHash, receipt.anchor!.txHash);
        assert.equal(row.size, '3');
        assert.equal(row.submitter, receipt.anchor!.submitter);
        const one = await get(n.url, `/v1/anchors/${receipt.batch!.root}`);
        assert.equal(one.status, 200);
        assert.equal(one.body.batch.size, 3);

        // Two dataset versions (v2 derived from v1), one model trained on v2.
        const v1 = buildManifest([
          { path: 'a.txt', size: '1', root: digest() },
          { path: 'b.txt', size: '2', root: digest() },
        ]);
        const v2 = buildManifest([
          { path: 'a.txt', size: '1', root: v1.files[0]!.root },
          { path: 'b.txt', size: '3', root: digest() },
          { path: 'c.txt', size: '4', root: digest() },
        ]);
        const registry = chain.address('ProvenanceRegistry');
        const w = chain.wallet(2);
        const write = async (functionName: string, args: unknown[], wallet = w) => {
          const { request } = await chain.client.simulateContract({ address: registry, abi: provenanceRegistryAbi, functionName, args, account: wallet.account } as never);
          const hash = await wallet.writeContract(request as never);
          assert.equal((await chain.client.waitForTransactionReceipt({ hash })).status, 'success');
        };
        const zero = `0x${'0'.repeat(64)}` as Hex;
        await write('registerDataset', [`corpus-${kind}`, v1.root, zero, 2n, 3n, 'file:///v1']);
        await write('registerDataset', [`corpus-${kind}`, v2.root, v1.root, 3n, 8n, 'file:///v2']);
        const owner = chain.wallet(3);
        const { agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://trainer.example/agent.json' });
        const metrics = '{"accuracy":0.9}';
        const { keccak256, stringToHex } = await import('viem');
        const model = {
          weightsDigest: digest(), trainerAgentId: agentId, configDigest: digest(), metricsDigest: keccak256(stringToHex(metrics)), baseModel: zero, computeJobId: 0n,
          datasetRoots: [v2.root], name: `model-${kind}`, metrics, uri: '',
        };
        const hash = (await chain.client.readContract({ address: registry, abi: provenanceRegistryAbi, functionName: 'modelDigest', args: [model] } as never)) as Hex;
        const signature = await owner.account.sign!({ hash });
        await write('registerModel', [model, owner.account.address, signature]);
        await n.synced();

        const datasets = await get(n.url, `/v1/datasets?name=corpus-${kind}`);
        assert.equal(datasets.body.items.length, 2);
        assert.equal(datasets.body.items[0].root, v2.root, 'newest first');
        assert.equal(datasets.body.items[0].parent, v1.root);
        assert.equal(datasets.body.items[0].version, 2);
        const page1 = await get(n.url, `/v1/datasets?name=corpus-${kind}&limit=1`);
        assert.equal(page1.body.items.length, 1);
        const page2 = await get(n.url, `/v1/datasets?name=corpus-${kind}&limit=1&cursor=${page1.body.nextCursor}`);
        assert.equal(page2.body.items[0].root, v1.root);
        assert.equal(page2.body.nextCursor, undefined);

        // Manifests: checked against the path's root, stored, served, diffed.
        const put = (root: Hex, body: unknown) => fetch(`${n.url}/v1/datasets/${root}/manifest`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const wrong = await put(v1.root, { manifest: v2 });
        assert.equal(wrong.status, 400);
        assert.equal(((await wrong.json()) as any).error.field, 'manifest.root');
        const forged = await put(v1.root, { manifest: { ...v1, files: [{ ...v1.files[0], size: '9' }, v1.files[1]], totalBytes: '11' } });
        assert.equal(forged.status, 400, 'a manifest whose files do not make its root');
        // A location is a directory on the node's machine: from a loopback client only, resolved, existing.
        const home = mkdtempSync(path.join(tmpdir(), 'machina-v1-'));
        try {
          const refused = async (res: Response, status: number, field: string) => {
            const j = (await res.json()) as any;
            assert.equal(res.status, status, JSON.stringify(j));
            assert.equal(j.error.field, field, JSON.stringify(j));
            assert.equal(typeof j.error.message, 'string');
          };
          const remote = await n.node.app.request(
            `/v1/datasets/${v1.root}/manifest`,
            { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest: v1, location: home }) },
            { incoming: { socket: { remoteAddress: '203.0.113.9' } } },
          );
          await refused(remote, 403, 'location');
          await refused(await put(v1.root, { manifest: v1, location: path.join(home, 'nope') }), 400, 'location');
          await refused(await put(v1.root, { manifest: v1, location: 'relative/dir' }), 400, 'location');
          await refused(await put(v1.root, { manifest: v1, location: 'bad\u0000path' }), 400, 'location');
          // Only registered versions, and only with the registered counts.
          const unregistered = buildManifest([{ path: 'x.txt', size: '5', root: digest() }]);
          await refused(await put(unregistered.root, { manifest: unregistered }), 404, 'root');
          const [odd1, odd2] = [buildManifest([{ path: 'y.txt', size: '6', root: digest() }]), buildManifest([{ path: 'z.txt', size: '7', root: digest() }])];
          await write('registerDataset', [`odd-${kind}`, odd1.root, zero, 2n, 6n, 'file:///odd1']);
          await write('registerDataset', [`odd-${kind}`, odd2.root, zero, 1n, 70n, 'file:///odd2']);
          await n.synced();
          await refused(await put(odd1.root, { manifest: odd1 }), 400, 'manifest.files');
          await refused(await put(odd2.root, { manifest: odd2 }), 400, 'manifest.totalBytes');

          assert.equal((await put(v1.root, { manifest: v1, location: home })).status, 200);
          assert.equal((await put(v2.root, { manifest: v2 })).status, 200);
          assert.deepEqual((await get(n.url, `/v1/datasets/${v1.root}/manifest`)).body as Manifest, v1);
          const d1 = (await get(n.url, `/v1/datasets/${v1.root}`)).body;
          assert.equal(d1.hasManifest, true);
          assert.equal(d1.location, realpathSync(home));
          // Without a location, a remote client keeps the one the node's machine gave.
          const again = await n.node.app.request(
            `/v1/datasets/${v1.root}/manifest`,
            { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest: v1 }) },
            { incoming: { socket: { remoteAddress: '203.0.113.9' } } },
          );
          assert.equal(again.status, 200);
          assert.equal((await get(n.url, `/v1/datasets/${v1.root}`)).body.location, realpathSync(home));
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
        const diff = (await get(n.url, `/v1/datasets/${v1.root}/diff/${v2.root}`)).body;
        assert.deepEqual(diff.added.map((e: any) => e.path), ['c.txt']);
        assert.deepEqual(diff.changed.map((e: any) => e.path), ['b.txt']);
        assert.equal(diff.unchanged, 1);
        const missing = await get(n.url, `/v1/datasets/${v1.root}/diff/${digest()}`);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.error.field, 'other');

        const m = (await get(n.url, `/v1/models/${model.weightsDigest}`)).body;
        assert.equal(m.trainerAgentId, agentId.toString());
        assert.deepEqual(m.datasetRoots, [v2.root]);
        assert.equal((await get(n.url, '/v1/models')).body.items[0].weightsDigest, model.weightsDigest);

        const g = (await get(n.url, `/v1/lineage/${model.weightsDigest}`)).body;
        assert.deepEqual(g.nodes.map((x: any) => x.id).sort(), [v1.root, v2.root, model.weightsDigest].sort());
        assert.deepEqual(
          g.edges.map((e: any) => `${e.from}>${e.to}:${e.kind}`).sort(),
          [`${v1.root}>${v2.root}:parent`, `${v2.root}>${model.weightsDigest}:trained-on`].sort(),
        );
        // From the first version, the walk finds what derives from it too.
        assert.equal((await get(n.url, `/v1/lineage/${v1.root}`)).body.nodes.length, 3);

        const audit = await get(n.url, `/v1/models/${model.weightsDigest}/audit`);
        assert.equal(audit.status, 200, JSON.stringify(audit.body));
        assert.equal(audit.body.model, model.weightsDigest);
        assert.equal(typeof audit.body.verdict, 'string');
        // Concurrent audits of one model share one run; an audit asked for afterwards runs again (files may have changed).
        const [x, y] = await Promise.all([n.parts.audit!(model.weightsDigest), n.parts.audit!(model.weightsDigest)]);
        assert.equal(x, y, 'one audit in flight per model');
        const again = await n.parts.audit!(model.weightsDigest);
        assert.notEqual(again, x, 'a finished report is not served again');
        assert.deepEqual(again, x, 'same verdict for the same files');
      } finally {
        await n.stop();
      }
    });

    it('a reorg takes indexed anchors away with the blocks that held them', async () => {
      const n = await startProvenanceNode({ chain, kind, readOnly: true });
      try {
        await n.synced();
        const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
        const root = digest();
        const w = chain.wallet(4);
        const { request } = await chain.client.simulateContract({ address: chain.address('AnchorRegistry'), abi: anchorRegistryAbi, functionName: 'anchor', args: [root, 7n], account: w.account });
        await chain.client.waitForTransactionReceipt({ hash: await w.writeContract(request) });
        await n.synced();
        assert.equal((await get(n.url, `/v1/anchors/${root}`)).body.size, '7');
        await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
        // A new block on the other branch, so the index sees a different chain at the same height.
        await chain.client.request({ method: 'evm_mine' } as never);
        await chain.client.request({ method: 'evm_mine' } as never);
        await waitFor('the reorg to be undone', async () => ((await get(n.url, `/v1/anchors/${root}`)).status === 404 ? true : undefined));
      } finally {
        await n.stop();
      }
    });
  });
}
