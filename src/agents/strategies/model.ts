// The online forecaster behind the `ml` and `herd` strategies: a linear model on the scaled features that predicts
// the next step's return and trains by SGD on the realised return every step. Herd agents share ONE instance
// (through `SharedModel`), so they see one signal and act in lockstep; each `ml` agent trains its own variant.
import type { Features, MarketView } from './types.ts';

/** Features are divided by this before entering the model (1% = 1.0) and clipped to +-CLIP. */
export const FEATURE_SCALE = 0.01;
const CLIP = 5;
export const N_WEIGHTS = 7; // r1 r5 r20 devTwap devFeed vol bias

/**
 * The "consensus" pretrained weights: trend-following on short horizons (what a model fitted on trending history
 * learns). Independent agents start from random variants of it; the shared herd model starts from it exactly.
 */
export const PRIOR_WEIGHTS: readonly number[] = [0.35, 0.25, 0.1, 0, 0, 0, 0];

/** A tiny seeded generator (mulberry32) for per-agent variation inside strategies. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scaled(v: number): number {
  const x = v / FEATURE_SCALE;
  return x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
}

/**
 * Linear forecaster of the next one-step return, trained online.
 * @example const f = new OnlineForecaster({ weights: PRIOR_WEIGHTS }); const expected = f.observe(features);
 */
export class OnlineForecaster {
  readonly weights: Float64Array;
  private readonly mask: Float64Array;
  private readonly x = new Float64Array(N_WEIGHTS);
  private hasPrev = false;
  readonly learningRate: number;
  /** Number of SGD updates so far. */
  updates = 0;

  constructor(o: { weights?: readonly number[]; mask?: readonly number[]; learningRate?: number } = {}) {
    this.weights = Float64Array.from(o.weights ?? PRIOR_WEIGHTS);
    this.mask = Float64Array.from(o.mask ?? new Array<number>(N_WEIGHTS).fill(1));
    this.learningRate = o.learningRate ?? 0.002;
  }

  /**
   * One step: trains on the return realised since the previous call (`f.r1`), then predicts the next return
   * from `f`. Call once per step.
   */
  observe(f: Features): number {
    const x = this.x;
    const w = this.weights;
    if (this.hasPrev) {
      let y = 0;
      for (let i = 0; i < N_WEIGHTS; i++) y += w[i]! * x[i]!;
      let err = scaled(f.r1) - y;
      if (err > CLIP) err = CLIP;
      else if (err < -CLIP) err = -CLIP;
      const g = this.learningRate * err;
      for (let i = 0; i < N_WEIGHTS; i++) w[i] = w[i]! + g * x[i]!;
      this.updates++;
    }
    const m = this.mask;
    x[0] = scaled(f.r1) * m[0]!;
    x[1] = scaled(f.r5) * m[1]!;
    x[2] = scaled(f.r20) * m[2]!;
    x[3] = scaled(f.devTwap) * m[3]!;
    x[4] = scaled(f.devFeed) * m[4]!;
    x[5] = scaled(f.vol) * m[5]!;
    x[6] = m[6]!;
    this.hasPrev = true;
    let y = 0;
    for (let i = 0; i < N_WEIGHTS; i++) y += w[i]! * x[i]!;
    return y * FEATURE_SCALE;
  }
}

/** How an AI trader turns a forecast into a trade. */
export type AiRule = { margin: number; gain: number; maxFraction: number; hold: number };

export const DEFAULT_AI_RULE: AiRule = { margin: 0.002, gain: 10, maxFraction: 0.3, hold: 3 };

/**
 * One model and one signal for a whole herd: the forecast is computed (and the model trained) once per step,
 * however many agents ask. Pass the same instance as `shared` to every herd strategy.
 * @example const herd = createSharedModel({ seed: 1 }); createStrategy('herd', { seed: i, shared: herd });
 */
export class SharedModel {
  readonly model: OnlineForecaster;
  readonly rule: AiRule;
  private step = Number.NaN;
  private value = 0;

  constructor(o: { model?: OnlineForecaster; rule?: Partial<AiRule> } = {}) {
    this.model = o.model ?? new OnlineForecaster();
    this.rule = { ...DEFAULT_AI_RULE, ...o.rule };
  }

  /** The herd's forecast for the step of `m` (computed on the first call of that step). */
  signal(m: MarketView): number {
    if (m.step !== this.step) {
      this.step = m.step;
      this.value = this.model.observe(m.features);
    }
    return this.value;
  }
}
