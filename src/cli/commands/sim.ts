// `machina sim run|sweep|list`: the AI-volatility lab from the command line. `run` plays a scenario over many seeds
// (Monte Carlo), `sweep` over a grid of parameters; both print a summary, write an HTML report with charts and the
// raw series as CSV to --out, and keep a copy under <dataDir>/sim/runs/<id>/ for `sim list` and the dashboard.
// The simulator loads inside the actions so `machina --help` stays quick.
import path from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.ts';
import { METRICS, sortedPoints, type MetricKey, type MetricSummaries } from '../../sim/report/labels.ts';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { Scenario } from '../../sim/scenario.ts';
import { parseIntIn } from '../args.ts';
import { emit, table } from '../output.ts';
import { countProgressBar } from '../progress.ts';
import { addDataDirOption, addJsonOption, type GlobalOptions } from './options.ts';

type RunOptions = GlobalOptions & { out?: string; seeds?: string; steps?: string; workers?: string };
type ListOptions = GlobalOptions & { limit: string };

/** The metrics the summary prints, in order (labels, units and percentages as in the HTML report). */
const SUMMARY_METRICS: readonly MetricKey[] = [
  'crashDepth', 'maxMispricing', 'maxDrawdown', 'crashDuration', 'timeToRecover', 'realizedVol', 'liquidationCount',
  'liquidationVolume', 'cascadeDepth', 'badDebt', 'underwaterDebt', 'breakerTrips', 'pausedSteps', 'minPrice',
];

/** A number for the terminal: four significant digits, thousands separated; fractions as percentages when asked. */
export function formatMetric(n: number | null | undefined, pct = false): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  if (pct) return `${(n * 100).toFixed(1)}%`;
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Number(n.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** Rows `metric  mean  p95` under a header. */
export function metricTable(summary: MetricSummaries, extra: [string, string, string][] = []): string[] {
  const rows: [string, string, string][] = [['metric', 'mean', 'p95']];
  for (const key of SUMMARY_METRICS) {
    const s = summary[key];
    const m = METRICS.find((x) => x.key === key)!;
    if (s) rows.push([m.label, formatMetric(s.mean, m.pct), formatMetric(s.p95, m.pct)]);
  }
  rows.push(...extra);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const w2 = Math.max(...rows.map((r) => r[2].length));
  return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c.padStart(w2)}`.trimEnd());
}


/**
 * The most steps --steps takes: series.csv holds one row a step and is built as one string, which must stay well
 * under V8's longest string (2^29 - 24 characters; a row of the series' 21 columns is 200-300 characters, so
 * about 2 million rows at most).
 */
const MAX_STEPS = 1_000_000;

/** The scenario from a file or a name in scenarios/, with --seeds and --steps applied (checked before anything runs). */
async function scenarioFor(raw: string, opts: RunOptions): Promise<Scenario> {
  const seeds = opts.seeds === undefined ? undefined : parseIntIn(opts.seeds, '--seeds', 1, 10_000);
  const steps = opts.steps === undefined ? undefined : parseIntIn(opts.steps, '--steps', 1, MAX_STEPS);
  const { loadScenario } = await import('../../sim/scenario.ts');
  const scenario = loadScenario(raw);
  if (steps !== undefined) {
    const last = Math.max(-1, ...scenario.shocks.map((s) => s.step));
    if (last >= steps) throw new InvalidArgumentError('--steps', `must be above the scenario's last shock at step ${last} (got ${steps})`);
    scenario.steps = steps;
  }
  if (seeds !== undefined) scenario.seeds = seeds;
  return scenario;
}

const workersOf = (opts: RunOptions) => (opts.workers === undefined ? undefined : parseIntIn(opts.workers, '--workers', 1, 256));

/** How many seeds a scenario runs (per sweep point). */
const seedCount = (sc: Scenario) => (typeof sc.seeds === 'number' ? sc.seeds : sc.seeds.length);

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
};

const KEPT = 'kept simulation runs (sim/runs/<id>/)';

type Lab = typeof import('../../sim/index.ts');

/**
 * What `sim run` and `sim sweep` do around their simulation: check the options and load the scenario, run it with
 * a progress bar, then keep its files under <dataDir>/sim/runs/<id>/ (and in --out).
 */
async function simulateAndKeep<T extends { scenario: string }>(
  raw: string,
  opts: RunOptions,
  o: {
    verb: string;
    check?: (scenario: Scenario) => void;
    run: (lab: Lab, scenario: Scenario, o: { workers: number | undefined; onProgress: (done: number, total: number) => void }) => Promise<T>;
    files: (result: T, meta: { id: string; createdAt: string; scenario: Scenario }) => Promise<Record<string, string>>;
  },
) {
  const workers = workersOf(opts);
  const settings = loadSettings(opts);
  const scenario = await scenarioFor(raw, opts);
  o.check?.(scenario);
  const lab = await import('../../sim/index.ts');
  const { newRunId, saveRun } = await import('../../sim/report/index.ts');
  const bar = countProgressBar({ json: !!opts.json, what: `${o.verb} ${scenario.name}` });
  const started = Date.now();
  let result: T;
  try {
    result = await o.run(lab, scenario, { workers, onProgress: (done, total) => bar.update(done, total, 'runs') });
  } finally {
    bar.stop();
  }
  const wallMs = Date.now() - started;
  const id = newRunId(result.scenario);
  const files = await o.files(result, { id, createdAt: new Date().toISOString(), scenario });
  const { dir, out } = saveRun({ dataDir: settings.dataDir, id, files, out: opts.out });
  return { result, scenario, id, wallMs, dir, out, where: out ?? dir };
}

/** What `sim run` and `sim sweep` share: the scenario argument, --out, --seeds, --steps, --workers, --json, --data-dir. */
function simCommand(cmd: Command, help: { description: string; scenario: string; out: string; seeds: string }): Command {
  return addDataDirOption(
    addJsonOption(
      cmd
        .description(help.description)
        .argument('<SCENARIO>', help.scenario)
        .option('--out <dir>', help.out)
        .option('--seeds <n>', `${help.seeds}, 1-10,000 (default: the scenario's)`)
        .option('--steps <n>', `steps per run, 1-${MAX_STEPS.toLocaleString('en-US')} (default: the scenario's)`)
        .option('--workers <n>', 'worker threads, 1-256 (default: one per core)'),
    ),
    KEPT,
  );
}

export function addSimCommands(program: Command): void {
  const sim = program.command('sim').description('the AI-volatility lab: simulate markets of trading agents, Monte Carlo over seeds, parameter sweeps, reports');

  simCommand(sim.command('run'), {
    description: 'run a scenario over its seeds (Monte Carlo); print the metrics and write an HTML report with charts and CSV series',
    scenario: 'a scenario file (JSON) or the name of one in scenarios/, e.g. flash-crash',
    out: 'also write the report here (report.html, charts/*.svg, *.csv, summary.json)',
    seeds: 'number of seeds',
  }).action(async (raw: string, opts: RunOptions) => {
    const json = !!opts.json;
    const { result, id, wallMs, dir, out, where } = await simulateAndKeep(raw, opts, {
      verb: 'simulating',
      run: (lab, scenario, o) => lab.runMonteCarlo(scenario, o),
      files: async (result, meta) => (await import('../../sim/report/index.ts')).runFiles(result, meta).files,
    });
    const first = result.first;
    const decisions = result.runs.length * first.decisions;
    emit(
      { json },
      {
        id,
        scenario: result.scenario,
        seeds: result.seeds,
        steps: first.steps,
        agents: first.agents,
        decisions,
        wallMs,
        summary: result.summary,
        badDebtVaR95: result.badDebtVaR95,
        report: path.join(where, 'report.html'),
        dir,
        out,
      },
      () => [
        `${result.scenario}: ${result.seeds.length} seed${result.seeds.length === 1 ? '' : 's'} × ${first.steps.toLocaleString('en-US')} steps × ${first.agents.toLocaleString('en-US')} agents, ${formatMetric(decisions)} decisions in ${(wallMs / 1000).toFixed(1)} s`,
        '',
        ...metricTable(result.summary, [['bad debt VaR 95%', formatMetric(result.badDebtVaR95), '']]),
        '',
        ...table([
          ['report', rel(path.join(where, 'report.html'))],
          ['kept as', `${id} (${rel(dir)})`],
        ]),
      ],
    );
  });

  simCommand(sim.command('sweep'), {
    description: 'run a scenario over its parameter grid (e.g. share of herd agents, breaker on/off); write the sweep chart, CSV and an HTML report',
    scenario: 'a scenario file (JSON) with a sweep, or the name of one in scenarios/, e.g. herd-sweep',
    out: 'also write the sweep here (sweep.svg, sweep.csv, sweep.json, report.html)',
    seeds: 'seeds per point',
  }).action(async (raw: string, opts: RunOptions) => {
    const json = !!opts.json;
    const { result: sweep, id, wallMs, dir, out, where } = await simulateAndKeep(raw, opts, {
      verb: 'sweeping',
      check: (scenario) => {
        if (!scenario.sweep) throw new InvalidArgumentError('scenario.sweep', `${scenario.name} has no sweep: add "sweep": { "x": { "param": "agents.herdShare", "values": [0, 0.4, 0.8] } }, or use \`machina sim run\``);
      },
      run: (lab, scenario, o) => lab.runSweep(scenario, o),
      files: async (sweep, meta) => (await import('../../sim/report/index.ts')).sweepFiles(sweep, { ...meta, seeds: seedCount(meta.scenario), steps: meta.scenario.steps }).files,
    });
    const points = sortedPoints(sweep);
    emit(
      { json },
      { id, scenario: sweep.scenario, xParam: sweep.xParam, xValues: sweep.xValues, seriesParam: sweep.seriesParam, seriesLabels: sweep.seriesLabels, points: sweep.points, wallMs, chart: path.join(where, 'sweep.svg'), report: path.join(where, 'report.html'), dir, out },
      () => {
        const header = [sweep.seriesParam ?? 'series', sweep.xParam, 'crash depth', 'p95', 'mispricing', 'bad debt', 'VaR 95%', 'underwater debt'];
        const rows = points.map((p) => [
          p.series || '-',
          formatMetric(p.x),
          formatMetric(p.summary.crashDepth.mean, true),
          formatMetric(p.summary.crashDepth.p95, true),
          formatMetric(p.summary.maxMispricing?.mean, true),
          formatMetric(p.summary.badDebt.mean),
          formatMetric(p.badDebtVaR95),
          formatMetric(p.summary.underwaterDebt?.mean),
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
        return [
          `${sweep.scenario}: ${sweep.points.length} points (${sweep.xParam} × ${sweep.seriesLabels.length || 1} series) in ${(wallMs / 1000).toFixed(1)} s`,
          '',
          line(header),
          ...rows.map(line),
          '',
          ...table([
            ['chart', rel(path.join(where, 'sweep.svg'))],
            ['report', rel(path.join(where, 'report.html'))],
            ['kept as', `${id} (${rel(dir)})`],
          ]),
        ];
      },
    );
  });

  addDataDirOption(
    addJsonOption(sim.command('list').description('recent simulation runs and sweeps, newest first').option('--limit <n>', 'at most this many, 1-1,000', '20')),
    KEPT,
  ).action(async (opts: ListOptions) => {
    const json = !!opts.json;
    const limit = parseIntIn(opts.limit, '--limit', 1, 1_000);
    const settings = loadSettings(opts);
    const { listRuns } = await import('../../sim/report/index.ts');
    const runs = listRuns(settings.dataDir, { limit });
    emit({ json }, { runs }, () => {
      if (runs.length === 0) return `no simulation runs in ${rel(settings.dataDir)} yet (run \`machina sim run SCENARIO\`)`;
      const header = ['id', 'kind', 'seeds', 'steps', 'crash depth', 'bad debt', 'VaR 95%'];
      const rows = runs.map((r) => [r.id, r.kind, formatMetric(r.seeds), formatMetric(r.steps), formatMetric(r.crashDepth, true), formatMetric(r.badDebt), formatMetric(r.badDebtVaR95)]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return [line(header), ...rows.map(line), '', `in ${rel(path.join(settings.dataDir, 'sim', 'runs'))}; a sweep shows its worst point`];
    });
  });
}
