// The lab's run store as the node serves it: the runs and sweeps `machina sim run` keeps under
// <dataDir>/sim/runs/<id>/ (src/sim/report/store.ts), as list rows and details for the API, and the
// fixed set of chart and CSV files a run may hold.
import { listEntries, readRunFile, runEntry, type RunCache, type RunEntry } from '../../sim/report/store.ts';

/** Charts a run may hold (a run: charts/<name>.svg; a sweep: sweep.svg). */
export const SIM_CHARTS = ['price', 'liquidations', 'pnl', 'breaker', 'sweep'] as const;
export type SimChartName = (typeof SIM_CHARTS)[number];
/** CSV files a run may hold (<name>.csv). */
export const SIM_FILES = ['series', 'events', 'pnl', 'agents', 'runs', 'sweep'] as const;
export type SimFileName = (typeof SIM_FILES)[number];

/** The metrics a list row carries besides badDebtVaR95 (see src/sim/metrics.ts for each definition). */
const ROW_METRICS = ['crashDepth', 'maxMispricing', 'badDebt', 'underwaterDebt', 'breakerTrips', 'maxDrawdown', 'liquidationVolume', 'timeToRecover'] as const;

/**
 * Headline metrics: a run's means across seeds (VaR95: 95th percentile across seeds); a sweep's worst point.
 * Null where the summary lacks the metric (runs kept before it existed).
 */
export type SimRunMetrics = Record<(typeof ROW_METRICS)[number] | 'badDebtVaR95', number | null>;

/** One line of the runs list. */
export type SimRunRow = {
  id: string;
  kind: 'run' | 'sweep';
  scenario: string;
  /** Unix seconds. */
  createdAt: number;
  /** Seeds (a sweep: per point). */
  seeds: number;
  steps: number | null;
  agents: number | null;
  metrics: SimRunMetrics;
  /** A sweep's axes; null for a run. */
  sweep: { xParam: string; xValues: number[]; seriesParam: string | null; seriesLabels: string[]; points: number } | null;
};

/** A run with the charts and CSV files it holds, and its summary as written (summary.json or sweep.json). */
export type SimRunDetail = SimRunRow & { charts: SimChartName[]; files: SimFileName[]; summary: unknown };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** The result in a stored summary: the summary itself, or its `result` where a writer nests it. */
const resultOf = (s: unknown): Record<string, unknown> => (isObject(s) ? (isObject(s.result) ? s.result : s) : {});
const meanOf = (summary: unknown, key: string): number | null => (isObject(summary) && isObject(summary[key]) ? num(summary[key].mean) : null);

function rowOf({ info, summary }: RunEntry): SimRunRow {
  const t = Date.parse(info.createdAt);
  // Read without trusting the shape: a summary from an older or newer writer must not make the list fail.
  const r = resultOf(summary);
  const points = info.kind === 'sweep' && Array.isArray(r.points) ? r.points.filter(isObject) : [];
  // a run: the mean across seeds; a sweep: the worst (largest) mean of its points
  const metric = (k: string): number | null =>
    info.kind === 'run'
      ? meanOf(r.summary, k)
      : points.reduce<number | null>((m, p) => {
          const v = meanOf(p.summary, k);
          return v === null ? m : m === null ? v : Math.max(m, v);
        }, null);
  const metrics = Object.fromEntries(ROW_METRICS.map((k) => [k, metric(k)])) as SimRunMetrics;
  metrics.badDebtVaR95 = num(info.badDebtVaR95);
  const numbers = (v: unknown) => (Array.isArray(v) ? v.map(num).filter((n): n is number => n !== null) : []);
  return {
    id: info.id,
    kind: info.kind,
    scenario: info.scenario,
    createdAt: Number.isFinite(t) ? Math.floor(t / 1000) : 0,
    seeds: info.seeds,
    steps: num(info.steps),
    agents: num(info.agents),
    metrics,
    sweep:
      info.kind === 'sweep'
        ? {
            xParam: typeof r.xParam === 'string' ? r.xParam : 'x',
            xValues: numbers(r.xValues),
            seriesParam: typeof r.seriesParam === 'string' ? r.seriesParam : null,
            seriesLabels: Array.isArray(r.seriesLabels) ? r.seriesLabels.filter((l): l is string => typeof l === 'string') : [],
            points: points.length,
          }
        : null,
  };
}

/** Where a chart or CSV file of a run lives in its directory. */
const chartFile = (name: SimChartName) => (name === 'sweep' ? 'sweep.svg' : `charts/${name}.svg`);
const csvFile = (name: SimFileName) => `${name}.csv`;

/**
 * The runs of a data directory as the API answers them. Each summary is parsed once and again only when its file
 * changes (the store's cache, by id and modification time); each row is built once per parsed summary.
 * @example
 * const runs = openSimRuns(settings.dataDir)
 * const rows = await runs.list(20)
 */
export function openSimRuns(dataDir: string) {
  const cache: RunCache = new Map();
  const rows = new WeakMap<RunEntry, SimRunRow>();
  const row = (e: RunEntry) => {
    let r = rows.get(e);
    if (!r) rows.set(e, (r = rowOf(e)));
    return r;
  };
  return {
    /** Newest first, at most `limit`. */
    async list(limit: number): Promise<SimRunRow[]> {
      return listEntries(dataDir, { limit, cache }).map(row);
    },
    /** The run, or undefined when there is none (or it is not whole yet). `id` must be a run id (isRunId). */
    async get(id: string): Promise<SimRunDetail | undefined> {
      const e = runEntry(dataDir, id, cache);
      if (!e) return undefined;
      const charts = SIM_CHARTS.filter((c) => e.info.files.includes(chartFile(c)));
      const files = SIM_FILES.filter((f) => e.info.files.includes(csvFile(f)));
      return { ...row(e), charts, files, summary: e.summary };
    },
    /** A chart (SVG) or CSV file's text; null when the run has no such file, undefined when there is no such run. */
    async read(id: string, what: { chart: SimChartName } | { csv: SimFileName }): Promise<string | null | undefined> {
      const text = readRunFile(dataDir, id, 'chart' in what ? chartFile(what.chart) : csvFile(what.csv));
      if (text !== null) return text;
      return runEntry(dataDir, id, cache) ? null : undefined;
    },
  };
}

export type SimRuns = ReturnType<typeof openSimRuns>;
