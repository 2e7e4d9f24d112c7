// Reputation actions over the ERC-8004 ReputationRegistry: give (free-form or backed by an
// interaction receipt), revoke, respond, and read feedback and summaries.
import { type Address, type Hash, type Hex, zeroHash } from 'viem';
import { reputationRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { eventOf, writeAndWait } from '../../chain/write.ts';
import { InvalidArgumentError } from '../../errors/index.ts';

export type GiveFeedbackParameters = {
  reputationRegistry: Address;
  agentId: bigint;
  value: bigint;
  valueDecimals?: number;
  tag1?: string;
  tag2?: string;
  endpoint?: string;
  feedbackURI?: string;
  feedbackHash?: Hex;
  /** A receipt from an allow-listed source proving the signer really dealt with the agent. */
  receipt?: { source: Address; receiptId: Hex } | undefined;
};

export type GiveFeedbackReturnType = { agentId: bigint; client: Address; feedbackIndex: bigint; verified: boolean; hash: Hash; blockNumber: bigint };

const INT128_MAX = (1n << 127n) - 1n;

/** Parses a decimal feedback value ("87", "-3.5", "99.77") into the registry's (value, decimals). */
export function parseFeedbackValue(raw: string, field = 'value'): { value: bigint; valueDecimals: number } {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(field, `must be a decimal number (got "${raw}")`);
  const decimals = m[3]?.length ?? 0;
  if (decimals > 18) throw new InvalidArgumentError(field, 'at most 18 decimal places');
  const value = BigInt(`${m[1] ?? ''}${m[2]}${m[3] ?? ''}`);
  if (value > INT128_MAX || value < -INT128_MAX - 1n) throw new InvalidArgumentError(field, 'out of int128 range');
  return { value, valueDecimals: decimals };
}

/**
 * Gives feedback on an agent; with `receipt`, the registry checks the interaction on chain first.
 * @example
 * await giveFeedback(client, wallet, { reputationRegistry, agentId: 0n, value: 87n, tag1: 'quality' })
 */
export async function giveFeedback(client: MachinaPublicClient, wallet: MachinaWalletClient, p: GiveFeedbackParameters): Promise<GiveFeedbackReturnType> {
  const decimals = p.valueDecimals ?? 0;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) throw new InvalidArgumentError('valueDecimals', 'must be an integer 0-18');
  const common = [p.agentId, p.value, decimals, p.tag1 ?? '', p.tag2 ?? '', p.endpoint ?? '', p.feedbackURI ?? '', p.feedbackHash ?? zeroHash] as const;
  const { hash, receipt, blockNumber } = p.receipt
    ? await writeAndWait(client, wallet, {
        address: p.reputationRegistry,
        abi: reputationRegistryAbi,
        functionName: 'giveFeedbackWithReceipt',
        args: [...common, p.receipt.source, p.receipt.receiptId],
      })
    : await writeAndWait(client, wallet, { address: p.reputationRegistry, abi: reputationRegistryAbi, functionName: 'giveFeedback', args: common });
  const ev = eventOf(reputationRegistryAbi, receipt, 'NewFeedback', p.reputationRegistry);
  return { agentId: p.agentId, client: ev.args.clientAddress, feedbackIndex: BigInt(ev.args.feedbackIndex), verified: !!p.receipt, hash, blockNumber };
}

/** Revokes the signer's own feedback `feedbackIndex` on `agentId`. */
export async function revokeFeedback(client: MachinaPublicClient, wallet: MachinaWalletClient, p: { reputationRegistry: Address; agentId: bigint; feedbackIndex: bigint }) {
  return writeAndWait(client, wallet, { address: p.reputationRegistry, abi: reputationRegistryAbi, functionName: 'revokeFeedback', args: [p.agentId, p.feedbackIndex] });
}

/** Appends a response (anyone: the agent refuting, a spam tagger ...) to one feedback. */
export async function appendResponse(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  p: { reputationRegistry: Address; agentId: bigint; clientAddress: Address; feedbackIndex: bigint; responseURI: string; responseHash?: Hex },
) {
  return writeAndWait(client, wallet, {
    address: p.reputationRegistry,
    abi: reputationRegistryAbi,
    functionName: 'appendResponse',
    args: [p.agentId, p.clientAddress, p.feedbackIndex, p.responseURI, p.responseHash ?? zeroHash],
  });
}

export type FeedbackEntry = {
  client: Address;
  feedbackIndex: bigint;
  value: bigint;
  valueDecimals: number;
  tag1: string;
  tag2: string;
  revoked: boolean;
  /** Set when the feedback was backed by an interaction receipt. */
  receipt: { source: Address; receiptId: Hex } | undefined;
};

/**
 * Every feedback on an agent (optionally only from `clients`), with whether a receipt backs it.
 * @example
 * const entries = await listFeedback(client, { reputationRegistry, agentId: 0n, includeRevoked: true })
 */
export async function listFeedback(
  client: MachinaPublicClient,
  p: { reputationRegistry: Address; agentId: bigint; clients?: Address[]; tag1?: string; tag2?: string; includeRevoked?: boolean },
): Promise<FeedbackEntry[]> {
  const base = { address: p.reputationRegistry, abi: reputationRegistryAbi } as const;
  const clients = p.clients ?? (await client.readContract({ ...base, functionName: 'getClients', args: [p.agentId] }));
  if (clients.length === 0) return [];
  const [addrs, indexes, values, decimals, tag1s, tag2s, revoked] = await client.readContract({
    ...base,
    functionName: 'readAllFeedback',
    args: [p.agentId, [...clients], p.tag1 ?? '', p.tag2 ?? '', p.includeRevoked ?? false],
  });
  // One read per entry; the transport batches them into a single JSON-RPC request.
  const receipts = await Promise.all(
    addrs.map((c, i) => client.readContract({ ...base, functionName: 'feedbackReceipt', args: [p.agentId, c, indexes[i]!] })),
  );
  return addrs.map((c, i) => {
    const [source, receiptId] = receipts[i]!;
    return {
      client: c,
      feedbackIndex: BigInt(indexes[i]!),
      value: values[i]!,
      valueDecimals: Number(decimals[i]!),
      tag1: tag1s[i]!,
      tag2: tag2s[i]!,
      revoked: revoked[i]!,
      receipt: source === '0x0000000000000000000000000000000000000000' ? undefined : { source, receiptId },
    };
  });
}

/** The spec's summary: count and average value over non-revoked feedback (optionally by clients/tags). */
export async function getReputationSummary(
  client: MachinaPublicClient,
  p: { reputationRegistry: Address; agentId: bigint; clients?: Address[]; tag1?: string; tag2?: string },
): Promise<{ count: bigint; value: bigint; valueDecimals: number }> {
  const base = { address: p.reputationRegistry, abi: reputationRegistryAbi } as const;
  const clients = p.clients ?? (await client.readContract({ ...base, functionName: 'getClients', args: [p.agentId] }));
  if (clients.length === 0) return { count: 0n, value: 0n, valueDecimals: 0 };
  const [count, value, valueDecimals] = await client.readContract({ ...base, functionName: 'getSummary', args: [p.agentId, [...clients], p.tag1 ?? '', p.tag2 ?? ''] });
  return { count: BigInt(count), value, valueDecimals: Number(valueDecimals) };
}
