// ERC-1271 signatures of an agent account by its owner, and binding the account as the agent's ERC-8004 agentWallet.
import { hashTypedData, type Address, type Hex } from 'viem';
import { identityRegistryAbi } from '../chain/artifacts/index.ts';
import type { MachinaWalletClient } from '../chain/clients.ts';
import { MachinaError } from '../errors/index.ts';
import { agentWalletSetTypes, IDENTITY_EIP712 } from '../identity/actions/agentWallet.ts';
import { readerOf, sendWrite, type TxResult } from './client.ts';

/** EIP-712 domain name and version of an agent account's owner signatures. */
export const AGENT_ACCOUNT_EIP712 = { name: 'AgentAccount', version: '1' } as const;

export const agentAccountMessageTypes = { AgentAccountMessage: [{ name: 'hash', type: 'bytes32' }] } as const;

/**
 * The digest the owner signs for `account` to vouch for `hash` (bound to this account and chain).
 * @example
 * const digest = agentAccountMessageDigest({ chainId: 31337, account, hash })
 */
export function agentAccountMessageDigest(p: { chainId: number; account: Address; hash: Hex }): Hex {
  return hashTypedData({
    domain: { ...AGENT_ACCOUNT_EIP712, chainId: p.chainId, verifyingContract: p.account },
    types: agentAccountMessageTypes,
    primaryType: 'AgentAccountMessage',
    message: { hash: p.hash },
  });
}

/**
 * An ERC-1271 signature of `hash` by the account's owner: `isValidSignature(hash, sig)` on the account accepts it.
 * @example
 * const sig = await signAsAccountOwner(ownerWallet, { account, hash })
 */
export async function signAsAccountOwner(ownerWallet: MachinaWalletClient, p: { account: Address; hash: Hex }): Promise<Hex> {
  return ownerWallet.signTypedData({
    account: ownerWallet.account,
    domain: { ...AGENT_ACCOUNT_EIP712, chainId: ownerWallet.chain.id, verifyingContract: p.account },
    types: agentAccountMessageTypes,
    primaryType: 'AgentAccountMessage',
    message: { hash: p.hash },
  });
}

/**
 * Makes the account the agent's ERC-8004 `agentWallet`: the registry's EIP-712 proof is signed by the
 * account through ERC-1271 (its owner's signature). `ownerWallet` must own both the agent and the account.
 * @example
 * await bindAgentWallet(ownerWallet, { identityRegistry, account, agentId: 0n })
 */
export async function bindAgentWallet(ownerWallet: MachinaWalletClient, p: { identityRegistry: Address; account: Address; agentId: bigint }): Promise<TxResult> {
  const reader = readerOf(ownerWallet);
  const [agentOwner, block] = await Promise.all([
    reader.readContract({ address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'ownerOf', args: [p.agentId] }),
    reader.getBlock({ blockTag: 'latest' }),
  ]);
  if (agentOwner.toLowerCase() !== ownerWallet.account.address.toLowerCase()) {
    throw new MachinaError(`agent ${p.agentId} is owned by ${agentOwner}, not by the signer ${ownerWallet.account.address}`, { code: 'NOT_AGENT_OWNER', field: 'agentId' });
  }
  const deadline = block.timestamp + 240n;
  const digest = hashTypedData({
    domain: { ...IDENTITY_EIP712, chainId: ownerWallet.chain.id, verifyingContract: p.identityRegistry },
    types: agentWalletSetTypes,
    primaryType: 'AgentWalletSet',
    message: { agentId: p.agentId, newWallet: p.account, owner: agentOwner, deadline },
  });
  const signature = await signAsAccountOwner(ownerWallet, { account: p.account, hash: digest });
  const { hash } = await sendWrite(ownerWallet, {
    address: p.identityRegistry,
    abi: identityRegistryAbi,
    functionName: 'setAgentWallet',
    args: [p.agentId, p.account, deadline, signature],
  });
  return { txHash: hash };
}
