// The reserved `agentWallet`: a payment address the agent's owner sets only with an EIP-712 proof
// signed by that wallet (ERC-1271 for contract wallets), valid for at most five minutes.
import type { Account, Address, Hex } from 'viem';
import { identityRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { writeAndWait } from '../../chain/write.ts';

/** EIP-712 domain name and version of the ERC-8004 IdentityRegistry. */
export const IDENTITY_EIP712 = { name: 'ERC8004IdentityRegistry', version: '1' } as const;

export const agentWalletSetTypes = {
  AgentWalletSet: [
    { name: 'agentId', type: 'uint256' },
    { name: 'newWallet', type: 'address' },
    { name: 'owner', type: 'address' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

export type AgentWalletProofParameters = {
  identityRegistry: Address;
  chainId: number;
  agentId: bigint;
  /** Current owner of the agent NFT (the proof is bound to it). */
  owner: Address;
  deadline: bigint;
};

/**
 * Signs the proof with the NEW wallet's key (an EOA). Contract wallets produce an ERC-1271 signature
 * over the same typed data instead.
 * @example
 * const signature = await signAgentWalletProof(newWalletAccount, { identityRegistry, chainId, agentId, owner, deadline })
 */
export async function signAgentWalletProof(newWallet: Account, p: AgentWalletProofParameters): Promise<Hex> {
  if (!newWallet.signTypedData) throw new Error('this account cannot sign typed data');
  return newWallet.signTypedData({
    domain: { ...IDENTITY_EIP712, chainId: p.chainId, verifyingContract: p.identityRegistry },
    types: agentWalletSetTypes,
    primaryType: 'AgentWalletSet',
    message: { agentId: p.agentId, newWallet: newWallet.address, owner: p.owner, deadline: p.deadline },
  });
}

/** Sets the agent's wallet (sent by the owner or an operator, with the new wallet's proof). */
export async function setAgentWallet(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  p: { identityRegistry: Address; agentId: bigint; newWallet: Address; deadline: bigint; signature: Hex },
) {
  return writeAndWait(client, wallet, {
    address: p.identityRegistry,
    abi: identityRegistryAbi,
    functionName: 'setAgentWallet',
    args: [p.agentId, p.newWallet, p.deadline, p.signature],
  });
}

/** Clears the agent's wallet (owner or operator). */
export async function unsetAgentWallet(client: MachinaPublicClient, wallet: MachinaWalletClient, p: { identityRegistry: Address; agentId: bigint }) {
  return writeAndWait(client, wallet, { address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'unsetAgentWallet', args: [p.agentId] });
}
