// One compute provider: its ERC-8004 agent and operator, the resources it offers, its stake (and
// what running jobs lock of it), reputation, liveness, its recent jobs with how its replica ended,
// and every slash with the reason and who got the reward. ComputeMarket events refresh it live.
import { ApiError, computeApi, type EventRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { JobsTable, Musd, SlashReason } from '../components/ComputeParts.tsx';
import { count, dateTime, scoreTone, timeAgo } from '../format.ts';
import { useLiveResource, useNow } from '../hooks.ts';
import { href } from '../router.ts';

export function ComputeProvider({ providerId }: { providerId: string }) {
  // Any market event may concern it (a job it runs settles without naming it), so all of them reload.
  const concerns = (e: EventRecord) => e.contract === 'ComputeMarket';
  const provider = useLiveResource((s) => computeApi.provider(providerId, s), [providerId], concerns);
  const now = useNow();
  if (provider.error instanceof ApiError && provider.error.status === 404) {
    return (
      <div className="page" data-testid="provider-page" data-provider-id={providerId}>
        <h1>Provider #{providerId}</h1>
        <Empty>
          No provider #{providerId} is indexed (yet). <a href={href('/compute')}>All providers</a>
        </Empty>
      </div>
    );
  }
  const p = provider.data;
  return (
    <div className="page" data-testid="provider-page" data-provider-id={providerId}>
      <nav className="crumbs">
        <a href={href('/compute')}>Compute</a> / provider #{providerId}
      </nav>
      {provider.error && <ErrorNote error={provider.error} />}
      {!p ? (
        !provider.error && <Loading what="the provider" />
      ) : (
        <>
          <h1>
            Provider #{p.providerId}{' '}
            <span className="muted id">
              agent <a href={href(`/agents/${p.agentId}`)}>#{p.agentId}</a>
            </span>{' '}
            {p.unstakeAt > 0 ? (
              <Badge tone="mid" testId="provider-liveness">
                unstaking{p.unstakeAt * 1000 > now ? `, withdrawable ${dateTime(p.unstakeAt)}` : ', withdrawable now'}
              </Badge>
            ) : p.live ? (
              <Badge tone="good" testId="provider-liveness">
                live
              </Badge>
            ) : (
              <Badge tone="neutral" testId="provider-liveness">
                silent
              </Badge>
            )}
          </h1>
          <div className="stats-grid">
            <Stat label="Stake" value={<Musd amount={p.stake} />} testId="provider-stat-stake" />
            <Stat label="Locked by jobs" value={<Musd amount={p.locked} />} testId="provider-stat-locked" />
            <Stat label="Reputation" value={<span className={`tone-${scoreTone(p.reputation)}-text`}>{p.reputation}</span>} testId="provider-stat-reputation" hint="100 × completed / (completed + 3 × slashes + 1)" />
            <Stat label="Completed" value={count(p.completed)} testId="provider-stat-completed" />
            <Stat label="Earned" value={<Musd amount={p.earned} />} testId="provider-stat-earned" />
            <Stat
              label={`Slashed (${count(p.slashes)}×)`}
              value={p.slashes > 0 ? <span className="tone-bad-text"><Musd amount={p.slashedAmount} /></span> : <Musd amount={p.slashedAmount} />}
              testId="provider-stat-slashed"
            />
          </div>
          <Card title="Resources offered" testId="provider-resources">
            <dl className="facts">
              <dt>devices</dt>
              <dd>
                {p.deviceCount}× {p.deviceKind || '—'} <span className="muted">(runs up to {p.deviceCount} job{p.deviceCount === 1 ? '' : 's'} at once)</span>
              </dd>
              <dt>memory</dt>
              <dd>{count(p.memoryMB)} MB</dd>
              <dt>region</dt>
              <dd>{p.region || <span className="muted">any</span>}</dd>
              <dt>asks</dt>
              <dd>
                <Musd amount={p.pricePerUnit} /> per unit of work
              </dd>
              <dt>operator</dt>
              <dd>
                <Address value={p.operator} full />
              </dd>
              <dt>last heartbeat</dt>
              <dd title={p.lastHeartbeat ? dateTime(p.lastHeartbeat) : undefined}>{p.lastHeartbeat ? timeAgo(p.lastHeartbeat, now) : 'never'}</dd>
            </dl>
          </Card>
          <Card
            title={
              <>
                Recent jobs <span className="live-tag">live</span>
              </>
            }
            testId="provider-jobs"
          >
            {p.jobs.length === 0 ? <Empty>This provider has not run a job yet.</Empty> : <JobsTable jobs={p.jobs} now={now} provider={p.providerId} />}
          </Card>
          <Card title={`Slashes (${p.slashesList.length})`} testId="provider-slashes-card">
            {p.slashesList.length === 0 ? (
              <Empty>Never slashed.</Empty>
            ) : (
              <table className="table" data-testid="slashes-table">
                <thead>
                  <tr>
                    <th>Job</th>
                    <th>Reason</th>
                    <th className="num">Amount</th>
                    <th>Reward to</th>
                    <th>When</th>
                  </tr>
                </thead>
                <tbody>
                  {p.slashesList.map((s, i) => (
                    <tr key={`${s.jobId}-${i}`} data-testid="slash-row" data-job-id={s.jobId} data-reason={s.reason} data-amount={s.amount}>
                      <td>
                        <a href={href(`/compute/jobs/${s.jobId}`)}>job #{s.jobId}</a>
                      </td>
                      <td>
                        <SlashReason reason={s.reason} />
                      </td>
                      <td className="num tone-bad-text">
                        −<Musd amount={s.amount} />
                      </td>
                      <td>
                        {s.beneficiary && !/^0x0{40}$/.test(s.beneficiary) ? <Address value={s.beneficiary} /> : <span className="muted">{s.reward && s.reward !== '0' ? 'split among the majority' : '—'}</span>}
                        {s.reward && s.reward !== '0' && (
                          <div className="sub">
                            <Musd amount={s.reward} />
                          </div>
                        )}
                      </td>
                      <td className="when" title={s.timestamp ? dateTime(s.timestamp) : undefined}>
                        {s.timestamp ? timeAgo(s.timestamp, now) : '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </>
      )}
    </div>
  );
}
