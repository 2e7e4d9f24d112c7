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

/**
 * An independent AI trader: its own forecaster, started from a random variant of the consensus weights (scaled
 * by U(-1, 2) per weight, about a third of them contrarian), a random feature subset and its own learning rate
 * and margin, trained every step.
 * @example const s = ml({ seed: 3 });
 */
export function ml(o: StrategyOptions): Strategy {
  const rnd = seededRandom(o.seed);
  const params = o.params ?? {};
  const weights = PRIOR_WEIGHTS.map((w) => w * (3 * rnd() - 1) + 0.05 * (rnd() - 0.5));
  const mask = Array.from({ length: N_WEIGHTS }, (_, i) => (i === N_WEIGHTS - 1 || rnd() < 0.7 ? 1 : 0));
  const model = new OnlineForecaster({ weights, mask, learningRate: jitter(params.learningRate ?? 0.0005, 0.5, rnd) });
  const base = ruleOf(params);
  const rule: AiRule = { ...base, margin: jitter(base.margin, 0.5, rnd), gain: jitter(base.gain, 0.5, rnd) };
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
  const shared = o.shared instanceof SharedModel ? o.shared : new SharedModel({ rule: ruleOf(o.params ?? {}) });
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
