// How `machina up` plugs x402 into the node: the pay service over the node's database when the node
// has a signer and the deployment has the settlement token, the priced routes, and the devnet demo.
import type { Kysely } from 'kysely';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { DEVNET_CHAIN_ID } from '../../chain/devnet.ts';
import type { PricedRoute } from './gateway.ts';
import type { NodePay } from './routes.ts';
import { createPayService } from './service.ts';

export { payModule } from './module.ts';
export { parseX402Routes } from './config.ts';

/**
 * Starts the node's x402 service, or returns undefined (no signer, or no SettlementToken deployed).
 * @example
 * const pay = await startNodePay({ client, deployment, db: store.db, schema: store.schema, signer: nodeWallet, routes, log })
 * if (pay) stops.push(pay.stop)
 * // deps: { ..., pay: pay?.parts }
 */
export async function startNodePay(p: {
  client: MachinaPublicClient;
  deployment: Deployment;
  db: Kysely<any>;
  schema: string;
  signer: MachinaWalletClient | undefined;
  routes?: PricedRoute[] | undefined;
  verify?: 'fast' | 'simulate' | undefined;
  flushMs?: number | undefined;
  log?: (line: string) => void;
}): Promise<{ parts: NodePay; stop: () => Promise<void> } | undefined> {
  if (!p.signer || !p.deployment.contracts.SettlementToken) return undefined;
  const service = await createPayService({ db: p.db, schema: p.schema, client: p.client, wallet: p.signer, deployment: p.deployment, verify: p.verify, flushMs: p.flushMs, log: p.log });
  return { parts: { service, routes: p.routes, echo: p.client.chain.id === DEVNET_CHAIN_ID }, stop: () => service.stop() };
}
