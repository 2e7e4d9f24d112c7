// auditModel against a real devnet: a model fine-tuned from another, trained on dataset versions
// with lineage (v2 derived from v1); intact, then a byte changed, a file deleted, a manifest missing
// or wrong, a model unknown; each named with its dataset and version.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import solc from 'solc';
import { encodeFunctionData, keccak256, stringToHex, zeroHash, type Abi, type Hex } from 'viem';
import { provenanceRegistryAbi } from '../../src/chain/artifacts/index.ts';
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
let trainerAgentId: bigint;
const store = new Map<string, { manifest: unknown; location?: string }>();
const manifests: AuditModelParameters['manifests'] = async (root) => store.get(root);

async function register(name: string, dir: string, parent: Hex = zeroHash, signer = 2) {
  const manifest = await hashDirectory(dir);
  await registerDataset(chain.wallet(signer), { registry: chain.provenanceRegistry, name, root: manifest.root, parent, fileCount: BigInt(manifest.files.length), totalBytes: BigInt(manifest.totalBytes), uri: `test://${manifest.root}` });
  store.set(manifest.root, { manifest, location: dir });
  return { root: manifest.root, dir, manifest };
}

async function registerTrainedModel(p: { name: string; datasets: Hex[]; base?: Hex; agentId: bigint }): Promise<Hex> {
  const { input, signer, signature } = await signTrainedModel(p);
  // Relayed: account 3 sends the transaction the owner signed.
  await registerModel(chain.wallet(3), { registry: chain.provenanceRegistry, input, signer, signature });
  return input.weightsDigest;
}

async function signTrainedModel(p: { name: string; datasets: Hex[]; base?: Hex; agentId: bigint }) {
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
  return { input, signer: owner.account.address, signature };
}

before(async () => {
  chain = await startProvenanceChain();
  work = mkdtempSync(path.join(tmpdir(), 'machina-audit-'));
  const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://trainer.example/agent.json' });
  trainerAgentId = agentId;
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

  it('unrelated datasets at one folder are each checked against their own manifest', async () => {
    writeFiles(path.join(work, 'labels'), { 'labels.csv': 'id,label\n1,benign\n2,malignant\n' });
    const labels = await register('labels', path.join(work, 'labels'));
    const model = await registerTrainedModel({ name: 'triage-labelled', datasets: [v2.root, labels.root], agentId: trainerAgentId });
    // Both training sets really are in one folder: each one's files are there, the other's are extras.
    const mixed = path.join(work, 'mixed');
    cpSync(v2.dir, mixed, { recursive: true });
    cpSync(labels.dir, mixed, { recursive: true });
    const inMixed: AuditModelParameters['manifests'] = async (root) => (root === v1.root ? store.get(root) : { ...store.get(root)!, location: mixed });
    const together = await audit(model, { manifests: inMixed });
    assert.equal(together.verdict, 'intact', JSON.stringify(together.findings));
    // A location planted for `labels` at v2's folder: `labels` is no ancestor of v2, so its own files are looked for there.
    const planted = await audit(model, { manifests: async (root) => (root === labels.root ? { ...store.get(root)!, location: v2.dir } : store.get(root)) });
    assert.equal(planted.verdict, 'file-missing');
    assert.match(planted.findings[0]!.message, /^labels\.csv in dataset labels v1 is missing from /);
    assert.deepEqual(planted.findings[0]!.dataset, { root: labels.root, name: 'labels', version: 1 });
    assert.deepEqual(planted.links.map((l) => [l.name, l.ok]), [['triage-labelled', true], ['patients', true], ['labels', false], ['patients', true]]);
  });

  it('the local `locate` is preferred to the location the node gives (a path on the uploader\'s machine)', async () => {
    const r = await audit(modelA, { manifests: async (root) => ({ ...store.get(root)!, location: path.join(work, 'on-the-uploaders-machine') }), locate: (root) => store.get(root)?.location });
    assert.equal(r.verdict, 'intact', JSON.stringify(r.findings));
  });

  it('a transaction registering several models: each signature is checked against its own call', async () => {
    const { abi, bytecode } = compileBatcher();
    const sender = chain.wallet(3);
    const batcher = (await chain.client.waitForTransactionReceipt({ hash: await sender.deployContract({ abi, bytecode }) })).contractAddress!;
    const signed = [await signTrainedModel({ name: 'batch-a', datasets: [v1.root], agentId: trainerAgentId }), await signTrainedModel({ name: 'batch-b', datasets: [v2.root], agentId: trainerAgentId })];
    const calls = signed.map((m) => encodeFunctionData({ abi: provenanceRegistryAbi, functionName: 'registerModel', args: [m.input, m.signer, m.signature] }));
    await chain.client.waitForTransactionReceipt({ hash: await sender.writeContract({ address: batcher, abi, functionName: 'run', args: [chain.provenanceRegistry, calls] }) });
    for (const m of signed) {
      const r = await audit(m.input.weightsDigest);
      assert.equal(r.verdict, 'intact', `${m.input.name}: ${JSON.stringify(r.findings)}`);
    }
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

/** Sends several calls to one contract in one transaction, as a multicall or an account's batch would. */
function compileBatcher(): { abi: Abi; bytecode: Hex } {
  return compile(
    'Batcher',
    `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Batcher {
    function run(address target, bytes[] calldata calls) external {
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory reason) = target.call(calls[i]);
            if (!ok) assembly { revert(add(reason, 32), mload(reason)) }
        }
    }
}`,
  );
}

function compile(name: string, content: string): { abi: Abi; bytecode: Hex } {
  const out = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'S.sol': { content } }, settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } })));
  const c = out.contracts['S.sol'][name];
  if (!c) throw new Error(JSON.stringify(out.errors));
  return { abi: c.abi as Abi, bytecode: `0x${c.evm.bytecode.object}` as Hex };
}

/** A contract account whose ERC-1271 answer can be switched off, as a revoked key or rotated owner would. */
function compileSwitchableSigner(): { abi: Abi; bytecode: Hex } {
  return compile(
    'SwitchableSigner',
    `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
interface IIdentity { function register(string calldata agentURI) external returns (uint256); }
contract SwitchableSigner {
    bool public valid = true;
    function registerAgent(address identity, string calldata uri) external returns (uint256) { return IIdentity(identity).register(uri); }
    function setValid(bool v) external { valid = v; }
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) { return valid ? bytes4(0x1626ba7e) : bytes4(0xffffffff); }
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) { return this.onERC721Received.selector; }
}`,
  );
}
