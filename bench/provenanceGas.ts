// Gas of anchoring and of proving on chain, on a fresh devnet. Anchoring: one AnchorRegistry.anchor
// per batch whatever the batch holds, so the per-digest cost at 1M digests is the batch's gas / 1M;
// the baseline measured in the same run is anchoring one digest per transaction (a batch of one),
// which is what a registry without batching pays per digest. EAS `attest` (232k gas per attestation,
// the figure) is quoted, not measured. Verification: `verify` with a depth-20 proof, as its
// execution gas (whole transaction minus the 21k base and the calldata) and whole, against a plain
// `isAnchored` read sent the same way. Execution gas comes from the opcode trace, since the
// whole transaction of a proof-heavy call is priced by the EIP-7623 calldata floor on current forks.
import { concat, encodeFunctionData, keccak256, toHex, type Hex } from 'viem';
import { anchorRegistryAbi } from '../src/chain/artifacts/index.ts';
import { startTestChain } from '../test/helpers/chain.ts';

export type ProvenanceGas = {
  anchorPerBatch: number;
  perDigestAt1M: number;
  loneDigest: number;
  /** anchorPerBatch / 1M divided by the lone digest's gas. */
  perDigestRatio: number;
  easAttest: number;
  verifyDepth20: { total: number; calldata: number; execution: number };
  isAnchoredCall: { total: number; calldata: number; execution: number };
};

const EAS_ATTEST_GAS = 232_000;

/** Calldata gas per EIP-2028: 4 per zero byte, 16 per non-zero byte. */
function calldataGas(data: Hex): number {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4 : 16;
  return gas;
}

/** Commutative pair hash of the OpenZeppelin standard tree. */
const hashPair = (a: Hex, b: Hex): Hex => keccak256(BigInt(a) < BigInt(b) ? concat([a, b]) : concat([b, a]));
const digestLeaf = (d: Hex): Hex => keccak256(keccak256(d));

/**
 * Measures anchoring and on-chain verification gas.
 * @example
 * const g = await measureProvenanceGas()
 */
export async function measureProvenanceGas(): Promise<ProvenanceGas> {
  const chain = await startTestChain();
  try {
    const { client } = chain;
    const registry = chain.address('AnchorRegistry');
    const wallet = chain.wallet(1);
    const send = async (root: Hex, size: bigint) => {
      const hash = await wallet.writeContract({ address: registry, abi: anchorRegistryAbi, functionName: 'anchor', args: [root, size] });
      return Number((await client.waitForTransactionReceipt({ hash })).gasUsed);
    };
    // Warm the submitter's account nonce path the same way for both rows: one throwaway anchor first.
    await send(keccak256(toHex('warm-up')), 1n);
    const loneDigest = await send(keccak256(toHex('one digest')), 1n);

    // A depth-20 proof: 20 sibling hashes from a leaf to the root it determines.
    const digest = keccak256(toHex('the anchored digest'));
    const proof: Hex[] = Array.from({ length: 20 }, (_, i) => keccak256(toHex(`sibling ${i}`)));
    const root = proof.reduce((node, sibling) => hashPair(node, sibling), digestLeaf(digest));
    const anchorPerBatch = await send(root, 1_000_000n);

    // Execution gas from the opcode trace (first step's gas left minus the last's): the whole-transaction
    // figure can be the EIP-7623 calldata floor on current forks and then says nothing about execution.
    const measure = async (data: Hex) => {
      const total = Number(await client.estimateGas({ account: wallet.account, to: registry, data }));
      const trace = (await client.request({
        method: 'debug_traceCall' as never,
        params: [{ from: wallet.account.address, to: registry, data }, 'latest', { disableStorage: true, disableMemory: true, disableStack: true }] as never,
      })) as { structLogs: { gas: number; gasCost: number }[] };
      const steps = trace.structLogs;
      const execution = steps[0]!.gas - steps.at(-1)!.gas + steps.at(-1)!.gasCost;
      return { total, calldata: calldataGas(data), execution };
    };
    const verifyData = encodeFunctionData({ abi: anchorRegistryAbi, functionName: 'verify', args: [proof, root, digest] });
    const ok = await client.readContract({ address: registry, abi: anchorRegistryAbi, functionName: 'verify', args: [proof, root, digest] });
    if (!ok) throw new Error('bench: the depth-20 proof did not verify on chain');
    const verifyDepth20 = await measure(verifyData);
    const isAnchoredCall = await measure(encodeFunctionData({ abi: anchorRegistryAbi, functionName: 'isAnchored', args: [root] }));

    const perDigestAt1M = anchorPerBatch / 1_000_000;
    return { anchorPerBatch, perDigestAt1M, loneDigest, perDigestRatio: perDigestAt1M / loneDigest, easAttest: EAS_ATTEST_GAS, verifyDepth20, isAnchoredCall };
  } finally {
    await chain.stop();
  }
}

export function provenanceGasReport(g: ProvenanceGas): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    'Anchoring gas (whole transactions, fresh devnet)',
    '',
    `  one batch root, any batch size         ${n(g.anchorPerBatch)} gas`,
    `  per digest at 1M digests in the batch  ${g.perDigestAt1M.toFixed(3)} gas   (goal <= 0.1: ${g.perDigestAt1M <= 0.1 ? 'met' : 'NOT met'})`,
    `  baseline: one digest per transaction   ${n(g.loneDigest)} gas   -> batched per digest is ${g.perDigestRatio.toExponential(2)}x of it`,
    `  EAS attest per attestation (quoted)    ${n(g.easAttest)} gas   -> ${(g.perDigestAt1M / g.easAttest).toExponential(2)}x`,
    '',
    'On-chain proof verification (AnchorRegistry.verify, estimateGas)',
    '',
    `  depth 20: execution ${n(g.verifyDepth20.execution)} gas, calldata ${n(g.verifyDepth20.calldata)}, whole tx ${n(g.verifyDepth20.total)}   (goal <= 30k: ${g.verifyDepth20.execution <= 30_000 ? 'met' : 'NOT met'} for the call; the whole tx is ${g.verifyDepth20.total <= 30_000 ? 'within it too' : 'over it: 21k base + calldata floor'})`,
    `  baseline isAnchored: execution ${n(g.isAnchoredCall.execution)} gas, whole tx ${n(g.isAnchoredCall.total)}   -> verify is ${(g.verifyDepth20.execution / g.isAnchoredCall.execution).toFixed(2)}x its execution`,
  ].join('\n');
}
