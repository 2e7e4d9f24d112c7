// Agent-key policies as people read them: the account's KeyPolicy struct (read through its
// keyPolicy view) turned into plain JSON, and the spend of each limit's rolling window.
import { getAddress, type Address, type Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { agentAccountAbi } from '../../wallet/abi.ts';
import { CONDITION_OPS, KNOWN_SELECTORS } from './reasons.ts';
import type { KeyPolicyView, WalletAsset } from './types.ts';

const ZERO = '0x0000000000000000000000000000000000000000';
const NEVER = (1n << 128n) - 1n;

type PolicyStruct = {
  validAfter: number;
  validUntil: number;
  rateLimit: number;
  rateWindow: number;
  pendingTtl: number;
  limits: readonly { asset: Address; perTxCap: bigint; windowCap: bigint; window: number; escalationThreshold: bigint }[];
  rules: readonly { target: Address; selector: Hex; conditions: readonly { paramIndex: number; op: number; value: Hex }[] }[];
  recipients: readonly Address[];
};

/**
 * The KeyPolicy struct as JSON: amounts as decimal strings, `native` for address(0), selectors named.
 * @example
 * const view = policyView(struct) // { limits: [{ asset: 'native', perTx: '1000', ... }], ... }
 */
export function policyView(p: PolicyStruct): KeyPolicyView {
  return {
    validAfter: Number(p.validAfter),
    validUntil: Number(p.validUntil),
    rateLimit: Number(p.rateLimit) > 0 ? { calls: Number(p.rateLimit), windowSeconds: Number(p.rateWindow) } : null,
    pendingTtlSeconds: Number(p.pendingTtl),
    limits: p.limits.map((l) => ({
      asset: assetName(l.asset),
      perTx: l.perTxCap.toString(),
      windowCap: l.windowCap.toString(),
      windowSeconds: Number(l.window),
      escalateAbove: l.escalationThreshold >= NEVER ? null : l.escalationThreshold.toString(),
    })),
    rules: p.rules.map((r) => ({
      target: getAddress(r.target),
      selector: r.selector,
      selectorName: KNOWN_SELECTORS[r.selector.toLowerCase()] ?? null,
      conditions: r.conditions.map((c) => ({ param: Number(c.paramIndex), op: CONDITION_OPS[Number(c.op)] ?? `op${c.op}`, value: c.value })),
    })),
    recipients: p.recipients.map((a) => getAddress(a)),
  };
}

export function assetName(a: Address): WalletAsset {
  return a.toLowerCase() === ZERO ? 'native' : getAddress(a);
}

export function assetAddress(a: WalletAsset): Address {
  return a === 'native' ? ZERO : a;
}

/**
 * Reads policies from accounts, caching each by its policy hash (a KeySet with another policy
 * changes the hash, so a cached policy is never stale).
 * @example
 * const reader = createPolicyReader(client)
 * const policy = await reader.policy(account, key, policyHash)
 */
export function createPolicyReader(client: MachinaPublicClient) {
  const cache = new Map<string, KeyPolicyView>();
  return {
    async policy(account: Address, key: Address, policyHash: Hex): Promise<KeyPolicyView | null> {
      const id = `${account}:${key}:${policyHash}`.toLowerCase();
      const hit = cache.get(id);
      if (hit) return hit;
      try {
        const [p] = (await client.readContract({ address: account, abi: agentAccountAbi, functionName: 'keyPolicy', args: [key] })) as unknown as [PolicyStruct, boolean];
        const view = policyView(p);
        if (cache.size > 10_000) cache.clear();
        cache.set(id, view);
        return view;
      } catch {
        return null;
      }
    },
    async spent(account: Address, key: Address, asset: WalletAsset): Promise<bigint | null> {
      try {
        return (await client.readContract({ address: account, abi: agentAccountAbi, functionName: 'spentInWindow', args: [key, assetAddress(asset)] })) as bigint;
      } catch {
        return null;
      }
    },
  };
}

export type PolicyReader = ReturnType<typeof createPolicyReader>;
