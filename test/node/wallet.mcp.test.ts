// The MCP wallet tools as `machina mcp` serves them (reads through the node's API, the local key
// signs): pay a node's x402-priced route from the key itself and through an agent account inside
// its policy, see the spend in wallet_policy, and a payment above the policy refused with its reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { erc20Abi, keccak256, toHex, type Address } from 'viem';
import type { Deployment } from '../../src/chain/deployments.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { createHttpQueries } from '../../src/node/service/httpQueries.ts';
import { walletMcpDeps } from '../../src/node/wallet/wiring.ts';
import { parseTokenAmount } from '../../src/pay/token.ts';
import { createAgentAccount, setAgentKey } from '../../src/wallet/index.ts';
import { startPayChain, startPayNode, type PayChain, type PayNode } from '../pay/payNode.ts';
import { startWalletNode, type WalletNode } from './walletFixture.ts';

describe('MCP wallet tools: pay, wallet_policy, wallet_balance, pending_approvals', () => {
  let chain: PayChain;
  let deployment: Deployment;
  let payNode: PayNode;
  let walletNode: WalletNode;
  let client: Client;
  let account: Address;
  const answers: string[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as any;
    answers.push(JSON.stringify(r));
    return r;
  };

  before(async () => {
    chain = await startPayChain();
    deployment = chain.deployment;
    payNode = await startPayNode({ chain });
    walletNode = await startWalletNode({ chain, deployment, kind: 'pglite' });
    // An account owned by devnet account 3, with 100 mUSD, whose agent key (account 4) may pay
    // at most 2 mUSD per payment and 5 per day by EIP-3009 authorizations.
    const owner = chain.wallet(3);
    const key = chain.wallet(4);
    ({ account } = await createAgentAccount(owner, { factory: deployment.contracts.AgentAccountFactory!.address, agentId: chain.agentId, salt: keccak256(toHex('mcp-pay')) }));
    await chain.client.waitForTransactionReceipt({ hash: await owner.writeContract({ address: chain.token, abi: erc20Abi, functionName: 'transfer', args: [account, parseTokenAmount('100')] }) });
    await setAgentKey(owner, {
      account,
      key: key.account.address,
      policy: {
        limits: [{ asset: chain.token, perTx: parseTokenAmount('2'), windowCap: parseTokenAmount('5'), windowSeconds: 86_400 }],
        rules: [{ target: chain.token, selector: 'transferWithAuthorization' }],
      },
    });
    await walletNode.synced();
    const server = createMcpServer({
      queries: createHttpQueries({ baseUrl: walletNode.url }),
      version: 'test',
      wallet: walletMcpDeps({ nodeUrl: walletNode.url, client: chain.client, deployment, wallet: key }),
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    client = new Client({ name: 'wallet-mcp-test', version: '1.0.0' });
    await client.connect(b);
  });
  after(async () => {
    await client?.close();
    await walletNode?.stop();
    await payNode?.stop();
    await chain?.stop();
  });

  it('lists the wallet tools, pay among them', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of ['wallet_balance', 'wallet_policy', 'pending_approvals', 'pay']) assert.ok(names.includes(n), `${n} in ${names}`);
  });

  it('pay: the local key pays a priced route and returns the response with the receipt', async () => {
    const r = await call('pay', { url: `${payNode.url}/v1/paid/echo?price=1` });
    assert.ok(!r.isError, JSON.stringify(r));
    assert.equal(r.structuredContent.status, 200);
    assert.equal(r.structuredContent.receipt.payer, chain.wallet(4).account.address);
    assert.equal(r.structuredContent.receipt.amount, parseTokenAmount('1').toString());
  });

  it('pay through the agent account inside its policy; wallet_policy shows the spend; above the cap is refused with the reason', async () => {
    const r = await call('pay', { url: `${payNode.url}/v1/paid/echo?price=1.5`, account });
    assert.ok(!r.isError, JSON.stringify(r));
    assert.equal(r.structuredContent.status, 200);
    assert.equal(r.structuredContent.receipt.payer, account);
    await walletNode.synced();
    const pol = await call('wallet_policy', { account });
    assert.ok(!pol.isError, JSON.stringify(pol));
    assert.equal(pol.structuredContent.keys[0].spend[0].spent, parseTokenAmount('1.5').toString());
    const refused = await call('pay', { url: `${payNode.url}/v1/paid/echo?price=3`, account });
    assert.equal(refused.isError, true, JSON.stringify(refused));
    assert.match(refused.content[0].text, /POLICY_REFUSED|PerTx|per-transaction|per action/i);
    // Settlement is asynchronous: the balance drops once the node settled the payment.
    const deadline = Date.now() + 15_000;
    let bal: any;
    do {
      bal = await call('wallet_balance', { address: account });
      assert.ok(!bal.isError, JSON.stringify(bal));
    } while (bal.structuredContent.token.formatted !== '98.5' && Date.now() < deadline && (await new Promise((r) => setTimeout(r, 200)), true));
    assert.equal(bal.structuredContent.agentAccount.agentId, chain.agentId.toString());
    assert.equal(bal.structuredContent.token.formatted, '98.5');
    const pend = await call('pending_approvals', { account });
    assert.equal(pend.structuredContent.total, 0);
  });

  it('no key in any answer', () => {
    const all = answers.join('\n');
    assert.doesNotMatch(all, /ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80|47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a/i);
  });
});
