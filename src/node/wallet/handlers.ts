// One handler per wallet event, applied in chain order inside the indexer's batch transaction:
// accounts and keys as state, queued actions with their status, and every agent action, spend and
// refusal in the activity log. Wallet events are few next to identity's, so plain statements do.
import type { Kysely } from 'kysely';
import type { Address } from 'viem';
import { jsonArgs } from '../indexer/events.ts';
import type { BatchContext, IndexedEvent } from '../indexer/module.ts';
import { PENDING_STATUSES, refusalName } from './reasons.ts';

type Args = Record<string, any>;
type Handler = (tx: Kysely<any>, e: IndexedEvent) => Promise<void>;

const ZERO = '0x0000000000000000000000000000000000000000';

/** Native token spends are recorded under the asset `native`. */
function assetOf(a: string): string {
  return a === ZERO ? 'native' : a;
}

async function activity(tx: Kysely<any>, e: IndexedEvent, kind: string, extra: { key?: string | null; asset?: string | null; amount?: bigint | null; details?: Record<string, unknown> } = {}) {
  await tx
    .insertInto('wallet_activity')
    .values({
      account: e.address,
      block_number: e.blockNumber,
      log_index: e.logIndex,
      tx_hash: e.txHash,
      block_timestamp: e.timestamp,
      kind,
      key: extra.key ?? null,
      asset: extra.asset ?? null,
      amount: extra.amount === undefined || extra.amount === null ? null : extra.amount.toString(),
      details: JSON.stringify({ ...jsonArgs(e.args), ...extra.details }),
    })
    .onConflict((oc) => oc.columns(['account', 'block_number', 'log_index']).doNothing())
    .execute();
}

/** Creates the account row if the account's own initialization or the factory's event comes first. */
async function upsertAccount(tx: Kysely<any>, e: IndexedEvent, address: Address, a: { agentId: bigint; owner: string; guardian: string; salt?: string }) {
  await tx
    .insertInto('wallet_accounts')
    .values({
      address,
      agent_id: a.agentId.toString(),
      owner: a.owner,
      guardian: a.guardian,
      frozen: false,
      salt: a.salt ?? null,
      created_block: e.blockNumber,
      created_tx: e.txHash,
      created_at: e.timestamp,
      updated_block: e.blockNumber,
      updated_tx: e.txHash,
      updated_at: e.timestamp,
    })
    .onConflict((oc) =>
      oc.column('address').doUpdateSet((eb) => ({
        agent_id: eb.ref('excluded.agent_id'),
        owner: eb.ref('excluded.owner'),
        guardian: eb.ref('excluded.guardian'),
        salt: a.salt === undefined ? eb.ref('wallet_accounts.salt') : eb.ref('excluded.salt'),
      })),
    )
    .execute();
}

async function touchAccount(tx: Kysely<any>, e: IndexedEvent, set: Record<string, unknown> = {}) {
  await tx
    .updateTable('wallet_accounts')
    .set({ ...set, updated_block: e.blockNumber, updated_tx: e.txHash, updated_at: e.timestamp })
    .where('address', '=', e.address)
    .execute();
}

async function resolvePending(tx: Kysely<any>, e: IndexedEvent, status: (typeof PENDING_STATUSES)[number]) {
  const { pendingId } = e.args as Args;
  await tx
    .updateTable('wallet_pending')
    .set({ status, resolved_block: e.blockNumber, resolved_tx: e.txHash, resolved_at: e.timestamp })
    .where('account', '=', e.address)
    .where('pending_id', '=', (pendingId as bigint).toString())
    .execute();
  await activity(tx, e, `pending_${status}`, { details: { pendingId: (pendingId as bigint).toString() } });
}

export const walletHandlers: Record<string, Handler> = {
  'AgentAccountFactory:AccountCreated': async (tx, e) => {
    const { account, agentId, owner, guardian, salt } = e.args as Args;
    await upsertAccount(tx, e, account, { agentId, owner, guardian, salt });
  },
  'AgentAccount:AccountInitialized': async (tx, e) => {
    const { agentId, owner, guardian } = e.args as Args;
    await upsertAccount(tx, e, e.address, { agentId, owner, guardian });
    await activity(tx, e, 'initialized');
  },
  'AgentAccount:GuardianSet': async (tx, e) => {
    await touchAccount(tx, e, { guardian: (e.args as Args).guardian });
    await activity(tx, e, 'guardian_set');
  },
  'AgentAccount:Frozen': async (tx, e) => {
    await touchAccount(tx, e, { frozen: true });
    await activity(tx, e, 'frozen');
  },
  'AgentAccount:Unfrozen': async (tx, e) => {
    await touchAccount(tx, e, { frozen: false });
    await activity(tx, e, 'unfrozen');
  },
  'AgentAccount:KeySet': async (tx, e) => {
    const { key, validAfter, validUntil, policyHash } = e.args as Args;
    const row = { valid_after: Number(validAfter), valid_until: Number(validUntil), policy_hash: policyHash, revoked: false, set_block: e.blockNumber, set_tx: e.txHash, set_at: e.timestamp };
    await tx
      .insertInto('wallet_keys')
      .values({ account: e.address, key, ...row })
      .onConflict((oc) => oc.columns(['account', 'key']).doUpdateSet(row))
      .execute();
    await touchAccount(tx, e);
    await activity(tx, e, 'key_set', { key });
  },
  'AgentAccount:KeyRevoked': async (tx, e) => {
    const { key } = e.args as Args;
    await tx.updateTable('wallet_keys').set({ revoked: true }).where('account', '=', e.address).where('key', '=', key).execute();
    await touchAccount(tx, e);
    await activity(tx, e, 'key_revoked', { key });
  },
  'AgentAccount:OwnerExecuted': async (tx, e) => {
    const { value } = e.args as Args;
    await activity(tx, e, 'owner_call', { asset: (value as bigint) > 0n ? 'native' : null, amount: (value as bigint) > 0n ? (value as bigint) : null });
  },
  'AgentAccount:AgentActionExecuted': async (tx, e) => {
    await activity(tx, e, 'executed', { key: (e.args as Args).key });
  },
  'AgentAccount:AgentSpend': async (tx, e) => {
    const { key, asset, amount } = e.args as Args;
    await activity(tx, e, 'spend', { key, asset: assetOf(asset), amount });
  },
  'AgentAccount:AgentActionRefused': async (tx, e) => {
    const { key, reason, asset, amount } = e.args as Args;
    const hasSpend = asset !== ZERO || (amount as bigint) > 0n;
    await activity(tx, e, 'refused', { key, asset: hasSpend ? assetOf(asset) : null, amount: hasSpend ? amount : null, details: { reason: refusalName(Number(reason)) } });
  },
  'AgentAccount:ActionQueued': async (tx, e) => {
    const { pendingId, key, kind, callsHash, expiresAt } = e.args as Args;
    const row = { key, kind: Number(kind), calls_hash: callsHash, expires_at: Number(expiresAt), status: 'queued', queued_block: e.blockNumber, queued_tx: e.txHash, queued_at: e.timestamp };
    await tx
      .insertInto('wallet_pending')
      .values({ account: e.address, pending_id: (pendingId as bigint).toString(), ...row })
      .onConflict((oc) => oc.columns(['account', 'pending_id']).doUpdateSet(row))
      .execute();
    await activity(tx, e, 'queued', { key });
  },
  'AgentAccount:PendingApproved': (tx, e) => resolvePending(tx, e, 'approved'),
  'AgentAccount:PendingRejected': (tx, e) => resolvePending(tx, e, 'rejected'),
  'AgentAccount:PendingExpired': (tx, e) => resolvePending(tx, e, 'expired'),
  'AgentAccount:SignatureAuthorized': async (tx, e) => {
    const { key, token, value } = e.args as Args;
    await activity(tx, e, 'signature', { key, asset: token, amount: value });
  },
};

/**
 * Applies a batch of wallet events in chain order (inside the indexer's transaction).
 * @example
 * await applyWalletBatch(tx, events, ctx)
 */
export async function applyWalletBatch(tx: Kysely<any>, events: IndexedEvent[], _ctx: BatchContext): Promise<void> {
  for (const e of events) await walletHandlers[`${e.contract}:${e.event}`]?.(tx, e);
}
