// One lab run: its headline metrics, every metric's distribution across seeds, the four charts of
// the run's report (or a sweep's chart and points), and the raw series as CSV downloads.
import { ApiError, simApi, type SimChartName, type SimRunDetail } from '../api.ts';
import { Badge, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { amount, pct, RunChart, usePolling } from '../components/LabParts.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { href } from '../router.ts';

const RUN_CHARTS: SimChartName[] = ['price', 'liquidations', 'pnl', 'breaker'];
const FILE_TITLES: Record<string, string> = {
  series: 'series.csv (first seed, one row a step)',
  events: 'events.csv',
  pnl: 'pnl.csv (PnL by strategy)',
  agents: 'agents.csv (one row an agent)',
  runs: 'runs.csv (metrics, one row a seed)',
  sweep: 'sweep.csv (one row a point)',
};

/** Metrics that are fractions of the price, shown as percentages. */
const FRACTIONS = new Set(['maxDrawdown', 'crashDepth', 'maxMispricing', 'realizedVol']);
const METRIC_LABELS: Record<string, string> = {
  crashDepth: 'Crash depth',
  maxMispricing: 'Max mispricing',
  crashDuration: 'Crash duration (steps)',
  timeToRecover: 'Time to recover (steps)',
  maxDrawdown: 'Max drawdown',
  liquidationVolume: 'Liquidation volume',
  liquidationCount: 'Liquidations',
  cascadeDepth: 'Cascade depth',
  badDebt: 'Bad debt',
  underwaterDebt: 'Underwater debt',
  realizedVol: 'Realized volatility',
  breakerTrips: 'Breaker trips',
  pausedSteps: 'Paused steps',
  minPrice: 'Min price',
  finalPrice: 'Final price',
};

type Dist = { mean?: unknown; p50?: unknown; p95?: unknown; min?: unknown; max?: unknown };
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** The result in a stored summary: the summary itself, or its `result` where a writer nests it. */
const resultOf = (summary: unknown): Record<string, unknown> => (isObj(summary) ? (isObj(summary.result) ? summary.result : summary) : {});
const show = (key: string, v: unknown) => (FRACTIONS.has(key) ? pct(n(v)) : amount(n(v)));

export function LabRun({ runId }: { runId: string }) {
  const run = useResource((s) => simApi.run(runId, s), [runId]);
  // A run is written once; until its summary lands the node answers 404, so keep looking.
  usePolling(run.reload, run.data ? 30_000 : 3000);
  const r = run.data;
  if (run.error instanceof ApiError && run.error.status === 404 && !r) {
    return (
      <div className="page" data-testid="lab-run-page" data-missing="true">
        <h1>Run not found</h1>
        <Empty>
          This node has no run “{runId}” (yet). <a href={href('/lab')}>Back to the lab</a>
        </Empty>
      </div>
    );
  }
  return (
    <div className="page" data-testid="lab-run-page" data-run-id={runId} data-kind={r?.kind} data-crash-depth={r?.metrics.crashDepth ?? ''} data-var95={r?.metrics.badDebtVaR95 ?? ''}>
      <nav className="crumbs">
        <a href={href('/lab')}>Lab</a> / {runId}
      </nav>
      <h1>
        {r ? r.scenario : runId} {r?.kind === 'sweep' && <Badge tone="info">sweep</Badge>}
      </h1>
      {run.error && <ErrorNote error={run.error} />}
      {!r && !run.error && <Loading what="the run" />}
      {r && (
        <>
          <Headline r={r} />
          {r.kind === 'run' ? <MetricsCard summary={r.summary} /> : <SweepCard summary={r.summary} />}
          <Card title="Charts" testId="lab-charts">
            {r.charts.length === 0 ? (
              <Empty>This run holds no chart.</Empty>
            ) : (
              <div className={`lab-charts${r.kind === 'sweep' ? ' single' : ''}`}>
                {(r.kind === 'sweep' ? (['sweep'] as SimChartName[]) : RUN_CHARTS)
                  .filter((c) => r.charts.includes(c))
                  .map((c) => (
                    <RunChart key={c} runId={r.id} name={c} />
                  ))}
              </div>
            )}
          </Card>
          <Card title="Raw data" testId="lab-files">
            <div className="lab-files">
              {r.files.map((f) => (
                <a key={f} href={simApi.fileUrl(r.id, f)} download={`${r.id}-${f}.csv`} data-testid="lab-file" data-file={f}>
                  {FILE_TITLES[f] ?? `${f}.csv`}
                </a>
              ))}
              <a href={`/v1/sim/runs/${encodeURIComponent(r.id)}`} data-testid="lab-file" data-file="summary">
                summary (JSON)
              </a>
            </div>
          </Card>
        </>
      )}
    </div>
  );
}

function Headline({ r }: { r: SimRunDetail }) {
  const now = useNow();
  const m = r.metrics;
  return (
    <div className="stats-grid" data-testid="lab-run-headline">
      <Stat label="Run" value={<span title={`${r.id}, ${dateTime(r.createdAt)}`}>{timeAgo(r.createdAt, now)}</span>} testId="lab-stat-when" />
      <Stat label={r.kind === 'sweep' ? 'Seeds per point' : 'Seeds'} value={r.seeds} testId="lab-stat-seeds" />
      <Stat label="Agents × steps" value={r.agents !== null && r.steps !== null ? `${amount(r.agents)} × ${amount(r.steps)}` : '—'} testId="lab-stat-size" />
      <Stat label={r.kind === 'sweep' ? 'Crash depth (worst point)' : 'Crash depth (mean)'} value={pct(m.crashDepth)} testId="lab-stat-crash" hint="largest shortfall of the pool price below the fundamental feed" />
      <Stat label={r.kind === 'sweep' ? 'Max mispricing (worst point)' : 'Max mispricing (mean)'} value={pct(m.maxMispricing)} testId="lab-stat-mispricing" hint="largest gap between the pool price and the feed, either way" />
      <Stat label={r.kind === 'sweep' ? 'Bad debt VaR95 (worst point)' : 'Bad debt VaR95'} value={amount(m.badDebtVaR95)} testId="lab-stat-var95" hint="95th percentile of bad debt across seeds" />
      <Stat label={r.kind === 'sweep' ? 'Underwater debt (worst point)' : 'Underwater debt (mean)'} value={amount(m.underwaterDebt)} testId="lab-stat-underwater" hint="peak debt above its collateral valued at the feed: bad debt a stale oracle hides" />
      <Stat label={r.kind === 'sweep' ? 'Breaker trips (most)' : 'Breaker trips (mean)'} value={amount(m.breakerTrips, 1)} testId="lab-stat-breaker" />
      {r.kind === 'run' && <Stat label="Liquidation volume (mean)" value={amount(m.liquidationVolume)} testId="lab-stat-liquidations" />}
      {r.sweep && (
        <Stat label="Swept" value={`${r.sweep.xParam} × ${r.sweep.xValues.length}`} testId="lab-stat-sweep" hint={r.sweep.seriesParam ? `by ${r.sweep.seriesParam}: ${r.sweep.seriesLabels.join(', ')}` : undefined} />
      )}
    </div>
  );
}

/** Every metric's distribution across the run's seeds. */
function MetricsCard({ summary }: { summary: unknown }) {
  const result = resultOf(summary);
  const dists = isObj(result.summary) ? (result.summary as Record<string, Dist>) : {};
  const keys = Object.keys(dists).filter((k) => isObj(dists[k]));
  return (
    <Card title="Metrics across seeds" testId="lab-metrics">
      {keys.length === 0 ? (
        <Empty>No metrics in this run's summary.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Metric</th>
              <th className="num">Mean</th>
              <th className="num">p50</th>
              <th className="num">p95</th>
              <th className="num">Min</th>
              <th className="num">Max</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const d = dists[k]!;
              return (
                <tr key={k} data-testid="lab-metric" data-metric={k} data-mean={n(d.mean) ?? ''}>
                  <td>{METRIC_LABELS[k] ?? k}</td>
                  <td className="num">{show(k, d.mean)}</td>
                  <td className="num">{show(k, d.p50)}</td>
                  <td className="num">{show(k, d.p95)}</td>
                  <td className="num">{show(k, d.min)}</td>
                  <td className="num">{show(k, d.max)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** A sweep's points: crash depth, bad debt, mispricing, VaR95, underwater debt and breaker trips at each value of the swept parameter. */
function SweepCard({ summary }: { summary: unknown }) {
  const result = resultOf(summary);
  const points = Array.isArray(result.points) ? result.points.filter(isObj) : [];
  const xParam = typeof result.xParam === 'string' ? result.xParam : 'x';
  const mean = (p: Record<string, unknown>, k: string) => (isObj(p.summary) && isObj(p.summary[k]) ? p.summary[k].mean : undefined);
  return (
    <Card title="Sweep points" testId="lab-sweep-points">
      {points.length === 0 ? (
        <Empty>No points in this sweep.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Series</th>
              <th className="num">{xParam}</th>
              <th className="num">Crash depth (mean)</th>
              <th className="num">Bad debt (mean)</th>
              <th className="num">Mispricing (mean)</th>
              <th className="num">Bad debt VaR95</th>
              <th className="num">Underwater debt (mean)</th>
              <th className="num">Breaker trips (mean)</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i} data-testid="lab-sweep-point" data-x={n(p.x) ?? ''} data-series={typeof p.series === 'string' ? p.series : ''}>
                <td>{typeof p.series === 'string' && p.series ? p.series : '—'}</td>
                <td className="num">{amount(n(p.x))}</td>
                <td className="num">{pct(n(mean(p, 'crashDepth')))}</td>
                <td className="num">{amount(n(mean(p, 'badDebt')))}</td>
                <td className="num">{pct(n(mean(p, 'maxMispricing')))}</td>
                <td className="num">{amount(n(p.badDebtVaR95))}</td>
                <td className="num">{amount(n(mean(p, 'underwaterDebt')))}</td>
                <td className="num">{amount(n(mean(p, 'breakerTrips')), 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
