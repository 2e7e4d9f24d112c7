// The node's x402 tables. They are written by the node itself (payments it accepted, settled or
// let expire), not derived from chain events, so they stay out of the reorg journal (`tables`).
import { sql, type Kysely, type Migration } from 'kysely';
import type { NodeModule } from '../indexer/module.ts';

const migrations: Record<string, Migration> = {
  '0001_payments': {
    async up(db: Kysely<any>) {
      await sql`
        create table if not exists pay_payments (
          payment_id text primary key,
          payer text not null,
          pay_to text not null,
          asset text not null,
          amount numeric(78, 0) not null,
          network text not null,
          resource text not null,
          scheme text not null,
          nonce text not null,
          valid_after numeric(78, 0) not null,
          valid_before numeric(78, 0) not null,
          signature text not null,
          agent_id numeric(78, 0),
          payload_hash text not null,
          payload jsonb not null,
          requirements jsonb not null,
          status text not null,
          attempts integer not null default 0,
          next_attempt_at bigint not null default 0,
          last_error text,
          tx_hash text,
          receipt_id text,
          batch_id numeric(78, 0),
          batch_index integer,
          settled_at bigint,
          receipt_signature text not null,
          signer text not null,
          created_at bigint not null,
          updated_at bigint not null,
          unique (payer, nonce)
        );
        create index if not exists pay_payments_status on pay_payments (status, next_attempt_at);
        create index if not exists pay_payments_payer on pay_payments (payer, created_at);
        create index if not exists pay_payments_pay_to on pay_payments (pay_to, created_at);
        create index if not exists pay_payments_batch on pay_payments (batch_id, batch_index);
      `.execute(db);
    },
  },
};

/**
 * The pay module: its migrations only (no contract events, no journaled tables).
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), payModule()] })
 */
export function payModule(): NodeModule {
  return { name: 'pay', migrations, contracts: [], tables: [] };
}
