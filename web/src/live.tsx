// One EventSource on /v1/events/stream for the whole page. Views subscribe to the batches it delivers
// and decide for themselves whether a batch concerns what they show; the header shows the link state.
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { EventRecord } from './api.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline';
type Listener = (events: EventRecord[]) => void;

type LiveFeed = {
  status: LiveStatus;
  /** Counts (re)connections, so views can refetch what they may have missed while the link was down. */
  epoch: number;
  subscribe: (listener: Listener) => () => void;
};

const LiveContext = createContext<LiveFeed | null>(null);

export function LiveProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    // EventSource reconnects by itself and sends Last-Event-ID, so the node replays what we missed.
    const source = new EventSource('/v1/events/stream');
    source.onopen = () => {
      setStatus('live');
      setEpoch((n) => n + 1);
    };
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('events', (message) => {
      let batch: EventRecord[];
      try {
        batch = JSON.parse((message as MessageEvent<string>).data) as EventRecord[];
      } catch {
        return;
      }
      if (!Array.isArray(batch) || batch.length === 0) return;
      for (const l of listeners.current) l(batch);
    });
    return () => source.close();
  }, []);

  const [feed] = useState(() => ({
    subscribe: (l: Listener) => {
      listeners.current.add(l);
      return () => void listeners.current.delete(l);
    },
  }));
  return <LiveContext.Provider value={{ status, epoch, subscribe: feed.subscribe }}>{children}</LiveContext.Provider>;
}

function useFeed(): LiveFeed {
  const feed = useContext(LiveContext);
  if (!feed) throw new Error('useLive* outside <LiveProvider>');
  return feed;
}

export function useLiveStatus(): LiveStatus {
  return useFeed().status;
}

/**
 * Calls `reload` each time the stream (re)connects: whatever happened between a view's first fetch
 * and the stream opening, or while the link was down, is then picked up.
 */
export function useReloadOnConnect(reload: () => void): void {
  const { epoch } = useFeed();
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    if (epoch > 0) latest.current();
  }, [epoch]);
}

/** Calls `listener` with every batch of new events; the latest listener is used without resubscribing. */
export function useLiveEvents(listener: Listener): void {
  const { subscribe } = useFeed();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => subscribe((events) => latest.current(events)), [subscribe]);
}
