// Owner-side actions on an agent account: create it at its CREATE2 address, read it, set and revoke keys,
// freeze and unfreeze, and approve or reject queued actions.
import { getAddress, pad, zeroAddress, type Address, type Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { InvalidArgumentError, MachinaError, NotFoundError } from '../errors/index.ts';
import { agentAccountAbi, agentAccountFactoryAbi } from './abi.ts';
import { readerOf, sendWrite, type TxResult } from './client.ts';
import { findQueuedCalls, type Call } from './calls.ts';
import { encodeKeyPolicy, type KeyPolicyInput } from './policy.ts';

const ZERO_SALT = pad('0x', { size: 32 });

export type PredictAgentAccountParameters = { factory: Address; owner: Address; agentId: bigint; guardian?: Address | undefined; salt?: Hex | undefined };

/**
 * The address the factory creates (or created) the account at, known before deployment.
 * @example
 * const account = await predictAgentAccount(client, { factory, owner, agentId: 0n })
 */
export async function predictAgentAccount(client: MachinaPublicClient | MachinaWalletClient, p: PredictAgentAccountParameters): Promise<Address> {
  return readerOf(client).readContract({
    address: p.factory,
    abi: agentAccountFactoryAbi,
    functionName: 'predictAddress',
    args: [p.owner, p.agentId, p.guardian ?? zeroAddress, p.salt ?? ZERO_SALT],
  });
}

/**
 * Creates the agent's account at its predicted address; idempotent (`created: false` when it exists already).
 * @example
 * const { account, created } = await createAgentAccount(ownerWallet, { factory, agentId: 0n })
 */
export async function createAgentAccount(
  wallet: MachinaWalletClient,
  p: { factory: Address; owner?: Address | undefined; agentId: bigint; guardian?: Address | undefined; salt?: Hex | undefined },
): Promise<{ account: Address; txHash?: Hex; created: boolean }> {
  const owner = p.owner ?? wallet.account.address;
  const args = { factory: p.factory, owner, agentId: p.agentId, guardian: p.guardian ?? zeroAddress, salt: p.salt ?? ZERO_SALT };
  const account = await predictAgentAccount(wallet, args);
  const code = await readerOf(wallet).getCode({ address: account });
  if (code && code !== '0x') return { account, created: false };
  const { hash } = await sendWrite(wallet, {
    address: p.factory,
    abi: agentAccountFactoryAbi,
    functionName: 'createAccount',
    args: [owner, p.agentId, args.guardian, args.salt],
  });
  return { account, txHash: hash, created: true };
}

export type AgentAccountState = { account: Address; owner: Address; guardian: Address; agentId: bigint; frozen: boolean; pendingCount: number };

/**
 * Reads an account's owner, guardian, agentId, freeze flag and number of queued actions.
 * @example
 * const { owner, frozen } = await readAgentAccount(client, { account })
 */
export async function readAgentAccount(client: MachinaPublicClient | MachinaWalletClient, { account }: { account: Address }): Promise<AgentAccountState> {
  const reader = readerOf(client);
  const code = await reader.getCode({ address: account });
  if (!code || code === '0x') throw new NotFoundError(`agent account ${account}`, 'account');
  const base = { address: account, abi: agentAccountAbi } as const;
  const [owner, guardian, agentId, frozen, pendingCount] = await Promise.all([
    reader.readContract({ ...base, functionName: 'owner' }),
    reader.readContract({ ...base, functionName: 'guardian' }),
    reader.readContract({ ...base, functionName: 'agentId' }),
    reader.readContract({ ...base, functionName: 'frozen' }),
    reader.readContract({ ...base, functionName: 'pendingCount' }),
  ]);
  return { account: getAddress(account), owner, guardian, agentId, frozen, pendingCount: Number(pendingCount) };
}

/**
 * Adds an agent key or replaces its policy (owner only). The policy is checked before anything is sent.
 * @example
 * await setAgentKey(ownerWallet, { account, key, policy: { limits: [...], rules: [...] } })
 */
export async function setAgentKey(wallet: MachinaWalletClient, p: { account: Address; key: Address; policy: KeyPolicyInput }): Promise<TxResult> {
  const policy = encodeKeyPolicy(p.policy);
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'setKey', args: [p.key, policy] });
  return { txHash: hash };
}

/**
 * Revokes an agent key for good (owner only); its signatures stop validating too.
 * @example
 * await revokeAgentKey(ownerWallet, { account, key })
 */
export async function revokeAgentKey(wallet: MachinaWalletClient, p: { account: Address; key: Address }): Promise<TxResult> {
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'revokeKey', args: [p.key] });
  return { txHash: hash };
}

/**
 * Stops every agent key at once (owner or guardian).
 * @example
 * await freezeAccount(guardianWallet, { account })
 */
export async function freezeAccount(wallet: MachinaWalletClient, p: { account: Address }): Promise<TxResult> {
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'freeze' });
  return { txHash: hash };
}

/**
 * Lets agent keys act again (owner only).
 * @example
 * await unfreezeAccount(ownerWallet, { account })
 */
export async function unfreezeAccount(wallet: MachinaWalletClient, p: { account: Address }): Promise<TxResult> {
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'unfreeze' });
  return { txHash: hash };
}

/**
 * Approves a queued action (owner only): runs its calls, which are recovered from the transaction that
 * queued it (or given as `calls`), or accepts its token-authorization signature.
 * @example
 * await approvePending(ownerWallet, { account, pendingId: 1n })
 */
export async function approvePending(
  wallet: MachinaWalletClient,
  p: { account: Address; pendingId: bigint; calls?: readonly Call[]; /** Where to start looking for the ActionQueued event (default 0). */ fromBlock?: bigint },
): Promise<TxResult> {
  const reader = readerOf(wallet);
  const pending = await readPending(reader, p.account, p.pendingId);
  if (pending.status !== 1) throw new MachinaError(`pending action ${p.pendingId} is ${PENDING_STATUS[pending.status] ?? pending.status}, not queued`, { code: 'PENDING_NOT_QUEUED', field: 'pendingId' });
  const calls = pending.kind === 0 ? (p.calls ?? (await findQueuedCalls(reader, { account: p.account, pendingId: p.pendingId, callsHash: pending.callsHash, fromBlock: p.fromBlock, queuedAt: pending.queuedAt }))) : [];
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'approvePending', args: [p.pendingId, calls] });
  return { txHash: hash };
}

/**
 * Rejects a queued action (owner only).
 * @example
 * await rejectPending(ownerWallet, { account, pendingId: 1n })
 */
export async function rejectPending(wallet: MachinaWalletClient, p: { account: Address; pendingId: bigint }): Promise<TxResult> {
  const { hash } = await sendWrite(wallet, { address: p.account, abi: agentAccountAbi, functionName: 'rejectPending', args: [p.pendingId] });
  return { txHash: hash };
}

/** `IAgentAccount.PendingStatus` names; the index is the enum value. */
export const PENDING_STATUS = ['none', 'queued', 'approved', 'rejected', 'expired'] as const;

export type PendingAction = { pendingId: bigint; key: Address; kind: number; status: number; statusName: string; queuedAt: number; expiresAt: number; callsHash: Hex };

/**
 * Reads one queued action; throws NotFoundError if the account has no such pendingId.
 * @example
 * const p = await getPendingAction(client, { account, pendingId: 1n })
 */
export async function getPendingAction(client: MachinaPublicClient | MachinaWalletClient, p: { account: Address; pendingId: bigint }): Promise<PendingAction> {
  const r = await readPending(readerOf(client), p.account, p.pendingId);
  return { pendingId: p.pendingId, ...r, statusName: PENDING_STATUS[r.status] ?? String(r.status) };
}

async function readPending(reader: MachinaPublicClient, account: Address, pendingId: bigint) {
  if (pendingId <= 0n) throw new InvalidArgumentError('pendingId', 'must be 1 or more');
  const count = await reader.readContract({ address: account, abi: agentAccountAbi, functionName: 'pendingCount' });
  if (pendingId > count) throw new NotFoundError(`pending action ${pendingId} of account ${account}`, 'pendingId');
  const r = await reader.readContract({ address: account, abi: agentAccountAbi, functionName: 'pending', args: [pendingId] });
  return { key: r.key, kind: Number(r.kind), status: Number(r.status), queuedAt: Number(r.queuedAt), expiresAt: Number(r.expiresAt), callsHash: r.callsHash };
}

