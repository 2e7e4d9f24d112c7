// Writes that survive another sender on the same key. The node settles payments and anchors batches with its
// signer while the CLI, a demo or a test may use the same key; each fetches the account's next nonce, and the slower
// one is refused ("nonce too low", or "replacement transaction underpriced" while the other is pending) although
// nothing went wrong. A refused transaction never reached the chain, so it is signed again with a fresh nonce. Before
// that, its hash is looked up: if the same signed bytes did get in (a transport retry re-sent them, which also reads
// "already known"), that hash is the answer and nothing is sent twice.
import { BaseError, encodeFunctionData, keccak256, NonceTooLowError, type Hash } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from './clients.ts';

/** Attempts in all when the nonce keeps being taken by another sender. */
const ATTEMPTS = 5;

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
    for (let attempt = 1; ; attempt++) {
      const request = await wallet.prepareTransactionRequest({
        account,
        chain: wallet.chain,
        to: a.address,
        data,
        value: a.value,
        gas: a.gas,
        ...(a.maxFeePerGas === undefined ? {} : { maxFeePerGas: a.maxFeePerGas }),
        ...(a.maxPriorityFeePerGas === undefined ? {} : { maxPriorityFeePerGas: a.maxPriorityFeePerGas }),
      } as Parameters<MachinaWalletClient['prepareTransactionRequest']>[0]);
      const serializedTransaction = await account.signTransaction(request as Parameters<typeof account.signTransaction>[0]);
      const hash: Hash = keccak256(serializedTransaction);
      try {
        return await wallet.sendRawTransaction({ serializedTransaction });
      } catch (err) {
        if (!isNonceConflict(err)) throw err;
        if (await client.getTransaction({ hash }).then(() => true, () => false)) return hash;
        if (attempt >= ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 25 * attempt)); // let the other sender's transaction be counted
      }
    }
  }) as MachinaWalletClient['writeContract'];
  return { ...wallet, writeContract };
}
