// Agent wallets on a test chain for the node's wallet tests: the factory (deployed here when the
// protocol plan does not deploy it yet), a node indexing identity + wallets into PGlite or
// PostgreSQL with the wallet API, and a scenario: an account with one agent key, spends, a refusal,
// escalated actions waiting for the owner.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEther, type Address, type Hex } from 'viem';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import type { Deployment } from '../../src/chain/deployments.ts';
import { openNodeStore, type NodeStore } from '../../src/node/db/store.ts';
import { dropSchema } from '../../src/node/db/open.ts';
import { identityModule } from '../../src/node/identity/module.ts';
import { startIndexer, type RunningIndexer } from '../../src/node/indexer/indexer.ts';
import { startNode, type RunningNode } from '../../src/node/server.ts';
import { walletModules, walletNodeParts } from '../../src/node/wallet/wiring.ts';
import { createMcpHttpHandler } from '../../src/mcp/http.ts';
import { payModule } from '../../src/node/pay/module.ts';
import { createPayService, type PayService } from '../../src/node/pay/service.ts';
import { agentAccountAbi, createAgentAccount, executeAsAgent, setAgentKey } from '../../src/wallet/index.ts';
import type { TestChain } from '../helpers/chain.ts';
import { PG_URL, type DbKind } from './fixtures/stores.ts';
import { seedEmbeddedDatabase } from '../helpers/pglite.ts';

export type WalletNode = { store: NodeStore; indexer: RunningIndexer; node: RunningNode; url: string; logs: string[]; synced: () => Promise<void>; stop: () => Promise<void> };

/** A node indexing identity + wallets, serving the API (and MCP with the wallet tools), optionally with a signer. */
export async function startWalletNode(p: {
  chain: TestChain;
  deployment: Deployment;
  kind: DbKind;
  signer?: MachinaWalletClient;
  webRoot?: string;
  /** Also take x402 payments (the pay service signing with `signer`, and the /v1/paid/echo route). */
  pay?: boolean;
}): Promise<WalletNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-wallet-'));
  const schema = p.kind === 'postgres' ? `wallet_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : undefined;
  if (!schema) await seedEmbeddedDatabase(dataDir);
  const store = await openNodeStore({ dataDir, databaseUrl: schema ? PG_URL : undefined, schema, modules: [identityModule(), ...walletModules(p.deployment), ...(p.pay ? [payModule()] : [])] });
  const indexer = await startIndexer({ client: p.chain.client, deployment: p.deployment, store, pollIntervalMs: 50 });
  const logs: string[] = [];
  let pay: PayService | undefined;
  if (p.pay) pay = await createPayService({ db: store.db, schema: store.schema, client: p.chain.client, wallet: p.signer!, deployment: p.deployment, flushMs: 200, log: (l) => logs.push(l) });
  const parts = walletNodeParts({ client: p.chain.client, deployment: p.deployment, db: store.db, signer: p.signer });
  const node = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (url) => ({
      client: p.chain.client,
      deployment: p.deployment,
      version: 'test',
      queries: store.queries,
      feed: store.feed,
      hosted: store,
      publicUrl: url,
      wallets: parts.wallets,
      signerWallet: parts.signerWallet,
      mcp: createMcpHttpHandler({ queries: store.queries, version: 'test', wallet: parts.mcpWallet }),
      webRoot: p.webRoot,
      log: (l) => logs.push(l),
      pay: pay ? { service: pay, echo: true } : undefined,
    }),
  });
  const w: WalletNode = {
    store,
    indexer,
    node,
    url: node.url,
    logs,
    synced: async () => w.indexer.waitForBlock(await p.chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 }),
    stop: async () => {
      await node.close();
      // The indexer a test may have swapped in (restarts).
      await w.indexer.stop();
      await pay?.stop();
      if (schema) await dropSchema(store.db, schema).catch(() => {});
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return w;
}

export type WalletScenario = {
  account: Address;
  agentId: bigint;
  owner: MachinaWalletClient;
  key: MachinaWalletClient;
  guardian: Address;
  recipient: Address;
  /** Queued (escalated) actions, still waiting. */
  pendingIds: bigint[];
};

export const CAPS = { perTx: parseEther('3'), windowCap: parseEther('5'), escalateAbove: parseEther('1.5') };

/**
 * An account of agent `agentId` owned by devnet account `ownerIndex`, with agent key `keyIndex`:
 * 10 ETH in it, two 1-ETH payments, one refused call (target not allowed), two 2-ETH payments
 * queued for the owner (above the 1.5 ETH escalation threshold).
 */
export async function walletScenario(chain: TestChain, deployment: Deployment, { ownerIndex = 1, keyIndex = 2, agentId = 7n, salt }: { ownerIndex?: number; keyIndex?: number; agentId?: bigint; salt?: Hex } = {}): Promise<WalletScenario> {
  const owner = chain.wallet(ownerIndex);
  const key = chain.wallet(keyIndex);
  const guardian = chain.wallet(5).account.address;
  const recipient = chain.wallet(6).account.address;
  const { account } = await createAgentAccount(owner, { factory: deployment.contracts.AgentAccountFactory!.address, agentId, guardian, salt });
  await setAgentKey(owner, {
    account,
    key: key.account.address,
    policy: {
      limits: [{ asset: 'native', perTx: CAPS.perTx, windowCap: CAPS.windowCap, windowSeconds: 86_400, escalateAbove: CAPS.escalateAbove }],
      rules: [{ target: recipient, selector: 'value' }],
    },
  });
  await chain.client.waitForTransactionReceipt({ hash: await owner.sendTransaction({ to: account, value: parseEther('10') }) });
  const pay = (eth: string) => executeAsAgent(key, { account, calls: [{ target: recipient, value: parseEther(eth), data: '0x' }] });
  await pay('1');
  await pay('1');
  // Refused on chain (sent without the library's preview, which would refuse it locally).
  const hash = await key.writeContract({ address: account, abi: agentAccountAbi, functionName: 'executeAsAgent', args: [key.account.address, [{ target: guardian, value: parseEther('0.1'), data: '0x' }]] } as never);
  await chain.client.waitForTransactionReceipt({ hash });
  const q1 = await pay('2');
  const q2 = await pay('2');
  return { account, agentId, owner, key, guardian, recipient, pendingIds: [q1.pendingId!, q2.pendingId!] };
}
