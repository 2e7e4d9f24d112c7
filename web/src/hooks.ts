// Data loading for views: fetch on mount and when inputs change, keep showing the last data while a
// refetch runs (live updates must not flicker), and refetch on demand at most a few times a second.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventRecord } from './api.ts';
import { useLiveEvents, useReloadOnConnect } from './live.tsx';

export type Resource<T> = {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Refetch now-ish: calls within `throttleMs` of each other collapse into one trailing fetch. */
  reload: () => void;
};

export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  { throttleMs = 400, keepPrevious = false }: { throttleMs?: number; keepPrevious?: boolean } = {},
): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [version, setVersion] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctrl.signal).then(
      (data) => !ctrl.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !ctrl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);

  // Different inputs mean different data: drop the old so a page never shows agent 3 under agent 4's
  // id. A list being narrowed by a search box may keep showing the old rows until the new ones land.
  const key = JSON.stringify(deps);
  const lastKey = useRef(key);
  if (lastKey.current !== key) {
    lastKey.current = key;
    if (!keepPrevious && (state.data !== undefined || state.error)) setState({ loading: true });
  }

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastRun = useRef(0);
  const reload = useCallback(() => {
    if (timer.current) return;
    const wait = Math.max(0, lastRun.current + throttleMs - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      lastRun.current = Date.now();
      setVersion((v) => v + 1);
    }, wait);
  }, [throttleMs]);
  useEffect(() => () => clearTimeout(timer.current), []);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Which live events concern a view: events of these contracts, or those the predicate accepts. */
export type LiveMatch = readonly string[] | ((e: EventRecord) => boolean);

/**
 * A resource that follows the chain: loaded like `useResource`, then reloaded (throttled) whenever a
 * batch from the live feed holds an event `live` matches, and whenever the feed (re)connects, so
 * whatever happened while the link was down is picked up too.
 * @example
 * const datasets = useLiveResource((s) => provenanceApi.datasets({ name }, s), [name], ['ProvenanceRegistry'], { keepPrevious: true })
 */
export function useLiveResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  live: LiveMatch,
  options: { throttleMs?: number; keepPrevious?: boolean } = {},
): Resource<T> {
  const resource = useResource(load, deps, options);
  useLiveEvents((batch) => {
    if (batch.some(typeof live === 'function' ? live : (e) => live.includes(e.contract))) resource.reload();
  });
  useReloadOnConnect(resource.reload);
  return resource;
}

/** Current time, re-read every `ms`, for "12 s ago" labels. */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** A value that follows `value` after it has stopped changing for `ms` (search boxes). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
