// NodeQueries over the index: what the HTTP API, the MCP server and the dashboard read.
import { sql, type Kysely } from 'kysely';
import type { NodeQueries, NodeStats } from '../service/types.ts';
import { listEvents } from '../indexer/events.ts';
import { getAgent, getValidation, listAgents, listFeedback, listValidations } from '../identity/queries.ts';

/**
 * The read side of the node over `db`.
 * @example
 * const queries = createNodeQueries(db)
 * const { items } = await queries.listAgents({ offset: 0, limit: 20, sort: 'trust' })
 */
export function createNodeQueries(db: Kysely<any>): NodeQueries {
  return {
    stats: () => stats(db),
    listAgents: (p) => listAgents(db, p),
    getAgent: (agentId) => getAgent(db, agentId),
    listFeedback: (agentId, p) => listFeedback(db, agentId, p),
    listValidations: (agentId, p) => listValidations(db, agentId, p),
    getValidation: (requestHash) => getValidation(db, requestHash),
    listEvents: (p) => listEvents(db, p),
  };
}

async function stats(db: Kysely<any>): Promise<NodeStats> {
  const { rows } = await sql<{ agents: number; feedback: number; validations: number; events: number; chain_id: number | null; block_number: number | null; head_block: number | null }>`
    select
      (select count(*)::int from agents) as agents,
      (select count(*)::int from feedback where not revoked) as feedback,
      (select count(*)::int from validations) as validations,
      (select count(*)::int from events) as events,
      s.chain_id, s.block_number, s.head_block
    from (select 1) as one left join indexer_state s on s.id = 1
  `.execute(db);
  const r = rows[0]!;
  return {
    chainId: r.chain_id ?? 0,
    agents: r.agents,
    feedback: r.feedback,
    validations: r.validations,
    events: r.events,
    indexedBlock: Math.max(0, r.block_number ?? 0),
    headBlock: r.head_block ?? 0,
  };
}
