// Agent-key actions: run calls inside the policy, authorize a token signature (the x402 path), and wait
// for the owner's decision on a queued action. Each previews first and refuses with the reason, sending nothing.
import { encodeFunctionData, parseAbi, parseEventLogs, zeroAddress, zeroHash, type Address, type Hex, type TransactionReceipt } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { agentAccountAbi } from './abi.ts';
import type { Call } from './calls.ts';
import { readerOf, sendWrite, type ReadClient } from './client.ts';
import { SELECTORS } from './policy.ts';
import { refusalError, refusalReasons } from './refusal.ts';

export type Preview = { reason: string; refusal: number; escalate: boolean; asset: Address; amount: bigint };

/**
 * What `executeAsAgent(key, calls)` would do now: refused (with the reason), queued (`escalate`), or executed.
 * @example
 * const p = await previewAgentCalls(client, { account, key, calls })
 */
export async function previewAgentCalls(client: MachinaPublicClient | MachinaWalletClient, p: { account: Address; key: Address; calls: readonly Call[] }): Promise<Preview> {
  const [refusal, escalate, asset, amount] = await readerOf(client).readContract({
    address: p.account,
    abi: agentAccountAbi,
    functionName: 'previewAgentCalls',
    args: [p.key, p.calls],
  });
  return { reason: refusalReasons[refusal] ?? String(refusal), refusal, escalate, asset, amount };
}

/** The first call that a target/selector/condition refusal is about (best effort, for the message). */
function offendingCall(calls: readonly Call[]): { target?: Address; selector?: Hex } {
  const c = calls[0];
  if (!c) return {};
  return { target: c.target, selector: c.data.length >= 10 ? (c.data.slice(0, 10) as Hex) : SELECTORS.value };
}

/** Throws the PolicyRefusedError for the first AgentActionRefused event of a receipt, if there is one. */
async function throwIfRefused(reader: ReadClient, account: Address, receipt: TransactionReceipt): Promise<void> {
  const refused = parseEventLogs({ abi: agentAccountAbi, logs: receipt.logs, eventName: 'AgentActionRefused' }).find((l) => l.address.toLowerCase() === account.toLowerCase());
  if (!refused) return;
  const a = refused.args;
  const err = await refusalError(reader, {
    account,
    key: a.key,
    reason: a.reason,
    asset: a.asset === zeroAddress && a.amount === 0n ? undefined : a.asset,
    amount: a.amount === 0n ? undefined : a.amount,
    target: a.target,
    selector: a.selector,
  });
  (err.details as Record<string, unknown>).txHash = receipt.transactionHash;
  throw err;
}

/**
 * Reads what an account's receipt says about an agent action: executed, or queued with its pendingId.
 * @example
 * const { executed, pendingId } = agentOutcome(account, receipt)
 */
export function agentOutcome(account: Address, receipt: TransactionReceipt): { executed: boolean; pendingId: bigint | null } {
  const mine = receipt.logs.filter((l) => l.address.toLowerCase() === account.toLowerCase());
  const executed = parseEventLogs({ abi: agentAccountAbi, logs: mine, eventName: 'AgentActionExecuted' }).length > 0;
  const queued = parseEventLogs({ abi: agentAccountAbi, logs: mine, eventName: 'ActionQueued' })[0];
  return { executed, pendingId: queued ? queued.args.pendingId : null };
}

/**
 * Runs `calls` from the account as the agent key signing `keyWallet`, inside its policy. Previews first:
 * throws PolicyRefusedError (naming the limit and the numbers) instead of sending a refused action.
 * @example
 * const { executed, pendingId } = await executeAsAgent(keyWallet, { account, calls: [{ target: token, value: 0n, data }] })
 */
export async function executeAsAgent(keyWallet: MachinaWalletClient, p: { account: Address; calls: readonly Call[] }): Promise<{ executed: boolean; pendingId: bigint | null; txHash: Hex }> {
  if (p.calls.length === 0) throw new InvalidArgumentError('calls', 'must hold at least one call');
  const reader = readerOf(keyWallet);
  const key = keyWallet.account.address;
  const preview = await previewAgentCalls(reader, { account: p.account, key, calls: p.calls });
  if (preview.refusal !== 0) {
    throw await refusalError(reader, { account: p.account, key, reason: preview.refusal, asset: preview.asset, amount: preview.amount, ...offendingCall(p.calls) });
  }
  const { hash, receipt } = await sendWrite(keyWallet, { address: p.account, abi: agentAccountAbi, functionName: 'executeAsAgent', args: [key, p.calls] });
  await throwIfRefused(reader, p.account, receipt);
  return { ...agentOutcome(p.account, receipt), txHash: hash };
}

const tokenAuthorizationAbi = parseAbi([
  'function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)',
  'function receiveWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)',
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
]);

export type AuthorizeTokenSignatureParameters = {
  account: Address;
  /** 0 = EIP-3009 TransferWithAuthorization (default), 1 = ReceiveWithAuthorization, 2 = EIP-2612 Permit. */
  kind?: 0 | 1 | 2;
  token: Address;
  /** Recipient (kinds 0, 1) or spender (kind 2). */
  to: Address;
  value: bigint;
  validAfter: bigint;
  /** `validBefore` (kinds 0, 1) or the permit deadline (kind 2). */
  validBefore: bigint;
  nonce: Hex;
};

/**
 * The token call a signature authorization is checked as (so `previewAgentCalls` can explain a refusal).
 * @example
 * const call = tokenAuthorizationCall({ account, kind: 0, token, to, value, validAfter: 0n, validBefore, nonce })
 */
export function tokenAuthorizationCall(p: AuthorizeTokenSignatureParameters & { kind: 0 | 1 | 2 }): Call {
  const data =
    p.kind === 2
      ? encodeFunctionData({ abi: tokenAuthorizationAbi, functionName: 'permit', args: [p.account, p.to, p.value, p.validBefore, 0, zeroHash, zeroHash] })
      : encodeFunctionData({
          abi: tokenAuthorizationAbi,
          functionName: p.kind === 1 ? 'receiveWithAuthorization' : 'transferWithAuthorization',
          args: [p.account, p.to, p.value, p.validAfter, p.validBefore, p.nonce, 0, zeroHash, zeroHash],
        });
  return { target: p.token, value: 0n, data };
}


/**
 * The x402 client path: makes `account` accept, through ERC-1271, a token authorization of `value` to `to`,
 * checked against the key's policy. Simulates first and throws PolicyRefusedError when refused. The
 * signature to hand to the token is the 20-byte key address. A queued (escalated) authorization returns
 * `pendingId` and a null digest: wait for the owner with `waitForPending`.
 * @example
 * const { signature, pendingId } = await authorizeTokenSignature(keyWallet, { account, token, to: payTo, value: 1_000_000n, validAfter: 0n, validBefore, nonce })
 */
export async function authorizeTokenSignature(
  keyWallet: MachinaWalletClient,
  p: AuthorizeTokenSignatureParameters,
): Promise<{ digest: Hex | null; pendingId: bigint | null; signature: Hex; txHash: Hex }> {
  const kind = p.kind ?? 0;
  if (kind !== 0 && kind !== 1 && kind !== 2) throw new InvalidArgumentError('kind', 'must be 0 (transferWithAuthorization), 1 (receiveWithAuthorization) or 2 (permit)');
  const reader = readerOf(keyWallet);
  const key = keyWallet.account.address;
  const call = {
    address: p.account,
    abi: agentAccountAbi,
    functionName: 'authorizeTokenSignature',
    args: [key, kind, p.token, p.to, p.value, p.validAfter, p.validBefore, p.nonce],
  } as const;
  const { result } = await reader.simulateContract({ ...call, account: keyWallet.account });
  const [digest, pendingId] = result;
  if (digest === zeroHash && pendingId === 0n) {
    const preview = await previewAgentCalls(reader, { account: p.account, key, calls: [tokenAuthorizationCall({ ...p, kind })] });
    if (preview.refusal !== 0) throw await refusalError(reader, { account: p.account, key, reason: preview.refusal, asset: preview.asset, amount: preview.amount, target: p.token });
    throw new MachinaError(`policy refused: the account would not authorize ${p.value} of ${p.token} to ${p.to}`, { code: 'POLICY_REFUSED' });
  }
  const { hash, receipt } = await sendWrite(keyWallet, call);
  await throwIfRefused(reader, p.account, receipt);
  const authorized = parseEventLogs({ abi: agentAccountAbi, logs: receipt.logs, eventName: 'SignatureAuthorized' }).find((l) => l.address.toLowerCase() === p.account.toLowerCase());
  const { pendingId: queued } = agentOutcome(p.account, receipt);
  return { digest: authorized ? authorized.args.digest : null, pendingId: queued, signature: key.toLowerCase() as Hex, txHash: hash };
}

/**
 * Waits until the owner approves or rejects a queued action, or it expires; polls the account.
 * Throws a MachinaError (code PENDING_TIMEOUT) after `timeoutMs` (default 10 minutes).
 * @example
 * const outcome = await waitForPending(client, { account, pendingId, timeoutMs: 60_000 })
 */
export async function waitForPending(
  client: MachinaPublicClient | MachinaWalletClient,
  p: { account: Address; pendingId: bigint; timeoutMs?: number; pollMs?: number },
): Promise<'approved' | 'rejected' | 'expired'> {
  const reader = readerOf(client);
  const deadline = Date.now() + (p.timeoutMs ?? 600_000);
  const pollMs = p.pollMs ?? 500;
  for (;;) {
    const r = await reader.readContract({ address: p.account, abi: agentAccountAbi, functionName: 'pending', args: [p.pendingId] });
    const status = Number(r.status);
    if (status === 0) throw new MachinaError(`account ${p.account} has no pending action ${p.pendingId}`, { code: 'NOT_FOUND', field: 'pendingId' });
    if (status === 2) return 'approved';
    if (status === 3) return 'rejected';
    if (status === 4) return 'expired';
    const block = await reader.getBlock({ blockTag: 'latest' });
    if (block.timestamp > BigInt(r.expiresAt)) return 'expired';
    if (Date.now() >= deadline) {
      throw new MachinaError(`pending action ${p.pendingId} of ${p.account} is still waiting for the owner after ${p.timeoutMs ?? 600_000} ms`, { code: 'PENDING_TIMEOUT', field: 'pendingId' });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(pollMs, deadline - Date.now()))));
  }
}
