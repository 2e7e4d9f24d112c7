// A fresh devnet with the protocol deployed, for one test file: the same code path `machina up`
// takes, on a free port, with deployments written to a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Address } from 'viem';
import { connectChain, walletFor, type MachinaPublicClient, type MachinaWalletClient } from '../../src/chain/clients.ts';
import { deployPlan } from '../../src/chain/deploy.ts';
import type { Deployment } from '../../src/chain/deployments.ts';
import { startDevnet, type Devnet } from '../../src/chain/devnet.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { protocolPlan } from '../../src/protocol/plan.ts';

export type TestChain = {
  devnet: Devnet;
  client: MachinaPublicClient;
  deployment: Deployment;
  deploymentsDir: string;
  address: (name: string) => Address;
  /** Wallet client for devnet development account `index` (0 deploys). */
  wallet: (index: number) => MachinaWalletClient;
  /** Environment for running the CLI against this chain. */
  env: Record<string, string>;
  stop: () => Promise<void>;
};

export async function startTestChain(): Promise<TestChain> {
  const devnet = await startDevnet({ port: 0 });
  const client = await connectChain(devnet.rpcUrl);
  const deploymentsDir = mkdtempSync(path.join(tmpdir(), 'machina-deployments-'));
  const wallets = new Map<number, MachinaWalletClient>();
  const wallet = (index: number) => {
    let w = wallets.get(index);
    if (!w) {
      w = walletFor(client, devnetAccount(index));
      wallets.set(index, w);
    }
    return w;
  };
  const { deployment } = await deployPlan({ client, wallet: wallet(0), deploymentsDir, plan: protocolPlan });
  return {
    devnet,
    client,
    deployment,
    deploymentsDir,
    address: (name) => deployment.contracts[name]!.address,
    wallet,
    env: { MACHINA_RPC_URL: devnet.rpcUrl, MACHINA_DEPLOYMENTS_DIR: deploymentsDir },
    stop: async () => {
      await devnet.stop();
      rmSync(deploymentsDir, { recursive: true, force: true });
    },
  };
}
