// Gas of paying an agent, as whole transactions on a fresh devnet (21k base and calldata included):
// a lone EIP-3009 transferWithAuthorization sent by a relayer is the baseline (what the official x402
// facilitator sends per payment); X402Settlement settles one payment alone and 100 in one batch.
import { encodeFunctionData, erc20Abi, parseEther, parseUnits, toHex, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { identityRegistryAbi, settlementTokenAbi, x402SettlementAbi } from '../src/chain/artifacts/index.ts';
import { walletFor } from '../src/chain/clients.ts';
import { transferAuthorizationTypedData } from '../src/pay/token.ts';
import { agentAccountAbi, createAgentAccount, executeAsAgent, setAgentKey } from '../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../test/helpers/chain.ts';

/** One measured path; `ratio` is to the first row of its group (the group's baseline). */
export type PayGasRow = { group: 'account' | 'settlement'; case: string; gasPerPayment: number; ratio: number };

const AMOUNT = parseUnits('0.01', 6);

type Signed = { from: Address; to: Address; value: bigint; validAfter: bigint; validBefore: bigint; nonce: Hex; signature: Hex };

async function signAuthorization(chain: TestChain, payer: PrivateKeyAccount, to: Address, nonceSeed: number): Promise<Signed> {
  const auth = { from: payer.address, to, value: AMOUNT, validAfter: 0n, validBefore: 2n ** 48n, nonce: toHex(BigInt(nonceSeed) * 7919n + 1n, { size: 32 }) };
  const signature = await payer.signTypedData(transferAuthorizationTypedData({ token: chain.address('SettlementToken'), chainId: chain.client.chain.id }, auth));
  return { ...auth, signature };
}

/**
 * Measures per-payment gas of the settlement paths on a fresh devnet.
 * @example
 * const rows = await measurePayGas()
 */
export async function measurePayGas(): Promise<PayGasRow[]> {
  const chain = await startTestChain();
  try {
    const { client } = chain;
    const token = chain.address('SettlementToken');
    const settlement = chain.address('X402Settlement');
    const relayer = chain.wallet(1);
    const owner = chain.wallet(0);
    const gasOf = async (hash: Hex) => Number((await client.waitForTransactionReceipt({ hash })).gasUsed);

    // The paid agent: registered by account 0, which (without an agentWallet) is also its payee.
    await client.waitForTransactionReceipt({ hash: await owner.writeContract({ address: chain.address('IdentityRegistry'), abi: identityRegistryAbi, functionName: 'register', args: [] }) });
    const agentId = 0n;
    const payee = owner.account.address;
    // The payee already holds tokens, as a selling agent would: its balance slot is not created by the first payment.
    await gasOf(await relayer.writeContract({ address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [payee, parseUnits('1', 6)] }));

    const payers = Array.from({ length: 100 }, () => privateKeyToAccount(generatePrivateKey()));
    for (const p of payers) {
      await relayer.writeContract({ address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [p.address, parseUnits('100', 6)] });
    }
    await client.waitForTransactionReceipt({ hash: await relayer.sendTransaction({ to: relayer.account.address, value: 0n }) });
    let nonce = 0;

    // Baseline: the relayer sends the payer's authorization straight to the token.
    const lone = await signAuthorization(chain, payers[0]!, payee, nonce++);
    const baseline = await gasOf(
      await relayer.writeContract({
        address: token,
        abi: settlementTokenAbi,
        functionName: 'transferWithAuthorization',
        args: [lone.from, lone.to, lone.value, lone.validAfter, lone.validBefore, lone.nonce, lone.signature],
      }),
    );
    const item = (s: Signed) => ({ ...s, agentId, paymentId: toHex(nonce, { size: 32 }) });

    const one = await signAuthorization(chain, payers[1]!, payee, nonce++);
    const settleOne = await gasOf(await relayer.writeContract({ address: settlement, abi: x402SettlementAbi, functionName: 'settle', args: [item(one)] }));

    const distinct = await Promise.all(payers.map((p) => signAuthorization(chain, p, payee, nonce++)));
    const batchDistinct = await gasOf(await relayer.writeContract({ address: settlement, abi: x402SettlementAbi, functionName: 'settleBatch', args: [distinct.map(item)], gas: 30_000_000n }));

    const repeat: Signed[] = [];
    for (let i = 0; i < 100; i++) repeat.push(await signAuthorization(chain, payers[2]!, payee, nonce++));
    const batchRepeat = await gasOf(await relayer.writeContract({ address: settlement, abi: x402SettlementAbi, functionName: 'settleBatch', args: [repeat.map(item)], gas: 30_000_000n }));

    const row = (name: string, gas: number): PayGasRow => ({ group: 'settlement', case: name, gasPerPayment: Math.round(gas), ratio: gas / baseline });
    return [
      ...(await measureAccountGas(chain, agentId)),
      row('lone transferWithAuthorization by a relayer (baseline)', baseline),
      row('X402Settlement.settle, one payment with its receipt', settleOne),
      row('X402Settlement.settleBatch, 100 payers, per payment', batchDistinct / 100),
      row('X402Settlement.settleBatch, 1 payer x 100, per payment', batchRepeat / 100),
    ];
  } finally {
    await chain.stop();
  }
}

/**
 * An agent account moving tokens: a plain ERC-20 transfer from an EOA is the baseline; the owner's
 * `execute` and an agent key's `executeAsAgent` (policy checked, spend logged) move the same amount.
 */
async function measureAccountGas(chain: TestChain, agentId: bigint): Promise<PayGasRow[]> {
  const { client } = chain;
  const token = chain.address('SettlementToken');
  const owner = chain.wallet(0);
  const gasOf = async (hash: Hex) => Number((await client.waitForTransactionReceipt({ hash })).gasUsed);
  const recipient = chain.wallet(3).account.address;
  const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient, AMOUNT] });
  const key = walletFor(client, privateKeyToAccount(generatePrivateKey()));
  await gasOf(await owner.sendTransaction({ to: key.account.address, value: parseEther('1') }));
  const { account } = await createAgentAccount(owner, { factory: chain.address('AgentAccountFactory'), agentId });
  for (const to of [account, owner.account.address, recipient]) {
    await gasOf(await owner.writeContract({ address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [to, parseUnits('100', 6)] }));
  }
  await setAgentKey(owner, {
    account,
    key: key.account.address,
    policy: { limits: [{ asset: token, perTx: parseUnits('5', 6), windowCap: parseUnits('50', 6), windowSeconds: 86_400 }], rules: [{ target: token, selector: 'transfer' }] },
  });
  // Each path moves tokens twice first, so every figure is a repeat transfer between existing holders.
  for (let i = 0; i < 2; i++) {
    await gasOf(await owner.writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [recipient, AMOUNT] }));
    await gasOf(await owner.writeContract({ address: account, abi: agentAccountAbi, functionName: 'execute', args: [token, 0n, transfer] }));
    await executeAsAgent(key, { account, calls: [{ target: token, value: 0n, data: transfer }] });
  }
  const plain = await gasOf(await owner.writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [recipient, AMOUNT] }));
  const byOwner = await gasOf(await owner.writeContract({ address: account, abi: agentAccountAbi, functionName: 'execute', args: [token, 0n, transfer] }));
  const { txHash } = await executeAsAgent(key, { account, calls: [{ target: token, value: 0n, data: transfer }] });
  const byAgent = await gasOf(txHash);
  const row = (name: string, gas: number): PayGasRow => ({ group: 'account', case: name, gasPerPayment: gas, ratio: gas / plain });
  return [row('ERC-20 transfer from an EOA (baseline)', plain), row('AgentAccount.execute by the owner', byOwner), row('AgentAccount.executeAsAgent by an agent key (policy)', byAgent)];
}

export function payGasTable(rows: PayGasRow[]): string {
  const w = Math.max(...rows.map((r) => r.case.length));
  const line = (r: PayGasRow) => `  ${r.case.padEnd(w)}  ${String(r.gasPerPayment).padStart(7)} gas  ${r.ratio.toFixed(2)}x`;
  const group = (g: PayGasRow['group']) => rows.filter((r) => r.group === g).map(line).join('\n');
  return `agent account, per transaction:\n${group('account')}\nsettlement, per payment:\n${group('settlement')}`;
}

/** Whether batched settlement meets the goal: at most half a lone transferWithAuthorization per payment. */
export function batchGoalMet(rows: PayGasRow[]): boolean {
  return rows.filter((r) => r.case.includes('settleBatch')).every((r) => r.ratio <= 0.5);
}
