// Lab pieces: metric formatting, the polling hook for the run store (runs are files, not chain events),
// and a run's chart as the node serves it (the SVG the CLI's report embeds, shown as an image: inert).
import { useEffect } from 'react';
import { simApi, type SimChartName } from '../api.ts';
import { useReloadOnConnect } from '../live.tsx';
import './LabParts.css';

/** How often the lab pages look for new runs. */
export const LAB_POLL_MS = 4000;

/** Reloads every `ms` while the page is visible, and when the live link (re)connects. */
export function usePolling(reload: () => void, ms = LAB_POLL_MS): void {
  useReloadOnConnect(reload);
  useEffect(() => {
    const t = setInterval(() => document.visibilityState === 'visible' && reload(), ms);
    return () => clearInterval(t);
  }, [reload, ms]);
}

/** A fraction as a percentage with one decimal ("31.4%"); — for none. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}

/** A token amount or count on screen, compact for large values; — for none. */
export function amount(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined) return '—';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);
}

export const CHART_TITLES: Record<SimChartName, string> = {
  price: 'Price path (pool, TWAP, external feed)',
  liquidations: 'Liquidations and bad debt',
  pnl: 'Agent PnL by strategy',
  breaker: 'Circuit breaker and dynamic fee',
  sweep: 'Sweep: crash depth, bad debt and underwater debt across the parameter',
};

export function RunChart({ runId, name }: { runId: string; name: SimChartName }) {
  return (
    <figure className="lab-chart" data-testid="lab-chart" data-chart={name}>
      <figcaption>{CHART_TITLES[name]}</figcaption>
      <img src={simApi.chartUrl(runId, name)} alt={CHART_TITLES[name]} loading="lazy" data-testid={`lab-chart-${name}`} />
    </figure>
  );
}
