// Merkle trees of the provenance domain, compatible with @openzeppelin/merkle-tree's StandardMerkleTree
// (leaves in the given order) and MerkleProof.sol, with keccak in WebAssembly for million-leaf batches.
export { MerkleTree, type StandardTreeDump } from './tree.ts';
export { digestLeaf, digestLeaves, standardLeafHash } from './leaves.ts';
export { hashPair, processProof, verifyProof, type Node } from './proof.ts';
export { keccak256Bytes, keccak256Hex } from './keccak.ts';
export { setMerkleThreads } from './jobs.ts';
