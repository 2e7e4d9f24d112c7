// http(s) registration files, read by the background resolver outside the indexing transactions:
// resolved, re-read when the agentURI changes or the node re-hosts the file, failures recorded.
// Also: hostile strings from the chain (NUL characters) never stall the index.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getAgentCount, registerAgent, setAgentURI } from '../../src/identity/actions/agents.ts';
import { buildRegistrationFile, type RegistrationFile } from '../../src/identity/registrationFile.ts';
import type { NodeStore } from '../../src/node/db/store.ts';
import { startIndexer, type RunningIndexer } from '../../src/node/indexer/indexer.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds, newStoreLocation } from './fixtures/stores.ts';

const kinds = await databaseKinds();

for (const kind of kinds) {
  describe(`registration resolver (${kind})`, () => {
    let chain: TestChain;
    let server: Server;
    let url: string;
    let store: NodeStore;
    let indexer: RunningIndexer;
    const files = new Map<string, RegistrationFile>();
    const location = newStoreLocation(kind);
    const file = (name: string) => buildRegistrationFile({ name, description: `${name} agent`, services: [{ name: 'MCP', endpoint: `https://${name}.example/mcp` }] });
    const agent = async (id: bigint) => (await store.queries.getAgent(id))!;
    const until = async (check: () => Promise<boolean>) => {
      const end = Date.now() + 15_000;
      // An agent not indexed yet reads as undefined: keep waiting.
      while (!(await check().catch(() => false))) {
        if (Date.now() > end) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    before(async () => {
      chain = await startTestChain();
      store = await location.open();
      // Serves plain files, and /agents/{id}/registration.json from the store, as the node does.
      server = createServer(async (req, res) => {
        const hosted = /^\/agents\/(\d+)\/registration\.json$/.exec(req.url ?? '');
        const body = hosted ? await store.getHostedRegistration(BigInt(hosted[1]!)) : files.get(req.url ?? '');
        if (req.url === '/down.json') res.statusCode = 503;
        else if (!body) res.statusCode = 404;
        res.end(body ? JSON.stringify(body) : '');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
    });
    after(async () => {
      await indexer?.stop();
      await store?.close();
      await location.drop();
      server?.close();
      await chain?.stop();
    });

    it('resolves http(s) files, and again when the agentURI changes', async () => {
      const identityRegistry = chain.address('IdentityRegistry');
      files.set('/x.json', file('x-one'));
      files.set('/x2.json', file('x-two'));
      const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry, agentURI: `${url}/x.json` });
      await until(async () => (await agent(agentId)).name === 'x-one');
      assert.deepEqual((await agent(agentId)).services, [{ name: 'MCP', endpoint: 'https://x-one.example/mcp' }]);
      await setAgentURI(chain.client, chain.wallet(1), { identityRegistry, agentId, agentURI: `${url}/x2.json` });
      await until(async () => (await agent(agentId)).name === 'x-two');
      assert.equal((await agent(agentId)).registrationError, null);
    });

    it('records why a file could not be read', async () => {
      const identityRegistry = chain.address('IdentityRegistry');
      const { agentId: down } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry, agentURI: `${url}/down.json` });
      const { agentId: missing } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry, agentURI: `${url}/nothing-here.json` });
      await until(async () => (await agent(down)).registrationError !== null && (await agent(missing)).registrationError !== null);
      assert.match((await agent(down)).registrationError!, /answered 503/);
      assert.match((await agent(missing)).registrationError!, /answered 404/);
      assert.equal((await agent(down)).registration, null);
    });

    it('reads files the node hosts, and re-reads them when the node replaces one', async () => {
      const identityRegistry = chain.address('IdentityRegistry');
      const predicted = await getAgentCount(chain.client, { identityRegistry });
      await store.putHostedRegistration(predicted, file('hosted-one'));
      assert.equal((await store.getHostedRegistration(predicted))!.name, 'hosted-one');
      const { agentId } = await registerAgent(chain.client, chain.wallet(2), { identityRegistry, agentURI: `${url}/agents/${predicted}/registration.json` });
      assert.equal(agentId, predicted);
      await until(async () => (await agent(agentId)).name === 'hosted-one');
      await store.putHostedRegistration(agentId, file('hosted-two'));
      await until(async () => (await agent(agentId)).name === 'hosted-two');
      assert.equal(await store.getHostedRegistration(123_456n), undefined);
      await assert.rejects(store.putHostedRegistration(agentId, { name: '' } as RegistrationFile), /registration\.type/);
    });

    it('indexes hostile strings (NUL characters) without stalling', async () => {
      const identityRegistry = chain.address('IdentityRegistry');
      const { agentId: a } = await registerAgent(chain.client, chain.wallet(3), { identityRegistry, agentURI: 'https://evil.example/\u0000.json' });
      const nulFile = JSON.stringify({ ...file('nul'), name: 'nul\u0000name', ['k\u0000']: 1 });
      const { agentId: b } = await registerAgent(chain.client, chain.wallet(3), { identityRegistry, agentURI: `data:application/json,${encodeURIComponent(nulFile)}` });
      await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 15_000 });
      assert.equal((await agent(a)).agentURI, 'https://evil.example/\uFFFD.json');
      assert.equal((await agent(b)).name, 'nul\uFFFDname');
    });
  });
}
