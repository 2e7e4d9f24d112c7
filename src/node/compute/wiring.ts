// How a node takes the compute market in: the module when the deployment has ComputeMarket, the read
// side and the blob store (under <dataDir>/blobs) for the API and MCP, and the keeper when the node has
// a signer to poke due jobs with.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import type { NodeModule } from '../indexer/module.ts';
import type { EventFeed } from '../service/types.ts';
import { createBlobStore, DEFAULT_BLOB_QUOTA_BYTES, DEFAULT_MAX_BLOB_BYTES } from './blobs.ts';
import { startComputeKeeper, type ComputeKeeper } from './keeper.ts';
import { COMPUTE_MARKET, computeModule } from './module.ts';
import { createComputeQueries } from './queries.ts';
import type { NodeCompute } from './routes.ts';

export { computeModule } from './module.ts';
export { registerCompute, type NodeCompute } from './routes.ts';

/**
 * The compute module, if the deployment has ComputeMarket (older deployments index without it).
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), ...computeModules(deployment)] })
 */
export function computeModules(deployment: Deployment): NodeModule[] {
  return deployment.contracts[COMPUTE_MARKET] ? [computeModule()] : [];
}

export type StartNodeComputeParameters = {
  client: MachinaPublicClient;
  deployment: Deployment;
  db: Kysely<any>;
  /** The node's data directory for this chain; blobs live in `<dataDir>/blobs`. */
  dataDir: string;
  /** The node's signer; without it no keeper runs (reads and blobs still work). */
  signer?: MachinaWalletClient | undefined;
  /** The indexer's live feed: market events wake the keeper at once instead of at its next pass. */
  feed?: EventFeed | undefined;
  /** Run the keeper when there is a signer (default true; MACHINA_COMPUTE_KEEPER). */
  keeper?: boolean | undefined;
  /** Period of the keeper's passes when no market event wakes it (default 1 s; MACHINA_COMPUTE_KEEPER_MS). */
  keeperIntervalMs?: number | undefined;
  /** Largest blob PUT /v1/blobs accepts (default 64 MiB; MACHINA_BLOB_MAX_BYTES). */
  maxBlobBytes?: number | undefined;
  /** Total bytes the blob store may hold (default 2 GiB; MACHINA_BLOB_QUOTA_BYTES). */
  blobQuotaBytes?: number | undefined;
  log?: ((line: string) => void) | undefined;
};

/**
 * Starts the node's compute parts, or returns undefined when the deployment has no ComputeMarket.
 * @example
 * const compute = await startNodeCompute({ client, deployment, db: store.db, dataDir: nodeDataDir, signer: nodeWallet, feed: store.feed, keeper: settings.computeKeeper, log })
 * if (compute) stops.push(compute.stop)
 * // deps: { ..., compute: compute?.parts }
 */
export async function startNodeCompute(p: StartNodeComputeParameters): Promise<{ parts: NodeCompute; keeper: ComputeKeeper | undefined; stop: () => Promise<void> } | undefined> {
  const market = p.deployment.contracts[COMPUTE_MARKET]?.address;
  if (!market) return undefined;
  const queries = createComputeQueries({ db: p.db, client: p.client, market });
  const blobs = createBlobStore({ dir: path.join(p.dataDir, 'blobs'), maxBytes: p.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES, quotaBytes: p.blobQuotaBytes ?? DEFAULT_BLOB_QUOTA_BYTES });
  const keeper = p.signer && p.keeper !== false ? startComputeKeeper({ client: p.client, wallet: p.signer, market, queries, intervalMs: p.keeperIntervalMs, log: p.log }) : undefined;
  const unsubscribe = keeper && p.feed ? p.feed.subscribe((events) => events.some((e) => e.contract === COMPUTE_MARKET) && keeper.nudge()) : undefined;
  return {
    parts: { queries, blobs },
    keeper,
    stop: async () => {
      unsubscribe?.();
      await keeper?.stop();
    },
  };
}
