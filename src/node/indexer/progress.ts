// The catch-up progress line the node prints while it indexes history.
export type IndexerProgress = {
  /** Blocks of the batch just committed. */
  fromBlock: number;
  toBlock: number;
  headBlock: number;
  /** Share of the blocks between where this run started and the head that are indexed (0-100). */
  percent: number;
  /** Events indexed by this run. */
  events: number;
  eventsPerSecond: number;
  /** True once the index has reached the head. */
  caughtUp: boolean;
};

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * `indexing blocks 1200-1900 of 5000 (38%), 12,345 events, 21,000 ev/s`
 * @example
 * onProgress: (p) => console.log(formatProgress(p))
 */
export function formatProgress(p: IndexerProgress): string {
  if (p.caughtUp) return `indexed up to block ${p.toBlock} (head ${p.headBlock}), ${n(p.events)} events, ${n(p.eventsPerSecond)} ev/s`;
  return `indexing blocks ${p.fromBlock}-${p.toBlock} of ${p.headBlock} (${Math.floor(p.percent)}%), ${n(p.events)} events, ${n(p.eventsPerSecond)} ev/s`;
}
