// A test chain with the wallet contracts deployed (EntryPoint, AgentAccountFactory, AgentPaymaster with a
// deposit, SettlementToken with its faucet), added to the protocol deployment when the plan lacks them.
import type { Address } from 'viem';
import { parseEther } from 'viem';
import {
  agentAccountFactoryAbi,
  agentAccountFactoryBytecode,
  agentPaymasterAbi,
  agentPaymasterBytecode,
  machinaEntryPointAbi,
  machinaEntryPointBytecode,
  settlementTokenAbi,
  settlementTokenBytecode,
} from '../../src/chain/artifacts/index.ts';
import { deployPlan, type DeployPlan, type PlannedContract } from '../../src/chain/deploy.ts';
import { entryPointAbi } from '../../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

export type WalletChain = TestChain & { entryPoint: Address; factory: Address; paymaster: Address; token: Address; identityRegistry: Address };

export async function startWalletChain(): Promise<WalletChain> {
  const chain = await startTestChain();
  const has = (n: string) => !!chain.deployment.contracts[n];
  const epName = has('EntryPoint') ? 'EntryPoint' : 'MachinaEntryPoint';
  const contracts: PlannedContract[] = [];
  if (!has(epName)) contracts.push({ name: epName, abi: machinaEntryPointAbi, bytecode: machinaEntryPointBytecode });
  contracts.push(
    { name: 'AgentAccountFactory', abi: agentAccountFactoryAbi, bytecode: agentAccountFactoryBytecode, args: ({ addresses }) => [addresses[epName]] },
    { name: 'AgentPaymaster', abi: agentPaymasterAbi, bytecode: agentPaymasterBytecode, args: ({ addresses, wallet }) => [addresses[epName], addresses.AgentAccountFactory, wallet.account.address] },
    { name: 'SettlementToken', abi: settlementTokenAbi, bytecode: settlementTokenBytecode, args: ({ wallet }) => [wallet.account.address, true] },
  );
  const plan: DeployPlan = {
    contracts,
    wiring: [
      {
        description: 'AgentPaymaster has an EntryPoint deposit',
        isDone: async ({ client, addresses }) =>
          (await client.readContract({ address: addresses[epName]!, abi: entryPointAbi, functionName: 'balanceOf', args: [addresses.AgentPaymaster!] })) > 0n,
        run: ({ wallet, addresses }) =>
          wallet.writeContract({ address: addresses[epName]!, abi: entryPointAbi, functionName: 'depositTo', args: [addresses.AgentPaymaster!], value: parseEther('10') }),
      },
    ],
  };
  const { deployment } = await deployPlan({ client: chain.client, wallet: chain.wallet(0), deploymentsDir: chain.deploymentsDir, plan });
  Object.assign(chain.deployment.contracts, deployment.contracts);
  const at = (n: string) => deployment.contracts[n]!.address;
  return { ...chain, entryPoint: at(epName), factory: at('AgentAccountFactory'), paymaster: at('AgentPaymaster'), token: at('SettlementToken'), identityRegistry: at('IdentityRegistry') };
}
