// The identity library against a real devnet: agent wallets with EIP-712 proofs, metadata, and the
// Sybil-resistant trust score computed from on-chain feedback and payment receipts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEther, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { walletFor } from '../src/chain/clients.ts';
import { identityRegistryAbi } from '../src/chain/artifacts/index.ts';
import { writeAndWait } from '../src/chain/write.ts';
import { getAgent, getMetadata, registerAgent, setMetadata } from '../src/identity/actions/agents.ts';
import { setAgentWallet, signAgentWalletProof } from '../src/identity/actions/agentWallet.ts';
import { giveFeedback } from '../src/identity/actions/feedback.ts';
import { getTrustScore } from '../src/identity/actions/trust.ts';
import { payAgent } from '../src/pay/payAgent.ts';
import { formatError } from '../src/errors/index.ts';
import { startTestChain, type TestChain } from './helpers/chain.ts';

describe('identity library on the devnet', () => {
  let chain: TestChain;
  let identityRegistry: Address;
  before(async () => {
    chain = await startTestChain();
    identityRegistry = chain.address('IdentityRegistry');
  });
  after(async () => chain?.stop());

  it('sets the agent wallet with the new wallet’s EIP-712 proof, and clears it on transfer', async () => {
    const owner = chain.wallet(0);
    const { agentId } = await registerAgent(chain.client, owner, { identityRegistry, agentURI: 'https://agent.example/registration.json' });
    const newWallet = privateKeyToAccount(generatePrivateKey());
    const block = await chain.client.getBlock();
    const deadline = block.timestamp + 240n;
    const signature = await signAgentWalletProof(newWallet, { identityRegistry, chainId: 31337, agentId, owner: owner.account.address, deadline });
    await setAgentWallet(chain.client, owner, { identityRegistry, agentId, newWallet: newWallet.address, deadline, signature });
    assert.equal((await getAgent(chain.client, { identityRegistry, agentId })).agentWallet, newWallet.address);
    assert.equal((await getMetadata(chain.client, { identityRegistry, agentId, key: 'agentWallet' })).bytes.toLowerCase(), newWallet.address.toLowerCase());

    // A proof signed by someone else is refused with the contract's reason.
    const stranger = privateKeyToAccount(generatePrivateKey());
    const forged = await signAgentWalletProof(stranger, { identityRegistry, chainId: 31337, agentId, owner: owner.account.address, deadline });
    await assert.rejects(
      setAgentWallet(chain.client, owner, { identityRegistry, agentId, newWallet: newWallet.address, deadline, signature: forged }),
      (err) => /reverted: \w+/.test(formatError(err)),
    );

    const buyer = chain.wallet(4);
    await writeAndWait(chain.client, owner, {
      address: identityRegistry,
      abi: identityRegistryAbi,
      functionName: 'transferFrom',
      args: [owner.account.address, buyer.account.address, agentId],
    });
    const moved = await getAgent(chain.client, { identityRegistry, agentId });
    assert.equal(moved.owner, buyer.account.address);
    assert.equal(moved.agentWallet, '0x0000000000000000000000000000000000000000', 'cleared on transfer');
  });

  it('stores metadata but refuses the reserved agentWallet key', async () => {
    const owner = chain.wallet(0);
    const { agentId } = await registerAgent(chain.client, owner, { identityRegistry });
    await setMetadata(chain.client, owner, { identityRegistry, agentId, key: 'model', value: 'llama-3-8b' });
    assert.equal((await getMetadata(chain.client, { identityRegistry, agentId, key: 'model' })).text, 'llama-3-8b');
    await assert.rejects(setMetadata(chain.client, owner, { identityRegistry, agentId, key: 'agentWallet', value: '0x1234' }), (err) => /reverted: \w+/.test(formatError(err)));
  });

  it('100 Sybil clients rating a bad agent 100/100 move its trust score by less than 5 points', async () => {
    const reputationRegistry = chain.address('ReputationRegistry');
    const paymentReceipts = chain.address('PaymentReceipts');
    const { agentId } = await registerAgent(chain.client, chain.wallet(0), { identityRegistry, agentURI: 'https://bad.example/agent.json' });

    // Five real customers paid the agent and rate it badly, each backed by its receipt.
    for (let i = 1; i <= 5; i++) {
      const customer = chain.wallet(i);
      const { receiptId } = await payAgent(chain.client, customer, { paymentReceipts, agentId, amount: parseEther('0.01') });
      await giveFeedback(chain.client, customer, { reputationRegistry, agentId, value: BigInt(8 + i * 2), receipt: { source: paymentReceipts, receiptId } });
    }
    const before = await getTrustScore(chain.client, { reputationRegistry, agentId });
    assert.equal(before.verifiedClients, 5);
    assert.ok(before.score < 25, `bad agent scores low: ${before.score}`);

    // 100 fresh addresses, funded only for gas, rate it 100/100.
    const funder = chain.wallet(9);
    const sybils = Array.from({ length: 100 }, () => walletFor(chain.client, privateKeyToAccount(generatePrivateKey())));
    let nonce = await chain.client.getTransactionCount({ address: funder.account.address });
    const funding = await Promise.all(sybils.map((s) => funder.sendTransaction({ to: s.account.address, value: parseEther('0.01'), nonce: nonce++ })));
    await Promise.all(funding.map((hash) => chain.client.waitForTransactionReceipt({ hash })));
    await Promise.all(sybils.map((s) => giveFeedback(chain.client, s, { reputationRegistry, agentId, value: 100n })));

    const after_ = await getTrustScore(chain.client, { reputationRegistry, agentId });
    assert.equal(after_.clients, 105);
    assert.equal(after_.unbackedClients, 100);
    const moved = after_.score - before.score;
    assert.ok(moved < 5, `Sybils moved the score by ${moved} points (${before.score} -> ${after_.score})`);
  });
});
