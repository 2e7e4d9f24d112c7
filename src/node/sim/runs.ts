// The lab's run store as the node serves it: the runs and sweeps `machina sim run` keeps under
// <dataDir>/sim/runs/<id>/ (src/sim/report/store.ts), as list rows and details for the API, and the
// fixed set of chart and CSV files a run may hold.
import { isRunId, listRuns, readRun, readRunFile, type StoredRunSummary, type StoredSweepSummary } from '../../sim/report/store.ts';

/** Charts a run may hold (a run: charts/<name>.svg; a sweep: sweep.svg). */
export const SIM_CHARTS = ['price', 'liquidations', 'pnl', 'breaker', 'sweep'] as const;
export type SimChartName = (typeof SIM_CHARTS)[number];
/** CSV files a run may hold (<name>.csv). */
export const SIM_FILES = ['series', 'events', 'pnl', 'agents', 'runs', 'sweep'] as const;
export type SimFileName = (typeof SIM_FILES)[number];

/** Headline metrics: a run's means across seeds (VaR95: 95th percentile across seeds); a sweep's worst point. */
export type SimRunMetrics = {
  crashDepth: number | null;
  badDebt: number | null;
  badDebtVaR95: number | null;
  breakerTrips: number | null;
  maxDrawdown: number | null;
  liquidationVolume: number | null;
  timeToRecover: number | null;
};

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

type Summary = StoredRunSummary | StoredSweepSummary;
type Info = ReturnType<typeof listRuns>[number];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** The result in a stored summary: the summary itself, or its `result` where a writer nests it. */
const resultOf = (s: unknown): Record<string, unknown> => (isObject(s) ? (isObject(s.result) ? s.result : s) : {});
const meanOf = (summary: unknown, key: string): number | null => (isObject(summary) && isObject(summary[key]) ? num(summary[key].mean) : null);

function rowOf(info: Info, summary: unknown): SimRunRow {
  const t = Date.parse(info.createdAt);
  const row: SimRunRow = {
    id: info.id,
    kind: info.kind,
    scenario: info.scenario,
    createdAt: Number.isFinite(t) ? Math.floor(t / 1000) : 0,
    seeds: info.seeds,
    steps: num(info.steps),
    agents: num(info.agents),
    metrics: { crashDepth: num(info.crashDepth), badDebt: num(info.badDebt), badDebtVaR95: num(info.badDebtVaR95), breakerTrips: null, maxDrawdown: null, liquidationVolume: null, timeToRecover: null },
    sweep: null,
  };
  // Read without trusting the shape: a summary from an older or newer writer must not make the list fail.
  const r = resultOf(summary);
  if (info.kind === 'run') {
    Object.assign(row.metrics, {
      breakerTrips: meanOf(r.summary, 'breakerTrips'),
      maxDrawdown: meanOf(r.summary, 'maxDrawdown'),
      liquidationVolume: meanOf(r.summary, 'liquidationVolume'),
      timeToRecover: meanOf(r.summary, 'timeToRecover'),
    });
  } else {
    const points = Array.isArray(r.points) ? r.points.filter(isObject) : [];
    const worst = (k: string) =>
      points.reduce<number | null>((m, p) => {
        const v = meanOf(p.summary, k);
        return v === null ? m : m === null ? v : Math.max(m, v);
      }, null);
    Object.assign(row.metrics, { breakerTrips: worst('breakerTrips'), maxDrawdown: worst('maxDrawdown'), liquidationVolume: worst('liquidationVolume'), timeToRecover: worst('timeToRecover') });
    const numbers = (v: unknown) => (Array.isArray(v) ? v.map(num).filter((n): n is number => n !== null) : []);
    row.sweep = {
      xParam: typeof r.xParam === 'string' ? r.xParam : 'x',
      xValues: numbers(r.xValues),
      seriesParam: typeof r.seriesParam === 'string' ? r.seriesParam : null,
      seriesLabels: Array.isArray(r.seriesLabels) ? r.seriesLabels.filter((l): l is string => typeof l === 'string') : [],
      points: points.length,
    };
  }
  return row;
}

/** Whether `id` names a run (and so a directory inside the runs directory, never outside it). */
export const isSimRunId = isRunId;

/**
 * The runs of a data directory as the API answers them. Runs appear whole (written under a hidden
 * name, then renamed) and never change, so each summary is parsed once and kept.
 * @example
 * const runs = openSimRuns(settings.dataDir)
 * const rows = await runs.list(20)
 */
export function openSimRuns(dataDir: string) {
  const summaries = new Map<string, Summary>();
  const remember = (id: string, s: Summary) => {
    if (summaries.size >= 500 && !summaries.has(id)) summaries.delete(summaries.keys().next().value!);
    summaries.set(id, s);
  };
  const summaryOf = (info: Info): Summary | undefined => {
    let s = summaries.get(info.id);
    if (!s) {
      const text = readRunFile(dataDir, info.id, info.kind === 'sweep' ? 'sweep.json' : 'summary.json');
      if (text === null) return undefined;
      try {
        s = JSON.parse(text) as Summary;
      } catch {
        return undefined;
      }
      remember(info.id, s);
    }
    return s;
  };

  return {
    /** Newest first, at most `limit`. */
    async list(limit: number): Promise<SimRunRow[]> {
      return listRuns(dataDir, { limit }).map((info) => rowOf(info, summaryOf(info)));
    },
    /** The run, or undefined when there is none (or it is not whole yet). `id` must pass isSimRunId. */
    async get(id: string): Promise<SimRunDetail | undefined> {
      const run = readRun(dataDir, id);
      if (!run) return undefined;
      remember(id, run.summary);
      const charts = SIM_CHARTS.filter((c) => run.charts[c] !== undefined);
      const files = SIM_FILES.filter((f) => run.info.files.includes(`${f}.csv`));
      return { ...rowOf(run.info, run.summary), charts, files, summary: run.summary };
    },
    /** A chart's SVG text, or null when the run or the chart is missing. */
    async chart(id: string, name: SimChartName): Promise<string | null> {
      return readRunFile(dataDir, id, name === 'sweep' ? 'sweep.svg' : `charts/${name}.svg`);
    },
    /** A CSV file's text, or null when the run or the file is missing. */
    async file(id: string, name: SimFileName): Promise<string | null> {
      return readRunFile(dataDir, id, `${name}.csv`);
    },
  };
}

export type SimRuns = ReturnType<typeof openSimRuns>;
