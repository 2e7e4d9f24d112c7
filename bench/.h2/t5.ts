import { withWorkspace } from '../../src/provenance/merkle/wasm.ts';
const cpu = (fn: () => void) => { const c = process.cpuUsage(); const t = performance.now(); fn(); const d = process.cpuUsage(c); return `cpu ${((d.user + d.system) / 1000).toFixed(0)} ms wall ${(performance.now() - t).toFixed(0)} ms`; };
const N = 1 << 20;
withWorkspace(N * 32 * 4, ({ wasm, heap, base }) => {
  for (let i = 0; i < N * 32; i += 65536) crypto.getRandomValues(heap.subarray(base + i, base + i + 65536));
  for (let r = 0; r < 3; r++) {
    console.log('processProof 200k pairs (scalar)', cpu(() => wasm.processProof(base, base + 32, 200000, base + N * 32 * 3)));
    console.log('digestLeaves 1M (2M perms simd)', cpu(() => wasm.digestLeaves(base, N, base + N * 32)));
    console.log('place+build 1M', cpu(() => { wasm.placeLeaves(base + N * 32, N, base + 2 * N * 32); wasm.buildNodes(base + 2 * N * 32, 0, N - 1); }));
  }
});
