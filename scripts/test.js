#!/usr/bin/env node
// `npm test`: everything CI checks, in order, failing on the first failed stage:
// contracts build (and the committed TypeScript artifacts match it), forge tests, the gas snapshot,
// the type check, then the TypeScript tests against real devnets.
import { spawnSync } from 'node:child_process';
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

function stage(name, fn) {
  const t = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const ok = fn();
  process.stdout.write(`== ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
  if (!ok) process.exit(1);
}

/** Test files under test/ (Node 20's runner takes no globs); arguments filter them by substring. */
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
  return out.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status === 0;
}

if (!tsOnly) stage('contracts: build', () => {
  buildContracts({ quiet: true });
  // The generated ABIs are committed; a difference means someone changed a contract without regenerating.
  const diff = spawnSync('git', ['status', '--porcelain', '--', 'src/chain/artifacts'], { cwd: root, encoding: 'utf8' });
  if (diff.status === 0 && diff.stdout.trim() !== '' && process.env.CI) {
    process.stdout.write(`generated artifacts differ from the committed ones (run npm run build:contracts and commit):\n${diff.stdout}`);
    return false;
  }
  return true;
});

if (!tsOnly) stage('contracts: forge test (unit, fuzz, invariant)', () => {
  // CI runs with a fixed fuzz seed so that a red run is reproducible; locally every run explores anew.
  const env = process.env.CI && !process.env.FOUNDRY_FUZZ_SEED ? { ...process.env, FOUNDRY_FUZZ_SEED: '0x4d616368696e61' } : process.env;
  const r = spawnSync(forgeBin, ['test'], { cwd: contracts, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout);
  const m = /(\d+) tests passed, (\d+) failed, (\d+) skipped/.exec(r.stdout);
  if (m) process.stdout.write(`forge: ${m[1]} passed, ${m[2]} failed\n`);
  return r.status === 0;
});

if (!tsOnly) stage('contracts: gas snapshot matches .gas-snapshot', () => run(forgeBin, ['snapshot', '--check', '--match-test', '^test_'], { cwd: contracts }));

stage('typescript: type check', () => run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]));

// Test files spend much of their time waiting on their own devnets, nodes and child processes;
// node's default (cores - 1: one file at a time on CI's 2 cores) leaves the CPU idle. Every file
// uses its own ports, directories and PostgreSQL schema, so two run side by side (three starve the
// CLI tests, which spawn a process per command, of CPU). A file gets 10 minutes.
const concurrency = process.env.MACHINA_TEST_CONCURRENCY ?? '2';
stage('typescript: tests', () => run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...testFiles(filters)]));

process.stdout.write(`\nall stages passed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
