import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, erc20Abi, type Address } from 'viem';
import { settlementTokenAbi } from '../../src/chain/artifacts/index.ts';
import { getAgent } from '../../src/identity/actions/agents.ts';
import { executeAsAgent, PolicyRefusedError } from '../../src/wallet/index.ts';
import { runCli, runCliInHost, startCliHost } from '../helpers/cli.ts';
import { startWalletChain, type WalletChain } from './fixture.ts';

const M = 1_000_000n;

describe('machina wallet (CLI)', () => {
  let chain: WalletChain;
  let env: Record<string, string>;
  let agentId: string;
  let account: Address;
  let keyAddress: Address;
  let bob: Address;
  const pay = (amount: bigint) =>
    executeAsAgent(chain.wallet(2), { account, calls: [{ target: chain.token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [bob, amount] }) }] });
  // One long-lived CLI process runs this file's commands (runCliInHost); the first one spawns bin/machina.js.
  const cli = (...args: string[]) => runCliInHost(args, env);

  before(async () => {
    startCliHost();
    chain = await startWalletChain();
    env = chain.env;
    keyAddress = chain.wallet(2).account.address;
    bob = chain.wallet(3).account.address;
    const r = await runCli(['agent', 'register', '--name', 'shopper', '--account', '1', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    agentId = String(r.json().agentId);
  });
  after(async () => chain?.stop());

  it('wallet create makes the account at its CREATE2 address and binds it as the agentWallet', async () => {
    const r = await cli('wallet', 'create', '--agent', agentId, '--account', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = r.json();
    assert.equal(out.created, true);
    assert.equal(out.bound, true);
    assert.equal(out.owner, chain.wallet(1).account.address);
    account = out.account;
    assert.equal((await getAgent(chain.client, { identityRegistry: chain.identityRegistry, agentId: BigInt(agentId) })).agentWallet, account);
    const again = await cli('wallet', 'create', '--agent', agentId, '--account', '1');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`found the account of agent ${agentId} at ${account}`));
    await chain.wallet(0).writeContract({ address: chain.token, abi: settlementTokenAbi, functionName: 'faucet', args: [account, 100n * M] });
  });

  it('wallet policy set takes "5 per day, escalate above 1.5, only to these recipients" in one command', async () => {
    const r = await cli('wallet', 'policy', 'set', account, '--key', keyAddress, '--cap', '5/1d', '--escalate-above', '1.5', '--to', bob, '--account', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = r.json();
    assert.equal(out.policy.limits[0].windowCap, '5000000');
    assert.equal(out.policy.limits[0].perTx, '5000000');
    assert.equal(out.policy.limits[0].escalateAbove, '1500000');
    assert.equal(out.policy.limits[0].windowSeconds, 86400);
    assert.deepEqual(out.policy.recipients, [bob]);

    await pay(M);
    const shown = await cli('wallet', 'policy', 'show', account, '--key', keyAddress);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /limit mUSD\s+5\.00 per 1 day \(spent 1\.00\), at most 5\.00 per transaction, owner approves above 1\.50/);
    assert.match(shown.stdout, new RegExp(`recipients\\s+${bob}`));
  });

  it('wallet show lists queued actions; approve runs one, reject drops another', async () => {
    const q1 = await pay(2n * M);
    const q2 = await pay(2n * M);
    assert.deepEqual([q1.pendingId, q2.pendingId], [1n, 2n]);
    const shown = await cli('wallet', 'show', agentId, '--json'); // by agent id: its agentWallet
    assert.equal(shown.code, 0, shown.stderr);
    const out = shown.json();
    assert.equal(out.account, account);
    assert.equal(out.frozen, false);
    assert.equal(out.keys.length, 1);
    assert.deepEqual(out.pending.map((p: { statusName: string }) => p.statusName), ['queued', 'queued']);
    assert.equal(out.balances[1].balance, String(99n * M));

    const human = await cli('wallet', 'show', account);
    assert.match(human.stdout, /pending\s+2 queued of 2/);
    assert.match(human.stdout, /#1\s+queued/);

    const approved = await cli('wallet', 'approve', account, '1', '--account', '1');
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved pending action #1/);
    const rejected = await cli('wallet', 'reject', account, '2', '--account', '1', '--json');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal(rejected.json().status, 'rejected');
    assert.equal(await chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: 'balanceOf', args: [bob] }), 3n * M);
  });

  it('wallet freeze stops the key, unfreeze lets it act, key revoke stops it for good', async () => {
    const frozen = await cli('wallet', 'freeze', account, '--account', '1');
    assert.equal(frozen.code, 0, frozen.stderr);
    assert.match((await cli('wallet', 'show', account)).stdout, /\(FROZEN\)/);
    await assert.rejects(pay(M), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'Frozen');
    assert.equal((await cli('wallet', 'unfreeze', account, '--account', '1')).code, 0);
    assert.equal((await pay(M)).executed, true);

    const revoked = await cli('wallet', 'key', 'revoke', account, '--key', keyAddress, '--account', '1', '--json');
    assert.equal(revoked.code, 0, revoked.stderr);
    await assert.rejects(pay(M), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'KeyRevoked');
    assert.match((await cli('wallet', 'policy', 'show', account, '--key', keyAddress)).stdout, /\(revoked\)/);
  });

  it('wallet key add is policy set, with more assets via --limit; native limits need recipients', async () => {
    const k = chain.wallet(4).account.address;
    const r = await cli('wallet', 'key', 'add', account, '--key', k, '--token', 'native', '--cap', '0.5/12h', '--per-tx', '0.1', '--to', bob, '--expires', '30d', '--rate', '10/1h', '--limit', 'mUSD=2/1d', '--account', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const p = r.json().policy;
    assert.equal(p.limits[0].asset, 'native');
    assert.equal(p.limits[0].windowCap, String(5n * 10n ** 17n));
    assert.equal(p.limits[0].windowSeconds, 43200);
    assert.deepEqual(p.rateLimit, { calls: 10, windowSeconds: 3600 });
    assert.equal(p.limits[1].asset, chain.token);
    assert.equal(p.limits[1].windowCap, String(2n * M));
    assert.deepEqual(p.rules[0], { target: bob, selector: 'value', conditions: [] });
    assert.deepEqual(p.rules.slice(1).map((r: { selector: string }) => r.selector), ['transfer', 'transferWithAuthorization']);
    assert.ok(p.validUntil > Date.now() / 1000 + 29 * 86400);
    const noTo = await cli('wallet', 'key', 'add', account, '--key', k, '--token', 'native', '--cap', '1/1d', '--account', '1');
    assert.equal(noTo.code, 1);
    assert.match(noTo.stderr, /^machina: --to: native payments need/);
  });

  it('names the flag on bad input, and refuses what the chain would refuse', async () => {
    const cases: Array<[string[], string]> = [
      [['wallet', 'policy', 'set', account, '--key', keyAddress, '--cap', '5', '--account', '1'], '--cap'],
      [['wallet', 'policy', 'set', account, '--key', keyAddress, '--cap', '5/1d', '--per-tx', '0.0000001', '--account', '1'], '--per-tx'],
      [['wallet', 'policy', 'set', account, '--key', keyAddress, '--cap', '5/1d', '--token', 'DOGE', '--account', '1'], '--token'],
      [['wallet', 'policy', 'set', account, '--key', keyAddress, '--cap', '5/1d', '--functions', 'mint', '--account', '1'], '--functions'],
      [['wallet', 'create', '--agent', 'abc', '--account', '1'], '--agent'],
      [['wallet', 'show', '0xnope'], 'ACCOUNT'],
      [['wallet', 'approve', account, '99', '--account', '1'], 'pendingId'],
    ];
    for (const [args, field] of cases) {
      const r = await cli(...args, '--json');
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.json().error.field, field, `${args.join(' ')}: ${r.stdout}`);
    }
    const notOwner = await cli('wallet', 'freeze', account, '--account', '3');
    assert.equal(notOwner.code, 1);
    assert.match(notOwner.stderr, /NotOwnerOrGuardian/);
    const notAgentOwner = await cli('wallet', 'create', '--agent', agentId, '--account', '3');
    assert.equal(notAgentOwner.code, 1);
    assert.match(notAgentOwner.stderr, /owned by .* not by the signer/);
  });
});
