// #8's "Done means": the README's sweep chart is produced by one command from a clean clone. This runs the command
// that `npm run lab` runs (read from package.json), through the real executable, into a temporary directory, and
// requires the chart and its table to be byte-identical to the ones committed in docs/lab/ and shown by the README.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'machina-lab-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run lab (the README sweep chart)', () => {
  it('reproduces docs/lab/sweep.svg and sweep.csv byte for byte from scenarios/herd-sweep.json', { timeout: 600_000 }, () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const lab = pkg.scripts.lab!;
    assert.match(lab, /^node bin\/machina\.js sim sweep (\S+) --out docs\/lab$/, 'the lab script is one sim sweep into docs/lab');
    const args = lab.split(' ').slice(1, -1); // bin/machina.js sim sweep <scenario> --out
    // One worker: the suite runs two files at a time on two cores, and the other lane (compute-to-data's provider
    // daemon) must keep its core. Results do not depend on the worker count (test/sim/engine.test.ts).
    const r = spawnSync(process.execPath, [...args, path.join(tmp, 'lab'), '--json', '--data-dir', path.join(tmp, 'data'), '--workers', '1'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
      timeout: 580_000,
    });
    assert.equal(r.status, 0, `npm run lab failed: ${r.stderr}`);
    for (const file of ['sweep.svg', 'sweep.csv']) {
      const made = readFileSync(path.join(tmp, 'lab', file), 'utf8');
      const committed = readFileSync(path.join(root, 'docs/lab', file), 'utf8');
      assert.ok(made === committed, `docs/lab/${file} is not what \`npm run lab\` produces: run it and commit the result`);
    }
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.match(readme, /\]\(docs\/lab\/sweep\.svg\)/, 'the README shows docs/lab/sweep.svg');
  });
});
