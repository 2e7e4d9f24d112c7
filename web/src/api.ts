// The node's HTTP API as the dashboard reads it: typed fetchers over the /v1 routes, and the one error
// shape every route answers with on failure. The record types are the node's own (service/types.ts).
import type { AgentRecord, EventRecord, FeedbackRecord, NodeStats, Page, TrustRecord, ValidationRecord } from '../../src/node/service/types.ts';

import type { ActivityRecord, PendingRecord, WalletRecord, WalletSummary } from '../../src/node/wallet/types.ts';
import type { AnchorReceipt, AuditFinding, AuditReport, Manifest, ManifestDiff, ManifestEntry } from '../../src/provenance/types.ts';

export type { AgentRecord, EventRecord, FeedbackRecord, NodeStats, Page, TrustRecord, ValidationRecord };
export type { ActivityRecord, PendingRecord, WalletRecord, WalletSummary };
export type { AnchorReceipt, AuditFinding, AuditReport, Manifest, ManifestDiff, ManifestEntry };

export type Health = {
  status: 'ok' | 'degraded';
  version: string;
  chainId: number;
  blockNumber: number | null;
  indexedBlock: number | null;
  uptimeSeconds: number;
};

export type Contracts = { chainId: number; contracts: Record<string, { address: string; blockNumber: number }> };

export type EventFilter = { contract?: string; event?: string; agentId?: string };

/** A 4xx/5xx answer from the node: `{"error": {code, message, field}}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** Query string from the defined, non-empty values only. */
function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function getJson<T>(path: string, signal?: AbortSignal, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { signal, ...init, headers: { accept: 'application/json', ...init?.headers } });
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; field?: string | null } } | null;
  if (!res.ok) {
    const e = body?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.field ?? null);
  }
  return body as T;
}

export const api = {
  health: (signal?: AbortSignal) => getJson<Health>('/health', signal),
  contracts: (signal?: AbortSignal) => getJson<Contracts>('/v1/contracts', signal),
  stats: (signal?: AbortSignal) => getJson<NodeStats>('/v1/stats', signal),
  agents: (p: { q?: string; offset?: number; limit?: number; sort?: string; order?: string }, signal?: AbortSignal) =>
    getJson<Page<AgentRecord>>(`/v1/agents${query(p)}`, signal),
  agent: (agentId: string, signal?: AbortSignal) => getJson<AgentRecord>(`/v1/agents/${encodeURIComponent(agentId)}`, signal),
  feedback: (agentId: string, p: { offset?: number; limit?: number; includeRevoked?: boolean }, signal?: AbortSignal) =>
    getJson<Page<FeedbackRecord>>(`/v1/agents/${encodeURIComponent(agentId)}/feedback${query(p)}`, signal),
  validations: (agentId: string, p: { offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<ValidationRecord>>(`/v1/agents/${encodeURIComponent(agentId)}/validations${query(p)}`, signal),
  events: (p: EventFilter & { limit?: number; beforeId?: number; afterId?: number }, signal?: AbortSignal) =>
    getJson<{ items: EventRecord[] }>(`/v1/events${query(p)}`, signal),
};

/** An x402 payment the node took, with its signed receipt (GET /v1/payments). */
export type PaymentRecord = {
  paymentId: string;
  payer: string;
  payTo: string;
  amount: string;
  asset: string;
  network: string;
  status: 'pending' | 'settled' | 'failed' | 'expired';
  txHash: string | null;
  receiptId: string | null;
  batchId: string | null;
  signature: string;
  signer: string;
  resource: string;
};

/** Agent wallets and payments (/v1/wallets, /v1/payments). */
export const walletApi = {
  wallets: (p: { owner?: string; agentId?: string; offset?: number; limit?: number }, signal?: AbortSignal) => getJson<Page<WalletSummary>>(`/v1/wallets${query(p)}`, signal),
  wallet: (address: string, signal?: AbortSignal) => getJson<WalletRecord>(`/v1/wallets/${encodeURIComponent(address)}`, signal),
  pending: (address: string, p: { status?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<PendingRecord>>(`/v1/wallets/${encodeURIComponent(address)}/pending${query(p)}`, signal),
  activity: (address: string, p: { kind?: string; offset?: number; limit?: number }, signal?: AbortSignal) =>
    getJson<Page<ActivityRecord>>(`/v1/wallets/${encodeURIComponent(address)}/activity${query(p)}`, signal),
  /** Approves or rejects a queued action through the node's signer (which must own the account). */
  decide: (address: string, pendingId: string, decision: 'approve' | 'reject') =>
    getJson<{ decision: string; txHash: string }>(`/v1/wallets/${encodeURIComponent(address)}/pending/${encodeURIComponent(pendingId)}/${decision}`, undefined, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }),
  payments: (p: { payer?: string; payTo?: string; status?: string; offset?: number; limit?: number }, signal?: AbortSignal) => getJson<Page<PaymentRecord>>(`/v1/payments${query(p)}`, signal),
};

/** Does a live event pass the event log's filter (the same one the API applies)? */
export function matchesFilter(e: EventRecord, f: EventFilter): boolean {
  return (!f.contract || e.contract === f.contract) && (!f.event || e.event === f.event) && (!f.agentId || e.agentId === f.agentId);
}

// ---------------------------------------------------------------------------------------------
// Provenance (/v1/anchors, /v1/datasets, /v1/models, /v1/lineage): anchored batches, receipts,
// dataset versions with their manifests and diffs, model records, lineage graphs and audits.

/** One anchored batch (the node's AnchorRecord): its Merkle root, how many digests it holds, and the transaction that anchored it. */
export type AnchorBatch = {
  root: string;
  size: string;
  chainId: number;
  registry: string;
  txHash: string;
  blockNumber: string;
  blockHash: string;
  timestamp: number;
  submitter: string;
  /** Only on GET /v1/anchors/{root}, when this node's aggregator built the batch. */
  batch?: { no: number; size: number; sealedAt: string | number; status: string };
  status?: string;
};

export type AnchorsPage = { items: AnchorBatch[]; pending?: number; nextCursor?: string };

/** Where and when the chain recorded a registration. */
export type Registered = { blockNumber: number; txHash: string; timestamp: number };

/** A registered dataset version (the registry's record) as the node indexed it, with the manifest it holds. */
export type DatasetRecord = {
  root: string;
  parent: string | null;
  registrant: string;
  version: number;
  fileCount: string;
  totalBytes: string;
  name: string;
  uri: string;
  registered: Registered;
  hasManifest: boolean;
  location: string | null;
};

export type DatasetsPage = { items: DatasetRecord[]; nextCursor?: string };

/** A registered model: its weights digest (the id), the datasets it was trained on, its trainer. */
export type ModelRecord = {
  weightsDigest: string;
  trainerAgentId: string;
  signer: string;
  configDigest: string;
  metricsDigest: string;
  baseModel: string | null;
  computeJobId: string;
  datasetRoots: string[];
  name: string;
  /** Evaluation metrics, UTF-8 JSON as registered. */
  metrics: string;
  uri: string;
  registered: Registered;
};

export type ModelsPage = { items: ModelRecord[]; nextCursor?: string };

/** Edges run downstream: parent version → derived version, dataset → model trained on it, base model → fine-tuned model. */
export type LineageNode = { id: string; kind: 'dataset' | 'model'; name: string; version?: number; timestamp: number };
export type LineageEdge = { from: string; to: string; kind: 'parent' | 'trained-on' | 'base-model' };
export type Lineage = { nodes: LineageNode[]; edges: LineageEdge[]; truncated?: boolean };

const ZERO32 = /^0x0{64}$/;
/** Null for the zero root the registry uses for "none". */
export function nonZero(h: string | null | undefined): string | null {
  return h && !ZERO32.test(h) ? h : null;
}

const seg = encodeURIComponent;
export const provenanceApi = {
  anchors: (p: { limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<AnchorsPage>(`/v1/anchors${query(p)}`, signal),
  anchor: (root: string, signal?: AbortSignal) => getJson<AnchorBatch>(`/v1/anchors/${seg(root)}`, signal),
  receipt: (digest: string, signal?: AbortSignal) => getJson<AnchorReceipt>(`/v1/anchors/receipts/${seg(digest)}`, signal),
  datasets: (p: { name?: string; limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<DatasetsPage>(`/v1/datasets${query(p)}`, signal),
  dataset: (root: string, signal?: AbortSignal) => getJson<DatasetRecord>(`/v1/datasets/${seg(root)}`, signal),
  manifest: (root: string, signal?: AbortSignal) => getJson<Manifest | { manifest: Manifest; location?: string | null }>(`/v1/datasets/${seg(root)}/manifest`, signal).then(unwrapManifest),
  /** What changed from `before` to `after` (GET /v1/datasets/{before}/diff/{after}). */
  diff: (before: string, after: string, signal?: AbortSignal) => getJson<ManifestDiff>(`/v1/datasets/${seg(before)}/diff/${seg(after)}`, signal),
  models: (p: { limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<ModelsPage>(`/v1/models${query(p)}`, signal),
  model: (id: string, signal?: AbortSignal) => getJson<ModelRecord>(`/v1/models/${seg(id)}`, signal),
  lineage: (id: string, signal?: AbortSignal) => getJson<Lineage>(`/v1/lineage/${seg(id)}`, signal),
  audit: (id: string, signal?: AbortSignal) => getJson<AuditReport>(`/v1/models/${seg(id)}/audit`, signal),
};

function unwrapManifest(m: Manifest | { manifest: Manifest }): Manifest {
  return 'manifest' in m && m.manifest ? m.manifest : (m as Manifest);
}

// ---------------------------------------------------------------------------------------------
// Compute market (/v1/compute/*): staked providers, jobs with their replicas, verification and
// payouts, and market totals. Amounts are decimal strings of settlement-token base units (mUSD, 6
// decimals); digests are 0x-hex bytes32, null until set.

export type JobStatusName = 'none' | 'open' | 'assigned' | 'challenged' | 'completed' | 'failed' | 'cancelled' | 'expired';
export type SlashReasonName = 'wrong-result' | 'challenge-upheld' | 'no-show';

/** A provider as indexed: resources offered, stake, record of work, and what it earned and lost. */
export type ProviderRow = {
  providerId: string;
  /** The provider's ERC-8004 agent id. */
  agentId: string;
  operator: string;
  deviceKind: string;
  region: string;
  deviceCount: number;
  memoryMB: number;
  pricePerUnit: string;
  stake: string;
  /** Stake held for running jobs. */
  locked: string;
  /** 0..100 = 100 * completed / (completed + 3 * slashes + 1). */
  reputation: number;
  completed: number;
  slashes: number;
  slashedAmount: string;
  earned: string;
  activeJobs?: number;
  lastHeartbeat: number;
  live: boolean;
  /** 0, or when the stake may be withdrawn. */
  unstakeAt: number;
  registeredAt?: number;
};

/** One replica slot of a job: who ran it, at what price, what it answered, and how it ended. */
export type AssignmentRow = {
  slot: number;
  providerId: string;
  pricePerUnit: string;
  outputDigest: string | null;
  outputURI: string | null;
  committedAt?: number | null;
  paid: boolean;
  /** What the provider was credited, once paid. */
  amount: string | null;
  receiptId?: string | null;
  slashed: boolean;
  slashAmount?: string | null;
};

/** An arbiter's answer to the market's validation request for a disputed job (response < 50: the provider was wrong). */
export type VoteRow = { requestHash: string; validator: string; response: number | null; vote: 'provider' | 'challenger' | null; respondedAt: number | null };

/** A dispute of an optimistic result. */
export type ChallengeRow = {
  challenger: string;
  claimedDigest: string;
  resolveBy: number;
  openedAt?: number;
  resolved: boolean;
  upheld: boolean | null;
  votesForProvider: number | null;
  votesForChallenger: number | null;
  resolvedAt?: number | null;
  requestHashes?: string[];
  votes: VoteRow[];
};

export type BidRow = { providerId: string; kind: 'bid' | 'offer'; pricePerUnit: string; reputation: number | null; placedAt: number; txHash: string };

export type JobRow = {
  jobId: string;
  poster: string;
  status: JobStatusName;
  mode: 'redundant' | 'optimistic';
  direct: boolean;
  replicas: number;
  units: number;
  maxPricePerUnit: string;
  /** Still held for the job (0 once settled). */
  escrow: string;
  initialEscrow?: string;
  workloadDigest: string;
  inputDigest: string;
  workloadURI: string;
  inputURI: string;
  needs?: { deviceKind: string; minMemoryMB: number; region: string };
  bidWindow?: number;
  deadline: number;
  postedAt: number;
  postedTx?: string;
  finalizedAt: number | null;
  finalizedTx?: string | null;
  acceptedDigest: string | null;
  refund: string | null;
  assignments: AssignmentRow[];
  challenge?: ChallengeRow | null;
};

/** GET /v1/compute/jobs/{id}: the job with its bids (or offers) and slashes. */
export type JobDetail = JobRow & { bids?: BidRow[]; slashes?: SlashRow[] };

export type SlashRow = {
  providerId: string;
  jobId: string;
  reason: SlashReasonName | string;
  amount: string;
  beneficiary: string;
  reward: string;
  txHash: string;
  blockNumber: number;
  timestamp: number;
};

export type ProviderDetail = ProviderRow & { jobs: JobRow[]; slashesList: SlashRow[] };

export type ComputeStats = {
  providers: number;
  liveProviders: number;
  jobs: { total?: number; byStatus: Partial<Record<JobStatusName, number>> };
  /** Credited to providers for accepted results. */
  paid: string;
  slashed: string;
  slashCount: number;
  /** Escrow still held by jobs not settled. */
  escrowOpen: string;
  staked?: string;
};

export type JobsPage = { jobs: JobRow[]; next: string | null };

export const computeApi = {
  providers: (signal?: AbortSignal) => getJson<{ providers: ProviderRow[] }>('/v1/compute/providers', signal),
  provider: (id: string, signal?: AbortSignal) => getJson<ProviderDetail>(`/v1/compute/providers/${seg(id)}`, signal),
  jobs: (p: { status?: string; poster?: string; provider?: string; limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<JobsPage>(`/v1/compute/jobs${query(p)}`, signal),
  job: (id: string, signal?: AbortSignal) => getJson<JobDetail>(`/v1/compute/jobs/${seg(id)}`, signal),
  stats: (signal?: AbortSignal) => getJson<ComputeStats>('/v1/compute/stats', signal),
};

// ---------------------------------------------------------------------------------------------
// Data marketplace (/v1/data/*): listings of registered dataset versions with their terms,
// contributors and consents, licences sold, and model royalties routed back to datasets and their
// contributors. Amounts are decimal strings of settlement-token base units (mUSD, 6 decimals);
// times are unix seconds (0 or null = none); purposes come as names (research, public-health, …).

export type DataLicenceKind = 'access' | 'training';
export type DataCreditReason = 'sale' | 'royalty' | 'model-revenue';

/** A listing's machine-readable usage terms. */
export type DataTerms = {
  accessPrice: string;
  trainingPrice: string;
  /** Share of a trained model's revenue routed back to the dataset, in basis points. */
  royaltyBps: number;
  trainingAllowed: boolean;
  commercialUse: boolean;
  attribution: boolean;
  computeOnly: boolean;
  purposes: string[];
  purposesMask?: number;
  /** No sale after this time and every licence ends by it; 0 = no end. */
  expiry: number;
  /** Seconds a licence is valid after purchase; 0 = until `expiry`. */
  licenceDuration: number;
  termsDigest: string;
  /** Compute providers allowed to train on the data; empty = any. */
  allowedProviders: string[];
};

export type DataConsentState = 'none' | 'given' | 'revoked';

/** A contributor's consent: the document digest and the scope it covers. */
export type DataConsent = {
  state: DataConsentState;
  documentDigest: string | null;
  scope: number | null;
  /** The purposes the scope covers, by name. */
  purposes: string[];
  training: boolean;
  commercial: boolean;
  givenAt: number | null;
  revokedAt: number | null;
};

export type DataContributor = {
  index: number;
  account: string;
  shareBps: number;
  recordsRoot: string;
  consent: DataConsent;
  /** Credited from sales of this listing. */
  earnedSales?: string;
  /** Credited from model royalties of this listing. */
  earnedRoyalties?: string;
};

/** A catalogue row: a listed dataset version with its terms and what it sold. */
export type DataListingRow = {
  listingId: string;
  root: string;
  /** The ProvenanceRegistry dataset name and version (null until the node's provenance index has it). */
  name: string | null;
  version: number | null;
  parentId: string | null;
  owner: string;
  agentOwned: boolean;
  ownerAgentId: string | null;
  active: boolean;
  /** Null until the node has indexed the listing's terms. */
  terms: DataTerms | null;
  contributorCount: number;
  /** Contributors whose consent is in force. */
  consenting: number;
  revoked: number;
  consentEpoch: number;
  /** Licences sold. */
  sales: number;
  /** Licence revenue (sum of prices). */
  revenue: string;
  /** Royalties received from models. */
  royalties: string;
  createdAt: number;
  txHash?: string;
  /** This node holds the listing's records (it can deliver them). */
  hasRecords?: boolean;
};

export type DataListingsPage = { items: DataListingRow[]; nextCursor?: string | null };

/** A version of the listed dataset (provenance lineage), with its listing when it has one. */
export type DataListingVersion = { root: string; name: string | null; version: number | null; listingId: string | null; current?: boolean };

/** A model that pays this listing royalties. */
export type DataListingModel = { weightsDigest: string; name?: string | null; royaltyBps: number; paid: string; agentId?: string };

export type DataListingDetail = DataListingRow & {
  contributors: DataContributor[];
  versions: DataListingVersion[];
  licences?: DataLicenceRow[];
  models?: DataListingModel[];
};

/** A licence (a non-transferable ERC-721) under a listing's terms at purchase. */
export type DataLicenceRow = {
  licenceId: string;
  listingId: string;
  holder: string;
  kind: DataLicenceKind;
  purposes: string[];
  commercial: boolean;
  royaltyBps: number;
  issuedAt: number;
  /** 0 = no end. */
  expiresAt: number;
  consentEpoch: number;
  /** Bit i = contributor i's records are covered (decimal string of the uint256). */
  includedMask: string;
  /** The covered contributors' indexes, when the node spells them out. */
  included?: number[];
  price: string;
  /** Training: compute job and provider it was bound to ('0' / null until bound). */
  jobId: string | null;
  providerId: string | null;
  /** Training: weights digest of the model it was used for (null until used). */
  model: string | null;
  valid: boolean;
  /** The listed dataset's root and name. */
  root?: string | null;
  name?: string | null;
  purposesMask?: number;
  txHash?: string | null;
};

export type DataLicencesPage = { items: DataLicenceRow[]; nextCursor?: string | null };

/** The consent audit: every revocation, with the models trained (registered) before it on the listing's data. */
export type DataAuditModel = { weightsDigest: string; name: string | null; registeredAt: number; trainedOn?: string[]; via?: 'dataset' | 'descendant-dataset' | 'base-model'; royalty?: boolean };
export type DataAudit = {
  listingId: string;
  root?: string;
  name?: string | null;
  /** Models whose lineage holds the listing's data. */
  modelsInLineage?: number;
  revocations: {
    index: number;
    account: string;
    revokedAt: number;
    blockNumber?: number;
    txHash?: string;
    /** Models registered before the revocation whose lineage holds the listing's data. */
    models: DataAuditModel[];
    modelsAfter?: DataAuditModel[];
  }[];
};

/** Credits of one account by reason, and what it withdrew. */
export type DataRoyalties = {
  account: string;
  credited: { sale: string; royalty: string; modelRevenue: string; total: string };
  withdrawn: string;
  /** Credited but not withdrawn. */
  balance: string;
  byListing: { listingId: string; name: string | null; sale: string; royalty: string; modelRevenue: string }[];
  recent: { account: string; listingId: string; reason: DataCreditReason; ref: string; amount: string; at: number; txHash: string }[];
  withdrawals: { to: string; amount: string; at: number; txHash: string }[];
};

/** GET /v1/data/models/{digest}/royalties: where a model's revenue went, to the unit. */
export type DataRoyaltyFlow = {
  weightsDigest: string;
  name?: string | null;
  vault: string;
  agentId: string;
  beneficiary: string;
  /** Cumulative revenue routed. */
  revenue: string;
  toDatasets?: string;
  /** What the beneficiary got: revenue less the datasets' royalties. */
  toBeneficiary: string;
  datasets: {
    listingId: string;
    root?: string | null;
    name?: string | null;
    royaltyBps: number;
    /** Cumulative royalty paid to this dataset. */
    paid: string;
    /** `revoked` is not the node's: the listing page marks it from the listing's consents. */
    contributors: { index: number; account: string; shareBps: number; amount: string; revoked?: boolean }[];
  }[];
  routes?: { amount: string; toDatasets: string; toBeneficiary: string; at: number; txHash: string }[];
  registeredAt?: number;
  txHash?: string;
};

export const dataApi = {
  listings: (p: { q?: string; purpose?: string; owner?: string; limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<DataListingsPage>(`/v1/data/listings${query(p)}`, signal),
  listing: (id: string, signal?: AbortSignal) => getJson<DataListingDetail>(`/v1/data/listings/${seg(id)}`, signal),
  audit: (id: string, signal?: AbortSignal) => getJson<DataAudit>(`/v1/data/listings/${seg(id)}/audit`, signal),
  licences: (p: { holder?: string; listing?: string; limit?: number; cursor?: string }, signal?: AbortSignal) => getJson<DataLicencesPage>(`/v1/data/licences${query(p)}`, signal),
  licence: (id: string, signal?: AbortSignal) => getJson<DataLicenceRow>(`/v1/data/licences/${seg(id)}`, signal),
  royalties: (account: string, signal?: AbortSignal) => getJson<DataRoyalties>(`/v1/data/royalties${query({ account })}`, signal),
  modelRoyalties: (digest: string, signal?: AbortSignal) => getJson<DataRoyaltyFlow>(`/v1/data/models/${seg(digest)}/royalties`, signal),
};

// ---------------------------------------------------------------------------------------------
// The lab (/v1/sim/*): runs and sweeps of the market simulator (`machina sim run`) from the node's run
// store, their headline metrics, charts (the same SVG files as the run's HTML report) and CSV series.

export type { SimChartName, SimFileName, SimRunDetail, SimRunMetrics, SimRunRow } from '../../src/node/sim/runs.ts';
import type { SimChartName, SimFileName, SimRunDetail, SimRunRow } from '../../src/node/sim/runs.ts';

export const simApi = {
  runs: (p: { limit?: number }, signal?: AbortSignal) => getJson<{ runs: SimRunRow[] }>(`/v1/sim/runs${query(p)}`, signal),
  run: (id: string, signal?: AbortSignal) => getJson<SimRunDetail>(`/v1/sim/runs/${seg(id)}`, signal),
  chartUrl: (id: string, name: SimChartName) => `/v1/sim/runs/${seg(id)}/charts/${name}.svg`,
  fileUrl: (id: string, name: SimFileName) => `/v1/sim/runs/${seg(id)}/files/${name}.csv`,
};
