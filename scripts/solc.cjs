#!/usr/bin/env node
// Offline solc for forge: answers `--version` and `--standard-json` with the npm WebAssembly compiler,
// because forge cannot download a native solc on a machine without internet.
const solc = require('solc');
const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version().replace(".Emscripten.clang", "")}.Linux.g++\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('scripts/solc.cjs supports only --version and --standard-json\n');
  process.exit(1);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const fs = require('fs');
  const path = require('path');
  const input = Buffer.concat(chunks).toString('utf8');
  const root = path.resolve(__dirname, '..', 'contracts');
  const findImports = (p) => {
    for (const base of [root, path.join(root, 'node_modules'), path.resolve(__dirname, '..', 'node_modules'), process.cwd()]) {
      const f = path.resolve(base, p);
      if (fs.existsSync(f)) return { contents: fs.readFileSync(f, 'utf8') };
    }
    return { error: `File not found: ${p}` };
  };
  process.stdout.write(solc.compile(input, { import: findImports }));
});
