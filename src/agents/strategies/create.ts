// Builds a strategy by name: what the simulator and `machina agent run --strategy NAME` both call.
import { aiVariant, herdTrader, ml } from './ai.ts';
import { arbitrageur } from './arbitrageur.ts';
import { liquidator } from './liquidator.ts';
import { marketMaker } from './marketMaker.ts';
import { meanReversion } from './meanReversion.ts';
import { OnlineForecaster, SharedModel } from './model.ts';
import { momentum } from './momentum.ts';
import type { Strategy, StrategyName, StrategyOptions } from './types.ts';

/**
 * A new strategy instance (it keeps per-agent state: holding periods, its own model).
 * @example const s = createStrategy('herd', { seed: 1, shared: createSharedModel({}) });
 */
export function createStrategy(name: StrategyName, o: StrategyOptions): Strategy {
  switch (name) {
    case 'momentum':
      return momentum(o);
    case 'mean-reversion':
      return meanReversion(o);
    case 'ml':
      return ml(o);
    case 'herd':
      return herdTrader(o);
    case 'market-maker':
      return marketMaker(o);
    case 'arbitrageur':
      return arbitrageur(o);
    case 'liquidator':
      return liquidator(o);
    default:
      throw new Error(`unknown strategy ${String(name)}`);
  }
}

/**
 * The one model a herd shares (pass it as `shared` to every herd strategy): ONE draw of an AI trader's model and
 * rule from the same distribution as an independent `ml` agent's (`aiVariant(seed)`), used by the whole herd.
 * @example const shared = createSharedModel({ seed: 42, params: { margin: 0.003 } });
 */
export function createSharedModel(o: { seed?: number; params?: Record<string, number> } = {}): SharedModel {
  const v = aiVariant(o.seed ?? 1, o.params ?? {});
  return new SharedModel({ model: new OnlineForecaster(v), rule: v.rule });
}
