// Read side of the identity domain over the index: paged, filtered, sorted lists and single records.
import { sql, type Kysely } from 'kysely';
import { getAddress, isAddress, type Address, type Hex } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { AgentRecord, FeedbackRecord, ListAgentsParams, Page, ValidationRecord } from '../service/types.ts';
import { agentRecordOf, feedbackRecordOf, validationRecordOf } from './records.ts';
import type { AgentRow, FeedbackRow, ValidationRow } from './rows.ts';

const SORT_COLUMN = { agentId: 'agent_id', trust: 'trust_score', feedback: 'feedback_count', recent: 'updated_block' } as const;

/**
 * Agents, filtered and sorted; ties break by agentId so pages never overlap. Sorting by trust,
 * feedback or recency defaults to descending, by agentId to ascending.
 * @example
 * const page = await listAgents(db, { offset: 0, limit: 20, sort: 'trust' })
 */
export async function listAgents(db: Kysely<any>, p: ListAgentsParams): Promise<Page<AgentRecord>> {
  let q = db.selectFrom('agents');
  if (p.owner !== undefined) q = q.where('owner', '=', checksummed(p.owner, 'owner'));
  if (p.active !== undefined) q = q.where('active', '=', p.active);
  if (p.x402 !== undefined) q = q.where('x402_support', '=', p.x402);
  if (p.q !== undefined && p.q !== '') {
    const pattern = `%${p.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  const sort = p.sort ?? 'agentId';
  const order = p.order ?? (sort === 'agentId' ? 'asc' : 'desc');
  let rowsQuery = q.selectAll().orderBy(SORT_COLUMN[sort], order);
  if (sort !== 'agentId') rowsQuery = rowsQuery.orderBy('agent_id', order);
  const [rows, count] = await Promise.all([
    rowsQuery.offset(p.offset).limit(p.limit).execute(),
    q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: (rows as AgentRow[]).map(agentRecordOf), total: Number(count.n), offset: p.offset, limit: p.limit };
}

export async function getAgent(db: Kysely<any>, agentId: bigint): Promise<AgentRecord | undefined> {
  const row = await db.selectFrom('agents').selectAll().where('agent_id', '=', agentId.toString()).executeTakeFirst();
  return row ? agentRecordOf(row as AgentRow) : undefined;
}

export type ListFeedbackParameters = { offset: number; limit: number; includeRevoked?: boolean; client?: Address; tag1?: string };

/**
 * An agent's feedback, newest first; revoked feedback only with `includeRevoked`.
 * @example
 * const page = await listFeedback(db, 0n, { offset: 0, limit: 20 })
 */
export async function listFeedback(db: Kysely<any>, agentId: bigint, p: ListFeedbackParameters): Promise<Page<FeedbackRecord>> {
  let q = db.selectFrom('feedback').where('agent_id', '=', agentId.toString());
  if (!p.includeRevoked) q = q.where('revoked', '=', false);
  if (p.client !== undefined) q = q.where('client', '=', checksummed(p.client, 'client'));
  if (p.tag1 !== undefined) q = q.where('tag1', '=', p.tag1);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('given_block', 'desc').orderBy('given_log', 'desc').offset(p.offset).limit(p.limit).execute(),
    q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: (rows as FeedbackRow[]).map(feedbackRecordOf), total: Number(count.n), offset: p.offset, limit: p.limit };
}

/**
 * An agent's validation requests, newest first, each with its latest response.
 * @example
 * const page = await listValidations(db, 0n, { offset: 0, limit: 20 })
 */
export async function listValidations(db: Kysely<any>, agentId: bigint, p: { offset: number; limit: number }): Promise<Page<ValidationRecord>> {
  const q = db.selectFrom('validations').where('agent_id', '=', agentId.toString());
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('requested_block', 'desc').orderBy('requested_log', 'desc').offset(p.offset).limit(p.limit).execute(),
    q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: (rows as ValidationRow[]).map(validationRecordOf), total: Number(count.n), offset: p.offset, limit: p.limit };
}

export async function getValidation(db: Kysely<any>, requestHash: Hex): Promise<ValidationRecord | undefined> {
  const row = await db.selectFrom('validations').selectAll().where('request_hash', '=', requestHash.toLowerCase()).executeTakeFirst();
  return row ? validationRecordOf(row as ValidationRow) : undefined;
}

function checksummed(address: string, field: string): Address {
  if (!isAddress(address, { strict: false })) throw new InvalidArgumentError(field, 'must be a 20-byte hex address');
  return getAddress(address);
}
