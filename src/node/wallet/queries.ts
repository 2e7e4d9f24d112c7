// Read side of the wallet domain: accounts, keys, queued actions and activity from the index; key
// policies and window spend from the account itself (exact), or summed from the index if the chain
// cannot be read.
import { sql, type Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { BlockRef, Page } from '../service/types.ts';
import { createPolicyReader } from './policy.ts';
import type { ActivityKind, ActivityRecord, ListWalletsParams, PendingRecord, PendingStatus, SpendWindow, WalletAsset, WalletKeyRecord, WalletQueries, WalletRecord, WalletSummary } from './types.ts';

type AccountRow = {
  address: string;
  agent_id: string;
  owner: string;
  guardian: string;
  frozen: boolean;
  salt: string | null;
  created_block: number;
  created_tx: string;
  created_at: number;
  updated_block: number;
  updated_tx: string;
  updated_at: number;
  active_keys?: number;
  pending_count?: number;
};

type PendingRow = {
  account: string;
  pending_id: string;
  key: string;
  kind: number;
  calls_hash: string;
  expires_at: number;
  status: string;
  queued_block: number;
  queued_tx: string;
  queued_at: number;
  resolved_block: number | null;
  resolved_tx: string | null;
  resolved_at: number | null;
};

type ActivityRow = {
  account: string;
  block_number: number;
  log_index: number;
  tx_hash: string;
  block_timestamp: number;
  kind: string;
  key: string | null;
  asset: string | null;
  amount: string | null;
  details: Record<string, unknown> | string;
};

const ref = (block: number, tx: string, at: number): BlockRef => ({ blockNumber: Number(block), txHash: tx as Hex, timestamp: Number(at) });

function summaryOf(r: AccountRow): WalletSummary {
  return {
    address: r.address as Address,
    agentId: String(r.agent_id),
    owner: r.owner as Address,
    guardian: r.guardian as Address,
    frozen: r.frozen,
    salt: r.salt as Hex | null,
    created: ref(r.created_block, r.created_tx, r.created_at),
    updated: ref(r.updated_block, r.updated_tx, r.updated_at),
    activeKeys: Number(r.active_keys ?? 0),
    pendingCount: Number(r.pending_count ?? 0),
  };
}

function pendingOf(r: PendingRow, now: number): PendingRecord {
  const status = (r.status === 'queued' && Number(r.expires_at) < now ? 'expired' : r.status) as PendingStatus;
  return {
    account: r.account as Address,
    pendingId: String(r.pending_id),
    key: r.key as Address,
    kind: Number(r.kind) === 1 ? 'signature' : 'calls',
    callsHash: r.calls_hash as Hex,
    status,
    expiresAt: Number(r.expires_at),
    queued: ref(r.queued_block, r.queued_tx, r.queued_at),
    resolved: r.resolved_block === null ? null : ref(r.resolved_block, r.resolved_tx!, r.resolved_at!),
  };
}

function activityOf(r: ActivityRow): ActivityRecord {
  const details = (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>;
  return {
    account: r.account as Address,
    blockNumber: Number(r.block_number),
    logIndex: r.log_index,
    txHash: r.tx_hash as Hex,
    timestamp: Number(r.block_timestamp),
    kind: r.kind as ActivityKind,
    key: r.key as Address | null,
    asset: r.asset as WalletAsset | null,
    amount: r.amount === null ? null : String(r.amount),
    reason: typeof details.reason === 'string' ? details.reason : null,
    details,
  };
}

export type CreateWalletQueriesParameters = {
  db: Kysely<any>;
  /** For policies and window spend (the account's views) and chain time; without it, index only. */
  client?: MachinaPublicClient | undefined;
};

/**
 * The wallet read side over the index (and the chain, for policies and spend).
 * @example
 * const wallets = createWalletQueries({ db: store.db, client })
 * const w = await wallets.getWallet('0xAccount…')
 */
export function createWalletQueries({ db, client }: CreateWalletQueriesParameters): WalletQueries {
  const reader = client ? createPolicyReader(client) : undefined;
  /** Chain time (the latest block's), else the clock: expiry and windows are judged against it. */
  const now = async (): Promise<number> => {
    if (client) {
      try {
        return Number((await client.getBlock({ blockTag: 'latest' })).timestamp);
      } catch {
        // fall through to the clock
      }
    }
    return Math.floor(Date.now() / 1000);
  };

  const indexSpent = async (account: Address, key: Address, asset: WalletAsset, windowSeconds: number, t: number): Promise<bigint> => {
    const r = await db
      .selectFrom('wallet_activity')
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as('spent'))
      .where('account', '=', account)
      .where('kind', '=', 'spend')
      .where('key', '=', key)
      .where('asset', '=', asset)
      .where('block_timestamp', '>', t - windowSeconds)
      .executeTakeFirst();
    return BigInt(r?.spent ?? '0');
  };

  const keyRecord = async (account: Address, r: any, t: number): Promise<WalletKeyRecord> => {
    const validAfter = Number(r.valid_after);
    const validUntil = Number(r.valid_until);
    const status: WalletKeyRecord['status'] = r.revoked ? 'revoked' : validUntil !== 0 && validUntil < t ? 'expired' : validAfter > t ? 'notYetValid' : 'active';
    const policy = reader ? await reader.policy(account, r.key, r.policy_hash) : null;
    const spend: SpendWindow[] = await Promise.all(
      (policy?.limits ?? []).map(async (l) => {
        const onChain = reader ? await reader.spent(account, r.key, l.asset) : null;
        const spent = onChain ?? (await indexSpent(account, r.key, l.asset, l.windowSeconds, t));
        return { ...l, spent: spent.toString(), source: onChain === null ? ('index' as const) : ('chain' as const) };
      }),
    );
    return { key: r.key, status, validAfter, validUntil, policyHash: r.policy_hash, set: ref(r.set_block, r.set_tx, r.set_at), policy, spend };
  };

  const listPending: WalletQueries['listPending'] = async (address, p) => {
    const t = await now();
    let q = db.selectFrom('wallet_pending').where('account', '=', address);
    if (p.status === 'queued') q = q.where('status', '=', 'queued').where('expires_at', '>=', t);
    else if (p.status === 'expired') q = q.where((eb) => eb.or([eb('status', '=', 'expired'), eb.and([eb('status', '=', 'queued'), eb('expires_at', '<', t)])]));
    else if (p.status) q = q.where('status', '=', p.status);
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy('queued_block', 'desc').orderBy('pending_id', 'desc').offset(p.offset).limit(p.limit).execute(),
      q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: (rows as PendingRow[]).map((r) => pendingOf(r, t)), total: Number(count.n), offset: p.offset, limit: p.limit };
  };

  return {
    async listWallets(p: ListWalletsParams): Promise<Page<WalletSummary>> {
      const t = await now();
      let q = db.selectFrom('wallet_accounts');
      if (p.owner !== undefined) q = q.where('owner', '=', p.owner);
      if (p.agentId !== undefined) q = q.where('agent_id', '=', p.agentId.toString());
      const rowsQuery = db
        .selectFrom('wallet_accounts as a')
        .selectAll('a')
        .select([
          sql<number>`(select count(*)::int from wallet_keys k where k.account = a.address and not k.revoked)`.as('active_keys'),
          sql<number>`(select count(*)::int from wallet_pending p where p.account = a.address and p.status = 'queued' and p.expires_at >= ${t})`.as('pending_count'),
        ])
        .$if(p.owner !== undefined, (qb) => qb.where('a.owner', '=', p.owner!))
        .$if(p.agentId !== undefined, (qb) => qb.where('a.agent_id', '=', p.agentId!.toString()))
        .orderBy('a.created_block', 'desc')
        .orderBy('a.address');
      const [rows, count] = await Promise.all([rowsQuery.offset(p.offset).limit(p.limit).execute(), q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()]);
      return { items: (rows as AccountRow[]).map(summaryOf), total: Number(count.n), offset: p.offset, limit: p.limit };
    },

    async getWallet(address: Address): Promise<WalletRecord | undefined> {
      const t = await now();
      const row = (await db.selectFrom('wallet_accounts').selectAll().where('address', '=', address).executeTakeFirst()) as AccountRow | undefined;
      if (!row) return undefined;
      const keyRows = await db.selectFrom('wallet_keys').selectAll().where('account', '=', address).orderBy('set_block').orderBy('key').execute();
      const keys = await Promise.all(keyRows.map((k) => keyRecord(address, k, t)));
      const pending = (await listPending(address, { offset: 0, limit: 100, status: 'queued' })).items;
      return { ...summaryOf(row), activeKeys: keys.filter((k) => k.status !== 'revoked').length, pendingCount: pending.length, keys, pending, readAt: t };
    },

    listPending,

    async listActivity(address, p) {
      let q = db.selectFrom('wallet_activity').where('account', '=', address);
      if (p.kind) q = q.where('kind', '=', p.kind);
      const [rows, count] = await Promise.all([
        q.selectAll().orderBy('block_number', 'desc').orderBy('log_index', 'desc').offset(p.offset).limit(p.limit).execute(),
        q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
      ]);
      return { items: (rows as ActivityRow[]).map(activityOf), total: Number(count.n), offset: p.offset, limit: p.limit };
    },
  };
}
