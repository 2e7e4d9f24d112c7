// The gateway's fast verification of an EOA's EIP-3009 payment: every term and the signature
// checked locally (no round trip), the balance from a short-lived cache net of the payments not yet
// settled. What it cannot see (the nonce used on chain by another spender, a balance drained in the
// last seconds) makes that payment fail at settlement, marked failed; contract payers (agent
// accounts, ERC-1271) and `verify: 'simulate'` nodes take the official facilitator's full path.
import { getAddress, recoverTypedDataAddress, type Address, type Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { settlementTokenAbi } from '../../pay/x402/abi.ts';
import type { ExactEvmPayload, PaymentPayload, PaymentRequirements } from '../../pay/x402/protocol.ts';
import { transferAuthorizationTypedData } from '../../pay/token.ts';

export type FastVerifier = {
  /** Whether `payer` has no code (cached a minute): only those take the fast path. */
  isEoa(payer: Address): Promise<boolean>;
  /** null when valid, else the x402 invalid reason. */
  verify(payload: PaymentPayload, requirements: PaymentRequirements, exact: ExactEvmPayload, promised: bigint): Promise<string | null>;
  /** Forget a payer's cached balance (after one of its payments settled or failed). */
  forget(payer: string): void;
};

/**
 * Local verification with cached chain state.
 * @example
 * const fast = createFastVerifier({ client, balanceTtlMs: 2000 })
 * const reason = await fast.verify(payload, requirements, exact, reservedForPayer)
 */
export function createFastVerifier({ client, balanceTtlMs = 2_000 }: { client: MachinaPublicClient; balanceTtlMs?: number }): FastVerifier {
  const codes = new Map<string, { at: number; eoa: boolean }>();
  const balances = new Map<string, { at: number; value: Promise<bigint> }>();
  const balanceOf = (token: Address, payer: Address): Promise<bigint> => {
    const key = `${token}:${payer}`;
    const hit = balances.get(key);
    if (hit && Date.now() - hit.at < balanceTtlMs) return hit.value;
    const value = client.readContract({ address: token, abi: settlementTokenAbi, functionName: 'balanceOf', args: [payer] });
    value.catch(() => balances.delete(key));
    if (balances.size > 50_000) balances.clear();
    balances.set(key, { at: Date.now(), value });
    return value;
  };
  return {
    async isEoa(payer) {
      const key = payer.toLowerCase();
      const hit = codes.get(key);
      if (hit && Date.now() - hit.at < 60_000) return hit.eoa;
      const code = await client.getCode({ address: payer });
      const eoa = !code || code === '0x';
      if (codes.size > 50_000) codes.clear();
      codes.set(key, { at: Date.now(), eoa });
      return eoa;
    },
    async verify(payload, req, { authorization: a, signature }, promised) {
      if (payload.accepted.scheme !== 'exact' || req.scheme !== 'exact') return 'invalid_exact_evm_scheme';
      if (payload.accepted.network !== req.network) return 'invalid_network';
      const name = req.extra?.name;
      const version = req.extra?.version;
      if (typeof name !== 'string' || typeof version !== 'string') return 'invalid_exact_evm_missing_eip712_domain';
      if (getAddress(a.to) !== getAddress(req.payTo)) return 'invalid_exact_evm_payload_recipient_mismatch';
      if (BigInt(a.value) !== BigInt(req.amount)) return 'invalid_exact_evm_payload_authorization_value_mismatch';
      const now = BigInt(Math.floor(Date.now() / 1000));
      if (BigInt(a.validBefore) < now + 6n) return 'invalid_exact_evm_payload_authorization_valid_before';
      if (BigInt(a.validAfter) > now) return 'invalid_exact_evm_payload_authorization_valid_after';
      if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return 'invalid_exact_evm_payload_signature';
      const chainId = Number(req.network.split(':')[1]);
      const typed = transferAuthorizationTypedData(
        { token: getAddress(req.asset), chainId, name, version },
        { from: a.from, to: a.to, value: BigInt(a.value), validAfter: BigInt(a.validAfter), validBefore: BigInt(a.validBefore), nonce: a.nonce as Hex },
      );
      let signer: Address;
      try {
        signer = await recoverTypedDataAddress({ ...typed, signature });
      } catch {
        return 'invalid_exact_evm_payload_signature';
      }
      if (getAddress(signer) !== getAddress(a.from)) return 'invalid_exact_evm_payload_signature';
      const balance = await balanceOf(getAddress(req.asset), getAddress(a.from));
      if (balance < promised + BigInt(a.value)) return 'insufficient_funds';
      return null;
    },
    forget(payer) {
      for (const k of balances.keys()) if (k.endsWith(`:${payer}`)) balances.delete(k);
    },
  };
}
