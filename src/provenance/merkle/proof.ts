// Proof checks without a tree: fold the siblings over the leaf in one wasm call and compare with the root.
import type { Hex } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import { withWorkspace } from './wasm.ts';
import { nodeHex, putNode } from './hex.ts';

/** A 32-byte node as 0x hex or bytes. */
export type Node = Hex | Uint8Array;

/**
 * OpenZeppelin's node hash: keccak256 of the two children in ascending order.
 * @example hashPair(tree.leaf(0), tree.leaf(1))
 */
export function hashPair(a: Node, b: Node): Hex {
  return withWorkspace(96, ({ wasm, heap, base }) => {
    if (!putNode(a, heap, base)) throw new InvalidArgumentError('a', 'expected a 32-byte node');
    if (!putNode(b, heap, base + 32)) throw new InvalidArgumentError('b', 'expected a 32-byte node');
    wasm.hashPair(base, base + 32, base + 64);
    return nodeHex(heap, base + 64);
  });
}

/**
 * The root that `proof` leads to from `leaf` (OpenZeppelin's processProof).
 * @example processProof(tree.leaf(2), tree.proof(2)) === tree.root
 */
export function processProof(leaf: Node, proof: readonly Node[]): Hex {
  const bad = (field: string) => new InvalidArgumentError(field, 'expected a 32-byte node (0x + 64 hex digits)');
  // Workspace: the leaf (which becomes the running root), then the siblings.
  return withWorkspace(32 + proof.length * 32, ({ wasm, heap, base }) => {
    if (!putNode(leaf, heap, base)) throw bad('leaf');
    for (let i = 0; i < proof.length; i++) if (!putNode(proof[i]!, heap, base + 32 + 32 * i)) throw bad(`proof[${i}]`);
    wasm.processProof(base, base + 32, proof.length, base);
    return nodeHex(heap, base);
  });
}

/**
 * Whether `proof` leads from `leaf` to `root`. Malformed input (not 32-byte nodes) is simply not a proof: false.
 * @example verifyProof(receipt.root, digestLeaf(receipt.digest), receipt.proof) // true
 */
export function verifyProof(root: Node, leaf: Node, proof: readonly Node[]): boolean {
  // Workspace: the expected root, the leaf (which becomes the computed root), then the siblings.
  return withWorkspace(64 + proof.length * 32, ({ wasm, heap, base }) => {
    if (!putNode(root, heap, base) || !putNode(leaf, heap, base + 32)) return false;
    for (let i = 0; i < proof.length; i++) if (!putNode(proof[i]!, heap, base + 64 + 32 * i)) return false;
    wasm.processProof(base + 32, base + 64, proof.length, base + 32);
    for (let i = 0; i < 32; i++) if (heap[base + i] !== heap[base + 32 + i]) return false;
    return true;
  });
}
