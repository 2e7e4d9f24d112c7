// The simulator's results: one run's series, events, PnL and metrics; Monte Carlo summaries over seeds; sweeps.
// The report (src/sim/report/) and the node service read these shapes.
import type { StrategyName } from '../agents/strategies/types.ts';

export type { StrategyName };

/**
 * One row per step. Columns: step, time, price, feed, twap, oracle, fee (ppm), paused (0/1), liquidations (count
 * in the step), liquidatedCollateral (token0 seized in the step), liquidationSales (token0 liquidators sold in the
 * step), badDebt (cumulative, token1), utilization, borrowRate (annual), volume (token1 value swapped in the step),
 * trades (swaps in the step), liquidity (sqrt(reserve0 * reserve1), whole tokens), underwaterDebt (token1: the sum
 * over borrowers of max(0, debt - collateral x feed), debt a stale oracle hides), offPoolFlow (token1 value of the
 * token0 arbitrageurs bought on the external venue in the step, negative = sold), whaleLeft (token1 value at the
 * pool price of the whale orders still unfilled after the step's attempt).
 */
export type SeriesTable = { columns: string[]; data: Record<string, Float64Array> };

export type SimEvent = { step: number; kind: 'breaker' | 'liquidation' | 'bad-debt' | 'shock'; detail: Record<string, number | string> };

export type AgentPnl = { id: number; strategy: StrategyName; herd: boolean; startValue: number; endValue: number; pnl: number };

/** See src/sim/metrics.ts for each definition. */
export type RunMetrics = {
  maxDrawdown: number;
  crashDepth: number;
  /** max over steps of |1 - price/feed|: mispricing either way (a pool frozen above the feed counts). */
  maxMispricing: number;
  /** peak over steps of the series' underwaterDebt (token1). */
  underwaterDebt: number;
  crashDuration: number;
  timeToRecover: number;
  liquidationVolume: number;
  liquidationCount: number;
  cascadeDepth: number;
  badDebt: number;
  realizedVol: number;
  breakerTrips: number;
  pausedSteps: number;
  minPrice: number;
  finalPrice: number;
};

export type SimRun = {
  scenario: string;
  seed: number;
  steps: number;
  agents: number;
  decisions: number;
  wallMs: number;
  series: SeriesTable;
  /** step + one column per strategy present (summed PnL of its agents, token1), sampled. */
  pnlSeries: SeriesTable;
  events: SimEvent[];
  pnl: AgentPnl[];
  metrics: RunMetrics;
};

export type MetricSummary = { mean: number; p50: number; p95: number; min: number; max: number };

export type MonteCarloResult = {
  scenario: string;
  seeds: number[];
  runs: (RunMetrics & { seed: number })[];
  summary: Record<keyof RunMetrics, MetricSummary>;
  badDebtVaR95: number;
  first: SimRun /* kept whole for charts */;
};

export type SweepPoint = { x: number; series: string; summary: Record<keyof RunMetrics, MetricSummary>; badDebtVaR95: number };

export type SweepResult = {
  scenario: string;
  xParam: string;
  xValues: number[];
  seriesParam: string | null;
  seriesLabels: string[];
  points: SweepPoint[];
};

export type Progress = (done: number, total: number) => void;

export const METRIC_KEYS: readonly (keyof RunMetrics)[] = [
  'maxDrawdown', 'crashDepth', 'maxMispricing', 'underwaterDebt', 'crashDuration', 'timeToRecover', 'liquidationVolume', 'liquidationCount',
  'cascadeDepth', 'badDebt', 'realizedVol', 'breakerTrips', 'pausedSteps', 'minPrice', 'finalPrice',
];
