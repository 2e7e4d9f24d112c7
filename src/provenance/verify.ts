// Verifying an anchor receipt: the receipt's fields, the digest recomputed from the file or folder,
// the inclusion proof up to the batch root, and the root's anchor on chain (or, offline, in saved
// block data). Every bad input ends in its own verdict; nothing here throws for a bad receipt.
import { parseEventLogs, type Address, type Hex } from 'viem';
import { anchorRegistryAbi } from '../chain/artifacts/AnchorRegistry.ts';
import type { MachinaPublicClient } from '../chain/clients.ts';
import { formatError } from '../errors/index.ts';
import { getAnchor, verifyOnChain } from './actions.ts';
import { digestLeaf, verifyProof } from './merkle/index.ts';
import { parseReceipt } from './receipt.ts';
import { VERIFY_VERDICTS, type AnchorReceipt, type SavedAnchor, type VerifyResult, type VerifyVerdict } from './types.ts';

export type VerifyReceiptParameters = {
  /** The receipt: parsed JSON, or its text (a truncated text is a malformed receipt, not a crash). */
  receipt: unknown;
  /** The digest the receipt should be for (e.g. recomputed by the caller). */
  digest?: Hex | undefined;
  /** A file to hash: its chunk-tree root must equal the receipt's digest. */
  file?: string | undefined;
  /** A folder to hash: its manifest root must equal the receipt's digest. */
  dir?: string | undefined;
  /** The chain, for online checks. Without it (and not offline) the verdict is `unreachable`. */
  client?: MachinaPublicClient | undefined;
  /** No RPC at all: the root is looked up in `savedAnchors`. */
  offline?: boolean | undefined;
  savedAnchors?: readonly SavedAnchor[] | undefined;
  /** Progress of hashing `file` or `dir`, in bytes. */
  onProgress?: ((done: bigint, total: bigint) => void) | undefined;
};

/** The result, plus the on-chain anchor seen by an online verify (for the offline cache). */
export type VerifyReceiptReturnType = VerifyResult & { receipt?: AnchorReceipt | undefined; anchor?: SavedAnchor | undefined };

type Check = VerifyResult['checks'][number];

/**
 * Verifies an anchor receipt, never throwing for bad input: each failure has its verdict
 * (see VERIFY_VERDICTS for the exit codes) and a message with the numbers.
 * @example
 * const r = await verifyReceipt({ receipt: readFileSync('a.receipt.json', 'utf8'), file: 'a.bin', client })
 * if (!r.ok) console.error(r.verdict, r.message)
 */
export async function verifyReceipt(p: VerifyReceiptParameters): Promise<VerifyReceiptReturnType> {
  const checks: Check[] = [];
  const done = (verdict: VerifyVerdict, message: string, extra: Partial<VerifyReceiptReturnType> = {}): VerifyReceiptReturnType => ({
    verdict,
    ok: verdict === 'valid',
    message,
    checks,
    ...extra,
  });

  let receipt: AnchorReceipt;
  try {
    receipt = parseReceipt(p.receipt);
    checks.push({ name: 'receipt', ok: true });
  } catch (err) {
    const detail = formatError(err);
    checks.push({ name: 'receipt', ok: false, detail });
    return done('malformed-receipt', detail);
  }
  const base = { digest: receipt.digest, root: receipt.batch?.root, receipt };

  // 1. The digest: the receipt must be for this very content.
  const expected = await expectedDigest(p);
  if (expected.error !== undefined) {
    checks.push({ name: 'digest', ok: false, detail: expected.error });
    return done('file-changed', expected.error, base);
  }
  if (expected.digest !== undefined) {
    const same = expected.digest.toLowerCase() === receipt.digest;
    checks.push({ name: 'digest', ok: same, detail: same ? `${expected.what} hashes to ${receipt.digest}` : `${expected.what} hashes to ${expected.digest}, the receipt is for ${receipt.digest}` });
    if (!same) return done('file-changed', `${expected.what} changed since it was anchored: it hashes to ${expected.digest}, the receipt is for ${receipt.digest}`, base);
  }

  if (receipt.status === 'pending' || !receipt.batch || !receipt.anchor) {
    return done('pending', `the receipt is pending: digest ${receipt.digest} was submitted${receipt.node ? ` to ${receipt.node}` : ''} at ${receipt.submittedAt} and not yet anchored (ask again with \`machina anchor --wait\`)`, base);
  }
  const { batch } = receipt;

  // 2. The proof: the digest's leaf must lead to the batch root.
  let proofOk = false;
  try {
    proofOk = verifyProof(batch.root, digestLeaf(receipt.digest), batch.proof);
  } catch {
    proofOk = false;
  }
  checks.push({ name: 'proof', ok: proofOk, detail: `${batch.proof.length} step(s) from leaf ${batch.index} of ${batch.size} to root ${batch.root}` });
  if (!proofOk) return done('proof-invalid', `the inclusion proof (${batch.proof.length} steps, leaf ${batch.index} of ${batch.size}) does not lead from digest ${receipt.digest} to root ${batch.root}`, base);

  // 3. The anchor: on chain, or in saved block data when offline.
  if (p.offline) return checkSaved(receipt, p.savedAnchors ?? [], checks, done, base);
  if (!p.client) {
    checks.push({ name: 'chain', ok: false, detail: 'no chain connection' });
    return done('unreachable', `cannot check root ${batch.root} on chain ${receipt.chainId}: no chain connection (use --offline with saved block data)`, base);
  }
  return checkChain(p.client, receipt as Anchored, checks, done, base);
}

type Anchored = AnchorReceipt & { batch: NonNullable<AnchorReceipt['batch']>; anchor: NonNullable<AnchorReceipt['anchor']> };
type Done = (verdict: VerifyVerdict, message: string, extra?: Partial<VerifyReceiptReturnType>) => VerifyReceiptReturnType;

async function expectedDigest(p: VerifyReceiptParameters): Promise<{ digest?: Hex | undefined; what?: string; error?: string }> {
  try {
    if (p.file !== undefined) {
      const { hashFile } = await import('./hash.ts');
      const d = await hashFile(p.file, p.onProgress ? { onProgress: p.onProgress } : undefined);
      return { digest: d.root, what: `file ${p.file}` };
    }
    if (p.dir !== undefined) {
      const { hashDirectory } = await import('./directory.ts');
      const progress = p.onProgress;
      const m = await hashDirectory(p.dir, progress ? { onProgress: (x) => progress(x.bytes, x.totalBytes) } : undefined);
      return { digest: m.root, what: `folder ${p.dir}` };
    }
  } catch (err) {
    return { error: `cannot hash ${p.file ?? p.dir}: ${formatError(err)}` };
  }
  if (p.digest !== undefined) return { digest: p.digest, what: 'the given digest' };
  return {};
}

function checkSaved(receipt: Anchored | AnchorReceipt, saved: readonly SavedAnchor[], checks: Check[], done: Done, base: Partial<VerifyReceiptReturnType>): VerifyReceiptReturnType {
  const { batch, anchor } = receipt as Anchored;
  const sameRoot = saved.filter((s) => s.root.toLowerCase() === batch.root);
  const match = sameRoot.find((s) => s.chainId === receipt.chainId && s.registry.toLowerCase() === receipt.registry.toLowerCase());
  if (!match) {
    if (sameRoot.length > 0) {
      const other = sameRoot[0]!;
      checks.push({ name: 'saved-anchor', ok: false, detail: `root saved for chain ${other.chainId} registry ${other.registry}` });
      return done('wrong-chain', `root ${batch.root} is saved as anchored on chain ${other.chainId} at ${other.registry}, but the receipt names chain ${receipt.chainId} at ${receipt.registry}`, base);
    }
    checks.push({ name: 'saved-anchor', ok: false, detail: `${saved.length} saved anchor(s), none with this root` });
    return done('root-not-anchored', `root ${batch.root} is not in the saved block data (${saved.length} anchor(s) of ${new Set(saved.map((s) => s.chainId)).size} chain(s)); refresh it with \`machina anchors\` while online`, base);
  }
  const diffs = anchorDiffs(anchor, { blockNumber: BigInt(match.blockNumber), timestamp: match.timestamp, submitter: match.submitter, blockHash: match.blockHash, txHash: match.txHash });
  checks.push({ name: 'saved-anchor', ok: diffs.length === 0, detail: diffs.length ? diffs.join('; ') : `anchored in block ${match.blockNumber} at ${iso(match.timestamp)} by ${match.submitter}` });
  if (diffs.length) return done('anchor-mismatch', `the saved anchor of root ${batch.root} differs from the receipt: ${diffs.join('; ')}`, base);
  return done('valid', `valid (offline): digest ${receipt.digest} is in root ${batch.root}, anchored in block ${match.blockNumber} at ${iso(match.timestamp)} by ${match.submitter} (saved block data)`, { ...base, anchoredAt: match.timestamp });
}

type SeenAnchor = { blockNumber: bigint; timestamp: number; submitter: Address; blockHash?: Hex | undefined; txHash?: Hex | undefined };

function anchorDiffs(receipt: Anchored['anchor'], seen: SeenAnchor): string[] {
  const d: string[] = [];
  if (BigInt(receipt.blockNumber) !== seen.blockNumber) d.push(`block ${seen.blockNumber}, the receipt says ${receipt.blockNumber}`);
  if (receipt.timestamp !== seen.timestamp) d.push(`time ${seen.timestamp} (${iso(seen.timestamp)}), the receipt says ${receipt.timestamp}`);
  if (receipt.submitter.toLowerCase() !== seen.submitter.toLowerCase()) d.push(`submitter ${seen.submitter}, the receipt says ${receipt.submitter}`);
  if (seen.blockHash && receipt.blockHash.toLowerCase() !== seen.blockHash.toLowerCase()) d.push(`block hash ${seen.blockHash}, the receipt says ${receipt.blockHash}`);
  if (seen.txHash && receipt.txHash.toLowerCase() !== seen.txHash.toLowerCase()) d.push(`transaction ${seen.txHash}, the receipt says ${receipt.txHash}`);
  return d;
}

async function checkChain(client: MachinaPublicClient, receipt: Anchored, checks: Check[], done: Done, base: Partial<VerifyReceiptReturnType>): Promise<VerifyReceiptReturnType> {
  const { batch, anchor, registry } = receipt;
  const unreachable = (err: unknown) => {
    checks.push({ name: 'chain', ok: false, detail: formatError(err) });
    return done('unreachable', `cannot reach the chain to check root ${batch.root}: ${formatError(err)}`, base);
  };
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    return unreachable(err);
  }
  if (chainId !== receipt.chainId) {
    checks.push({ name: 'chain', ok: false, detail: `connected to chain ${chainId}` });
    return done('wrong-chain', `the receipt is for chain ${receipt.chainId}, but the connected chain is ${chainId}`, base);
  }
  let onChain: Awaited<ReturnType<typeof getAnchor>>;
  try {
    const code = await client.getCode({ address: registry });
    if (!code || code === '0x') {
      checks.push({ name: 'chain', ok: false, detail: `no contract at ${registry}` });
      return done('wrong-chain', `there is no contract at the receipt's registry ${registry} on chain ${chainId}`, base);
    }
    onChain = await getAnchor(client, { registry, root: batch.root });
  } catch (err) {
    if (isNetworkError(err)) return unreachable(err);
    checks.push({ name: 'chain', ok: false, detail: formatError(err) });
    return done('wrong-chain', `${registry} on chain ${chainId} is not an AnchorRegistry (${formatError(err)})`, base);
  }
  if (!onChain) {
    checks.push({ name: 'chain', ok: false, detail: `root not anchored at ${registry}` });
    return done('root-not-anchored', `root ${batch.root} was never anchored at ${registry} on chain ${chainId}`, base);
  }
  const seen: SeenAnchor = { blockNumber: BigInt(String(onChain.blockNumber)), timestamp: Number(onChain.timestamp), submitter: onChain.submitter };
  let diffs = anchorDiffs(anchor, seen);
  let saved: SavedAnchor | undefined;
  let contractSaysValid = false;
  if (diffs.length === 0) {
    try {
      // The block the receipt names must still be the chain's (no reorg), and its transaction must be
      // the one that anchored this root there.
      const [block, txReceipt, valid] = await Promise.all([
        client.getBlock({ blockNumber: seen.blockNumber }),
        client.getTransactionReceipt({ hash: anchor.txHash }).catch((err: unknown) => {
          if (isNetworkError(err)) throw err;
          return undefined;
        }),
        verifyOnChain(client, { registry, root: batch.root, digest: receipt.digest, proof: batch.proof }),
      ]);
      contractSaysValid = valid;
      const logged = txReceipt
        ? parseEventLogs({ abi: anchorRegistryAbi, eventName: 'RootAnchored', logs: txReceipt.logs.filter((l) => l.address.toLowerCase() === registry.toLowerCase()) }).some((l) => l.args.root.toLowerCase() === batch.root)
        : false;
      diffs = anchorDiffs(anchor, { ...seen, blockHash: block.hash ?? undefined });
      if (!txReceipt) diffs.push(`transaction ${anchor.txHash} does not exist on chain ${chainId}`);
      else if (!logged || txReceipt.blockNumber !== seen.blockNumber) diffs.push(`transaction ${anchor.txHash} did not anchor root ${batch.root} in block ${seen.blockNumber}`);
      if (diffs.length === 0) {
        saved = { root: batch.root, chainId, registry, txHash: anchor.txHash, blockNumber: seen.blockNumber.toString(), blockHash: block.hash!, timestamp: seen.timestamp, submitter: seen.submitter };
      }
    } catch (err) {
      if (isNetworkError(err)) return unreachable(err);
      diffs.push(formatError(err));
    }
  }
  if (diffs.length) {
    checks.push({ name: 'chain', ok: false, detail: diffs.join('; ') });
    return done('anchor-mismatch', `root ${batch.root} is anchored on chain ${chainId}, but not as the receipt says: ${diffs.join('; ')}`, base);
  }
  if (!contractSaysValid) {
    // The local proof check passed, so the contract disagreeing means a different leaf encoding: say so.
    checks.push({ name: 'chain', ok: false, detail: `${registry}.verify returned false` });
    return done('proof-invalid', `the registry ${registry} does not accept the proof of digest ${receipt.digest} under root ${batch.root}`, base);
  }
  checks.push({ name: 'chain', ok: true, detail: `anchored in block ${seen.blockNumber} at ${iso(seen.timestamp)} by ${seen.submitter}; ${registry}.verify accepts the proof` });
  return done('valid', `valid: digest ${receipt.digest} is in root ${batch.root}, anchored on chain ${chainId} in block ${seen.blockNumber} at ${iso(seen.timestamp)} by ${seen.submitter}`, { ...base, anchoredAt: seen.timestamp, anchor: saved });
}

const NETWORK_ERRORS = new Set(['HttpRequestError', 'TimeoutError', 'WebSocketRequestError', 'SocketClosedError']);

/** Whether `err` (or a cause) is the chain not answering, as opposed to the chain answering "no". */
export function isNetworkError(err: unknown): boolean {
  for (let e = err as { name?: string; message?: string; cause?: unknown; code?: string } | undefined, i = 0; e && i < 8; e = e.cause as typeof e, i++) {
    if (NETWORK_ERRORS.has(e.name ?? '') || e.code === 'CHAIN_UNREACHABLE') return true;
    if (/fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up/.test(e.message ?? '')) return true;
  }
  return false;
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString();
}

/** The CLI exit code of a verdict. */
export function verifyExitCode(verdict: VerifyVerdict): number {
  return VERIFY_VERDICTS[verdict];
}
