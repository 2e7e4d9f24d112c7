import { keccakWasmBase64 } from '/work/main/src/provenance/merkle/keccakWasm.ts';
import { keccak256, toHex } from 'viem';
const mem = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
const inst = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(keccakWasmBase64, 'base64')), { env: { memory: mem } });
const x = inst.exports as any;
mem.grow(4000);
let u8 = new Uint8Array(mem.buffer);
for (const len of [0, 1, 32, 135, 136, 137, 300]) {
  const data = crypto.getRandomValues(new Uint8Array(len));
  u8.set(data, 4096); x.keccak(4096, len, 1024);
  console.log(len, toHex(u8.slice(1024, 1056)) === keccak256(data));
}
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
