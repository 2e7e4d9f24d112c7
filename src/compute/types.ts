// The off-chain view of the compute market that the matcher works on: what a provider offers and what a job needs,
// with the same fields and units as the compute contract.

/** A registered provider's offer, as last seen on chain. */
export type ProviderOffer = {
  id: bigint;
  /** The provider's ERC-8004 agentId. */
  agentId: bigint;
  /** e.g. `cpu`, `gpu-a100`; compared exactly. */
  deviceKind: string;
  /** Devices offered; also the number of jobs the provider can run at once (its capacity). */
  deviceCount: number;
  memoryMB: number;
  region: string;
  /** Price per unit of work, in settlement-token units. */
  pricePerUnit: bigint;
  /** 0..100 (integer). */
  reputation: number;
  /** Stake not locked by running jobs. */
  stakeFree: bigint;
  /** Last heartbeat, unix seconds. */
  lastSeen: number;
};

/** An open job's resource needs. */
export type JobNeeds = {
  id: bigint;
  deviceKind: string;
  minMemoryMB: number;
  /** '' accepts any region. */
  region: string;
  maxPrice: bigint;
  /** Providers that must each run the job (redundant execution), 1..5. */
  replicas: number;
  minStake: bigint;
};

export type MatchOptions = {
  /** Unix seconds the heartbeats are judged against. */
  now: number;
  /** A provider is alive when `now - lastSeen <= aliveWindow` (seconds). */
  aliveWindow: number;
};

/** Why a job got no providers. Matching is all or nothing: a job that cannot get all its replicas takes no slot. */
export type UnmatchedReason = 'no-eligible-provider' | 'too-few-eligible-providers';

export type MatchOutcome =
  | { jobId: bigint; matched: true; /** Best first; with earlier assignments of the job excluded. */ providers: bigint[] }
  | { jobId: bigint; matched: false; reason: UnmatchedReason; /** Eligible providers with a free slot. */ eligible: number; needed: number };
