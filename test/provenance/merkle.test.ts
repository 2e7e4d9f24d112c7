// The provenance Merkle core against the references it must match byte for byte: viem's keccak256,
// @openzeppelin/merkle-tree's StandardMerkleTree (sortLeaves: false) for leaves, roots, proofs and dumps.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { bytesToHex, concat, keccak256, type Hex } from 'viem';
import { InvalidArgumentError } from '../../src/errors/index.ts';
import {
  MerkleTree,
  digestLeaf,
  digestLeaves,
  hashPair,
  keccak256Bytes,
  keccak256Hex,
  processProof,
  setMerkleThreads,
  standardLeafHash,
  verifyProof,
} from '../../src/provenance/merkle/index.ts';
import { compileKeccakWasm, keccakWasmModule, modulePath } from '../../scripts/build-wasm.js';

const hexes = (bytes: Uint8Array): Hex[] => Array.from({ length: bytes.length / 32 }, (_, i) => bytesToHex(bytes.subarray(32 * i, 32 * i + 32)));
const ozTree = (digests: Hex[]) => StandardMerkleTree.of(digests.map((d) => [d]), ['bytes32'], { sortLeaves: false });
const flip = (h: Hex, at = 10): Hex => `${h.slice(0, at)}${h[at] === '0' ? '1' : '0'}${h.slice(at + 1)}` as Hex;

describe('keccak256 in wasm', () => {
  test('matches viem at every length around the 136-byte rate', () => {
    const lengths = [0, 1, 31, 32, 33, 63, 64, 65, 134, 135, 136, 137, 271, 272, 273, 1000, 4096];
    for (let i = 0; i < 40; i++) lengths.push(Math.floor(Math.random() * 600));
    for (const len of lengths) {
      const data = randomBytes(len);
      assert.equal(keccak256Hex(data), keccak256(data), `length ${len}`);
      assert.deepEqual(keccak256Bytes(bytesToHex(data)), keccak256(data, 'bytes'), `hex input, length ${len}`);
    }
  });

  test('the committed wasm module is the build of keccak.wat', async () => {
    const built = keccakWasmModule(await compileKeccakWasm());
    assert.equal(readFileSync(modulePath, 'utf8'), built, 'run node scripts/build-wasm.js and commit keccakWasm.ts');
  });
});

describe('leaves', () => {
  test('digestLeaf and digestLeaves equal OpenZeppelin standard leaves of bytes32', () => {
    for (const n of [1, 2, 3, 8, 33]) {
      const digests = randomBytes(32 * n);
      const values = hexes(digests);
      const oz = ozTree(values);
      const batch = hexes(digestLeaves(digests));
      values.forEach((v, i) => {
        assert.equal(batch[i], oz.leafHash([v]));
        assert.equal(bytesToHex(digestLeaf(v)), oz.leafHash([v]));
        assert.equal(bytesToHex(digestLeaf(digests.subarray(32 * i, 32 * i + 32))), oz.leafHash([v]));
      });
    }
    assert.throws(() => digestLeaves(new Uint8Array(33)), InvalidArgumentError);
    assert.throws(() => digestLeaf('0x1234'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'digest');
  });

  test("standardLeafHash equals OpenZeppelin's for the manifest encoding ['string','uint256','bytes32']", () => {
    const types = ['string', 'uint256', 'bytes32'];
    const rows: unknown[][] = [
      ['data/train/0001.csv', 1024n, bytesToHex(randomBytes(32))],
      ['', 0n, `0x${'00'.repeat(32)}`],
      ['ünïcödé/😀 path with spaces', 2n ** 255n + 7n, bytesToHex(randomBytes(32))],
      ['x'.repeat(200), 10_737_418_240n, bytesToHex(randomBytes(32))],
    ];
    const oz = StandardMerkleTree.of(rows, types, { sortLeaves: false });
    rows.forEach((row) => assert.equal(standardLeafHash(types, row), oz.leafHash(row)));
    // OpenZeppelin takes integers as decimal strings too; so do we.
    assert.equal(standardLeafHash(types, ['a', '1024', rows[0]![2]]), oz.leafHash(['a', 1024n, rows[0]![2]]));
    assert.throws(() => standardLeafHash(types, ['a', 1n]), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'values');
  });
});

describe('trees', () => {
  test('roots, leaves and proofs equal StandardMerkleTree (sortLeaves: false) for n = 1..70', () => {
    for (let n = 1; n <= 70; n++) {
      const digests = randomBytes(32 * n);
      const values = hexes(digests);
      const oz = ozTree(values);
      const ours = MerkleTree.fromDigests(digests);
      assert.equal(ours.root, oz.root, `root, n=${n}`);
      assert.equal(ours.leafCount, n);
      assert.equal(MerkleTree.fromLeaves(digestLeaves(digests)).root, oz.root, `fromLeaves, n=${n}`);
      for (let i = 0; i < n; i++) {
        assert.equal(ours.leaf(i), oz.leafHash([values[i]!]));
        assert.deepEqual(ours.proof(i), oz.getProof(i), `proof ${i}, n=${n}`);
        assert.deepEqual(hexes(ours.proofBytes(i)), ours.proof(i));
      }
    }
  });

  test('big trees equal StandardMerkleTree (n = 1000, 4097, 8193)', () => {
    for (const n of [1000, 4097, 8193]) {
      const digests = randomBytes(32 * n);
      const values = hexes(digests);
      const oz = ozTree(values);
      const ours = MerkleTree.fromDigests(digests);
      assert.equal(ours.root, oz.root, `root, n=${n}`);
      for (const i of [0, 1, n >> 1, n - 2, n - 1]) assert.deepEqual(ours.proof(i), oz.getProof(i), `proof ${i}, n=${n}`);
    }
  });

  test('trees big enough for level-by-level work on two threads equal a plain JS build and a one-thread build', () => {
    // Reference: OpenZeppelin's makeMerkleTree written out with viem's keccak256, over the whole heap array.
    const reference = (digests: Uint8Array) => {
      const n = digests.length / 32;
      const nodes = new Uint8Array((2 * n - 1) * 32);
      for (let i = 0; i < n; i++) nodes.set(keccak256(keccak256(digests.subarray(32 * i, 32 * i + 32), 'bytes'), 'bytes'), 32 * (2 * n - 2 - i));
      for (let i = n - 2; i >= 0; i--) {
        const [a, b] = [nodes.subarray(32 * (2 * i + 1), 32 * (2 * i + 2)), nodes.subarray(32 * (2 * i + 2), 32 * (2 * i + 3))];
        nodes.set(keccak256(Buffer.compare(a, b) <= 0 ? concat([a, b]) : concat([b, a]), 'bytes'), 32 * i);
      }
      return nodes;
    };
    const before = setMerkleThreads(2);
    try {
      for (const n of [40_000, 65_537]) {
        const digests = randomBytes(32 * n);
        setMerkleThreads(2);
        const two = MerkleTree.fromDigests(digests);
        setMerkleThreads(1);
        const one = MerkleTree.fromDigests(digests);
        assert.ok(Buffer.from(two.nodes).equals(Buffer.from(one.nodes)), `n=${n}: one and two threads differ`);
        if (n === 40_000) assert.ok(Buffer.from(two.nodes).equals(Buffer.from(reference(digests))), `n=${n}: differs from the reference`);
        const leaves = digestLeaves(digests);
        assert.equal(MerkleTree.fromLeaves(leaves).root, two.root);
        setMerkleThreads(2);
        assert.equal(MerkleTree.fromLeaves(leaves).root, two.root);
      }
    } finally {
      setMerkleThreads(before);
    }
  });

  test('dump loads into StandardMerkleTree, and fromNodes restores the tree', () => {
    const values = hexes(randomBytes(32 * 11));
    const ours = MerkleTree.fromDigests(Buffer.concat(values.map((v) => Buffer.from(v.slice(2), 'hex'))));
    const loaded = StandardMerkleTree.load(ours.dump(['bytes32'], values.map((v) => [v])) as never);
    loaded.validate();
    assert.equal(loaded.root, ours.root);
    assert.deepEqual(loaded.getProof([values[4]!]), ours.proof(4));
    const again = MerkleTree.fromNodes(ours.nodes);
    assert.equal(again.root, ours.root);
    assert.deepEqual(again.proof(7), ours.proof(7));
  });

  test('a 600k-leaf tree (memory dropped after) leaves small calls working', () => {
    const digests = randomBytes(32 * 600_000);
    const tree = MerkleTree.fromDigests(digests);
    const i = 123_456;
    const leaf = digestLeaf(digests.subarray(32 * i, 32 * i + 32));
    assert.equal(tree.leaf(i), bytesToHex(leaf));
    assert.equal(tree.proof(i).length, 20);
    assert.ok(verifyProof(tree.root, leaf, tree.proof(i)));
    assert.equal(keccak256Hex('0x'), keccak256('0x'));
  });

  test('bad input names the field', () => {
    const field = (name: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === name;
    assert.throws(() => MerkleTree.fromLeaves(new Uint8Array()), field('leaves'));
    assert.throws(() => MerkleTree.fromDigests(new Uint8Array(40)), field('digests'));
    assert.throws(() => MerkleTree.fromNodes(new Uint8Array(64)), field('nodes'));
    const tree = MerkleTree.fromDigests(randomBytes(96));
    assert.throws(() => tree.proof(3), field('index'));
    assert.throws(() => tree.leaf(-1), field('index'));
    assert.throws(() => tree.dump(['bytes32'], []), field('values'));
  });
});

describe('proofs', () => {
  test('every proof verifies, and OpenZeppelin accepts them', () => {
    for (const n of [1, 2, 3, 5, 16, 17, 70]) {
      const digests = randomBytes(32 * n);
      const values = hexes(digests);
      const tree = MerkleTree.fromDigests(digests);
      for (let i = 0; i < n; i++) {
        const proof = tree.proof(i);
        assert.ok(verifyProof(tree.root, tree.leaf(i), proof), `n=${n} i=${i}`);
        assert.ok(verifyProof(tree.root, digestLeaf(values[i]!), proof.map((p) => Buffer.from(p.slice(2), 'hex'))));
        assert.equal(processProof(tree.leaf(i), proof), tree.root);
        assert.ok(StandardMerkleTree.verify(tree.root, ['bytes32'], [values[i]!], proof), `OZ verify n=${n} i=${i}`);
      }
    }
  });

  test('a tampered leaf, sibling, root or proof length does not verify', () => {
    const tree = MerkleTree.fromDigests(randomBytes(32 * 37));
    const proof = tree.proof(5);
    const leaf = tree.leaf(5);
    assert.ok(verifyProof(tree.root, leaf, proof));
    assert.equal(verifyProof(tree.root, flip(leaf), proof), false, 'leaf');
    assert.equal(verifyProof(tree.root, tree.leaf(6), proof), false, 'proof of another leaf');
    assert.equal(verifyProof(flip(tree.root, 65), leaf, proof), false, 'root');
    for (let k = 0; k < proof.length; k++) {
      assert.equal(verifyProof(tree.root, leaf, proof.map((p, j) => (j === k ? flip(p) : p))), false, `sibling ${k}`);
    }
    assert.equal(verifyProof(tree.root, leaf, proof.slice(0, -1)), false, 'truncated');
    assert.equal(verifyProof(tree.root, leaf, [...proof, proof[0]!]), false, 'extended');
    assert.equal(verifyProof(tree.root, leaf, [...proof.slice(0, 2), proof[3]!, proof[2]!, ...proof.slice(4)]), false, 'reordered');
    // The double-hashed leaf keeps an inner node from passing as a leaf.
    assert.equal(verifyProof(tree.root, hashPair(leaf, proof[0]!), proof.slice(1)), true, 'an inner node is on the path');
    assert.equal(verifyProof(tree.root, digestLeaf(hashPair(leaf, proof[0]!)), proof.slice(1)), false, 'but not as a digest');
  });

  test('malformed nodes are not proofs (verify) and name the field (processProof)', () => {
    const tree = MerkleTree.fromDigests(randomBytes(32 * 4));
    const proof = tree.proof(1);
    const leaf = tree.leaf(1);
    for (const bad of ['0x', '0x12', `${leaf}00`, `0x${'zz'.repeat(32)}`, leaf.slice(2), `0x${'é'.repeat(64)}`]) {
      assert.equal(verifyProof(tree.root, bad as Hex, proof), false, bad);
      assert.equal(verifyProof(bad as Hex, leaf, proof), false, bad);
      assert.equal(verifyProof(tree.root, leaf, [bad as Hex, ...proof.slice(1)]), false, bad);
    }
    assert.equal(verifyProof(tree.root, new Uint8Array(31), proof), false);
    assert.ok(verifyProof(tree.root.toUpperCase().replace('0X', '0x') as Hex, leaf, proof), 'upper-case hex is hex');
    assert.throws(() => processProof(leaf, [proof[0]!, '0x12']), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'proof[1]');
    assert.throws(() => processProof('0x', proof), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'leaf');
  });

  test('hashPair sorts the children', () => {
    const [a, b] = [bytesToHex(randomBytes(32)), bytesToHex(randomBytes(32))];
    const [lo, hi] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
    assert.equal(hashPair(a, b), keccak256(concat([lo, hi])));
    assert.equal(hashPair(b, a), hashPair(a, b));
    assert.equal(hashPair(a, a), keccak256(concat([a, a])));
  });
});
