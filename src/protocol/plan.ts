// The Machina protocol: which contracts a deployment holds, in which order, and how they are wired.
// Each domain adds its contracts and wiring here as it lands.
import { parseEther, type Address } from 'viem';
import {
  agentAccountFactoryAbi,
  anchorRegistryAbi,
  anchorRegistryBytecode,
  computeMarketAbi,
  computeMarketBytecode,
  dataMarketAbi,
  dataMarketBytecode,
  agentAccountFactoryBytecode,
  agentPaymasterAbi,
  agentPaymasterBytecode,
  identityRegistryAbi,
  identityRegistryBytecode,
  adaptivePoolAbi,
  adaptivePoolBytecode,
  labOracleAbi,
  labOracleBytecode,
  labTokenAbi,
  labTokenBytecode,
  lendingMarketAbi,
  lendingMarketBytecode,
  machinaEntryPointAbi,
  machinaEntryPointBytecode,
  paymentReceiptsAbi,
  provenanceRegistryAbi,
  provenanceRegistryBytecode,
  paymentReceiptsBytecode,
  reputationRegistryAbi,
  reputationRegistryBytecode,
  settlementTokenAbi,
  settlementTokenBytecode,
  validationRegistryAbi,
  validationRegistryBytecode,
  x402SettlementAbi,
  x402SettlementBytecode,
} from '../chain/artifacts/index.ts';
import type { DeployContext, DeployPlan } from '../chain/deploy.ts';
import { DEVNET_CHAIN_ID } from '../chain/devnet.ts';
import { withGasMargin } from '../chain/write.ts';

/** Where ERC-4337 v0.8's EntryPoint lives on every chain that has it (deterministic deployment). */
export const CANONICAL_ENTRY_POINT_V08: Address = '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108';

/** What the devnet deposits at the EntryPoint for the paymaster, so agents' user operations are sponsored. */
export const DEVNET_PAYMASTER_DEPOSIT = parseEther('10');

const isDevnet = (ctx: DeployContext) => ctx.client.chain.id === DEVNET_CHAIN_ID;
/**
 * The deployer's wallet with a gas margin, for the lab's writes: the pool's TWAP accumulator, the market's accrual and
 * the oracle's timestamp write storage only when the block's time has moved, which an estimate made against the
 * latest block may not see (a seeding `supply` ran out of gas that way). A no-op on `walletFor` wallets, which carry the
 * same margin; a deployer's own viem wallet gets it here.
 */
const labWallet = (ctx: DeployContext) => withGasMargin(ctx.wallet, ctx.client);
/** Where the DeFi lab is deployed. */
const labChain = (chainId: number) => chainId === DEVNET_CHAIN_ID;

/**
 * Compute market parameters. The devnet's windows are seconds so a demo finishes while you watch; elsewhere they
 * leave people time to notice and dispute a wrong result. Amounts are mUSD base units (6 decimals).
 */
export function computeMarketConfig(devnet: boolean) {
  const mUSD = 1_000_000n;
  return {
    minStake: 100n * mUSD,
    slashAmount: 50n * mUSD,
    challengeBond: 10n * mUSD,
    unstakeCooldown: devnet ? 30 : 7 * 86_400,
    heartbeatTTL: devnet ? 300 : 3_600,
    // 10 s on the devnet: long enough for a validator on a loaded machine to re-execute and dispute, short for a demo.
    challengeWindow: devnet ? 10 : 3_600,
    resolutionWindow: devnet ? 30 : 86_400,
    rewardShareBps: 5_000,
  } as const;
}

/** The compute market's own ERC-8004 registration (it requests validations of disputed results as this agent). */
export const COMPUTE_MARKET_AGENT_URI = 'data:application/json,{"name":"Machina compute market","description":"Requests validations of disputed compute results"}';

/**
 * The DeFi lab's parameters: the AdaptivePool's fee bounds and circuit breaker, the LendingMarket's risk
 * parameters and rate curve, and (devnet only) how the lab is seeded. The devnet's TWAP window and breaker
 * cooldown are seconds, so a demo or a test sees the breaker trip and recover while it watches. Amounts are
 * 18-decimal base units; fees and the breaker threshold in ppm; rates, lltv and bonus in WAD.
 */
export function defiMarketConfig(devnet: boolean) {
  const WAD = 10n ** 18n;
  return {
    pool: {
      bounds: { minBaseFee: 500, maxBaseFee: 10_000, maxK: 20_000_000n, maxFee: 60_000 },
      baseFee: 3_000,
      k: 5_000_000n,
      breaker: { threshold: 100_000, window: devnet ? 30 : 1_800, cooldown: devnet ? 20 : 3_600 },
    },
    lending: {
      lltv: (WAD * 8n) / 10n,
      liquidationBonus: (WAD * 5n) / 100n,
      curve: { baseRate: WAD / 50n, slope1: WAD / 10n, slope2: WAD, kink: (WAD * 8n) / 10n },
      bounds: { maxBaseRate: WAD / 10n, maxSlope1: WAD / 2n, maxSlope2: 5n * WAD, minKink: WAD / 2n, maxKink: (WAD * 95n) / 100n },
    },
    /** Devnet seeding: the pool at 100 lUSD per LAB, lenders' supply, and the feed's first price. */
    seed: {
      poolLab: 10_000n * WAD,
      poolDollar: 1_000_000n * WAD,
      lendingSupply: 500_000n * WAD,
      feedPrice: 100n * WAD,
    },
  } as const;
}

/** `ILabOracle.Source.Pool`: the oracle reads the pool's TWAP. */
const ORACLE_SOURCE_POOL = 1;

/** Sends one devnet seeding transaction and waits for it (seeding steps take several). */
async function mined(ctx: DeployContext, hash: `0x${string}`) {
  const r = await ctx.client.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error(`seeding transaction ${hash} reverted`);
  return hash;
}

const entryPointDepositOf = (ctx: DeployContext, account: Address) =>
  ctx.client.readContract({ address: ctx.addresses.EntryPoint!, abi: machinaEntryPointAbi, functionName: 'balanceOf', args: [account] });

export const protocolPlan: DeployPlan = {
  contracts: [
    { name: 'IdentityRegistry', abi: identityRegistryAbi, bytecode: identityRegistryBytecode },
    {
      name: 'ReputationRegistry',
      abi: reputationRegistryAbi,
      bytecode: reputationRegistryBytecode,
      args: ({ addresses, wallet }) => [addresses.IdentityRegistry, wallet.account.address],
    },
    { name: 'ValidationRegistry', abi: validationRegistryAbi, bytecode: validationRegistryBytecode, args: ({ addresses }) => [addresses.IdentityRegistry] },
    { name: 'PaymentReceipts', abi: paymentReceiptsAbi, bytecode: paymentReceiptsBytecode, args: ({ addresses }) => [addresses.IdentityRegistry] },
    {
      name: 'EntryPoint',
      abi: machinaEntryPointAbi,
      bytecode: machinaEntryPointBytecode,
      // Accounts and bundlers everywhere speak to the canonical EntryPoint; deploy our own build only where it is absent.
      existing: async ({ client }) => {
        const code = await client.getCode({ address: CANONICAL_ENTRY_POINT_V08 });
        return code && code !== '0x' ? CANONICAL_ENTRY_POINT_V08 : undefined;
      },
    },
    { name: 'AgentAccountFactory', abi: agentAccountFactoryAbi, bytecode: agentAccountFactoryBytecode, args: ({ addresses }) => [addresses.EntryPoint] },
    {
      name: 'AgentPaymaster',
      abi: agentPaymasterAbi,
      bytecode: agentPaymasterBytecode,
      args: ({ addresses, wallet }) => [addresses.EntryPoint, addresses.AgentAccountFactory, wallet.account.address],
    },
    {
      name: 'SettlementToken',
      abi: settlementTokenAbi,
      bytecode: settlementTokenBytecode,
      // The faucet exists on the devnet only; elsewhere the token's owner mints.
      args: (ctx) => [ctx.wallet.account.address, isDevnet(ctx)],
    },
    {
      name: 'X402Settlement',
      abi: x402SettlementAbi,
      bytecode: x402SettlementBytecode,
      args: ({ addresses }) => [addresses.IdentityRegistry, addresses.SettlementToken],
    },
    // Provenance: batch roots anchored by the node's aggregator, and the dataset/model audit trail.
    { name: 'AnchorRegistry', abi: anchorRegistryAbi, bytecode: anchorRegistryBytecode },
    { name: 'ProvenanceRegistry', abi: provenanceRegistryAbi, bytecode: provenanceRegistryBytecode, args: ({ addresses }) => [addresses.IdentityRegistry] },
    // Compute: staked providers, escrowed jobs, redundant or optimistic verification, slashing.
    {
      name: 'ComputeMarket',
      abi: computeMarketAbi,
      bytecode: computeMarketBytecode,
      args: (ctx) => [
        ctx.addresses.IdentityRegistry,
        ctx.addresses.ValidationRegistry,
        ctx.addresses.SettlementToken,
        computeMarketConfig(isDevnet(ctx)),
        ctx.wallet.account.address,
        ctx.wallet.account.address,
        COMPUTE_MARKET_AGENT_URI,
      ],
    },
    // Data: listings of provenance-registered datasets with consent, licences (its own ERC-721, deployed by it) and
    // royalties routed from models' revenue vaults; compute-to-data jobs are bound to the compute market's jobs.
    {
      name: 'DataMarket',
      abi: dataMarketAbi,
      bytecode: dataMarketBytecode,
      args: ({ addresses }) => [addresses.IdentityRegistry, addresses.ProvenanceRegistry, addresses.ComputeMarket, addresses.SettlementToken],
    },
    // DeFi lab: two lab tokens (LAB collateral = the pool's token0, lUSD debt = token1, open mint: never money), the
    // adaptive AMM, the oracle reading its TWAP (a feed for scenarios), and the lending market pricing liquidations by it.
    // Devnet only: open-mint tokens have no place on a chain with real money (point a pool at real tokens there).
    { name: 'LabAsset', abi: labTokenAbi, bytecode: labTokenBytecode, args: () => ['Machina Lab Asset', 'LAB'], only: labChain },
    { name: 'LabDollar', abi: labTokenAbi, bytecode: labTokenBytecode, args: () => ['Machina Lab Dollar', 'lUSD'], only: labChain },
    {
      name: 'AdaptivePool',
      only: labChain,
      abi: adaptivePoolAbi,
      bytecode: adaptivePoolBytecode,
      args: (ctx) => {
        const c = defiMarketConfig(isDevnet(ctx)).pool;
        const me = ctx.wallet.account.address;
        return [ctx.addresses.LabAsset, ctx.addresses.LabDollar, me, me, c.bounds, c.baseFee, c.k, c.breaker];
      },
    },
    {
      name: 'LabOracle',
      only: labChain,
      abi: labOracleAbi,
      bytecode: labOracleBytecode,
      args: (ctx) => [ctx.addresses.AdaptivePool, ctx.wallet.account.address, ctx.wallet.account.address, ORACLE_SOURCE_POOL],
    },
    {
      name: 'LendingMarket',
      only: labChain,
      abi: lendingMarketAbi,
      bytecode: lendingMarketBytecode,
      args: (ctx) => {
        const c = defiMarketConfig(isDevnet(ctx)).lending;
        const me = ctx.wallet.account.address;
        return [ctx.addresses.LabAsset, ctx.addresses.LabDollar, ctx.addresses.LabOracle, me, me, c.lltv, c.liquidationBonus, c.curve, c.bounds];
      },
    },
  ],
  wiring: [
    {
      description: 'ReputationRegistry accepts PaymentReceipts as a receipt source',
      isDone: ({ client, addresses }) =>
        client.readContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'isReceiptSource', args: [addresses.PaymentReceipts!] }),
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'setReceiptSource', args: [addresses.PaymentReceipts!, true] }),
    },
    {
      description: 'ReputationRegistry accepts X402Settlement receipts (paid x402 requests back verified feedback)',
      isDone: ({ client, addresses }) =>
        client.readContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'isReceiptSource', args: [addresses.X402Settlement!] }),
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'setReceiptSource', args: [addresses.X402Settlement!, true] }),
    },
    {
      description: 'ReputationRegistry accepts ComputeMarket receipts (paid compute jobs back verified feedback)',
      isDone: ({ client, addresses }) =>
        client.readContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'isReceiptSource', args: [addresses.ComputeMarket!] }),
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.ReputationRegistry!, abi: reputationRegistryAbi, functionName: 'setReceiptSource', args: [addresses.ComputeMarket!, true] }),
    },
    {
      // The devnet's node signer (the deployer) re-executes disputed results; elsewhere governance picks arbiters.
      description: 'the devnet names the deployer as the compute market arbiter',
      isDone: async (ctx) =>
        !isDevnet(ctx) ||
        (await ctx.client.readContract({ address: ctx.addresses.ComputeMarket!, abi: computeMarketAbi, functionName: 'arbiters' })).length > 0,
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.ComputeMarket!, abi: computeMarketAbi, functionName: 'setArbiters', args: [[wallet.account.address]] }),
    },
    {
      description: 'the devnet funds the AgentPaymaster deposit at the EntryPoint',
      isDone: async (ctx) => !isDevnet(ctx) || (await entryPointDepositOf(ctx, ctx.addresses.AgentPaymaster!)) > 0n,
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.EntryPoint!, abi: machinaEntryPointAbi, functionName: 'depositTo', args: [addresses.AgentPaymaster!], value: DEVNET_PAYMASTER_DEPOSIT }),
    },
    {
      description: 'the devnet seeds the LAB/lUSD pool (10,000 LAB + 1,000,000 lUSD: 100 lUSD per LAB)',
      isDone: async (ctx) =>
        !isDevnet(ctx) || (await ctx.client.readContract({ address: ctx.addresses.AdaptivePool!, abi: adaptivePoolAbi, functionName: 'totalShares' })) > 0n,
      run: async (ctx) => {
        const { addresses } = ctx;
        const wallet = labWallet(ctx);
        const { poolLab, poolDollar } = defiMarketConfig(true).seed;
        const me = wallet.account.address;
        for (const [token, amount] of [[addresses.LabAsset!, poolLab], [addresses.LabDollar!, poolDollar]] as const) {
          await mined(ctx, await wallet.writeContract({ address: token, abi: labTokenAbi, functionName: 'mint', args: [me, amount] }));
          await mined(ctx, await wallet.writeContract({ address: token, abi: labTokenAbi, functionName: 'approve', args: [addresses.AdaptivePool!, amount] }));
        }
        return wallet.writeContract({ address: addresses.AdaptivePool!, abi: adaptivePoolAbi, functionName: 'addLiquidity', args: [poolLab, poolDollar, 0n, me] });
      },
    },
    {
      description: "the devnet seeds the lending market's supply (500,000 lUSD)",
      isDone: async (ctx) =>
        !isDevnet(ctx) || (await ctx.client.readContract({ address: ctx.addresses.LendingMarket!, abi: lendingMarketAbi, functionName: 'state' })).totalSupplyAssets > 0n,
      run: async (ctx) => {
        const { addresses } = ctx;
        const wallet = labWallet(ctx);
        const { lendingSupply } = defiMarketConfig(true).seed;
        const me = wallet.account.address;
        await mined(ctx, await wallet.writeContract({ address: addresses.LabDollar!, abi: labTokenAbi, functionName: 'mint', args: [me, lendingSupply] }));
        await mined(ctx, await wallet.writeContract({ address: addresses.LabDollar!, abi: labTokenAbi, functionName: 'approve', args: [addresses.LendingMarket!, lendingSupply] }));
        return wallet.writeContract({ address: addresses.LendingMarket!, abi: lendingMarketAbi, functionName: 'supply', args: [lendingSupply, me] });
      },
    },
    {
      description: "the devnet pushes the lab oracle's first feed price (100 lUSD per LAB)",
      isDone: async (ctx) => !isDevnet(ctx) || (await ctx.client.readContract({ address: ctx.addresses.LabOracle!, abi: labOracleAbi, functionName: 'feed' }))[0] > 0n,
      run: (ctx) =>
        labWallet(ctx).writeContract({ address: ctx.addresses.LabOracle!, abi: labOracleAbi, functionName: 'setFeedPrice', args: [defiMarketConfig(true).seed.feedPrice] }),
    },
  ],
};
