// `machina up`: boots the chain (embedded devnet unless an RPC URL is set), makes sure the protocol
// is deployed, opens the node's index and follows the chain into it, and serves the API, the MCP
// endpoint and the dashboard; `stop` takes it all down in reverse order.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectChain, walletFor, type MachinaPublicClient } from '../chain/clients.ts';
import { deployPlan, type DeployEvent, type DeployPlan } from '../chain/deploy.ts';
import type { Deployment } from '../chain/deployments.ts';
import { startDevnet, type Devnet } from '../chain/devnet.ts';
import { serializeWrites } from '../chain/serial.ts';
import { resolveSigner } from '../chain/signer.ts';
import type { Settings } from '../config/settings.ts';
import { formatError } from '../errors/index.ts';
import { createMcpHttpHandler } from '../mcp/index.ts';
import { nodeHosting } from '../node/app.ts';
import { openNodeStore, type NodeStore } from '../node/db/store.ts';
import { startIndexer, type RunningIndexer } from '../node/indexer/indexer.ts';
import type { IndexerProgress } from '../node/indexer/progress.ts';
import { startNode, type RunningNode } from '../node/server.ts';
import { createChainWriter } from '../node/service/chainWriter.ts';
import { identityModule } from '../node/identity/module.ts';
import { walletModules, walletNodeParts } from '../node/wallet/wiring.ts';
import { parseX402Routes, startNodePay } from '../node/pay/wiring.ts';
import { provenanceModules, startNodeProvenance } from '../node/provenance/wiring.ts';
import { nodeProvenanceMcpDeps } from '../mcp/provenance.ts';
import { computeModules, startNodeCompute } from '../node/compute/wiring.ts';
import { startNodeArbiter } from '../node/compute/arbiter.ts';
import { nodeComputeMcpDeps } from '../mcp/compute.ts';
import { dataModules, startNodeData } from '../node/data/wiring.ts';
import { nodeDataMcpDeps } from '../mcp/data.ts';

const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

export type Machine = {
  client: MachinaPublicClient;
  devnet: Devnet | undefined;
  deployment: Deployment;
  deploymentFile: string;
  store: NodeStore;
  indexer: RunningIndexer;
  node: RunningNode;
  /** The address the node signs with, when it has a signer. */
  nodeSigner: `0x${string}` | undefined;
  stop: () => Promise<void>;
};

export type StartMachineParameters = {
  settings: Settings;
  plan: DeployPlan;
  version: string;
  onDeployEvent?: (event: DeployEvent) => void;
  onIndexProgress?: (progress: IndexerProgress) => void;
  /** One-line messages (indexer retries, reorgs). */
  log?: (line: string) => void;
};

/**
 * Starts a whole Machina node: chain, deployment, index, service.
 * @example
 * const machine = await startMachine({ settings: loadSettings(), plan: protocolPlan, version })
 */
export async function startMachine({ settings, plan, version, onDeployEvent, onIndexProgress, log = () => {} }: StartMachineParameters): Promise<Machine> {
  let devnet: Devnet | undefined;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
  // Priced routes are a setting: a wrong one stops the start before anything boots.
  const x402Routes = parseX402Routes(settings.x402Routes);
  try {
    if (!settings.rpcUrl) {
      devnet = await startDevnet({
        host: settings.host,
        port: settings.devnetPort,
        stateFile: settings.fresh ? undefined : path.join(settings.dataDir, 'devnet', 'state.json'),
      });
      stops.push(devnet.stop);
    }
    const client = await connectChain(settings.rpcUrl ?? devnet!.rpcUrl);
    const account = resolveSigner({ settings, chainId: client.chain.id });
    const wallet = account ? walletFor(client, account) : undefined;
    const { deployment, file } = await deployPlan({ client, wallet, deploymentsDir: settings.deploymentsDir, plan, onEvent: onDeployEvent });

    // One index per chain, so pointing the same data directory at another chain never mixes them.
    const nodeDataDir = path.join(settings.dataDir, 'node', String(client.chain.id));
    const store = await openNodeStore({
      databaseUrl: settings.databaseUrl,
      dataDir: nodeDataDir,
      modules: [identityModule(), ...walletModules(deployment), ...provenanceModules(deployment), ...dataModules(deployment), ...computeModules(deployment)],
    });
    stops.push(store.close);
    const indexer = await startIndexer({
      client,
      deployment,
      store,
      pollIntervalMs: devnet ? 100 : 2_000,
      onProgress: onIndexProgress,
      onError: (err) => log(`indexer: ${formatError(err)} (retrying)`),
      onReorg: (r) => log(r.reindex ? `indexer: the chain no longer matches the index; re-indexing from block ${r.ancestor + 1}` : `indexer: reorg at block ${r.ancestor + 1}, ${r.undoneChanges} change(s) rolled back`),
    });
    stops.push(indexer.stop);

    // Several writers share the node's key (API writes, owner approvals, x402 settlement): one nonce queue.
    const nodeWallet = settings.nodeSigner && wallet ? serializeWrites(wallet) : undefined;
    // x402: the pay service (facilitator, gateway, batched settlement) when the node signs and the token is deployed.
    const pay = await startNodePay({ client, deployment, db: store.db, schema: store.schema, signer: nodeWallet, routes: x402Routes, verify: settings.x402Verify, log });
    if (pay) stops.push(pay.stop);
    // Provenance: the anchoring aggregator (journal and batches beside the index) and the read side.
    const provenance = await startNodeProvenance({
      client,
      deployment,
      db: store.db,
      schema: store.schema,
      dataDir: nodeDataDir,
      signer: nodeWallet,
      intervalMs: settings.anchorIntervalMs,
      maxBatch: settings.anchorMaxBatch,
      log,
    });
    if (provenance) stops.push(provenance.stop);
    // Compute: the market's read side, the blob store (<nodeDataDir>/blobs) and, with a signer, the keeper that settles due jobs.
    const compute = await startNodeCompute({
      client,
      deployment,
      db: store.db,
      dataDir: nodeDataDir,
      signer: nodeWallet,
      feed: store.feed,
      keeper: settings.computeKeeper,
      keeperIntervalMs: settings.computeKeeperMs,
      maxBlobBytes: settings.blobMaxBytes,
      blobQuotaBytes: settings.blobQuotaBytes,
      log,
    });
    if (compute) stops.push(compute.stop);
    // Where the node's key is one of the market's arbiters (the devnet names it), it re-executes disputed results
    // and answers the market's ERC-8004 validation requests.
    // Data: the market's read side, licensed delivery of the records this node holds, model serving over x402.
    const data = startNodeData({ client, deployment, db: store.db, provenance: provenance?.parts.queries });
    const arbiter = await startNodeArbiter({ client, deployment, signer: nodeWallet, log });
    if (arbiter) stops.push(arbiter.stop);
    const node = await startNode({
      host: settings.host,
      port: settings.nodePort,
      deps: (url) => {
        const publicUrl = settings.publicUrl ?? url;
        const walletParts = walletNodeParts({ client, deployment, db: store.db, signer: nodeWallet });
        const writer = nodeWallet ? createChainWriter({ client, wallet: nodeWallet, deployment, hosting: nodeHosting({ publicUrl, hosted: store }) }) : undefined;
        return {
          client,
          deployment,
          version,
          queries: store.queries,
          feed: store.feed,
          writer,
          hosted: store,
          publicUrl,
          wallets: walletParts.wallets,
          signerWallet: walletParts.signerWallet,
          pay: pay?.parts,
          provenance: provenance?.parts,
          compute: compute?.parts,
          data,
          sim: { dataDir: settings.dataDir },
          mcp: createMcpHttpHandler({
            queries: store.queries,
            writer,
            version,
            wallet: walletParts.mcpWallet,
            provenance: provenance && nodeProvenanceMcpDeps({ provenance: provenance.parts, client, deployment, nodeUrl: publicUrl }),
            compute: compute && nodeComputeMcpDeps(compute.parts),
            data: data && nodeDataMcpDeps(data),
          }),
          webRoot: existsSync(WEB_DIST) ? WEB_DIST : undefined,
          log,
        };
      },
    });
    stops.push(node.close);
    return { client, devnet, deployment, deploymentFile: file, store, indexer, node, nodeSigner: nodeWallet?.account.address, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
