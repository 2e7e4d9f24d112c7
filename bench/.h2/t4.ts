import { randomBytes } from 'node:crypto';
import { bytesToHex } from 'viem';
import { withWorkspace } from '../../src/provenance/merkle/wasm.ts';
const hexes = Array.from({ length: 1000 }, () => bytesToHex(randomBytes(32)));
const mem = new Uint8Array(65536 * 4);
const buf = Buffer.from(mem.buffer, 0, mem.length);
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  let bad = 0;
  for (let r = 0; r < 100; r++) for (let i = 0; i < 1000; i++) { const h = hexes[i]!; if (buf.write(h.slice(2), 100 + 32 * (i & 7), 32, 'hex') !== 32) bad++; }
  console.log('buf.write ns', ((performance.now() - t) * 1e6 / 100000).toFixed(0), bad);
  t = performance.now();
  withWorkspace(4096, ({ wasm, base }) => { for (let r = 0; r < 100000; r++) wasm.digestLeaves(base, 1, base); });
  console.log('1 leaf (2 scalar perms) ns', ((performance.now() - t) * 1e6 / 100000).toFixed(0));
  t = performance.now();
  withWorkspace(4096, ({ wasm, base }) => { for (let r = 0; r < 100000; r++) wasm.digestLeaves(base, 2, base); });
  console.log('2 leaves (2 simd perms) ns', ((performance.now() - t) * 1e6 / 100000).toFixed(0));
  t = performance.now();
  withWorkspace(4096, ({ wasm, base }) => { for (let r = 0; r < 100000; r++) wasm.hashPair(base, base+32, base+64); });
  console.log('hashPair ns', ((performance.now() - t) * 1e6 / 100000).toFixed(0));
}
