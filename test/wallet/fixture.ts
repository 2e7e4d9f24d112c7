// A test chain for the wallet tests: the protocol deployment (which holds the EntryPoint, the
// AgentAccountFactory, the AgentPaymaster with its devnet deposit and the SettlementToken with its
// faucet), with those addresses at hand.
import type { Address } from 'viem';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

export type WalletChain = TestChain & { entryPoint: Address; factory: Address; paymaster: Address; token: Address; identityRegistry: Address };

export async function startWalletChain(): Promise<WalletChain> {
  const chain = await startTestChain();
  return {
    ...chain,
    entryPoint: chain.address('EntryPoint'),
    factory: chain.address('AgentAccountFactory'),
    paymaster: chain.address('AgentPaymaster'),
    token: chain.address('SettlementToken'),
    identityRegistry: chain.address('IdentityRegistry'),
  };
}
