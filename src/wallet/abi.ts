// The ABIs the wallet library speaks: the agent account, its factory and paymaster, the ERC-4337 v0.8 EntryPoint.
import { agentAccountAbi, agentAccountFactoryAbi, agentPaymasterAbi, machinaEntryPointAbi } from '../chain/artifacts/index.ts';

export { agentAccountAbi, agentAccountFactoryAbi, agentPaymasterAbi };

/** ABI of the ERC-4337 v0.8 EntryPoint (the canonical one and MachinaEntryPoint share it). */
export const entryPointAbi = machinaEntryPointAbi;
