// One path for every protocol write: simulate first (so a revert surfaces as the contract's decoded
// custom error, before any gas is spent), send, wait for the receipt, and return its logs.
import { parseEventLogs, type Abi, type ContractEventName, type Hash, type ParseEventLogsReturnType, type TransactionReceipt } from 'viem';
import { MachinaError } from '../errors/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from './clients.ts';

export type WriteResult = { hash: Hash; receipt: TransactionReceipt; blockNumber: bigint };

export type ContractWrite = {
  address: `0x${string}`;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
  value?: bigint;
};

/**
 * Simulates, sends and confirms one contract call.
 * @example
 * const { receipt } = await writeAndWait(client, wallet, { address, abi, functionName: 'register', args: [] })
 */
export async function writeAndWait(client: MachinaPublicClient, wallet: MachinaWalletClient, call: ContractWrite): Promise<WriteResult> {
  const { request } = await client.simulateContract({ ...call, account: wallet.account } as Parameters<MachinaPublicClient['simulateContract']>[0]);
  const hash = await wallet.writeContract(request as Parameters<MachinaWalletClient['writeContract']>[0]);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') {
    throw new MachinaError(`${call.functionName} reverted on chain (tx ${hash})`, { code: 'TX_REVERTED', details: { hash } });
  }
  return { hash, receipt, blockNumber: receipt.blockNumber };
}

/** The first log of `eventName` in a receipt, decoded; throws if the contract did not emit it. */
export function eventOf<const abi extends Abi, name extends ContractEventName<abi>>(
  abi: abi,
  receipt: TransactionReceipt,
  eventName: name,
  address?: `0x${string}`,
): ParseEventLogsReturnType<abi, name, true>[number] {
  const logs = parseEventLogs({ abi, logs: receipt.logs, eventName }).filter((l) => !address || l.address.toLowerCase() === address.toLowerCase());
  const first = logs[0];
  if (!first) throw new MachinaError(`expected a ${String(eventName)} event in tx ${receipt.transactionHash}`, { code: 'MISSING_EVENT' });
  return first as ParseEventLogsReturnType<abi, name, true>[number];
}
