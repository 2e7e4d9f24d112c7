// The aggregator under kill -9, on a real devnet: a node in a child process takes digests over HTTP
// from concurrent clients and is killed (mid-intake while batches seal and anchor; after a batch is
// sealed and before it is sent; after the anchoring transaction is sent and before it is mined).
// Restarted on the same data directory, every digest that got its 202 ends anchored with a proof that
// verifies, and no root is anchored twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { bytesToHex, type Hex } from 'viem';
import pg from 'pg';
import { anchorRegistryAbi } from '../../src/chain/artifacts/index.ts';
import { walletFor } from '../../src/chain/clients.ts';
import { serializeWrites } from '../../src/chain/serial.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { startAggregator, type Aggregator } from '../../src/node/provenance/aggregator.ts';
import { digestLeaf, verifyProof } from '../../src/provenance/merkle/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { AGGREGATOR_ACCOUNT, ensureProvenanceContracts } from './fixtures/provenanceNode.ts';
import { PG_URL, databaseKinds } from './fixtures/stores.ts';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'anchorChild.ts');
const usePostgres = (await databaseKinds()).includes('postgres');

type Child = { proc: ChildProcess; url: string; lines: string[]; waitLine: (re: RegExp, timeoutMs?: number) => Promise<string>; kill: () => Promise<void> };

async function startChild(chain: TestChain, dataDir: string, schema: string | undefined, opts: { intervalMs: number; maxBatch: number; lingerAfterSealMs?: number }): Promise<Child> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', childScript, JSON.stringify({ rpcUrl: chain.devnet.rpcUrl, deployment: chain.deployment, dataDir, databaseUrl: schema ? PG_URL : undefined, schema, ...opts })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let err = '';
  let buffered = '';
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.on('data', (d) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters]) if (w.re.test(l)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(l));
    }
  });
  const waitLine = (re: RegExp, timeoutMs = 60_000) => {
    const seen = lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child never printed ${re}: ${lines.join('\n')}\n${err.slice(-2000)}`)), timeoutMs);
      waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      proc.once('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`child exited (${code}): ${lines.join('\n')}\n${err.slice(-2000)}`)));
    });
  };
  const url = (await waitLine(/^READY /)).slice(6);
  return {
    proc,
    url,
    lines,
    waitLine,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      assert.equal(proc.signalCode, 'SIGKILL');
    },
  };
}

/** Clients posting raw digests in a loop until stopped; returns every digest that got its 202. */
function clients(url: string, n: number, perRequest: number) {
  const acked: Buffer[] = [];
  let stop = false;
  let refused = 0;
  const loops = Array.from({ length: n }, async () => {
    while (!stop) {
      const body = randomBytes(perRequest * 32);
      try {
        const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
        const j = (await res.json()) as { accepted?: number };
        if (res.status === 202 && j.accepted === perRequest) acked.push(body);
        else refused++;
      } catch {
        refused++;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
  return {
    acked,
    count: () => acked.length * perRequest,
    stop: async () => {
      stop = true;
      await Promise.all(loops);
      return { acked, refused };
    },
  };
}

/** Restarts the aggregator on `dataDir` in this process, anchors everything, checks every acknowledged digest. */
async function recoverAndCheck(chain: TestChain, dataDir: string, acked: Buffer[]): Promise<{ agg: Aggregator; roots: Set<Hex>; logs: string[] }> {
  const logs: string[] = [];
  const agg = await startAggregator({
    dir: path.join(dataDir, 'anchors'),
    client: chain.client,
    wallet: serializeWrites(walletFor(chain.client, devnetAccount(AGGREGATOR_ACCOUNT))),
    registry: chain.address('AnchorRegistry'),
    intervalMs: 60_000,
    maxBatch: 1_000_000,
    log: (l) => logs.push(l),
  });
  await agg.flush(120_000);
  const roots = new Set<Hex>();
  let checked = 0;
  for (const body of acked) {
    for (let i = 0; i < body.length; i += 32) {
      const d = bytesToHex(body.subarray(i, i + 32));
      const r = agg.receipt(d);
      assert.ok(r, `acknowledged digest ${d} is unknown after the restart`);
      assert.equal(r.status, 'anchored', `acknowledged digest ${d} is ${r.status}`);
      // Proofs of every digest would take long in a 20k sample: check all offline, a few on chain.
      assert.ok(verifyProof(r.batch!.root, digestLeaf(d), r.batch!.proof), `proof of ${d}`);
      if (checked++ % 997 === 0) {
        assert.equal(await chain.client.readContract({ address: chain.address('AnchorRegistry'), abi: anchorRegistryAbi, functionName: 'verify', args: [r.batch!.proof, r.batch!.root, d] }), true);
      }
      roots.add(r.batch!.root);
    }
  }
  for (const root of roots) {
    const a = await chain.client.readContract({ address: chain.address('AnchorRegistry'), abi: anchorRegistryAbi, functionName: 'anchorOf', args: [root] });
    assert.ok(a.timestamp > 0, `root ${root} is anchored`);
  }
  // Each root went on chain once (the registry refuses a second anchoring; no reverted resend either).
  const events = await chain.client.getContractEvents({ address: chain.address('AnchorRegistry'), abi: anchorRegistryAbi, eventName: 'RootAnchored', fromBlock: 0n });
  const byRoot = new Map<string, number>();
  for (const e of events) byRoot.set(e.args.root!, (byRoot.get(e.args.root!) ?? 0) + 1);
  for (const root of roots) assert.equal(byRoot.get(root), 1);
  return { agg, roots, logs };
}

describe('aggregator under kill -9', () => {
  let chain: TestChain;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    chain = await startTestChain();
    await ensureProvenanceContracts(chain);
  });
  after(async () => {
    for (const c of cleanups) await c().catch(() => {});
    await chain?.stop();
  });
  const place = () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-anchor-crash-'));
    const schema = usePostgres ? `anchor_crash_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : undefined;
    cleanups.push(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`);
        await c.end();
      }
    });
    return { dataDir, schema };
  };

  it('killed during intake, with batches sealing and anchoring: every 202 ends anchored', async () => {
    const { dataDir, schema } = place();
    const child = await startChild(chain, dataDir, schema, { intervalMs: 100, maxBatch: 5_000 });
    const load = clients(child.url, 8, 250);
    await child.waitLine(/anchored in tx/);
    while (load.count() < 20_000) await new Promise((r) => setTimeout(r, 20));
    await child.kill();
    const { acked, refused } = await load.stop();
    const ackedDigests = acked.length * 250;
    assert.ok(ackedDigests >= 20_000, `${ackedDigests} digests acknowledged`);
    void refused;
    const { agg, roots } = await recoverAndCheck(chain, dataDir, acked);
    assert.ok(roots.size >= 2, `${roots.size} batches`);
    assert.ok(child.lines.some((l) => /sealed batch/.test(l)));
    await agg.stop();
  });

  it('killed after a batch is sealed and before it is sent: anchored once after the restart', async () => {
    const { dataDir, schema } = place();
    const child = await startChild(chain, dataDir, schema, { intervalMs: 100, maxBatch: 1_000_000, lingerAfterSealMs: 60_000 });
    const body = randomBytes(300 * 32);
    const res = await fetch(`${child.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
    assert.equal(res.status, 202);
    await child.waitLine(/sealed batch 1 /);
    await child.kill();
    assert.ok(!child.lines.some((l) => /anchored in tx/.test(l)), 'nothing was sent before the kill');
    assert.ok(readdirSync(path.join(dataDir, 'anchors')).some((f) => /^batch-\d+\.bin$/.test(f)), 'the sealed batch is on disk');
    const { agg, roots } = await recoverAndCheck(chain, dataDir, [body]);
    assert.equal(roots.size, 1);
    await agg.stop();
  });

  it('killed after the anchoring tx is sent and before it is mined: the restart finds it, no second tx', async () => {
    const { dataDir, schema } = place();
    const child = await startChild(chain, dataDir, schema, { intervalMs: 100, maxBatch: 1_000_000 });
    await chain.client.request({ method: 'evm_setAutomine', params: [false] } as never);
    let sentTx: Hex | undefined;
    try {
      const body = randomBytes(500 * 32);
      const res = await fetch(`${child.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      assert.equal(res.status, 202);
      const dir = path.join(dataDir, 'anchors');
      const end = Date.now() + 30_000;
      let sentFile: string | undefined;
      while (!(sentFile = readdirSync(dir).find((f) => f.endsWith('.sent.json')))) {
        if (Date.now() > end) throw new Error(`no .sent.json: ${child.lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await child.kill();
      sentTx = (JSON.parse(readFileSync(path.join(dir, sentFile), 'utf8')) as { txHash: Hex }).txHash;
      await chain.client.request({ method: 'evm_setAutomine', params: [true] } as never);
      await chain.client.request({ method: 'evm_mine' } as never);
      const { agg, roots } = await recoverAndCheck(chain, dataDir, [body]);
      assert.equal(roots.size, 1);
      assert.equal(agg.batches()[0]!.anchor!.txHash, sentTx, 'the transaction sent before the kill is the anchor');
      assert.ok(!existsSync(path.join(dir, sentFile)), 'the .sent record is settled');
      await agg.stop();
    } finally {
      await chain.client.request({ method: 'evm_setAutomine', params: [true] } as never);
    }
  });
});
