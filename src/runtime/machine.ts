// `machina up`: boots the chain (embedded devnet unless an RPC URL is set), makes sure the protocol
// is deployed, and starts the node service; `stop` takes it all down in reverse order.
import path from 'node:path';
import { connectChain, walletFor, type MachinaPublicClient } from '../chain/clients.ts';
import { deployPlan, type DeployEvent, type DeployPlan } from '../chain/deploy.ts';
import type { Deployment } from '../chain/deployments.ts';
import { startDevnet, type Devnet } from '../chain/devnet.ts';
import { resolveSigner } from '../chain/signer.ts';
import type { Settings } from '../config/settings.ts';
import { startNode, type RunningNode } from '../node/server.ts';

export type Machine = {
  client: MachinaPublicClient;
  devnet: Devnet | undefined;
  deployment: Deployment;
  deploymentFile: string;
  node: RunningNode;
  stop: () => Promise<void>;
};

export type StartMachineParameters = {
  settings: Settings;
  plan: DeployPlan;
  version: string;
  onDeployEvent?: (event: DeployEvent) => void;
};

/**
 * Starts a whole Machina node: chain, deployment, service.
 * @example
 * const machine = await startMachine({ settings: loadSettings(), plan: protocolPlan, version })
 */
export async function startMachine({ settings, plan, version, onDeployEvent }: StartMachineParameters): Promise<Machine> {
  let devnet: Devnet | undefined;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
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
    const node = await startNode({ host: settings.host, port: settings.nodePort, context: { client, deployment, version } });
    stops.push(node.close);
    return { client, devnet, deployment, deploymentFile: file, node, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
