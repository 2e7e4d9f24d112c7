// The lab's metrics as every report shows them (the CLI summary, the HTML reports): label, meaning and whether
// the value is a fraction (shown as a percentage). Definitions in src/sim/metrics.ts. Also the order sweep points
// are listed in.
import type { MetricSummary, RunMetrics, SweepPoint, SweepResult } from '../types.ts';

export type MetricKey = keyof RunMetrics;

/**
 * A summary that may lack some metrics: one kept before a metric existed (maxMispricing and underwaterDebt are
 * newer than the first runs) reads as "not there", never as an error.
 */
export type MetricSummaries = Partial<Record<MetricKey, MetricSummary>>;

export type MetricInfo = { key: MetricKey; label: string; unit: string; pct?: boolean };

/** Every metric a report shows, in order. */
export const METRICS: readonly MetricInfo[] = [
  { key: 'crashDepth', label: 'crash depth', unit: 'largest shortfall of the pool price below the fundamental feed, fraction', pct: true },
  { key: 'crashDuration', label: 'crash duration', unit: 'longest run of steps more than 2% below the feed' },
  { key: 'timeToRecover', label: 'time to recover', unit: 'steps from the deepest shortfall back to within 2% of the feed' },
  { key: 'maxMispricing', label: 'max mispricing', unit: 'largest gap between the pool price and the feed, either way: max |1 − price/feed|, fraction', pct: true },
  { key: 'maxDrawdown', label: 'max drawdown', unit: 'largest fall from a running peak, fraction', pct: true },
  { key: 'minPrice', label: 'minimum price', unit: 'token1 per token0' },
  { key: 'finalPrice', label: 'final price', unit: 'token1 per token0' },
  { key: 'realizedVol', label: 'realized volatility', unit: 'annualised std. dev. of step log returns' },
  { key: 'liquidationVolume', label: 'liquidation volume', unit: 'debt repaid by liquidators, token1' },
  { key: 'liquidationCount', label: 'liquidations', unit: 'count' },
  { key: 'cascadeDepth', label: 'cascade depth', unit: 'waves in the longest liquidation chain' },
  { key: 'badDebt', label: 'bad debt', unit: 'debt written off with no collateral left, token1' },
  { key: 'underwaterDebt', label: 'underwater debt', unit: 'peak debt above its collateral valued at the feed: bad debt a stale oracle hides, token1' },
  { key: 'breakerTrips', label: 'breaker trips', unit: 'swaps the circuit breaker stopped' },
  { key: 'pausedSteps', label: 'paused steps', unit: 'steps that ended with swaps paused' },
];

/** The metric's summary in `summary`, or undefined when that summary has none (an older run). */
export function summaryOf(summary: MetricSummaries, key: MetricKey): MetricSummary | undefined {
  return summary[key];
}

/** A sweep's points by series (in label order), then by x. */
export function sortedPoints(sweep: SweepResult): SweepPoint[] {
  return [...sweep.points].sort((a, b) => sweep.seriesLabels.indexOf(a.series) - sweep.seriesLabels.indexOf(b.series) || a.x - b.x);
}
