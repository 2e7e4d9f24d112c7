// Fetching a block range's logs for the protocol's contracts and decoding them with viem.
import { decodeAbiParameters, getAddress, hexToBigInt, hexToNumber, toEventSelector, toHex, type Abi, type AbiEvent, type AbiParameter, type Address, type Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { IndexedEvent, NodeModule } from './module.ts';

/** An event's ABI split once for decoding: which inputs come from topics, which from data. */
type EventDecoder = { name: string; indexed: AbiParameter[]; data: AbiParameter[] };

/** A deployed contract the indexer watches, with its events by topic0. */
export type WatchedContract = { name: string; address: Address; module: NodeModule; events: Map<Hex, EventDecoder> };

export type RpcLog = {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  blockTimestamp?: Hex;
  transactionHash: Hex;
  logIndex: Hex;
  removed?: boolean;
};

export function watchedContract(name: string, address: Address, abi: Abi, module: NodeModule): WatchedContract {
  const events = new Map<Hex, EventDecoder>();
  for (const item of abi) {
    if (item.type !== 'event' || item.anonymous) continue;
    const e = item as AbiEvent;
    events.set(toEventSelector(e), { name: e.name, indexed: e.inputs.filter((i) => i.indexed), data: e.inputs.filter((i) => !i.indexed) });
  }
  return { name, address, module, events };
}

/**
 * Raw eth_getLogs over [from, to] for `addresses` (raw, to keep the blockTimestamp that nodes add).
 * @example
 * const logs = await getRawLogs(client, [registry], 0, 1000)
 */
export async function getRawLogs(client: MachinaPublicClient, addresses: Address[], from: number, to: number): Promise<RpcLog[]> {
  const logs = (await client.request({
    method: 'eth_getLogs',
    params: [{ address: addresses, fromBlock: toHex(from), toBlock: toHex(to) }],
  } as never)) as RpcLog[];
  return logs.filter((l) => !l.removed);
}

/**
 * Raw eth_getLogs over [from, to] for any contract emitting one of `topic0s` (factory children,
 * whose addresses are only known from the factory's events; the caller keeps its children's logs).
 * @example
 * const logs = await getTopicLogs(client, [toEventSelector('Frozen(uint256,address)')], 0, 1000)
 */
export async function getTopicLogs(client: MachinaPublicClient, topic0s: Hex[], from: number, to: number): Promise<RpcLog[]> {
  if (topic0s.length === 0) return [];
  const logs = (await client.request({
    method: 'eth_getLogs',
    params: [{ topics: [topic0s], fromBlock: toHex(from), toBlock: toHex(to) }],
  } as never)) as RpcLog[];
  return logs.filter((l) => !l.removed);
}

/**
 * Decodes logs in chain order; logs of events the ABI does not know are skipped.
 * `timestampOf` supplies block timestamps for nodes that do not put them in logs.
 */
export function decodeLogs(
  logs: RpcLog[],
  contracts: ReadonlyMap<string, WatchedContract>,
  chainId: number,
  timestampOf: (blockNumber: number) => number | undefined,
): IndexedEvent[] {
  const out: IndexedEvent[] = [];
  for (const log of logs) {
    const c = contracts.get(log.address.toLowerCase());
    const item = c && log.topics[0] ? c.events.get(log.topics[0]) : undefined;
    if (!c || !item) continue;
    let args: Record<string, unknown>;
    try {
      args = decodeArgs(item, log.topics, log.data);
    } catch {
      continue;
    }
    const blockNumber = hexToNumber(log.blockNumber);
    out.push({
      chainId,
      blockNumber,
      blockHash: log.blockHash,
      logIndex: hexToNumber(log.logIndex),
      txHash: log.transactionHash,
      timestamp: log.blockTimestamp ? hexToNumber(log.blockTimestamp) : (timestampOf(blockNumber) ?? 0),
      contract: c.name,
      address: c.address,
      event: item.name,
      args,
    });
  }
  out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  return out;
}

// The same few addresses (owners, clients, registries) recur in every batch; checksumming is a keccak.
const checksums = new Map<string, Address>();
function checksum(lower: string): Address {
  let a = checksums.get(lower);
  if (!a) {
    if (checksums.size > 100_000) checksums.clear();
    checksums.set(lower, (a = getAddress(lower)));
  }
  return a;
}

/**
 * What viem's decodeEventLog returns (named args, checksummed addresses, indexed dynamic values as
 * their topic hash), without hashing the event signature and every address again for each log.
 */
function decodeArgs(d: EventDecoder, topics: Hex[], data: Hex): Record<string, unknown> {
  if (topics.length !== d.indexed.length + 1) throw new Error(`${d.name}: wrong topic count`);
  const args: Record<string, unknown> = {};
  d.indexed.forEach((p, i) => {
    const topic = topics[i + 1]!;
    if (p.type === 'address') args[p.name!] = checksum(`0x${topic.slice(26)}`);
    else if (/^uint\d*$/.test(p.type)) args[p.name!] = hexToBigInt(topic);
    else if (p.type === 'bytes32' || p.type === 'string' || p.type === 'bytes' || p.type.endsWith(']') || p.type === 'tuple') args[p.name!] = topic;
    else args[p.name!] = decodeAbiParameters([p], topic)[0];
  });
  if (d.data.length > 0) {
    const values = decodeAbiParameters(d.data, data);
    d.data.forEach((p, i) => (args[p.name!] = values[i]));
  }
  return args;
}

export type BlockHeader = { number: number; hash: Hex; parentHash: Hex; timestamp: number };

/** Headers of `numbers`, fetched concurrently (the transport may batch them). */
export async function getHeaders(client: MachinaPublicClient, numbers: number[]): Promise<Map<number, BlockHeader>> {
  const out = new Map<number, BlockHeader>();
  const queue = [...new Set(numbers)];
  const worker = async () => {
    for (let n = queue.pop(); n !== undefined; n = queue.pop()) {
      const b = await client.getBlock({ blockNumber: BigInt(n) });
      out.set(n, { number: n, hash: b.hash!, parentHash: b.parentHash, timestamp: Number(b.timestamp) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
  return out;
}
