#!/usr/bin/env node
// `npm test`: everything CI checks, in order, failing on the first failed stage:
// contracts build (and the committed TypeScript artifacts match it), forge tests, the gas snapshot,
// the type check, then the TypeScript tests against real devnets.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildContracts } from './build-contracts.js';
import { forgeBin } from './forge.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const contracts = path.join(root, 'contracts');
const started = Date.now();
const tsOnly = process.argv.includes('--ts-only');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

async function stage(name, fn) {
  const t = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const ok = await fn();
  process.stdout.write(`== ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
  if (!ok) process.exit(1);
}

/**
 * The slowest test files, slowest first (seconds measured two at a time on a 2-core machine). The runner
 * starts files in the order given, so these go first and the two lanes finish together instead of one
 * long file starting last. A new file that takes more than ~20 s belongs in this list.
 */
const SLOW_FIRST = [
  'test/compute.done.test.ts',
  'test/provenance.done.test.ts',
  'test/data.done.test.ts',
  'test/up.test.ts',
  'test/node/indexer.faults.test.ts',
  'test/dashboard.test.ts',
  'test/node/provenance.test.ts',
  'test/compute/provider.test.ts',
  'test/node/provenance.crash.test.ts',
  'test/node/api.fuzz.test.ts',
  'test/dashboard.compute.test.ts',
  'test/dashboard.provenance.test.ts',
  'test/dashboard.wallet.test.ts',
  'test/dashboard.data.test.ts',
  'test/data/c2d.test.ts',
  'test/cli.test.ts',
  'test/sim/lab.done.test.ts',
  'test/defi/replay.test.ts',
  'test/agents/run.test.ts',
  'test/dashboard.lab.test.ts',
];

/** Test files under test/ (Node 20's runner takes no globs), slowest first; arguments filter them by substring. */
function testFiles(filters) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, 'test'));
  const rank = (f) => {
    const i = SLOW_FIRST.indexOf(f.split(path.sep).join('/'));
    return i < 0 ? SLOW_FIRST.length : i;
  };
  return out
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status === 0;
}

/** Like run(), without blocking: resolves to true when the command exits 0. */
function runAsync(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

if (!tsOnly) await stage('contracts: build', () => {
  buildContracts({ quiet: true, withTests: true });
  // The generated ABIs are committed; a difference means someone changed a contract without regenerating.
  const diff = spawnSync('git', ['status', '--porcelain', '--', 'src/chain/artifacts'], { cwd: root, encoding: 'utf8' });
  if (diff.status === 0 && diff.stdout.trim() !== '' && process.env.CI) {
    process.stdout.write(`generated artifacts differ from the committed ones (run npm run build:contracts and commit):\n${diff.stdout}`);
    return false;
  }
  return true;
});

if (!tsOnly) await stage('contracts: forge test (unit, fuzz, invariant)', () => {
  // CI runs with a fixed fuzz seed so that a red run is reproducible; locally every run explores anew.
  const env = process.env.CI && !process.env.FOUNDRY_FUZZ_SEED ? { ...process.env, FOUNDRY_FUZZ_SEED: '0x4d616368696e61' } : process.env;
  const r = spawnSync(forgeBin, ['test'], { cwd: contracts, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
  const m = /(\d+) tests passed, (\d+) failed, (\d+) skipped/.exec(r.stdout);
  if (m) process.stdout.write(`forge: ${m[1]} passed, ${m[2]} failed\n`);
  return r.status === 0;
});

if (!tsOnly) await stage('contracts: gas snapshot matches .gas-snapshot', () => run(forgeBin, ['snapshot', '--check', '--match-test', '^test_'], { cwd: contracts }));

// The project and the dashboard (web/, DOM types) type-check side by side, one core each; meanwhile the
// tests' empty embedded database is initialised once (test/helpers/pglite.ts), so no test file waits for it.
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const template = runAsync(process.execPath, ['--input-type=module', '--import', 'tsx', '-e', "await (await import('./test/helpers/pglite.ts')).pgliteTemplate()"]);
await stage('typescript: type check (project and web/)', async () => {
  const [project, web] = await Promise.all([runAsync(process.execPath, [tsc, '--noEmit', '-p', root]), runAsync(process.execPath, [tsc, '--noEmit', '-p', path.join(root, 'web')])]);
  return project && web;
});
if (!(await template)) process.stdout.write('(the empty test database could not be prepared ahead; the first test that needs one makes it)\n');

// Test files spend much of their time waiting on their own devnets, nodes and child processes;
// node's default (cores - 1: one file at a time on CI's 2 cores) leaves the CPU idle. Every file
// uses its own ports, directories and PostgreSQL schema, so two run side by side (three starve the
// CLI tests, which spawn a process per command, of CPU). A file gets 10 minutes.
const concurrency = process.env.MACHINA_TEST_CONCURRENCY ?? '2';
// test/dashboard.test.ts skips its own web/ type check: the stage above did it.
const testEnv = { ...process.env, MACHINA_TEST_WEB_TYPECHECKED: '1' };
await stage('typescript: tests', () => run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...testFiles(filters)], { env: testEnv }));

process.stdout.write(`\nall stages passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
