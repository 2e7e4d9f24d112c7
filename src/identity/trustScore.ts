// A trust score that counts evidence, not voices. Every client's feedback is first averaged into one
// opinion, then weighted by what backs that client: interactions proven by an on-chain receipt,
// stake, or its own reputation as an agent. Clients with none of these (fresh addresses, the raw
// material of a Sybil attack) share one small pool of weight, so a thousand of them count for less
// than a single verified customer. The result is shrunk towards a neutral prior, so a handful of
// opinions cannot produce an extreme score.

export type TrustFeedback = {
  client: string;
  /** Feedback value as stored on chain (int128) and its decimals. */
  value: bigint;
  valueDecimals: number;
  revoked: boolean;
  /** True when the registry checked an interaction receipt for this feedback. */
  verified: boolean;
};

export type TrustClientProfile = {
  /** Stake the client has at risk, in units the caller normalises (1 = one full stake unit). */
  stake?: number;
  /** The client's own trust score (0–100) if the client is itself a known agent. */
  reputation?: number;
};

export type TrustScoreOptions = {
  /** Neutral score every agent starts from. */
  prior?: number;
  /** How much evidence the prior is worth, in verified-client units. */
  priorWeight?: number;
  /** Weight of one client that has nothing backing it. */
  unbackedClientWeight?: number;
  /** Ceiling on the total weight of all unbacked clients together. */
  unbackedPoolCap?: number;
};

export type TrustScore = {
  /** 0–100. */
  score: number;
  /** 0–1: how much of the score is evidence rather than prior. */
  confidence: number;
  clients: number;
  verifiedClients: number;
  unbackedClients: number;
  feedbackCount: number;
  revokedCount: number;
  /** Total evidence weight, in verified-client units. */
  evidenceWeight: number;
};

export const DEFAULT_TRUST_OPTIONS: Required<TrustScoreOptions> = {
  prior: 50,
  priorWeight: 1,
  unbackedClientWeight: 0.02,
  unbackedPoolCap: 0.25,
};

/** Feedback value on the 0–100 scale the score uses (values outside it are clamped). */
export function normalizeFeedbackValue(value: bigint, valueDecimals: number): number {
  const v = Number(value) / 10 ** valueDecimals;
  return Math.min(100, Math.max(0, v));
}

/**
 * Computes an agent's trust score from its feedback and what is known of each client.
 * @example
 * const { score } = computeTrustScore(feedback, new Map([[client, { stake: 1 }]]))
 */
export function computeTrustScore(
  feedback: readonly TrustFeedback[],
  profiles: ReadonlyMap<string, TrustClientProfile> = new Map(),
  options: TrustScoreOptions = {},
): TrustScore {
  const o = { ...DEFAULT_TRUST_OPTIONS, ...options };
  const profileOf = new Map([...profiles].map(([k, v]) => [k.toLowerCase(), v]));
  const byClient = new Map<string, { sum: number; n: number; receipts: number }>();
  let revokedCount = 0;
  for (const f of feedback) {
    if (f.revoked) {
      revokedCount++;
      continue;
    }
    const key = f.client.toLowerCase();
    const agg = byClient.get(key) ?? { sum: 0, n: 0, receipts: 0 };
    agg.sum += normalizeFeedbackValue(f.value, f.valueDecimals);
    agg.n += 1;
    if (f.verified) agg.receipts += 1;
    byClient.set(key, agg);
  }

  let weighted = 0;
  let weight = 0;
  let unbackedSum = 0;
  let unbackedCount = 0;
  let verifiedClients = 0;
  for (const [client, agg] of byClient) {
    const opinion = agg.sum / agg.n;
    const profile = profileOf.get(client);
    // log2(1 + n): the first proven interaction is worth 1, repeat business adds with diminishing returns.
    const receiptWeight = Math.log2(1 + agg.receipts);
    const stakeWeight = Math.min(1, Math.max(0, profile?.stake ?? 0));
    const reputationWeight = 0.5 * Math.min(1, Math.max(0, (profile?.reputation ?? 0) / 100));
    const w = receiptWeight + stakeWeight + reputationWeight;
    if (agg.receipts > 0) verifiedClients++;
    if (w > 0) {
      weighted += w * opinion;
      weight += w;
    } else {
      unbackedSum += opinion;
      unbackedCount++;
    }
  }
  if (unbackedCount > 0) {
    const poolWeight = Math.min(o.unbackedPoolCap, unbackedCount * o.unbackedClientWeight);
    weighted += poolWeight * (unbackedSum / unbackedCount);
    weight += poolWeight;
  }

  const score = (o.prior * o.priorWeight + weighted) / (o.priorWeight + weight);
  return {
    score: round(score),
    confidence: round(weight / (weight + o.priorWeight), 4),
    clients: byClient.size,
    verifiedClients,
    unbackedClients: unbackedCount,
    feedbackCount: feedback.length - revokedCount,
    revokedCount,
    evidenceWeight: round(weight, 4),
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
