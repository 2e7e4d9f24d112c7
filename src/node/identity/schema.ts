// The identity domain's tables: agents (with their registration file and trust score), feedback,
// validations, on-chain metadata, and registration files the node hosts for agents it registered.
import { sql, type Kysely, type Migration } from 'kysely';

export const identityMigrations: Record<string, Migration> = {
  '0001_identity': {
    async up(db: Kysely<any>) {
      await sql`
        create table agents (
          agent_id numeric primary key,
          owner text not null,
          agent_uri text not null,
          agent_wallet text,
          name text,
          description text,
          image text,
          services jsonb not null,
          x402_support boolean not null,
          active boolean not null,
          registration jsonb,
          registration_error text,
          -- The agentURI the registration columns were read from: the resolver's to-do is where it differs.
          registration_uri text,
          registration_attempts integer not null,
          registration_retry_at bigint not null,
          registered_block bigint not null,
          registered_tx text not null,
          registered_at bigint not null,
          updated_block bigint not null,
          updated_tx text not null,
          updated_at bigint not null,
          feedback_count integer not null,
          verified_feedback_count integer not null,
          validation_count integer not null,
          trust_score double precision not null,
          trust_confidence double precision not null,
          trust_clients integer not null,
          trust_verified_clients integer not null,
          trust_unbacked_clients integer not null,
          trust_revoked_count integer not null
        ) with (fillfactor = 70); -- room on each page for HOT updates of the counters
        -- No indexes on the sort columns (trust, feedback, recency): they change with every
        -- feedback, and a top-N sort of the agents is cheap next to keeping them up to date.
        create index agents_owner on agents (owner, agent_id);
        create table feedback (
          agent_id numeric not null,
          client text not null,
          feedback_index bigint not null,
          value numeric not null,
          value_decimals integer not null,
          tag1 text not null,
          tag2 text not null,
          endpoint text not null,
          feedback_uri text not null,
          feedback_hash text not null,
          revoked boolean not null,
          receipt_source text,
          receipt_id text,
          response_count integer not null,
          given_block bigint not null,
          given_log integer not null,
          given_tx text not null,
          given_at bigint not null,
          primary key (agent_id, client, feedback_index)
        );
        create index feedback_agent_recent on feedback (agent_id, given_block, given_log);
        create table validations (
          request_hash text primary key,
          agent_id numeric not null,
          validator text not null,
          request_uri text not null,
          response integer,
          response_uri text,
          response_hash text,
          tag text,
          requested_block bigint not null,
          requested_log integer not null,
          requested_tx text not null,
          requested_at bigint not null,
          responded_block bigint,
          responded_tx text,
          responded_at bigint
        );
        create index validations_agent on validations (agent_id, requested_block, requested_log);
        create table agent_metadata (
          agent_id numeric not null,
          key text not null,
          value text not null,
          primary key (agent_id, key)
        );
        create table hosted_registrations (
          agent_id numeric primary key,
          file jsonb not null,
          updated_at bigint not null
        );
      `.execute(db);
    },
  },
};

/** Chain-derived tables (journaled for reorgs, emptied on a re-index); hosted_registrations is not. */
export const identityTables = [
  { name: 'agents', primaryKey: ['agent_id'] },
  { name: 'feedback', primaryKey: ['agent_id', 'client', 'feedback_index'] },
  { name: 'validations', primaryKey: ['request_hash'] },
  { name: 'agent_metadata', primaryKey: ['agent_id', 'key'] },
];
