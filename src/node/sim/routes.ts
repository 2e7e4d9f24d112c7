// The lab API: recent simulator runs and sweeps from the run store (<dataDir>/sim/runs), one run's
// summary, its charts (the same SVG files the CLI's HTML report shows) and its raw series as CSV.
import { createRoute, z } from '@hono/zod-openapi';
import type { Api } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { errors, json } from '../api/reads.ts';
import { limitQuery } from '../api/inputs.ts';
import { isRunId } from '../../sim/report/store.ts';
import { openSimRuns, SIM_CHARTS, SIM_FILES, type SimChartName, type SimFileName, type SimRuns } from './runs.ts';

/** What the node's lab surface is given. */
export type NodeSim = {
  /** The data directory `machina sim run` writes to (settings.dataDir); runs are under <dataDir>/sim/runs. */
  dataDir: string;
};

/** The parts of the API context these routes use. */
export type SimRouteContext = { sim?: NodeSim | undefined };

const ID_MESSAGE = 'must be a run id such as 20261125-121500-herd-sweep-3fa2 (<utc yyyymmdd-hhmmss>-<scenario>-<4 hex>)';
const idParam = z
  .string()
  .max(200, ID_MESSAGE)
  .refine(isRunId, ID_MESSAGE)
  .openapi({ param: { name: 'id', in: 'path' }, type: 'string', pattern: '^[0-9]{8}-[0-9]{6}-[a-z0-9-]+-[0-9a-f]{4}$', example: '20261125-121500-herd-sweep-3fa2' });


const metric = z.number().nullable();
export const simRunRowSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['run', 'sweep']),
    scenario: z.string(),
    createdAt: z.number().int().openapi({ description: 'unix seconds' }),
    seeds: z.number().int().openapi({ description: 'Monte Carlo seeds (per point for a sweep)' }),
    steps: z.number().int().nullable(),
    agents: z.number().int().nullable(),
    metrics: z
      .object({
        crashDepth: metric.openapi({ description: 'mean across seeds: largest shortfall of the pool price below the fundamental feed, max(0, 1 − price/feed), a fraction' }),
        maxMispricing: metric.openapi({ description: 'mean across seeds: largest gap between the pool price and the feed either way, max |1 − price/feed|, a fraction' }),
        badDebtVaR95: metric.openapi({ description: '95th percentile of bad debt across runs (token1)' }),
        underwaterDebt: metric.openapi({ description: 'mean across seeds: peak debt above its collateral valued at the feed — bad debt a stale oracle hides (token1)' }),
        breakerTrips: metric.openapi({ description: 'mean circuit-breaker trips per run' }),
        maxDrawdown: metric,
        badDebt: metric,
        liquidationVolume: metric,
        timeToRecover: metric,
      })
      .openapi({ description: "a run's means across seeds (VaR95: the 95th percentile across seeds); a sweep's worst point; null where a run kept before a metric existed lacks it" }),
    sweep: z
      .object({ xParam: z.string(), xValues: z.array(z.number()), seriesParam: z.string().nullable(), seriesLabels: z.array(z.string()), points: z.number().int() })
      .nullable()
      .openapi({ description: 'a sweep; null for a run' }),
  })
  .openapi('SimRun');

const simRunDetailSchema = simRunRowSchema
  .extend({
    charts: z.array(z.enum(SIM_CHARTS)).openapi({ description: 'charts this run holds: GET /v1/sim/runs/{id}/charts/{name}.svg' }),
    files: z.array(z.enum(SIM_FILES)).openapi({ description: 'CSV files this run holds: GET /v1/sim/runs/{id}/files/{name}.csv' }),
    summary: z.record(z.string(), z.unknown()).openapi({ description: "the run's summary.json (MonteCarloResult without the first run's series) or a sweep's sweep.json (SweepResult)" }),
  })
  .openapi('SimRunDetail');

/** A `<name>.<ext>` path segment whose name is one of `names`, or a 400 naming `name`. */
function fileName<T extends string>(raw: string, ext: string, names: readonly T[]): T {
  const name = raw.endsWith(`.${ext}`) ? raw.slice(0, -ext.length - 1) : undefined;
  if (name === undefined || !(names as readonly string[]).includes(name)) {
    throw new ApiError(400, 'INVALID_ARGUMENT', `name: must be one of ${names.map((n) => `${n}.${ext}`).join(', ')}`, 'name');
  }
  return name as T;
}

/** The `id` path segment of a hand-routed path, checked as the declared routes check it. */
function runId(raw: string): string {
  if (!idParam.safeParse(raw).success) throw new ApiError(400, 'INVALID_ARGUMENT', `id: ${ID_MESSAGE}`, 'id');
  return raw;
}

/**
 * Registers the lab routes (no-op when the node is given no run store).
 * @example
 * registerSim(app, { sim: { dataDir: settings.dataDir } })
 */
export function registerSim(app: Api, ctx: SimRouteContext): void {
  if (!ctx.sim) return;
  const runs: SimRuns = openSimRuns(ctx.sim.dataDir);
  const notFound = (id: string) => new ApiError(404, 'NOT_FOUND', `no simulator run ${id} on this node`, 'id');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sim/runs',
      tags: ['lab'],
      summary: 'Recent simulator runs and sweeps (`machina sim run`), newest first, with their headline metrics',
      request: { query: z.object({ limit: limitQuery }) },
      responses: { 200: json(z.object({ runs: z.array(simRunRowSchema) }), 'Recent runs'), 400: errors[400] },
    }),
    async (c) => c.json({ runs: await runs.list(c.req.valid('query').limit ?? 20) } as never, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sim/runs/{id}',
      tags: ['lab'],
      summary: "One run: its metrics, the charts and CSV files it holds, and its summary as written",
      request: { params: z.object({ id: idParam }) },
      responses: { 200: json(simRunDetailSchema, 'The run'), ...errors },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const run = await runs.get(id);
      if (!run) throw notFound(id);
      return c.json(run as never, 200);
    },
  );

  // `{name}.svg` is not a whole path segment, so these two are declared for the document and routed by hand.
  const fileRoute = (o: { path: string; kind: 'chart' | 'csv'; summary: string; names: readonly string[]; ext: 'svg' | 'csv'; contentType: string; headers: (id: string, name: string) => Record<string, string> }) => {
    app.openAPIRegistry.registerPath({
      method: 'get',
      path: `/v1/sim/runs/{id}/${o.path}/{name}.${o.ext}`,
      tags: ['lab'],
      summary: o.summary,
      request: { params: z.object({ id: idParam, name: z.enum(o.names as [string, ...string[]]).openapi({ param: { name: 'name', in: 'path' } }) }) },
      responses: { 200: { description: o.kind === 'chart' ? 'The chart' : 'The CSV file', content: { [o.contentType]: { schema: z.string() } } }, ...errors },
    });
    app.get(`/v1/sim/runs/:id/${o.path}/:file`, async (c) => {
      const id = runId(c.req.param('id'));
      const name = fileName(c.req.param('file'), o.ext, o.names);
      const text = await runs.read(id, o.kind === 'chart' ? { chart: name as SimChartName } : { csv: name as SimFileName });
      if (text === undefined) throw notFound(id);
      if (text === null) throw new ApiError(404, 'NOT_FOUND', `run ${id} has no ${name}.${o.ext}`, 'name');
      return c.body(text, 200, o.headers(id, name));
    });
  };
  fileRoute({
    path: 'charts',
    kind: 'chart',
    ext: 'svg',
    names: SIM_CHARTS,
    contentType: 'image/svg+xml',
    summary: "A chart of a run, the same SVG as in the run's HTML report",
    headers: () => ({
      'content-type': 'image/svg+xml',
      // Shown through <img> (no scripts there); opened on its own, this keeps it inert too.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
      'cache-control': 'no-cache',
    }),
  });
  fileRoute({
    path: 'files',
    kind: 'csv',
    ext: 'csv',
    names: SIM_FILES,
    contentType: 'text/csv',
    summary: "Raw series of a run as CSV: series (the first seed's steps), events, pnl (per strategy), agents, runs (one row a seed), sweep (one row a point)",
    headers: (id, name) => ({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${id}-${name}.csv"`,
      'cache-control': 'no-cache',
    }),
  });
}
