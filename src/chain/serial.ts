// One signer, many writers (API writes, owner approvals, x402 settlement): transactions from one key
// must leave in order, or concurrent senders read the same pending nonce and replace each other.
import type { MachinaWalletClient } from './clients.ts';

/** Runs tasks one after another in call order; a failed task does not stop the ones behind it. */
export type SerialQueue = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A queue of async tasks run one at a time.
 * @example
 * const serial = createSerialQueue()
 * await serial(() => wallet.writeContract(request))
 */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

/**
 * The same wallet, except that its transactions are submitted one at a time (each waits until the
 * previous one was handed to the node, not until it is mined), so every writer sharing it gets its
 * own nonce.
 * @example
 * const nodeWallet = serializeWrites(walletFor(client, account))
 */
export function serializeWrites(wallet: MachinaWalletClient): MachinaWalletClient {
  const serial = createSerialQueue();
  return {
    ...wallet,
    writeContract: ((args: never) => serial(() => wallet.writeContract(args))) as MachinaWalletClient['writeContract'],
    sendTransaction: ((args: never) => serial(() => wallet.sendTransaction(args))) as MachinaWalletClient['sendTransaction'],
    deployContract: ((args: never) => serial(() => wallet.deployContract(args))) as MachinaWalletClient['deployContract'],
  };
}
