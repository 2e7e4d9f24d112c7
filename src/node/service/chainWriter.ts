// The write side over the chain, signing with one local key: used by the node for its own signer
// and by `machina mcp` for the agent's own key. Nothing here returns or logs key material.
import { type Address, type Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { contractAddress, type Deployment } from '../../chain/deployments.ts';
import { registerAgentWithFile } from '../../identity/actions/registerWithFile.ts';
import { giveFeedback, parseFeedbackValue } from '../../identity/actions/feedback.ts';
import { requestValidation } from '../../identity/actions/validation.ts';
import { toDataUri, type RegistrationFile } from '../../identity/registrationFile.ts';
import type { NodeWriter } from './types.ts';
import { createSerialQueue } from '../../chain/serial.ts';

export type ChainWriterParameters = {
  client: MachinaPublicClient;
  wallet: MachinaWalletClient;
  deployment: Deployment;
  /**
   * Where the registration file of an agent registered here will live. Given a node URL, the
   * agentURI points at `{url}/agents/{id}/registration.json` and `host` stores the file there;
   * without, the file travels on chain as a data: URI.
   */
  hosting?: { baseUrl: string; host: (agentId: bigint, file: RegistrationFile) => Promise<void> } | undefined;
};

/**
 * A NodeWriter that sends transactions with `wallet`.
 * @example
 * const writer = createChainWriter({ client, wallet, deployment })
 * const { agentId } = await writer.registerAgent({ name: 'a', description: 'b' })
 */
export function createChainWriter({ client, wallet, deployment, hosting }: ChainWriterParameters): NodeWriter {
  const identityRegistry = contractAddress(deployment, 'IdentityRegistry');
  const reputationRegistry = contractAddress(deployment, 'ReputationRegistry');
  const validationRegistry = contractAddress(deployment, 'ValidationRegistry');

  const uriFor = async (agentId: bigint, file: RegistrationFile) => {
    if (!hosting) return toDataUri(file);
    await hosting.host(agentId, file);
    return `${hosting.baseUrl.replace(/\/$/, '')}/agents/${agentId}/registration.json`;
  };

  // One transaction at a time from this signer: concurrent requests would race for nonces and ids.
  const serial = createSerialQueue();

  return {
    address: wallet.account.address as Address,
    registerAgent: (p) =>
      serial(async () => {
        const r = await registerAgentWithFile(client, wallet, {
          identityRegistry,
          file: { name: p.name, description: p.description, image: p.image, services: p.services ?? [], x402Support: p.x402Support ?? false },
          uriFor,
        });
        return { agentId: r.agentId.toString(), txHash: r.hash, agentURI: r.agentURI };
      }),
    giveFeedback: (p) =>
      serial(async () => {
        const { value, valueDecimals } = parseFeedbackValue(p.value, 'value');
        const r = await giveFeedback(client, wallet, {
          reputationRegistry,
          agentId: p.agentId,
          value,
          valueDecimals,
          tag1: p.tag1,
          tag2: p.tag2,
          endpoint: p.endpoint,
          feedbackURI: p.feedbackURI,
          feedbackHash: p.feedbackHash,
        });
        return { feedbackIndex: Number(r.feedbackIndex), txHash: r.hash };
      }),
    requestValidation: (p) =>
      serial(async () => {
        const r = await requestValidation(client, wallet, { validationRegistry, validator: p.validator, agentId: p.agentId, requestURI: p.requestURI, requestHash: p.requestHash as Hex | undefined });
        return { requestHash: r.requestHash, txHash: r.hash };
      }),
  };
}
