// Autonomous trading agents on the DeFi lab: the on-chain runtime behind `machina agent run`, the chain-side
// market view the strategies see, and a population driven against the devnet (the bench's baseline).
export {
  DEFI_CONTRACTS,
  defiAddressesOf,
  observeMarket,
  readHoldings,
  agentView,
  planAction,
  actionResult,
  innerDefiError,
  approveAll,
  BorrowerWatch,
  units,
  whole,
  type DefiAddresses,
  type Observation,
  type Holdings,
  type PlannedAction,
  type ActionResult,
} from './chainMarket.ts';
export { runAgent, parseStrategyName, strategyFor, tradingPolicy, type RunAgentParameters, type AgentEvent, type AgentStepEvent, type AgentSummary, type StepOutcome } from './runtime.ts';
export { runOnDevnet, type DevnetRunParameters, type DevnetRunResult } from './devnetRun.ts';
export * from './strategies/index.ts';
