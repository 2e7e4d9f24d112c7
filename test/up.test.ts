// `machina up` as a user runs it: boots, deploys, serves, prints what to do next, and shuts down
// cleanly on SIGTERM; a second start reuses the deployment; external chains are attached, not redeployed.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDevnet } from '../src/chain/devnet.ts';
import { machinaBin, repoRoot, runCli, runCliInHost } from './helpers/cli.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const ANVIL_KEY_3 = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';

type Up = { child: ChildProcess; out: () => string; err: () => string; summary: Promise<any>; exit: Promise<number | null> };

function startUp(args: string[], env: Record<string, string>, cwd: string): Up {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINA_')));
  const child = spawn(process.execPath, [machinaBin, 'up', '--json', ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const summary = new Promise<any>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c;
      try {
        resolve(JSON.parse(out));
      } catch {
        // not complete yet
      }
    });
    child.stderr!.on('data', (c) => (err += c));
    exit.then((code) => reject(new Error(`machina up exited (${code}) before it was ready: ${err}`)));
  });
  return { child, out: () => out, err: () => err, summary, exit };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('machina up', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'machina-up-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('boots the devnet, deploys, serves /health and /v1/contracts, and stops cleanly on SIGTERM', async () => {
    const cwd = tmp();
    const env = { MACHINA_DEVNET_PORT: '0', MACHINA_NODE_PORT: '0', MACHINA_DEPLOYMENTS_DIR: path.join(cwd, 'deployments'), MACHINA_DATA_DIR: path.join(cwd, '.machina') };
    const up = startUp([], env, repoRoot);
    const s = await up.summary;
    assert.equal(s.status, 'running');
    assert.equal(s.chainId, 31337);
    assert.match(s.nodeUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

    const file = JSON.parse(readFileSync(path.join(cwd, 'deployments', '31337.json'), 'utf8'));
    assert.equal(file.chainId, 31337);
    for (const name of ['IdentityRegistry', 'ReputationRegistry', 'ValidationRegistry', 'PaymentReceipts']) {
      assert.match(file.contracts[name].address, /^0x[0-9a-fA-F]{40}$/);
      assert.ok(Number.isInteger(file.contracts[name].blockNumber));
    }
    const health = await (await fetch(`${s.nodeUrl}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.equal(health.chainId, 31337);
    assert.deepEqual(await (await fetch(`${s.nodeUrl}/v1/contracts`)).json(), file);
    const missing = await fetch(`${s.nodeUrl}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'NOT_FOUND');

    // The CLI talks to the running devnet.
    const rpcPort = new URL(s.rpcUrl).port;
    const reg = await runCli(['agent', 'register', '--name', 'up-test', '--json'], { ...env, MACHINA_DEVNET_PORT: rpcPort });
    assert.equal(reg.code, 0, reg.stderr);
    // The node indexes it: the API serves it within 2 s of the CLI returning.
    const registeredAt = Date.now();
    let indexed: any;
    while (Date.now() - registeredAt < 2_000) {
      const res = await fetch(`${s.nodeUrl}/v1/agents/${reg.json().agentId}`);
      if (res.status === 200) {
        indexed = await res.json();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(indexed?.name, 'up-test', 'agent in the API within 2 s');
    // The dashboard is served at / (built by `machina up` on a fresh clone).
    const page = await fetch(`${s.nodeUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<script[^>]+src="[^"]*\/assets\/[^"]+\.js"/);
    const script = /<script[^>]+src="([^"]+)"/.exec(html)![1]!;
    assert.equal((await fetch(new URL(script, s.nodeUrl))).status, 200);

    const anvilPids = childPids(up.child.pid!, 'anvil');
    assert.equal(anvilPids.length, 1, 'the devnet runs as a child process');
    up.child.kill('SIGTERM');
    assert.equal(await up.exit, 0);
    // machina waits for anvil to exit before it exits itself; allow the kernel a moment to reap it.
    for (const pid of anvilPids) assert.ok(await gone(pid), `anvil ${pid} still running`);
    await assert.rejects(fetch(`${s.nodeUrl}/health`));
    assert.ok(existsSync(path.join(cwd, '.machina', 'devnet', 'state.json')), 'devnet state saved');

    // Second start: same chain state, same deployment, nothing redeployed, the agent still there.
    const again = startUp([], env, repoRoot);
    const s2 = await again.summary;
    assert.deepEqual(s2.contracts, file.contracts);
    assert.doesNotMatch(again.err(), /deployed /);
    const show = await runCli(['agent', 'show', String(reg.json().agentId), '--json'], { ...env, MACHINA_DEVNET_PORT: new URL(s2.rpcUrl).port });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(show.json().registration.name, 'up-test');
    again.child.kill('SIGINT');
    assert.equal(await again.exit, 0);
  });

  it('attaches to an external chain with MACHINA_RPC_URL and a key, deploying once', async () => {
    const chain = await startDevnet({ port: 0, chainId: 1337 });
    try {
      const cwd = tmp();
      const dataDir = path.join(cwd, '.machina');
      const env = { MACHINA_RPC_URL: chain.rpcUrl, MACHINA_PRIVATE_KEY: ANVIL_KEY_3, MACHINA_NODE_PORT: '0', MACHINA_DEPLOYMENTS_DIR: path.join(cwd, 'deployments'), MACHINA_DATA_DIR: dataDir };
      // The first boot above ran the embedded database's initdb; this one starts from an initialised copy.
      await seedEmbeddedDatabase(path.join(dataDir, 'node', '1337'));
      const first = startUp([], env, repoRoot);
      const s = await first.summary;
      assert.equal(s.chainId, 1337);
      assert.match(first.err(), /deployed IdentityRegistry/);
      first.child.kill('SIGTERM');
      assert.equal(await first.exit, 0);
      assert.ok(!JSON.stringify(first.out() + first.err()).includes(ANVIL_KEY_3.slice(2)), 'key never printed');

      const second = startUp([], env, repoRoot);
      const s2 = await second.summary;
      assert.deepEqual(s2.contracts, s.contracts, 'the existing deployment file is used');
      assert.doesNotMatch(second.err(), /deployed /);
      second.child.kill('SIGTERM');
      assert.equal(await second.exit, 0);
      // The external chain keeps running: Machina only attached to it.
      assert.ok(pidAlive(chain.process.pid!));
    } finally {
      await chain.stop();
    }
  });

  it('stops with one line naming the setting when a value is wrong', async () => {
    for (const [env, re] of [
      [{ MACHINA_NODE_PORT: 'eighty' }, /^machina: MACHINA_NODE_PORT: must be an integer port/],
      [{ MACHINA_RPC_URL: 'localhost:8545' }, /^machina: MACHINA_RPC_URL: must be an http\(s\) or ws\(s\) URL/],
      [{ MACHINA_RPC_URL: 'http://127.0.0.1:1' }, /^machina: cannot reach a chain at http:\/\/127\.0\.0\.1:1/],
      [{ MACHINA_PRIVATE_KEY: '0x1234' }, /^machina: MACHINA_PRIVATE_KEY: must be 32 bytes of hex/],
    ] as const) {
      const r = await runCliInHost(['up'], { ...env }, { cwd: tmp() });
      assert.equal(r.code, 1);
      // Progress lines may come first; the failure is one line, the last.
      const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('machina:'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, re);
    }
    const r = await runCliInHost(['up', '--port', '99999'], {}, { cwd: tmp() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^machina: --port: must be an integer port 0-65535/m);
  });
});

/** PIDs of the direct children of `pid` whose command is `comm`, read from /proc. */
function childPids(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) out.push(Number(entry));
    } catch {
      // process went away
    }
  }
  return out;
}

/** True once `pid` no longer runs (gone, or a zombie waiting to be reaped), polling up to 2 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (!pidAlive(pid)) return true;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
