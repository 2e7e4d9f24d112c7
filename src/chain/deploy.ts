// Deploys a plan of contracts to any chain, resuming where a previous run stopped: each contract is
// recorded in deployments/<chainId>.json as soon as it is mined, and wiring steps check the chain
// before they act, so running it twice never deploys or configures anything twice.
import { getAddress, type Abi, type Address, type Hash, type Hex } from 'viem';
import { MachinaError } from '../errors/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from './clients.ts';
import { readDeployment, writeDeployment, type Deployment } from './deployments.ts';
import { DEVNET_CHAIN_ID } from './devnet.ts';

export type DeployContext = {
  client: MachinaPublicClient;
  wallet: MachinaWalletClient;
  /** Addresses deployed so far, by contract name. */
  addresses: Record<string, Address>;
};

export type PlannedContract = {
  name: string;
  abi: Abi;
  bytecode: Hex;
  args?: (ctx: DeployContext) => readonly unknown[];
  /**
   * An instance the chain already has and the plan should use instead of deploying its own (e.g. the
   * canonical ERC-4337 EntryPoint, or a settlement token named in the settings). Checked only while
   * the deployment does not record the contract yet.
   */
  existing?: (ctx: DeployContext) => Promise<Address | undefined>;
  /** Deploy only on chains where this holds (e.g. the DeFi lab's open-mint tokens: the devnet only). Default: all. */
  only?: (chainId: number) => boolean;
};

export type WiringStep = {
  description: string;
  isDone: (ctx: DeployContext) => Promise<boolean>;
  run: (ctx: DeployContext) => Promise<Hash>;
};

export type DeployPlan = { contracts: readonly PlannedContract[]; wiring: readonly WiringStep[] };

export type DeployEvent =
  | { kind: 'reused'; name: string; address: Address }
  | { kind: 'deployed'; name: string; address: Address; blockNumber: number; gasUsed: bigint }
  | { kind: 'wired'; description: string };

export type DeployParameters = {
  client: MachinaPublicClient;
  wallet: MachinaWalletClient | undefined;
  deploymentsDir: string;
  plan: DeployPlan;
  onEvent?: (event: DeployEvent) => void;
};

export type DeployReturnType = { deployment: Deployment; file: string; deployedCount: number };

/**
 * Makes sure every contract of `plan` exists on the client's chain and is wired; returns the deployment.
 * @example
 * const { deployment } = await deployPlan({ client, wallet, deploymentsDir: 'deployments', plan: protocolPlan })
 */
export async function deployPlan({ client, wallet, deploymentsDir, plan, onEvent }: DeployParameters): Promise<DeployReturnType> {
  const chainId = client.chain.id;
  let deployment = readDeployment(deploymentsDir, chainId) ?? { chainId, contracts: {} };

  // A recorded address without code: on the devnet the chain was reset, so start over; on any
  // other chain that is a wrong file or a wrong RPC, which only the user can sort out.
  for (const [name, c] of Object.entries(deployment.contracts)) {
    const code = await client.getCode({ address: c.address });
    if (code && code !== '0x') continue;
    if (chainId === DEVNET_CHAIN_ID) {
      deployment = { chainId, contracts: {} };
      break;
    }
    throw new MachinaError(
      `deployments/${chainId}.json records ${name} at ${c.address}, but there is no contract there on this chain; check MACHINA_RPC_URL or remove the file to redeploy`,
      { code: 'DEPLOYMENT_MISMATCH', field: 'MACHINA_RPC_URL' },
    );
  }

  const wanted = plan.contracts.filter((c) => c.only?.(chainId) ?? true);
  const missing = wanted.filter((c) => !deployment.contracts[c.name]);
  if (missing.length > 0 && !wallet) {
    throw new MachinaError(`chain ${chainId} has no Machina deployment and no key is configured to deploy one (set MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)`, {
      code: 'NO_SIGNER',
      field: 'MACHINA_PRIVATE_KEY',
    });
  }

  const addresses: Record<string, Address> = Object.fromEntries(Object.entries(deployment.contracts).map(([n, c]) => [n, c.address]));
  const file = writeDeployment(deploymentsDir, deployment);
  let deployedCount = 0;
  for (const planned of wanted) {
    const existing = deployment.contracts[planned.name];
    if (existing) {
      onEvent?.({ kind: 'reused', name: planned.name, address: existing.address });
      continue;
    }
    const ctx: DeployContext = { client, wallet: wallet!, addresses };
    const found = await planned.existing?.(ctx);
    if (found) {
      const address = getAddress(found);
      addresses[planned.name] = address;
      // Indexing of a pre-existing contract starts from now: its history before Machina is not ours.
      deployment.contracts[planned.name] = { address, blockNumber: Number(await client.getBlockNumber()) };
      writeDeployment(deploymentsDir, deployment);
      onEvent?.({ kind: 'reused', name: planned.name, address });
      continue;
    }
    const hash = await wallet!.deployContract({ abi: planned.abi, bytecode: planned.bytecode, args: planned.args?.(ctx) ?? [] } as Parameters<MachinaWalletClient['deployContract']>[0]);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success' || !receipt.contractAddress) {
      throw new MachinaError(`deploying ${planned.name} failed (tx ${hash})`, { code: 'DEPLOY_FAILED' });
    }
    const address = getAddress(receipt.contractAddress);
    addresses[planned.name] = address;
    deployment.contracts[planned.name] = { address, blockNumber: Number(receipt.blockNumber) };
    writeDeployment(deploymentsDir, deployment);
    deployedCount++;
    onEvent?.({ kind: 'deployed', name: planned.name, address, blockNumber: Number(receipt.blockNumber), gasUsed: receipt.gasUsed });
  }

  for (const step of plan.wiring) {
    const ctx: DeployContext = { client, wallet: wallet!, addresses };
    if (await step.isDone(ctx)) continue;
    if (!wallet) throw new MachinaError(`${step.description}: needs a key (set MACHINA_PRIVATE_KEY)`, { code: 'NO_SIGNER', field: 'MACHINA_PRIVATE_KEY' });
    const hash = await step.run(ctx);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new MachinaError(`${step.description} failed (tx ${hash})`, { code: 'DEPLOY_FAILED' });
    onEvent?.({ kind: 'wired', description: step.description });
  }
  return { deployment, file, deployedCount };
}
