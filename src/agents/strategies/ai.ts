// The AI traders: `ml` (each agent trains its own variant of the forecaster) and `herd` (all share one model and
// one signal). Both trade when the forecast beats the current fee plus a margin, sized by the forecast's edge.
import { N_WEIGHTS, OnlineForecaster, PRIOR_WEIGHTS, ruleOf, SharedModel, seededRandom, type AiRule } from './model.ts';
import { jitter, swapAction } from './sizing.ts';
import { HOLD, type Action, type AgentView, type MarketView, type Strategy, type StrategyOptions } from './types.ts';

function decideOn(forecast: number, rule: AiRule, m: MarketView, a: AgentView): Action {
  const edge = Math.abs(forecast) - m.fee / 1e6 - rule.margin;
  if (edge <= 0) return HOLD;
  return swapAction(forecast < 0, Math.min(rule.maxFraction, rule.gain * edge), m, a);
}

/** One AI trader's model and rule, as drawn from its seed: see `aiVariant`. */
export type AiVariant = { weights: number[]; mask: number[]; learningRate: number; rule: AiRule };

/**
 * Draws an AI trader's configuration from `seed`: the consensus weights scaled by U(-1, 2) per weight (about a
 * third of them contrarian) plus a little noise, a random feature subset, and its learning rate, margin and gain
 * jittered by +-50%. Independent (`ml`) agents each draw their own; a herd shares ONE draw (createSharedModel),
 * so the distribution of models is the same whatever the herd's share and only their correlation changes.
 * @example const v = aiVariant(7, {}); new OnlineForecaster(v);
 */
export function aiVariant(seed: number, params: Record<string, number> = {}): AiVariant {
  const rnd = seededRandom(seed);
  const weights = PRIOR_WEIGHTS.map((w) => w * (3 * rnd() - 1) + 0.05 * (rnd() - 0.5));
  const mask = Array.from({ length: N_WEIGHTS }, (_, i) => (i === N_WEIGHTS - 1 || rnd() < 0.7 ? 1 : 0));
  const learningRate = jitter(params.learningRate ?? 0.0005, 0.5, rnd);
  const base = ruleOf(params);
  const rule: AiRule = { ...base, margin: jitter(base.margin, 0.5, rnd), gain: jitter(base.gain, 0.5, rnd) };
  return { weights, mask, learningRate, rule };
}

/**
 * An independent AI trader: its own forecaster and rule drawn by `aiVariant(seed)`, trained every step.
 * @example const s = ml({ seed: 3 });
 */
export function ml(o: StrategyOptions): Strategy {
  const v = aiVariant(o.seed, o.params ?? {});
  const model = new OnlineForecaster(v);
  const rule = v.rule;
  let until = -1;
  return {
    name: 'ml',
    decide(m, a) {
      const forecast = model.observe(m.features); // trains every step, trading or not
      if (m.paused || m.step < until) return HOLD;
      const action = decideOn(forecast, rule, m, a);
      if (action !== HOLD) until = m.step + rule.hold;
      return action;
    },
  };
}

/**
 * A herd trader: the model and the signal are the `shared` SharedModel's (one per herd), so every herd agent
 * acts on the same forecast in the same step with the same rule.
 * @example const herd = new SharedModel(); const s = herdTrader({ seed: 1, shared: herd });
 */
export function herdTrader(o: StrategyOptions): Strategy {
  let shared: SharedModel;
  if (o.shared instanceof SharedModel) shared = o.shared;
  else {
    const v = aiVariant(o.seed, o.params ?? {});
    shared = new SharedModel({ model: new OnlineForecaster(v), rule: v.rule });
  }
  const rule = shared.rule;
  let until = -1;
  return {
    name: 'herd',
    decide(m, a) {
      const forecast = shared.signal(m);
      if (m.paused || m.step < until) return HOLD;
      const action = decideOn(forecast, rule, m, a);
      if (action !== HOLD) until = m.step + rule.hold;
      return action;
    },
  };
}
