// The compute market from the command line, as the "done" check runs it: `machina provider start` in one
// process, `machina compute submit --demo --wait --json` in another, and the job completes verified and paid.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { machinaBin, repoRoot, runCliInHost, startCliHost } from '../helpers/cli.ts';

describe('machina compute / provider CLI', () => {
  let chain: TestChain;
  let env: Record<string, string>;
  let provider: ChildProcess | undefined;
  const lines: Array<Record<string, any>> = [];
  let exited: Promise<number | null>;
  const tmp = mkdtempSync(path.join(tmpdir(), 'machina-compute-cli-'));

  before(async () => {
    startCliHost();
    chain = await startTestChain();
    // No node in this test: jobs and outputs travel as data: URIs (and no stray node on the default port is used).
    env = { ...chain.env, MACHINA_NODE_URL: 'http://127.0.0.1:9' };
  });
  after(async () => {
    if (provider && provider.exitCode === null) provider.kill('SIGKILL');
    await chain?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  // `provider start` runs as its own process (bin/machina.js); the other commands run in this file's CLI host.
  const cli = (...args: string[]) => runCliInHost(args, env, { timeoutMs: 90_000 });

  let ready: Promise<void>;
  function startProvider() {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINA_')));
    provider = spawn(process.execPath, [machinaBin, 'provider', 'start', '--json', '--poll-ms', '50'], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    provider.stderr!.on('data', (c) => (stderr += c));
    exited = new Promise((resolve) => provider!.once('exit', (code) => resolve(code)));
    let buf = '';
    ready = new Promise<void>((resolve, reject) => {
      provider!.stdout!.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const e = JSON.parse(line);
          lines.push(e);
          if (e.type === 'ready') resolve();
        }
      });
      provider!.once('exit', (code) => reject(new Error(`provider exited with ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`provider not ready after 60 s: ${stderr}`)), 60_000);
    });
    ready.catch(() => {});
  }

  it('wrong input is refused before anything is sent, naming the flag', async () => {
    // The provider boots meanwhile (these checks need no chain state).
    startProvider();
    // Without a node, bytes would go on chain as data: URIs: a workload over 64 KiB is refused, naming --node-url.
    const big = path.join(tmp, 'big.bin');
    const small = path.join(tmp, 'small.bin');
    writeFileSync(big, Buffer.alloc(64 * 1024 + 1));
    writeFileSync(small, 'input');
    const [r, m, c, b, even] = await Promise.all([
      cli('compute', 'submit', '--json'),
      cli('compute', 'submit', '--demo', '--mode', 'optimistic', '--replicas', '3', '--json'),
      cli('provider', 'start', '--cheat', '2', '--json'),
      cli('compute', 'submit', '--workload', big, '--input', small, '--json'),
      cli('compute', 'submit', '--demo', '--replicas', '2', '--json'),
    ]);
    // An even replica count could end without a majority: refused, naming the flag.
    assert.equal(even.code, 1, even.stdout + even.stderr);
    assert.equal(even.json().error.field, '--replicas');
    assert.match(even.json().error.message, /must be 1, 3 or 5/);
    assert.equal(b.code, 1, b.stdout + b.stderr);
    assert.equal(b.json().error.field, '--node-url');
    assert.match(b.json().error.message, /no node answers at http:\/\/127\.0\.0\.1:9.*65537 bytes.*over the 65536 bytes/);
    assert.equal(r.code, 1);
    assert.equal(r.json().error.field, '--workload');
    assert.equal(m.code, 1);
    assert.equal(m.json().error.field, '--replicas');
    assert.equal(c.code, 1);
    assert.equal(c.json().error.field, '--cheat');
  });

  it('provider start gets a fresh devnet key ready (agent, registration, faucet, stake) and runs the daemon', async () => {
    await ready;
    const steps = lines.filter((e) => e.type === 'setup').map((e) => e.step);
    assert.deepEqual(steps, ['agent-registered', 'provider-registered', 'faucet', 'staked']);
    const readyEvent = lines.find((e) => e.type === 'ready')!;
    assert.match(readyEvent.providerId, /^\d+$/);
    assert.ok(lines.some((e) => e.type === 'started'));
  });

  it('compute submit --demo --wait --json completes a verified, paid job (one provider: optimistic, the buyer re-runs it and accepts); status, result, jobs and provider status agree', async () => {
    const started = Date.now();
    const r = await cli('compute', 'submit', '--demo', '--wait', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // No node: the data: URI fallback is said on stderr; stdout stays the job alone.
    assert.match(r.stderr, /warning: no node answers at http:\/\/127\.0\.0\.1:9; the workload and input go on chain as data: URIs/);
    const job = r.json();
    assert.equal(job.status, 'completed');
    // With fewer than 3 live providers the demo is optimistic, and the buyer's own run verified it.
    assert.equal(job.mode, 'optimistic');
    assert.equal(job.replicas, 1);
    assert.equal(job.verifiedBy, 'the buyer re-ran it');
    assert.match(job.jobId, /^\d+$/);
    assert.match(job.acceptedDigest, /^0x[0-9a-f]{64}$/);
    assert.equal(job.assignments.length, 1);
    assert.equal(job.assignments[0].paid, true);
    assert.equal(job.assignments[0].outputDigest, job.acceptedDigest);
    assert.ok(BigInt(job.paid) > 0n);
    assert.ok(job.latencyMs > 0 && job.latencyMs < Date.now() - started);
    process.stdout.write(`# demo job latency ${job.latencyMs} ms (CLI process ${Date.now() - started} ms)\n`);

    const out = path.join(tmp, 'out.bin');
    const [st, res, list, ps, none] = await Promise.all([
      cli('compute', 'status', job.jobId, '--json'),
      cli('compute', 'result', job.jobId, '--out', out, '--json'),
      cli('compute', 'jobs', '--json'),
      cli('provider', 'status', '--json'),
      cli('compute', 'status', '999', '--json'),
    ]);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.json().status, 'completed');
    assert.equal(st.json().acceptedDigest, job.acceptedDigest);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.json().bytes, readFileSync(out).length);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.json().jobs[0].jobId, job.jobId);
    assert.equal(ps.code, 0, ps.stderr);
    const p = ps.json();
    assert.equal(p.providerId, job.assignments[0].providerId);
    assert.equal(p.live, true);
    assert.equal(p.completed, 1);
    assert.equal(p.resources.deviceKind, 'cpu');
    assert.equal(none.code, 1);

    // The provider saw it through: bid, assigned, ran, committed, paid.
    const until = Date.now() + 5_000;
    while (Date.now() < until && !lines.some((e) => e.type === 'paid')) await new Promise((r) => setTimeout(r, 50));
    const kinds = lines.filter((e) => e.jobId === job.jobId).map((e) => e.type);
    for (const k of ['bid', 'assigned', 'ran', 'committed', 'paid']) assert.ok(kinds.includes(k), `provider event ${k} missing in ${kinds.join(',')}`);
  });

  it('SIGTERM stops the provider cleanly with a summary', async () => {
    provider!.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0);
    const summary = lines.find((e) => e.type === 'summary');
    assert.ok(summary, 'a summary line');
    assert.ok(summary!.paid >= 1);
    assert.ok(lines.some((e) => e.type === 'stopped'));
  });
});
