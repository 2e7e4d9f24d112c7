// Hex <-> bytes for 32-byte nodes, written straight into the wasm workspace: proofs arrive as hex strings,
// and decoding them is most of a proof check's cost outside the permutations.
import type { Hex } from 'viem';

// Byte value of each pair of ASCII hex digits, indexed by (first << 7) | second; -1 when not hex.
const PAIR = new Int16Array(1 << 14).fill(-1);
const DIGITS = '0123456789abcdef';
for (let hi = 0; hi < 16; hi++) {
  for (let lo = 0; lo < 16; lo++) {
    for (const a of new Set([DIGITS[hi]!, DIGITS[hi]!.toUpperCase()])) {
      for (const b of new Set([DIGITS[lo]!, DIGITS[lo]!.toUpperCase()])) PAIR[(a.charCodeAt(0) << 7) | b.charCodeAt(0)] = (hi << 4) | lo;
    }
  }
}

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
    const a = value.charCodeAt(2 + 2 * i);
    const b = value.charCodeAt(3 + 2 * i);
    if ((a | b) > 127) return false;
    const byte = PAIR[(a << 7) | b]!;
    if (byte < 0) return false;
    out[at + i] = byte;
  }
  return true;
}

/** Lower-case 0x hex of `len` bytes of `bytes` from `at`. */
export function nodeHex(bytes: Uint8Array, at = 0, len = 32): Hex {
  let s = '0x';
  for (let i = at; i < at + len; i++) s += HEX[bytes[i]!];
  return s as Hex;
}
