// The online forecaster behind the `ml` and `herd` strategies: a linear model on the scaled features that predicts
// the next step's return and trains by SGD on the realised return every step. Herd agents share ONE instance
// (through `SharedModel`), so they see one signal and act in lockstep; each `ml` agent trains its own variant.
import { seededRng } from '../../math/random.ts';
import type { Features, MarketView } from './types.ts';

/** Features are divided by this before entering the model (1% = 1.0) and clipped to +-CLIP. */
export const FEATURE_SCALE = 0.01;
const CLIP = 5;
export const N_WEIGHTS = 7; // r1 r5 r20 devTwap devFeed vol bias

/**
 * The "consensus" pretrained weights: trend-following on short horizons (what a model fitted on trending history
 * learns). Every AI model — each `ml` agent's and the one a herd shares — starts from a random variant of it drawn
 * by `aiVariant`, so the herd differs from independent traders only in sharing one draw.
 */
export const PRIOR_WEIGHTS: readonly number[] = [0.35, 0.25, 0.1, 0, 0, 0, 0];

/** A seeded generator in [0, 1) for per-agent variation inside strategies: the shared mulberry32. */
export const seededRandom: (seed: number) => () => number = seededRng;

function scaled(v: number): number {
  const x = v / FEATURE_SCALE;
  return x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
}

// The scaled feature vector of the latest Features object: every model reads the same one each step, so it is
// computed once per step however many agents ask.
let lastFeatures: Features | null = null;
const shared = new Float64Array(N_WEIGHTS);

function vectorOf(f: Features): Float64Array {
  if (f !== lastFeatures) {
    lastFeatures = f;
    shared[0] = scaled(f.r1);
    shared[1] = scaled(f.r5);
    shared[2] = scaled(f.r20);
    shared[3] = scaled(f.devTwap);
    shared[4] = scaled(f.devFeed);
    shared[5] = scaled(f.vol);
    shared[6] = 1;
  }
  return shared;
}

/**
 * Linear forecaster of the next one-step return, trained online by SGD on the squared error.
 * @example const f = new OnlineForecaster({ weights: PRIOR_WEIGHTS }); const expected = f.observe(features);
 */
export class OnlineForecaster {
  readonly weights: Float64Array;
  private readonly mask: Float64Array;
  /** The (masked) input of the previous step and the prediction made from it. */
  private readonly x = new Float64Array(N_WEIGHTS);
  private lastPrediction = 0;
  private hasPrev = false;
  readonly learningRate: number;
  /** Number of SGD updates so far. */
  updates = 0;
  /** The latest forecast of the next return (fraction), as `observe` returned it. */
  forecast = 0;

  constructor(o: { weights?: readonly number[]; mask?: readonly number[]; learningRate?: number } = {}) {
    this.weights = Float64Array.from(o.weights ?? PRIOR_WEIGHTS);
    this.mask = Float64Array.from(o.mask ?? new Array<number>(N_WEIGHTS).fill(1));
    this.learningRate = o.learningRate ?? 0.0005;
  }

  /**
   * One step: trains on the return realised since the previous call (`f.r1`) against the prediction made then,
   * then predicts the next return from `f`. Call once per step.
   */
  observe(f: Features): number {
    const v = vectorOf(f);
    const x = this.x;
    const w = this.weights;
    const m = this.mask;
    if (this.hasPrev) {
      let err = v[0]! - this.lastPrediction;
      if (err > CLIP) err = CLIP;
      else if (err < -CLIP) err = -CLIP;
      const g = this.learningRate * err;
      for (let i = 0; i < N_WEIGHTS; i++) w[i] = w[i]! + g * x[i]!;
      this.updates++;
    }
    let y = 0;
    for (let i = 0; i < N_WEIGHTS; i++) {
      const xi = v[i]! * m[i]!;
      x[i] = xi;
      y += w[i]! * xi;
    }
    this.hasPrev = true;
    this.lastPrediction = y;
    this.forecast = y * FEATURE_SCALE;
    return this.forecast;
  }
}

/** How an AI trader turns a forecast into a trade. */
export type AiRule = { margin: number; gain: number; maxFraction: number; hold: number };

export const DEFAULT_AI_RULE: AiRule = { margin: 0.002, gain: 10, maxFraction: 0.3, hold: 3 };

/** The rule's fields from strategy params (unknown keys ignored, so every rule object has one shape). */
export function ruleOf(params: Partial<Record<string, number>>): AiRule {
  const d = DEFAULT_AI_RULE;
  return { margin: params.margin ?? d.margin, gain: params.gain ?? d.gain, maxFraction: params.maxFraction ?? d.maxFraction, hold: params.hold ?? d.hold };
}

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
    this.rule = ruleOf(o.rule ?? {});
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
