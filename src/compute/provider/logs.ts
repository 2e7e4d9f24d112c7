// Reading the compute market's history the way a daemon needs it: a cursor that returns each new block range's
// logs once (market events and, for arbiters, the validation requests addressed to one key), decoded.
import { parseEventLogs, type Address, type Hex, type Log } from 'viem';
import { computeMarketAbi, validationRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';

export type MarketLog = ReturnType<typeof parseEventLogs<typeof computeMarketAbi, true>>[number];
export type ValidationLog = ReturnType<typeof parseEventLogs<typeof validationRegistryAbi, true, 'ValidationRequest'>>[number];

/** Largest block range asked for in one eth_getLogs (public RPCs refuse bigger ones). */
const MAX_RANGE = 2_000n;

export type LogCursor = {
  /** Logs of the blocks mined since the last call (in chain order); empty when there is no new block. */
  next(): Promise<{ market: MarketLog[]; validation: ValidationLog[]; head: bigint }>;
  /** The next block that will be read. */
  readonly position: bigint;
};

/**
 * A cursor over the market's logs from `fromBlock`; with `validator`, also the ValidationRegistry's
 * `ValidationRequest` logs whose validator is that address.
 * @example
 * const cursor = createLogCursor(client, { market, fromBlock: 0n })
 * const { market: logs } = await cursor.next()
 */
export function createLogCursor(
  client: MachinaPublicClient,
  p: { market?: Address | undefined; fromBlock: bigint; validationRegistry?: Address | undefined; validator?: Address | undefined },
): LogCursor {
  let position = p.fromBlock;
  return {
    get position() {
      return position;
    },
    async next() {
      const head = await client.getBlockNumber({ cacheTime: 0 });
      const market: MarketLog[] = [];
      const validation: ValidationLog[] = [];
      while (position <= head) {
        const toBlock = position + MAX_RANGE - 1n < head ? position + MAX_RANGE - 1n : head;
        const [m, v] = await Promise.all([
          p.market ? client.getLogs({ address: p.market, fromBlock: position, toBlock }) : Promise.resolve([] as Log[]),
          p.validationRegistry && p.validator
            ? client.getContractEvents({ address: p.validationRegistry, abi: validationRegistryAbi, eventName: 'ValidationRequest', args: { validatorAddress: p.validator }, fromBlock: position, toBlock })
            : Promise.resolve([] as Log[]),
        ]);
        market.push(...parseEventLogs({ abi: computeMarketAbi, logs: m as Log[] }));
        validation.push(...parseEventLogs({ abi: validationRegistryAbi, logs: v as Log[], eventName: 'ValidationRequest' }));
        // Advanced only once both reads succeeded: a failed range is read again on the next call.
        position = toBlock + 1n;
      }
      return { market, validation, head };
    },
  };
}

export type PostedJob = {
  jobId: bigint;
  workloadDigest: Hex;
  inputDigest: Hex;
  workloadURI: string;
  inputURI: string;
  mode: 'redundant' | 'optimistic';
  direct: boolean;
  replicas: number;
  deadline: number;
  bidWindow: number;
  units: number;
  maxPricePerUnit: bigint;
  needs: { deviceKind: Hex; minMemoryMB: number; region: Hex };
  postedBlock: bigint;
};

/** A `JobPosted` log as the daemon keeps it. */
export function postedJobOf(log: Extract<MarketLog, { eventName: 'JobPosted' }>): PostedJob {
  const a = log.args;
  return {
    jobId: a.jobId,
    workloadDigest: a.workloadDigest,
    inputDigest: a.inputDigest,
    workloadURI: a.workloadURI,
    inputURI: a.inputURI,
    mode: Number(a.mode) === 1 ? 'optimistic' : 'redundant',
    direct: a.direct,
    replicas: Number(a.replicas),
    deadline: Number(a.deadline),
    bidWindow: Number(a.bidWindow),
    units: Number(a.units),
    maxPricePerUnit: a.maxPricePerUnit,
    needs: { deviceKind: a.needs.deviceKind, minMemoryMB: Number(a.needs.minMemoryMB), region: a.needs.region },
    postedBlock: log.blockNumber ?? 0n,
  };
}

/**
 * The `JobPosted` log of one job (where its workload and input live), read from the chain; null if none.
 * @example
 * const posted = await findPostedJob(client, { market, jobId: 1n })
 */
export async function findPostedJob(client: MachinaPublicClient, { market, jobId }: { market: Address; jobId: bigint }): Promise<PostedJob | null> {
  const logs = await client.getContractEvents({ address: market, abi: computeMarketAbi, eventName: 'JobPosted', args: { jobId }, fromBlock: 0n, toBlock: 'latest' });
  const first = logs[0];
  return first ? postedJobOf(first as Extract<MarketLog, { eventName: 'JobPosted' }>) : null;
}
