// One agent: its registration file (name, description, services, x402), owner and wallet, the trust
// score with the feedback behind it, and its validations. Refetches when an event names this agent.
import { useState } from 'react';
import { api, ApiError, type AgentRecord, type FeedbackRecord, type Page, type ValidationRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading } from '../components/common.tsx';
import { TrustGauge } from '../components/TrustBar.tsx';
import { count, dateTime, feedbackValue, scoreTone, timeAgo } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

const FEEDBACK_PAGE = 50;

export function Agent({ agentId }: { agentId: string }) {
  const [feedbackOffset, setFeedbackOffset] = useState(0);
  const agent = useResource((s) => api.agent(agentId, s), [agentId]);
  const feedback = useResource((s) => api.feedback(agentId, { includeRevoked: true, offset: feedbackOffset, limit: FEEDBACK_PAGE }, s), [agentId, feedbackOffset]);
  const validations = useResource((s) => api.validations(agentId, { limit: 100 }, s), [agentId]);
  const reloadAll = () => {
    agent.reload();
    feedback.reload();
    validations.reload();
  };
  useLiveEvents((batch) => {
    if (batch.some((e) => e.agentId === agentId)) reloadAll();
  });
  useReloadOnConnect(reloadAll);

  if (agent.error instanceof ApiError && agent.error.status === 404) {
    return (
      <div className="page" data-testid="agent-page">
        <h1>Agent #{agentId}</h1>
        <Empty>
          No agent #{agentId} is indexed (yet). <a href={href('/agents')}>All agents</a>
        </Empty>
      </div>
    );
  }
  const a = agent.data;
  return (
    <div className="page" data-testid="agent-page" data-agent-id={agentId}>
      <nav className="crumbs">
        <a href={href('/agents')}>Agents</a> / #{agentId}
      </nav>
      {agent.error && <ErrorNote error={agent.error} />}
      {!a ? (
        !agent.error && <Loading what={`agent #${agentId}`} />
      ) : (
        <>
          <AgentHeader a={a} />
          <div className="columns">
            <Card title="Trust score" testId="agent-trust" className="trust-card">
              <TrustGauge value={a.trust.score} confidence={a.trust.confidence} />
              <dl className="facts compact">
                <dt>clients</dt>
                <dd data-testid="agent-trust-clients">{count(a.trust.clients)}</dd>
                <dt>verified clients</dt>
                <dd>{count(a.trust.verifiedClients)}</dd>
                <dt>unbacked clients</dt>
                <dd>{count(a.trust.unbackedClients)}</dd>
                <dt>feedback</dt>
                <dd data-testid="agent-feedback-count">
                  {count(a.trust.feedbackCount)}
                  {a.trust.revokedCount > 0 && <span className="muted"> (+{a.trust.revokedCount} revoked)</span>}
                </dd>
              </dl>
              <p className="note">
                Each client's feedback counts as one opinion, weighted by what backs it (receipts of real interactions); clients with nothing behind them share a small pool. The score starts at
                a neutral 50 and moves as evidence builds up; confidence says how much of it is evidence.
              </p>
            </Card>
            <Card title="Identity" testId="agent-identity" className="grow">
              <dl className="facts">
                <dt>owner</dt>
                <dd data-testid="agent-owner">
                  <Address value={a.owner} full />
                </dd>
                <dt>wallet</dt>
                <dd data-testid="agent-wallet">{a.agentWallet ? <Address value={a.agentWallet} full /> : <span className="muted">not set</span>}</dd>
                <dt>x402 payments</dt>
                <dd data-testid="agent-x402">{a.x402Support ? <Badge tone="info">supported</Badge> : <span className="muted">not supported</span>}</dd>
                <dt>registered</dt>
                <dd title={dateTime(a.registered.timestamp)}>
                  block {a.registered.blockNumber} · {dateTime(a.registered.timestamp)}
                </dd>
                {a.updated.blockNumber !== a.registered.blockNumber && (
                  <>
                    <dt>updated</dt>
                    <dd>
                      block {a.updated.blockNumber} · {dateTime(a.updated.timestamp)}
                    </dd>
                  </>
                )}
                <dt>agentURI</dt>
                <dd className="uri">
                  <AgentUri uri={a.agentURI} />
                </dd>
                <dt>registration file</dt>
                <dd>
                  <a href={`/agents/${a.agentId}/registration.json`} target="_blank" rel="noreferrer">
                    registration.json
                  </a>
                  {a.registrationError && (
                    <div className="error-note small" data-testid="agent-registration-error">
                      {a.registrationError}
                    </div>
                  )}
                </dd>
              </dl>
              <h3>Services</h3>
              {a.services.length === 0 ? (
                <Empty>No services listed.</Empty>
              ) : (
                <table className="table" data-testid="agent-services">
                  <thead>
                    <tr>
                      <th>Service</th>
                      <th>Endpoint</th>
                      <th>Version</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.services.map((s, i) => (
                      <tr key={i}>
                        <td>
                          <Badge tone="neutral">{s.name}</Badge>
                        </td>
                        <td className="uri">
                          <code>{s.endpoint}</code>
                        </td>
                        <td>{s.version ?? <span className="muted">—</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {a.registration && (
                <details className="raw">
                  <summary>Registration file (JSON)</summary>
                  <pre>{JSON.stringify(a.registration, null, 2)}</pre>
                </details>
              )}
            </Card>
          </div>
        </>
      )}
      <Card title={`Feedback${feedback.data ? ` (${count(feedback.data.total)})` : ''}`} testId="agent-feedback">
        {feedback.error && <ErrorNote error={feedback.error} />}
        {!feedback.data && !feedback.error && <Loading what="feedback" />}
        {feedback.data && <FeedbackTable page={feedback.data} offset={feedbackOffset} setOffset={setFeedbackOffset} />}
      </Card>
      <Card title={`Validations${validations.data ? ` (${count(validations.data.total)})` : ''}`} testId="agent-validations">
        {validations.error && <ErrorNote error={validations.error} />}
        {!validations.data && !validations.error && <Loading what="validations" />}
        {validations.data && <ValidationTable items={validations.data.items} />}
      </Card>
    </div>
  );
}

function AgentHeader({ a }: { a: AgentRecord }) {
  return (
    <header className="agent-header">
      {a.image && /^https?:|^data:image\//.test(a.image) && <img className="agent-image" src={a.image} alt="" />}
      <div>
        <h1>
          <span data-testid="agent-name">{a.name ?? `Agent #${a.agentId}`}</span> <span className="muted id">#{a.agentId}</span>{' '}
          {a.active ? <Badge tone="good">active</Badge> : <Badge tone="bad">inactive</Badge>}
          {a.x402Support && <Badge tone="info">x402</Badge>}
        </h1>
        <p className="lead" data-testid="agent-description">
          {a.description || <span className="muted">No description.</span>}
        </p>
      </div>
    </header>
  );
}

function AgentUri({ uri }: { uri: string }) {
  // data: URIs carry the whole file; show that they do rather than a wall of base64.
  if (uri.startsWith('data:')) return <code title={uri.slice(0, 200)}>{`${uri.slice(0, 40)}… (on-chain data: URI, ${count(uri.length)} chars)`}</code>;
  if (/^https?:\/\//.test(uri))
    return (
      <a href={uri} target="_blank" rel="noreferrer">
        <code>{uri}</code>
      </a>
    );
  return <code>{uri}</code>;
}

function FeedbackTable({ page, offset, setOffset }: { page: Page<FeedbackRecord>; offset: number; setOffset: (n: number) => void }) {
  const now = useNow();
  if (page.items.length === 0) return <Empty>No feedback yet.</Empty>;
  return (
    <>
      <table className="table" data-testid="feedback-table">
        <thead>
          <tr>
            <th>Client</th>
            <th className="num">Value</th>
            <th>Tags</th>
            <th>Backing</th>
            <th>Given</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((f) => {
            const value = feedbackValue(f.value, f.valueDecimals);
            return (
              <tr key={`${f.client}-${f.feedbackIndex}`} className={f.revoked ? 'revoked' : ''} data-testid="feedback-row" data-client={f.client} data-revoked={f.revoked}>
                <td>
                  <Address value={f.client} />
                  <div className="sub">#{f.feedbackIndex}</div>
                </td>
                <td className="num">
                  <span className={`feedback-value tone-${scoreTone(Number(value))}-text`} data-testid="feedback-value">
                    {value}
                  </span>
                </td>
                <td>
                  {[f.tag1, f.tag2].filter(Boolean).map((t) => (
                    <Badge key={t}>{t}</Badge>
                  ))}
                  {f.endpoint && <div className="sub uri">{f.endpoint}</div>}
                </td>
                <td>
                  {f.receipt ? (
                    <Badge tone="good" testId="feedback-verified" title={`receipt ${f.receipt.receiptId} from ${f.receipt.source}`}>
                      ✓ verified
                    </Badge>
                  ) : (
                    <span className="muted">unbacked</span>
                  )}
                  {f.revoked && (
                    <Badge tone="bad" testId="feedback-revoked">
                      revoked
                    </Badge>
                  )}
                  {f.responseCount > 0 && <div className="sub">{f.responseCount} response{f.responseCount === 1 ? '' : 's'}</div>}
                </td>
                <td className="when" title={dateTime(f.given.timestamp)}>
                  {timeAgo(f.given.timestamp, now)}
                  <div className="sub">block {f.given.blockNumber}</div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {page.total > page.limit && (
        <div className="pager">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - page.limit))}>
            ← Previous
          </button>
          <span className="muted">
            {offset + 1}–{Math.min(offset + page.limit, page.total)} of {count(page.total)}
          </span>
          <button disabled={offset + page.limit >= page.total} onClick={() => setOffset(offset + page.limit)}>
            Next →
          </button>
        </div>
      )}
    </>
  );
}

function ValidationTable({ items }: { items: ValidationRecord[] }) {
  const now = useNow();
  if (items.length === 0) return <Empty>No validations requested.</Empty>;
  return (
    <table className="table" data-testid="validations-table">
      <thead>
        <tr>
          <th>Validator</th>
          <th>Request</th>
          <th>Status</th>
          <th>Requested</th>
        </tr>
      </thead>
      <tbody>
        {items.map((v) => (
          <tr key={v.requestHash} data-testid="validation-row">
            <td>
              <Address value={v.validator} />
            </td>
            <td className="uri">
              <code title={v.requestHash}>{v.requestURI}</code>
            </td>
            <td data-testid="validation-status">
              {v.response === null ? (
                <Badge tone="mid">pending</Badge>
              ) : (
                <Badge tone={scoreTone(v.response)}>
                  {v.response}/100{v.tag ? ` · ${v.tag}` : ''}
                </Badge>
              )}
              {v.responded && <div className="sub">answered {timeAgo(v.responded.timestamp, now)}</div>}
            </td>
            <td className="when" title={dateTime(v.requested.timestamp)}>
              {timeAgo(v.requested.timestamp, now)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
