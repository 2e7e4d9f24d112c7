// What the node serves about agent wallets (API, MCP, dashboard), as JSON-ready records: big
// integers as decimal strings, addresses checksummed, the native token as the asset `native`.
import type { Address, Hex } from 'viem';
import type { BlockRef, Page } from '../service/types.ts';

export type { Page };

export type WalletAsset = Address | 'native';

/** One account, as lists show it. */
export type WalletSummary = {
  address: Address;
  agentId: string;
  owner: Address;
  guardian: Address;
  frozen: boolean;
  salt: Hex | null;
  created: BlockRef;
  updated: BlockRef;
  /** Agent keys not revoked. */
  activeKeys: number;
  /** Actions queued for the owner, not expired. */
  pendingCount: number;
};

export type SpendLimitView = {
  asset: WalletAsset;
  perTx: string;
  windowCap: string;
  windowSeconds: number;
  /** Above this an action waits for the owner; null = never. */
  escalateAbove: string | null;
};

export type KeyPolicyView = {
  validAfter: number;
  /** 0 = no expiry. */
  validUntil: number;
  rateLimit: { calls: number; windowSeconds: number } | null;
  pendingTtlSeconds: number;
  limits: SpendLimitView[];
  rules: Array<{ target: Address; selector: Hex; selectorName: string | null; conditions: Array<{ param: number; op: string; value: Hex }> }>;
  recipients: Address[];
};

/** What a key moved of an asset in the rolling window ending now, against its caps. */
export type SpendWindow = SpendLimitView & {
  spent: string;
  /** `chain`: the account's spentInWindow view (exact); `index`: summed from indexed spends. */
  source: 'chain' | 'index';
};

export type WalletKeyRecord = {
  key: Address;
  status: 'active' | 'revoked' | 'expired' | 'notYetValid';
  validAfter: number;
  validUntil: number;
  policyHash: Hex;
  set: BlockRef;
  /** Read from the account (keyPolicy); null when the chain could not be read. */
  policy: KeyPolicyView | null;
  spend: SpendWindow[];
};

export type PendingStatus = 'queued' | 'approved' | 'rejected' | 'expired';

export type PendingRecord = {
  account: Address;
  pendingId: string;
  key: Address;
  /** calls: a queued action; signature: a queued token authorization (ERC-1271). */
  kind: 'calls' | 'signature';
  callsHash: Hex;
  /** `expired` also when still queued on chain but past `expiresAt`. */
  status: PendingStatus;
  expiresAt: number;
  queued: BlockRef;
  resolved: BlockRef | null;
};

export type ActivityKind =
  | 'initialized'
  | 'guardian_set'
  | 'frozen'
  | 'unfrozen'
  | 'key_set'
  | 'key_revoked'
  | 'owner_call'
  | 'executed'
  | 'spend'
  | 'refused'
  | 'queued'
  | 'pending_approved'
  | 'pending_rejected'
  | 'pending_expired'
  | 'signature';

export type ActivityRecord = BlockRef & {
  account: Address;
  logIndex: number;
  kind: ActivityKind;
  key: Address | null;
  asset: WalletAsset | null;
  amount: string | null;
  /** Refusals: the reason's name (e.g. WindowCapExceeded). */
  reason: string | null;
  /** The event's arguments (bigints as strings). */
  details: Record<string, unknown>;
};

/** One account with its keys, policies, spend per window and queued actions. */
export type WalletRecord = WalletSummary & {
  keys: WalletKeyRecord[];
  pending: PendingRecord[];
  /** Chain time the record was read at (expiry and windows are relative to it). */
  readAt: number;
};

export type ListWalletsParams = { offset: number; limit: number; owner?: Address | undefined; agentId?: bigint | undefined };

/** Read side of the wallet domain (index, plus the chain for policies and spend). */
export interface WalletQueries {
  listWallets(p: ListWalletsParams): Promise<Page<WalletSummary>>;
  getWallet(address: Address): Promise<WalletRecord | undefined>;
  listPending(address: Address, p: { offset: number; limit: number; status?: PendingStatus | undefined }): Promise<Page<PendingRecord>>;
  listActivity(address: Address, p: { offset: number; limit: number; kind?: ActivityKind | undefined }): Promise<Page<ActivityRecord>>;
}
