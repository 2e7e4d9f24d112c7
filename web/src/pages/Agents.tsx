// Agents: search by name or description, sort, page through; each row opens the agent's page. The
// list refetches when an event concerns any agent (a new registration, new feedback, a new file).
import { useEffect, useRef, useState } from 'react';
import { api, type AgentRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading } from '../components/common.tsx';
import { TrustBar } from '../components/TrustBar.tsx';
import { count } from '../format.ts';
import { useDebounced, useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href, replaceHash } from '../router.ts';

const PAGE = 25;
const sorts = {
  recent: 'Newest first',
  trust: 'Trust score',
  feedback: 'Most feedback',
  agentId: 'Agent id',
} as const;
type Sort = keyof typeof sorts;

export function Agents({ initialQuery }: { initialQuery: string }) {
  const [q, setQ] = useState(initialQuery);
  const [sort, setSort] = useState<Sort>('recent');
  const [offset, setOffset] = useState(0);
  const query = useDebounced(q.trim(), 200);

  useEffect(() => {
    replaceHash(href('/agents', { q: query }));
    setOffset(0);
  }, [query]);

  const agents = useResource((s) => api.agents({ q: query, sort, order: sort === 'agentId' ? 'asc' : 'desc', offset, limit: PAGE }, s), [query, sort, offset], { keepPrevious: true });
  useLiveEvents((batch) => {
    if (batch.some((e) => e.agentId !== null || e.event === 'Registered')) agents.reload();
  });
  useReloadOnConnect(agents.reload);

  // Rows that were not in the previous answer flash once, so a new agent is noticed.
  const known = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!agents.data) return;
    const ids = agents.data.items.map((a) => a.agentId);
    if (known.current) setFresh(new Set(ids.filter((id) => !known.current!.has(id))));
    known.current = new Set(ids);
  }, [agents.data]);

  const page = agents.data;
  return (
    <div className="page" data-testid="agents-page">
      <h1>Agents</h1>
      <Card
        title={page ? `${count(page.total)} agent${page.total === 1 ? '' : 's'}${query ? ` matching “${query}”` : ''}` : 'Agents'}
        actions={
          <div className="toolbar">
            <input
              type="search"
              className="search"
              placeholder="Search name or description…"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              data-testid="agents-search"
              aria-label="search agents"
              autoFocus
            />
            <select value={sort} onChange={(e) => (setSort(e.target.value as Sort), setOffset(0))} data-testid="agents-sort" aria-label="sort agents">
              {Object.entries(sorts).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        }
      >
        {agents.error && <ErrorNote error={agents.error} />}
        {!page && !agents.error && <Loading what="agents" />}
        {page && page.items.length === 0 && <Empty>{query ? `No agent matches “${query}”.` : 'No agents yet. Run `npx machina agent register --name ...` and it appears here.'}</Empty>}
        {page && page.items.length > 0 && <AgentTable agents={page.items} fresh={fresh} />}
        {page && page.total > PAGE && (
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              ← Previous
            </button>
            <span className="muted">
              {offset + 1}–{Math.min(offset + PAGE, page.total)} of {count(page.total)}
            </span>
            <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              Next →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

function AgentTable({ agents, fresh }: { agents: AgentRecord[]; fresh: ReadonlySet<string> }) {
  return (
    <table className="table" data-testid="agents-table">
      <thead>
        <tr>
          <th className="num">#</th>
          <th>Agent</th>
          <th>Owner</th>
          <th className="trust-col">Trust score</th>
          <th className="num">Feedback</th>
        </tr>
      </thead>
      <tbody>
        {agents.map((a) => (
          <tr
            key={a.agentId}
            className={`clickable ${fresh.has(a.agentId) ? 'fresh' : ''}`}
            data-testid="agent-row"
            data-agent-id={a.agentId}
            onClick={() => (location.hash = href(`/agents/${a.agentId}`))}
          >
            <td className="num muted">{a.agentId}</td>
            <td>
              <a href={href(`/agents/${a.agentId}`)} className="agent-link" data-testid="agent-row-name">
                {a.name ?? <span className="muted">unnamed</span>}
              </a>
              {!a.active && <Badge tone="bad">inactive</Badge>}
              {a.x402Support && <Badge tone="info">x402</Badge>}
              {a.description && <div className="sub clamp">{a.description}</div>}
            </td>
            <td>
              <Address value={a.owner} />
            </td>
            <td className="trust-col">
              <TrustBar value={a.trust.score} confidence={a.trust.confidence} testId="agent-row-trust" />
            </td>
            <td className="num" data-testid="agent-row-feedback">
              {count(a.feedbackCount)}
              {a.verifiedFeedbackCount > 0 && <div className="sub">{count(a.verifiedFeedbackCount)} verified</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
