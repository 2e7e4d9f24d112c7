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

const walletLocks = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task of the same wallet address (in this process) settled: an approval and the
 * write that spends it stay together, so concurrent writes from one EOA (a data licence purchase, a compute post,
 * stake or challenge) do not overwrite each other's allowance or race for a nonce. One map serves every market.
 * @example
 * await underWalletLock(wallet, async () => { await ensureAllowance(wallet, { token, spender, amount }); return buy() })
 */
export async function underWalletLock<T>(wallet: MachinaWalletClient, task: () => Promise<T>): Promise<T> {
  const key = wallet.account.address.toLowerCase();
  const run = (walletLocks.get(key) ?? Promise.resolve()).then(task, task);
  const tail = run.catch(() => {});
  walletLocks.set(key, tail);
  void tail.then(() => {
    if (walletLocks.get(key) === tail) walletLocks.delete(key);
  });
  return run;
}
