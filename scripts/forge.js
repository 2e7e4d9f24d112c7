#!/usr/bin/env node
// Runs the native forge binary in contracts/ and passes its exit code through.
// forge's npm launcher script exits 0 even when tests fail, so it is never used.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const forgeBin = path.join(root, 'node_modules/@foundry-rs/forge-linux-amd64/bin/forge');

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = spawnSync(forgeBin, process.argv.slice(2), { cwd: path.join(root, 'contracts'), stdio: 'inherit' });
  if (r.error) {
    console.error(`forge: ${r.error.message}`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
