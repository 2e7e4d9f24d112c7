// The provenance commands as a user runs them, against a devnet and a node with the aggregator:
// register a dataset and a model, audit it (intact, then a byte changed and named), anchor a file
// and wait for the final receipt, verify it online and offline, diff two versions. The commands run in
// this file's CLI host (runCliInHost: the CLI loaded once, not ~1.7 s of start-up per command).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { runCliInHost as runCli, startCliHost } from '../helpers/cli.ts';
import { startProvenanceNode, type ProvenanceNode } from '../node/fixtures/provenanceNode.ts';
import { startProvenanceChain, writeDataset, writeFiles, type ProvenanceChain } from './auditFixtures.ts';

let chain: ProvenanceChain;
let node: ProvenanceNode;
let work: string;
let env: Record<string, string>;
let agentId: bigint;

before(async () => {
  startCliHost();
  chain = await startProvenanceChain();
  node = await startProvenanceNode({ chain, intervalMs: 200 });
  work = mkdtempSync(path.join(tmpdir(), 'machina-prov-cli-'));
  env = { ...chain.env, MACHINA_NODE_URL: node.url, MACHINA_DATA_DIR: path.join(work, '.machina') };
  ({ agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://trainer.example/agent.json' }));
  writeDataset(path.join(work, 'patients'), 30);
  writeFiles(work, { 'weights.bin': new Uint8Array(2_500_000).map((_, i) => i % 251), 'train.yaml': 'epochs: 3\nlr: 0.001\n' });
});
after(async () => {
  await node?.stop();
  await chain?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('machina dataset / model / audit / diff', () => {
  it('registers a dataset and a model, audits it intact, then names the tampered file (exit 21)', async () => {
    const ds = await runCli(['dataset', 'register', path.join(work, 'patients'), '--name', 'patients', '--account', '1', '--json'], env);
    assert.equal(ds.code, 0, ds.stderr + ds.stdout);
    const d = ds.json();
    assert.equal(d.version, 1);
    assert.equal(d.files, 31);
    assert.equal(d.uploaded, true, d.uploadError);
    assert.equal(d.location, path.join(work, 'patients'));
    assert.equal(((await node.parts.queries.getManifest(d.root)) as any)?.manifest.root, d.root);
    const shown = await runCli(['dataset', 'show', d.root, '--json'], env);
    assert.equal(shown.code, 0, shown.stderr + shown.stdout);
    assert.equal(shown.json().name, 'patients');
    assert.equal(shown.json().fileCount, '31');

    const m = await runCli(
      ['model', 'register', '--name', 'triage', '--weights', path.join(work, 'weights.bin'), '--dataset', d.root, '--config', path.join(work, 'train.yaml'), '--metrics', '{"accuracy":0.93}', '--agent', String(agentId), '--account', '1', '--json'],
      env,
    );
    assert.equal(m.code, 0, m.stderr + m.stdout);
    const model = m.json().model as string;

    const intact = await runCli(['audit', model, '--json'], env);
    assert.equal(intact.code, 0, intact.stderr + intact.stdout);
    assert.equal(intact.json().verdict, 'intact');

    const file = path.join(work, 'patients', 'records', 'p-00007.json');
    const bytes = readFileSync(file);
    bytes[3]! ^= 1;
    writeFileSync(file, bytes);
    // Given by its weights file this time; human output.
    const tampered = await runCli(['audit', path.join(work, 'weights.bin')], env);
    assert.equal(tampered.code, 21, tampered.stderr + tampered.stdout);
    assert.match(tampered.stdout, /^file-tampered: records\/p-00007\.json in dataset patients v1 \(expected 0x[0-9a-f]{64}, found 0x[0-9a-f]{64}\)$/m);
  });

  it('diff shows files added, removed and changed between two folders', async () => {
    cpSync(path.join(work, 'patients'), path.join(work, 'patients-v2'), { recursive: true });
    writeFiles(path.join(work, 'patients-v2'), { 'records/new.json': '{}', 'README.md': '# patients v2\n' });
    rmSync(path.join(work, 'patients-v2', 'records', 'p-00001.json'));
    const r = await runCli(['diff', path.join(work, 'patients'), path.join(work, 'patients-v2')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 added, 1 removed, 1 changed, 29 unchanged/);
    assert.match(r.stdout, /^\+ records\/new\.json \(2 bytes\)$/m);
    assert.match(r.stdout, /^- records\/p-00001\.json/m);
    assert.match(r.stdout, /^~ README\.md/m);
  });
});

describe('machina anchor / verify', () => {
  it('anchor --wait prints the final receipt; verify checks it online (0), offline with no RPC (0), a changed or deleted file (11), a folder as receipt (10)', async () => {
    const file = path.join(work, 'report.pdf');
    writeFileSync(file, 'quarterly report\n'.repeat(1000));
    const a = await runCli(['anchor', file, '--wait', '--timeout', '60', '--json'], env);
    assert.equal(a.code, 0, a.stderr + a.stdout);
    const receipt = a.json();
    assert.equal(receipt.status, 'anchored');
    assert.equal(receipt.subject.kind, 'file');
    const receiptFile = path.join(work, 'report.receipt.json');
    writeFileSync(receiptFile, a.stdout);

    const online = await runCli(['verify', file, receiptFile, '--json'], env);
    assert.equal(online.code, 0, online.stderr + online.stdout);
    assert.equal(online.json().verdict, 'valid');

    // Offline: the block data `anchor --wait` saved; the RPC URL points nowhere to prove none is used.
    const offline = await runCli(['verify', file, receiptFile, '--offline'], { ...env, MACHINA_RPC_URL: 'http://127.0.0.1:9' });
    assert.equal(offline.code, 0, offline.stderr + offline.stdout);
    assert.match(offline.stdout, /^valid: .*saved block data/m);

    // `machina anchors` saves the chain's block data to a file another machine can verify with.
    const elsewhere = path.join(work, 'elsewhere');
    const list = await runCli(['anchors', '--json'], { ...env, MACHINA_DATA_DIR: elsewhere });
    assert.equal(list.code, 0, list.stderr + list.stdout);
    assert.ok(list.json().anchors.some((x: any) => x.root === receipt.batch.root));
    const withFile = await runCli(['verify', file, receiptFile, '--offline', '--anchors', list.json().saved, '--json'], { ...env, MACHINA_RPC_URL: 'http://127.0.0.1:9' });
    assert.equal(withFile.code, 0, withFile.stderr + withFile.stdout);

    writeFileSync(file, 'quarterly report, revised\n');
    const changed = await runCli(['verify', file, receiptFile], env);
    assert.equal(changed.code, 11, changed.stderr + changed.stdout);
    assert.match(changed.stdout, /^file-changed: file .* changed since it was anchored/m);

    rmSync(file);
    const deleted = await runCli(['verify', file, receiptFile], env);
    assert.equal(deleted.code, 11, deleted.stderr + deleted.stdout);
    assert.match(deleted.stdout, /^file-changed: PATH .*report\.pdf no longer exists/m);
    const dirReceipt = await runCli(['verify', '-', work, '--json'], env);
    assert.equal(dirReceipt.code, 10, dirReceipt.stderr + dirReceipt.stdout);
    assert.equal(dirReceipt.json().verdict, 'malformed-receipt');
    assert.match(dirReceipt.json().message, /cannot read receipt .*: it is a folder/);
  });
});
