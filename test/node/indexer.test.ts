// The indexer against a real devnet and a real database (embedded PGlite and PostgreSQL): every
// identity event lands in the index, and NodeQueries answer what the chain says.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { identityRegistryAbi } from '../../src/chain/artifacts/index.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { writeAndWait } from '../../src/chain/write.ts';
import { getAgentCount, registerAgent, setAgentURI, setMetadata } from '../../src/identity/actions/agents.ts';
import { setAgentWallet, signAgentWalletProof } from '../../src/identity/actions/agentWallet.ts';
import { appendResponse, giveFeedback, revokeFeedback } from '../../src/identity/actions/feedback.ts';
import { getTrustScore } from '../../src/identity/actions/trust.ts';
import { requestValidation, respondToValidation } from '../../src/identity/actions/validation.ts';
import { buildRegistrationFile, toDataUri } from '../../src/identity/registrationFile.ts';
import { startIndexer } from '../../src/node/indexer/indexer.ts';
import type { NodeStore } from '../../src/node/db/store.ts';
import type { EventRecord } from '../../src/node/service/types.ts';
import { payAgent } from '../../src/pay/payAgent.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds, newStoreLocation } from './fixtures/stores.ts';

const kinds = await databaseKinds();

type Scenario = {
  /** Agents the deployment registered itself (the compute market is one), ids 0..n-1, before the scenario's. */
  preexisting: string[];
  A: bigint; B: bigint; C: bigint; D: bigint; E: bigint;
  newOwner: Address;
  request1: Hex; request2: Hex;
  receiptId: Hex;
  registeredBlockA: number;
};

describe('indexer: identity events into the index, read through NodeQueries', () => {
  let chain: TestChain;
  let files: Server;
  let s: Scenario;

  before(async () => {
    chain = await startTestChain();
    files = createServer((req, res) => {
      if (req.url === '/beta.json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(buildRegistrationFile({ name: 'beta', description: 'Translates text', x402Support: false, services: [{ name: 'A2A', endpoint: 'https://beta.example/a2a', version: '0.3' }] })));
      } else if (req.url === '/broken.json') {
        res.end('{"type": "not a registration"}');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    s = await buildScenario(chain, `http://127.0.0.1:${(files.address() as AddressInfo).port}`);
  });
  after(async () => {
    files?.close();
    await chain?.stop();
  });

  for (const kind of kinds) {
    describe(kind, () => {
      let store: NodeStore;
      let stopIndexer: () => Promise<void>;
      const location = newStoreLocation(kind);
      before(async () => {
        store = await location.open();
        const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
        stopIndexer = indexer.stop;
        await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
        // http(s) registration files are read by the background resolver, after the batch.
        await until(async () => (await store.queries.getAgent(s.B))?.registration !== null && (await store.queries.getAgent(s.E))?.registrationError !== null);
      });
      after(async () => {
        await stopIndexer?.();
        await store?.close();
        await location.drop();
      });

      it('agents: owner, URI, wallet, registration file, counts and the trust score', async () => {
        const a = (await store.queries.getAgent(s.A))!;
        assert.equal(a.agentId, s.A.toString());
        assert.equal(a.owner, s.newOwner, 'transfer moved the owner');
        assert.equal(a.agentWallet, null, 'transfer cleared the wallet, as the registry does');
        assert.equal(a.name, 'alpha-2', 'URIUpdated re-read the data: URI');
        assert.equal(a.x402Support, true);
        assert.equal(a.active, true);
        assert.deepEqual(a.services, [{ name: 'MCP', endpoint: 'https://alpha.example/mcp' }]);
        assert.equal(a.registration?.description, 'Summarizes text, better');
        assert.equal(a.registrationError, null);
        assert.equal(a.registered.blockNumber, s.registeredBlockA);
        assert.equal(a.feedbackCount, 3, 'four given, one revoked');
        assert.equal(a.verifiedFeedbackCount, 1);
        assert.equal(a.validationCount, 2);
        const onChain = await getTrustScore(chain.client, { reputationRegistry: chain.address('ReputationRegistry'), agentId: s.A });
        const { evidenceWeight: _w, ...expected } = onChain;
        assert.deepEqual(a.trust, expected, 'the index serves the score the chain data gives');

        const b = (await store.queries.getAgent(s.B))!;
        assert.equal(b.name, 'beta', 'http(s) registration resolved in the background');
        assert.deepEqual(b.services, [{ name: 'A2A', endpoint: 'https://beta.example/a2a', version: '0.3' }]);
        assert.equal(b.registrationError, null);

        const c = (await store.queries.getAgent(s.C))!;
        assert.equal(c.registration, null);
        assert.match(c.registrationError!, /ipfs: URIs are not resolved/);
        const d = (await store.queries.getAgent(s.D))!;
        assert.equal(d.agentURI, '');
        assert.equal(d.registration, null);
        assert.equal(d.registrationError, null);
        assert.equal(d.active, false);
        assert.equal(d.agentWallet, chain.wallet(2).account.address, 'the owner is the default wallet');
        const e = (await store.queries.getAgent(s.E))!;
        assert.match(e.registrationError!, /^agentURI/);
        assert.equal(await store.queries.getAgent(999n), undefined);
      });

      it('lists agents with filters, sorting and paging', async () => {
        const all = await store.queries.listAgents({ offset: 0, limit: 100 });
        const ids = [...s.preexisting, ...[s.A, s.B, s.C, s.D, s.E].map(String)];
        assert.equal(all.total, ids.length);
        assert.deepEqual(all.items.map((x) => x.agentId), ids);
        // The deployment's own agents, as indexed: a filter must keep those that match it too.
        const pre = all.items.slice(0, s.preexisting.length);
        const offset = s.preexisting.length + 1;
        const page = await store.queries.listAgents({ offset, limit: 2 });
        assert.deepEqual([page.total, page.offset, page.limit, page.items.map((x) => x.agentId)], [ids.length, offset, 2, [s.B, s.C].map(String)]);
        const byTrust = await store.queries.listAgents({ offset: 0, limit: 100, sort: 'trust' });
        const scores = byTrust.items.map((x) => x.trust.score);
        assert.deepEqual(scores, [...scores].sort((x, y) => y - x));
        const byFeedback = await store.queries.listAgents({ offset: 0, limit: 1, sort: 'feedback' });
        assert.equal(byFeedback.items[0]!.agentId, s.A.toString());
        const recentAsc = await store.queries.listAgents({ offset: 0, limit: 100, sort: 'recent', order: 'asc' });
        const blocks = recentAsc.items.map((x) => x.updated.blockNumber);
        assert.deepEqual(blocks, [...blocks].sort((x, y) => x - y));
        assert.deepEqual((await store.queries.listAgents({ offset: 0, limit: 10, owner: chain.wallet(2).account.address.toLowerCase() as Address })).items.map((x) => x.agentId), [s.C, s.D].map(String));
        assert.deepEqual((await store.queries.listAgents({ offset: 0, limit: 10, q: 'TRANSLATES' })).items.map((x) => x.agentId), [s.B.toString()]);
        assert.equal((await store.queries.listAgents({ offset: 0, limit: 10, q: '%' })).total, 0, 'LIKE wildcards are literal');
        const preWhere = (keep: (x: (typeof pre)[number]) => boolean) => pre.filter(keep).map((x) => x.agentId);
        assert.deepEqual((await store.queries.listAgents({ offset: 0, limit: 10, x402: true })).items.map((x) => x.agentId), [...preWhere((x) => x.x402Support), s.A.toString()]);
        assert.deepEqual((await store.queries.listAgents({ offset: 0, limit: 10, active: true })).items.map((x) => x.agentId), [...preWhere((x) => x.active), ...[s.A, s.B].map(String)]);
      });

      it('feedback: revoked, verified by a receipt, responses, filters', async () => {
        const live = await store.queries.listFeedback(s.A, { offset: 0, limit: 10 });
        assert.equal(live.total, 3);
        const blocks = live.items.map((f) => f.given.blockNumber);
        assert.deepEqual(blocks, [...blocks].sort((x, y) => y - x), 'newest first');
        const all = await store.queries.listFeedback(s.A, { offset: 0, limit: 10, includeRevoked: true });
        assert.equal(all.total, 4);
        const revoked = all.items.filter((f) => f.revoked);
        assert.deepEqual(revoked.map((f) => [f.client, f.feedbackIndex, f.value]), [[chain.wallet(5).account.address, 1, '90']]);
        const verified = all.items.find((f) => f.receipt !== null)!;
        assert.deepEqual(verified.receipt, { source: chain.address('PaymentReceipts'), receiptId: s.receiptId });
        assert.equal(verified.client, chain.wallet(7).account.address);
        const speed = await store.queries.listFeedback(s.A, { offset: 0, limit: 10, tag1: 'speed' });
        assert.deepEqual(speed.items.map((f) => [f.value, f.valueDecimals, f.tag2, f.endpoint, f.responseCount]), [['875', 1, 'p95', 'https://alpha.example/mcp', 1]]);
        const fromW5 = await store.queries.listFeedback(s.A, { offset: 0, limit: 10, client: chain.wallet(5).account.address, includeRevoked: true });
        assert.deepEqual(fromW5.items.map((f) => f.feedbackIndex).sort(), [1, 2]);
        assert.equal((await store.queries.listFeedback(s.A, { offset: 2, limit: 1 })).items.length, 1);
      });

      it('validations: requests with their latest response', async () => {
        const list = await store.queries.listValidations(s.A, { offset: 0, limit: 10 });
        assert.equal(list.total, 2);
        assert.deepEqual(list.items.map((v) => v.requestHash), [s.request2, s.request1], 'newest first');
        const v1 = (await store.queries.getValidation(s.request1))!;
        assert.deepEqual([v1.validator, v1.response, v1.tag, v1.responseURI, v1.requestURI], [chain.wallet(9).account.address, 95, 'hard', 'https://validator.example/2', 'https://work.example/1']);
        assert.ok(v1.responded && v1.responded.blockNumber > v1.requested.blockNumber);
        const v2 = (await store.queries.getValidation(s.request2.toUpperCase().replace('0X', '0x') as Hex))!;
        assert.deepEqual([v2.response, v2.responded, v2.responseHash], [null, null, null]);
        assert.equal(await store.queries.getValidation(keccak256(toHex('nothing'))), undefined);
      });

      it('events: every decoded log once, newest first, filters, bigints as strings; stats', async () => {
        const truth = await chainLogCount(chain);
        const stats = await store.queries.stats();
        assert.equal(stats.events, truth);
        assert.equal(stats.chainId, 31337);
        assert.equal(stats.agents, s.preexisting.length + 5);
        assert.equal(stats.validations, 2);
        assert.ok(stats.indexedBlock >= Number(await chain.client.getBlockNumber({ cacheTime: 0 })) - 1 && stats.headBlock >= stats.indexedBlock);
        const newest = await store.queries.listEvents({ limit: 5 });
        assert.deepEqual(newest.map((e) => e.id), [...newest.map((e) => e.id)].sort((x, y) => y - x));
        const next = await store.queries.listEvents({ limit: 3, afterId: newest[4]!.id });
        assert.deepEqual(next.map((e) => e.id), newest.slice(1, 4).map((e) => e.id).reverse(), 'afterId pages forward, ascending');
        const before_ = await store.queries.listEvents({ limit: 2, beforeId: newest[1]!.id });
        assert.deepEqual(before_.map((e) => e.id), [newest[2]!.id, newest[3]!.id]);
        const revokes = await store.queries.listEvents({ limit: 10, contract: 'ReputationRegistry', event: 'FeedbackRevoked' });
        assert.equal(revokes.length, 1);
        assert.deepEqual(revokes[0]!.args, { agentId: s.A.toString(), clientAddress: chain.wallet(5).account.address, feedbackIndex: '1' });
        assert.equal(revokes[0]!.agentId, s.A.toString());
        const ofA = await store.queries.listEvents({ limit: 500, agentId: s.A });
        assert.ok(ofA.length > 10 && ofA.every((e) => e.agentId === s.A.toString()));
        const transfers = ofA.filter((e) => e.event === 'Transfer');
        assert.equal(transfers.length, 2, 'mint and transfer, agentId from tokenId');
        const all = await store.queries.listEvents({ limit: 500 });
        assert.equal(new Set(all.map((e) => `${e.blockNumber}:${e.logIndex}`)).size, all.length, 'no log twice');
        assert.ok(all.every((e) => e.timestamp > 1_600_000_000 && e.chainId === 31337 && /^0x[0-9a-f]{64}$/.test(e.txHash)));
      });

      it('pushes newly committed events to feed subscribers', async () => {
        const seen: EventRecord[] = [];
        const unsubscribe = store.feed.subscribe((events) => seen.push(...events));
        const [latest] = await store.queries.listEvents({ limit: 1 });
        await giveFeedback(chain.client, chain.wallet(8), { reputationRegistry: chain.address('ReputationRegistry'), agentId: s.B, value: 61n, tag1: 'live' });
        await until(async () => seen.some((e) => e.event === 'NewFeedback' && e.args.tag1 === 'live'));
        unsubscribe();
        const live = seen.find((e) => e.args.tag1 === 'live')!;
        assert.ok(live.id > latest!.id);
        assert.equal(live.agentId, s.B.toString());
        assert.deepEqual((await store.queries.listEvents({ limit: 1 }))[0], live, 'what the feed pushed is what the table holds');
      });
    });
  }
});

async function buildScenario(chain: TestChain, filesUrl: string): Promise<Scenario> {
  const { client } = chain;
  const identityRegistry = chain.address('IdentityRegistry');
  const reputationRegistry = chain.address('ReputationRegistry');
  const validationRegistry = chain.address('ValidationRegistry');
  const paymentReceipts = chain.address('PaymentReceipts');
  type W = MachinaWalletClient;
  const [w1, w2, w3, w4, w5, w6, w7, w8, w9] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => chain.wallet(i)) as [W, W, W, W, W, W, W, W, W];

  const deployed = await getAgentCount(client, { identityRegistry });
  const preexisting = Array.from({ length: Number(deployed) }, (_, i) => String(i));
  const alpha = (name: string, description: string) =>
    toDataUri(buildRegistrationFile({ name, description, x402Support: true, services: [{ name: 'MCP', endpoint: 'https://alpha.example/mcp' }] }));
  const A = await registerAgent(client, w1, { identityRegistry, agentURI: alpha('alpha', 'Summarizes text') });
  const { agentId: B } = await registerAgent(client, w1, { identityRegistry, agentURI: `${filesUrl}/beta.json` });
  const { agentId: C } = await registerAgent(client, w2, { identityRegistry, agentURI: 'ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' });
  const { agentId: D } = await registerAgent(client, w2, { identityRegistry });
  const { agentId: E } = await registerAgent(client, w3, { identityRegistry, agentURI: `${filesUrl}/broken.json` });

  await setAgentURI(client, w1, { identityRegistry, agentId: A.agentId, agentURI: alpha('alpha-2', 'Summarizes text, better') });
  await setMetadata(client, w1, { identityRegistry, agentId: A.agentId, key: 'model', value: 'llama-3-8b' });
  const newWallet = privateKeyToAccount(generatePrivateKey());
  const deadline = (await client.getBlock()).timestamp + 240n;
  const signature = await signAgentWalletProof(newWallet, { identityRegistry, chainId: 31337, agentId: A.agentId, owner: w1.account.address, deadline });
  await setAgentWallet(client, w1, { identityRegistry, agentId: A.agentId, newWallet: newWallet.address, deadline, signature });
  await writeAndWait(client, w1, { address: identityRegistry, abi: identityRegistryAbi, functionName: 'transferFrom', args: [w1.account.address, w4.account.address, A.agentId] });

  await giveFeedback(client, w5, { reputationRegistry, agentId: A.agentId, value: 90n, tag1: 'quality' });
  await giveFeedback(client, w6, { reputationRegistry, agentId: A.agentId, value: 875n, valueDecimals: 1, tag1: 'speed', tag2: 'p95', endpoint: 'https://alpha.example/mcp' });
  await giveFeedback(client, w5, { reputationRegistry, agentId: A.agentId, value: 70n, tag1: 'quality' });
  const { receiptId } = await payAgent(client, w7, { paymentReceipts, agentId: A.agentId, amount: parseEther('0.01') });
  await giveFeedback(client, w7, { reputationRegistry, agentId: A.agentId, value: 95n, receipt: { source: paymentReceipts, receiptId } });
  await revokeFeedback(client, w5, { reputationRegistry, agentId: A.agentId, feedbackIndex: 1n });
  await appendResponse(client, w4, { reputationRegistry, agentId: A.agentId, clientAddress: w6.account.address, feedbackIndex: 1n, responseURI: 'https://alpha.example/reply' });
  await giveFeedback(client, w8, { reputationRegistry, agentId: B, value: 40n });

  const { requestHash: request1 } = await requestValidation(client, w4, { validationRegistry, validator: w9.account.address, agentId: A.agentId, requestURI: 'https://work.example/1' });
  await respondToValidation(client, w9, { validationRegistry, requestHash: request1, response: 80, responseURI: 'https://validator.example/1', tag: 'soft' });
  await respondToValidation(client, w9, { validationRegistry, requestHash: request1, response: 95, responseURI: 'https://validator.example/2', tag: 'hard' });
  const { requestHash: request2 } = await requestValidation(client, w4, { validationRegistry, validator: w9.account.address, agentId: A.agentId, requestURI: 'https://work.example/2' });
  return { preexisting, A: A.agentId, B, C, D, E, newOwner: w4.account.address, request1, request2, receiptId, registeredBlockA: Number(A.blockNumber) };
}

/** How many logs the protocol contracts emitted, read straight from the chain. */
async function chainLogCount(chain: TestChain): Promise<number> {
  const address = ['IdentityRegistry', 'ReputationRegistry', 'ValidationRegistry', 'PaymentReceipts'].map((n) => chain.address(n));
  const logs = await chain.client.request({ method: 'eth_getLogs', params: [{ address, fromBlock: '0x0', toBlock: 'latest' }] } as never);
  return (logs as unknown[]).length;
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
