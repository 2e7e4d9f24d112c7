// The official x402 facilitator (x402Facilitator + the exact EVM scheme from @x402/evm) over a viem
// client and wallet on any chain, with a short code cache so a verify costs one simulation, not
// three round trips. Contract payers (agent accounts) verify through ERC-1271: the official scheme
// calls isValidSignature whenever the payer has code, and simulates the bytes-signature overload.
import { x402Facilitator } from '@x402/core/facilitator';
import type { Network } from '@x402/core/types';
import { toFacilitatorEvmSigner, type FacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';

/** CAIP-2 id of an EVM chain. */
export function evmNetwork(chainId: number): Network {
  return `eip155:${chainId}`;
}

export type CreateFacilitatorParameters = {
  client: MachinaPublicClient;
  /** Pays gas for settlement; without one the facilitator only verifies. */
  wallet?: MachinaWalletClient | undefined;
  /** How long a contract's code is remembered (ms); 5 s by default, 0 turns the cache off. */
  codeCacheMs?: number;
};

/**
 * The facilitator's viem signer: the public client's reads, the wallet's writes, and its address
 * (without which `/supported` reports no signer).
 * @example
 * const signer = facilitatorSigner({ client, wallet })
 */
export function facilitatorSigner({ client, wallet, codeCacheMs = 5_000 }: CreateFacilitatorParameters): FacilitatorEvmSigner {
  const codes = new Map<string, { at: number; code: Hex | undefined }>();
  const noWallet = async (): Promise<never> => {
    throw new Error('this facilitator has no signer to settle with');
  };
  return toFacilitatorEvmSigner({
    address: (wallet?.account.address ?? '0x0000000000000000000000000000000000000000') as Address,
    readContract: (args) => client.readContract(args as Parameters<MachinaPublicClient['readContract']>[0]),
    verifyTypedData: (args) => client.verifyTypedData(args as Parameters<MachinaPublicClient['verifyTypedData']>[0]),
    writeContract: wallet ? (args) => wallet.writeContract({ ...(args as object), account: wallet.account, chain: wallet.chain } as Parameters<MachinaWalletClient['writeContract']>[0]) : noWallet,
    sendTransaction: wallet ? (args) => wallet.sendTransaction({ ...args, account: wallet.account, chain: wallet.chain }) : noWallet,
    waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
    getCode: async ({ address }) => {
      const key = address.toLowerCase();
      const hit = codes.get(key);
      if (hit && Date.now() - hit.at < codeCacheMs) return hit.code;
      const code = await client.getCode({ address });
      if (codeCacheMs > 0) {
        if (codes.size > 10_000) codes.clear();
        codes.set(key, { at: Date.now(), code });
      }
      return code;
    },
  });
}

/**
 * The official facilitator with the exact EVM scheme registered for the client's chain.
 * @example
 * const facilitator = createFacilitator({ client, wallet })
 * const v = await facilitator.verify(payload, requirements)
 */
export function createFacilitator(p: CreateFacilitatorParameters): x402Facilitator {
  const signer = facilitatorSigner(p);
  return new x402Facilitator().register(evmNetwork(p.client.chain.id), new ExactEvmScheme(signer, { simulateInSettle: true }));
}
