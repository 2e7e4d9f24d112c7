// Batch Merkle leaves, roots and proofs of src/pay/settlementProof.ts: pure checks, then the same tree against
// X402Settlement on a devnet (root equality, proveReceipt of every item, and a gas cross-check).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keccak256, encodeAbiParameters, getAddress, parseSignature, toHex, type Address, type Hex } from 'viem';

import { settlementTokenAbi, settlementTokenBytecode } from '../../src/chain/artifacts/SettlementToken.ts';
import { x402SettlementAbi, x402SettlementBytecode } from '../../src/chain/artifacts/X402Settlement.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { writeAndWait } from '../../src/chain/write.ts';
import { InvalidArgumentError } from '../../src/errors/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import {
  batchProof,
  batchReceiptsFromLogs,
  batchRoot,
  buildReceiptProof,
  receiptIdFor,
  receiptLeaf,
  verifyBatchProof,
  type SettledReceipt,
} from '../../src/pay/settlementProof.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

const addr = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address;
const receipt = (i: number): SettledReceipt => ({
  receiptId: keccak256(toHex(`r${i}`)),
  client: addr(i),
  agentId: BigInt(i),
  asset: addr(999),
  amount: BigInt(1000 + i),
  settledAt: 1_750_000_000n,
});

describe('settlementProof (pure)', () => {
  test('leaf is the double keccak of the ABI-encoded receipt', () => {
    const r = receipt(3);
    const inner = keccak256(
      encodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'address' }, { type: 'uint256' }, { type: 'address' }, { type: 'uint256' }, { type: 'uint64' }],
        [r.receiptId, r.client, r.agentId, r.asset, r.amount, r.settledAt],
      ),
    );
    assert.equal(receiptLeaf(r), keccak256(inner));
  });

  test('every proof of batches of 1 to 33 leaves verifies, and only for its own leaf', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => receiptLeaf(receipt(i)));
      const root = batchRoot(leaves);
      if (n === 1) assert.equal(root, leaves[0]);
      for (let i = 0; i < n; i++) {
        const proof = batchProof(leaves, i);
        assert.ok(proof.length <= Math.ceil(Math.log2(n)), `proof length for n=${n}`);
        assert.ok(verifyBatchProof(proof, root, leaves[i]!), `n=${n} i=${i}`);
        if (n > 1) assert.ok(!verifyBatchProof(proof, root, leaves[(i + 1) % n]!), `wrong leaf n=${n} i=${i}`);
      }
    }
  });

  test('an odd last node is carried up unchanged', () => {
    const leaves = [0, 1, 2].map((i) => receiptLeaf(receipt(i)));
    assert.deepEqual(batchProof(leaves, 2), [batchRoot(leaves.slice(0, 2))]);
  });

  test('rejects bad input with the field named', () => {
    assert.throws(() => batchRoot([]), (e: unknown) => e instanceof InvalidArgumentError && /leaves/.test(e.message));
    assert.throws(() => batchProof([receiptLeaf(receipt(0))], 1), (e: unknown) => e instanceof InvalidArgumentError && /index/.test(e.message));
    assert.throws(() => receiptLeaf({ ...receipt(0), settledAt: 2n ** 64n }), /settledAt/);
    assert.throws(() => buildReceiptProof({ batchId: 1n, receipts: [receipt(0)], receiptId: receipt(1).receiptId }), /receiptId/);
  });

  test('receiptIdFor follows the contract formula', () => {
    const settlement = addr(7);
    const nonce = keccak256(toHex('n'));
    assert.equal(
      receiptIdFor({ chainId: 31337, settlement, from: addr(1), nonce }),
      keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'bytes32' }], [31337n, settlement, addr(1), nonce])),
    );
  });
});

describe('settlementProof against X402Settlement on the devnet', () => {
  let chain: TestChain;
  let deployer: MachinaWalletClient;
  let token: Address;
  let settlement: Address;
  let agentId: bigint;
  let payee: Address;
  let chainId: number;

  const transferTypes = {
    TransferWithAuthorization: [
      { name: 'from', type: 'address' },
      { name: 'to', type: 'address' },
      { name: 'value', type: 'uint256' },
      { name: 'validAfter', type: 'uint256' },
      { name: 'validBefore', type: 'uint256' },
      { name: 'nonce', type: 'bytes32' },
    ],
  } as const;

  async function deploy(abi: typeof settlementTokenAbi | typeof x402SettlementAbi, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
    const hash = await deployer.deployContract({ abi, bytecode, args } as Parameters<MachinaWalletClient['deployContract']>[0]);
    const r = await chain.client.waitForTransactionReceipt({ hash });
    assert.equal(r.status, 'success');
    return getAddress(r.contractAddress!);
  }

  async function authorize(payer: MachinaWalletClient, value: bigint, nonce: Hex) {
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const signature = await payer.signTypedData({
      domain: { name: 'Machina USD', version: '2', chainId, verifyingContract: token },
      types: transferTypes,
      primaryType: 'TransferWithAuthorization',
      message: { from: payer.account.address, to: payee, value, validAfter: 0n, validBefore, nonce },
    });
    return { from: payer.account.address, to: payee, value, validAfter: 0n, validBefore, nonce, signature, agentId, paymentId: keccak256(nonce) };
  }

  before(async () => {
    chain = await startTestChain();
    deployer = chain.wallet(0);
    chainId = await chain.client.getChainId();
    const identityRegistry = chain.address('IdentityRegistry');
    ({ agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry }));
    token = await deploy(settlementTokenAbi, settlementTokenBytecode, [deployer.account.address, true]);
    settlement = await deploy(x402SettlementAbi, x402SettlementBytecode, [identityRegistry, token]);
    payee = await chain.client.readContract({ address: settlement, abi: x402SettlementAbi, functionName: 'payeeOf', args: [agentId] });
    for (const i of [2, 3, 4, 5]) {
      await writeAndWait(chain.client, deployer, { address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [chain.wallet(i).account.address, 100_000_000n] });
    }
  });
  after(async () => chain?.stop());

  test('the TS root equals the batch root, and every TS proof stores its receipt', async () => {
    const payments = [];
    for (const [k, i] of [2, 3, 4, 5, 3].entries()) payments.push(await authorize(chain.wallet(i), 1_000_000n + BigInt(k), keccak256(toHex(`batch-${k}`))));
    payments[1] = { ...payments[1]!, value: payments[1]!.value + 1n }; // broken signature: skipped on chain
    const { receipt: tx } = await writeAndWait(chain.client, deployer, { address: settlement, abi: x402SettlementAbi, functionName: 'settleBatch', args: [payments] });
    const block = await chain.client.getBlock({ blockNumber: tx.blockNumber });

    const { batchId, receipts } = batchReceiptsFromLogs({ logs: tx.logs, settlement, asset: token, settledAt: block.timestamp });
    assert.equal(receipts.length, 4);
    const onChainRoot = await chain.client.readContract({ address: settlement, abi: x402SettlementAbi, functionName: 'batchRoot', args: [batchId] });
    assert.equal(batchRoot(receipts.map(receiptLeaf)), onChainRoot);
    assert.equal(receipts[0]!.receiptId, receiptIdFor({ chainId, settlement, from: payments[0]!.from, nonce: payments[0]!.nonce }));

    for (const r of receipts) {
      const p = buildReceiptProof({ batchId, receipts, receiptId: r.receiptId });
      const leafOnChain = await chain.client.readContract({ address: settlement, abi: x402SettlementAbi, functionName: 'leafOf', args: [p.receiptId, p.receipt] });
      assert.equal(leafOnChain, p.leaf);
      await writeAndWait(chain.client, deployer, { address: settlement, abi: x402SettlementAbi, functionName: 'proveReceipt', args: [p.batchId, p.receipt, p.receiptId, p.proof] });
      const stored = await chain.client.readContract({ address: settlement, abi: x402SettlementAbi, functionName: 'interactionReceipt', args: [r.receiptId] });
      assert.deepEqual(stored, { client: r.client, agentId: r.agentId, asset: token, amount: r.amount, settledAt: r.settledAt });
    }
  });

  test('gas: a batch costs less per payment than a lone transferWithAuthorization (receipt.gasUsed)', async (t) => {
    const lonePayer = chain.wallet(2);
    const lone = await authorize(lonePayer, 1_000_000n, keccak256(toHex('lone')));
    const { v, r, s } = parseSignature(lone.signature);
    const { receipt: loneTx } = await writeAndWait(chain.client, deployer, {
      address: token,
      abi: settlementTokenAbi,
      functionName: 'transferWithAuthorization',
      args: [lone.from, lone.to, lone.value, lone.validAfter, lone.validBefore, lone.nonce, Number(v), r, s],
    });
    const payers = [2, 3, 4, 5].map((i) => chain.wallet(i));
    const n = 20;
    const payments = [];
    for (let k = 0; k < n; k++) payments.push(await authorize(payers[k % payers.length]!, 1_000n, keccak256(toHex(`gas-${k}`))));
    const { receipt: batchTx } = await writeAndWait(chain.client, deployer, { address: settlement, abi: x402SettlementAbi, functionName: 'settleBatch', args: [payments] });
    const perPayment = batchTx.gasUsed / BigInt(n);
    t.diagnostic(`lone transferWithAuthorization ${loneTx.gasUsed} gas; settleBatch of ${n} (4 payers) ${batchTx.gasUsed} gas = ${perPayment}/payment`);
    assert.ok(perPayment < loneTx.gasUsed);
  });
});
