// Two senders on one key in one process (as the node's signer and a CLI command or demo sharing the devnet's account
// 0): every write lands exactly once, none is refused "nonce too low".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { erc20Abi, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { settlementTokenAbi } from '../../src/chain/artifacts/index.ts';
import { walletFor } from '../../src/chain/clients.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { revertOf } from '../../src/errors/revert.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

describe('writes from two senders on one key', () => {
  let chain: TestChain;
  let token: Address;
  before(async () => {
    chain = await startTestChain();
    token = chain.address('SettlementToken');
  });
  after(async () => chain?.stop());

  it('two senders on one key, each writing 15 times in a row at the same time: every write lands, each once', async () => {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const amounts = Array.from({ length: 30 }, (_, i) => BigInt(i + 1));
    // Each sender is sequential (as the node's serialized signer and a CLI command are); the two run side by side.
    const sender = async (offset: number) => {
      const wallet = walletFor(chain.client, devnetAccount(3));
      const out = [];
      for (let i = offset; i < amounts.length; i += 2) {
        const hash = await wallet.writeContract({ address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [to, amounts[i]!] });
        out.push(await chain.client.waitForTransactionReceipt({ hash }));
      }
      return out;
    };
    const receipts = (await Promise.all([sender(0), sender(1)])).flat();
    assert.ok(receipts.every((r) => r.status === 'success'));
    assert.equal(new Set(receipts.map((r) => r.transactionHash)).size, 30, 'thirty distinct transactions');
    const balance = await chain.client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [to] });
    assert.equal(balance, amounts.reduce((s, x) => s + x, 0n), 'every write executed exactly once');
  });

  it('a revert is still reported with the contract error, not retried', async () => {
    const w = walletFor(chain.client, privateKeyToAccount(generatePrivateKey()));
    await assert.rejects(
      w.writeContract({ address: token, abi: settlementTokenAbi, functionName: 'transfer', args: [w.account.address, 1n] }),
      (err: unknown) => revertOf(err)?.errorName === 'ERC20InsufficientBalance',
    );
  });
});
