// Scenario files: agent populations, market and lending parameters, the oracle's source, shocks, steps, seeds and
// an optional sweep, validated with zod so that a bad file is rejected with the field's path and the reason.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors/base.ts';

const nonNeg = z.number().min(0);
/** Upper bounds that keep one file from asking for more than a machine can hold. */
export const MAX_STEPS = 1_000_000;
export const MAX_SEEDS = 10_000;
export const MAX_AGENTS = 1_000_000;
export const MAX_BORROWERS = 1_000_000;
/** Sweep grid points x seeds. */
export const MAX_SWEEP_RUNS = 100_000;
const count = z.number().min(0).max(MAX_AGENTS);
const fraction = z.number().min(0).max(1);
const params = z.record(z.string(), z.number());

const agents = z
  .object({
    /** When set, the population fields are shares of it (normalised); otherwise they are counts. */
    total: z.number().int().positive().max(MAX_AGENTS).optional(),
    momentum: count.default(0),
    meanReversion: count.default(0),
    /** AI traders: `herdShare` of them share one model (herd), the rest train their own (ml). */
    ai: count.default(0),
    herdShare: fraction.default(0),
    marketMaker: count.default(0),
    arbitrageur: count.default(0),
    liquidator: count.default(0),
    /** Starting value per agent in token1, half in each token (market makers also put `lpShare` in the pool). */
    capital: z
      .object({
        trader: z.number().positive().default(2_000),
        marketMaker: z.number().positive().default(20_000),
        arbitrageur: z.number().positive().default(100_000),
        liquidator: z.number().positive().default(20_000),
      })
      .strict()
      .prefault({}),
    /** Strategy parameters by strategy name (see src/agents/strategies/*: *_DEFAULTS). */
    params: z.partialRecord(z.enum(['momentum', 'mean-reversion', 'ml', 'herd', 'market-maker', 'arbitrageur', 'liquidator']), params).prefault({}),
  })
  .strict();

const breaker = z
  .object({
    enabled: z.boolean().default(true),
    /** ppm distance from the TWAP beyond which a swap pauses the pool. */
    threshold: z.number().int().positive().max(999_999).default(100_000),
    /** TWAP window, seconds. */
    window: z.number().int().positive().default(60),
    /** Pause length, seconds. */
    cooldown: z.number().int().positive().default(120),
  })
  .strict();

const market = z
  .object({
    /** Starting price, token1 per token0. */
    price: z.number().positive().default(100),
    /** Starting reserve0 (whole tokens), provided by a passive genesis LP. */
    liquidity: z.number().positive().default(100_000),
    /** Base fee, ppm. */
    fee: z.number().int().min(0).max(999_999).default(3_000),
    /** Fee per unit of variance: fee = min(fee + k * variance, maxFee), k in ppm per 1.0 of variance. */
    k: z.number().int().min(0).default(20_000_000),
    maxFee: z.number().int().min(0).max(999_999).default(50_000),
    dynamicFee: z.boolean().default(true),
    breaker: breaker.prefault({}),
  })
  .strict()
  .refine((m) => m.maxFee >= m.fee, { message: 'maxFee must be at least fee', path: ['maxFee'] });

const lending = z
  .object({
    enabled: z.boolean().default(true),
    lltv: z.number().gt(0).lt(1).default(0.8),
    bonus: z.number().min(0).lt(1).default(0.05),
    curve: z
      .object({ baseRate: nonNeg.default(0.02), slope1: nonNeg.default(0.1), slope2: nonNeg.default(1), kink: z.number().gt(0).lt(1).default(0.8) })
      .strict()
      .prefault({}),
    /** token1 the suppliers lend at the start. */
    supply: z.number().positive().default(5_000_000),
    borrowers: z
      .object({
        count: z.number().int().min(0).max(MAX_BORROWERS).default(200),
        /** Mean collateral per borrower, token0 (spread 0.5x..1.5x). */
        collateral: z.number().positive().default(100),
        /** LTV at the start as a fraction of lltv, spread uniformly over [ltvMin, ltvMax]. */
        ltvMin: fraction.default(0.5),
        ltvMax: fraction.default(0.97),
      })
      .strict()
      .refine((b) => b.ltvMin <= b.ltvMax, { message: 'ltvMin must not exceed ltvMax', path: ['ltvMin'] })
      .prefault({}),
  })
  .strict()
  // The contract refuses these too: a liquidation paying more than the debt's collateral lets a borrower
  // self-liquidate at a profit and leave bad debt.
  .refine((l) => l.lltv * (1 + l.bonus) < 1, { message: 'lltv × (1 + bonus) must be below 1', path: ['bonus'] });

const feed = z
  .object({
    /** Per-step volatility of the external (fundamental) price's GBM. */
    sigma: nonNeg.default(0.002),
    /** Per-step drift. */
    drift: z.number().default(0),
  })
  .strict();

const shock = z.discriminatedUnion('kind', [
  /** The external feed jumps by `change` (-0.2 = -20%) at `step`. */
  z.object({ kind: z.literal('feed'), step: z.number().int().min(0), change: z.number().gt(-1) }).strict(),
  /**
   * A whale sells `amount` token0 (or buys with `amount` token1) into the pool from `step` on, as an order-splitting
   * trader: the whole remainder first; a chunk the breaker stops is halved, one that executes doubles the next; it
   * waits while swaps are paused and keeps going, one chunk a step, until the whole amount is sold (engine.ts).
   */
  z.object({ kind: z.literal('sell'), step: z.number().int().min(0), amount: z.number().positive() }).strict(),
  z.object({ kind: z.literal('buy'), step: z.number().int().min(0), amount: z.number().positive() }).strict(),
]);

const sweepValue = z.union([z.number(), z.string(), z.boolean()]);
const sweep = z
  .object({
    x: z.object({ param: z.string().min(1), values: z.array(z.number()).min(1) }).strict(),
    series: z.object({ param: z.string().min(1), values: z.array(sweepValue).min(1) }).strict().optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().default(''),
    steps: z.number().int().positive().max(MAX_STEPS),
    blockSeconds: z.number().int().positive().default(12),
    /** A number of Monte Carlo runs (seeds 1..n) or the seeds themselves. */
    seeds: z.union([z.number().int().positive().max(MAX_SEEDS), z.array(z.number().int().min(0)).min(1).max(MAX_SEEDS)]).default(1),
    /** 'on' = breaker and dynamic fee on, 'off' = both off; absent = as `market` says. */
    protections: z.enum(['on', 'off']).optional(),
    agents,
    market: market.prefault({}),
    lending: lending.prefault({}),
    oracle: z.object({ source: z.enum(['pool', 'feed']).default('pool') }).strict().prefault({}),
    feed: feed.prefault({}),
    shocks: z.array(shock).default([]),
    sweep: sweep.optional(),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema> & { name: string };

/** Where the shipped scenario files live. */
export const SCENARIOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../scenarios');

/**
 * Validates a scenario object; throws InvalidArgumentError naming the first bad field (`scenario.<path>`).
 * @example const sc = parseScenario({ steps: 100, agents: { ai: 10 } }, 'inline');
 */
export function parseScenario(input: unknown, name = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') path.push(...issue.keys);
    const field = ['scenario', ...path].join('.');
    throw new InvalidArgumentError(field, issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message);
  }
  const sc = r.data as Scenario;
  checkSizes(sc);
  for (const [i, s] of sc.shocks.entries()) {
    if (s.step >= sc.steps) throw new InvalidArgumentError(`scenario.shocks.${i}.step`, `must be below steps (${sc.steps})`);
  }
  if (sc.sweep) {
    const points = sc.sweep.x.values.length * (sc.sweep.series?.values.length ?? 1);
    const seeds = typeof sc.seeds === 'number' ? sc.seeds : sc.seeds.length;
    if (points * seeds > MAX_SWEEP_RUNS) {
      throw new InvalidArgumentError('scenario.sweep', `${points} grid points x ${seeds} seeds = ${points * seeds} runs, more than ${MAX_SWEEP_RUNS}`);
    }
    setParam(structuredClone(sc), sc.sweep.x.param, sc.sweep.x.values[0]!, 'scenario.sweep.x.param');
    if (sc.sweep.series) setParam(structuredClone(sc), sc.sweep.series.param, sc.sweep.series.values[0]!, 'scenario.sweep.series.param');
  }
  return { ...sc, name: sc.name ?? name };
}

/**
 * Reads a scenario from a path, or a bare name from scenarios/ (`baseline` = scenarios/baseline.json).
 * @example const sc = loadScenario('flash-crash');
 */
export function loadScenario(pathOrName: string): Scenario {
  const candidates = isAbsolute(pathOrName) || /[\\/]/.test(pathOrName) || pathOrName.endsWith('.json')
    ? [resolve(pathOrName)]
    : [join(SCENARIOS_DIR, `${pathOrName}.json`), resolve(pathOrName)];
  const file = candidates.find((f) => existsSync(f));
  if (file === undefined) throw new InvalidArgumentError('scenario', `no scenario file or name ${JSON.stringify(pathOrName)} (looked in ${SCENARIOS_DIR})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError('scenario', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, basename(file).replace(/\.json$/, ''));
}

/** The seeds a scenario's Monte Carlo runs over. */
export function seedsOf(sc: Scenario): number[] {
  return typeof sc.seeds === 'number' ? Array.from({ length: sc.seeds }, (_, i) => i + 1) : [...sc.seeds];
}

/**
 * A copy of `sc` with the parameter at dotted `path` set to `value`, validated again ("agents.herdShare",
 * "market.breaker.threshold", "protections").
 * @example const variant = setParam(sc, 'agents.herdShare', 0.4);
 */
export function setParam(sc: Scenario, path: string, value: number | string | boolean, field = 'param'): Scenario {
  const copy = structuredClone(sc) as Record<string, unknown>;
  const keys = path.split('.');
  for (const k of keys) {
    if (FORBIDDEN_KEYS.has(k) || k === '') throw new InvalidArgumentError(field, `${path}: no such parameter`);
  }
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new InvalidArgumentError(field, `${path}: no such parameter`);
    node = next as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (!Object.hasOwn(node, last) && !(keys.length === 1 && last === 'protections')) {
    throw new InvalidArgumentError(field, `${path}: no such parameter`);
  }
  node[last] = value;
  const { name, ...rest } = copy as Scenario;
  const out = { ...parseScenarioNoSweep(rest), name };
  checkSizes(out);
  return out;
}

/** Path segments that would reach an object's prototype instead of a parameter. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Limits zod cannot see field by field: the population when `agents` gives counts. */
function checkSizes(sc: Omit<Scenario, 'name'>): void {
  const a = sc.agents;
  if (a.total === undefined) {
    const sum = a.momentum + a.meanReversion + a.ai + a.marketMaker + a.arbitrageur + a.liquidator;
    if (sum > MAX_AGENTS) throw new InvalidArgumentError('scenario.agents', `${sum} agents in all, more than ${MAX_AGENTS}`);
  }
}

function parseScenarioNoSweep(input: Record<string, unknown>): Omit<Scenario, 'name'> {
  const r = scenarioSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidArgumentError(['scenario', ...issue.path.map(String)].join('.'), issue.message);
  }
  return r.data as Omit<Scenario, 'name'>;
}
