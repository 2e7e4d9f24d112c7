// Typed actions and reads for the LabOracle: the price the lending market liquidates at (the pool's TWAP or an
// external feed the scenario's feeder pushes), its source and the feeder's push.
import type { Address, Hex } from 'viem';
import { labOracleAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import { readerOf } from '../wallet/client.ts';
import { asDefiError, defiWrite, isDefiRevert } from './pool.ts';

/** `ILabOracle.Source` names; the index is the enum value. */
export const ORACLE_SOURCES = ['feed', 'pool'] as const;
export type OracleSource = (typeof ORACLE_SOURCES)[number];

export type OracleChainState = {
  /** The price the market uses now (WAD, token1 per token0), or null while the source has none (OracleUnavailable). */
  price: bigint | null;
  source: OracleSource;
  feedPrice: bigint;
  feedUpdatedAt: bigint;
};

/**
 * The oracle's price, source and last feed in one go.
 * @example
 * const { price, source } = await readOracle(client, { oracle })
 */
export async function readOracle(client: MachinaPublicClient | MachinaWalletClient, { oracle }: { oracle: Address }): Promise<OracleChainState> {
  const reader = readerOf(client);
  const [price, source, feed] = await Promise.all([
    reader.readContract({ address: oracle, abi: labOracleAbi, functionName: 'price' }).catch((err: unknown) => {
      if (isDefiRevert(err, 'OracleUnavailable')) return null;
      throw asDefiError(err, 'price');
    }),
    reader.readContract({ address: oracle, abi: labOracleAbi, functionName: 'source' }),
    reader.readContract({ address: oracle, abi: labOracleAbi, functionName: 'feed' }),
  ]);
  return { price, source: ORACLE_SOURCES[Number(source)] ?? 'feed', feedPrice: feed[0], feedUpdatedAt: BigInt(feed[1]) };
}

/**
 * Feeder: pushes the external price (WAD, token1 per token0).
 * @example
 * await setFeedPrice(wallet, { oracle, price: 100n * 10n ** 18n })
 */
export async function setFeedPrice(wallet: MachinaWalletClient, p: { oracle: Address; price: bigint }): Promise<{ txHash: Hex; gasUsed: bigint }> {
  if (typeof p.price !== 'bigint' || p.price <= 0n) throw new InvalidArgumentError('price', `must be a positive WAD price (got ${String(p.price)})`);
  const { hash, receipt } = await defiWrite(wallet, 'setFeedPrice', p.oracle, labOracleAbi, [p.price]);
  return { txHash: hash, gasUsed: receipt.gasUsed };
}

/** Governance: selects where the price comes from. */
export async function setOracleSource(wallet: MachinaWalletClient, p: { oracle: Address; source: OracleSource }): Promise<{ txHash: Hex }> {
  const i = ORACLE_SOURCES.indexOf(p.source);
  if (i < 0) throw new InvalidArgumentError('source', `must be one of ${ORACLE_SOURCES.join(', ')} (got ${String(p.source)})`);
  const { hash } = await defiWrite(wallet, 'setSource', p.oracle, labOracleAbi, [i]);
  return { txHash: hash };
}
