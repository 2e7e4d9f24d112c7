// How `machina up` plugs provenance into the node: the module when the deployment has the two
// registries, the read side over the node's database, and the anchoring aggregator (journal and
// batch files under <dataDir>/anchors) when the node has a signer to pay for anchoring.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { DEFAULT_ANCHOR_INTERVAL_MS, DEFAULT_ANCHOR_MAX_BATCH } from '../../config/settings.ts';
import type { NodeModule } from '../indexer/module.ts';
import { startAggregator } from './aggregator.ts';
import { createModelAuditor } from './audits.ts';
import { provenanceModule } from './module.ts';
import { createProvenanceQueries } from './queries.ts';
import type { NodeProvenance } from './routes.ts';

export { provenanceModule } from './module.ts';
export { registerProvenance, type NodeProvenance } from './routes.ts';

/**
 * The provenance module, if the deployment has AnchorRegistry and ProvenanceRegistry (older deployments index without it).
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), ...provenanceModules(deployment)] })
 */
export function provenanceModules(deployment: Deployment): NodeModule[] {
  return deployment.contracts.AnchorRegistry && deployment.contracts.ProvenanceRegistry ? [provenanceModule()] : [];
}

/**
 * Starts the node's provenance parts, or returns undefined when the deployment lacks the registries.
 * The aggregator runs only with a signer (the node pays for anchoring); reads work without one.
 * @example
 * const provenance = await startNodeProvenance({ client, deployment, db: store.db, schema: store.schema, dataDir, signer: nodeWallet, intervalMs: settings.anchorIntervalMs, maxBatch: settings.anchorMaxBatch, log })
 * if (provenance) stops.push(provenance.stop)
 * // deps: { ..., provenance: provenance?.parts }
 */
export async function startNodeProvenance(p: {
  client: MachinaPublicClient;
  deployment: Deployment;
  db: Kysely<any>;
  schema: string;
  /** The node's data directory for this chain; the aggregator keeps its files in `<dataDir>/anchors`. */
  dataDir: string;
  signer: MachinaWalletClient | undefined;
  intervalMs?: number | undefined;
  maxBatch?: number | undefined;
  log?: (line: string) => void;
}): Promise<{ parts: NodeProvenance; stop: () => Promise<void> } | undefined> {
  const anchorRegistry = p.deployment.contracts.AnchorRegistry?.address;
  if (!anchorRegistry || !p.deployment.contracts.ProvenanceRegistry) return undefined;
  const queries = createProvenanceQueries({ db: p.db, chainId: p.client.chain.id, registry: anchorRegistry });
  const aggregator = p.signer
    ? await startAggregator({
        dir: path.join(p.dataDir, 'anchors'),
        client: p.client,
        wallet: p.signer,
        registry: anchorRegistry,
        intervalMs: p.intervalMs ?? DEFAULT_ANCHOR_INTERVAL_MS,
        maxBatch: p.maxBatch ?? DEFAULT_ANCHOR_MAX_BATCH,
        log: p.log,
      })
    : undefined;
  // One auditor for the node's surfaces (API and MCP), so they share running audits.
  const audit = createModelAuditor({ client: p.client, deployment: p.deployment, queries });
  return { parts: { queries, aggregator, audit }, stop: async () => aggregator?.stop() };
}
