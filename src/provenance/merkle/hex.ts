// Hex <-> bytes for 32-byte nodes, written straight into the wasm workspace: proofs arrive as hex strings,
// and decoding them is most of a proof check's cost outside the permutations.
import type { Hex } from 'viem';

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[65 + i] = NIBBLE[97 + i] = 10 + i;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Decode a 32-byte node (0x + 64 hex digits, or 32 bytes) into `out` at `at`.
 * Returns false when it is not one, leaving `out` partly written.
 */
export function putNode(value: Hex | Uint8Array, out: Uint8Array, at: number): boolean {
  if (typeof value !== 'string') {
    if (!(value instanceof Uint8Array) || value.length !== 32) return false;
    out.set(value, at);
    return true;
  }
  if (value.length !== 66 || value.charCodeAt(0) !== 48 || (value.charCodeAt(1) | 32) !== 120) return false;
  for (let i = 0; i < 32; i++) {
    const hi = NIBBLE[value.charCodeAt(2 + 2 * i) & 127]!;
    const lo = NIBBLE[value.charCodeAt(3 + 2 * i) & 127]!;
    if ((hi | lo) < 0 || value.charCodeAt(2 + 2 * i) > 127 || value.charCodeAt(3 + 2 * i) > 127) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

/** Lower-case 0x hex of `len` bytes of `bytes` from `at`. */
export function nodeHex(bytes: Uint8Array, at = 0, len = 32): Hex {
  let s = '0x';
  for (let i = at; i < at + len; i++) s += HEX[bytes[i]!];
  return s as Hex;
}
