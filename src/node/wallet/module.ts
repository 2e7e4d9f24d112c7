// The wallet domain as a node module: the AgentAccountFactory's AccountCreated events announce
// agent accounts (clones at CREATE2 addresses), whose own events the indexer then follows.
import { agentAccountAbi, agentAccountFactoryAbi } from '../../wallet/abi.ts';
import type { NodeModule } from '../indexer/module.ts';
import { applyWalletBatch } from './handlers.ts';
import { walletMigrations, walletTables } from './schema.ts';

/** Deployment name of the factory the module follows. */
export const WALLET_FACTORY = 'AgentAccountFactory';

/**
 * The wallet module: accounts, agent keys, queued actions and activity of every agent account.
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), walletModule()] })
 */
export function walletModule(): NodeModule {
  return {
    name: 'wallet',
    migrations: walletMigrations,
    contracts: [{ name: WALLET_FACTORY, abi: agentAccountFactoryAbi }],
    children: [{ name: 'AgentAccount', abi: agentAccountAbi, factory: { contract: WALLET_FACTORY, event: 'AccountCreated', parameter: 'account' } }],
    tables: walletTables,
    applyBatch: applyWalletBatch,
  };
}
