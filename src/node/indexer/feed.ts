// The live side of the events table: listeners get each batch's events right after it commits.
import type { EventFeed, EventRecord } from '../service/types.ts';

export type LocalEventFeed = EventFeed & {
  /** Called by the indexer after a commit; listeners never see uncommitted events. */
  publish(events: EventRecord[]): void;
};

/**
 * An in-process EventFeed. A throwing listener is dropped from that delivery, not from the feed.
 * @example
 * const feed = createEventFeed()
 * const unsubscribe = feed.subscribe((events) => console.log(events.length))
 */
export function createEventFeed(): LocalEventFeed {
  const listeners = new Set<(events: EventRecord[]) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(events) {
      if (events.length === 0) return;
      for (const l of [...listeners]) {
        try {
          l(events);
        } catch {
          // A broken subscriber (a closed SSE socket) must not stop the indexer or other subscribers.
        }
      }
    },
  };
}
