// Reorg detection and recovery: the chain must still hold the block hashes we indexed. When it
// does not, walk back through the recent hashes to the newest block both agree on and undo
// everything above it; past the journal's reach, re-index from scratch.
import { BlockNotFoundError, type Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { storedHashes } from './state.ts';
import type { Kysely } from 'kysely';

/** The chain's hash of block `n`, or undefined when the chain has no such block (it got shorter). */
export async function chainHashAt(client: MachinaPublicClient, n: number): Promise<Hex | undefined> {
  try {
    const block = await client.getBlock({ blockNumber: BigInt(n) });
    return block.hash ?? undefined;
  } catch (err) {
    if (err instanceof BlockNotFoundError || /not found|unknown block/i.test((err as Error).message)) return undefined;
    throw err;
  }
}

/**
 * The newest stored block, at or above `floor`, whose hash the chain still has (the fork point),
 * or undefined when none is left (the reorg is deeper than the journal).
 * @example
 * const ancestor = await findCommonAncestor(client, db, checkpoint, undoFloor)
 */
export async function findCommonAncestor(
  client: MachinaPublicClient,
  db: Kysely<any>,
  below: number,
  floor: number,
): Promise<{ number: number; hash: Hex } | undefined> {
  for (const b of await storedHashes(db, below)) {
    if (b.number < floor) break;
    if ((await chainHashAt(client, b.number)) === b.hash) return b;
  }
  return undefined;
}
