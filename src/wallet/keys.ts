// Reading an account's agent keys: each key's policy (decoded) and what it spent in its current windows.
import { getAddress, zeroAddress, type Address } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { agentAccountAbi } from './abi.ts';
import { readerOf } from './client.ts';
import { decodeKeyPolicy, type KeyPolicyInput } from './policy.ts';

export type AgentKeyInfo = {
  key: Address;
  revoked: boolean;
  /** False when the account never set this key. */
  known: boolean;
  policy: KeyPolicyInput;
  /** What the key moved of each limited asset in the rolling window ending now. */
  spent: Array<{ asset: Address | 'native'; spent: bigint }>;
};

/**
 * Reads one key's policy, revocation and window spend per limited asset.
 * @example
 * const { policy, spent } = await readAgentKey(client, { account, key })
 */
export async function readAgentKey(client: MachinaPublicClient | MachinaWalletClient, p: { account: Address; key: Address }): Promise<AgentKeyInfo> {
  const reader = readerOf(client);
  const [struct, revoked] = await reader.readContract({ address: p.account, abi: agentAccountAbi, functionName: 'keyPolicy', args: [p.key] });
  const policy = decodeKeyPolicy(struct);
  const known = revoked || struct.limits.length > 0 || struct.rules.length > 0 || Number(struct.pendingTtl) > 0;
  const spent = await Promise.all(
    struct.limits.map(async (l) => ({
      asset: l.asset === zeroAddress ? ('native' as const) : getAddress(l.asset),
      spent: await reader.readContract({ address: p.account, abi: agentAccountAbi, functionName: 'spentInWindow', args: [p.key, l.asset] }),
    })),
  );
  return { key: getAddress(p.key), revoked, known, policy, spent };
}

/**
 * Every key the account ever set (from its KeySet events), with policy, revocation and window spend.
 * @example
 * const keys = await listAgentKeys(client, { account })
 */
export async function listAgentKeys(client: MachinaPublicClient | MachinaWalletClient, p: { account: Address; fromBlock?: bigint }): Promise<AgentKeyInfo[]> {
  const reader = readerOf(client);
  const logs = await reader.getContractEvents({ address: p.account, abi: agentAccountAbi, eventName: 'KeySet', fromBlock: p.fromBlock ?? 0n });
  const keys = [...new Set(logs.map((l) => getAddress(l.args.key!)))];
  return Promise.all(keys.map((key) => readAgentKey(reader, { account: p.account, key })));
}
