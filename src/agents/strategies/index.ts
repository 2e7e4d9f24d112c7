// Trading strategies: pure decision rules over a MarketView and an AgentView, shared by the simulator and the
// on-chain agent runtime.
export * from './types.ts';
export { HOLD } from './types.ts';
export { OnlineForecaster, SharedModel, PRIOR_WEIGHTS, FEATURE_SCALE, DEFAULT_AI_RULE, seededRandom } from './model.ts';
export type { AiRule } from './model.ts';
export { swapAction } from './sizing.ts';
