// The MCP compute tools: on the node (in process) compute_jobs, compute_job and compute_providers read
// the index and compute_submit is not offered; as `machina mcp` serves them (reads through the node's
// API, the local key signs) compute_submit posts a job whose workload and input land in the node's blob
// store. Bad input is an error result naming the field; no result carries the key.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { bid, commitResult } from '../../src/compute/market.ts';
import { computeMcpDeps, nodeComputeMcpDeps } from '../../src/mcp/compute.ts';
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
        compute: BUYER_READY ? await computeMcpDeps({ nodeUrl: n.url, client: chain.client, deployment: chain.deployment, wallet: chain.wallet(5) }) : nodeComputeMcpDeps(n.parts),
      }),
    );
  });
  after(async () => {
    await nodeClient?.close();
    await stdioClient?.close();
    await n?.stop();
    await chain?.stop();
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
    const dir = mkdtempSync(path.join(tmpdir(), 'compute-mcp-'));
    try {
      const workload = Buffer.from('not a real bundle, nobody runs it here');
      const input = Buffer.from('some input');
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

  it('no answer carries a key', () => {
    const all = answers.join('\n').toLowerCase();
    for (let i = 0; i < 10; i++) {
      const key = Buffer.from(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!).toString('hex');
      assert.ok(!all.includes(key), `devnet key ${i} leaked into a tool result`);
    }
  });
});
