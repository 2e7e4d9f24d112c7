// Overview: which chain the node follows and how far it has indexed, the protocol's contracts, how
// much it holds, and the latest events as they arrive.
import { useEffect, useState } from 'react';
import { api, type EventRecord } from '../api.ts';
import { Address, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { EventList } from '../components/EventList.tsx';
import { count } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

const LATEST = 15;

export function Overview() {
  const stats = useResource((s) => api.stats(s), []);
  const contracts = useResource((s) => api.contracts(s), []);
  const latest = useResource((s) => api.events({ limit: LATEST }, s), []);
  // Live events merge into the fetched page; a refetch (after a reconnect) replaces both.
  const [live, setLive] = useState<EventRecord[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => setLive([]), [latest.data]);
  useLiveEvents((batch) => {
    setLive((prev) => [...batch].reverse().concat(prev).slice(0, LATEST));
    setFresh(new Set(batch.map((e) => e.id)));
    stats.reload();
  });
  useReloadOnConnect(() => {
    stats.reload();
    latest.reload();
  });
  // The head moves without protocol events (other transactions); keep the block figures current.
  useEffect(() => {
    const t = setInterval(stats.reload, 10_000);
    return () => clearInterval(t);
  }, [stats.reload]);

  const seen = new Set<number>();
  const events = [...live, ...(latest.data?.items ?? [])]
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => b.id - a.id)
    .slice(0, LATEST);

  const s = stats.data;
  const behind = s ? Math.max(0, s.headBlock - s.indexedBlock) : 0;
  return (
    <div className="page" data-testid="overview-page">
      <h1>Overview</h1>
      {stats.error && <ErrorNote error={stats.error} />}
      <div className="stats-grid">
        <Stat label="Chain id" value={s ? s.chainId : '—'} testId="stat-chain-id" />
        <Stat label="Block height" value={s ? count(s.headBlock) : '—'} testId="stat-head-block" />
        <Stat
          label="Indexed block"
          value={
            s ? (
              <>
                {count(s.indexedBlock)} {behind === 0 ? <span className="sync ok">in sync</span> : <span className="sync behind">{count(behind)} behind</span>}
              </>
            ) : (
              '—'
            )
          }
          testId="stat-indexed-block"
        />
        <Stat label="Agents" value={count(s?.agents)} testId="stat-agents" />
        <Stat label="Feedback" value={count(s?.feedback)} testId="stat-feedback" />
        <Stat label="Validations" value={count(s?.validations)} testId="stat-validations" />
        <Stat label="Events" value={count(s?.events)} testId="stat-events" />
      </div>

      <div className="columns">
        <Card title="Latest events" actions={<a href={href('/events')}>Event log →</a>} testId="latest-events" className="grow">
          {latest.error && <ErrorNote error={latest.error} />}
          {!latest.data && !latest.error ? <Loading what="events" /> : events.length === 0 ? <Empty>No events yet. Register an agent and it shows up here.</Empty> : <EventList events={events} fresh={fresh} />}
        </Card>
        <Card title="Contracts" testId="contracts">
          {contracts.error && <ErrorNote error={contracts.error} />}
          {!contracts.data && !contracts.error && <Loading what="contracts" />}
          {contracts.data && (
            <table className="table">
              <thead>
                <tr>
                  <th>Contract</th>
                  <th>Address</th>
                  <th className="num">Block</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(contracts.data.contracts).map(([name, c]) => (
                  <tr key={name} data-testid="contract-row">
                    <td>{name}</td>
                    <td>
                      <Address value={c.address} />
                    </td>
                    <td className="num">{c.blockNumber}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </div>
  );
}
