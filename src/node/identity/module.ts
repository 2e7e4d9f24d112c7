// The identity domain as a node module: ERC-8004 registries in, agents / feedback / validations /
// trust out. The PaymentReceipts contract rides along so its events reach the events table until
// the payments domain brings its own module.
import { identityRegistryAbi, paymentReceiptsAbi, reputationRegistryAbi, validationRegistryAbi } from '../../chain/artifacts/index.ts';
import type { NodeModule } from '../indexer/module.ts';
import { applyIdentityBatch, identityAgentIdOf } from './batch.ts';
import { startRegistrationResolver, type RegistrationResolverOptions } from './resolver.ts';
import { identityMigrations, identityTables } from './schema.ts';

/**
 * The identity module; `resolver` tunes the background fetching of http(s) registration files.
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule()] })
 */
export function identityModule({ resolver }: { resolver?: RegistrationResolverOptions } = {}): NodeModule {
  return {
    name: 'identity',
    migrations: identityMigrations,
    contracts: [
      { name: 'IdentityRegistry', abi: identityRegistryAbi },
      { name: 'ReputationRegistry', abi: reputationRegistryAbi },
      { name: 'ValidationRegistry', abi: validationRegistryAbi },
      { name: 'PaymentReceipts', abi: paymentReceiptsAbi },
    ],
    tables: identityTables,
    agentIdOf: identityAgentIdOf,
    applyBatch: applyIdentityBatch,
    startWorker: (db) => startRegistrationResolver(db, resolver),
  };
}
