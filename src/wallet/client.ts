// Clients for the wallet actions: a wallet client doubles as a reader, and one write path (simulate, send, confirm).
import { publicActions, type Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { writeAndWait, type ContractWrite, type WriteResult } from '../chain/write.ts';

/** Anything that can read the chain: a public client, or a wallet client (extended with public actions). */
export type ReadClient = MachinaPublicClient;

/**
 * A reader for `client`: itself if it has public actions, else the wallet client extended with them.
 * @example
 * const reader = readerOf(wallet)
 */
export function readerOf(client: MachinaPublicClient | MachinaWalletClient): ReadClient {
  if ('readContract' in client && typeof (client as MachinaPublicClient).readContract === 'function') return client as MachinaPublicClient;
  return (client as MachinaWalletClient).extend(publicActions) as unknown as ReadClient;
}

/**
 * Simulates, sends and confirms one call signed by `wallet`.
 * @example
 * const { hash, receipt } = await sendWrite(wallet, { address: account, abi: agentAccountAbi, functionName: 'freeze' })
 */
export async function sendWrite(wallet: MachinaWalletClient, call: ContractWrite): Promise<WriteResult> {
  return writeAndWait(readerOf(wallet), wallet, call);
}

export type TxResult = { txHash: Hex };
