// Native-token payments to an agent through PaymentReceipts: the money goes to the agent's wallet and
// the contract keeps a receipt that later backs verified feedback.
import { type Address, type Hash, type Hex, zeroHash } from 'viem';
import { paymentReceiptsAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { eventOf, writeAndWait } from '../chain/write.ts';
import { InvalidArgumentError } from '../errors/index.ts';

/**
 * Pays `amount` wei to agent `agentId` and returns the receipt id.
 * @example
 * const { receiptId } = await payAgent(client, wallet, { paymentReceipts, agentId: 0n, amount: parseEther('0.01') })
 */
export async function payAgent(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  p: { paymentReceipts: Address; agentId: bigint; amount: bigint; memo?: Hex },
): Promise<{ receiptId: Hex; recipient: Address | undefined; hash: Hash; blockNumber: bigint }> {
  if (p.amount <= 0n) throw new InvalidArgumentError('amount', 'must be greater than zero');
  const { hash, receipt, blockNumber } = await writeAndWait(client, wallet, {
    address: p.paymentReceipts,
    abi: paymentReceiptsAbi,
    functionName: 'pay',
    args: [p.agentId, p.memo ?? zeroHash],
    value: p.amount,
  });
  const ev = eventOf(paymentReceiptsAbi, receipt, 'PaymentSettled', p.paymentReceipts);
  return { receiptId: ev.args.receiptId, recipient: (ev.args as { recipient?: Address }).recipient, hash, blockNumber };
}
