// Leaf hashes of OpenZeppelin's standard Merkle tree: keccak256(keccak256(abi.encode(values))). The double
// hash keeps a leaf from ever equalling an inner node (64-byte preimage), so a proof cannot stop halfway.
import { encodeAbiParameters, hexToBytes, type Hex } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import { withWorkspace } from './wasm.ts';
import { nodeHex, putNode } from './hex.ts';

/**
 * The standard leaf of one bytes32 value (`['bytes32']` leaf encoding): a file's chunk, a batch's digest.
 * @example digestLeaf('0x' + '11'.repeat(32)) // Uint8Array(32)
 */
export function digestLeaf(digest: Hex | Uint8Array): Uint8Array {
  return withWorkspace(32, ({ wasm, heap, base }) => {
    if (!putNode(digest, heap, base)) throw new InvalidArgumentError('digest', 'expected 32 bytes (0x + 64 hex digits)');
    wasm.digestLeaves(base, 1, base);
    return heap.slice(base, base + 32);
  });
}

/**
 * Standard leaves of n bytes32 values given back to back (n*32 bytes), in one wasm call.
 * @example digestLeaves(concatenatedDigests) // n*32 bytes, leaf i at i*32
 */
export function digestLeaves(digests: Uint8Array): Uint8Array {
  if (digests.length % 32 !== 0) throw new InvalidArgumentError('digests', `length ${digests.length} is not a multiple of 32`);
  return withWorkspace(digests.length, ({ wasm, heap, base }) => {
    heap.set(digests, base);
    wasm.digestLeaves(base, digests.length / 32, base);
    return heap.slice(base, base + digests.length);
  });
}

/**
 * OpenZeppelin's `standardLeafHash`: keccak256(keccak256(abi.encode(types, values))). Integer values may be
 * bigint, number or decimal string, as OpenZeppelin accepts.
 * @example standardLeafHash(['string', 'uint256', 'bytes32'], ['data/a.csv', 1024n, fileRoot])
 */
export function standardLeafHash(types: readonly string[], values: readonly unknown[]): Hex {
  if (types.length !== values.length) {
    throw new InvalidArgumentError('values', `${values.length} values for ${types.length} types`);
  }
  const coerced = values.map((v, i) => (/^u?int\d*$/.test(types[i]!) && typeof v === 'string' ? BigInt(v) : v));
  const encoded = encodeAbiParameters(
    types.map((type) => ({ type })),
    coerced,
  );
  const bytes = hexToBytes(encoded);
  return withWorkspace(bytes.length + 32, ({ wasm, heap, base }) => {
    heap.set(bytes, base + 32);
    wasm.keccak(base + 32, bytes.length, base);
    wasm.keccak(base, 32, base);
    return nodeHex(heap, base);
  });
}
