// The LabOracle's price in bigint: the external feed the feeder pushes, or the AdaptivePool's last completed TWAP
// window, as contracts/src/defi/interfaces/ILabOracle.sol pins it. Pure; the simulator and the replay test use it.
import { MachinaError } from '../errors/base.ts';
import type { PoolState } from './poolMath.ts';

/** Where the oracle's price comes from (`ILabOracle.Source`: Feed = 0, Pool = 1). */
export type OracleSource = 'feed' | 'pool';

/** What the oracle would revert with; `reason` is the Solidity custom error's name. */
export class OracleMathError extends MachinaError {
  override name = 'OracleMathError';
  readonly reason: string;
  constructor(reason: string, details?: Record<string, unknown>) {
    super(`oracle: ${reason}`, { code: 'ORACLE_REVERT', details });
    this.reason = reason;
  }
}

/**
 * The oracle's `price()`, WAD (token1 per token0): the feed's last push, or the pool's stored `twapPrice`. Throws
 * `OracleUnavailable` when the selected source has none (feed never pushed, TWAP still zero).
 * @example const p = oraclePrice({ source: 'pool', feedPrice: 0n, pool });
 */
export function oraclePrice(p: { source: OracleSource; feedPrice: bigint; pool: Pick<PoolState, 'twapPrice'> | null }): bigint {
  const price = p.source === 'feed' ? p.feedPrice : (p.pool?.twapPrice ?? 0n);
  if (price === 0n) throw new OracleMathError('OracleUnavailable');
  return price;
}

/** The oracle's state: its source, the feed's last push and who may change them (addresses lower-case). */
export type OracleState = { source: OracleSource; feedPrice: bigint; feedUpdatedAt: bigint; owner: string; feeder: string };

/**
 * A new oracle as the contract's constructor leaves it (no feed price yet).
 * @example const o = createOracle({ source: 'feed', owner, feeder });
 */
export function createOracle(p: { source: OracleSource; owner: string; feeder?: string }): OracleState {
  return { source: p.source, feedPrice: 0n, feedUpdatedAt: 0n, owner: p.owner.toLowerCase(), feeder: (p.feeder ?? p.owner).toLowerCase() };
}

/**
 * The price `o` reports now, reading `pool`'s stored TWAP for the pool source.
 * @example const p = readOracle(o, pool);
 */
export function readOracle(o: OracleState, pool: Pick<PoolState, 'twapPrice'> | null): bigint {
  return oraclePrice({ source: o.source, feedPrice: o.feedPrice, pool });
}

/**
 * The feeder's push of the external price at block time `now` (in place; a price must be positive).
 * @example setFeedPrice(o, { price: 2n * 10n ** 18n, now, from: feeder });
 */
export function setFeedPrice(o: OracleState, p: { price: bigint; now: bigint; from?: string }): void {
  if (p.from !== undefined && p.from.toLowerCase() !== o.feeder) throw new OracleMathError('NotFeeder', { caller: p.from });
  if (p.price === 0n) throw new OracleMathError('InvalidPrice');
  o.feedPrice = p.price;
  o.feedUpdatedAt = p.now;
}

/**
 * Governance's choice of source (in place).
 * @example setSource(o, { source: 'pool', from: owner });
 */
export function setSource(o: OracleState, p: { source: OracleSource; from?: string }): void {
  if (p.from !== undefined && p.from.toLowerCase() !== o.owner) throw new OracleMathError('OwnableUnauthorizedAccount', { account: p.from });
  o.source = p.source;
}
