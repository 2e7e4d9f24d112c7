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

/** Where ERC-4337 v0.8's EntryPoint lives on every chain that has it (deterministic deployment). */
export const CANONICAL_ENTRY_POINT_V08: Address = '0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108';

/** What the devnet deposits at the EntryPoint for the paymaster, so agents' user operations are sponsored. */
export const DEVNET_PAYMASTER_DEPOSIT = parseEther('10');

const isDevnet = (ctx: DeployContext) => ctx.client.chain.id === DEVNET_CHAIN_ID;

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
  ],
};
