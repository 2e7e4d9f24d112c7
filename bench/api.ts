// API read throughput: GET /v1/agents/{id} on the node (one process, one JavaScript thread, the
// embedded index in it), loaded by autocannon from a separate process, against baselines measured
// in the same run: a bare node:http server answering the same JSON from memory (the ceiling), and
// the naive node that reads each agent from the chain instead of the index.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { walletFor } from '../src/chain/clients.ts';
import { devnetAccount } from '../src/chain/signer.ts';
import { getAgent as readAgentFromChain, registerAgent } from '../src/identity/actions/agents.ts';
import { giveFeedback } from '../src/identity/actions/feedback.ts';
import { buildRegistrationFile, fetchRegistrationFile, toDataUri } from '../src/identity/registrationFile.ts';
import { openNodeStore } from '../src/node/db/store.ts';
import { startIndexer } from '../src/node/indexer/indexer.ts';
import { startNode, type RunningNode } from '../src/node/server.ts';
import { startTestChain } from '../test/helpers/chain.ts';

export type ApiBenchRow = {
  name: string;
  what: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Answers other than 200, and socket errors. */
  failures: number;
};

export type ApiBenchResult = {
  agents: number;
  connections: number;
  durationSeconds: number;
  rows: ApiBenchRow[];
  /** Node with its read cache / bare node:http answering the same JSON from memory. */
  ratioToCeiling: number;
  /** Node with its read cache / the same route reading the chain. */
  ratioToChain: number;
  /** Node reading the index on every request (no cache) / the same route reading the chain. */
  uncachedRatioToChain: number;
  goalRequestsPerSecond: number;
};

export type MeasureApiParameters = {
  log?: (line: string) => void;
  agents?: number;
  connections?: number;
  durationSeconds?: number;
};

type Load = { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number; failures: number };

/**
 * Loads `base` + `/v1/agents/{id}` (ids in turn) with autocannon in a child process, so that the
 * server under test keeps its own core.
 */
function load(base: string, ids: string[], connections: number, durationSeconds: number): Promise<Load> {
  const script = `
    import autocannon from 'autocannon';
    const [base, ids, connections, duration] = JSON.parse(process.argv[1]);
    let i = 0;
    const url = new URL(base);
    const r = await autocannon({
      url: base, connections, duration,
      requests: [{ setupRequest: (req) => ({ ...req, path: url.pathname.replace(/\\/$/, '') + '/v1/agents/' + ids[i++ % ids.length] }) }],
    });
    process.stdout.write(JSON.stringify({
      requestsPerSecond: r.requests.average,
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      failures: r.non2xx + r.errors + r.timeouts,
    }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([base, ids, connections, durationSeconds])], {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(0, 500)}`));
      resolve(JSON.parse(out) as Load);
    });
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/**
 * Builds a devnet with `agents` registered agents (files on chain as data: URIs) and some
 * feedback, indexes it into the embedded database, and measures GET /v1/agents/{id}.
 * @example
 * const r = await measureApi({ log: console.error })
 * console.log(apiReport(r))
 */
export async function measureApi({ log = () => {}, agents = 200, connections = 32, durationSeconds = 5 }: MeasureApiParameters = {}): Promise<ApiBenchResult> {
  const chain = await startTestChain();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-bench-api-'));
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const { client } = chain;
    const identityRegistry = chain.address('IdentityRegistry');
    const reputationRegistry = chain.address('ReputationRegistry');
    log(`api: registering ${agents} agents with feedback on a devnet ...`);
    for (let i = 0; i < agents; i++) {
      const owner = chain.wallet(1 + (i % 4));
      const file = buildRegistrationFile({
        name: `agent ${i}`,
        description: `Benchmark agent number ${i}: summarizes, translates and classifies text for other agents.`,
        services: [{ name: 'MCP', endpoint: `https://agent-${i}.example/mcp`, version: '2025-06-18' }, { name: 'A2A', endpoint: `https://agent-${i}.example/.well-known/agent-card.json`, version: '0.3.0' }],
        x402Support: i % 2 === 0,
        registration: { agentId: BigInt(i), chainId: client.chain.id, registry: identityRegistry },
      });
      await registerAgent(client, owner, { identityRegistry, agentURI: toDataUri(file) });
      await giveFeedback(client, walletFor(client, devnetAccount(5 + (i % 5))), { reputationRegistry, agentId: BigInt(i), value: BigInt(60 + (i % 40)), tag1: 'quality' });
    }

    const store = await openNodeStore({ dataDir });
    closers.push(() => store.close());
    const indexer = await startIndexer({ client, deployment: chain.deployment, store, pollIntervalMs: 50 });
    closers.unshift(() => indexer.stop());
    await indexer.waitForBlock(await client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 120_000 });
    const ids = Array.from({ length: agents }, (_, i) => String(i));

    const parts = { client, deployment: chain.deployment, version: 'bench', queries: store.queries, feed: store.feed, hosted: store, log: () => {} };
    const serve = async (agentCacheMs: number): Promise<RunningNode> => {
      const node = await startNode({ host: '127.0.0.1', port: 0, deps: (url) => ({ ...parts, publicUrl: url, agentCacheMs }) });
      closers.unshift(() => node.close());
      return node;
    };
    const cached = await serve(1_000);
    const uncached = await serve(0);

    // The ceiling: node:http answering an agent's JSON, serialized once, from memory.
    const sample = JSON.stringify(await store.queries.getAgent(1n));
    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(sample);
    });
    const bareUrl = await listen(bare);
    closers.unshift(() => new Promise((r) => bare.close(r)));

    // The naive node: the same route, reading the agent from the chain (two eth_calls) and its
    // registration file (data: URI) on every request.
    const direct = new Hono();
    direct.get('/v1/agents/:id', async (c) => {
      const agent = await readAgentFromChain(client, { identityRegistry, agentId: BigInt(c.req.param('id')) });
      const registration = await fetchRegistrationFile(agent.agentURI);
      return c.json({ agentId: agent.agentId.toString(), owner: agent.owner, agentURI: agent.agentURI, agentWallet: agent.agentWallet, registration });
    });
    const directServer = createServer(getRequestListener(direct.fetch));
    const directUrl = await listen(directServer);
    closers.unshift(() => new Promise((r) => directServer.close(r)));

    const targets: Array<{ name: string; what: string; url: string }> = [
      { name: 'ceiling', what: 'node:http, the same JSON from memory', url: bareUrl },
      { name: 'node', what: 'GET /v1/agents/{id}, node API (read cache on)', url: cached.url },
      { name: 'node-uncached', what: 'GET /v1/agents/{id}, node API, index query every request', url: uncached.url },
      { name: 'chain-direct', what: 'same route reading the chain (eth_call) each request', url: directUrl },
    ];
    const rows: ApiBenchRow[] = [];
    for (const t of targets) {
      log(`api: ${t.name}: warming up, then ${durationSeconds} s at ${connections} connections ...`);
      await load(t.url, ids, connections, 1);
      const r = await load(t.url, ids, connections, durationSeconds);
      rows.push({ name: t.name, what: t.what, ...r });
    }
    const rps = (name: string) => rows.find((r) => r.name === name)!.requestsPerSecond;
    return {
      agents,
      connections,
      durationSeconds,
      rows,
      ratioToCeiling: rps('node') / rps('ceiling'),
      ratioToChain: rps('node') / rps('chain-direct'),
      uncachedRatioToChain: rps('node-uncached') / rps('chain-direct'),
      goalRequestsPerSecond: 10_000,
    };
  } finally {
    for (const close of closers) await close().catch(() => {});
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The printed table. */
export function apiReport(r: ApiBenchResult): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `API read throughput: GET /v1/agents/{id} over ${r.agents} agents, ${r.connections} connections, ${r.durationSeconds} s each; server on one thread, load from another process`,
    '',
    '| target | req/s | p50 ms | p99 ms | failures |',
    '|---|---:|---:|---:|---:|',
    ...r.rows.map((row) => `| ${row.what} | ${fmt(row.requestsPerSecond)} | ${row.latencyP50Ms} | ${row.latencyP99Ms} | ${row.failures} |`),
    '',
    `node / ceiling: ${r.ratioToCeiling.toFixed(2)}x; node / chain-direct: ${r.ratioToChain.toFixed(1)}x; uncached node / chain-direct: ${r.uncachedRatioToChain.toFixed(1)}x`,
    `goal >= ${fmt(r.goalRequestsPerSecond)} req/s: ${r.rows.find((x) => x.name === 'node')!.requestsPerSecond >= r.goalRequestsPerSecond ? 'met' : 'not met'}`,
  ];
  return lines.join('\n');
}
