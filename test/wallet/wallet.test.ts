import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, erc20Abi, keccak256, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import { settlementTokenAbi } from '../../src/chain/artifacts/index.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { getAgent, registerAgent } from '../../src/identity/actions/agents.ts';
import {
  agentAccountAbi,
  approvePending,
  authorizeTokenSignature,
  bindAgentWallet,
  createAgentAccount,
  encodeKeyPolicy,
  entryPointAbi,
  executeAsAgent,
  findQueuedCalls,
  freezeAccount,
  getPendingAction,
  PolicyRefusedError,
  predictAgentAccount,
  readAgentAccount,
  rejectPending,
  revokeAgentKey,
  sendAgentUserOperation,
  setAgentKey,
  signAsAccountOwner,
  unfreezeAccount,
  waitForPending,
  type KeyPolicyInput,
} from '../../src/wallet/index.ts';
import { readAgentKey } from '../../src/wallet/keys.ts';
import { startWalletChain, type WalletChain } from './fixture.ts';

const M = 1_000_000n; // one mUSD (6 decimals)
const ERC1271_OK = '0x1626ba7e';

describe('agent wallet library', () => {
  let chain: WalletChain;
  let owner: MachinaWalletClient;
  let key: MachinaWalletClient;
  let account: Address;
  let agentId: bigint;
  let bob: Address;
  let carol: Address;

  const transfer = (to: Address, amount: bigint) => ({ target: chain.token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] }) });
  const balance = (a: Address) => chain.client.readContract({ address: chain.token, abi: erc20Abi, functionName: 'balanceOf', args: [a] });
  const policyFor = (over: Partial<KeyPolicyInput> = {}): KeyPolicyInput => ({
    limits: [{ asset: chain.token, perTx: 5n * M, windowCap: 5n * M, windowSeconds: 86_400, escalateAbove: (3n * M) / 2n }],
    rules: [
      { target: chain.token, selector: 'transfer', conditions: [{ param: 0, op: 'inRecipients', value: '0x' }] },
      { target: chain.token, selector: 'transferWithAuthorization', conditions: [{ param: 1, op: 'inRecipients', value: '0x' }] },
    ],
    recipients: [bob],
    ...over,
  });
  const isValid = (digest: Hex, signature: Hex) => chain.client.readContract({ address: account, abi: agentAccountAbi, functionName: 'isValidSignature', args: [digest, signature] });

  before(async () => {
    chain = await startWalletChain();
    owner = chain.wallet(1);
    key = chain.wallet(2);
    bob = chain.wallet(3).account.address;
    carol = chain.wallet(4).account.address;
    ({ agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.identityRegistry, agentURI: 'https://example.com/agent.json' }));
  });
  after(async () => chain?.stop());

  it('creates the account at its predicted address, idempotently, and binds it as the agentWallet', async () => {
    const predicted = await predictAgentAccount(chain.client, { factory: chain.factory, owner: owner.account.address, agentId });
    const created = await createAgentAccount(owner, { factory: chain.factory, agentId, guardian: chain.wallet(5).account.address });
    assert.notEqual(created.account, predicted, 'the guardian is part of the address');
    const again = await createAgentAccount(owner, { factory: chain.factory, agentId, guardian: chain.wallet(5).account.address });
    assert.equal(again.created, false);
    assert.equal(again.account, created.account);
    account = created.account;
    assert.equal(created.created, true);
    assert.equal(account, await predictAgentAccount(chain.client, { factory: chain.factory, owner: owner.account.address, agentId, guardian: chain.wallet(5).account.address }));
    const state = await readAgentAccount(chain.client, { account });
    assert.deepEqual({ owner: state.owner, agentId: state.agentId, frozen: state.frozen, pendingCount: state.pendingCount }, { owner: owner.account.address, agentId, frozen: false, pendingCount: 0 });

    await bindAgentWallet(owner, { identityRegistry: chain.identityRegistry, account, agentId });
    assert.equal((await getAgent(chain.client, { identityRegistry: chain.identityRegistry, agentId })).agentWallet, account);

    // The owner's ERC-1271 signature works for this account only.
    const hash = keccak256(toHex('hello'));
    assert.equal(await isValid(hash, await signAsAccountOwner(owner, { account, hash })), ERC1271_OK);
    assert.notEqual(await isValid(hash, await signAsAccountOwner(owner, { account: bob, hash })), ERC1271_OK);

    await chain.wallet(0).writeContract({ address: chain.token, abi: settlementTokenAbi, functionName: 'faucet', args: [account, 100n * M] });
  });

  it('pays inside a 5-token/day cap, queues above the escalation threshold, and refuses the 6th token naming the window cap', async () => {
    await setAgentKey(owner, { account, key: key.account.address, policy: policyFor() });
    for (let i = 0; i < 3; i++) {
      const r = await executeAsAgent(key, { account, calls: [transfer(bob, M)] });
      assert.deepEqual([r.executed, r.pendingId], [true, null]);
    }
    assert.equal(await balance(bob), 3n * M);

    const queued = await executeAsAgent(key, { account, calls: [transfer(bob, 2n * M)] });
    assert.equal(queued.executed, false);
    assert.equal(queued.pendingId, 1n);
    assert.equal(await balance(bob), 3n * M, 'nothing moved while queued');
    const waiting = waitForPending(chain.client, { account, pendingId: 1n, pollMs: 50, timeoutMs: 30_000 });
    await approvePending(owner, { account, pendingId: 1n });
    assert.equal(await waiting, 'approved');
    assert.equal(await balance(bob), 5n * M);

    await assert.rejects(executeAsAgent(key, { account, calls: [transfer(bob, M)] }), (e: unknown) => {
      assert.ok(e instanceof PolicyRefusedError, String(e));
      assert.equal(e.code, 'POLICY_REFUSED');
      assert.equal(e.reason, 'WindowCapExceeded');
      assert.equal(e.amount, M);
      assert.equal(e.message, 'policy refused: window cap for mUSD 5.00 per 1 day already spent 5.00, asked 1.00');
      return true;
    });
    const info = await readAgentKey(chain.client, { account, key: key.account.address });
    assert.equal(info.spent[0]!.spent, 5n * M);
    assert.deepEqual(encodeKeyPolicy(info.policy), encodeKeyPolicy(policyFor()), 'the policy read back from the chain is the one set');
  });

  it('refuses a recipient off the allowlist and lets the owner reject a queued action', async () => {
    const k2 = chain.wallet(6);
    await setAgentKey(owner, { account, key: k2.account.address, policy: policyFor() });
    await assert.rejects(executeAsAgent(k2, { account, calls: [transfer(carol, M)] }), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'ConditionFailed');
    const { pendingId } = await executeAsAgent(k2, { account, calls: [transfer(bob, 2n * M)] });
    assert.ok(pendingId);
    await rejectPending(owner, { account, pendingId });
    assert.equal((await getPendingAction(chain.client, { account, pendingId })).statusName, 'rejected');
    assert.equal(await waitForPending(chain.client, { account, pendingId }), 'rejected');
  });

  it('authorizes an EIP-3009 signature through ERC-1271 that the token accepts, and stops honouring it after a freeze and a revoke', async () => {
    const k3 = chain.wallet(7);
    await setAgentKey(owner, { account, key: k3.account.address, policy: policyFor() });
    const block = await chain.client.getBlock();
    const auth = (nonce: Hex, value = M) => ({ account, token: chain.token, to: bob, value, validAfter: 0n, validBefore: block.timestamp + 3600n, nonce });

    const a = await authorizeTokenSignature(k3, auth(keccak256(toHex('n1'))));
    assert.ok(a.digest);
    assert.equal(a.signature, k3.account.address.toLowerCase());
    assert.equal(await isValid(a.digest, a.signature), ERC1271_OK);
    // The token takes the 20-byte signature (bytes overload of transferWithAuthorization).
    const before = await balance(bob);
    await chain.client.waitForTransactionReceipt({
      hash: await chain.wallet(3).writeContract({
        address: chain.token,
        abi: settlementTokenAbi,
        functionName: 'transferWithAuthorization',
        args: [account, bob, M, 0n, block.timestamp + 3600n, keccak256(toHex('n1')), a.signature],
      }),
    });
    assert.equal(await balance(bob), before + M);

    // Above the threshold: queued, then approved by the owner.
    const q = await authorizeTokenSignature(k3, auth(keccak256(toHex('n2')), 2n * M));
    assert.equal(q.digest, null);
    assert.ok(q.pendingId);
    await approvePending(owner, { account, pendingId: q.pendingId });
    assert.equal(await waitForPending(chain.client, { account, pendingId: q.pendingId }), 'approved');

    // Refused: not an allowed recipient.
    await assert.rejects(authorizeTokenSignature(k3, { ...auth(keccak256(toHex('n3'))), to: carol }), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'ConditionFailed');

    const b = await authorizeTokenSignature(k3, auth(keccak256(toHex('n4'))));
    assert.equal(await isValid(b.digest!, b.signature), ERC1271_OK);
    await freezeAccount(chain.wallet(5), { account }); // the guardian
    assert.notEqual(await isValid(b.digest!, b.signature), ERC1271_OK);
    await assert.rejects(executeAsAgent(k3, { account, calls: [transfer(bob, M)] }), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'Frozen' && /frozen/.test(e.message));
    await assert.rejects(authorizeTokenSignature(k3, auth(keccak256(toHex('n5')))), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'Frozen');
    await unfreezeAccount(owner, { account });
    assert.equal(await isValid(b.digest!, b.signature), ERC1271_OK);

    await revokeAgentKey(owner, { account, key: k3.account.address });
    assert.notEqual(await isValid(b.digest!, b.signature), ERC1271_OK);
    await assert.rejects(executeAsAgent(k3, { account, calls: [transfer(bob, M)] }), (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'KeyRevoked');
  });

  it('runs an agent action as a user operation through the EntryPoint, gas paid by the paymaster', async () => {
    const k4 = chain.wallet(8);
    await setAgentKey(owner, { account, key: k4.account.address, policy: policyFor() });
    const bundler = chain.wallet(9);
    const before = await balance(bob);
    const accountEth = await chain.client.getBalance({ address: account });
    const r = await sendAgentUserOperation(k4, { account, entryPoint: chain.entryPoint, paymaster: chain.paymaster, calls: [transfer(bob, M)], bundler });
    assert.equal(r.executed, true);
    assert.equal(await balance(bob), before + M);
    assert.equal(await chain.client.getBalance({ address: account }), accountEth, 'the account paid no gas');
    const receipt = await chain.client.getTransactionReceipt({ hash: r.txHash });
    const ev = parseEventLogs({ abi: entryPointAbi, logs: receipt.logs, eventName: 'UserOperationEvent' })[0]!;
    assert.equal(ev.args.paymaster, chain.paymaster);
    assert.equal(ev.args.userOpHash, r.userOpHash);

    // Above the threshold through a user operation: queued, approved from the recovered handleOps input.
    const q = await sendAgentUserOperation(k4, { account, entryPoint: chain.entryPoint, paymaster: chain.paymaster, calls: [transfer(bob, 2n * M)], bundler });
    assert.equal(q.executed, false);
    assert.ok(q.pendingId);
    // The calls come back from the handleOps input, also on an RPC that refuses whole-history log queries.
    const pending = await getPendingAction(chain.client, { account, pendingId: q.pendingId });
    const capped = {
      ...chain.client,
      getContractEvents: (args: { fromBlock?: bigint }) => (args.fromBlock === 0n ? Promise.reject(new Error('block range too large')) : chain.client.getContractEvents(args as never)),
    } as unknown as typeof chain.client;
    assert.deepEqual(await findQueuedCalls(capped, { account, pendingId: q.pendingId, callsHash: pending.callsHash, queuedAt: pending.queuedAt }), [transfer(bob, 2n * M)]);
    await approvePending(owner, { account, pendingId: q.pendingId });
    assert.equal(await balance(bob), before + 3n * M);

    // A refused action is never sent.
    await assert.rejects(
      sendAgentUserOperation(k4, { account, entryPoint: chain.entryPoint, paymaster: chain.paymaster, calls: [transfer(bob, 3n * M)], bundler }),
      (e: unknown) => e instanceof PolicyRefusedError && e.reason === 'WindowCapExceeded',
    );
  });
});
