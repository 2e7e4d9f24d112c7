// The roots an AnchorRegistry recorded, read from its RootAnchored events: the block data that
// `machina verify --offline` checks receipts against.
import { getAbiItem, type Address } from 'viem';
import { anchorRegistryAbi } from '../chain/artifacts/AnchorRegistry.ts';
import type { MachinaPublicClient } from '../chain/clients.ts';
import type { SavedAnchor } from './types.ts';

const ROOT_ANCHORED = getAbiItem({ abi: anchorRegistryAbi, name: 'RootAnchored' });
/** Blocks per getLogs request: public RPCs refuse wide ranges. */
const RANGE = 10_000n;

/**
 * Every root anchored at `registry` from `fromBlock` on, oldest first.
 * @example
 * const anchors = await listChainAnchors(client, { registry, fromBlock: 0n })
 */
export async function listChainAnchors(client: MachinaPublicClient, { registry, fromBlock = 0n, toBlock }: { registry: Address; fromBlock?: bigint; toBlock?: bigint }): Promise<(SavedAnchor & { size: number })[]> {
  const chainId = client.chain.id;
  const last = toBlock ?? (await client.getBlockNumber());
  const out: (SavedAnchor & { size: number })[] = [];
  for (let from = fromBlock; from <= last; from += RANGE) {
    const to = from + RANGE - 1n < last ? from + RANGE - 1n : last;
    const logs = await client.getLogs({ address: registry, event: ROOT_ANCHORED, fromBlock: from, toBlock: to, strict: true });
    for (const l of logs) {
      out.push({
        root: l.args.root.toLowerCase() as `0x${string}`,
        chainId,
        registry,
        txHash: l.transactionHash,
        blockNumber: l.blockNumber.toString(),
        blockHash: l.blockHash,
        timestamp: Number(l.args.timestamp),
        submitter: l.args.submitter,
        size: Number(l.args.size),
      });
    }
  }
  return out;
}
