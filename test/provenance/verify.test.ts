// verifyReceipt against a real devnet: one test per verdict (each with its exit code), offline checks
// against saved block data, and no crash for any input however broken.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createPublicClient, defineChain, getAddress, http } from 'viem';
import type { MachinaPublicClient } from '../../src/chain/clients.ts';
import { anchorsCacheFile, loadAnchorsCache, parseSavedAnchors, readSavedAnchors, saveAnchors } from '../../src/provenance/anchorsCache.ts';
import { listChainAnchors } from '../../src/provenance/chainAnchors.ts';
import { hashDirectory } from '../../src/provenance/directory.ts';
import { hashFile } from '../../src/provenance/hash.ts';
import { parseReceipt } from '../../src/provenance/receipt.ts';
import { VERIFY_VERDICTS, type AnchorReceipt, type SavedAnchor, type VerifyVerdict } from '../../src/provenance/types.ts';
import { verifyReceipt } from '../../src/provenance/verify.ts';
import { anchorBatch, randomDigest, startProvenanceChain, writeDataset, type ProvenanceChain } from './auditFixtures.ts';

let chain: ProvenanceChain;
let dir: string;
let file: string;
let receipts: AnchorReceipt[];
let dirReceipt: AnchorReceipt;
let saved: SavedAnchor;
const seen = new Set<VerifyVerdict>();

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
async function expectVerdict(verdict: VerifyVerdict, p: Parameters<typeof verifyReceipt>[0], message?: RegExp) {
  const r = await verifyReceipt(p);
  assert.equal(r.verdict, verdict, `${r.verdict}: ${r.message}`);
  assert.equal(r.ok, verdict === 'valid');
  if (message) assert.match(r.message, message);
  seen.add(verdict);
  return r;
}

before(async () => {
  chain = await startProvenanceChain();
  dir = mkdtempSync(path.join(tmpdir(), 'machina-verify-'));
  file = path.join(dir, 'report.bin');
  writeFileSync(file, new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff));
  writeDataset(path.join(dir, 'data'), 20);
  const fileDigest = (await hashFile(file)).root;
  const dataRoot = (await hashDirectory(path.join(dir, 'data'))).root;
  receipts = await anchorBatch(chain, [randomDigest(), fileDigest, randomDigest(), dataRoot, randomDigest()]);
  dirReceipt = receipts[3]!;
});
after(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('verifyReceipt', () => {
  it('valid: the file hashes to the digest, the proof reaches the root, the root is anchored as the receipt says', async () => {
    const r = await expectVerdict('valid', { receipt: receipts[1], file, client: chain.client }, /anchored on chain 31337 in block \d+/);
    assert.deepEqual(r.checks.map((c) => [c.name, c.ok]), [['receipt', true], ['digest', true], ['proof', true], ['chain', true]]);
    assert.ok(r.anchor, 'the anchor seen on chain, for the offline cache');
    saved = r.anchor!;
    assert.equal(saved.root, receipts[1]!.batch!.root);
    // A folder, a bare digest and the receipt's JSON text verify the same way.
    await expectVerdict('valid', { receipt: dirReceipt, dir: path.join(dir, 'data'), client: chain.client });
    await expectVerdict('valid', { receipt: JSON.stringify(receipts[0]), digest: receipts[0]!.digest, client: chain.client });
  });

  it('valid offline: no RPC at all, the root found in saved block data', async () => {
    const dead = deadClient();
    const r = await expectVerdict('valid', { receipt: receipts[1], file, client: dead, offline: true, savedAnchors: [saved] }, /offline/);
    assert.deepEqual(r.checks.map((c) => c.name), ['receipt', 'digest', 'proof', 'saved-anchor']);
    // The same data from the chain's own events (`machina anchors`) agrees.
    const fromChain = await listChainAnchors(chain.client, { registry: chain.anchorRegistry });
    assert.equal(fromChain.length, 1);
    const { size: _size, ...row } = fromChain[0]!;
    assert.deepEqual(row, saved);
  });

  it('pending (3): the digest is not anchored yet', async () => {
    const pending = { type: 'machina.anchor-receipt', version: 1, digest: receipts[1]!.digest, status: 'pending', submittedAt: new Date().toISOString(), chainId: 31337, registry: chain.anchorRegistry };
    await expectVerdict('pending', { receipt: pending, file, client: chain.client }, /pending/);
  });

  it('malformed-receipt (10): truncated or forged JSON, naming the field', async () => {
    const text = JSON.stringify(receipts[1], null, 2);
    const r = await expectVerdict('malformed-receipt', { receipt: text.slice(0, text.length / 2), file, client: chain.client }, /receipt: is not JSON, perhaps truncated/);
    assert.deepEqual(r.checks, [{ name: 'receipt', ok: false, detail: r.checks[0]!.detail }]);
    const forged = clone(receipts[1]!) as any;
    forged.batch.proof[0] = '0x1234';
    await expectVerdict('malformed-receipt', { receipt: forged, client: chain.client }, /batch\.proof\[0\]: must be 32 bytes of hex/);
    const noAnchor = clone(receipts[1]!) as any;
    delete noAnchor.anchor;
    await expectVerdict('malformed-receipt', { receipt: noAnchor, client: chain.client }, /anchor: must be an object/);
    await expectVerdict('malformed-receipt', { receipt: { ...receipts[1], type: 'x' }, client: chain.client }, /type: must be "machina\.anchor-receipt"/);
    await expectVerdict('malformed-receipt', { receipt: { ...receipts[1], batch: { ...receipts[1]!.batch, index: 9 } }, client: chain.client }, /batch\.index: must be an integer 0-4/);
  });

  it('file-changed (11): one byte of the file changed after anchoring', async () => {
    const copy = path.join(dir, 'report-changed.bin');
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    bytes[2 * 1024 * 1024 + 5]! ^= 1;
    writeFileSync(copy, bytes);
    await expectVerdict('file-changed', { receipt: receipts[1], file: copy, client: chain.client }, /changed since it was anchored: it hashes to 0x[0-9a-f]{64}, the receipt is for/);
    await expectVerdict('file-changed', { receipt: receipts[1], file: path.join(dir, 'gone.bin'), client: chain.client }, /cannot hash/);
  });

  it('proof-invalid (12): a forged proof, or a proof for another leaf', async () => {
    const forged = clone(receipts[1]!);
    forged.batch!.proof[0] = randomDigest();
    await expectVerdict('proof-invalid', { receipt: forged, file, client: chain.client }, /does not lead from digest/);
    const otherLeaf = clone(receipts[1]!);
    otherLeaf.batch!.proof = receipts[2]!.batch!.proof;
    await expectVerdict('proof-invalid', { receipt: otherLeaf, file, client: chain.client });
  });

  it('wrong-chain (13): another chain id, or no contract at the registry', async () => {
    await expectVerdict('wrong-chain', { receipt: { ...receipts[1], chainId: 8453 }, file, client: chain.client }, /for chain 8453, but the connected chain is 31337/);
    await expectVerdict('wrong-chain', { receipt: { ...receipts[1], registry: getAddress('0x00000000000000000000000000000000000a11ce') }, file, client: chain.client }, /no contract at the receipt's registry/);
    // A contract that is not an AnchorRegistry.
    await expectVerdict('wrong-chain', { receipt: { ...receipts[1], registry: chain.address('IdentityRegistry') }, file, client: chain.client }, /not an AnchorRegistry/);
    // Offline: the saved root belongs to another chain.
    await expectVerdict('wrong-chain', { receipt: receipts[1], offline: true, savedAnchors: [{ ...saved, chainId: 1 }] }, /saved as anchored on chain 1/);
  });

  it('root-not-anchored (14): a well-formed receipt whose root never reached the chain', async () => {
    const digests = [randomDigest(), randomDigest(), randomDigest()];
    const { digestLeaves, MerkleTree } = await import('../../src/provenance/merkle/index.ts');
    const packed = new Uint8Array(96);
    digests.forEach((d, i) => packed.set(Buffer.from(d.slice(2), 'hex'), i * 32));
    const tree = MerkleTree.fromLeaves(digestLeaves(packed));
    const never = { ...clone(receipts[1]!), digest: digests[1]!, batch: { root: tree.root, size: 3, index: 1, proof: tree.proof(1) } };
    await expectVerdict('root-not-anchored', { receipt: never, client: chain.client }, /was never anchored at/);
    await expectVerdict('root-not-anchored', { receipt: never, offline: true, savedAnchors: [saved] }, /not in the saved block data/);
  });

  it('anchor-mismatch (15): block, time, submitter, block hash or transaction differ from the chain', async () => {
    const r = receipts[1]!;
    const withAnchor = (patch: Partial<NonNullable<AnchorReceipt['anchor']>>) => ({ ...r, anchor: { ...r.anchor!, ...patch } });
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ timestamp: r.anchor!.timestamp - 3600 }), file, client: chain.client }, /time \d+ .*, the receipt says/);
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ submitter: chain.wallet(7).account.address }), file, client: chain.client }, /submitter/);
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ blockNumber: '1' }), file, client: chain.client }, /block \d+, the receipt says 1/);
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ blockHash: randomDigest() }), file, client: chain.client }, /block hash/);
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ txHash: randomDigest() }), file, client: chain.client }, /does not exist/);
    await expectVerdict('anchor-mismatch', { receipt: withAnchor({ timestamp: 1 }), file, offline: true, savedAnchors: [saved] }, /saved anchor of root/);
  });

  it('unreachable (16): the chain does not answer', async () => {
    await expectVerdict('unreachable', { receipt: receipts[1], file, client: deadClient() }, /cannot reach the chain/);
    await expectVerdict('unreachable', { receipt: receipts[1], file }, /no chain connection/);
  });

  it('never throws, whatever the receipt', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.string(), mutatedReceipt()), async (input) => {
        const r = await verifyReceipt({ receipt: input, offline: true, savedAnchors: [saved] });
        assert.ok(r.verdict in VERIFY_VERDICTS, r.verdict);
      }),
      { numRuns: 300 },
    );
  });

  it('every verdict has its own exit code and was seen above', () => {
    const codes = Object.values(VERIFY_VERDICTS);
    assert.equal(new Set(codes).size, codes.length);
    assert.deepEqual([...seen].sort(), Object.keys(VERIFY_VERDICTS).sort());
  });
});

describe('saved block data', () => {
  it('saves per chain, merges by root, reads back what `machina anchors --json` and a node print', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-anchors-'));
    try {
      assert.deepEqual(loadAnchorsCache(dataDir, 31337), []);
      saveAnchors(dataDir, [saved, { ...saved, root: randomDigest(), blockNumber: '1' }]);
      saveAnchors(dataDir, [saved]);
      const back = loadAnchorsCache(dataDir, 31337);
      assert.equal(back.length, 2);
      assert.deepEqual(back[1], saved);
      assert.deepEqual(readSavedAnchors(anchorsCacheFile(dataDir, 31337)), back);
      assert.deepEqual(parseSavedAnchors({ items: [{ ...saved, chainId: undefined, size: 5 }] }, { chainId: 31337 }), [saved]);
      assert.throws(() => parseSavedAnchors({ anchors: [{ ...saved, blockHash: '0x12' }] }), /anchors\[0\]\.blockHash: must be 32 bytes of hex/);
      writeFileSync(path.join(dataDir, 'bad.json'), '{"anchors": [');
      assert.throws(() => readSavedAnchors(path.join(dataDir, 'bad.json')), /is not JSON/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('parseReceipt keeps what it checked, lower-casing hex and checksumming addresses', () => {
    const r = parseReceipt({ ...receipts[1], digest: receipts[1]!.digest.toUpperCase().replace('0X', '0x'), registry: chain.anchorRegistry.toLowerCase() });
    assert.equal(r.digest, receipts[1]!.digest);
    assert.equal(r.registry, chain.anchorRegistry);
  });
});

/** A client of a port where nothing listens. */
function deadClient(): MachinaPublicClient {
  const c = defineChain({ id: 31337, name: 'dead', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: ['http://127.0.0.1:9'] } } });
  return createPublicClient({ chain: c, transport: http('http://127.0.0.1:9', { retryCount: 0, timeout: 2_000 }) }) as MachinaPublicClient;
}

/** A real receipt with one field replaced by something random. */
function mutatedReceipt() {
  const fields = ['type', 'version', 'digest', 'status', 'submittedAt', 'chainId', 'registry', 'batch', 'anchor', 'subject'] as const;
  return fc.tuple(fc.constantFrom(...fields), fc.jsonValue(), fc.nat(4)).map(([field, value, i]) => {
    const r = clone(receipts[i]!) as any;
    r[field] = value;
    return r as unknown;
  });
}

