// A node with x402 on a fresh devnet for the pay tests: the protocol's settlement contracts, an
// agent to pay, funded payers, and the node's HTTP
// server with the pay service over its own store (restartable on the same data directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Address } from 'viem';
import { walletFor } from '../../src/chain/clients.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { openNodeStore, type NodeStore } from '../../src/node/db/store.ts';
import { dropSchema } from '../../src/node/db/open.ts';
import { identityModule } from '../../src/node/identity/module.ts';
import { payModule } from '../../src/node/pay/module.ts';
import type { PricedRoute } from '../../src/node/pay/gateway.ts';
import { createPayService, type PayService } from '../../src/node/pay/service.ts';
import { startNode, type RunningNode } from '../../src/node/server.ts';
import { faucet, parseTokenAmount } from '../../src/pay/token.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { PG_URL } from '../node/fixtures/stores.ts';
import { seedEmbeddedDatabase } from '../helpers/pglite.ts';

export type PayChain = TestChain & { token: Address; settlement: Address; agentId: bigint; payee: Address };

/** The devnet with SettlementToken + X402Settlement (wired as a receipt source) and agent 0 owned by account 1. */
export async function startPayChain(): Promise<PayChain> {
  const chain = await startTestChain();
  const deployer = chain.wallet(0);
  const token = chain.address('SettlementToken');
  const settlement = chain.address('X402Settlement');
  const seller = chain.wallet(1);
  const { agentId } = await registerAgent(chain.client, seller, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://seller.example/agent.json' });
  for (const i of [2, 3, 4, 5]) await faucet(chain.client, deployer, { token, to: chain.wallet(i).account.address, amount: parseTokenAmount('1000') });
  return { ...chain, token, settlement, agentId, payee: seller.account.address };
}

export type PayNode = { url: string; store: NodeStore; pay: PayService; node: RunningNode; logs: string[]; dataDir: string; stop: () => Promise<void> };

export type StartPayNodeParameters = {
  chain: PayChain;
  dataDir?: string;
  postgresSchema?: string;
  routes?: PricedRoute[];
  flushMs?: number;
  maxBatch?: number;
  /** Keep the data directory on stop (for restarts). */
  keep?: boolean;
  verify?: 'fast' | 'simulate';
};

/** The node (signer = devnet account 0) with the pay service and the echo route. */
export async function startPayNode({ chain, dataDir = mkdtempSync(path.join(tmpdir(), 'machina-pay-')), postgresSchema, routes, flushMs = 200, maxBatch = 100, keep = false, verify }: StartPayNodeParameters): Promise<PayNode> {
  if (!postgresSchema) await seedEmbeddedDatabase(dataDir);
  const store = await openNodeStore({ dataDir, databaseUrl: postgresSchema ? PG_URL : undefined, schema: postgresSchema, modules: [identityModule(), payModule()] });
  const logs: string[] = [];
  const wallet = walletFor(chain.client, devnetAccount(0));
  const pay = await createPayService({ db: store.db, schema: store.schema, client: chain.client, wallet, deployment: chain.deployment, flushMs, maxBatch, verify, log: (l) => logs.push(l) });
  const node = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (url) => ({
      client: chain.client,
      deployment: chain.deployment,
      version: '0.1.0-test',
      queries: store.queries,
      feed: store.feed,
      hosted: store,
      publicUrl: url,
      log: (l) => logs.push(l),
      pay: { service: pay, routes, echo: true },
    }),
  });
  return {
    url: node.url,
    store,
    pay,
    node,
    logs,
    dataDir,
    stop: async () => {
      await node.close();
      await pay.stop();
      if (postgresSchema && !keep) await dropSchema(store.db, postgresSchema).catch(() => {});
      await store.close();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { walletFor, devnetAccount };
