// The node's wallet module against a real devnet and both databases: agent accounts created by the
// factory are found from its events (factory children), their keys, spends, refusals and queued
// actions land in the index and the API; the owner's approval through the API runs a queued action
// on chain; a reorg forgets an account created in the undone blocks; the MCP wallet tools read it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { keccak256, parseEther, toHex, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import type { Deployment } from '../../src/chain/deployments.ts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { startIndexer } from '../../src/node/indexer/indexer.ts';
import { createAgentAccount, executeAsAgent } from '../../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds } from './fixtures/stores.ts';
import { CAPS, startWalletNode, walletScenario, type WalletNode, type WalletScenario } from './walletFixture.ts';

const kinds = await databaseKinds();

async function until<T>(fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('node wallet module: accounts, keys, spends, refusals and approvals, indexed and served', () => {
  let chain: TestChain;
  let deployment: Deployment;

  before(async () => {
    chain = await startTestChain();
    deployment = chain.deployment;
  });
  after(async () => chain?.stop());

  kinds.forEach((kind, i) => {
    describe(kind, () => {
      let s: WalletScenario;
      let node: WalletNode;
      const get = async (path: string, status = 200) => {
        const res = await fetch(`${node.url}${path}`);
        const body = (await res.json()) as any;
        assert.equal(res.status, status, `GET ${path}: ${JSON.stringify(body)}`);
        return body;
      };
      const post = async (path: string, body: unknown = {}) => {
        const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as any };
      };

      before(async () => {
        // One account per database kind, so each test sees its own (agentId 7 and 8).
        s = await walletScenario(chain, deployment, { agentId: 7n + BigInt(i), salt: keccak256(toHex(kind)) });
        node = await startWalletNode({ chain, deployment, kind, signer: s.owner });
        await node.synced();
      });
      after(async () => node?.stop());

      it('lists the account the factory created, with owner, guardian, keys and queued actions', async () => {
        const page = await get(`/v1/wallets?agentId=${s.agentId}`);
        assert.equal(page.total, 1);
        const w = page.items[0];
        assert.equal(w.address, s.account);
        assert.equal(w.agentId, s.agentId.toString());
        assert.equal(w.owner, s.owner.account.address);
        assert.equal(w.guardian, s.guardian);
        assert.equal(w.frozen, false);
        assert.equal(w.activeKeys, 1);
        assert.equal(w.pendingCount, 2);
        assert.equal((await get(`/v1/wallets?owner=${chain.wallet(9).account.address}`)).total, 0);
        assert.ok((await get(`/v1/wallets?owner=${s.owner.account.address}`)).items.some((x: any) => x.address === s.account));
      });

      it('one account: key policy decoded, spend per window against the caps, pending actions', async () => {
        const w = await get(`/v1/wallets/${s.account.toLowerCase()}`);
        assert.equal(w.keys.length, 1);
        const k = w.keys[0];
        assert.equal(k.key, s.key.account.address);
        assert.equal(k.status, 'active');
        assert.deepEqual(k.policy.limits, [{ asset: 'native', perTx: CAPS.perTx.toString(), windowCap: CAPS.windowCap.toString(), windowSeconds: 86_400, escalateAbove: CAPS.escalateAbove.toString() }]);
        assert.deepEqual(k.policy.rules.map((r: any) => [r.target, r.selectorName]), [[s.recipient, 'value']]);
        assert.equal(k.spend.length, 1);
        assert.equal(k.spend[0].spent, parseEther('2').toString());
        assert.equal(k.spend[0].source, 'chain');
        assert.deepEqual(w.pending.map((p: any) => [p.pendingId, p.status, p.kind, p.key]).sort(), s.pendingIds.map((id) => [id.toString(), 'queued', 'calls', s.key.account.address]).sort());
        assert.ok(w.pending.every((p: any) => p.expiresAt > w.readAt));
      });

      it('activity: spends, executions, the refusal with its reason, queued actions', async () => {
        const { items } = await get(`/v1/wallets/${s.account}/activity?limit=100`);
        const kindsSeen = items.map((a: any) => a.kind);
        for (const k of ['initialized', 'key_set', 'spend', 'executed', 'refused', 'queued']) assert.ok(kindsSeen.includes(k), `${k} in ${kindsSeen}`);
        const spends = items.filter((a: any) => a.kind === 'spend');
        assert.deepEqual(spends.map((a: any) => [a.asset, a.amount, a.key]), [['native', parseEther('1').toString(), s.key.account.address], ['native', parseEther('1').toString(), s.key.account.address]]);
        const refused = items.filter((a: any) => a.kind === 'refused');
        assert.equal(refused.length, 1);
        assert.equal(refused[0].reason, 'TargetNotAllowed');
        assert.equal(refused[0].details.target, s.guardian);
        const onlyRefusals = await get(`/v1/wallets/${s.account}/activity?kind=refused`);
        assert.equal(onlyRefusals.total, 1);
        // newest first
        assert.ok(items[0].blockNumber >= items.at(-1).blockNumber);
      });

      it('approve through the API (the node signer owns the account) runs the queued calls on chain; reject too', async () => {
        const [first, second] = s.pendingIds as [bigint, bigint];
        const before = await chain.client.getBalance({ address: s.recipient });
        const ok = await post(`/v1/wallets/${s.account}/pending/${first}/approve`);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.equal(ok.body.decision, 'approved');
        assert.match(ok.body.txHash, /^0x[0-9a-f]{64}$/);
        assert.equal(await chain.client.getBalance({ address: s.recipient }), before + parseEther('2'));
        const rejected = await post(`/v1/wallets/${s.account}/pending/${second}/reject`);
        assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
        await node.synced();
        assert.deepEqual((await get(`/v1/wallets/${s.account}/pending?status=approved`)).items.map((p: any) => p.pendingId), [first.toString()]);
        assert.deepEqual((await get(`/v1/wallets/${s.account}/pending?status=rejected`)).items.map((p: any) => p.pendingId), [second.toString()]);
        assert.equal((await get(`/v1/wallets/${s.account}/pending?status=queued`)).total, 0);
        const w = await get(`/v1/wallets/${s.account}`);
        assert.equal(w.keys[0].spend[0].spent, parseEther('4').toString(), 'the approved spend counts toward the window');
        const kindsSeen = (await get(`/v1/wallets/${s.account}/activity?limit=100`)).items.map((a: any) => a.kind);
        assert.ok(kindsSeen.includes('pending_approved') && kindsSeen.includes('pending_rejected'));
        // Decided once: a second decision is a conflict.
        const again = await post(`/v1/wallets/${s.account}/pending/${first}/approve`);
        assert.equal(again.status, 409);
        assert.equal(again.body.error.code, 'PENDING_NOT_QUEUED');
        assert.match(node.logs.join('\n'), /approve pending \d+ of 0x/);
      });

      it('refuses to decide for an account the node signer does not own (403 NOT_ACCOUNT_OWNER), unknown ids and bad input', async () => {
        const other = await createAgentAccount(chain.wallet(3), { factory: deployment.contracts.AgentAccountFactory!.address, agentId: 99n, salt: keccak256(toHex(`other-${kind}`)) });
        const r = await post(`/v1/wallets/${other.account}/pending/1/approve`);
        assert.equal(r.status, 403);
        assert.equal(r.body.error.code, 'NOT_ACCOUNT_OWNER');
        assert.match(r.body.error.message, /machina wallet approve/);
        const missing = await post(`/v1/wallets/${s.account}/pending/999/approve`);
        assert.equal(missing.status, 404, JSON.stringify(missing.body));
        const noBody = await fetch(`${node.url}/v1/wallets/${s.account}/pending/1/reject`, { method: 'POST' });
        assert.equal(noBody.status, 415);
        assert.equal((await get('/v1/wallets/0x1234', 400)).error.field, 'address');
        assert.equal((await get(`/v1/wallets/${chain.wallet(9).account.address}`, 404)).error.code, 'NOT_FOUND');
        assert.equal((await get(`/v1/wallets/${s.account}/pending?status=maybe`, 400)).error.field, 'status');
        assert.equal((await get(`/v1/wallets/${s.account}/activity?kind=nope`, 400)).error.field, 'kind');
      });

      it('after a restart, the indexer still follows the accounts it found before (children read back from the database)', async () => {
        await node.indexer.stop();
        const paid = await executeAsAgent(s.key, { account: s.account, calls: [{ target: s.recipient, value: parseEther('0.5'), data: '0x' }] });
        assert.equal(paid.executed, true);
        const restarted = await startIndexer({ client: chain.client, deployment, store: node.store, pollIntervalMs: 50 });
        try {
          await restarted.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
          const spends = (await get(`/v1/wallets/${s.account}/activity?kind=spend&limit=100`)).items;
          assert.ok(spends.some((a: any) => a.txHash === paid.txHash && a.amount === parseEther('0.5').toString()), 'the spend made while stopped is indexed');
        } finally {
          await restarted.stop();
        }
        // The node's own indexer is stopped for good; later tests wait on a fresh one.
        node.indexer = await startIndexer({ client: chain.client, deployment, store: node.store, pollIntervalMs: 50 });
      });

      it('a reorg forgets an account created in the undone blocks', async () => {
        await node.synced();
        const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
        const doomed = await createAgentAccount(chain.wallet(4), { factory: deployment.contracts.AgentAccountFactory!.address, agentId: 555n, salt: keccak256(toHex(`doomed-${kind}`)) });
        await node.synced();
        assert.equal((await get(`/v1/wallets/${doomed.account}`)).agentId, '555');
        await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
        await chain.client.request({ method: 'evm_mine' } as never);
        await until(async () => (await fetch(`${node.url}/v1/wallets/${doomed.account}`)).status === 404);
        const children = await node.store.db.selectFrom('indexer_children').select('address').execute();
        assert.ok(!children.some((c) => c.address === doomed.account.toLowerCase()), 'the indexer forgot the child too');
        assert.equal((await get(`/v1/wallets/${s.account}`)).address, s.account, 'older accounts stay');
      });

      if (i === 0) {
        it('MCP: wallet_balance, wallet_policy and pending_approvals read the account; no key in any answer', async () => {
          const client = new Client({ name: 'wallet-test', version: '1.0.0' });
          await client.connect(new StreamableHTTPClientTransport(new URL(`${node.url}/mcp`)));
          try {
            const names = (await client.listTools()).tools.map((t) => t.name);
            for (const n of ['wallet_balance', 'wallet_policy', 'pending_approvals']) assert.ok(names.includes(n), n);
            const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as any;
            const bal = await call('wallet_balance', { address: s.account });
            assert.ok(!bal.isError, JSON.stringify(bal));
            assert.equal(bal.structuredContent.agentAccount.agentId, s.agentId.toString());
            assert.equal(BigInt(bal.structuredContent.native), await chain.client.getBalance({ address: s.account }));
            const pol = await call('wallet_policy', { account: s.account });
            assert.ok(!pol.isError, JSON.stringify(pol));
            assert.equal(pol.structuredContent.keys[0].spend[0].windowCap, CAPS.windowCap.toString());
            assert.match(pol.content[0].text, /spent \d+ of \d+ per 86400 s/);
            const pend = await call('pending_approvals', { account: s.account, status: 'approved' });
            assert.ok(!pend.isError, JSON.stringify(pend));
            assert.equal(pend.structuredContent.total, 1);
            const unknown = await call('wallet_policy', { account: chain.wallet(9).account.address });
            assert.equal(unknown.isError, true);
            const bad = await call('wallet_balance', { address: 'nope' });
            assert.equal(bad.isError, true);
            // The devnet keys of the owner and the agent key appear nowhere.
            const all = JSON.stringify([bal, pol, pend]).toLowerCase();
            for (const i of [1, 2]) assert.ok(!all.includes(devnetPrivateKey(i).slice(2).toLowerCase()), `key ${i} in an answer`);
          } finally {
            await client.close();
          }
        });
      }
    });
  });
});

function devnetPrivateKey(index: number): Hex {
  return toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
}
