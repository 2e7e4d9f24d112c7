// The MCP compute tools: on the node (in process) compute_jobs, compute_job and compute_providers read
// the index and compute_submit is not offered; as `machina mcp` serves them (reads through the node's
// API, the local key signs) compute_submit posts a job whose workload and input land in the node's blob
// store. Bad input is an error result naming the field; no result carries the key.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { bid, commitResult } from '../../src/compute/market.ts';
import { demoWorkload } from '../../src/compute/workloads/examples.ts';
import { computeMcpDeps, nodeComputeMcpDeps, readWorkspaceFile } from '../../src/mcp/compute.ts';
import { InvalidArgumentError } from '../../src/errors/index.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { createHttpQueries } from '../../src/node/service/httpQueries.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds } from './fixtures/stores.ts';
import { getJson, makeProvider, postTestJob, randomDigest, sha256, startComputeNode, waitFor, type ComputeNode } from './fixtures/computeNode.ts';

const BUYER_READY = existsSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'compute', 'buyer.ts'));

async function connect(server: ReturnType<typeof createMcpServer>): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'compute-mcp-test', version: '1.0.0' });
  await client.connect(b);
  return client;
}

describe('MCP compute tools', () => {
  let chain: TestChain;
  let n: ComputeNode;
  let nodeClient: Client;
  let stdioClient: Client;
  let jobId: bigint;
  let provider: bigint;
  // compute_submit's workspace: the only directory it reads files from (its `data` is denied, as Machina's data dir is).
  const ws = mkdtempSync(path.join(tmpdir(), 'compute-mcp-ws-'));
  const answers: string[] = [];
  const call = async (c: Client, name: string, args: Record<string, unknown>) => {
    const r = (await c.callTool({ name, arguments: args })) as any;
    answers.push(JSON.stringify(r));
    return r;
  };

  before(async () => {
    chain = await startTestChain();
    n = await startComputeNode({ chain, kind: (await databaseKinds()).includes('postgres') ? 'postgres' : 'pglite' });
    const market = chain.address('ComputeMarket');
    provider = await makeProvider(chain, 2);
    ({ jobId } = await postTestJob(chain, 5, { replicas: 1 }));
    await bid(chain.wallet(2), { market, jobId, providerId: provider, pricePerUnit: 1_500n });
    await commitResult(chain.wallet(2), { market, jobId, providerId: provider, outputDigest: randomDigest(), outputURI: 'data:,out' });
    await waitFor('the job to be indexed as completed', async () => (await getJson(n.url, `/v1/compute/jobs/${jobId}`)).body.status === 'completed');
    // The node's /mcp: reads in process, no submit.
    nodeClient = await connect(createMcpServer({ queries: n.store.queries, version: 'test', compute: nodeComputeMcpDeps(n.parts) }));
    // `machina mcp`: reads over HTTP, the local key (devnet account 5) submits.
    stdioClient = await connect(
      createMcpServer({
        queries: createHttpQueries({ baseUrl: n.url }),
        version: 'test',
        compute: BUYER_READY
          ? await computeMcpDeps({ nodeUrl: n.url, client: chain.client, deployment: chain.deployment, wallet: chain.wallet(5), workspace: ws, deny: [path.join(ws, 'data')] })
          : nodeComputeMcpDeps(n.parts),
      }),
    );
  });
  after(async () => {
    await nodeClient?.close();
    await stdioClient?.close();
    await n?.stop();
    await chain?.stop();
    rmSync(ws, { recursive: true, force: true });
  });

  it('the node lists compute_jobs, compute_job and compute_providers, not compute_submit', async () => {
    const names = (await nodeClient.listTools()).tools.map((t) => t.name);
    for (const t of ['compute_jobs', 'compute_job', 'compute_providers']) assert.ok(names.includes(t), `${t} in ${names}`);
    assert.ok(!names.includes('compute_submit'));
  });

  it('compute_jobs and compute_job: the job with its paid replica', async () => {
    const list = await call(nodeClient, 'compute_jobs', { status: 'completed' });
    assert.ok(!list.isError, JSON.stringify(list));
    assert.deepEqual(list.structuredContent.jobs.map((j: any) => j.jobId), [jobId.toString()]);
    assert.match(list.content[0].text, /completed/);
    const one = await call(nodeClient, 'compute_job', { jobId: jobId.toString() });
    assert.ok(!one.isError, JSON.stringify(one));
    assert.equal(one.structuredContent.status, 'completed');
    assert.equal(one.structuredContent.assignments[0].providerId, provider.toString());
    assert.equal(one.structuredContent.assignments[0].paid, true);
    assert.equal(one.structuredContent.assignments[0].amount, (1_500n * 10n).toString());
    assert.match(one.content[0].text, /paid 0\.015 mUSD/);
  });

  it('compute_providers: all with the totals, or one', async () => {
    const all = await call(stdioClient, 'compute_providers', {});
    assert.ok(!all.isError, JSON.stringify(all));
    assert.equal(all.structuredContent.providers.length, 1);
    assert.equal(all.structuredContent.providers[0].completed, 1);
    assert.equal(all.structuredContent.stats.jobs.total, 1);
    const one = await call(stdioClient, 'compute_providers', { providerId: provider.toString() });
    assert.equal(one.structuredContent.providers[0].earned, (1_500n * 10n).toString());
  });

  it('unknown ids and bad input are error results naming the field', async () => {
    const missing = await call(nodeClient, 'compute_job', { jobId: '9999' });
    assert.equal(missing.isError, true);
    assert.equal(JSON.parse(missing.content[1].text).error.field, 'jobId');
    const bad = await call(nodeClient, 'compute_jobs', { status: 'done' });
    assert.equal(bad.isError, true);
    const noProvider = await call(stdioClient, 'compute_providers', { providerId: '777' });
    assert.equal(noProvider.isError, true);
    assert.equal(JSON.parse(noProvider.content[1].text).error.field, 'providerId');
  });

  it('compute_submit (stdio only): uploads the files to the node\'s blobs and posts the job', { skip: !BUYER_READY && 'src/compute/buyer.ts is not there yet' }, async () => {
    const names = (await stdioClient.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('compute_submit'));
    const dir = mkdtempSync(path.join(ws, 'job-'));
    try {
      // A real bundle (the buyer checks it before anything is uploaded or escrowed); nobody runs it here.
      const demo = demoWorkload();
      const workload = Buffer.from(demo.bundle);
      const input = Buffer.from(demo.input);
      writeFileSync(path.join(dir, 'w.bin'), workload);
      writeFileSync(path.join(dir, 'i.bin'), input);
      const r = await call(stdioClient, 'compute_submit', { workload: path.join(dir, 'w.bin'), input: path.join(dir, 'i.bin'), units: 2, maxPricePerUnit: '2000' });
      assert.ok(!r.isError, JSON.stringify(r));
      assert.equal(r.structuredContent.workloadDigest, sha256(workload));
      assert.equal(r.structuredContent.inputDigest, sha256(input));
      assert.equal(r.structuredContent.poster, chain.wallet(5).account.address);
      const job = await waitFor('the submitted job to be indexed', async () => {
        const j = await getJson(n.url, `/v1/compute/jobs/${r.structuredContent.jobId}`);
        return j.status === 200 ? j.body : undefined;
      });
      assert.equal(job.workloadDigest, sha256(workload));
      // The workload is in the node's blob store, where providers fetch it.
      assert.deepEqual(Buffer.from(await (await fetch(`${n.url}/v1/blobs/${sha256(workload)}`)).arrayBuffer()), workload);
      const missing = await call(stdioClient, 'compute_submit', { workload: path.join(dir, 'nope.bin'), input: path.join(dir, 'i.bin') });
      assert.equal(missing.isError, true);
      assert.equal(JSON.parse(missing.content[1].text).error.field, 'workload');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compute_submit reads only inside its workspace: outside, through a symlink, dotfiles and denied directories are refused naming the field', { skip: !BUYER_READY && 'src/compute/buyer.ts is not there yet' }, async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'compute-mcp-outside-'));
    try {
      writeFileSync(path.join(outside, 'secret.json'), '{"key":"not for the blob store"}');
      writeFileSync(path.join(ws, 'i.bin'), 'input');
      symlinkSync(path.join(outside, 'secret.json'), path.join(ws, 'link.json'));
      writeFileSync(path.join(ws, '.env'), 'SECRET=1');
      mkdirSync(path.join(ws, 'data'), { recursive: true });
      writeFileSync(path.join(ws, 'data', 'keystore.json'), '{}');
      const cases: Array<[string, RegExp]> = [
        [path.join(outside, 'secret.json'), /is outside the workspace/],
        ['../' + path.basename(outside) + '/secret.json', /is outside the workspace/],
        ['link.json', /leads outside the workspace \(through a symlink\)/],
        ['.env', /dotfile/],
        [path.join('data', 'keystore.json'), /Machina's own data/],
      ];
      const before = await getJson(n.url, '/v1/compute/stats');
      for (const [file, why] of cases) {
        const r = await call(stdioClient, 'compute_submit', { workload: file, input: 'i.bin' });
        assert.equal(r.isError, true, `${file}: ${JSON.stringify(r)}`);
        const err = JSON.parse(r.content[1].text).error;
        assert.equal(err.field, 'workload', file);
        assert.match(err.message, why, file);
      }
      const badInput = await call(stdioClient, 'compute_submit', { workload: 'i.bin', input: path.join(outside, 'secret.json') });
      assert.equal(JSON.parse(badInput.content[1].text).error.field, 'input');
      // Nothing was posted.
      assert.equal((await getJson(n.url, '/v1/compute/stats')).body.jobs.total, before.body.jobs.total);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('readWorkspaceFile: relative paths start at the workspace, and files over the cap are refused', async () => {
    writeFileSync(path.join(ws, 'big.bin'), Buffer.alloc(2048));
    assert.equal((await readWorkspaceFile({ workspace: ws }, 'big.bin', 'workload')).length, 2048);
    await assert.rejects(readWorkspaceFile({ workspace: ws, maxBytes: 1024 }, 'big.bin', 'input'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'input' && /over the 1024-byte limit/.test(e.message));
    await assert.rejects(readWorkspaceFile({ workspace: ws }, '.', 'workload'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'workload');
    await assert.rejects(readWorkspaceFile({ workspace: ws }, 'nope.bin', 'workload'), (e: unknown) => e instanceof InvalidArgumentError && /cannot read/.test(e.message));
  });

  it('a job with long data: URIs: compute_jobs and compute_job cut them short and flag it, the digests stay', async () => {
    const long = `data:,${'x'.repeat(5000)}`;
    const { jobId: id } = await postTestJob(chain, 5, { workloadURI: long });
    await waitFor('the job to be indexed', async () => (await getJson(n.url, `/v1/compute/jobs/${id}`)).status === 200);
    const one = await call(stdioClient, 'compute_job', { jobId: id.toString() });
    assert.ok(!one.isError, JSON.stringify(one));
    assert.equal(one.structuredContent.uriTruncated, true);
    assert.equal(one.structuredContent.workloadURI, `${long.slice(0, 64)}…`);
    assert.match(one.structuredContent.workloadDigest, /^0x[0-9a-f]{64}$/);
    const list = await call(nodeClient, 'compute_jobs', { status: 'open' });
    const row = list.structuredContent.jobs.find((j: any) => j.jobId === id.toString());
    assert.equal(row.uriTruncated, true);
    assert.ok(JSON.stringify(list).length < 20_000);
  });

  it('no answer carries a key', () => {
    const all = answers.join('\n').toLowerCase();
    for (let i = 0; i < 10; i++) {
      const key = Buffer.from(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!).toString('hex');
      assert.ok(!all.includes(key), `devnet key ${i} leaked into a tool result`);
    }
  });
});
