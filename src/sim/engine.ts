// One simulation run: block by block, the external feed moves (seeded GBM plus the scenario's shocks), every
// agent observes the same MarketView (features computed once per step) and decides in a seeded random order,
// and whatever it does goes through the contracts' exact math (see market.ts). Deterministic per (scenario, seed).
import { FeatureTracker } from '../agents/strategies/features.ts';
import type { AgentView, MarketView, StrategyName } from '../agents/strategies/types.ts';
import { accrue, borrowRate, utilization } from '../defi/lendingMath.ts';
import { computeMetrics } from './metrics.ts';
import { fromWei, GENESIS, Market, SWAP_DONE, SWAP_REVERTED, SWAP_TRIPPED, toWei } from './market.ts';
import { Rng } from './rng.ts';
import type { Scenario } from './scenario.ts';
import type { AgentPnl, Progress, SeriesTable, SimRun } from './types.ts';

export const SERIES_COLUMNS = [
  'step', 'time', 'price', 'feed', 'twap', 'oracle', 'fee', 'paused', 'liquidations', 'liquidatedCollateral',
  'liquidationSales', 'repaid', 'badDebt', 'utilization', 'borrowRate', 'volume', 'trades', 'liquidity',
  'underwaterDebt', 'offPoolFlow', 'whaleLeft',
] as const;

/** The smallest chunk a whale tries, as a fraction of its order. */
const WHALE_MIN_CHUNK = 1 / 1024;

/** Every this many steps the borrowers' float shadows are refreshed (accrued interest moves their debt). */
const BORROWER_REFRESH = 50;

/**
 * A whale's order from a `sell`/`buy` shock, worked like an order-splitting trader: it first tries the whole
 * remainder; a chunk the breaker stops is halved (down to WHALE_MIN_CHUNK of the order), a chunk that executes
 * doubles the next one (up to the order), and while swaps are paused it waits. One attempt per step until sold.
 */
type WhaleOrder = { zeroForOne: boolean; amount: number; left: number; chunk: number };

/** Rows of the PnL series at most (sampled evenly). */
const PNL_SAMPLES = 200;

export type RunOptions = { onProgress?: Progress | undefined };

/**
 * Runs `sc` with `seed` and returns the whole run: series, events, per-agent PnL and metrics.
 * @example const run = runSimulation(loadScenario('baseline'), 1, { onProgress: (d, t) => bar(d / t) });
 */
export function runSimulation(sc: Scenario, seed: number, opts: RunOptions = {}): SimRun {
  const started = performance.now();
  const mk = new Market(sc, seed);
  const n = mk.n;
  const steps = sc.steps;
  const bs = sc.blockSeconds;
  const feedRng = new Rng(seed, 3);
  const orderRng = new Rng(seed, 4);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const tracker = new FeatureTracker();
  const strategies = mk.strategies;

  const data: Record<string, Float64Array> = {};
  for (const c of SERIES_COLUMNS) data[c] = new Float64Array(steps);
  const cols = data as Record<(typeof SERIES_COLUMNS)[number], Float64Array>;

  // PnL bookkeeping
  const kindsPresent = [...new Set(mk.kinds)];
  const kindIndex = new Map<StrategyName, number>(kindsPresent.map((k, i) => [k, i]));
  const kindOf = Int32Array.from(mk.kinds, (k) => kindIndex.get(k)!);
  const startValue = new Float64Array(n);
  for (let i = 0; i < n; i++) startValue[i] = mk.valueOf(i, mk.priceF);
  const every = Math.max(1, Math.ceil(steps / PNL_SAMPLES));
  const samples = Math.ceil(steps / every);
  const pnlData: Record<string, Float64Array> = { step: new Float64Array(samples) };
  for (const k of kindsPresent) pnlData[k] = new Float64Array(samples);
  const pnlCols = kindsPresent.map((k) => pnlData[k]!);

  const lending = mk.lending;
  const lendingView = lending === null ? null : { utilization: 0, borrowRate: 0, unhealthy: mk.unhealthy };
  const mv: MarketView = {
    step: 0, time: 0, price: mk.priceF, twap: mk.priceF, feed: mk.feed, fee: Number(mk.pool.fee), paused: false,
    features: tracker.push(mk.priceF, mk.priceF, mk.feed), lending: lendingView, liquidity: 0, breaker: mk.breakerF,
  };
  const av: AgentView = { token0: 0, token1: 0, lpFraction: 0, value: 0 };
  const shocks = [...sc.shocks].sort((a, b) => a.step - b.step);
  const pendingTrades: WhaleOrder[] = [];
  let shockAt = 0;
  let lastOracle = -1n;
  let lastScan = -1;
  const tradersArb: number[] = [];
  for (let i = 0; i < n; i++) if (mk.kinds[i] === 'arbitrageur') tradersArb.push(i);
  const drift = sc.feed.drift - (sc.feed.sigma * sc.feed.sigma) / 2;
  const progressEvery = Math.max(1, Math.ceil(steps / 100));
  const c = mk.counters;
  let decisions = 0;

  for (let step = 0; step < steps; step++) {
    mk.step = step;
    mk.now = BigInt(GENESIS + (step + 1) * bs);
    // the external feed
    if (step > 0 && sc.feed.sigma + Math.abs(sc.feed.drift) > 0) mk.feed *= Math.exp(drift + sc.feed.sigma * feedRng.normal());
    while (shockAt < shocks.length && shocks[shockAt]!.step === step) {
      const s = shocks[shockAt++]!;
      if (s.kind === 'feed') mk.feed *= 1 + s.change;
      else pendingTrades.push({ zeroForOne: s.kind === 'sell', amount: s.amount, left: s.amount, chunk: s.amount });
      mk.events.push({ step, kind: 'shock', detail: s.kind === 'feed' ? { kind: 'feed', change: s.change, feed: mk.feed } : { kind: s.kind, amount: s.amount } });
    }
    mk.feedWei = toWei(mk.feed);
    c.volume = 0;
    c.trades = 0;
    c.liquidations = 0;
    c.liquidatedCollateral = 0;
    c.liquidationSales = 0;
    c.repaid = 0;

    // the view every agent sees this step
    const twapF = fromWei(mk.pool.twapPrice);
    mv.step = step;
    mv.time = Number(mk.now);
    mv.feed = mk.feed;
    mv.twap = twapF;
    mv.features = tracker.push(mk.priceF, twapF, mk.feed);
    refreshView(mk, mv);
    if (lending !== null && lendingView !== null) {
      // interest accrues every block (as a keeper poking the market would), before anyone looks at the debts
      accrue(lending, mk.now);
      if (step % BORROWER_REFRESH === 0) mk.refreshBorrowers();
      const oracle = mk.oracleOrZero();
      if (oracle !== lastOracle || step - lastScan >= 50 || mk.unhealthy.length > 0) {
        if (oracle > 0n) mk.scanUnhealthy(oracle);
        lastOracle = oracle;
        lastScan = step;
      }
      lendingView.utilization = fromWei(utilization(lending));
      lendingView.borrowRate = fromWei(borrowRate(lending));
    }

    // whale orders from the scenario's shocks, worked in chunks until filled (see WhaleOrder)
    for (let k = 0; k < pendingTrades.length; ) {
      const t = pendingTrades[k]!;
      const size = Math.min(t.chunk, t.left);
      const r = mk.swapFor(-1, t.zeroForOne, size);
      if (r === SWAP_DONE) {
        t.left -= size;
        t.chunk = Math.min(t.chunk * 2, t.amount);
        refreshView(mk, mv);
      } else if (r === SWAP_TRIPPED) {
        t.chunk = Math.max(t.chunk / 2, t.amount * WHALE_MIN_CHUNK);
        refreshView(mk, mv);
      } else if (r === SWAP_REVERTED) {
        t.left = 0; // the pool cannot take it at all (no liquidity): nothing left to do
      }
      if (t.left <= 0) pendingTrades.splice(k, 1);
      else k++;
    }
    let whaleLeft = 0;
    for (const t of pendingTrades) whaleLeft += t.zeroForOne ? t.left * mk.priceF : t.left;
    cols.whaleLeft[step] = whaleLeft;

    // the agents, in a seeded random order
    orderRng.shuffle(order);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const price = mv.price;
      const f0 = mk.f0[i]!;
      const f1 = mk.f1[i]!;
      const lp = mk.lpF[i]!;
      const lpValue = lp > 0 ? (lp / mk.sharesF) * (mk.r0F * price + mk.r1F) : 0;
      const value = f0 * price + f1 + lpValue;
      av.token0 = f0;
      av.token1 = f1;
      av.value = value;
      av.lpFraction = value > 0 ? lpValue / value : 0;
      const a = strategies[i]!.decide(mv, av);
      if (a.kind === 'hold') continue;
      if (a.kind === 'swap') mk.swapFor(i, a.zeroForOne, a.amountIn);
      else if (a.kind === 'add') mk.addFor(i, a.fraction);
      else if (a.kind === 'remove') mk.removeFor(i, a.fraction);
      else mk.liquidateFor(i, a.borrower, a.repay);
      refreshView(mk, mv);
    }
    decisions += n;

    // arbitrageurs square their inventory on an external venue at the feed price (outside the contracts: a model
    // choice, see scenarios/README.md); offPoolFlow = token0 they bought there (sold if negative) x feed, token1
    let offPool = 0;
    for (const i of tradersArb) {
      const v0 = mk.f0[i]! * mk.feed;
      const v1 = mk.f1[i]!;
      const total = v0 + v1;
      if (total > 0 && Math.abs(v0 - v1) > 0.2 * total) {
        mk.bal0[i] = toWei(total / 2 / mk.feed);
        mk.bal1[i] = toWei(total / 2);
        const f0 = fromWei(mk.bal0[i]!);
        offPool += (f0 - mk.f0[i]!) * mk.feed;
        mk.f0[i] = f0;
        mk.f1[i] = fromWei(mk.bal1[i]!);
      }
    }

    // record
    cols.step[step] = step;
    cols.time[step] = Number(mk.now);
    cols.price[step] = mk.priceF;
    cols.feed[step] = mk.feed;
    cols.twap[step] = fromWei(mk.pool.twapPrice);
    cols.oracle[step] = fromWei(mk.oracleOrZero());
    cols.fee[step] = Number(mk.pool.fee);
    cols.paused[step] = mk.now < mk.pool.pausedUntil ? 1 : 0;
    cols.liquidations[step] = c.liquidations;
    cols.liquidatedCollateral[step] = c.liquidatedCollateral;
    cols.liquidationSales[step] = c.liquidationSales;
    cols.repaid[step] = c.repaid;
    cols.badDebt[step] = lending === null ? 0 : fromWei(lending.badDebt);
    cols.utilization[step] = lending === null ? 0 : fromWei(utilization(lending));
    cols.borrowRate[step] = lending === null ? 0 : fromWei(borrowRate(lending));
    cols.volume[step] = c.volume;
    cols.trades[step] = c.trades;
    cols.liquidity[step] = Math.sqrt(mk.r0F * mk.r1F);
    cols.underwaterDebt[step] = mk.underwaterDebt(mk.feed);
    cols.offPoolFlow[step] = offPool;
    if (step % every === 0) {
      const row = step / every;
      pnlData.step![row] = step;
      for (let i = 0; i < n; i++) pnlCols[kindOf[i]!]![row]! += mk.valueOf(i, mk.priceF) - startValue[i]!;
    }
    if (opts.onProgress && ((step + 1) % progressEvery === 0 || step + 1 === steps)) opts.onProgress(step + 1, steps);
  }

  const pnl: AgentPnl[] = [];
  for (let i = 0; i < n; i++) {
    const endValue = mk.valueOf(i, mk.priceF);
    pnl.push({ id: i, strategy: mk.kinds[i]!, herd: mk.herd[i] === 1, startValue: startValue[i]!, endValue, pnl: endValue - startValue[i]! });
  }
  const series: SeriesTable = { columns: [...SERIES_COLUMNS], data };
  const pnlSeries: SeriesTable = { columns: ['step', ...kindsPresent], data: pnlData };
  const gap = Math.ceil(sc.market.breaker.window / bs) + 1;
  const metrics = computeMetrics(series, { blockSeconds: bs, gap: sc.oracle.source === 'feed' ? 2 : gap, breakerTrips: mk.breakerTrips });
  return {
    scenario: sc.name, seed, steps, agents: n, decisions, wallMs: performance.now() - started,
    series, pnlSeries, events: mk.events, pnl, metrics,
  };
}

function refreshView(mk: Market, mv: MarketView): void {
  mv.price = mk.priceF;
  mv.fee = Number(mk.pool.fee);
  mv.paused = mk.now < mk.pool.pausedUntil;
  mv.liquidity = Math.sqrt(mk.r0F * mk.r1F);
}
