// Every `machina` command against a real devnet, as a user types it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { devnetAccount } from '../src/chain/signer.ts';
import { getAgentCount } from '../src/identity/actions/agents.ts';
import { startDevnet, type Devnet } from '../src/chain/devnet.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';
import { runCli, runCliInHost, startCliHost } from './helpers/cli.ts';

describe('machina CLI against the devnet', () => {
  let chain: TestChain;
  const owner = devnetAccount(0).address;
  const client1 = devnetAccount(1).address;
  const validator = devnetAccount(2).address;
  /** Agents the deployment registered itself (the compute market is one): ids 0..n-1, before any test registers one. */
  let preexisting: string[];
  /** The agent the first test registers (account 0 owns it); the one the second registers from account 1. */
  let agentId: string;
  let uriAgentId: string;
  before(async () => {
    startCliHost();
    chain = await startTestChain();
    const deployed = await getAgentCount(chain.client, { identityRegistry: chain.address('IdentityRegistry') });
    preexisting = Array.from({ length: Number(deployed) }, (_, i) => String(i));
  });
  after(async () => chain?.stop());

  // Commands run in one long-lived CLI process for this file (runCliInHost: the CLI's start-up once, not per
  // command); the first registration and the no-chain case spawn bin/machina.js itself, as a user's shell does.
  const cli = (...args: string[]) => runCliInHost(args, chain.env);

  it('agent register returns an agentId that agent show reads back', async () => {
    const reg = await runCli(['agent', 'register', '--name', 'summarizer', '--description', 'Summarizes text', '--service', 'MCP=https://agent.example/mcp', '--service', 'A2A=https://agent.example/card.json@0.3.0', '--x402', '--json'], chain.env);
    assert.equal(reg.code, 0, reg.stderr);
    const { owner: regOwner, registration } = reg.json();
    agentId = reg.json().agentId;
    assert.equal(agentId, String(preexisting.length), 'the next id after those the deployment registered');
    assert.equal(regOwner, owner);
    assert.deepEqual(registration.registrations, [{ agentId: Number(agentId), agentRegistry: `eip155:31337:${chain.address('IdentityRegistry')}` }]);

    const show = await cli('agent', 'show', agentId, '--json');
    assert.equal(show.code, 0, show.stderr);
    const a = show.json();
    assert.equal(a.agentId, agentId);
    assert.equal(a.owner, owner);
    assert.equal(a.agentWallet, owner, 'the wallet starts as the owner');
    assert.equal(a.registration.name, 'summarizer');
    assert.deepEqual(a.registration.services, [
      { name: 'MCP', endpoint: 'https://agent.example/mcp' },
      { name: 'A2A', endpoint: 'https://agent.example/card.json', version: '0.3.0' },
    ]);
    assert.equal(a.registration.x402Support, true);
    assert.equal(a.trust.score, 50);

    const human = await cli('agent', 'show', agentId);
    assert.match(human.stdout, new RegExp(`agent ${agentId}: summarizer`));
    assert.match(human.stdout, /trust score\s+50\/100/);
  });

  it('agent register --uri keeps a given agentURI; agent list pages through agents', async () => {
    const reg = await cli('agent', 'register', '--uri', 'ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--account', '1', '--json');
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal(reg.json().owner, client1);
    uriAgentId = reg.json().agentId;
    assert.equal(uriAgentId, String(Number(agentId) + 1));
    const list = await cli('agent', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const l = list.json();
    const ids = [...preexisting, agentId, uriAgentId];
    assert.equal(l.total, String(ids.length));
    assert.deepEqual(l.agents.map((x: any) => x.agentId), ids);
    assert.equal(l.agents[ids.indexOf(agentId)].name, 'summarizer');
    const page = await cli('agent', 'list', '--offset', String(ids.indexOf(uriAgentId)), '--limit', '1', '--json');
    assert.deepEqual(page.json().agents.map((x: any) => x.agentId), [uriAgentId]);
  });

  it('feedback give, list and revoke; verified feedback through a payment receipt', async () => {
    const give = await cli('feedback', 'give', agentId, '--value', '87', '--tag1', 'quality', '--tag2', 'speed', '--endpoint', 'https://agent.example/mcp', '--account', '1', '--json');
    assert.equal(give.code, 0, give.stderr);
    assert.equal(give.json().feedbackIndex, '1');
    assert.equal(give.json().verified, false);

    const pay = await cli('agent', 'pay', agentId, '--amount', '0.01', '--account', '1', '--json');
    assert.equal(pay.code, 0, pay.stderr);
    const receiptId = pay.json().receiptId;
    assert.match(receiptId, /^0x[0-9a-f]{64}$/);
    const verified = await cli('feedback', 'give', agentId, '--value', '99.5', '--receipt', receiptId, '--account', '1', '--json');
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.json().verified, true);
    assert.equal(verified.json().valueDecimals, 1);

    // A receipt backs one feedback only.
    const reuse = await cli('feedback', 'give', agentId, '--value', '100', '--receipt', receiptId, '--account', '1');
    assert.equal(reuse.code, 1);
    assert.match(reuse.stderr, /^machina: reverted: \w+/);

    const list = await cli('feedback', 'list', agentId, '--json');
    const entries = list.json().feedback;
    assert.equal(entries.length, 2);
    assert.equal(entries[0].value, '87');
    assert.equal(entries[0].tag1, 'quality');
    assert.equal(entries[0].receipt, undefined);
    assert.equal(entries[1].value, '995');
    assert.equal(entries[1].receipt.receiptId, receiptId);

    const revoke = await cli('feedback', 'revoke', agentId, '1', '--account', '1', '--json');
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal((await cli('feedback', 'list', agentId, '--json')).json().feedback.length, 1);
    const all = (await cli('feedback', 'list', agentId, '--include-revoked', '--json')).json().feedback;
    assert.equal(all.length, 2);
    assert.equal(all[0].revoked, true);

    const human = await cli('feedback', 'list', agentId);
    assert.match(human.stdout, /#2\s+99\.5\s+-\s+verified/);
  });

  it('an agent owner cannot rate itself', async () => {
    const r = await cli('feedback', 'give', agentId, '--value', '100');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^machina: reverted: /);
  });

  it('validation request, respond and status', async () => {
    const req = await cli('validation', 'request', agentId, '--validator', validator, '--uri', 'ipfs://job-42', '--json');
    assert.equal(req.code, 0, req.stderr);
    const { requestHash } = req.json();
    const pending = (await cli('validation', 'status', requestHash, '--json')).json();
    assert.equal(pending.validator, validator);
    assert.equal(pending.agentId, agentId);
    assert.equal(pending.responded, false);

    const notValidator = await cli('validation', 'respond', requestHash, '--response', '90', '--account', '1');
    assert.equal(notValidator.code, 1);
    const res = await cli('validation', 'respond', requestHash, '--response', '95', '--tag', 'hard-finality', '--account', '2', '--json');
    assert.equal(res.code, 0, res.stderr);
    const done = (await cli('validation', 'status', requestHash, '--json')).json();
    assert.equal(done.response, 95);
    assert.equal(done.tag, 'hard-finality');
    assert.equal(done.responded, true);

    const show = (await cli('agent', 'show', agentId, '--json')).json();
    assert.equal(show.validations.count, '1');
    assert.equal(show.validations.averageResponse, 95);
  });

  it('status reports the chain, every contract and the node', async () => {
    const r = await cli('status', '--node-url', 'http://127.0.0.1:1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = r.json();
    assert.equal(s.chainId, 31337);
    assert.equal(s.deployed, true);
    assert.ok(s.contracts.every((c: any) => c.hasCode));
    assert.equal(s.node.reachable, false);
  });

  it('deploy reuses the existing deployment', async () => {
    const r = await cli('deploy', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json().deployedCount, 0);
    assert.equal(r.json().contracts.IdentityRegistry.address, chain.address('IdentityRegistry'));
  });

  it('bad input: one line naming the argument, exit code 1, JSON errors under --json', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['agent', 'show', 'abc'], /^machina: AGENT_ID: must be a non-negative integer/],
      [['agent', 'show', '999'], /^machina: agent 999 not found/],
      [['agent', 'register'], /^machina: --name: required/],
      [['agent', 'register', '--name', 'x', '--service', 'bad'], /^machina: --service: expected NAME=ENDPOINT/],
      [['agent', 'pay', '0', '--amount', 'lots'], /^machina: --amount: must be an amount in ether/],
      [['feedback', 'give', '0', '--value', 'ten'], /^machina: --value: must be a decimal number/],
      [['feedback', 'give', '0', '--value', '1', '--hash', '0x12'], /^machina: --hash: must be 32 bytes of hex/],
      [['feedback', 'list', '0', '--client', 'nope'], /^machina: --client: must be a 20-byte hex address/],
      [['validation', 'respond', '0x' + '00'.repeat(32), '--response', '101'], /^machina: --response: must be an integer 0-100/],
      [['validation', 'status', '0x' + 'ab'.repeat(32)], /^machina: validation request 0x[0-9a-f]{64} not found/],
      [['agent', 'list', '--limit', '0'], /^machina: --limit: must be an integer 1-500/],
      [['agent', 'register', '--name', 'x', '--account', '12'], /^machina: --account: must be a devnet account index 0-9/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const j = await cli('agent', 'show', '999', '--json');
    assert.equal(j.code, 1);
    assert.deepEqual(j.json(), { error: { code: 'NOT_FOUND', message: 'agent 999 not found', field: 'agentId' } });
  });

  it('explains what to do when no chain or no deployment is there', async () => {
    const none = await runCli(['agent', 'list'], { MACHINA_RPC_URL: 'http://127.0.0.1:1' });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^machina: cannot reach a chain at http:\/\/127\.0\.0\.1:1/);
    const dir = mkdtempSync(path.join(tmpdir(), 'machina-empty-'));
    let other: Devnet | undefined;
    try {
      other = await startDevnet({ port: 0 });
      const r = await runCliInHost(['agent', 'list'], { MACHINA_RPC_URL: other.rpcUrl, MACHINA_DEPLOYMENTS_DIR: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^machina: no Machina deployment for chain 31337 .*run `machina up` or `machina deploy`/);
    } finally {
      await other?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
