// A small read-through cache for hot single-record reads (GET /v1/agents/{id}): emptied whenever
// the index commits new events, entries expire after a short TTL (changes made outside event
// batches, such as a registration file resolved later), and concurrent misses share one query.
import type { EventFeed } from '../service/types.ts';

export type RecordCache<K, V> = {
  get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined>;
  clear(): void;
  close(): void;
  readonly size: number;
};

export type RecordCacheParameters = { feed: EventFeed; max?: number; ttlMs?: number };

/**
 * A cache of at most `max` records, cleared by every batch the feed publishes.
 * @example
 * const agents = createRecordCache<bigint, AgentRecord>({ feed })
 * const agent = await agents.get(7n, () => queries.getAgent(7n))
 */
export function createRecordCache<K, V>({ feed, max = 10_000, ttlMs = 1_000 }: RecordCacheParameters): RecordCache<K, V> {
  const entries = new Map<K, { value: V; expires: number }>();
  const loading = new Map<K, Promise<V | undefined>>();
  // Bumped on every clear: a load that started before new events committed must not store its
  // (possibly older) answer after them.
  let generation = 0;
  const clear = () => {
    generation++;
    entries.clear();
    loading.clear();
  };
  const unsubscribe = feed.subscribe(clear);

  return {
    async get(key, load) {
      const hit = entries.get(key);
      if (hit && hit.expires > Date.now()) return hit.value;
      if (hit) entries.delete(key);
      const pending = loading.get(key);
      if (pending) return pending;
      const started = generation;
      const p = load().then(
        (value) => {
          if (loading.get(key) === p) loading.delete(key);
          // Unknown keys are not cached: a new agent must show up as soon as it is indexed.
          if (value !== undefined && started === generation) {
            if (entries.size >= max) entries.delete(entries.keys().next().value as K);
            entries.set(key, { value, expires: Date.now() + ttlMs });
          }
          return value;
        },
        (err: unknown) => {
          if (loading.get(key) === p) loading.delete(key);
          throw err;
        },
      );
      loading.set(key, p);
      return p;
    },
    clear,
    close: unsubscribe,
    get size() {
      return entries.size;
    },
  };
}
