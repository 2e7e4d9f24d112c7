// A real node for the API tests: a fresh devnet with the protocol, the node's store (embedded
// PGlite, or PostgreSQL in its own schema), the indexer following the chain, and the HTTP server,
// optionally with a signer; log lines are captured so tests can read them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Account } from 'viem';
import { walletFor } from '../../src/chain/clients.ts';
import { createMcpHttpHandler } from '../../src/mcp/http.ts';
import { nodeHosting } from '../../src/node/app.ts';
import { openNodeStore, type NodeStore } from '../../src/node/db/store.ts';
import { startIndexer, type RunningIndexer } from '../../src/node/indexer/indexer.ts';
import { startNode, type RunningNode } from '../../src/node/server.ts';
import { createChainWriter } from '../../src/node/service/chainWriter.ts';
import type { EventFeed, NodeWriter } from '../../src/node/service/types.ts';
import type { TestChain } from '../helpers/chain.ts';
import { PG_URL, postgresReachable } from './fixtures/stores.ts';
import { seedEmbeddedDatabase } from '../helpers/pglite.ts';

// The fuzz test asks the same question the indexer tests do.
export { PG_URL, postgresReachable as postgresAvailable };


export type ApiNode = {
  store: NodeStore;
  indexer: RunningIndexer;
  node: RunningNode;
  url: string;
  writer: NodeWriter | undefined;
  /** Every line the node logged. */
  logs: string[];
  /** Open subscriptions on the feed (SSE clients among them). */
  subscribers: () => number;
  /** Resolves once the index holds the chain's current head. */
  synced: () => Promise<void>;
  stop: () => Promise<void>;
};

export type StartApiNodeParameters = {
  chain: TestChain;
  /** The node's signer; none means read-only (POSTs answer 403). */
  signer?: Account | undefined;
  /** PostgreSQL instead of the embedded database (in a schema of its own, dropped on stop). */
  postgres?: boolean;
  webRoot?: string | undefined;
  mcp?: boolean;
  heartbeatMs?: number;
};


export type ServedNode = { node: RunningNode; url: string; writer: NodeWriter | undefined; logs: string[] };

/** A node over an existing store (several nodes can serve one index: with and without a signer, a dashboard ...). */
export async function serveStore(
  chain: TestChain,
  store: NodeStore,
  { signer, webRoot, mcp = false, heartbeatMs, feed = store.feed }: Omit<StartApiNodeParameters, 'chain' | 'postgres'> & { feed?: EventFeed },
): Promise<ServedNode> {
  const logs: string[] = [];
  let writer: NodeWriter | undefined;
  const node = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (url) => {
      writer = signer
        ? createChainWriter({ client: chain.client, wallet: walletFor(chain.client, signer), deployment: chain.deployment, hosting: nodeHosting({ publicUrl: url, hosted: store }) })
        : undefined;
      return {
        client: chain.client,
        deployment: chain.deployment,
        version: '0.1.0-test',
        queries: store.queries,
        feed,
        writer,
        hosted: store,
        publicUrl: url,
        mcp: mcp ? createMcpHttpHandler({ queries: store.queries, writer, version: '0.1.0-test' }) : undefined,
        webRoot,
        heartbeatMs,
        log: (line) => logs.push(line),
      };
    },
  });
  return { node, url: node.url, writer, logs };
}

export async function startApiNode({ chain, postgres = false, ...serveOptions }: StartApiNodeParameters): Promise<ApiNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-api-'));
  const schema = postgres ? `api_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : undefined;
  if (!postgres) await seedEmbeddedDatabase(dataDir);
  const store = await openNodeStore({ dataDir, databaseUrl: postgres ? PG_URL : undefined, schema });
  const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
  // The store's own feed, counted: SSE tests check that clients that leave unsubscribe.
  let subscribers = 0;
  const feed: EventFeed = {
    subscribe(listener) {
      subscribers++;
      const off = store.feed.subscribe(listener);
      let done = false;
      return () => {
        if (!done) subscribers--;
        done = true;
        off();
      };
    },
  };
  const { node, writer, logs } = await serveStore(chain, store, { ...serveOptions, feed });
  return {
    store,
    indexer,
    node,
    url: node.url,
    writer,
    logs,
    subscribers: () => subscribers,
    synced: async () => indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 }),
    stop: async () => {
      await node.close();
      await indexer.stop();
      if (schema) {
        const { dropSchema } = await import('../../src/node/db/open.ts');
        await dropSchema(store.db, schema).catch(() => {});
      }
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
