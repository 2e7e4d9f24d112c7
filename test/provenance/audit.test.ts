// auditModel against a real devnet: a model fine-tuned from another, trained on dataset versions
// with lineage (v2 derived from v1); intact, then a byte changed, a file deleted, a manifest missing
// or wrong, a model unknown; each named with its dataset and version.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import solc from 'solc';
import { keccak256, stringToHex, zeroHash, type Abi, type Hex } from 'viem';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { registerDataset, registerModel, signModel } from '../../src/provenance/actions.ts';
import { auditModel, type AuditModelParameters } from '../../src/provenance/audit.ts';
import { hashDirectory } from '../../src/provenance/directory.ts';
import { AUDIT_VERDICTS, type Manifest } from '../../src/provenance/types.ts';
import { randomDigest, startProvenanceChain, writeDataset, writeFiles, type ProvenanceChain } from './auditFixtures.ts';

let chain: ProvenanceChain;
let work: string;
let v1: { root: Hex; dir: string; manifest: Manifest };
let v2: { root: Hex; dir: string; manifest: Manifest };
let modelA: Hex;
let modelB: Hex;
const store = new Map<string, { manifest: unknown; location?: string }>();
const manifests: AuditModelParameters['manifests'] = async (root) => store.get(root);

async function register(name: string, dir: string, parent: Hex = zeroHash, signer = 2) {
  const manifest = await hashDirectory(dir);
  await registerDataset(chain.wallet(signer), { registry: chain.provenanceRegistry, name, root: manifest.root, parent, fileCount: BigInt(manifest.files.length), totalBytes: BigInt(manifest.totalBytes), uri: `test://${manifest.root}` });
  store.set(manifest.root, { manifest, location: dir });
  return { root: manifest.root, dir, manifest };
}

async function registerTrainedModel(p: { name: string; datasets: Hex[]; base?: Hex; agentId: bigint }): Promise<Hex> {
  const metrics = JSON.stringify({ accuracy: 0.91, name: p.name });
  const input = {
    weightsDigest: randomDigest(),
    trainerAgentId: p.agentId,
    configDigest: randomDigest(),
    metricsDigest: keccak256(stringToHex(metrics)),
    baseModel: p.base ?? zeroHash,
    computeJobId: 0n,
    datasetRoots: p.datasets,
    name: p.name,
    metrics,
    uri: '',
  };
  const owner = chain.wallet(1);
  const signature = await signModel(owner, { chainId: chain.client.chain.id, registry: chain.provenanceRegistry, input });
  // Relayed: account 3 sends the transaction the owner signed.
  await registerModel(chain.wallet(3), { registry: chain.provenanceRegistry, input, signer: owner.account.address, signature });
  return input.weightsDigest;
}

before(async () => {
  chain = await startProvenanceChain();
  work = mkdtempSync(path.join(tmpdir(), 'machina-audit-'));
  const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://trainer.example/agent.json' });
  writeDataset(path.join(work, 'v1'), 40);
  v1 = await register('patients', path.join(work, 'v1'));
  // v2: v1 with two records added, one removed and one corrected.
  cpSync(path.join(work, 'v1'), path.join(work, 'v2'), { recursive: true });
  writeFiles(path.join(work, 'v2'), { 'records/p-00040.json': '{"id":40}', 'records/p-00041.json': '{"id":41}', 'records/p-00017.json': '{"id":17,"corrected":true}' });
  unlinkSync(path.join(work, 'v2', 'records', 'p-00003.json'));
  v2 = await register('patients', path.join(work, 'v2'), v1.root);
  modelA = await registerTrainedModel({ name: 'triage-base', datasets: [v2.root], agentId });
  modelB = await registerTrainedModel({ name: 'triage-ft', datasets: [v1.root], base: modelA, agentId });
});
after(async () => {
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

const audit = (modelId: Hex, extra: Partial<AuditModelParameters> = {}) => auditModel({ client: chain.client, deployment: chain.deployment, modelId, manifests, ...extra });

describe('auditModel', () => {
  it('intact: walks model -> base model -> dataset versions -> parents, re-hashing every file and re-checking both signatures', async () => {
    let progressed = 0;
    const r = await audit(modelB, { onProgress: () => progressed++ });
    assert.equal(r.verdict, 'intact', JSON.stringify(r.findings));
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.links.map((l) => [l.kind, l.name, l.version ?? null, l.ok]),
      [
        ['model', 'triage-ft', null, true],
        ['model', 'triage-base', null, true],
        ['dataset', 'patients', 1, true],
        ['dataset', 'patients', 2, true],
      ],
    );
    assert.equal(r.links[3]!.files, 42);
    assert.ok(progressed > 0);
  });

  it('file-tampered (21): one byte of one training file, named with its dataset and version', async () => {
    const file = path.join(v2.dir, 'records', 'p-00017.json');
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    changed[5]! ^= 1;
    writeFileSync(file, changed);
    try {
      const r = await audit(modelB);
      assert.equal(r.verdict, 'file-tampered');
      assert.equal(AUDIT_VERDICTS[r.verdict], 21);
      const f = r.findings[0]!;
      const expected = v2.manifest.files.find((x) => x.path === 'records/p-00017.json')!.root;
      assert.match(f.message, new RegExp(`^records/p-00017\\.json in dataset patients v2 \\(expected ${expected}, found 0x[0-9a-f]{64}\\)$`));
      assert.deepEqual(f.dataset, { root: v2.root, name: 'patients', version: 2 });
      assert.equal(f.path, 'records/p-00017.json');
      assert.equal(r.findings.length, 1);
      assert.deepEqual(r.links.map((l) => l.ok), [true, true, true, false]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('file-missing (22): a training file deleted', async () => {
    const file = path.join(v1.dir, 'README.md');
    const original = readFileSync(file);
    unlinkSync(file);
    try {
      const r = await audit(modelB);
      assert.equal(r.verdict, 'file-missing');
      assert.match(r.findings[0]!.message, /^README\.md in dataset patients v1 is missing from /);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('manifest-mismatch (23) and manifest-unavailable (27): the manifest served is not the registered one, or there is none', async () => {
    const wrong = await audit(modelA, { manifests: async (root) => (root === v2.root ? { manifest: v1.manifest, location: v2.dir } : store.get(root)) });
    assert.equal(wrong.verdict, 'manifest-mismatch');
    assert.match(wrong.findings[0]!.message, new RegExp(`dataset patients v2: the manifest recomputes to root ${v1.root}, but the registered root is ${v2.root}`));
    const forged = await audit(modelA, { manifests: async () => ({ manifest: { ...v2.manifest, files: v2.manifest.files.slice(1) }, location: v2.dir }) });
    assert.equal(forged.verdict, 'manifest-mismatch');
    const none = await audit(modelA, { manifests: async (root) => (root === v1.root ? undefined : store.get(root)) });
    assert.equal(none.verdict, 'manifest-unavailable');
    assert.match(none.findings[0]!.message, /^dataset patients v1: no manifest for root/);
    assert.equal(AUDIT_VERDICTS[none.verdict], 27);
  });

  it('a folder shared by two versions is re-hashed once, for the version closest to the model', async () => {
    // v1's files were edited in place into v2: v1's manifest still checks against the chain.
    const r = await audit(modelA, { manifests: async (root) => ({ ...store.get(root)!, location: v2.dir }) });
    assert.equal(r.verdict, 'intact', JSON.stringify(r.findings));
  });

  it('file-missing when no location is known, and the local `locate` fallback', async () => {
    const noLocation = await audit(modelA, { manifests: async (root) => ({ manifest: store.get(root)!.manifest }) });
    assert.equal(noLocation.verdict, 'file-missing');
    assert.match(noLocation.findings[0]!.message, /nowhere to find its 42 files/);
    const located = await audit(modelA, { manifests: async (root) => ({ manifest: store.get(root)!.manifest }), locate: (root) => store.get(root)?.location });
    assert.equal(located.verdict, 'intact');
  });

  it('signature-invalid (25): the trainer is a contract account that no longer vouches for its signature', async () => {
    const { abi, bytecode } = compileSwitchableSigner();
    const deployer = chain.wallet(4);
    const hash = await deployer.deployContract({ abi, bytecode });
    const account = (await chain.client.waitForTransactionReceipt({ hash })).contractAddress!;
    const identityRegistry = chain.address('IdentityRegistry');
    const { request, result: agentId } = await chain.client.simulateContract({ account: deployer.account, address: account, abi, functionName: 'registerAgent', args: [identityRegistry, 'https://contract-trainer.example/agent.json'] });
    await chain.client.waitForTransactionReceipt({ hash: await deployer.writeContract(request) });
    const metrics = '{"loss":0.2}';
    const input = { weightsDigest: randomDigest(), trainerAgentId: agentId as bigint, configDigest: randomDigest(), metricsDigest: keccak256(stringToHex(metrics)), baseModel: zeroHash, computeJobId: 7n, datasetRoots: [v1.root], name: 'contract-trained', metrics, uri: 'ipfs://card' };
    // ERC-1271: the contract decides; the signature bytes are whatever it accepts.
    await registerModel(chain.wallet(3), { registry: chain.provenanceRegistry, input, signer: account, signature: '0x01' });
    const before = await audit(input.weightsDigest);
    assert.equal(before.verdict, 'intact', JSON.stringify(before.findings));
    await chain.client.waitForTransactionReceipt({ hash: await deployer.writeContract({ address: account, abi, functionName: 'setValid', args: [false] }) });
    const r = await audit(input.weightsDigest);
    assert.equal(r.verdict, 'signature-invalid');
    assert.equal(AUDIT_VERDICTS[r.verdict], 25);
    assert.match(r.findings[0]!.message, new RegExp(`^model contract-trained \\(${input.weightsDigest}\\): the trainer signature does not verify for signer ${account}$`, 'i'));
    assert.deepEqual(r.links.map((l) => [l.kind, l.ok]), [['model', false], ['dataset', true]]);
  });

  it('model-unknown (26)', async () => {
    const id = randomDigest();
    const r = await audit(id);
    assert.equal(r.verdict, 'model-unknown');
    assert.equal(AUDIT_VERDICTS[r.verdict], 26);
    assert.match(r.findings[0]!.message, new RegExp(`model ${id} is not registered`));
  });
});

/** A contract account whose ERC-1271 answer can be switched off, as a revoked key or rotated owner would. */
function compileSwitchableSigner(): { abi: Abi; bytecode: Hex } {
  const content = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
interface IIdentity { function register(string calldata agentURI) external returns (uint256); }
contract SwitchableSigner {
    bool public valid = true;
    function registerAgent(address identity, string calldata uri) external returns (uint256) { return IIdentity(identity).register(uri); }
    function setValid(bool v) external { valid = v; }
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) { return valid ? bytes4(0x1626ba7e) : bytes4(0xffffffff); }
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) { return this.onERC721Received.selector; }
}`;
  const out = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'S.sol': { content } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } })));
  const c = out.contracts['S.sol'].SwitchableSigner;
  return { abi: c.abi as Abi, bytecode: `0x${c.evm.bytecode.object}` as Hex };
}
