// Gathers what the trust score needs from the chain: every feedback on the agent and which of it
// an interaction receipt backs. (The node serves the same score from its index.)
import type { Address } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { computeTrustScore, type TrustClientProfile, type TrustScore, type TrustScoreOptions } from '../trustScore.ts';
import { listFeedback } from './feedback.ts';

/**
 * Reads an agent's feedback and computes its Sybil-resistant trust score.
 * @example
 * const { score, confidence } = await getTrustScore(client, { reputationRegistry, agentId: 0n })
 */
export async function getTrustScore(
  client: MachinaPublicClient,
  p: { reputationRegistry: Address; agentId: bigint; profiles?: ReadonlyMap<string, TrustClientProfile>; options?: TrustScoreOptions },
): Promise<TrustScore> {
  const feedback = await listFeedback(client, { reputationRegistry: p.reputationRegistry, agentId: p.agentId, includeRevoked: true });
  return computeTrustScore(
    feedback.map((f) => ({ client: f.client, value: f.value, valueDecimals: f.valueDecimals, revoked: f.revoked, verified: f.receipt !== undefined })),
    p.profiles,
    p.options,
  );
}
