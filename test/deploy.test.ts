// `machina deploy` on an external chain with an encrypted keystore, and the deployment file as a
// validated setting: resumable, reused, and refused with one line when it is wrong.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encryptKeystore } from '../src/chain/keystore.ts';
import { startDevnet, type Devnet } from '../src/chain/devnet.ts';
import { protocolPlan } from '../src/protocol/plan.ts';
import { runCli, runCliInHost, startCliHost } from './helpers/cli.ts';

// anvil development account 5: public test key, never real money.
const KEY = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';

describe('machina deploy on an external chain', () => {
  let chain: Devnet;
  let dir: string;
  before(async () => {
    startCliHost();
    chain = await startDevnet({ port: 0, chainId: 4242 });
    dir = mkdtempSync(path.join(tmpdir(), 'machina-deploy-'));
  });
  after(async () => {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys with a keystore, then reuses the deployment file', async () => {
    const keystore = path.join(dir, 'key.json');
    writeFileSync(keystore, JSON.stringify(encryptKeystore(KEY, 'pa55word', { n: 1024 })));
    const env = { MACHINA_RPC_URL: chain.rpcUrl, MACHINA_KEYSTORE: keystore, MACHINA_KEYSTORE_PASSWORD: 'pa55word', MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'deployments') };
    // The first deployment through bin/machina.js itself; the other commands in this file's CLI host.
    const first = await runCli(['deploy', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json().chainId, 4242);
    // Everything but the DeFi lab, whose open-mint tokens are for the devnet only.
    const here = protocolPlan.contracts.filter((c) => c.only?.(4242) ?? true);
    assert.ok(here.length < protocolPlan.contracts.length && !here.some((c) => c.name === 'LabAsset' || c.name === 'LendingMarket'));
    assert.equal(first.json().deployedCount, here.length);
    const file = JSON.parse(readFileSync(path.join(dir, 'deployments', '4242.json'), 'utf8'));
    assert.deepEqual(Object.keys(file.contracts).sort(), here.map((c) => c.name).sort());
    for (const out of [first.stdout, first.stderr]) {
      assert.ok(!out.toLowerCase().includes(KEY.slice(2)), 'key never printed');
      assert.ok(!out.includes('pa55word'), 'password never printed');
    }

    const again = await runCliInHost(['deploy', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json().deployedCount, 0);
    assert.deepEqual(again.json().contracts, file.contracts);

    const wrong = await runCliInHost(['deploy'], { ...env, MACHINA_KEYSTORE_PASSWORD: 'nope' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^machina: MACHINA_KEYSTORE_PASSWORD: wrong password for the keystore/m);
    const missing = await runCliInHost(['deploy'], { ...env, MACHINA_KEYSTORE_PASSWORD: '' });
    assert.match(missing.stderr, /^machina: MACHINA_KEYSTORE_PASSWORD: required to unlock MACHINA_KEYSTORE/m);
  });

  it('refuses to deploy on a chain without a key', async () => {
    const r = await runCliInHost(['deploy'], { MACHINA_RPC_URL: chain.rpcUrl, MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'none') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^machina: chain 4242 has no Machina deployment and no key is configured/m);
  });

  it('names the deployment file and the field when it is malformed or does not match the chain', async () => {
    const deployments = path.join(dir, 'bad');
    const file = path.join(deployments, '4242.json');
    const env = { MACHINA_RPC_URL: chain.rpcUrl, MACHINA_DEPLOYMENTS_DIR: deployments, MACHINA_PRIVATE_KEY: KEY };
    const cases: Array<[string, RegExp]> = [
      ['{ not json', /4242\.json: not valid JSON/],
      ['{"chainId": 1, "contracts": {}}', /4242\.json: chainId: expected 4242, found 1/],
      ['{"chainId": 4242, "contracts": {"IdentityRegistry": {"address": "0x12", "blockNumber": 1}}}', /contracts\.IdentityRegistry\.address: must be a 20-byte hex address/],
      [
        '{"chainId": 4242, "contracts": {"IdentityRegistry": {"address": "0x000000000000000000000000000000000000dEaD", "blockNumber": 1}}}',
        /records IdentityRegistry at 0x000000000000000000000000000000000000dEaD, but there is no contract there/,
      ],
    ];
    for (const [text, re] of cases) {
      rmSync(deployments, { recursive: true, force: true });
      (await import('node:fs')).mkdirSync(deployments, { recursive: true });
      writeFileSync(file, text);
      const r = await runCliInHost(['deploy'], env);
      assert.equal(r.code, 1, text);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('machina:'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0]!, re);
      assert.equal(readFileSync(file, 'utf8'), text, 'a bad file is never overwritten');
    }
  });
});
