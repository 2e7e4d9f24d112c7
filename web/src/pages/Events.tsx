// The event log: every indexed protocol event, newest first, filtered by contract and event, paged
// backwards by id. On the newest page new events slide in as they are indexed.
import { useEffect, useState } from 'react';
import { api, matchesFilter, type EventRecord } from '../api.ts';
import { Card, Empty, ErrorNote, Loading } from '../components/common.tsx';
import { EventList } from '../components/EventList.tsx';
import { useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

const PAGE = 50;

/** Events the node's contracts emit, by contract, for the filter's menus. */
const EVENTS: Record<string, string[]> = {
  IdentityRegistry: ['Registered', 'URIUpdated', 'MetadataSet', 'Transfer'],
  ReputationRegistry: ['NewFeedback', 'VerifiedFeedback', 'FeedbackRevoked', 'ResponseAppended', 'ReceiptSourceSet'],
  ValidationRegistry: ['ValidationRequest', 'ValidationResponse'],
  PaymentReceipts: ['PaymentSettled'],
  AnchorRegistry: ['RootAnchored'],
  ProvenanceRegistry: ['DatasetRegistered', 'ModelRegistered'],
};

export function Events({ contract, event }: { contract: string; event: string }) {
  // Older pages are reached by id: the stack holds the `beforeId` of each page we came through.
  const [stack, setStack] = useState<number[]>([]);
  const beforeId = stack.at(-1);
  useEffect(() => setStack([]), [contract, event]);

  const filter = { contract, event };
  const page = useResource((s) => api.events({ ...filter, limit: PAGE, beforeId }, s), [contract, event, beforeId]);
  const contracts = useResource((s) => api.contracts(s), []);
  const [live, setLive] = useState<EventRecord[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<number>>(new Set());
  useEffect(() => setLive([]), [page.data]);

  const onNewest = beforeId === undefined;
  useLiveEvents((batch) => {
    if (!onNewest) return;
    const hits = batch.filter((e) => matchesFilter(e, filter));
    if (hits.length === 0) return;
    setLive((prev) => [...hits].reverse().concat(prev).slice(0, 500));
    setFresh(new Set(hits.map((e) => e.id)));
  });
  useReloadOnConnect(page.reload);

  const seen = new Set<number>();
  const items = [...live, ...(page.data?.items ?? [])].filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true))).sort((a, b) => b.id - a.id);
  const oldest = page.data?.items.at(-1)?.id;

  const names = contracts.data ? Object.keys(contracts.data.contracts) : Object.keys(EVENTS);
  const eventNames = contract ? (EVENTS[contract] ?? []) : [...new Set(Object.values(EVENTS).flat())].sort();
  const go = (c: string, e: string) => (location.hash = href('/events', { contract: c, event: e }));

  return (
    <div className="page" data-testid="events-page">
      <h1>Event log</h1>
      <Card
        title={
          <>
            {onNewest ? 'Newest events' : 'Older events'} {onNewest && <span className="live-tag">live</span>}
          </>
        }
        actions={
          <div className="toolbar">
            <select value={contract} onChange={(e) => go(e.target.value, '')} data-testid="events-contract" aria-label="contract">
              <option value="">All contracts</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <select value={event} onChange={(e) => go(contract, e.target.value)} data-testid="events-event" aria-label="event">
              <option value="">All events</option>
              {eventNames.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
        }
      >
        {page.error && <ErrorNote error={page.error} />}
        {!page.data && !page.error && <Loading what="events" />}
        {page.data && items.length === 0 && <Empty>No events{contract || event ? ' match this filter' : ' yet'}.</Empty>}
        {items.length > 0 && <EventList events={items} fresh={fresh} />}
        <div className="pager">
          <button disabled={onNewest} onClick={() => setStack([])} data-testid="events-newest">
            ⇤ Newest
          </button>
          <button disabled={onNewest} onClick={() => setStack(stack.slice(0, -1))} data-testid="events-newer">
            ← Newer
          </button>
          <button disabled={!page.data || page.data.items.length < PAGE || oldest === undefined} onClick={() => oldest !== undefined && setStack([...stack, oldest])} data-testid="events-older">
            Older →
          </button>
        </div>
      </Card>
    </div>
  );
}
