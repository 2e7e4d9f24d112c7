import { randomBytes } from 'node:crypto';
import { MerkleTree, verifyProof, digestLeaf } from '../../src/provenance/merkle/index.ts';
import { putNode } from '../../src/provenance/merkle/hex.ts';
import { withWorkspace } from '../../src/provenance/merkle/wasm.ts';
const tree = MerkleTree.fromDigests(randomBytes(32 * (1 << 16)));
const cases = Array.from({ length: 5000 }, (_, k) => ({ leaf: tree.leaf(k * 13), proof: tree.proof(k * 13) }));
for (let rep = 0; rep < 3; rep++) {
  let t = performance.now();
  for (let r = 0; r < 10; r++) for (const c of cases) verifyProof(tree.root, c.leaf, c.proof);
  console.log('verify us', ((performance.now() - t) * 1000 / 50000).toFixed(2));
  const buf = new Uint8Array(1024);
  t = performance.now();
  for (let r = 0; r < 10; r++) for (const c of cases) { putNode(c.leaf, buf, 0); for (let i = 0; i < c.proof.length; i++) putNode(c.proof[i]!, buf, 32); }
  console.log('decode us', ((performance.now() - t) * 1000 / 50000).toFixed(2));
  t = performance.now();
  withWorkspace(2048, ({ wasm, base }) => { for (let r = 0; r < 50000; r++) wasm.processProof(base, base + 32, 16, base); });
  console.log('wasm depth16 us', ((performance.now() - t) * 1000 / 50000).toFixed(2));
}
