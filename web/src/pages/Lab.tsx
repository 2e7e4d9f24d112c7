// The lab: recent simulator runs and sweeps (`machina sim run`) with their headline metrics: crash
// depth, mispricing, bad debt at the 95th percentile across seeds, underwater debt, circuit-breaker trips.
// New runs appear by polling.
import { simApi, type SimRunRow } from '../api.ts';
import { Badge, Card, Empty, ErrorNote, Loading } from '../components/common.tsx';
import { amount, pct, usePolling } from '../components/LabParts.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { href } from '../router.ts';

const LIMIT = 50;

export function Lab() {
  const runs = useResource((s) => simApi.runs({ limit: LIMIT }, s), []);
  usePolling(runs.reload);
  const now = useNow();
  const list = runs.data?.runs;
  return (
    <div className="page" data-testid="lab-page">
      <h1>Lab</h1>
      <p className="muted">
        Runs of the market simulator: agent populations (momentum, mean reversion, ML, herd agents sharing one model, market makers, arbitrageurs, liquidators) on the adaptive pool and lending market,
        Monte Carlo over seeds. Start one with <code>machina sim run SCENARIO</code>.
      </p>
      <Card
        title="Recent runs"
        actions={
          <button type="button" className="lab-refresh" onClick={runs.reload} data-testid="lab-refresh">
            Refresh
          </button>
        }
        testId="lab-runs"
      >
        {runs.error && <ErrorNote error={runs.error} />}
        {!list && !runs.error && <Loading what="runs" />}
        {list && list.length === 0 && <Empty>No run yet on this node. `machina sim run scenarios/herd.json` writes one here.</Empty>}
        {list && list.length > 0 && <RunsTable runs={list} now={now} />}
      </Card>
    </div>
  );
}

function RunsTable({ runs, now }: { runs: SimRunRow[]; now: number }) {
  return (
    <table className="table" data-testid="lab-runs-table">
      <thead>
        <tr>
          <th>Scenario</th>
          <th>When</th>
          <th className="num">Seeds</th>
          <th className="num" title="mean across seeds: largest shortfall of the pool price below the fundamental feed">
            Crash depth
          </th>
          <th className="num" title="mean across seeds: largest gap between the pool price and the feed, either way">
            Mispricing
          </th>
          <th className="num" title="95th percentile of bad debt across runs">
            Bad debt VaR95
          </th>
          <th className="num" title="mean across seeds: peak debt above its collateral valued at the feed (bad debt a stale oracle hides)">
            Underwater debt
          </th>
          <th className="num" title="mean circuit-breaker trips per run">
            Breaker trips
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr
            key={r.id}
            className="clickable"
            data-testid="lab-run-row"
            data-run-id={r.id}
            data-kind={r.kind}
            data-scenario={r.scenario}
            data-crash-depth={r.metrics.crashDepth ?? ''}
            data-var95={r.metrics.badDebtVaR95 ?? ''}
            data-mispricing={r.metrics.maxMispricing ?? ''}
            data-underwater={r.metrics.underwaterDebt ?? ''}
            data-breaker-trips={r.metrics.breakerTrips ?? ''}
            onClick={() => (location.hash = href(`/lab/runs/${r.id}`))}
          >
            <td>
              <a href={href(`/lab/runs/${r.id}`)} onClick={(e) => e.stopPropagation()} data-testid="lab-run-link">
                {r.scenario}
              </a>{' '}
              {r.kind === 'sweep' && <Badge tone="info">sweep</Badge>}
              <div className="sub lab-id">
                {r.id}
                {r.sweep && ` · ${r.sweep.xParam} × ${r.sweep.xValues.length}${r.sweep.seriesParam ? ` by ${r.sweep.seriesParam}` : ''}, worst point shown`}
              </div>
            </td>
            <td className="when" title={dateTime(r.createdAt)}>
              {timeAgo(r.createdAt, now)}
            </td>
            <td className="num" data-testid="lab-run-seeds">
              {r.seeds}
            </td>
            <td className="num" data-testid="lab-run-crash">
              {pct(r.metrics.crashDepth)}
            </td>
            <td className="num" data-testid="lab-run-mispricing">
              {pct(r.metrics.maxMispricing)}
            </td>
            <td className="num" data-testid="lab-run-var95">
              {amount(r.metrics.badDebtVaR95)}
            </td>
            <td className="num" data-testid="lab-run-underwater">
              {amount(r.metrics.underwaterDebt)}
            </td>
            <td className="num" data-testid="lab-run-breaker">
              {amount(r.metrics.breakerTrips, 1)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
