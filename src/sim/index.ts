// The AI-volatility lab's simulator: scenarios, single runs, Monte Carlo over seeds and parameter sweeps.
export { loadScenario, parseScenario, setParam, seedsOf, scenarioSchema, SCENARIOS_DIR } from './scenario.ts';
export type { Scenario, ScenarioInput } from './scenario.ts';
export { runSimulation, SERIES_COLUMNS } from './engine.ts';
export type { RunOptions } from './engine.ts';
export { runMonteCarlo, summarize } from './montecarlo.ts';
export type { MonteCarloOptions } from './montecarlo.ts';
export { runSweep } from './sweep.ts';
export type { SweepOptions } from './sweep.ts';
export { computeMetrics, cascadeDepth, percentile, CRASH_BAND } from './metrics.ts';
export { population, protections } from './market.ts';
export * from './types.ts';
