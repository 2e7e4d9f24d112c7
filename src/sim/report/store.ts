// Simulation runs on disk: each `machina sim run` or `sim sweep` leaves a directory under <dataDir>/sim/runs/<id>/
// (and a copy in --out), which the node lists and serves to the dashboard. A run directory holds summary.json,
// series.csv, events.csv, pnl.csv, agents.csv, runs.csv, charts/*.svg and report.html; a sweep directory holds
// sweep.json, sweep.csv, sweep.svg and report.html. Directories appear whole: written under a hidden name, then renamed.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { MonteCarloResult, SimRun, SweepResult } from '../types.ts';
import { runCharts, sweepChart, type RunCharts } from './charts.ts';
import { agentsCsv, eventsCsv, runsCsv, seriesCsv, sweepCsv } from './csv.ts';
import { runReportHtml, sweepReportHtml } from './html.ts';

export type RunKind = 'run' | 'sweep';

/** The first seed's run without its per-step arrays (those are in the CSV files). */
export type StoredFirstRun = Omit<SimRun, 'series' | 'pnlSeries' | 'events' | 'pnl'> & { eventCount: number };

/**
 * summary.json of a run directory: the Monte Carlo result (its first run without the per-step arrays, which are
 * in the CSV files), when and as what it was kept, and the scenario as run (after --seeds / --steps).
 */
export type StoredRunSummary = Omit<MonteCarloResult, 'first'> & {
  kind: 'run';
  id: string;
  createdAt: string;
  first: StoredFirstRun;
  scenarioConfig: unknown;
};

/** sweep.json of a sweep directory: the sweep result, plus seeds per point, steps and agents from its scenario. */
export type StoredSweepSummary = SweepResult & {
  kind: 'sweep';
  id: string;
  createdAt: string;
  seeds: number;
  steps: number | null;
  agents: number | null;
  scenarioConfig: unknown;
};

/** One line of the run list. */
export type RunInfo = {
  id: string;
  kind: RunKind;
  scenario: string;
  createdAt: string;
  /** Seeds per point (a sweep: per x and series). */
  seeds: number;
  steps: number | null;
  agents: number | null;
  /** Headline figures: a run's means across seeds; a sweep's worst point. */
  crashDepth: number;
  badDebt: number;
  badDebtVaR95: number;
  files: string[];
};

/** A kept run's list line and its summary as written (summary.json or sweep.json). */
export type RunEntry = { info: RunInfo; summary: StoredRunSummary | StoredSweepSummary };

export type StoredRun = RunEntry & { charts: Record<string, string> };

/**
 * Entries already read, by run id and the modification time of the summary they came from: a reader that keeps
 * one (the node) parses a summary once, and again only when it is rewritten. At most RUN_CACHE_SIZE entries.
 */
export type RunCache = Map<string, { mtimeMs: number; entry: RunEntry }>;
const RUN_CACHE_SIZE = 500;

/** File name → contents of one run directory. */
export type RunFiles = Record<string, string>;

const ID_RE = /^\d{8}-\d{6}-[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?-[0-9a-f]{4}$/;
const FILE_RE = /^(?:charts\/)?[a-z0-9][a-z0-9-]{0,63}\.(?:csv|json|svg|html)$/;
const RUN_CHARTS = ['price', 'liquidations', 'pnl', 'breaker'] as const;

/** Where the runs of a data directory live. */
export function runsDir(dataDir: string): string {
  return path.join(dataDir, 'sim', 'runs');
}

/**
 * A new run id: `<utc yyyymmdd-hhmmss>-<scenario>-<4 hex>`, sortable by time.
 * @example
 * newRunId('herd-sweep') // '20261125-121500-herd-sweep-3fa2'
 */
export function newRunId(scenario: string, now = new Date(), suffix = randomBytes(2).toString('hex')): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const name =
    scenario
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'scenario';
  return `${t}-${name}-${suffix}`;
}

/** Whether `id` is a run id (and so names a directory inside the runs directory, never outside it). */
export function isRunId(id: string): boolean {
  return ID_RE.test(id);
}

function checkId(id: string, field: string): void {
  if (!isRunId(id)) throw new InvalidArgumentError(field, `must be a run id such as 20261125-121500-herd-sweep-3fa2 (got "${id.slice(0, 80)}")`);
}

/** JSON with NaN and infinities as null (JSON has no such numbers), typed arrays as arrays. */
function json(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v), 2)}\n`;
}

/** The scenario's description, when it has one, for the report. */
function describe(scenario: unknown): { description?: string } {
  const d = scenario !== null && typeof scenario === 'object' ? (scenario as { description?: unknown }).description : undefined;
  return typeof d === 'string' && d.trim() ? { description: d } : {};
}

/**
 * The files of a Monte Carlo run's directory (CSV of the first seed's series, charts, report, summary).
 * @example
 * const files = runFiles(result, { id, createdAt, scenario })
 */
export function runFiles(result: MonteCarloResult, { id, createdAt, scenario }: { id: string; createdAt: string; scenario: unknown }): { files: RunFiles; charts: RunCharts } {
  const { series, pnlSeries, events, pnl, ...firstRest } = result.first;
  const charts = runCharts(result.first);
  const summary: StoredRunSummary = { kind: 'run', id, createdAt, ...result, first: { ...firstRest, eventCount: events.length }, scenarioConfig: scenario };
  const data: RunFiles = {
    'summary.json': json(summary),
    'series.csv': seriesCsv(series),
    'events.csv': eventsCsv(events),
    'pnl.csv': seriesCsv(pnlSeries),
    'agents.csv': agentsCsv(pnl),
    'runs.csv': runsCsv(result.runs),
  };
  const files: RunFiles = { ...data };
  for (const k of RUN_CHARTS) files[`charts/${k}.svg`] = charts[k];
  files['report.html'] = runReportHtml({ result, charts, createdAt, id, files: Object.keys(data), ...describe(scenario) });
  return { files, charts };
}

/**
 * The files of a sweep's directory: sweep.json, sweep.csv, sweep.svg, report.html.
 * @example
 * const { files } = sweepFiles(sweep, { id, createdAt, scenario })
 */
export function sweepFiles(
  sweep: SweepResult,
  { id, createdAt, scenario, ...given }: { id: string; createdAt: string; scenario: unknown; seeds?: number; steps?: number | null; agents?: number | null },
): { files: RunFiles; svg: string } {
  // Seeds and steps default to the scenario's own, when it states them as numbers.
  const fromScenario = (k: string): number | null => {
    const v = scenario !== null && typeof scenario === 'object' ? (scenario as Record<string, unknown>)[k] : undefined;
    return typeof v === 'number' ? v : Array.isArray(v) && k === 'seeds' ? v.length : null;
  };
  const seeds = given.seeds ?? fromScenario('seeds') ?? 0;
  const steps = given.steps ?? fromScenario('steps');
  const agents = given.agents ?? null;
  const svg = sweepChart(sweep);
  const summary: StoredSweepSummary = { kind: 'sweep', id, createdAt, ...sweep, seeds, steps, agents, scenarioConfig: scenario };
  const files: RunFiles = { 'sweep.json': json(summary), 'sweep.csv': sweepCsv(sweep), 'sweep.svg': svg };
  files['report.html'] = sweepReportHtml({ sweep, svg, createdAt, id, files: ['sweep.svg', 'sweep.csv', 'sweep.json'], seeds, ...describe(scenario) });
  return { files, svg };
}

/** Writes `files` into `dir` (created if missing; files of the same names replaced). */
export function writeRunFiles(dir: string, files: RunFiles): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

/**
 * Keeps a run: in <dataDir>/sim/runs/<id>/ (written whole, then renamed into place) and, with `out`, in that directory too.
 * @example
 * const { dir } = saveRun({ dataDir: settings.dataDir, id, files, out: 'report' })
 */
export function saveRun({ dataDir, id, files, out }: { dataDir: string; id: string; files: RunFiles; out?: string | undefined }): { dir: string; out: string | null } {
  checkId(id, 'id');
  const root = runsDir(dataDir);
  const dir = path.join(root, id);
  const partial = path.join(root, `.${id}.partial`);
  mkdirSync(root, { recursive: true });
  rmSync(partial, { recursive: true, force: true });
  writeRunFiles(partial, files);
  renameSync(partial, dir);
  if (out) writeRunFiles(out, files);
  return { dir, out: out ?? null };
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function filesIn(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && FILE_RE.test(e.name)) out.push(e.name);
    else if (e.isDirectory() && e.name === 'charts') for (const c of readdirSync(path.join(dir, 'charts'))) if (FILE_RE.test(`charts/${c}`)) out.push(`charts/${c}`);
  }
  return out.sort();
}

function infoOf(id: string, summary: StoredRunSummary | StoredSweepSummary, files: string[]): RunInfo {
  if (summary.kind === 'sweep') {
    const worst = (pick: (p: SweepResult['points'][number]) => number) => summary.points.reduce((m, p) => Math.max(m, pick(p)), summary.points.length > 0 ? -Infinity : NaN);
    return {
      id,
      kind: 'sweep',
      scenario: summary.scenario,
      createdAt: summary.createdAt,
      seeds: summary.seeds,
      steps: summary.steps,
      agents: summary.agents,
      crashDepth: worst((p) => p.summary.crashDepth.mean ?? NaN),
      badDebt: worst((p) => p.summary.badDebt.mean ?? NaN),
      badDebtVaR95: worst((p) => p.badDebtVaR95 ?? NaN),
      files,
    };
  }
  return {
    id,
    kind: 'run',
    scenario: summary.scenario,
    createdAt: summary.createdAt,
    seeds: summary.seeds.length,
    steps: summary.first.steps,
    agents: summary.first.agents,
    crashDepth: summary.summary.crashDepth?.mean ?? NaN,
    badDebt: summary.summary.badDebt?.mean ?? NaN,
    badDebtVaR95: summary.badDebtVaR95 ?? NaN,
    files,
  };
}

/**
 * The run in `dir` (its summary.json, or a sweep's sweep.json) or null when the directory holds no whole run;
 * from `cache` when its summary has not changed since it was read.
 */
function entryOf(dir: string, id: string, cache?: RunCache): RunEntry | null {
  for (const name of ['summary.json', 'sweep.json']) {
    const file = path.join(dir, name);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      continue;
    }
    const hit = cache?.get(id);
    if (hit && hit.mtimeMs === mtimeMs) return hit.entry;
    const summary = readJson<StoredRunSummary | StoredSweepSummary>(file);
    if (!summary || (summary.kind !== 'run' && summary.kind !== 'sweep')) continue;
    const entry: RunEntry = { info: infoOf(id, summary, filesIn(dir)), summary };
    if (cache) {
      if (cache.size >= RUN_CACHE_SIZE && !cache.has(id)) cache.delete(cache.keys().next().value!);
      cache.set(id, { mtimeMs, entry });
    }
    return entry;
  }
  return null;
}

/**
 * The kept runs and sweeps, newest first (directories that are not whole runs are skipped).
 * @example
 * for (const r of listRuns(settings.dataDir, { limit: 20 })) console.log(r.id, r.crashDepth)
 */
export function listRuns(dataDir: string, { limit = 50, cache }: { limit?: number; cache?: RunCache } = {}): RunInfo[] {
  return listEntries(dataDir, { limit, cache }).map((e) => e.info);
}

/**
 * The kept runs with their summaries, newest first; with `cache`, a summary is parsed only when it is new or changed.
 * @example
 * const cache: RunCache = new Map()
 * const latest = listEntries(settings.dataDir, { limit: 20, cache })[0]?.summary
 */
export function listEntries(dataDir: string, { limit = 50, cache }: { limit?: number; cache?: RunCache | undefined } = {}): RunEntry[] {
  const root = runsDir(dataDir);
  if (!existsSync(root)) return [];
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isRunId(e.name))
    .map((e) => e.name)
    .sort()
    .reverse();
  const out: RunEntry[] = [];
  for (const id of ids) {
    if (out.length >= limit) break;
    const entry = entryOf(path.join(root, id), id, cache);
    if (entry) out.push(entry);
  }
  return out;
}

/**
 * One kept run's list line and summary, without reading its charts, or null if there is none (or it is not whole).
 * An id that is not a run id is refused (it could name a path outside the runs).
 * @example
 * const entry = runEntry(settings.dataDir, '20261125-121500-herd-sweep-3fa2')
 */
export function runEntry(dataDir: string, id: string, cache?: RunCache): RunEntry | null {
  checkId(id, 'id');
  const dir = path.join(runsDir(dataDir), id);
  return existsSync(dir) ? entryOf(dir, id, cache) : null;
}

/**
 * One kept run with its summary and its charts (SVG text by name: price, liquidations, pnl, breaker; or sweep),
 * or null if there is none. An id that is not a run id is refused (it could name a path outside the runs).
 * @example
 * const run = readRun(settings.dataDir, '20261125-121500-herd-sweep-3fa2')
 */
export function readRun(dataDir: string, id: string): StoredRun | null {
  const entry = runEntry(dataDir, id);
  if (!entry) return null;
  const dir = path.join(runsDir(dataDir), id);
  const charts: Record<string, string> = {};
  const names = entry.summary.kind === 'sweep' ? { sweep: 'sweep.svg' } : Object.fromEntries(RUN_CHARTS.map((k) => [k, `charts/${k}.svg`]));
  for (const [k, f] of Object.entries(names)) if (entry.info.files.includes(f)) charts[k] = readFileSync(path.join(dir, f), 'utf8');
  return { ...entry, charts };
}

/**
 * One file of a kept run (e.g. `series.csv`, `charts/price.svg`, `report.html`), or null if there is none.
 * Both the id and the name are checked, so neither can reach outside the run's directory.
 * @example
 * const csv = readRunFile(settings.dataDir, id, 'series.csv')
 */
export function readRunFile(dataDir: string, id: string, name: string): string | null {
  checkId(id, 'id');
  if (!FILE_RE.test(name)) throw new InvalidArgumentError('file', `must be a file of the run such as series.csv or charts/price.svg (got "${name.slice(0, 80)}")`);
  const file = path.join(runsDir(dataDir), id, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}
