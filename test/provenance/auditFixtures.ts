// Fixtures of the verify, audit, CLI and MCP tests: a devnet whose deployment has the provenance
// registries, datasets written to disk, and batches anchored for real with receipts built from them.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { writeDeployment } from '../../src/chain/deployments.ts';
import { anchorRegistryAbi, anchorRegistryBytecode, provenanceRegistryAbi, provenanceRegistryBytecode } from '../../src/chain/artifacts/index.ts';
import { anchorRoot } from '../../src/provenance/actions.ts';
import { digestLeaves, MerkleTree } from '../../src/provenance/merkle/index.ts';
import type { AnchorReceipt } from '../../src/provenance/types.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

export type ProvenanceChain = TestChain & { anchorRegistry: Address; provenanceRegistry: Address };

/** The test devnet; the registries are deployed here if the protocol plan does not (yet) deploy them. */
export async function startProvenanceChain(): Promise<ProvenanceChain> {
  const chain = await startTestChain();
  const deployer = chain.wallet(0);
  for (const [name, abi, bytecode, args] of [
    ['AnchorRegistry', anchorRegistryAbi, anchorRegistryBytecode, []],
    ['ProvenanceRegistry', provenanceRegistryAbi, provenanceRegistryBytecode, [chain.address('IdentityRegistry')]],
  ] as const) {
    if (chain.deployment.contracts[name]) continue;
    const hash = await deployer.deployContract({ abi: abi as any, bytecode: bytecode as Hex, args: args as any });
    const r = await chain.client.waitForTransactionReceipt({ hash });
    chain.deployment.contracts[name] = { address: r.contractAddress!, blockNumber: Number(r.blockNumber) };
  }
  writeDeployment(chain.deploymentsDir, chain.deployment);
  return { ...chain, anchorRegistry: chain.address('AnchorRegistry'), provenanceRegistry: chain.address('ProvenanceRegistry') };
}

/** Writes `files` (relative path -> content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
}

/** A dataset of `n` small JSON records under `dir/records/`, plus a README. */
export function writeDataset(dir: string, n: number, seed = 'v1'): void {
  const files: Record<string, string> = { 'README.md': `# patients ${seed}\n` };
  for (let i = 0; i < n; i++) files[`records/p-${String(i).padStart(5, '0')}.json`] = JSON.stringify({ id: i, seed, age: 20 + (i % 60), dx: `code-${(i * 7919) % 1000}` });
  writeFiles(dir, files);
}

/** Anchors the batch of `digests` on chain (as the node's aggregator would) and builds each receipt. */
export async function anchorBatch(chain: ProvenanceChain, digests: readonly Hex[], signer = 0): Promise<AnchorReceipt[]> {
  const packed = new Uint8Array(digests.length * 32);
  digests.forEach((d, i) => packed.set(hexToBytes(d), i * 32));
  const tree = MerkleTree.fromLeaves(digestLeaves(packed));
  const a = await anchorRoot(chain.wallet(signer), { registry: chain.anchorRegistry, root: tree.root, size: BigInt(digests.length) });
  return digests.map((digest, index) => ({
    type: 'machina.anchor-receipt',
    version: 1,
    digest: digest.toLowerCase() as Hex,
    status: 'anchored',
    submittedAt: new Date().toISOString(),
    chainId: chain.client.chain.id,
    registry: chain.anchorRegistry,
    batch: { root: tree.root, size: digests.length, index, proof: tree.proof(index) },
    anchor: { txHash: a.txHash, blockNumber: String(a.blockNumber), blockHash: a.blockHash, timestamp: Number(a.timestamp), submitter: a.submitter },
  }));
}

export const randomDigest = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
