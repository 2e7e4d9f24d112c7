// The wallet domain's tables: agent accounts (created by the factory), their agent keys, queued
// (escalated) actions waiting for the owner, and the activity log (spends, refusals, executions ...).
import { sql, type Kysely, type Migration } from 'kysely';

export const walletMigrations: Record<string, Migration> = {
  '0001_wallet': {
    async up(db: Kysely<any>) {
      await sql`
        create table wallet_accounts (
          address text primary key,
          agent_id numeric not null,
          owner text not null,
          guardian text not null,
          frozen boolean not null,
          salt text,
          created_block bigint not null,
          created_tx text not null,
          created_at bigint not null,
          updated_block bigint not null,
          updated_tx text not null,
          updated_at bigint not null
        );
        create index wallet_accounts_owner on wallet_accounts (owner, address);
        create index wallet_accounts_agent on wallet_accounts (agent_id, address);
        create table wallet_keys (
          account text not null,
          key text not null,
          valid_after bigint not null,
          valid_until bigint not null,
          policy_hash text not null,
          revoked boolean not null,
          set_block bigint not null,
          set_tx text not null,
          set_at bigint not null,
          primary key (account, key)
        );
        create table wallet_pending (
          account text not null,
          pending_id numeric not null,
          key text not null,
          kind integer not null,
          calls_hash text not null,
          expires_at bigint not null,
          status text not null,
          queued_block bigint not null,
          queued_tx text not null,
          queued_at bigint not null,
          resolved_block bigint,
          resolved_tx text,
          resolved_at bigint,
          primary key (account, pending_id)
        );
        create table wallet_activity (
          account text not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null,
          block_timestamp bigint not null,
          kind text not null,
          key text,
          asset text,
          amount numeric,
          details jsonb not null,
          primary key (account, block_number, log_index)
        );
        create index wallet_activity_kind on wallet_activity (account, kind, block_number, log_index);
      `.execute(db);
    },
  },
};

/** All chain-derived: journaled for reorgs, emptied on a re-index. */
export const walletTables = [
  { name: 'wallet_accounts', primaryKey: ['address'] },
  { name: 'wallet_keys', primaryKey: ['account', 'key'] },
  { name: 'wallet_pending', primaryKey: ['account', 'pending_id'] },
  { name: 'wallet_activity', primaryKey: ['account', 'block_number', 'log_index'] },
];
