// Reading event logs over long block ranges the way hosted RPCs accept it: at most MAX_LOG_RANGE blocks per
// eth_getLogs call, forward over a range, or backward from the head until the wanted log is found (a job's posting,
// a provider's registration), optionally stopping at a block older than a known time.
import type { Abi, Address } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { readerOf } from '../wallet/client.ts';

/** Largest block range asked for in one eth_getLogs call (hosted RPCs refuse bigger ones). */
export const MAX_LOG_RANGE = 10_000n;

type ReadClient = MachinaPublicClient | MachinaWalletClient;

export type EventQuery = { address: Address; abi: Abi; eventName: string; args?: Record<string, unknown> | undefined };

async function chunk(client: ReadClient, q: EventQuery, fromBlock: bigint, toBlock: bigint): Promise<unknown[]> {
  return (await readerOf(client).getContractEvents({ address: q.address, abi: q.abi, eventName: q.eventName, args: q.args, fromBlock, toBlock } as never)) as unknown[];
}

/**
 * Every log of one event in [fromBlock, toBlock] (default: the head), read MAX_LOG_RANGE blocks per call, in chain order.
 * @example const logs = await eventsInRange(client, { address: market, abi: computeMarketAbi, eventName: 'ProviderRegistered', fromBlock: 0n })
 */
export async function eventsInRange<T = unknown>(client: ReadClient, q: EventQuery & { fromBlock: bigint; toBlock?: bigint | undefined }): Promise<T[]> {
  const head = q.toBlock ?? (await readerOf(client).getBlockNumber({ cacheTime: 0 }));
  const out: unknown[] = [];
  for (let from = q.fromBlock; from <= head; from += MAX_LOG_RANGE) {
    const to = from + MAX_LOG_RANGE - 1n < head ? from + MAX_LOG_RANGE - 1n : head;
    out.push(...(await chunk(client, q, from, to)));
  }
  return out as T[];
}

/**
 * Scans backward from `toBlock` (default: the head), MAX_LOG_RANGE blocks per call, and returns what `pick` finds in
 * the first range (newest first) where it finds anything; undefined when it reaches `fromBlock` (default 0) or a
 * block mined before `notBefore` (unix seconds, e.g. a job's posting time) without finding it.
 * @example const posted = await findEventBackward(client, { address: market, abi, eventName: 'JobPosted', args: { jobId } }, (logs) => logs[0])
 */
export async function findEventBackward<T, R>(
  client: ReadClient,
  q: EventQuery & { fromBlock?: bigint | undefined; toBlock?: bigint | undefined; notBefore?: number | undefined },
  pick: (logs: T[]) => R | undefined,
): Promise<R | undefined> {
  const reader = readerOf(client);
  const floor = q.fromBlock ?? 0n;
  let to = q.toBlock ?? (await reader.getBlockNumber({ cacheTime: 0 }));
  while (to >= floor) {
    const from = to - MAX_LOG_RANGE + 1n > floor ? to - MAX_LOG_RANGE + 1n : floor;
    const hit = pick((await chunk(client, q, from, to)) as T[]);
    if (hit !== undefined) return hit;
    if (from === floor) return undefined;
    if (q.notBefore !== undefined && Number((await reader.getBlock({ blockNumber: from })).timestamp) < q.notBefore) return undefined;
    to = from - 1n;
  }
  return undefined;
}
