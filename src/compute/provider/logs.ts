// Reading the compute market's history the way a daemon needs it: a cursor that returns each new block range's
// logs once (market events and, for arbiters, the validation requests addressed to one key), decoded.
import { parseEventLogs, type Address, type Hex, type Log } from 'viem';
import { computeMarketAbi, validationRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { eventsInRange, findEventBackward, MAX_LOG_RANGE } from '../chainLogs.ts';

export type MarketLog = ReturnType<typeof parseEventLogs<typeof computeMarketAbi, true>>[number];
export type ValidationLog = ReturnType<typeof parseEventLogs<typeof validationRegistryAbi, true, 'ValidationRequest'>>[number];

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
        const toBlock = position + MAX_LOG_RANGE - 1n < head ? position + MAX_LOG_RANGE - 1n : head;
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
 * The `JobPosted` log of one job (where its workload and input live), read from the chain; null if none. Scans
 * backward from `toBlock` (default: the head; pass a later event's block, e.g. the job's Assigned or a validation
 * request, to start close) in MAX_LOG_RANGE steps, stopping at blocks older than `postedAt` (unix s) when given.
 * @example
 * const posted = await findPostedJob(client, { market, jobId: 1n })
 */
export async function findPostedJob(
  client: MachinaPublicClient,
  { market, jobId, toBlock, postedAt }: { market: Address; jobId: bigint; toBlock?: bigint | undefined; postedAt?: number | undefined },
): Promise<PostedJob | null> {
  const found = await findEventBackward<Extract<MarketLog, { eventName: 'JobPosted' }>, PostedJob>(
    client,
    { address: market, abi: computeMarketAbi, eventName: 'JobPosted', args: { jobId }, toBlock, notBefore: postedAt },
    (logs) => (logs[0] ? postedJobOf(logs[0]) : undefined),
  );
  return found ?? null;
}

/**
 * The block a provider was registered in (its `ProviderRegistered` log, scanned backward from the head), or null.
 * @example const block = await findRegistrationBlock(client, { market, providerId })
 */
export async function findRegistrationBlock(client: MachinaPublicClient, { market, providerId }: { market: Address; providerId: bigint }): Promise<bigint | null> {
  const block = await findEventBackward<{ blockNumber: bigint | null }, bigint>(
    client,
    { address: market, abi: computeMarketAbi, eventName: 'ProviderRegistered', args: { providerId } },
    (logs) => logs[0]?.blockNumber ?? undefined,
  );
  return block ?? null;
}

export type AssignmentLog = { jobId: bigint; slot: number; pricePerUnit: bigint; blockNumber: bigint };

/**
 * Every slot a provider was assigned from `fromBlock` (its registration block) to `toBlock`, from the `Assigned`
 * logs filtered by its indexed id, MAX_LOG_RANGE blocks per call: how a restarted daemon finds its unfinished jobs.
 * @example const mine = await findAssignments(client, { market, providerId, fromBlock })
 */
export async function findAssignments(
  client: MachinaPublicClient,
  { market, providerId, fromBlock, toBlock }: { market: Address; providerId: bigint; fromBlock: bigint; toBlock?: bigint | undefined },
): Promise<AssignmentLog[]> {
  const logs = await eventsInRange<Extract<MarketLog, { eventName: 'Assigned' }>>(client, { address: market, abi: computeMarketAbi, eventName: 'Assigned', args: { providerId }, fromBlock, toBlock });
  return logs.map((l) => ({ jobId: l.args.jobId, slot: Number(l.args.slot), pricePerUnit: l.args.pricePerUnit, blockNumber: l.blockNumber ?? 0n }));
}
