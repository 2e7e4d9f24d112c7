import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../src/config/settings.ts';
import { InvalidSettingError, formatError } from '../src/errors/index.ts';

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

function failure(fn: () => unknown): InvalidSettingError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidSettingError, `expected InvalidSettingError, got ${err}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected a failure');
}

describe('settings', () => {
  it('defaults to the embedded devnet on 8545 and the node on 8787', () => {
    const s = loadSettings({}, {});
    assert.equal(s.rpcUrl, undefined);
    assert.equal(s.devnetPort, 8545);
    assert.equal(s.nodePort, 8787);
    assert.equal(s.host, '127.0.0.1');
    assert.ok(s.deploymentsDir.endsWith('deployments'));
  });

  it('flags win over the environment', () => {
    const s = loadSettings({ port: '9001', devnetPort: '9002' }, { MACHINA_NODE_PORT: '7000', MACHINA_DEVNET_PORT: '7001' });
    assert.equal(s.nodePort, 9001);
    assert.equal(s.devnetPort, 9002);
  });

  it('names the setting and the reason for each wrong value', () => {
    assert.match(failure(() => loadSettings({}, { MACHINA_NODE_PORT: 'abc' })).message, /^MACHINA_NODE_PORT: must be an integer port/);
    assert.match(failure(() => loadSettings({ port: '70000' }, {})).message, /^--port: must be an integer port 0-65535 \(got 70000\)/);
    assert.match(failure(() => loadSettings({}, { MACHINA_DEVNET_PORT: '-1' })).message, /^MACHINA_DEVNET_PORT:/);
    assert.match(failure(() => loadSettings({}, { MACHINA_RPC_URL: 'not a url' })).message, /^MACHINA_RPC_URL: not a URL/);
    assert.match(failure(() => loadSettings({}, { MACHINA_RPC_URL: 'ftp://x' })).message, /^MACHINA_RPC_URL: must be an http/);
    assert.match(failure(() => loadSettings({ keystore: '/nonexistent/key.json' }, {})).message, /^--keystore: no such file/);
    assert.match(failure(() => loadSettings({}, { MACHINA_HOST: 'bad host!' })).message, /^MACHINA_HOST:/);
    assert.match(failure(() => loadSettings({}, { MACHINA_NODE_PORT: '8545' })).message, /^MACHINA_NODE_PORT: port 8545 is already the devnet's port/);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'machina-')), 'file');
    writeFileSync(file, 'x');
    assert.match(failure(() => loadSettings({ dataDir: file }, {})).message, /^--data-dir: not a directory/);
  });

  it('never echoes a private key, even a malformed one', () => {
    const bad = `${KEY.slice(0, 60)}zz`;
    const err = failure(() => loadSettings({}, { MACHINA_PRIVATE_KEY: bad }));
    assert.match(err.message, /^MACHINA_PRIVATE_KEY: must be 32 bytes of hex/);
    assert.ok(!err.message.includes(bad.slice(2, 40)));
    // Anything that later quotes the key is redacted.
    loadSettings({}, { MACHINA_PRIVATE_KEY: KEY });
    assert.equal(formatError(new Error(`boom ${KEY}`)), 'boom [redacted]');
    assert.equal(formatError(new Error(`boom ${KEY.slice(2).toUpperCase()}`)), 'boom [redacted]');
  });

  it('validates the node settings only where a node runs', () => {
    assert.equal(loadSettings({}, { DATABASE_URL: 'mysql://x' }).databaseUrl, undefined);
    assert.match(failure(() => loadSettings({}, { DATABASE_URL: 'mysql://x' }, { node: true })).message, /^DATABASE_URL: must be a postgres:\/\/ URL/);
    const pg = loadSettings({}, { DATABASE_URL: 'postgres://root:s3cretpass@127.0.0.1:5432/test' }, { node: true });
    assert.equal(pg.databaseUrl, 'postgres://root:s3cretpass@127.0.0.1:5432/test');
    assert.equal(formatError(new Error('cannot connect with s3cretpass')), 'cannot connect with [redacted]');
    assert.equal(loadSettings({}, {}, { node: true }).nodeSigner, true, 'on by default on the devnet');
    assert.equal(loadSettings({}, { MACHINA_RPC_URL: 'http://x:1' }, { node: true }).nodeSigner, false, 'off by default elsewhere');
    assert.match(failure(() => loadSettings({}, { MACHINA_RPC_URL: 'http://x:1', MACHINA_NODE_SIGNER: 'on' }, { node: true })).message, /^MACHINA_NODE_SIGNER: is on, but no key is configured/);
    assert.match(failure(() => loadSettings({ nodeSigner: 'maybe' }, {}, { node: true })).message, /^--node-signer: must be on or off/);
    assert.match(failure(() => loadSettings({}, { MACHINA_PUBLIC_URL: 'nope' }, { node: true })).message, /^MACHINA_PUBLIC_URL: not a URL/);
  });

  it('reads the anchoring aggregator cadence, with defaults and bounds', () => {
    const d = loadSettings({}, {}, { node: true });
    assert.equal(d.anchorIntervalMs, 5_000);
    assert.equal(d.anchorMaxBatch, 1_000_000);
    const s = loadSettings({}, { MACHINA_ANCHOR_INTERVAL_MS: '250', MACHINA_ANCHOR_MAX_BATCH: '64' }, { node: true });
    assert.equal(s.anchorIntervalMs, 250);
    assert.equal(s.anchorMaxBatch, 64);
    assert.match(failure(() => loadSettings({}, { MACHINA_ANCHOR_INTERVAL_MS: '5s' }, { node: true })).message, /^MACHINA_ANCHOR_INTERVAL_MS: must be a whole number \(got "5s"\)/);
    assert.match(failure(() => loadSettings({}, { MACHINA_ANCHOR_MAX_BATCH: '0' }, { node: true })).message, /^MACHINA_ANCHOR_MAX_BATCH: must be between 1 and 16777216 \(got 0\)/);
  });

  it('reads the blob store caps and the compute keeper, with defaults and bounds', () => {
    const d = loadSettings({}, {}, { node: true });
    assert.equal(d.blobMaxBytes, 64 * 1024 * 1024);
    assert.equal(d.blobQuotaBytes, 2 * 1024 * 1024 * 1024);
    assert.equal(d.computeKeeper, true, 'on where the node signs (the devnet)');
    assert.equal(d.computeKeeperMs, 1_000);
    assert.equal(loadSettings({}, { MACHINA_RPC_URL: 'http://x:1' }, { node: true }).computeKeeper, false, 'off where the node does not sign');
    const s = loadSettings({}, { MACHINA_BLOB_MAX_BYTES: '1024', MACHINA_BLOB_QUOTA_BYTES: '4096', MACHINA_COMPUTE_KEEPER: 'off', MACHINA_COMPUTE_KEEPER_MS: '250' }, { node: true });
    assert.equal(s.blobMaxBytes, 1024);
    assert.equal(s.blobQuotaBytes, 4096);
    assert.equal(s.computeKeeper, false);
    assert.equal(s.computeKeeperMs, 250);
    assert.match(failure(() => loadSettings({}, { MACHINA_BLOB_MAX_BYTES: '64MiB' }, { node: true })).message, /^MACHINA_BLOB_MAX_BYTES: must be a whole number/);
    assert.match(failure(() => loadSettings({}, { MACHINA_BLOB_MAX_BYTES: '0' }, { node: true })).message, /^MACHINA_BLOB_MAX_BYTES: must be between 1 and/);
    assert.match(failure(() => loadSettings({}, { MACHINA_BLOB_QUOTA_BYTES: '-1' }, { node: true })).message, /^MACHINA_BLOB_QUOTA_BYTES: must be a whole number/);
    assert.match(failure(() => loadSettings({}, { MACHINA_COMPUTE_KEEPER: 'sometimes' }, { node: true })).message, /^MACHINA_COMPUTE_KEEPER: must be on or off/);
    assert.match(failure(() => loadSettings({}, { MACHINA_COMPUTE_KEEPER_MS: '10' }, { node: true })).message, /^MACHINA_COMPUTE_KEEPER_MS: must be between 50 and 3600000 \(got 10\)/);
    assert.match(failure(() => loadSettings({}, { MACHINA_NODE_SIGNER: 'off', MACHINA_COMPUTE_KEEPER: 'on' }, { node: true })).message, /^MACHINA_COMPUTE_KEEPER: is on, but the node does not sign/);
  });

  it('reads the MCP workspace: an existing directory, or unset', () => {
    assert.equal(loadSettings({}, {}).mcpWorkspace, undefined);
    const dir = mkdtempSync(path.join(tmpdir(), 'machina-'));
    assert.equal(loadSettings({}, { MACHINA_MCP_WORKSPACE: dir }).mcpWorkspace, dir);
    assert.match(failure(() => loadSettings({}, { MACHINA_MCP_WORKSPACE: path.join(dir, 'nope') })).message, /^MACHINA_MCP_WORKSPACE: no such directory/);
  });

  it('refuses a private key and a keystore together', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'machina-'));
    const ks = path.join(dir, 'k.json');
    writeFileSync(ks, '{}');
    assert.match(failure(() => loadSettings({ keystore: ks }, { MACHINA_PRIVATE_KEY: KEY })).message, /not both/);
  });
});
