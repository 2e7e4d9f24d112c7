// The receipt a Machina node gives for every paid request: the payment's terms and (once settled)
// where it landed on chain, EIP-712-signed by the node's signer so anyone can check who vouched.
import { getAddress, recoverTypedDataAddress, zeroHash, type Address, type Hex } from 'viem';
import type { MachinaWalletClient } from '../../chain/clients.ts';

export type PaymentStatus = 'pending' | 'settled' | 'failed' | 'expired';

/** One paid request as the node records and signs it; amounts and ids as decimal strings. */
export type PaymentReceipt = {
  paymentId: string;
  payer: Address;
  payTo: Address;
  amount: string;
  asset: Address;
  network: string;
  status: PaymentStatus;
  txHash: Hex | null;
  receiptId: Hex | null;
  batchId: string | null;
  /** The node's EIP-712 signature over the fields above. */
  signature: Hex;
  signer: Address;
  resource: string;
};

export type UnsignedReceipt = Omit<PaymentReceipt, 'signature' | 'signer'>;

export const RECEIPT_DOMAIN_NAME = 'Machina x402 Receipt';

export const paymentReceiptTypes = {
  PaymentReceipt: [
    { name: 'paymentId', type: 'string' },
    { name: 'payer', type: 'address' },
    { name: 'payTo', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'asset', type: 'address' },
    { name: 'network', type: 'string' },
    { name: 'resource', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'txHash', type: 'bytes32' },
    { name: 'receiptId', type: 'bytes32' },
    { name: 'batchId', type: 'uint256' },
  ],
} as const;

/**
 * The EIP-712 typed data of a receipt (chain id from its CAIP-2 network).
 * @example
 * const typed = receiptTypedData(receipt)
 */
export function receiptTypedData(r: UnsignedReceipt) {
  const chainId = Number(r.network.split(':')[1] ?? 0);
  return {
    domain: { name: RECEIPT_DOMAIN_NAME, version: '1', chainId },
    types: paymentReceiptTypes,
    primaryType: 'PaymentReceipt' as const,
    message: {
      paymentId: r.paymentId,
      payer: getAddress(r.payer),
      payTo: getAddress(r.payTo),
      amount: BigInt(r.amount),
      asset: getAddress(r.asset),
      network: r.network,
      resource: r.resource,
      status: r.status,
      txHash: r.txHash ?? zeroHash,
      receiptId: r.receiptId ?? zeroHash,
      batchId: BigInt(r.batchId ?? 0),
    },
  };
}

/**
 * Signs a receipt with the node's wallet (locally, no RPC).
 * @example
 * const receipt = await signReceipt(wallet, unsigned)
 */
export async function signReceipt(wallet: Pick<MachinaWalletClient, 'account'>, r: UnsignedReceipt): Promise<PaymentReceipt> {
  const account = wallet.account;
  if (!account.signTypedData) throw new Error('the node signer cannot sign typed data locally');
  const signature = await account.signTypedData(receiptTypedData(r));
  return { ...r, signature, signer: account.address };
}

/**
 * Checks a receipt's signature; returns the signer it recovers, or throws when it is not `expected`.
 * @example
 * await verifyReceipt(receipt, nodeSigner)
 */
export async function verifyReceipt(r: PaymentReceipt, expected?: Address): Promise<Address> {
  const { signature, signer, ...rest } = r;
  const recovered = await recoverTypedDataAddress({ ...receiptTypedData(rest), signature });
  if (getAddress(recovered) !== getAddress(expected ?? signer)) throw new Error(`receipt ${r.paymentId}: signed by ${recovered}, not ${expected ?? signer}`);
  return recovered;
}
