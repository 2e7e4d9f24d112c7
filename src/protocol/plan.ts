// The Machina protocol: which contracts a deployment holds, in which order, and how they are wired.
// Each domain adds its contracts and wiring here as it lands.
import { parseEther, type Address } from 'viem';
import {
  agentAccountFactoryAbi,
  anchorRegistryAbi,
  anchorRegistryBytecode,
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
      description: 'the devnet funds the AgentPaymaster deposit at the EntryPoint',
      isDone: async (ctx) => !isDevnet(ctx) || (await entryPointDepositOf(ctx, ctx.addresses.AgentPaymaster!)) > 0n,
      run: ({ wallet, addresses }) =>
        wallet.writeContract({ address: addresses.EntryPoint!, abi: machinaEntryPointAbi, functionName: 'depositTo', args: [addresses.AgentPaymaster!], value: DEVNET_PAYMASTER_DEPOSIT }),
    },
  ],
};
