// How a node takes the data marketplace in: the module when the deployment has DataMarket (and the
// provenance registries it joins for names and models), and the read side and delivery parts for the
// API and MCP.
import type { Kysely } from 'kysely';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import type { NodeModule } from '../indexer/module.ts';
import type { ProvenanceQueries } from '../provenance/queries.ts';
import { DATA_MARKET, dataModule } from './module.ts';
import { createDataQueries } from './queries.ts';
import type { NodeData } from './routes.ts';

export { dataModule } from './module.ts';
export { registerData, type NodeData } from './routes.ts';

/**
 * The data module, if the deployment has DataMarket and the provenance registries (older deployments index without it).
 * List it after the provenance module.
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), ...provenanceModules(deployment), ...dataModules(deployment)] })
 */
export function dataModules(deployment: Deployment): NodeModule[] {
  return deployment.contracts[DATA_MARKET] && deployment.contracts.ProvenanceRegistry ? [dataModule()] : [];
}

/**
 * The node's data parts, or undefined when the deployment has no DataMarket.
 * @example
 * const data = startNodeData({ client, deployment, db: store.db, provenance: provenance?.parts.queries })
 * // deps: { ..., data }
 */
export function startNodeData(p: { client: MachinaPublicClient; deployment: Deployment; db: Kysely<any>; provenance?: Pick<ProvenanceQueries, 'putManifest'> | undefined }): NodeData | undefined {
  const market = p.deployment.contracts[DATA_MARKET]?.address;
  if (!market || !p.deployment.contracts.ProvenanceRegistry) return undefined;
  return {
    queries: createDataQueries({ db: p.db, client: p.client }),
    market,
    computeMarket: p.deployment.contracts.ComputeMarket?.address,
    provenance: p.provenance,
  };
}
