// The node as a compute-market arbiter: when its signer is in the market's arbiter set (the devnet deploy names
// the deployer), it answers the market's validation requests by re-executing the disputed job.
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { readArbiters } from '../../compute/market.ts';
import { startArbiter } from '../../compute/provider/validator.ts';

export async function startNodeArbiter(p: {
  client: MachinaPublicClient;
  deployment: Deployment;
  signer: MachinaWalletClient | undefined;
  log?: (line: string) => void;
}): Promise<{ stop: () => Promise<void> } | undefined> {
  const market = p.deployment.contracts.ComputeMarket?.address;
  const validationRegistry = p.deployment.contracts.ValidationRegistry?.address;
  if (!p.signer || !market || !validationRegistry) return undefined;
  const arbiters = await readArbiters(p.client, { market });
  const self = p.signer.account.address.toLowerCase();
  if (!arbiters.some((a) => a.toLowerCase() === self)) return undefined;
  p.log?.(`compute: the node's key ${p.signer.account.address} is a market arbiter; answering validation requests`);
  return startArbiter({
    client: p.client,
    wallet: p.signer,
    market,
    token: p.deployment.contracts.SettlementToken?.address,
    validationRegistry,
    log: p.log,
  });
}
