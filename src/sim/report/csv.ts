// A run's raw series as CSV (RFC 4180: comma separated, CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled), so a spreadsheet or pandas gets exactly what the charts were drawn from. Numbers are
// written with JavaScript's shortest round-trip form, so reading them back gives the same doubles. Text that a
// spreadsheet would run as a formula is neutralised (see csvField).
import type { AgentPnl, RunMetrics, SeriesTable, SimEvent, SweepResult } from '../types.ts';
import { sortedPoints } from './labels.ts';

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One field, quoted when it must be. A text field a spreadsheet would read as a formula (starting with = + - @,
 * or a tab or carriage return before one) gets a leading apostrophe so it stays text; numbers are written as is.
 * @example
 * csvField('=HYPERLINK("x")') // '"\'=HYPERLINK(""x"")"'
 */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? formatNumber(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Doubles as their shortest exact form; -0 as 0 and non-finite values by name (NaN, Infinity). */
function formatNumber(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

/**
 * Rows as an RFC 4180 document with a header line.
 * @example
 * toCsv(['a', 'b'], [[1, 'x,y']]) // 'a,b\r\n1,"x,y"\r\n'
 */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * An RFC 4180 document as rows of strings (the header is the first row). Accepts LF line ends too.
 * @example
 * parseCsv('a,b\r\n1,"x,y"\r\n') // [['a', 'b'], ['1', 'x,y']]
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A series table (one row per step) as CSV, columns in the table's order. */
export function seriesCsv(t: SeriesTable): string {
  const cols = t.columns.filter((c) => t.data[c] !== undefined);
  const arrays = cols.map((c) => t.data[c]!);
  const n = Math.min(...arrays.map((a) => a.length));
  function* rows() {
    for (let i = 0; i < n; i++) yield arrays.map((a) => a[i]!);
  }
  return toCsv(cols, rows());
}

/** A series table back from its CSV: the inverse of seriesCsv. */
export function parseSeriesCsv(text: string): SeriesTable {
  const [header = [], ...rows] = parseCsv(text);
  const data: Record<string, Float64Array> = {};
  for (const [j, name] of header.entries()) data[name] = Float64Array.from(rows, (r) => Number(r[j]));
  return { columns: header, data };
}

/**
 * Events as CSV: step, kind, then one column per detail key (the union over all events, sorted); a detail key that
 * would repeat a column's name (a shock's own `kind`) is written as `detail.<key>`.
 */
export function eventsCsv(events: readonly SimEvent[]): string {
  const keys = [...new Set(events.flatMap((e) => Object.keys(e.detail)))].sort();
  const header = keys.map((k) => (k === 'step' || k === 'kind' ? `detail.${k}` : k));
  return toCsv(['step', 'kind', ...header], events.map((e) => [e.step, e.kind, ...keys.map((k) => e.detail[k])]));
}

/** Each agent's start and end value and PnL. */
export function agentsCsv(pnl: readonly AgentPnl[]): string {
  return toCsv(['id', 'strategy', 'herd', 'startValue', 'endValue', 'pnl'], pnl.map((a) => [a.id, a.strategy, a.herd, a.startValue, a.endValue, a.pnl]));
}

/** Every seed's metrics of a Monte Carlo run, one row a seed. */
export function runsCsv(runs: readonly (RunMetrics & { seed: number })[]): string {
  const keys = runs.length > 0 ? (Object.keys(runs[0]!).filter((k) => k !== 'seed') as (keyof RunMetrics)[]) : [];
  return toCsv(['seed', ...keys], runs.map((r) => [r.seed, ...keys.map((k) => r[k])]));
}

/** A sweep as CSV: one row per (series, x) point and metric summary columns (`crashDepth_mean`, `crashDepth_p95`, …). */
export function sweepCsv(sweep: SweepResult): string {
  const first = sweep.points[0];
  const metrics = first ? (Object.keys(first.summary) as (keyof RunMetrics)[]) : [];
  const stats = ['mean', 'p50', 'p95', 'min', 'max'] as const;
  const header = [sweep.seriesParam ?? 'series', sweep.xParam, ...metrics.flatMap((m) => stats.map((s) => `${m}_${s}`)), 'badDebtVaR95'];
  const points = sortedPoints(sweep);
  return toCsv(header, points.map((p) => [p.series, p.x, ...metrics.flatMap((m) => stats.map((s) => p.summary[m][s])), p.badDebtVaR95]));
}
