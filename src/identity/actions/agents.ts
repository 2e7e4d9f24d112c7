// Agent identity actions over the ERC-8004 IdentityRegistry: register, read, update URI and metadata.
import { type Address, type Hash, type Hex, toHex, hexToString, isHex } from 'viem';
import { identityRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { eventOf, writeAndWait } from '../../chain/write.ts';
import { NotFoundError } from '../../errors/index.ts';

export type MetadataEntry = { metadataKey: string; metadataValue: Hex };

export type RegisterAgentParameters = {
  identityRegistry: Address;
  agentURI?: string | undefined;
  metadata?: MetadataEntry[] | undefined;
};

export type RegisterAgentReturnType = { agentId: bigint; owner: Address; agentURI: string; hash: Hash; blockNumber: bigint };

/**
 * Registers a new agent (mints its ERC-8004 identity NFT to the signer).
 * @example
 * const { agentId } = await registerAgent(client, wallet, { identityRegistry, agentURI: 'ipfs://…' })
 */
export async function registerAgent(client: MachinaPublicClient, wallet: MachinaWalletClient, p: RegisterAgentParameters): Promise<RegisterAgentReturnType> {
  const args = p.metadata && p.metadata.length > 0 ? [p.agentURI ?? '', p.metadata] : p.agentURI !== undefined ? [p.agentURI] : [];
  const { hash, receipt, blockNumber } = await writeAndWait(client, wallet, { address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'register', args });
  const ev = eventOf(identityRegistryAbi, receipt, 'Registered', p.identityRegistry);
  return { agentId: ev.args.agentId, owner: ev.args.owner, agentURI: ev.args.agentURI, hash, blockNumber };
}

/** How many agents the registry has minted; the next agentId equals this count. */
export async function getAgentCount(client: MachinaPublicClient, { identityRegistry }: { identityRegistry: Address }): Promise<bigint> {
  return client.readContract({ address: identityRegistry, abi: identityRegistryAbi, functionName: 'totalAgents' });
}

export type Agent = { agentId: bigint; owner: Address; agentURI: string; agentWallet: Address };

/**
 * Reads one agent; throws NotFoundError if no such agentId was minted.
 * @example
 * const agent = await getAgent(client, { identityRegistry, agentId: 0n })
 */
export async function getAgent(client: MachinaPublicClient, { identityRegistry, agentId }: { identityRegistry: Address; agentId: bigint }): Promise<Agent> {
  const base = { address: identityRegistry, abi: identityRegistryAbi } as const;
  const count = await client.readContract({ ...base, functionName: 'totalAgents' });
  if (agentId < 0n || agentId >= count) throw new NotFoundError(`agent ${agentId}`, 'agentId');
  const [owner, agentURI, agentWallet] = await Promise.all([
    client.readContract({ ...base, functionName: 'ownerOf', args: [agentId] }),
    client.readContract({ ...base, functionName: 'tokenURI', args: [agentId] }),
    client.readContract({ ...base, functionName: 'getAgentWallet', args: [agentId] }),
  ]);
  return { agentId, owner, agentURI, agentWallet };
}

/**
 * Lists agents in id order, `limit` from `offset`, with their current owner and URI (the node's
 * indexer serves filtered lists; this reads the chain directly).
 * @example
 * const { agents, total } = await listAgents(client, { identityRegistry, offset: 0n, limit: 20 })
 */
export async function listAgents(
  client: MachinaPublicClient,
  { identityRegistry, offset = 0n, limit = 50 }: { identityRegistry: Address; offset?: bigint; limit?: number },
): Promise<{ agents: Agent[]; total: bigint }> {
  const total = await getAgentCount(client, { identityRegistry });
  const ids: bigint[] = [];
  for (let id = offset; id < total && ids.length < limit; id++) ids.push(id);
  const agents = await Promise.all(ids.map((agentId) => getAgent(client, { identityRegistry, agentId })));
  return { agents, total };
}

/** Points the agent at a new registration file (owner or operator only). */
export async function setAgentURI(client: MachinaPublicClient, wallet: MachinaWalletClient, p: { identityRegistry: Address; agentId: bigint; agentURI: string }) {
  return writeAndWait(client, wallet, { address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'setAgentURI', args: [p.agentId, p.agentURI] });
}

/** Sets an on-chain metadata entry; `value` may be text (stored as UTF-8) or hex bytes. */
export async function setMetadata(client: MachinaPublicClient, wallet: MachinaWalletClient, p: { identityRegistry: Address; agentId: bigint; key: string; value: string | Hex }) {
  const bytes = isHex(p.value) ? p.value : toHex(p.value);
  return writeAndWait(client, wallet, { address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'setMetadata', args: [p.agentId, p.key, bytes] });
}

/** Reads a metadata entry as raw bytes and, where it is printable UTF-8, as text. */
export async function getMetadata(client: MachinaPublicClient, p: { identityRegistry: Address; agentId: bigint; key: string }): Promise<{ bytes: Hex; text: string | undefined }> {
  const bytes = await client.readContract({ address: p.identityRegistry, abi: identityRegistryAbi, functionName: 'getMetadata', args: [p.agentId, p.key] });
  let text: string | undefined;
  try {
    const s = hexToString(bytes);
    text = /^[\P{Cc}\n\t]*$/u.test(s) ? s : undefined;
  } catch {
    text = undefined;
  }
  return { bytes, text };
}
