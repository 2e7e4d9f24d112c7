// Registering an agent together with its registration file. The file names the agent's own id
// (registrations[]), which is known only after minting; ids are sequential, so the next id is
// predicted and, if someone else minted first, the URI is rewritten with the id actually received.
import type { Address, Hash } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { buildRegistrationFile, toDataUri, type BuildRegistrationFileParameters, type RegistrationFile } from '../registrationFile.ts';
import { getAgentCount, registerAgent, setAgentURI } from './agents.ts';

export type RegisterAgentWithFileParameters = {
  identityRegistry: Address;
  file: Omit<BuildRegistrationFileParameters, 'registration'>;
  /** Where the file lives; by default it travels on chain as a data: URI. */
  uriFor?: (agentId: bigint, file: RegistrationFile) => Promise<string> | string;
};

export type RegisterAgentWithFileReturnType = { agentId: bigint; owner: Address; agentURI: string; file: RegistrationFile; hash: Hash; blockNumber: bigint };

/**
 * Builds and validates the registration file, mints the agent and points it at the file.
 * @example
 * const { agentId, file } = await registerAgentWithFile(client, wallet, { identityRegistry, file: { name: 'a', description: 'b' } })
 */
export async function registerAgentWithFile(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  { identityRegistry, file: params, uriFor = (_id, f) => toDataUri(f) }: RegisterAgentWithFileParameters,
): Promise<RegisterAgentWithFileReturnType> {
  const build = (agentId: bigint) => buildRegistrationFile({ ...params, registration: { agentId, chainId: client.chain.id, registry: identityRegistry } });
  const predicted = await getAgentCount(client, { identityRegistry });
  let file = build(predicted);
  let agentURI = await uriFor(predicted, file);
  const r = await registerAgent(client, wallet, { identityRegistry, agentURI });
  if (r.agentId !== predicted) {
    file = build(r.agentId);
    agentURI = await uriFor(r.agentId, file);
    await setAgentURI(client, wallet, { identityRegistry, agentId: r.agentId, agentURI });
  }
  return { agentId: r.agentId, owner: r.owner, agentURI, file, hash: r.hash, blockNumber: r.blockNumber };
}
