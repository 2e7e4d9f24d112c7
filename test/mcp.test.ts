// The MCP server driven by the SDK's own client, against a real devnet, a real index and a running
// node: over streamable HTTP (the node's /mcp) and over stdio (`machina mcp` as a client spawns it).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toHex, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../src/chain/devnet.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { toDataUri, buildRegistrationFile } from '../src/identity/registrationFile.ts';
import { createMcpHttpHandler, createMcpServer, MCP_TOOL_NAMES } from '../src/mcp/index.ts';
import { WALLET_TOOL_NAMES } from '../src/mcp/wallet.ts';
import { PROVENANCE_TOOL_NAMES } from '../src/mcp/provenance.ts';
import { COMPUTE_TOOL_NAMES } from '../src/mcp/compute.ts';
import { DATA_TOOL_NAMES } from '../src/mcp/data.ts';
import { dropSchema } from '../src/node/db/open.ts';
import { openNodeStore, type NodeStore } from '../src/node/db/store.ts';
import { startIndexer, type RunningIndexer } from '../src/node/indexer/indexer.ts';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { createChainWriter } from '../src/node/service/chainWriter.ts';
import { createHttpQueries } from '../src/node/service/httpQueries.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { machinaBin, repoRoot, runCli } from './helpers/cli.ts';

/**
 * The index lives in PostgreSQL (the machine's, in a schema of this file's own) when it answers:
 * it opens in well under a second, where the embedded database takes seconds. The embedded one is
 * the fallback; the indexer's own tests cover both.
 */
async function openStore(dataDir: string): Promise<NodeStore> {
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
  const schema = `mcp_test_${process.pid}`;
  try {
    return await openNodeStore({ dataDir, databaseUrl, schema });
  } catch (err) {
    process.stderr.write(`# PostgreSQL unavailable (${(err as Error).message.split('\n')[0]}); using the embedded database\n`);
    return openNodeStore({ dataDir });
  }
}

/** The raw key of a devnet development account, as a user would paste it into MACHINA_PRIVATE_KEY. */
const devnetKey = (index: number): Hex => toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
const MCP_KEY = devnetKey(3); // the stdio server's signer
const NODE_KEY = devnetKey(4); // the node's own signer, behind /mcp
const validator = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 5 }).address;

type Result = CallToolResult & { structuredContent?: any };

const textOf = (r: Result) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** Retries `fn` until it returns a value or `ms` pass (the indexer's lag between a write and its read). */
async function eventually<T>(fn: () => Promise<T | undefined>, ms = 2_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MCP server', () => {
  let chain: TestChain;
  let dataDir: string;
  let store: NodeStore;
  let indexer: RunningIndexer;
  let node: RunningNode;
  /** Everything a tool answered in this file, to search for key material at the end. */
  const answers: string[] = [];

  before(async () => {
    chain = await startTestChain();
    dataDir = mkdtempSync(path.join(tmpdir(), 'machina-mcp-'));
    store = await openStore(dataDir);
    indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store });
    await indexer.caughtUp;
    const writer = createChainWriter({ client: chain.client, wallet: chain.wallet(4), deployment: chain.deployment });
    const version = '0.0.0-test';
    node = await startNode({
      host: '127.0.0.1',
      port: 0,
      deps: {
        client: chain.client,
        deployment: chain.deployment,
        version,
        queries: store.queries,
        feed: store.feed,
        writer,
        hosted: store,
        publicUrl: 'http://127.0.0.1',
        mcp: createMcpHttpHandler({ queries: store.queries, writer, version }),
        log: () => {},
      },
    });
  });
  after(async () => {
    await node?.close();
    await indexer?.stop();
    if (store?.kind === 'postgres') await dropSchema(store.db, store.schema);
    await store?.close();
    await chain?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A connected client whose callTool records every answer. */
  async function connect(transport: Transport) {
    const client = new Client({ name: 'machina-test', version: '1.0.0' });
    const errors: unknown[] = [];
    client.onerror = (e) => errors.push(e);
    await client.connect(transport);
    const call = async (name: string, args: Record<string, unknown> = {}): Promise<Result> => {
      const r = (await client.callTool({ name, arguments: args })) as Result;
      answers.push(JSON.stringify(r));
      return r;
    };
    return { client, call, errors };
  }

  const ok = (r: Result) => {
    assert.ok(!r.isError, textOf(r));
    return r.structuredContent;
  };
  const failed = (r: Result, field: string | RegExp) => {
    assert.equal(r.isError, true, `expected an error result, got ${textOf(r)}`);
    const t = textOf(r);
    if (typeof field === 'string') assert.ok(t.includes(` at ${field}`) || t.includes(`"field":"${field}"`), `error does not name ${field}: ${t}`);
    else assert.match(t, field);
    return t;
  };

  describe('over streamable HTTP (the node at /mcp)', () => {
    let mcp: Awaited<ReturnType<typeof connect>>;
    before(async () => {
      mcp = await connect(new StreamableHTTPClientTransport(new URL(`${node.url}/mcp`)));
    });
    after(async () => mcp?.client.close());

    it('lists every tool with its input and output schema', async () => {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [...MCP_TOOL_NAMES]);
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      for (const t of tools) {
        assert.equal(t.inputSchema.type, 'object', t.name);
        assert.ok(t.description && t.description.length > 20, t.name);
        assert.equal(t.outputSchema?.type, 'object', t.name);
      }
      assert.deepEqual(byName.register_agent!.inputSchema.required, ['name', 'description']);
      assert.deepEqual(byName.give_feedback!.inputSchema.required, ['agentId', 'value']);
      assert.deepEqual(byName.request_validation!.inputSchema.required, ['agentId', 'validator', 'requestURI']);
      assert.deepEqual(Object.keys(byName.list_agents!.inputSchema.properties ?? {}), ['offset', 'limit', 'q', 'owner', 'sort', 'order']);
      assert.equal(byName.get_agent!.annotations?.readOnlyHint, true);
      assert.equal(byName.register_agent!.annotations?.readOnlyHint, false);
    });

    it('register_agent returns an id that get_agent, list_agents and get_trust_score read back', async () => {
      const reg = ok(await mcp.call('register_agent', { name: 'http-agent', description: 'Registered over streamable HTTP', services: [{ name: 'MCP', endpoint: 'https://agent.example/mcp', version: '2025-06-18' }], x402Support: true }));
      assert.match(reg.agentId, /^\d+$/);
      assert.equal(reg.owner, chain.wallet(4).account.address);
      assert.match(reg.txHash, /^0x[0-9a-f]{64}$/);
      const started = Date.now();
      const agent = await eventually(async () => {
        const r = await mcp.call('get_agent', { agentId: reg.agentId });
        return r.isError ? undefined : r.structuredContent;
      });
      assert.ok(Date.now() - started <= 2_000);
      assert.equal(agent.agentId, reg.agentId);
      assert.equal(agent.owner, reg.owner);
      assert.equal(agent.name, 'http-agent');
      assert.equal(agent.x402Support, true);
      assert.deepEqual(agent.services, [{ name: 'MCP', endpoint: 'https://agent.example/mcp', version: '2025-06-18' }]);

      const page = ok(await mcp.call('list_agents', { q: 'http-agent' }));
      assert.equal(page.total, 1);
      assert.equal(page.items[0].agentId, reg.agentId);
      const trust = await mcp.call('get_trust_score', { agentId: reg.agentId });
      assert.equal(ok(trust).agentId, reg.agentId);
      assert.equal(trust.structuredContent.score, 50);
      assert.match(textOf(trust), /trust 50\/100/);
    });

    it('give_feedback rates another owner\'s agent; list_feedback and the trust score show it', async () => {
      // Owned by account 1, so the node's signer (account 4) may rate it.
      const file = buildRegistrationFile({ name: 'rated-agent', description: 'to be rated' });
      const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry: chain.address('IdentityRegistry'), agentURI: toDataUri(file) });
      const fb = ok(await mcp.call('give_feedback', { agentId: agentId.toString(), value: '87.5', tag1: 'quality', endpoint: 'https://agent.example/mcp' }));
      assert.equal(fb.client, chain.wallet(4).account.address);
      assert.equal(fb.value, '87.5');
      const list = await eventually(async () => {
        const r = await mcp.call('list_feedback', { agentId: agentId.toString() });
        return r.structuredContent?.total === 1 ? r.structuredContent : undefined;
      });
      assert.equal(list.items[0].value, '875');
      assert.equal(list.items[0].valueDecimals, 1);
      assert.equal(list.items[0].tag1, 'quality');
      assert.equal(list.items[0].feedbackIndex, fb.feedbackIndex);
      const trust = ok(await mcp.call('get_trust_score', { agentId: agentId.toString() }));
      assert.equal(trust.feedbackCount, 1);
      assert.ok(trust.score > 50, `score ${trust.score}`);
    });

    it('bad input yields an error result naming the field, and the server keeps serving', async () => {
      failed(await mcp.call('get_agent', { agentId: 'abc' }), 'agentId');
      failed(await mcp.call('get_agent', { agentId: 7 }), 'agentId');
      failed(await mcp.call('get_agent', {}), 'agentId');
      failed(await mcp.call('get_agent', { agentId: '999999' }), 'agentId');
      failed(await mcp.call('list_agents', { limit: 0 }), 'limit');
      failed(await mcp.call('list_agents', { sort: 'random' }), 'sort');
      failed(await mcp.call('list_agents', { owner: '0x1234' }), 'owner');
      failed(await mcp.call('register_agent', { description: 'no name' }), 'name');
      failed(await mcp.call('register_agent', { name: 'x', description: 'y', services: [{ name: '', endpoint: 'https://e' }] }), 'services[0].name');
      failed(await mcp.call('give_feedback', { agentId: '0', value: 'ten' }), 'value');
      failed(await mcp.call('give_feedback', { agentId: '0', value: 87 }), 'value');
      failed(await mcp.call('request_validation', { agentId: '0', validator: 'bob', requestURI: 'ipfs://x' }), 'validator');
      failed(await mcp.call('get_validation', { requestHash: '0x12' }), 'requestHash');
      failed(await mcp.call('get_validation', { requestHash: `0x${'ab'.repeat(32)}` }), 'requestHash');
      // A revert is an error result too, with the contract's reason.
      failed(await mcp.call('give_feedback', { agentId: '999999', value: '1' }), /REVERTED|reverted/);
      const unknown = await mcp.client.callTool({ name: 'no_such_tool', arguments: {} });
      assert.equal(unknown.isError, true);
      ok(await mcp.call('list_agents', {}));
      assert.deepEqual(mcp.errors, []);
    });

    it('answers GET and DELETE with 405: the endpoint is stateless', async () => {
      for (const method of ['GET', 'DELETE']) {
        const res = await fetch(`${node.url}/mcp`, { method, headers: { accept: 'text/event-stream' } });
        assert.equal(res.status, 405, method);
        assert.equal((await res.json()).error.code, -32000);
      }
      const bad = await fetch(`${node.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{nope' });
      assert.ok(bad.status >= 400 && bad.status < 500, String(bad.status));
    });
  });

  describe('createHttpQueries', () => {
    // JSON drops undefined fields; compare what travels.
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

    it('reads through the node API what the store holds', async () => {
      const http = createHttpQueries({ baseUrl: `${node.url}/` });
      const q = store.queries;
      await indexer.waitForBlock(await chain.client.getBlockNumber());
      const agents = await q.listAgents({ offset: 0, limit: 100 });
      assert.ok(agents.total >= 2);
      assert.deepEqual(plain(await http.listAgents({ offset: 0, limit: 100 })), plain(agents));
      assert.deepEqual(plain(await http.listAgents({ offset: 1, limit: 1, q: 'RATED', sort: 'agentId', order: 'desc' })), plain(await q.listAgents({ offset: 1, limit: 1, q: 'RATED', sort: 'agentId', order: 'desc' })));
      const rated = agents.items.find((a) => a.name === 'rated-agent')!;
      const id = BigInt(rated.agentId);
      assert.deepEqual(plain(await http.getAgent(id)), plain(await q.getAgent(id)));
      assert.deepEqual(plain(await http.listFeedback(id, { offset: 0, limit: 10, includeRevoked: true, tag1: 'quality' })), plain(await q.listFeedback(id, { offset: 0, limit: 10, includeRevoked: true, tag1: 'quality' })));
      assert.deepEqual(plain(await http.listValidations(id, { offset: 0, limit: 10 })), plain(await q.listValidations(id, { offset: 0, limit: 10 })));
      const events = await q.listEvents({ limit: 5 });
      assert.deepEqual(plain(await http.listEvents({ limit: 5 })), plain(events));
      assert.deepEqual(plain(await http.listEvents({ limit: 50, afterId: events.at(-1)!.id, event: 'Registered' })), plain(await q.listEvents({ limit: 50, afterId: events.at(-1)!.id, event: 'Registered' })));
      const stats = await http.stats();
      assert.equal(stats.chainId, 31337);
      assert.equal(stats.agents, agents.total);
    });

    it('maps 404 to undefined and passes other errors on with their code and field', async () => {
      const http = createHttpQueries({ baseUrl: node.url });
      assert.equal(await http.getAgent(123456n), undefined);
      assert.equal(await http.getValidation(`0x${'cd'.repeat(32)}`), undefined);
      await assert.rejects(http.listAgents({ offset: 0, limit: 1000 }), (e: any) => e.code !== undefined && e.field === 'limit' && /limit/.test(e.message));
      const down = createHttpQueries({ baseUrl: 'http://127.0.0.1:1' });
      await assert.rejects(down.getAgent(0n), (e: any) => e.code === 'NODE_UNREACHABLE' && e.field === 'MACHINA_NODE_URL');
    });
  });

  describe('without a signer', () => {
    it('reads work; write tools answer SIGNER_NOT_CONFIGURED', async () => {
      const server = createMcpServer({ queries: store.queries, version: '0.0.0-test' });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const mcp = await connect(clientSide);
      try {
        ok(await mcp.call('list_agents', {}));
        for (const [name, args] of [
          ['register_agent', { name: 'x', description: 'y' }],
          ['give_feedback', { agentId: '0', value: '1' }],
          ['request_validation', { agentId: '0', validator, requestURI: 'ipfs://x' }],
        ] as const) {
          const t = failed(await mcp.call(name, args), /SIGNER_NOT_CONFIGURED/);
          assert.match(t, /MACHINA_PRIVATE_KEY/);
        }
      } finally {
        await mcp.client.close();
      }
    });
  });

  describe('over stdio (`machina mcp`)', () => {
    const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('MACHINA_') && v !== undefined)) as Record<string, string>;
    let stderr = '';
    let mcp: Awaited<ReturnType<typeof connect>>;

    before(async () => {
      // As an MCP client spawns it: from a directory of its own, with no deployments file there
      // (the node's deployment is used), and the key as users paste it: without 0x, upper case.
      const elsewhere = mkdtempSync(path.join(tmpdir(), 'machina-mcp-client-'));
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [machinaBin, 'mcp'],
        cwd: elsewhere,
        env: { ...cleanEnv(), MACHINA_RPC_URL: chain.env.MACHINA_RPC_URL!, MACHINA_NODE_URL: node.url, MACHINA_PRIVATE_KEY: MCP_KEY.slice(2).toUpperCase() },
        stderr: 'pipe',
      });
      transport.stderr!.on('data', (c) => (stderr += c));
      mcp = await connect(transport);
      rmSync(elsewhere, { recursive: true, force: true });
    });
    after(async () => mcp?.client.close());

    it('serves every tool; stderr says what it serves and signs with', async () => {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [...MCP_TOOL_NAMES, ...WALLET_TOOL_NAMES, ...PROVENANCE_TOOL_NAMES, ...COMPUTE_TOOL_NAMES, ...DATA_TOOL_NAMES]);
      const signer = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 3 }).address;
      assert.match(stderr, /no local deployment for chain 31337; using the node's \(http:\/\/127\.0\.0\.1:\d+\/v1\/contracts\)/);
      assert.match(stderr, new RegExp(`serving ${MCP_TOOL_NAMES.length + WALLET_TOOL_NAMES.length + PROVENANCE_TOOL_NAMES.length + COMPUTE_TOOL_NAMES.length + DATA_TOOL_NAMES.length} tools on stdio; reading from ${node.url.replace(/[.]/g, '\\.')}; signing as ${signer} on chain 31337`));
    });

    it('register_agent, get_agent, give_feedback, request_validation and get_validation', async () => {
      const reg = ok(await mcp.call('register_agent', { name: 'stdio-agent', description: 'Registered over stdio' }));
      const agent = await eventually(async () => {
        const r = await mcp.call('get_agent', { agentId: reg.agentId });
        return r.isError ? undefined : r.structuredContent;
      });
      assert.equal(agent.name, 'stdio-agent');
      assert.equal(agent.owner, mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 3 }).address);

      // Rate the agent the node's signer registered over HTTP (another owner).
      const other = ok(await mcp.call('list_agents', { q: 'http-agent' })).items[0];
      const fb = ok(await mcp.call('give_feedback', { agentId: other.agentId, value: '92', tag1: 'speed' }));
      assert.equal(fb.agentId, other.agentId);

      const req = ok(await mcp.call('request_validation', { agentId: reg.agentId, validator, requestURI: 'ipfs://job-42' }));
      assert.match(req.requestHash, /^0x[0-9a-f]{64}$/);
      const v = await eventually(async () => {
        const r = await mcp.call('get_validation', { requestHash: req.requestHash });
        return r.isError ? undefined : r.structuredContent;
      });
      assert.equal(v.agentId, reg.agentId);
      assert.equal(v.validator, validator);
      assert.equal(v.requestURI, 'ipfs://job-42');
      assert.equal(v.response, null);
    });

    it('an agent registered from the CLI appears in MCP within 2 s', async () => {
      const reg = await runCli(['agent', 'register', '--name', 'cli-agent', '--description', 'Registered with the CLI', '--account', '6', '--json'], chain.env);
      assert.equal(reg.code, 0, reg.stderr);
      const { agentId } = reg.json();
      const started = Date.now();
      const agent = await eventually(async () => {
        const r = await mcp.call('get_agent', { agentId });
        return r.isError ? undefined : r.structuredContent;
      });
      assert.ok(Date.now() - started <= 2_000, `${Date.now() - started} ms`);
      assert.equal(agent.name, 'cli-agent');
    });

    it('errors are results: self-rating reverts, unknown ids, bad input, key material in input', async () => {
      const own = ok(await mcp.call('list_agents', { q: 'stdio-agent' })).items[0];
      failed(await mcp.call('give_feedback', { agentId: own.agentId, value: '100' }), /REVERTED: reverted: \w+/);
      failed(await mcp.call('get_agent', { agentId: '424242' }), 'agentId');
      failed(await mcp.call('list_feedback', { agentId: '424242' }), 'agentId');
      failed(await mcp.call('give_feedback', { agentId: own.agentId, value: '1.2.3' }), 'value');
      // A model that somehow holds the key cannot write it on chain through a tool.
      failed(await mcp.call('register_agent', { name: 'leak', description: `my key is ${MCP_KEY}` }), 'description');
      failed(await mcp.call('give_feedback', { agentId: own.agentId, value: '1', tag1: MCP_KEY.slice(2).toUpperCase() }), 'tag1');
      assert.deepEqual(mcp.errors, [], 'stdout carried something other than JSON-RPC');
    });

    it('reads fail with a clear error when the node is down, and the server keeps running', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [machinaBin, 'mcp', '--node-url', 'http://127.0.0.1:1'],
        cwd: repoRoot,
        env: { ...cleanEnv(), ...chain.env, MACHINA_PRIVATE_KEY: MCP_KEY },
        stderr: 'pipe',
      });
      transport.stderr!.on('data', (c) => (stderr += c));
      const down = await connect(transport);
      try {
        failed(await down.call('get_agent', { agentId: '0' }), /NODE_UNREACHABLE.*MACHINA_NODE_URL/);
        ok(await down.call('request_validation', { agentId: ok(await mcp.call('list_agents', { q: 'stdio-agent' })).items[0].agentId, validator, requestURI: 'ipfs://job-43' }));
      } finally {
        await down.client.close();
      }
    });

    it('with the chain unreachable, reads still work and writes say why they cannot', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [machinaBin, 'mcp'],
        cwd: repoRoot,
        env: { ...cleanEnv(), ...chain.env, MACHINA_RPC_URL: 'http://127.0.0.1:1', MACHINA_NODE_URL: node.url, MACHINA_PRIVATE_KEY: `0x${MCP_KEY.slice(2).toUpperCase()}` },
        stderr: 'pipe',
      });
      transport.stderr!.on('data', (c) => (stderr += c));
      const readOnly = await connect(transport);
      try {
        assert.ok(ok(await readOnly.call('list_agents', {})).total >= 2);
        const t = failed(await readOnly.call('register_agent', { name: 'x', description: 'y' }), /CHAIN_UNREACHABLE: writes are unavailable: cannot reach a chain at http:\/\/127\.0\.0\.1:1/);
        assert.match(t, /"field":"MACHINA_RPC_URL"/);
      } finally {
        await readOnly.client.close();
      }
      assert.match(stderr, /writes are unavailable: cannot reach a chain .*; serving read tools only/);
    });

    it('a malformed key stops it with one line naming the setting, not the value', async () => {
      const bad = `0x${MCP_KEY.slice(2, -1)}g`;
      const r = await runCli(['mcp'], { ...chain.env, MACHINA_NODE_URL: node.url, MACHINA_PRIVATE_KEY: bad });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^machina: MACHINA_PRIVATE_KEY: must be 32 bytes of hex/);
      assert.ok(!r.stderr.toLowerCase().includes(MCP_KEY.slice(2, -1)));
    });

    it('no key, in any form, in any tool result, error or stderr line', () => {
      const all = [...answers, stderr].join('\n').toLowerCase();
      for (const key of [MCP_KEY, NODE_KEY]) {
        assert.ok(!all.includes(key.slice(2).toLowerCase()), 'a private key leaked');
      }
      assert.ok(answers.length > 30);
    });
  });
});
