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
 * The gas limit a write is sent with: its estimate plus a margin. An estimate holds for the state it was made on;
 * by the time the transaction is mined the block's time has moved (a TWAP accumulator or a timestamp slot written
 * for the first time) or another transaction changed the state. Only the gas used is paid, so the margin is free.
 */
export const gasWithMargin = (estimate: bigint): bigint => (estimate * 13n) / 10n + 20_000n;

/** The margin each wrapped wallet applies, so wrapping twice with the same margin estimates once. */
const marginOf = new WeakMap<MachinaWalletClient, (estimate: bigint) => bigint>();

/**
 * The wallet with `margin(estimate)` as the gas limit of every write that does not set one (for code that calls
 * `writeContract` directly, e.g. a daemon whose writes may become the ones that settle a job and need far more).
 * @example const roomy = withGasMargin(wallet, client, (g) => g * 2n + 500_000n)
 */
export function withGasMargin(wallet: MachinaWalletClient, client: MachinaPublicClient, margin: (estimate: bigint) => bigint = gasWithMargin): MachinaWalletClient {
  if (marginOf.get(wallet) === margin) return wallet; // already wrapped so (every `walletFor` wallet has the default)
  const writeContract = (async (args: Parameters<MachinaWalletClient['writeContract']>[0]) => {
    if (args.gas !== undefined) return wallet.writeContract(args);
    let gas: bigint | undefined;
    try {
      gas = margin(await client.estimateContractGas({ ...args, account: wallet.account } as Parameters<MachinaPublicClient['estimateContractGas']>[0]));
    } catch {
      gas = undefined; // the estimate reverted: send as it is and let the node's own estimate report the revert
    }
    return wallet.writeContract((gas === undefined ? args : { ...args, gas }) as Parameters<MachinaWalletClient['writeContract']>[0]);
  }) as MachinaWalletClient['writeContract'];
  const wrapped = { ...wallet, writeContract };
  marginOf.set(wrapped, margin);
  return wrapped;
}

/**
 * Simulates, sends and confirms one contract call.
 * @example
 * const { receipt } = await writeAndWait(client, wallet, { address, abi, functionName: 'register', args: [] })
 */
export async function writeAndWait(client: MachinaPublicClient, wallet: MachinaWalletClient, call: ContractWrite): Promise<WriteResult> {
  const { request } = await client.simulateContract({ ...call, account: wallet.account } as Parameters<MachinaPublicClient['simulateContract']>[0]);
  // No gas limit here: the wallet may carry its own margin policy (`withGasMargin`), which a limit set here would
  // bypass (a compute daemon's commit can become the one that settles a job and need several times its estimate).
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
