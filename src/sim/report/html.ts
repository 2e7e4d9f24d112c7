// Self-contained HTML reports of a Monte Carlo run and of a sweep: inline SVG and CSS, nothing loaded from
// elsewhere, so the file opens offline, from a CI artifact or from the dashboard as is.
import type { MonteCarloResult, SimEvent, SweepPoint, SweepResult } from '../types.ts';
import { escapeXml as esc, type RunCharts } from './charts.ts';
import { METRICS, sortedPoints, summaryOf, type MetricKey, type MetricSummaries } from './labels.ts';

/** A number for a table cell: integers with separators, others to four significant digits. */
export function formatValue(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return n.toLocaleString('en-US');
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) return n.toExponential(3);
  return Number(n.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 8 });
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;margin:0;background:#f6f8fa}
main{max-width:860px;margin:0 auto;padding:24px 16px 48px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#f6f8fa;font-weight:600}
td.note{color:#57606a;text-align:left;font-size:12px}
figure{margin:16px 0}figure svg{max-width:100%;height:auto;display:block}
.files a{margin-right:12px}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

function tableHtml(header: string[], rows: string[][], caption?: string): string {
  return `<table>${caption ? `<caption class="meta">${esc(caption)}</caption>` : ''}<thead><tr>${header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const td = (s: string, cls?: string) => `<td${cls ? ` class="${cls}"` : ''}>${esc(s)}</td>`;

/** Metric rows of a summary: mean, median, 95th percentile, minimum, maximum, and what the metric means. */
function summaryRows(summary: MetricSummaries): string[][] {
  return METRICS.flatMap((m) => {
    const s = summaryOf(summary, m.key);
    if (!s) return [];
    return [[td(m.label), td(formatValue(s.mean)), td(formatValue(s.p50)), td(formatValue(s.p95)), td(formatValue(s.min)), td(formatValue(s.max)), td(m.unit, 'note')]];
  });
}

function eventDetail(e: SimEvent): string {
  return Object.entries(e.detail)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatValue(v) : v}`)
    .join(', ');
}

function links(files: readonly string[]): string {
  return `<p class="files">${files.map((f) => `<a href="${esc(encodeURI(f))}">${esc(f)}</a>`).join('')}</p>`;
}

export type RunReportInput = {
  /** The Monte Carlo result; `first` is the run the charts show. */
  result: MonteCarloResult;
  charts: RunCharts;
  createdAt: string;
  id?: string;
  /** Files beside report.html to link to (CSV, JSON). */
  files?: readonly string[];
  /** How many events the table shows (the CSV has them all). */
  maxEvents?: number;
  /** The scenario's own description, shown under the title. */
  description?: string;
};

/**
 * The HTML report of a Monte Carlo run: metric summary across seeds, the first seed's four charts, its events.
 * @example
 * writeFileSync('report.html', runReportHtml({ result, charts: runCharts(result.first), createdAt: new Date().toISOString() }))
 */
export function runReportHtml({ result, charts, createdAt, id, files = [], maxEvents = 200, description }: RunReportInput): string {
  const first = result.first;
  const title = `Simulation report: ${result.scenario}`;
  const events = first.events.slice(0, maxEvents);
  const body = [
    `<h1>${esc(title)}</h1>`,
    description ? `<p>${esc(description)}</p>` : '',
    `<p class="meta">${esc(`${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'} × ${formatValue(first.steps)} steps × ${formatValue(first.agents)} agents · ${createdAt}${id ? ` · run ${id}` : ''}`)}</p>`,
    '<h2>Summary across seeds</h2>',
    tableHtml(
      ['metric', 'mean', 'median', 'p95', 'min', 'max', 'meaning'],
      [...summaryRows(result.summary), [td('bad debt, value at risk 95%'), td(formatValue(result.badDebtVaR95)), td(''), td(''), td(''), td(''), td('95th percentile of bad debt across seeds, token1', 'note')]],
    ),
    `<h2>Seed ${esc(String(first.seed))}</h2>`,
    `<p class="meta">${esc(`${formatValue(first.decisions)} agent decisions in ${formatValue(first.wallMs)} ms`)}</p>`,
    ...(['price', 'liquidations', 'pnl', 'breaker'] as const).map((k) => `<figure>${charts[k]}</figure>`),
    `<h2>Events</h2>`,
    `<p class="meta">${esc(first.events.length > events.length ? `The first ${events.length} of ${first.events.length} events (all in events.csv).` : `${first.events.length} events.`)}</p>`,
    events.length > 0 ? tableHtml(['step', 'kind', 'detail'], events.map((e) => [td(String(e.step)), td(e.kind), td(eventDetail(e), 'note')])) : '',
    files.length > 0 ? `<h2>Raw data</h2>${links(files)}` : '',
  ];
  return page(title, body.join('\n'));
}

export type SweepReportInput = {
  sweep: SweepResult;
  svg: string;
  createdAt: string;
  id?: string;
  files?: readonly string[];
  /** The scenario's own description, shown under the title. */
  description?: string;
  /** Seeds per point. */
  seeds?: number;
};

const percent = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : String(n));

/**
 * The HTML report of a sweep: its chart and, per series and x, the crash, mispricing and debt figures.
 * @example
 * writeFileSync('report.html', sweepReportHtml({ sweep, svg: sweepChart(sweep), createdAt: new Date().toISOString() }))
 */
export function sweepReportHtml({ sweep, svg, createdAt, id, files = [], description, seeds }: SweepReportInput): string {
  const title = `Parameter sweep: ${sweep.scenario}`;
  const points = sortedPoints(sweep);
  const mean = (p: SweepPoint, k: MetricKey) => summaryOf(p.summary, k)?.mean ?? NaN;
  const body = [
    `<h1>${esc(title)}</h1>`,
    description ? `<p>${esc(description)}</p>` : '',
    `<p class="meta">${esc(`${sweep.xParam} = ${sweep.xValues.join(', ')}${sweep.seriesParam ? ` · series by ${sweep.seriesParam}: ${sweep.seriesLabels.join(', ')}` : ''}${seeds ? ` · ${seeds} seed${seeds === 1 ? '' : 's'} a point` : ''} · ${createdAt}${id ? ` · run ${id}` : ''}`)}</p>`,
    `<figure>${svg}</figure>`,
    '<h2>Points</h2>',
    tableHtml(
      [sweep.seriesParam ?? 'series', sweep.xParam, 'crash depth mean', 'crash depth p95', 'max mispricing mean', 'bad debt mean', 'bad debt VaR 95%', 'underwater debt mean', 'liquidations mean', 'breaker trips mean'],
      points.map((p) => [
        td(p.series || '-'),
        td(formatValue(p.x)),
        td(percent(mean(p, 'crashDepth'))),
        td(percent(summaryOf(p.summary, 'crashDepth')?.p95 ?? NaN)),
        td(percent(mean(p, 'maxMispricing'))),
        td(formatValue(mean(p, 'badDebt'))),
        td(formatValue(p.badDebtVaR95)),
        td(formatValue(mean(p, 'underwaterDebt'))),
        td(formatValue(mean(p, 'liquidationCount'))),
        td(formatValue(mean(p, 'breakerTrips'))),
      ]),
    ),
    files.length > 0 ? `<h2>Raw data</h2>${links(files)}` : '',
  ];
  return page(title, body.join('\n'));
}
