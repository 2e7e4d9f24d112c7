// Chain time for the node's reads: a devnet's clock may run (or be moved) ahead of the wall clock.
import type { MachinaPublicClient } from '../../chain/clients.ts';

/**
 * "Now" in seconds: the later of the latest block's time and the wall clock, cached for a second; the wall clock
 * alone without a client or when the chain does not answer.
 * @example
 * const now = createCachedChainClock(client)
 * const t = await now()
 */
export function createCachedChainClock(client: MachinaPublicClient | undefined): () => Promise<number> {
  let clock: { at: number; chain: number } | undefined;
  return async (): Promise<number> => {
    const wall = Math.floor(Date.now() / 1000);
    if (!client) return wall;
    if (clock && Date.now() - clock.at < 1_000) return clock.chain;
    try {
      const b = await client.getBlock({ blockTag: 'latest' });
      clock = { at: Date.now(), chain: Math.max(Number(b.timestamp), wall) };
      return clock.chain;
    } catch {
      return wall;
    }
  };
}
