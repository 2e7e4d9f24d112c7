// ERC-4337 (EntryPoint v0.8) user operations of an agent key: the account runs `executeAsAgent` under the
// same policy, gas sponsored by the AgentPaymaster if given, and any funded wallet bundles it via handleOps.
import { concat, encodeFunctionData, numberToHex, pad, parseEventLogs, type Address, type Hex } from 'viem';
import type { MachinaWalletClient } from '../chain/clients.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { agentAccountAbi, entryPointAbi } from './abi.ts';
import { agentOutcome, previewAgentCalls } from './agent.ts';
import type { Call } from './calls.ts';
import { readerOf } from './client.ts';
import { refusalError } from './refusal.ts';

/** A v0.8 `PackedUserOperation`. */
export type PackedUserOperation = {
  sender: Address;
  nonce: bigint;
  initCode: Hex;
  callData: Hex;
  accountGasLimits: Hex;
  preVerificationGas: bigint;
  gasFees: Hex;
  paymasterAndData: Hex;
  signature: Hex;
};

/** Gas limits used when the caller gives none: generous for one policy-checked batch. */
export const DEFAULT_USER_OP_GAS = {
  verificationGasLimit: 400_000n,
  callGasLimit: 1_500_000n,
  preVerificationGas: 60_000n,
  paymasterVerificationGasLimit: 150_000n,
  paymasterPostOpGasLimit: 80_000n,
};

const packUints = (high: bigint, low: bigint): Hex => concat([pad(numberToHex(high), { size: 16 }), pad(numberToHex(low), { size: 16 })]);

/**
 * Builds, signs with the agent key and bundles a user operation that runs `calls` through `executeAsAgent`.
 * Previews first: throws PolicyRefusedError instead of sending a refused action. `bundler` is any funded
 * wallet; it calls `EntryPoint.handleOps` and is refunded by the paymaster's deposit or the account's.
 * @example
 * const { executed, userOpHash } = await sendAgentUserOperation(keyWallet, { account, entryPoint, paymaster, calls, bundler })
 */
export async function sendAgentUserOperation(
  keyWallet: MachinaWalletClient,
  p: { account: Address; entryPoint: Address; paymaster?: Address | undefined; calls: readonly Call[]; bundler: MachinaWalletClient; gas?: Partial<typeof DEFAULT_USER_OP_GAS> },
): Promise<{ userOpHash: Hex; txHash: Hex; executed: boolean; pendingId: bigint | null }> {
  if (p.calls.length === 0) throw new InvalidArgumentError('calls', 'must hold at least one call');
  const sign = keyWallet.account.sign;
  if (!sign) throw new MachinaError('the agent key must be a local account that can sign raw hashes', { code: 'UNSUPPORTED_SIGNER', field: 'keyWallet' });
  const reader = readerOf(keyWallet);
  const key = keyWallet.account.address;
  const preview = await previewAgentCalls(reader, { account: p.account, key, calls: p.calls });
  if (preview.refusal !== 0) throw await refusalError(reader, { account: p.account, key, reason: preview.refusal, asset: preview.asset, amount: preview.amount, target: p.calls[0]?.target });

  const callData = encodeFunctionData({ abi: agentAccountAbi, functionName: 'executeAsAgent', args: [key, p.calls] });
  const [nonce, fees, estimated] = await Promise.all([
    reader.readContract({ address: p.entryPoint, abi: entryPointAbi, functionName: 'getNonce', args: [p.account, 0n] }),
    reader.estimateFeesPerGas(),
    // The call as the EntryPoint will make it; a failed estimate falls back to the default limit.
    p.gas?.callGasLimit === undefined ? reader.estimateGas({ account: p.entryPoint, to: p.account, data: callData }).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  const gas = { ...DEFAULT_USER_OP_GAS, ...(estimated ? { callGasLimit: (estimated * 13n) / 10n + 20_000n } : {}), ...p.gas };
  const op: PackedUserOperation = {
    sender: p.account,
    nonce,
    initCode: '0x',
    callData,
    accountGasLimits: packUints(gas.verificationGasLimit, gas.callGasLimit),
    preVerificationGas: gas.preVerificationGas,
    gasFees: packUints(fees.maxPriorityFeePerGas ?? 0n, fees.maxFeePerGas ?? 0n),
    paymasterAndData: p.paymaster ? concat([p.paymaster, packUints(gas.paymasterVerificationGasLimit, gas.paymasterPostOpGasLimit)]) : '0x',
    signature: '0x',
  };
  const userOpHash = await reader.readContract({ address: p.entryPoint, abi: entryPointAbi, functionName: 'getUserOpHash', args: [op] });
  op.signature = await sign({ hash: userOpHash });

  const beneficiary = p.bundler.account.address;
  const { request } = await reader.simulateContract({ address: p.entryPoint, abi: entryPointAbi, functionName: 'handleOps', args: [[op], beneficiary], account: p.bundler.account });
  const txHash = await p.bundler.writeContract(request);
  const receipt = await reader.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== 'success') throw new MachinaError(`handleOps reverted on chain (tx ${txHash})`, { code: 'TX_REVERTED', details: { hash: txHash } });
  const event = parseEventLogs({ abi: entryPointAbi, logs: receipt.logs, eventName: 'UserOperationEvent' }).find((l) => l.args.userOpHash === userOpHash);
  if (!event) throw new MachinaError(`user operation ${userOpHash} not in tx ${txHash}`, { code: 'MISSING_EVENT' });
  if (!event.args.success) throw new MachinaError(`user operation ${userOpHash} reverted inside the account (tx ${txHash})`, { code: 'USER_OP_REVERTED', details: { hash: txHash } });
  const refused = parseEventLogs({ abi: agentAccountAbi, logs: receipt.logs, eventName: 'AgentActionRefused' }).find((l) => l.address.toLowerCase() === p.account.toLowerCase());
  if (refused) {
    const a = refused.args;
    throw await refusalError(reader, { account: p.account, key, reason: a.reason, asset: a.asset, amount: a.amount, target: a.target, selector: a.selector });
  }
  return { userOpHash, txHash, ...agentOutcome(p.account, receipt) };
}
