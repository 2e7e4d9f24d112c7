// The MCP data tools: on the node (in process) data_catalogue and data_listing read the index and data_buy /
// data_fetch are not offered; as `machina mcp` serves them (reads through the node's API, the local key signs and
// decrypts) data_buy buys a licence (a retry returns it instead of paying twice; again: true buys another) and
// data_fetch writes the verified records inside the MCP workspace only.
// Bad input is an error result naming the field; no result carries a key.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { toHex, type Address } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { dataKeyFromPrivateKey } from '../../src/data/crypto.ts';
import { giveConsent } from '../../src/data/market.ts';
import { consentScope } from '../../src/data/terms.ts';
import { dataMcpDeps, nodeDataMcpDeps } from '../../src/mcp/data.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { createHttpQueries } from '../../src/node/service/httpQueries.ts';
import { faucet } from '../../src/pay/token.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds } from './fixtures/stores.ts';
import { digestOf, getJson, listPatientRecords, MUSD, sendJson, startDataNode, waitFor, type DataNode, type TestListing } from './fixtures/dataNode.ts';

const BUYER = 5;
const privateKeyOf = (i: number) => toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);

async function connect(server: ReturnType<typeof createMcpServer>): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'data-mcp-test', version: '1.0.0' });
  await client.connect(b);
  return client;
}

describe('MCP data tools', () => {
  let chain: TestChain;
  let n: DataNode;
  let nodeClient: Client;
  let stdioClient: Client;
  let market: Address;
  let A: TestListing;
  const work = mkdtempSync(path.join(tmpdir(), 'data-mcp-files-'));
  const ws = mkdtempSync(path.join(tmpdir(), 'data-mcp-ws-'));
  const answers: string[] = [];
  const call = async (c: Client, name: string, args: Record<string, unknown>) => {
    const r = (await c.callTool({ name, arguments: args })) as any;
    answers.push(JSON.stringify(r));
    return r;
  };
  const errorOf = (r: any) => JSON.parse(r.content[1].text).error;

  before(async () => {
    chain = await startTestChain();
    n = await startDataNode({ chain, kind: (await databaseKinds()).includes('postgres') ? 'postgres' : 'pglite' });
    market = chain.address('DataMarket');
    A = await listPatientRecords(chain, { work, name: 'mcp-cohort', seller: 1, contributors: [{ wallet: 2, shareBps: 6000 }, { wallet: 3, shareBps: 4000 }], perSite: 2 });
    const scope = consentScope({ purposes: ['research'], training: true, commercial: false });
    for (const w of [2, 3]) await giveConsent(chain.wallet(w), { market, listingId: A.listingId, documentDigest: digestOf('consent'), scope });
    await n.synced();
    assert.equal((await sendJson(n.url, 'PUT', `/v1/data/listings/${A.listingId}/records`, A.records)).status, 200);
    await faucet(chain.client, chain.wallet(0), { token: chain.address('SettlementToken'), to: chain.wallet(BUYER).account.address, amount: 50n * MUSD });
    await n.synced();
    nodeClient = await connect(createMcpServer({ queries: n.store.queries, version: 'test', data: nodeDataMcpDeps(n.data) }));
    stdioClient = await connect(
      createMcpServer({
        queries: createHttpQueries({ baseUrl: n.url }),
        version: 'test',
        data: await dataMcpDeps({
          nodeUrl: n.url,
          client: chain.client,
          deployment: chain.deployment,
          wallet: chain.wallet(BUYER),
          dataKey: async () => dataKeyFromPrivateKey(privateKeyOf(BUYER)),
          workspace: ws,
          deny: [path.join(ws, 'machina-data')],
        }),
      }),
    );
  });
  after(async () => {
    await nodeClient?.close();
    await stdioClient?.close();
    await n?.stop();
    await chain?.stop();
    rmSync(ws, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('the node lists data_catalogue and data_listing, not data_buy or data_fetch; stdio lists all four', async () => {
    const names = (await nodeClient.listTools()).tools.map((t) => t.name);
    for (const t of ['data_catalogue', 'data_listing']) assert.ok(names.includes(t), `${t} in ${names}`);
    assert.ok(!names.includes('data_buy') && !names.includes('data_fetch'));
    const all = (await stdioClient.listTools()).tools.map((t) => t.name);
    for (const t of ['data_catalogue', 'data_listing', 'data_buy', 'data_fetch']) assert.ok(all.includes(t), `${t} in ${all}`);
  });

  it('data_catalogue and data_listing, in process and over HTTP', async () => {
    for (const c of [nodeClient, stdioClient]) {
      const list = await call(c, 'data_catalogue', { q: 'cohort', purposes: ['research'] });
      assert.ok(!list.isError, JSON.stringify(list));
      assert.deepEqual(list.structuredContent.items.map((l: any) => l.listingId), [A.listingId.toString()]);
      assert.match(list.content[0].text, /mcp-cohort/);
      assert.deepEqual((await call(c, 'data_catalogue', { purposes: ['education'] })).structuredContent.items, []);
      const one = await call(c, 'data_listing', { listingId: A.listingId.toString(), audit: true });
      assert.ok(!one.isError, JSON.stringify(one));
      assert.equal(one.structuredContent.contributors.length, 2);
      assert.equal(one.structuredContent.contributors[0].consent.state, 'given');
      assert.deepEqual(one.structuredContent.audit.revocations, []);
      assert.match(one.content[0].text, /2\/2 contributor\(s\) consenting/);
    }
  });

  it('bad input and unknown ids are error results naming the field', async () => {
    const missing = await call(nodeClient, 'data_listing', { listingId: '999' });
    assert.equal(missing.isError, true);
    assert.equal(errorOf(missing).field, 'listingId');
    const bad = await call(nodeClient, 'data_catalogue', { purposes: ['research', 'astrology'] });
    assert.equal(bad.isError, true);
    assert.equal(errorOf(bad).field, 'purposes[1]');
    const badBuy = await call(stdioClient, 'data_buy', { listingId: A.listingId.toString(), kind: 'access', purposes: ['nope'] });
    assert.equal(errorOf(badBuy).field, 'purposes[0]');
  });

  it('data_buy then data_fetch: the licence is bought with the local key and the records land verified in the workspace', async () => {
    const bought = await call(stdioClient, 'data_buy', { listingId: A.listingId.toString(), kind: 'access', purposes: ['research'] });
    assert.ok(!bought.isError, JSON.stringify(bought));
    assert.equal(bought.structuredContent.holder, chain.wallet(BUYER).account.address);
    assert.equal(bought.structuredContent.price, (5n * MUSD).toString());
    assert.equal(bought.structuredContent.reused, false);
    const licenceId = bought.structuredContent.licenceId;
    // An agent retrying the same call gets the same licence back, nothing paid; again: true buys another.
    const retried = await call(stdioClient, 'data_buy', { listingId: A.listingId.toString(), kind: 'access', purposes: ['research'] });
    assert.ok(!retried.isError, JSON.stringify(retried));
    assert.equal(retried.structuredContent.licenceId, licenceId);
    assert.equal(retried.structuredContent.reused, true);
    assert.equal(retried.structuredContent.price, '0');
    assert.match(retried.content[0].text, new RegExp(`already hold access licence ${licenceId} .*nothing paid now.*again: true`));
    const another = await call(stdioClient, 'data_buy', { listingId: A.listingId.toString(), kind: 'access', purposes: ['research'], again: true });
    assert.ok(!another.isError, JSON.stringify(another));
    assert.equal(another.structuredContent.reused, false);
    assert.notEqual(another.structuredContent.licenceId, licenceId);
    assert.equal(another.structuredContent.price, (5n * MUSD).toString());
    const tool = (await stdioClient.listTools()).tools.find((t) => t.name === 'data_buy')!;
    assert.equal(tool.annotations?.idempotentHint, true);
    assert.match(tool.description!, /again: true/);
    await waitFor('the licence to be indexed', async () => (await getJson(n.url, `/v1/data/licences/${licenceId}`)).status === 200);
    const got = await call(stdioClient, 'data_fetch', { licenceId, out: 'bought/cohort' });
    assert.ok(!got.isError, JSON.stringify(got));
    assert.equal(got.structuredContent.verified, true);
    assert.equal(got.structuredContent.fileCount, 4);
    assert.equal(got.structuredContent.outDir, path.join(ws, 'bought', 'cohort'));
    for (const f of got.structuredContent.files) assert.deepEqual(readFileSync(path.join(ws, 'bought', 'cohort', f.path)), readFileSync(path.join(A.dir, f.path)));

    // Never outside the workspace, through a symlink, into a dotted or denied directory.
    const outside = mkdtempSync(path.join(tmpdir(), 'data-mcp-outside-'));
    try {
      symlinkSync(outside, path.join(ws, 'link'));
      for (const [out, why] of [
        [outside, /outside the workspace/],
        ['../elsewhere', /outside the workspace/],
        ['link/x', /through a symlink/],
        ['.hidden', /dotted/],
        ['machina-data/x', /Machina's own data/],
      ] as const) {
        const r = await call(stdioClient, 'data_fetch', { licenceId, out });
        assert.equal(r.isError, true, out);
        assert.equal(errorOf(r).field, 'out', out);
        assert.match(errorOf(r).message, why, out);
      }
      assert.ok(!existsSync(path.join(outside, 'site-a')));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('no answer carries a key', () => {
    const all = answers.join('\n').toLowerCase();
    for (let i = 0; i < 10; i++) assert.ok(!all.includes(privateKeyOf(i).slice(2).toLowerCase()), `devnet key ${i} leaked into a tool result`);
  });
});
