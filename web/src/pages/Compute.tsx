// The compute market: totals (providers, jobs by outcome, paid, slashed, open escrow), a chart of
// stake / earned / slashed per provider and one of job outcomes, the providers with their resources,
// stake and record, and the jobs (filtered by status, paged). ComputeMarket events refresh it live.
import { useEffect, useState } from 'react';
import { ApiError, computeApi, type ComputeStats, type JobStatusName, type ProviderRow } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { JobsTable, Musd, OutcomeChart, ProviderChart, ProviderLink } from '../components/ComputeParts.tsx';
import { count, timeAgo, dateTime, scoreTone } from '../format.ts';
import { useLiveResource, useNow } from '../hooks.ts';
import { href, replaceHash } from '../router.ts';

const PAGE = 25;
const LIVE = ['ComputeMarket'];
const STATUSES: JobStatusName[] = ['open', 'assigned', 'challenged', 'completed', 'failed', 'cancelled', 'expired'];

export function Compute({ initialStatus }: { initialStatus: string }) {
  const stats = useLiveResource((s) => computeApi.stats(s), [], LIVE);
  const providers = useLiveResource((s) => computeApi.providers(s), [], LIVE);
  const now = useNow();
  const unavailable = [stats.error, providers.error].some((e) => e instanceof ApiError && e.status === 404);
  if (unavailable) {
    return (
      <div className="page" data-testid="compute-page">
        <h1>Compute</h1>
        <Empty>This node runs no compute market service (the deployment has no ComputeMarket, or the node predates it).</Empty>
      </div>
    );
  }
  const s = stats.data;
  const list = providers.data?.providers;
  return (
    <div className="page" data-testid="compute-page">
      <h1>Compute</h1>
      {stats.error && <ErrorNote error={stats.error} />}
      <StatsGrid s={s} />
      <div className="columns">
        <Card
          title={
            <>
              Stake, earnings and slashes per provider <span className="live-tag">live</span>
            </>
          }
          className="grow"
          testId="compute-provider-chart"
        >
          {!list && !providers.error && <Loading what="providers" />}
          {list && list.length === 0 && <Empty>No provider yet.</Empty>}
          {list && list.length > 0 && <ProviderChart providers={list} />}
        </Card>
        <Card title="Job outcomes" className="outcome-card" testId="compute-outcomes">
          {!s ? !stats.error && <Loading what="outcomes" /> : <OutcomeChart byStatus={s.jobs.byStatus} />}
        </Card>
      </div>
      <Card
        title={
          <>
            Providers <span className="live-tag">live</span>
          </>
        }
        testId="compute-providers"
      >
        {providers.error && <ErrorNote error={providers.error} />}
        {!list && !providers.error && <Loading what="providers" />}
        {list && list.length === 0 && <Empty>No provider has registered yet. Start one with `machina provider start`.</Empty>}
        {list && list.length > 0 && <ProvidersTable providers={list} now={now} />}
      </Card>
      <JobsCard initialStatus={initialStatus} now={now} />
    </div>
  );
}

function StatsGrid({ s }: { s: ComputeStats | undefined }) {
  const by = s?.jobs.byStatus ?? {};
  const total = Object.values(by).reduce((n, v) => n + (v ?? 0), 0);
  return (
    <div className="stats-grid">
      <Stat
        label="Providers"
        value={
          s ? (
            <>
              {count(s.providers)} <span className="sync ok">{count(s.liveProviders)} live</span>
            </>
          ) : (
            '—'
          )
        }
        testId="compute-stat-providers"
      />
      <Stat label="Jobs" value={s ? count(total) : '—'} testId="compute-stat-jobs" />
      <Stat label="Completed" value={s ? count(by.completed ?? 0) : '—'} testId="compute-stat-completed" />
      <Stat label="Failed" value={s ? count(by.failed ?? 0) : '—'} testId="compute-stat-failed" />
      <Stat label="Paid to providers" value={s ? <Musd amount={s.paid} /> : '—'} testId="compute-stat-paid" />
      <Stat label={`Slashed${s ? ` (${count(s.slashCount)}×)` : ''}`} value={s ? <Musd amount={s.slashed} /> : '—'} testId="compute-stat-slashed" />
      <Stat label="Escrow open" value={s ? <Musd amount={s.escrowOpen} /> : '—'} testId="compute-stat-escrow" hint="held by the market for jobs not settled yet" />
    </div>
  );
}

export function ProvidersTable({ providers, now }: { providers: ProviderRow[]; now: number }) {
  return (
    <table className="table" data-testid="providers-table">
      <thead>
        <tr>
          <th>Provider</th>
          <th>Resources</th>
          <th className="num">Price / unit</th>
          <th className="num">Stake</th>
          <th className="num">Reputation</th>
          <th className="num">Completed</th>
          <th className="num">Slashes</th>
          <th className="num">Earned</th>
          <th>Liveness</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => (
          <tr
            key={p.providerId}
            className="clickable"
            data-testid="provider-row"
            data-provider-id={p.providerId}
            data-stake={p.stake}
            data-slashes={p.slashes}
            data-slashed={p.slashedAmount}
            data-earned={p.earned}
            data-completed={p.completed}
            onClick={() => (location.hash = href(`/compute/providers/${p.providerId}`))}
          >
            <td onClick={(e) => e.stopPropagation()}>
              <ProviderLink id={p.providerId} />
              <div className="sub">
                agent <a href={href(`/agents/${p.agentId}`)}>#{p.agentId}</a> · <Address value={p.operator} />
              </div>
            </td>
            <td>
              {p.deviceCount}× {p.deviceKind || '—'} · {count(p.memoryMB)} MB
              <div className="sub">{p.region || 'any region'}</div>
            </td>
            <td className="num">
              <Musd amount={p.pricePerUnit} />
            </td>
            <td className="num" data-testid="provider-stake">
              <Musd amount={p.stake} />
              {p.locked !== '0' && (
                <div className="sub">
                  <Musd amount={p.locked} /> locked
                </div>
              )}
            </td>
            <td className={`num tone-${scoreTone(p.reputation)}-text`} data-testid="provider-reputation">
              {p.reputation}
            </td>
            <td className="num">{count(p.completed)}</td>
            <td className="num" data-testid="provider-slashes">
              {p.slashes > 0 ? (
                <>
                  <Badge tone="bad">{p.slashes}×</Badge>
                  <div className="sub tone-bad-text">
                    −<Musd amount={p.slashedAmount} />
                  </div>
                </>
              ) : (
                <span className="muted">0</span>
              )}
            </td>
            <td className="num">
              <Musd amount={p.earned} />
            </td>
            <td className="when">
              {p.unstakeAt > 0 ? <Badge tone="mid">unstaking</Badge> : p.live ? <Badge tone="good">live</Badge> : <Badge tone="neutral">silent</Badge>}
              <div className="sub" title={p.lastHeartbeat ? dateTime(p.lastHeartbeat) : undefined}>
                {p.lastHeartbeat ? `heartbeat ${timeAgo(p.lastHeartbeat, now)}` : 'no heartbeat'}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JobsCard({ initialStatus, now }: { initialStatus: string; now: number }) {
  const [status, setStatus] = useState(STATUSES.includes(initialStatus as JobStatusName) ? initialStatus : '');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  useEffect(() => replaceHash(href('/compute', { status })), [status]);
  const jobs = useLiveResource((s) => computeApi.jobs({ status, limit: PAGE, cursor }, s), [status, cursor], LIVE, { keepPrevious: true });
  const page = jobs.data;
  return (
    <Card
      title={
        <>
          Jobs <span className="live-tag">live</span>
        </>
      }
      actions={
        <select value={status} onChange={(e) => (setStatus(e.target.value), setCursors([]))} data-testid="jobs-status">
          <option value="">every status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      }
      testId="compute-jobs"
    >
      {jobs.error && <ErrorNote error={jobs.error} />}
      {!page && !jobs.error && <Loading what="jobs" />}
      {page && page.jobs.length === 0 && <Empty>{status ? `No ${status} job.` : 'No job posted yet. Try `machina compute submit --demo --wait`.'}</Empty>}
      {page && page.jobs.length > 0 && <JobsTable jobs={page.jobs} now={now} />}
      {(cursors.length > 0 || page?.next) && (
        <div className="pager">
          <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            ← Newer
          </button>
          <button disabled={!page?.next} onClick={() => page?.next && setCursors([...cursors, page.next])}>
            Older →
          </button>
        </div>
      )}
    </Card>
  );
}
