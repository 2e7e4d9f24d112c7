// The provenance domain's shared shapes: receipts the aggregator hands out, dataset manifests, and
// the verdicts (with exit codes) that verification and audit return. Formats are versioned JSON so a
// receipt saved today verifies years later.
import type { Address, Hex } from 'viem';

/** The fixed chunk size of the file format (1 MiB): a file's root is a Merkle tree over its chunks' SHA-256. */
export const CHUNK_SIZE = 1 << 20;

/** What a digest stands for, so `verify` knows how to recompute it. */
export type ReceiptSubject =
  | { kind: 'file'; name?: string | undefined; size: string; chunkSize: number }
  | { kind: 'dataset'; name?: string | undefined; files: number; totalBytes: string; chunkSize: number }
  | { kind: 'digest'; name?: string | undefined };

/**
 * A proof that `digest` was anchored on chain. `pending` receipts carry no batch or anchor yet;
 * ask the node again (or `machina anchor --wait`) for the final one.
 */
export type AnchorReceipt = {
  type: 'machina.anchor-receipt';
  version: 1;
  digest: Hex;
  subject?: ReceiptSubject | undefined;
  status: 'pending' | 'anchored';
  /** ISO-8601 time the aggregator accepted the digest. */
  submittedAt: string;
  /** The aggregator's base URL. */
  node?: string | undefined;
  chainId: number;
  /** The AnchorRegistry contract. */
  registry: Address;
  /** Present when anchored: the digest's place in the batch tree (standard tree, leaf = digestLeaf(digest)). */
  batch?: { root: Hex; size: number; index: number; proof: Hex[] } | undefined;
  /** Present when anchored: the transaction and block that anchored `batch.root`. */
  anchor?: { txHash: Hex; blockNumber: string; blockHash: Hex; timestamp: number; submitter: Address } | undefined;
};

/** One file of a dataset manifest. Paths are POSIX, relative, sorted by UTF-8 bytes; sizes are decimal strings. */
export type ManifestEntry = { path: string; size: string; root: Hex };

/** A dataset version's contents. `root` is the standard tree over (string path, uint256 size, bytes32 root) in `files` order. */
export type Manifest = {
  type: 'machina.dataset-manifest';
  version: 1;
  chunkSize: number;
  root: Hex;
  totalBytes: string;
  files: ManifestEntry[];
};

export type ManifestDiff = {
  added: ManifestEntry[];
  removed: ManifestEntry[];
  changed: { path: string; before: ManifestEntry; after: ManifestEntry }[];
  unchanged: number;
};

/** Saved block data for offline verification: the anchored roots a node or chain reported. */
export type SavedAnchor = { root: Hex; chainId: number; registry: Address; txHash: Hex; blockNumber: string; blockHash: Hex; timestamp: number; submitter: Address };

/** Verification verdicts and the CLI exit code of each. Every bad input has its own; none is a crash. */
export const VERIFY_VERDICTS = {
  valid: 0,
  pending: 3,
  'malformed-receipt': 10,
  'file-changed': 11,
  'proof-invalid': 12,
  'wrong-chain': 13,
  'root-not-anchored': 14,
  'anchor-mismatch': 15,
  unreachable: 16,
} as const;
export type VerifyVerdict = keyof typeof VERIFY_VERDICTS;

export type VerifyResult = {
  verdict: VerifyVerdict;
  ok: boolean;
  /** One sentence a person reads: what was checked and what failed, with the numbers. */
  message: string;
  digest?: Hex | undefined;
  root?: Hex | undefined;
  /** Which checks ran: recomputed digest, proof, chain (or saved block data when offline). */
  checks: { name: 'receipt' | 'digest' | 'proof' | 'chain' | 'saved-anchor'; ok: boolean; detail?: string | undefined }[];
  anchoredAt?: number | undefined;
};

/** Audit verdicts and exit codes. The first problem found decides the verdict; `findings` lists all. */
export const AUDIT_VERDICTS = {
  intact: 0,
  'file-tampered': 21,
  'file-missing': 22,
  'manifest-mismatch': 23,
  'dataset-unregistered': 24,
  'signature-invalid': 25,
  'model-unknown': 26,
  'manifest-unavailable': 27,
} as const;
export type AuditVerdict = keyof typeof AUDIT_VERDICTS;

export type AuditFinding = {
  verdict: Exclude<AuditVerdict, 'intact'>;
  message: string;
  model?: Hex | undefined;
  dataset?: { root: Hex; name: string; version: number } | undefined;
  /** The file, for file-tampered / file-missing. */
  path?: string | undefined;
  expected?: Hex | undefined;
  actual?: Hex | undefined;
};

export type AuditReport = {
  verdict: AuditVerdict;
  ok: boolean;
  model: Hex;
  /** Every link walked: models, base models, dataset versions and their parents. */
  links: { kind: 'model' | 'dataset'; id: Hex; name: string; version?: number | undefined; ok: boolean; files?: number | undefined }[];
  findings: AuditFinding[];
};
