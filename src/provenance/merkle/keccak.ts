// Keccak-256 through the wasm module, for callers that hash many small messages (viem's keccak256 is pure JS).
import { toBytes, type Hex } from 'viem';
import { withWorkspace } from './wasm.ts';
import { nodeHex } from './hex.ts';

/**
 * Keccak-256 of `data` (bytes, or 0x hex) as 32 bytes.
 * @example keccak256Bytes(new Uint8Array()) // c5d2460186f7233c...
 */
export function keccak256Bytes(data: Uint8Array | Hex): Uint8Array {
  const bytes = typeof data === 'string' ? toBytes(data) : data;
  return withWorkspace(bytes.length + 32, ({ wasm, heap, base }) => {
    heap.set(bytes, base + 32);
    wasm.keccak(base + 32, bytes.length, base);
    return heap.slice(base, base + 32);
  });
}

/**
 * Keccak-256 of `data` as 0x hex; same result as viem's `keccak256`.
 * @example keccak256Hex('0x') // '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
 */
export function keccak256Hex(data: Uint8Array | Hex): Hex {
  return nodeHex(keccak256Bytes(data));
}
