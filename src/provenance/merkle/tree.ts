// OpenZeppelin's standard Merkle tree, built in WebAssembly: the same heap array as `makeMerkleTree`
// (node i has children 2i+1 and 2i+2, leaf i sits at node 2n-2-i, the root at node 0) over leaves kept in the
// given order (sortLeaves: false), so roots and proofs match StandardMerkleTree and MerkleProof.sol.
import type { Hex } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import { withWorkspace } from './wasm.ts';
import { buildTree } from './jobs.ts';
import { nodeHex } from './hex.ts';

/** OpenZeppelin's StandardMerkleTree dump (`StandardMerkleTree.load` reads it). */
export type StandardTreeDump = {
  format: 'standard-v1';
  leafEncoding: string[];
  tree: Hex[];
  values: { value: unknown[]; treeIndex: number }[];
};

/**
 * A built tree: root, leaves and proofs. Big trees are built on two threads (see jobs.ts).
 * @example
 * const tree = MerkleTree.fromDigests(digests); // n*32 bytes
 * const receipt = { root: tree.root, proof: tree.proof(7) };
 */
export class MerkleTree {
  /**
   * All 2n-1 nodes, 32 bytes each, in heap order. For big trees this views the (shared) wasm memory the tree
   * was built in, rather than a copy; treat it as read-only.
   */
  readonly nodes: Uint8Array;
  readonly leafCount: number;
  readonly root: Hex;

  private constructor(nodes: Uint8Array, leafCount: number) {
    this.nodes = nodes;
    this.leafCount = leafCount;
    this.root = nodeHex(nodes, 0);
  }

  /**
   * The tree over n leaf hashes given back to back (n*32 bytes, n >= 1), in their order.
   * @example MerkleTree.fromLeaves(digestLeaves(digests)).root
   */
  static fromLeaves(leaves: Uint8Array): MerkleTree {
    const n = leafCountOf(leaves, 'leaves');
    return MerkleTree.build(leaves, n, false);
  }

  /**
   * The tree over the standard leaves of n bytes32 values (n*32 bytes): digestLeaves and fromLeaves in
   * one pass through the wasm memory. This is the batch and file-chunk tree.
   * @example MerkleTree.fromDigests(chunkSha256s).root // a file's digest
   */
  static fromDigests(digests: Uint8Array): MerkleTree {
    const n = leafCountOf(digests, 'digests');
    return MerkleTree.build(digests, n, true);
  }

  /** Rebuild from the `nodes` of a tree (checks the size, trusts the hashes; use for trees you stored). */
  static fromNodes(nodes: Uint8Array): MerkleTree {
    if (nodes.length === 0 || nodes.length % 64 !== 32) {
      throw new InvalidArgumentError('nodes', `length ${nodes.length} is not (2n-1)*32 bytes`);
    }
    return new MerkleTree(nodes, (nodes.length / 32 + 1) / 2);
  }

  // Workspace: the 2n-1 nodes, the inputs copied into the last n slots. Leaves are hashed and reversed in
  // place, then the inner nodes are built level by level (on two threads for big trees).
  private static build(input: Uint8Array, n: number, hashLeaves: boolean): MerkleTree {
    const treeBytes = (2 * n - 1) * 32;
    return withWorkspace(treeBytes, (w) => {
      w.heap.set(input, w.base + 32 * (n - 1));
      buildTree(w, w.base, n, hashLeaves);
      return new MerkleTree(w.keep(w.base, treeBytes), n);
    });
  }

  /** Heap index of leaf i. */
  private nodeIndex(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.leafCount) {
      throw new InvalidArgumentError('index', `leaf ${i} is outside 0..${this.leafCount - 1}`);
    }
    return 2 * this.leafCount - 2 - i;
  }

  /** Leaf hash i (in the order given). */
  leaf(i: number): Hex {
    return nodeHex(this.nodes, this.nodeIndex(i) * 32);
  }

  /**
   * Sibling hashes from leaf i up to the root, as OpenZeppelin's getProof and MerkleProof.verify take them.
   * @example verifyProof(tree.root, tree.leaf(3), tree.proof(3)) // true
   */
  proof(i: number): Hex[] {
    const out: Hex[] = [];
    for (let k = this.nodeIndex(i); k > 0; k = (k - 1) >> 1) out.push(nodeHex(this.nodes, (k % 2 === 1 ? k + 1 : k - 1) * 32));
    return out;
  }

  /** The proof of leaf i as depth*32 bytes (for binary formats and bulk receipts). */
  proofBytes(i: number): Uint8Array {
    let depth = 0;
    for (let k = this.nodeIndex(i); k > 0; k = (k - 1) >> 1) depth++;
    const out = new Uint8Array(depth * 32);
    let at = 0;
    for (let k = this.nodeIndex(i); k > 0; k = (k - 1) >> 1, at += 32) {
      const s = (k % 2 === 1 ? k + 1 : k - 1) * 32;
      out.set(this.nodes.subarray(s, s + 32), at);
    }
    return out;
  }

  /**
   * The tree in OpenZeppelin's dump format, given the values the leaves were made of (leaf i from values[i]).
   * @example StandardMerkleTree.load(tree.dump(['bytes32'], digests.map((d) => [d])))
   */
  dump(leafEncoding: readonly string[], values: readonly (readonly unknown[])[]): StandardTreeDump {
    if (values.length !== this.leafCount) {
      throw new InvalidArgumentError('values', `${values.length} values for ${this.leafCount} leaves`);
    }
    const tree: Hex[] = [];
    for (let k = 0; k < 2 * this.leafCount - 1; k++) tree.push(nodeHex(this.nodes, k * 32));
    return {
      format: 'standard-v1',
      leafEncoding: [...leafEncoding],
      tree,
      values: values.map((value, i) => ({ value: [...value], treeIndex: this.nodeIndex(i) })),
    };
  }
}

function leafCountOf(bytes: Uint8Array, field: string): number {
  if (bytes.length === 0 || bytes.length % 32 !== 0) {
    throw new InvalidArgumentError(field, `length ${bytes.length} is not n*32 bytes with n >= 1`);
  }
  return bytes.length / 32;
}
