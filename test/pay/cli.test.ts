// `machina faucet` and `machina pay URL` against a devnet node with x402.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, runCliInHost, startCliHost } from '../helpers/cli.ts';
import { tokenBalance } from '../../src/pay/token.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from './payNode.ts';

let chain: PayChain;
let node: PayNode;
before(async () => {
  startCliHost();
  chain = await startPayChain();
  node = await startPayNode({ chain, flushMs: 3_600_000 });
});
after(async () => {
  await node?.stop();
  await chain?.stop();
});

describe('machina faucet / pay', () => {
  test('faucet sends settlement tokens on the devnet', async () => {
    const to = '0x000000000000000000000000000000000000bEEF';
    const r = await runCli(['faucet', to, '--amount', '12.5', '--json'], chain.env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json().balance, '12500000');
    assert.equal(await tokenBalance(chain.client, { token: chain.token, owner: to }), 12_500_000n);
    const bad = await runCliInHost(['faucet', to, '--amount', 'lots'], chain.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--amount: must be a decimal number of tokens/);
  });

  test('pay fetches a priced resource, pays from a devnet account and shows the receipt; --max refuses a dearer one', async () => {
    const url = `${node.url}/v1/paid/echo?price=0.2&agentId=${chain.agentId}&cli=1`;
    const r = await runCliInHost(['pay', url, '--account', '5', '--max', '1', '--json'], chain.env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.json();
    assert.equal(out.status, 200);
    assert.equal(out.receipt.amount, '200000');
    assert.equal(out.receipt.payer, chain.wallet(5).account.address);
    assert.equal(out.receipt.status, 'pending');
    const human = await runCliInHost(['pay', `${url}&again=1`, '--account', '5'], chain.env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /amount\s+0\.2 tokens/);
    const refused = await runCliInHost(['pay', url, '--account', '5', '--max', '0.1'], chain.env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /asks 0\.2 tokens, more than the 0\.1 allowed per request/);
  });
});
