import { keccakWasmBase64 } from '../../src/provenance/merkle/keccakWasm.ts';
import { keccak256, toHex } from 'viem';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
const mem = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
const inst = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(keccakWasmBase64, 'base64')), { env: { memory: mem } });
const x = inst.exports as any;
mem.grow(4000);
let u8 = new Uint8Array(mem.buffer);
let ok = true;
for (let n = 1; n <= 40; n++) {
  const d = crypto.getRandomValues(new Uint8Array(32 * n));
  u8.set(d, 65536);
  const vals = Array.from({ length: n }, (_, i) => [toHex(d.subarray(32 * i, 32 * i + 32))]);
  const oz = StandardMerkleTree.of(vals, ['bytes32'], { sortLeaves: false });
  x.digestLeaves(65536, n, 65536);
  for (let i = 0; i < n; i++) if (toHex(u8.slice(65536 + 32 * i, 65536 + 32 * i + 32)) !== oz.leafHash(vals[i])) { ok = false; console.log('leaf', n, i); }
  x.placeLeaves(65536, n, 200000);
  x.buildNodes(200000, 0, n - 1);
  if (toHex(u8.slice(200000, 200032)) !== oz.root) { ok = false; console.log('root', n); }
}
console.log('ok', ok);
const n = 1 << 20;
const base = 65536;
for (let i = 0; i < n * 32; i += 65536) crypto.getRandomValues(u8.subarray(base + i, base + i + 65536));
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  x.digestLeaves(base, n, base);
  const t1 = performance.now() - t;
  const tree = base + n * 32;
  t = performance.now();
  x.placeLeaves(base, n, tree);
  x.buildNodes(tree, 0, n - 1);
  console.log('leaves', t1.toFixed(0), 'ms  tree', (performance.now() - t).toFixed(0), 'ms');
}
