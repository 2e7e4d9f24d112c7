// The MCP tools anchor, verify and audit, driven by the SDK's client: over streamable HTTP as the
// node serves them (digests only, the node's aggregator in process) and in memory as `machina mcp`
// does over stdio (local paths allowed). Verdicts are results; only bad calls are error results.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { keccak256, stringToHex, zeroHash, type Hex } from 'viem';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { createMcpHttpHandler, createMcpServer } from '../../src/mcp/index.ts';
import { nodeProvenanceMcpDeps, provenanceMcpDeps, PROVENANCE_TOOL_NAMES, type ProvenanceToolDeps } from '../../src/mcp/provenance.ts';
import type { NodeQueries } from '../../src/node/service/types.ts';
import { startAggregator, type Aggregator } from '../../src/node/provenance/aggregator.ts';
import { registerDataset, registerModel, signModel } from '../../src/provenance/actions.ts';
import { hashDirectory } from '../../src/provenance/directory.ts';
import { hashFile } from '../../src/provenance/hash.ts';
import { saveManifestLocally } from '../../src/provenance/manifestCache.ts';
import { randomDigest, startProvenanceChain, writeDataset, type ProvenanceChain } from './auditFixtures.ts';

type Result = CallToolResult & { structuredContent?: any };
const textOf = (r: Result) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

let chain: ProvenanceChain;
let work: string;
let aggregator: Aggregator;
let http: ServerType;
let httpClient: Client;
let localClient: Client;
let model: Hex;
let dataRoot: Hex;
const manifests = new Map<string, { manifest: unknown; location?: string }>();

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
  return (await client.callTool({ name, arguments: args })) as Result;
}
const ok = (r: Result) => {
  assert.ok(!r.isError, textOf(r));
  return r.structuredContent;
};

before(async () => {
  chain = await startProvenanceChain();
  work = mkdtempSync(path.join(tmpdir(), 'machina-prov-mcp-'));
  aggregator = await startAggregator({ dir: path.join(work, 'anchors'), client: chain.client, wallet: chain.wallet(0), registry: chain.anchorRegistry, intervalMs: 100, maxBatch: 1000 });
  const nodeDeps = nodeProvenanceMcpDeps({ provenance: { aggregator, queries: {} as never }, client: chain.client, deployment: chain.deployment, nodeUrl: 'http://node.test' });
  const deps: ProvenanceToolDeps = { ...nodeDeps, manifests: async (root) => manifests.get(root) };
  const queries = {} as NodeQueries;

  // The node's /mcp: a real HTTP server around the stateless handler.
  const handler = createMcpHttpHandler({ queries, version: '0.0.0-test', provenance: deps });
  http = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => http.once('listening', r));
  httpClient = new Client({ name: 'prov-test', version: '1.0.0' });
  await httpClient.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`)));

  // `machina mcp`'s server: paths allowed.
  const [a, b] = InMemoryTransport.createLinkedPair();
  await createMcpServer({ queries, version: '0.0.0-test', provenance: { ...deps, allowPaths: true } }).connect(a);
  localClient = new Client({ name: 'prov-test-local', version: '1.0.0' });
  await localClient.connect(b);

  // A model trained on one dataset version, for the audit tool.
  const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://t.example/a.json' });
  writeDataset(path.join(work, 'data'), 12);
  const m = await hashDirectory(path.join(work, 'data'));
  await registerDataset(chain.wallet(1), { registry: chain.provenanceRegistry, name: 'notes', root: m.root, parent: zeroHash, fileCount: BigInt(m.files.length), totalBytes: BigInt(m.totalBytes), uri: '' });
  manifests.set(m.root, { manifest: m, location: path.join(work, 'data') });
  dataRoot = m.root;
  const metrics = '{"f1":0.8}';
  const input = { weightsDigest: randomDigest(), trainerAgentId: agentId, configDigest: randomDigest(), metricsDigest: keccak256(stringToHex(metrics)), baseModel: zeroHash, computeJobId: 0n, datasetRoots: [m.root], name: 'notes-model', metrics, uri: '' };
  const signature = await signModel(chain.wallet(1), { chainId: chain.client.chain.id, registry: chain.provenanceRegistry, input });
  await registerModel(chain.wallet(1), { registry: chain.provenanceRegistry, input, signer: chain.wallet(1).account.address, signature });
  model = input.weightsDigest;
});
after(async () => {
  await httpClient?.close();
  await localClient?.close();
  await new Promise((r) => http?.close(r));
  await aggregator?.stop();
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('MCP provenance tools', () => {
  it('are listed on both servers', async () => {
    for (const c of [httpClient, localClient]) {
      const names = (await c.listTools()).tools.map((t) => t.name);
      for (const n of PROVENANCE_TOOL_NAMES) assert.ok(names.includes(n), `${n} in ${names}`);
    }
  });

  it('anchor (wait) then verify over HTTP: the final receipt verifies on chain', async () => {
    const digest = randomDigest();
    const a = ok(await call(httpClient, 'anchor', { digest, name: 'weights', wait: true, timeoutSeconds: 30 }));
    assert.equal(a.status, 'anchored');
    assert.equal(a.receipt.digest, digest);
    assert.equal(a.receipt.node, 'http://node.test');
    const v = ok(await call(httpClient, 'verify', { receipt: a.receipt, digest }));
    assert.equal(v.verdict, 'valid');
    assert.equal(v.exitCode, 0);
    // The receipt's text works as well as the object; a forged proof is a verdict, not an error.
    const forged = { ...a.receipt, batch: { ...a.receipt.batch, root: randomDigest() } };
    const bad = await call(httpClient, 'verify', { receipt: JSON.stringify(forged) });
    assert.ok(!bad.isError);
    assert.equal(bad.structuredContent.verdict, 'proof-invalid');
    assert.equal(bad.structuredContent.exitCode, 12);
    const truncated = ok(await call(httpClient, 'verify', { receipt: JSON.stringify(a.receipt).slice(0, 100) }));
    assert.equal(truncated.verdict, 'malformed-receipt');
    assert.match(textOf(await call(httpClient, 'verify', { receipt: a.receipt, digest: randomDigest() })), /file-changed \(exit code 11\)/);
  });

  it('anchor without wait answers the pending receipt', async () => {
    const r = ok(await call(httpClient, 'anchor', { digest: randomDigest() }));
    assert.equal(r.status, 'pending');
    assert.match(textOf(await call(httpClient, 'verify', { receipt: r.receipt })), /^pending/);
  });

  it('local paths: hashed by the stdio server, refused by the node', async () => {
    const file = path.join(work, 'weights.bin');
    writeFileSync(file, 'some weights');
    const refused = await call(httpClient, 'anchor', { path: file });
    assert.equal(refused.isError, true);
    assert.match(textOf(refused), /"field":"path"/);
    const a = ok(await call(localClient, 'anchor', { path: file, wait: true, timeoutSeconds: 30 }));
    assert.equal(a.receipt.digest, (await hashFile(file)).root);
    assert.deepEqual(a.receipt.subject, { kind: 'file', name: 'weights.bin', size: '12', chunkSize: 1048576 });
    assert.equal(ok(await call(localClient, 'verify', { receipt: a.receipt, path: file })).verdict, 'valid');
    writeFileSync(file, 'some weights!');
    assert.equal(ok(await call(localClient, 'verify', { receipt: a.receipt, path: file })).verdict, 'file-changed');
  });

  it('bad calls are error results naming the field', async () => {
    const both = await call(httpClient, 'anchor', {});
    assert.equal(both.isError, true);
    assert.match(textOf(both), /give a digest or a path/);
    const badDigest = await call(httpClient, 'anchor', { digest: '0x1234' });
    assert.equal(badDigest.isError, true);
    assert.match(textOf(badDigest), /32 bytes of hex/);
  });

  it("audit over a node's HTTP API (`machina mcp`): this machine's manifest cache says where the files are, not the node", async () => {
    // A node that holds the manifest, with the location it was uploaded from: a path on another machine.
    const node = serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) => {
        const { pathname } = new URL(req.url);
        if (pathname === `/v1/datasets/${dataRoot}/manifest`) return Response.json(manifests.get(dataRoot)!.manifest);
        if (pathname === `/v1/datasets/${dataRoot}`) return Response.json({ root: dataRoot, location: '/home/uploader/data' });
        return Response.json({ error: { code: 'NOT_FOUND', message: `nothing at ${pathname}` } }, { status: 404 });
      },
    });
    await new Promise((r) => node.once('listening', r));
    const nodeUrl = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
    const dataDir = path.join(work, 'local');
    saveManifestLocally(dataDir, manifests.get(dataRoot)!.manifest as never, path.join(work, 'data'));
    const auditWith = async (deps: ProvenanceToolDeps) => {
      const [a, b] = InMemoryTransport.createLinkedPair();
      await createMcpServer({ queries: {} as NodeQueries, version: '0.0.0-test', provenance: deps }).connect(a);
      const client = new Client({ name: 'prov-test-stdio', version: '1.0.0' });
      await client.connect(b);
      try {
        return ok(await call(client, 'audit', { model }));
      } finally {
        await client.close();
      }
    };
    try {
      const local = await auditWith(provenanceMcpDeps({ nodeUrl, client: chain.client, deployment: chain.deployment, allowPaths: true, dataDir }));
      assert.equal(local.verdict, 'intact', JSON.stringify(local.findings));
      const nodeOnly = await auditWith(provenanceMcpDeps({ nodeUrl, client: chain.client, deployment: chain.deployment, allowPaths: true }));
      assert.equal(nodeOnly.verdict, 'file-missing');
      assert.match(nodeOnly.findings[0].message, /\/home\/uploader\/data/);
    } finally {
      await new Promise((r) => node.close(r));
    }
  });

  it('audit: intact, then the tampered file named with its dataset and version', async () => {
    const r = ok(await call(httpClient, 'audit', { model }));
    assert.equal(r.verdict, 'intact', textOf(await call(httpClient, 'audit', { model })));
    assert.equal(r.exitCode, 0);
    writeFileSync(path.join(work, 'data', 'records', 'p-00004.json'), '{"id":4,"age":99}');
    const t = ok(await call(httpClient, 'audit', { model }));
    assert.equal(t.verdict, 'file-tampered');
    assert.equal(t.exitCode, 21);
    assert.match(t.findings[0].message, /^records\/p-00004\.json in dataset notes v1 \(expected 0x[0-9a-f]{64}, found 0x[0-9a-f]{64}\)$/);
    assert.equal(ok(await call(localClient, 'audit', { model: randomDigest() })).verdict, 'model-unknown');
  });
});
