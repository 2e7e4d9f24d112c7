// Writes that survive another sender on the same key. The node settles payments and anchors batches with its
// signer while the CLI, a demo or a test may use the same key; each fetches the account's next nonce, and the slower
// one is refused ("nonce too low", or "replacement transaction underpriced" while the other is pending) although
// nothing went wrong. A refused transaction did not enter the pool, so the write is checked again against the state
// the other sender just changed (a revert now comes back decoded, nothing is sent) and signed with a fresh nonce.
// Before that, the refused bytes' hash is looked up, and only a definite "not found" counts as not landed.
import { BaseError, encodeFunctionData, keccak256, NonceTooLowError, TransactionNotFoundError, type Hash } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from './clients.ts';
import { gasWithMargin } from './write.ts';

/** Attempts in all when the nonce keeps being taken by another sender. */
const ATTEMPTS = 8;

type WriteArgs = Parameters<MachinaWalletClient['writeContract']>[0];

/**
 * Refused because the nonce was taken: "nonce too low" (the other sender's transaction was mined first) or "replacement
 * transaction underpriced" (it is still pending with the same nonce).
 */
const isNonceConflict = (err: unknown) =>
  err instanceof BaseError &&
  err.walk((e) => e instanceof NonceTooLowError || /replacement transaction underpriced|nonce too low/i.test((e as Error).message ?? '')) !== null;

/**
 * The wallet whose `writeContract` re-signs with a fresh nonce when another sender took the nonce it was given.
 * Applies to a locally signing account and a write that names its gas limit (as `withGasMargin` sets it) and no nonce;
 * anything else goes to the wallet unchanged, so a revert is still reported with the contract's decoded error.
 * @example const wallet = withNonceRetry(createWalletClient({ chain, account, transport }), client)
 */
export function withNonceRetry(wallet: MachinaWalletClient, client: MachinaPublicClient): MachinaWalletClient {
  const writeContract = (async (args: WriteArgs) => {
    const a = args as WriteArgs & { nonce?: number; dataSuffix?: `0x${string}` };
    const account = a.account ?? wallet.account;
    if (typeof account !== 'object' || account.type !== 'local' || a.gas === undefined || a.nonce !== undefined || a.dataSuffix !== undefined) {
      return wallet.writeContract(args);
    }
    const data = encodeFunctionData({ abi: a.abi, functionName: a.functionName, args: a.args } as Parameters<typeof encodeFunctionData>[0]);
    let gas = a.gas;
    for (let attempt = 1; ; attempt++) {
      const request = await wallet.prepareTransactionRequest({
        account,
        chain: wallet.chain,
        to: a.address,
        data,
        value: a.value,
        gas,
        ...(a.maxFeePerGas === undefined ? {} : { maxFeePerGas: a.maxFeePerGas }),
        ...(a.maxPriorityFeePerGas === undefined ? {} : { maxPriorityFeePerGas: a.maxPriorityFeePerGas }),
      } as Parameters<MachinaWalletClient['prepareTransactionRequest']>[0]);
      const serializedTransaction = await account.signTransaction(request as Parameters<typeof account.signTransaction>[0]);
      const hash: Hash = keccak256(serializedTransaction);
      try {
        return await wallet.sendRawTransaction({ serializedTransaction });
      } catch (err) {
        if (!isNonceConflict(err)) throw err;
        const landed = await client.getTransaction({ hash }).then(
          () => true,
          (lookup: unknown) => {
            if (lookup instanceof TransactionNotFoundError) return false;
            throw err; // cannot tell whether it landed: never risk sending it twice
          },
        );
        if (landed) return hash;
        if (attempt >= ATTEMPTS) throw err;
        // Let the other sender's transaction be counted (jitter: two senders in step would collide again).
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 40));
        // The other sender changed the state: a write that now reverts is reported decoded, and nothing is sent.
        const estimate = await client.estimateContractGas({ address: a.address, abi: a.abi, functionName: a.functionName, args: a.args, value: a.value, account } as Parameters<MachinaPublicClient['estimateContractGas']>[0]);
        gas = gasWithMargin(estimate) > gas ? gasWithMargin(estimate) : gas;
      }
    }
  }) as MachinaWalletClient['writeContract'];
  return { ...wallet, writeContract };
}
