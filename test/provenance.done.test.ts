// Issue #5's "Done means", end to end on the stack `npm start` runs (startMachine: devnet, deploy, index,
// node with the anchoring aggregator), driven through the `machina` CLI as a user would: a dataset of
// 10,000 files is anchored and registered, a second version derives from it, a model trained on the
// second version is registered by its trainer agent; the audit passes; then one byte of one file is
// changed and `machina audit` names that file with its dataset and version, and `machina verify`
// says the folder changed after anchoring.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { walletFor } from '../src/chain/clients.ts';
import { devnetAccount } from '../src/chain/signer.ts';
import { loadSettings } from '../src/config/settings.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { protocolPlan } from '../src/protocol/plan.ts';
import { AUDIT_VERDICTS, VERIFY_VERDICTS } from '../src/provenance/types.ts';
import { startMachine, type Machine } from '../src/runtime/machine.ts';
import { runCli, runCliInHost, startCliHost, type CliResult } from './helpers/cli.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const FILES = 10_000;

/** A synthetic, anonymized patient record: small JSON, deterministic per index. */
const record = (i: number) =>
  `${JSON.stringify({ id: `p-${String(i).padStart(5, '0')}`, age: 20 + (i % 60), sex: i % 2 ? 'F' : 'M', systolic: 100 + ((i * 7) % 60), diagnosis: ['none', 'hypertension', 'diabetes'][i % 3] })}\n`;
const recordPath = (i: number) => path.join(`ward-${String(Math.floor(i / 1000)).padStart(2, '0')}`, `p-${String(i).padStart(5, '0')}.json`);

/** Flips the low bit of one byte in the middle of a file (same size, one byte different). */
function flipOneByte(file: string): Buffer {
  const original = readFileSync(file);
  const changed = Buffer.from(original);
  const at = Math.floor(changed.length / 2);
  changed[at] = changed[at]! ^ 1;
  writeFileSync(file, changed);
  return original;
}

describe('provenance end to end (issue #5 "Done means")', () => {
  let dir: string;
  let machine: Machine;
  let env: Record<string, string>;
  let v1Dir: string;
  let v2Dir: string;
  let root1: string;
  let root2: string;
  let modelId: string;
  /** `machina ARGS`: the anchoring through bin/machina.js itself, the rest in this file's CLI host (no start-up per command). */
  const cli = async (args: string[], expectCode = 0, { spawned = false } = {}): Promise<CliResult> => {
    const r = await (spawned ? runCli : runCliInHost)(args, env, { timeoutMs: 180_000 });
    assert.equal(r.code, expectCode, `machina ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    return r;
  };

  before(async () => {
    startCliHost();
    dir = mkdtempSync(path.join(tmpdir(), 'machina-issue5-'));
    const settings = loadSettings(
      { devnetPort: '0', port: '0', dataDir: path.join(dir, 'data'), deploymentsDir: path.join(dir, 'deployments'), fresh: true },
      { MACHINA_ANCHOR_INTERVAL_MS: '300' },
      { node: true },
    );
    // The node's embedded database starts as an initialised empty cluster (no initdb: test/helpers/pglite.ts).
    await seedEmbeddedDatabase(path.join(settings.dataDir, 'node', '31337'));
    machine = await startMachine({ settings, plan: protocolPlan, version: 'test' });
    env = {
      MACHINA_RPC_URL: machine.devnet!.rpcUrl,
      MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'deployments'),
      MACHINA_NODE_URL: machine.node.url,
      MACHINA_DATA_DIR: path.join(dir, 'cli-data'),
    };

    v1Dir = path.join(dir, 'patients-v1');
    for (let i = 0; i < FILES; i++) {
      const file = path.join(v1Dir, recordPath(i));
      if (i % 1000 === 0) mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, record(i));
    }
  });

  after(async () => {
    await machine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('anchors the 10,000-file dataset through the aggregator and verifies the final receipt', async () => {
    const r = await cli(['anchor', v1Dir, '--wait', '--timeout', '120', '--json', '--name', 'patients'], 0, { spawned: true });
    const receipt = r.json();
    assert.equal(receipt.status, 'anchored');
    assert.equal(receipt.subject.kind, 'dataset');
    assert.equal(receipt.subject.files, FILES);
    assert.equal(receipt.registry, machine.deployment.contracts.AnchorRegistry!.address);
    assert.match(receipt.anchor.txHash, /^0x[0-9a-f]{64}$/);
    writeFileSync(path.join(dir, 'receipt.json'), JSON.stringify(receipt));
    root1 = receipt.digest;

    const ok = await cli(['verify', v1Dir, path.join(dir, 'receipt.json'), '--json']);
    assert.equal(ok.json().verdict, 'valid');
  });

  it('registers v1 and a derived v2, and `machina diff` shows what changed between them', async () => {
    const reg1 = (await cli(['dataset', 'register', v1Dir, '--name', 'patients', '--json'])).json();
    assert.equal(reg1.root, root1, 'the registered root is the anchored manifest root');
    assert.equal(Number(reg1.version), 1);

    // v2: 10 records added, 5 removed, 1 corrected.
    v2Dir = path.join(dir, 'patients-v2');
    cpSync(v1Dir, v2Dir, { recursive: true });
    for (let i = FILES; i < FILES + 10; i++) writeFileSync(path.join(v2Dir, recordPath(i % FILES).replace('p-', 'q-')), record(i));
    for (let i = 0; i < 5; i++) rmSync(path.join(v2Dir, recordPath(100 + i)));
    writeFileSync(path.join(v2Dir, recordPath(42)), record(42).replace('"age":62', '"age":63'));
    const reg2 = (await cli(['dataset', 'register', v2Dir, '--name', 'patients', '--parent', root1, '--json'])).json();
    root2 = reg2.root;
    assert.equal(Number(reg2.version), 2);

    const diff = (await cli(['diff', root1, root2, '--json'])).json();
    assert.equal(diff.added.length, 10);
    assert.equal(diff.removed.length, 5);
    assert.deepEqual(diff.changed.map((c: { path: string }) => c.path), [recordPath(42).split(path.sep).join('/')]);
  });

  it('registers a model trained on v2, signed by its trainer agent, and its audit passes', async () => {
    const owner = walletFor(machine.client, devnetAccount(0));
    const { agentId } = await registerAgent(machine.client, owner, { identityRegistry: machine.deployment.contracts.IdentityRegistry!.address, agentURI: 'https://trainer.example/agent.json' });
    const weights = path.join(dir, 'model.onnx');
    writeFileSync(weights, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff)));
    const config = path.join(dir, 'train.json');
    writeFileSync(config, JSON.stringify({ seed: 7, steps: 1000, lr: 0.001 }));
    const reg = (
      await cli(['model', 'register', '--name', 'risk-model', '--weights', weights, '--dataset', root2, '--config', config, '--metrics', '{"auc":0.91}', '--agent', String(agentId), '--json'])
    ).json();
    modelId = reg.id ?? reg.weightsDigest ?? reg.model;
    assert.match(modelId, /^0x[0-9a-f]{64}$/);

    const audit = (await cli(['audit', modelId, '--json'])).json();
    assert.equal(audit.verdict, 'intact');
    const datasets = audit.links.filter((l: { kind: string }) => l.kind === 'dataset');
    assert.deepEqual(datasets.map((l: { id: string; version: number }) => [l.id, l.version]).sort(), [[root1, 1], [root2, 2]].sort(), 'the audit walks v2 and its parent v1');
  });

  it('after one byte of one training file changes, `machina audit` names that file with its dataset and version', async () => {
    const victim = recordPath(4217);
    const original = flipOneByte(path.join(v2Dir, victim));
    try {
      const r = await cli(['audit', modelId, '--json'], AUDIT_VERDICTS['file-tampered']);
      const report = r.json();
      assert.equal(report.verdict, 'file-tampered');
      const finding = report.findings.find((f: { verdict: string }) => f.verdict === 'file-tampered');
      assert.equal(finding.path, victim.split(path.sep).join('/'));
      assert.equal(finding.dataset.root, root2);
      assert.equal(finding.dataset.name, 'patients');
      assert.equal(finding.dataset.version, 2);
      assert.equal(report.findings.length, 1, 'only that file');

      const human = await cli(['audit', modelId], AUDIT_VERDICTS['file-tampered']);
      assert.match(human.stdout + human.stderr, new RegExp(`${victim.split(path.sep).join('/').replace(/[.]/g, '\\.')}.*patients v2`));
    } finally {
      writeFileSync(path.join(v2Dir, victim), original);
    }
  });

  it('a changed file in the parent version is named too, and `machina verify` says the anchored folder changed', async () => {
    const victim = recordPath(9999);
    const original = flipOneByte(path.join(v1Dir, victim));
    try {
      const report = (await cli(['audit', modelId, '--json'], AUDIT_VERDICTS['file-tampered'])).json();
      const finding = report.findings.find((f: { verdict: string }) => f.verdict === 'file-tampered');
      assert.equal(finding.path, victim.split(path.sep).join('/'));
      assert.equal(finding.dataset.version, 1);

      const verify = await cli(['verify', v1Dir, path.join(dir, 'receipt.json'), '--json'], VERIFY_VERDICTS['file-changed']);
      assert.equal(verify.json().verdict, 'file-changed');
    } finally {
      writeFileSync(path.join(v1Dir, victim), original);
    }
  });
});
