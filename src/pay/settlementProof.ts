// Merkle leaves, roots and proofs of X402Settlement batches: the TS twin of contracts/src/pay/lib/PaymentMerkle.sol.
import { concat, encodeAbiParameters, keccak256, parseEventLogs, type Address, type Hex, type Log } from 'viem';

import { x402SettlementAbi } from '../chain/artifacts/X402Settlement.ts';
import { InvalidArgumentError } from '../errors/index.ts';

/** One settled payment as committed in a batch leaf (the contract's `InteractionReceipt` plus its id). */
export type SettledReceipt = {
  receiptId: Hex;
  client: Address;
  agentId: bigint;
  /** The settled token. */
  asset: Address;
  amount: bigint;
  /** The batch transaction's block timestamp (seconds). */
  settledAt: bigint;
};

/** What `proveReceipt(batchId, receipt, receiptId, proof)` needs for one payment of a batch. */
export type ReceiptProof = { batchId: bigint; receipt: Omit<SettledReceipt, 'receiptId'>; receiptId: Hex; leaf: Hex; root: Hex; proof: Hex[] };

const leafParams = [
  { type: 'bytes32' },
  { type: 'address' },
  { type: 'uint256' },
  { type: 'address' },
  { type: 'uint256' },
  { type: 'uint64' },
] as const;

/**
 * The receipt id X402Settlement gives the payment `from` authorized with `nonce`:
 * `keccak256(abi.encode(chainId, settlement, from, nonce))`.
 * @example
 * const id = receiptIdFor({ chainId: 31337, settlement, from: payer, nonce });
 */
export function receiptIdFor(args: { chainId: number | bigint; settlement: Address; from: Address; nonce: Hex }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'bytes32' }],
      [BigInt(args.chainId), args.settlement, args.from, args.nonce],
    ),
  );
}

/**
 * The leaf of one settled payment:
 * `keccak256(keccak256(abi.encode(receiptId, client, agentId, asset, amount, uint64 settledAt)))`.
 * @example
 * const leaf = receiptLeaf({ receiptId, client, agentId: 1n, asset: token, amount: 10_000n, settledAt: 1_700_000_000n });
 */
export function receiptLeaf(r: SettledReceipt): Hex {
  if (r.settledAt < 0n || r.settledAt >= 2n ** 64n) throw new InvalidArgumentError('settledAt', 'must fit in uint64');
  return keccak256(keccak256(encodeAbiParameters(leafParams, [r.receiptId, r.client, r.agentId, r.asset, r.amount, r.settledAt])));
}

/** OZ `Hashes.commutativeKeccak256`: the hash of the sorted pair. */
function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

function requireLeaves(leaves: readonly Hex[]): void {
  if (leaves.length === 0) throw new InvalidArgumentError('leaves', 'a batch has at least one leaf');
}

/**
 * The Merkle root of a batch's leaves, in batch order (settled items in calldata order): pairs (2k, 2k+1) hashed
 * sorted, an odd last node carried up unchanged. Equals the `root` of the batch's `BatchSettled` event.
 * @example
 * const root = batchRoot(receipts.map(receiptLeaf));
 */
export function batchRoot(leaves: readonly Hex[]): Hex {
  requireLeaves(leaves);
  let level = [...leaves];
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * The proof of leaf `index`: its existing siblings from the leaf up (OZ `MerkleProof`-compatible).
 * @example
 * const proof = batchProof(leaves, 3);
 */
export function batchProof(leaves: readonly Hex[], index: number): Hex[] {
  requireLeaves(leaves);
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new InvalidArgumentError('index', `must be an integer in [0, ${leaves.length - 1}]`);
  }
  const proof: Hex[] = [];
  let level = [...leaves];
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) proof.push(level[sibling]!);
    const next: Hex[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(hashPair(level[k]!, level[k + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
    i >>= 1;
  }
  return proof;
}

/**
 * Whether `proof` links `leaf` to `root` (OZ `MerkleProof.verify`).
 * @example
 * verifyBatchProof(proof, root, leaf); // true
 */
export function verifyBatchProof(proof: readonly Hex[], root: Hex, leaf: Hex): boolean {
  let node = leaf;
  for (const p of proof) node = hashPair(node, p);
  return node.toLowerCase() === root.toLowerCase();
}

/**
 * The settled receipts of batch `batchId`, in leaf order, from the batch transaction's logs (its `PaymentSettled`
 * events) and the block timestamp.
 * @example
 * const tx = await client.getTransactionReceipt({ hash });
 * const block = await client.getBlock({ blockNumber: tx.blockNumber });
 * const receipts = batchReceiptsFromLogs({ logs: tx.logs, settlement, asset: token, settledAt: block.timestamp });
 */
export function batchReceiptsFromLogs(args: {
  logs: readonly Log[];
  settlement: Address;
  asset: Address;
  settledAt: bigint;
  batchId?: bigint;
}): { batchId: bigint; receipts: SettledReceipt[] } {
  const settlement = args.settlement.toLowerCase();
  const events = parseEventLogs({ abi: x402SettlementAbi, logs: args.logs.filter((l) => l.address.toLowerCase() === settlement) as Log[] });
  const batch = events.find((e) => e.eventName === 'BatchSettled' && (args.batchId === undefined || e.args.batchId === args.batchId));
  if (!batch || batch.eventName !== 'BatchSettled') throw new InvalidArgumentError('logs', 'no BatchSettled event of the batch in these logs');
  const batchId = batch.args.batchId;
  const receipts: SettledReceipt[] = [];
  for (const e of events) {
    if (e.eventName !== 'PaymentSettled' || e.args.batchId !== batchId) continue;
    receipts.push({ receiptId: e.args.receiptId, client: e.args.client, agentId: e.args.agentId, asset: args.asset, amount: e.args.amount, settledAt: args.settledAt });
  }
  if (BigInt(receipts.length) !== batch.args.count) throw new InvalidArgumentError('logs', `batch ${batchId} lists ${batch.args.count} payments, the logs ${receipts.length}`);
  if (batchRoot(receipts.map(receiptLeaf)) !== batch.args.root) throw new InvalidArgumentError('logs', `rebuilt root does not match batch ${batchId}`);
  return { batchId, receipts };
}

/**
 * Everything `proveReceipt` needs for the payment `receiptId` of a batch.
 * @example
 * const p = buildReceiptProof({ batchId, receipts, receiptId });
 * await wallet.writeContract({ address: settlement, abi: x402SettlementAbi, functionName: 'proveReceipt',
 *   args: [p.batchId, p.receipt, p.receiptId, p.proof] });
 */
export function buildReceiptProof(args: { batchId: bigint; receipts: readonly SettledReceipt[]; receiptId: Hex }): ReceiptProof {
  const index = args.receipts.findIndex((r) => r.receiptId.toLowerCase() === args.receiptId.toLowerCase());
  if (index < 0) throw new InvalidArgumentError('receiptId', `not in batch ${args.batchId}`);
  const leaves = args.receipts.map(receiptLeaf);
  const { receiptId, ...receipt } = args.receipts[index]!;
  return { batchId: args.batchId, receipt, receiptId, leaf: leaves[index]!, root: batchRoot(leaves), proof: batchProof(leaves, index) };
}
