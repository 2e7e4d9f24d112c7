// Fetching licensed data from a seller's node: a signed request, then a stream of sealed files, each opened with the
// licensee's key and checked before it is kept: its digest against the manifest entry it claims, that entry against
// the dataset root registered on chain (an inclusion proof), that root against the listing's. Files are written
// only inside `outDir`, and only once the whole delivery verified.
import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Address, Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { getDataset } from '../provenance/actions.ts';
import { hashBytes } from '../provenance/hash.ts';
import { manifestLeafBytes } from '../provenance/manifest.ts';
import { verifyProof } from '../provenance/merkle/index.ts';
import type { DataKey } from './crypto.ts';
import { decodeFrames, DELIVERY_CONTENT_TYPE, openFile, openHeader, type ExcludedContributor } from './deliveryFormat.ts';
import { buildDeliveryRequest } from './deliveryRequest.ts';
import { DataDeliveryError, DataVerificationError, InvalidDataInputError } from './errors.ts';
import { readLicence, readListing } from './market.ts';
import { address, bytes32, positiveId } from './terms.ts';

export { buildDeliveryRequest, deliveryMessage, verifyDeliveryRequest, type DeliveryRequest } from './deliveryRequest.ts';

export type DeliveryProgress =
  | { phase: 'request'; licenceId: bigint; listingId: bigint }
  | { phase: 'header'; files: number; excluded: ExcludedContributor[] }
  | { phase: 'file'; path: string; size: number; done: number; total: number };

export type DeliveredFile = { path: string; size: number; fileRoot: Hex; bytes?: Uint8Array };

export type FetchLicensedDataParameters = {
  /** The seller's node, e.g. http://127.0.0.1:8080. */
  nodeUrl: string;
  client: MachinaPublicClient | MachinaWalletClient;
  /** The DataMarket. */
  market: Address;
  /** The ProvenanceRegistry the listing's dataset is registered in. */
  provenance: Address;
  licenceId: bigint;
  /** The licence holder's key (Access), or the bound provider operator's (Training). */
  key: DataKey;
  /** Where to write the files; without it they are returned in memory (`bytes`). */
  outDir?: string;
  onProgress?: (e: DeliveryProgress) => void;
  /** Largest single file accepted (default 256 MiB). */
  maxFileBytes?: number;
  signal?: AbortSignal;
  /** For tests and custom transports; default: global fetch. */
  fetch?: typeof fetch;
};

export type FetchLicensedDataReturnType = {
  listingId: bigint;
  root: Hex;
  files: DeliveredFile[];
  excluded: ExcludedContributor[];
  verified: true;
};

/** A manifest path as a safe relative path: POSIX segments, none empty, `.` or `..`, no NUL or backslash. */
function safeSegments(p: string): string[] {
  const segs = p.split('/');
  if (p.startsWith('/') || p.includes('\0') || p.includes('\\') || segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw new DataVerificationError(p, 'refused: the path would leave the output folder (absolute, "..", empty segment or backslash)');
  }
  return segs;
}

/** Staged writes: each verified file goes to a temporary name beside its target, renamed into place at the end. */
class Staging {
  readonly #root: string;
  #realRoot: string | undefined;
  readonly #staged: { tmp: string; final: string }[] = [];

  constructor(outDir: string) {
    this.#root = path.resolve(outDir);
  }

  async put(p: string, bytes: Uint8Array) {
    const final = path.join(this.#root, ...safeSegments(p));
    if (!final.startsWith(this.#root + path.sep)) throw new DataVerificationError(p, 'refused: the path would leave the output folder');
    await mkdir(path.dirname(final), { recursive: true });
    this.#realRoot ??= await realpath(this.#root);
    // A symbolic link among the folders on the way would lead the write elsewhere.
    const realParent = await realpath(path.dirname(final));
    if (realParent !== this.#realRoot && !realParent.startsWith(this.#realRoot + path.sep)) {
      throw new DataVerificationError(p, 'refused: a folder on its path is a link that leaves the output folder');
    }
    const tmp = `${final}.partial-${randomBytes(6).toString('hex')}`;
    // 'wx' creates a new file and never follows an existing name.
    const fh = await open(tmp, 'wx', 0o600);
    this.#staged.push({ tmp, final });
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
  }

  async commit() {
    for (const s of this.#staged) await rename(s.tmp, s.final);
    this.#staged.length = 0;
  }

  async discard() {
    await Promise.all(this.#staged.map((s) => unlink(s.tmp).catch(() => {})));
    this.#staged.length = 0;
  }
}

async function refusal(res: Response): Promise<DataDeliveryError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
  } catch {
    // Not a JSON error body: the status says enough.
  }
  return new DataDeliveryError(`the node refused the delivery: ${message} (${code})`, { code, status: res.status });
}

/**
 * Asks the seller's node for a licence's data and verifies every file against the chain (the listing's dataset
 * root in the ProvenanceRegistry and each file's manifest entry) before keeping any. Throws DataVerificationError
 * naming the file on any mismatch (nothing is written then), DataDeliveryError when the node refuses or the
 * stream breaks.
 * @example
 * const { files } = await fetchLicensedData({ nodeUrl, client, market, provenance, licenceId: 3n, key, outDir: 'data/licensed' })
 */
export async function fetchLicensedData(p: FetchLicensedDataParameters): Promise<FetchLicensedDataReturnType> {
  const market = address('market', p.market);
  const provenance = address('provenance', p.provenance);
  const licenceId = positiveId('licenceId', p.licenceId);
  if (typeof p.nodeUrl !== 'string' || !/^https?:\/\//.test(p.nodeUrl)) throw new InvalidDataInputError('nodeUrl', `must be an http(s) URL (got ${JSON.stringify(p.nodeUrl)})`);
  if (!p.key || typeof p.key.decrypt !== 'function') throw new InvalidDataInputError('key', 'must be a DataKey (dataKeyFromPrivateKey)');

  const licence = await readLicence(p.client, { market, licenceId });
  if (!licence) throw new InvalidDataInputError('licenceId', `licence ${licenceId} does not exist`);
  const listing = await readListing(p.client, { market, listingId: licence.listingId });
  if (!listing) throw new DataVerificationError('', `listing ${licence.listingId} of licence ${licenceId} does not exist`);
  const dataset = await getDataset(p.client, { registry: provenance, root: listing.root });
  if (!dataset) throw new DataVerificationError('', `the listing's dataset root ${listing.root} is not registered in the ProvenanceRegistry`);
  const root = listing.root.toLowerCase() as Hex;

  p.onProgress?.({ phase: 'request', licenceId, listingId: licence.listingId });
  const body = await requestDelivery({ nodeUrl: p.nodeUrl, key: p.key, chainId: p.client.chain.id, market, listingId: licence.listingId, licenceId, fetch: p.fetch, signal: p.signal });
  return receiveDelivery({ body, root, listingId: licence.listingId, licenceId, key: p.key, outDir: p.outDir, onProgress: p.onProgress, maxFileBytes: p.maxFileBytes });
}

/**
 * Sends the signed delivery request to the node and returns the response's byte stream (after checking the status
 * and the content type). Throws DataDeliveryError with the node's status and code when it refuses.
 * @example
 * const body = await requestDelivery({ nodeUrl, key, chainId, market, listingId: 1n, licenceId: 3n })
 */
export async function requestDelivery(p: {
  nodeUrl: string;
  key: DataKey;
  chainId: number;
  market: Address;
  listingId: bigint;
  licenceId: bigint;
  fetch?: typeof fetch | undefined;
  signal?: AbortSignal | undefined;
}): Promise<AsyncIterable<Uint8Array>> {
  if (typeof p.nodeUrl !== 'string' || !/^https?:\/\//.test(p.nodeUrl)) throw new InvalidDataInputError('nodeUrl', `must be an http(s) URL (got ${JSON.stringify(p.nodeUrl)})`);
  const request = await buildDeliveryRequest(p.key, { chainId: p.chainId, market: p.market, listingId: p.listingId, licenceId: p.licenceId });
  const res = await (p.fetch ?? fetch)(`${p.nodeUrl.replace(/\/+$/, '')}/v1/data/deliveries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: DELIVERY_CONTENT_TYPE },
    body: JSON.stringify(request),
    ...(p.signal ? { signal: p.signal } : {}),
  });
  if (!res.ok) throw await refusal(res);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith(DELIVERY_CONTENT_TYPE)) throw new DataDeliveryError(`the node answered ${type || 'without a content type'}, not ${DELIVERY_CONTENT_TYPE}`, { code: 'DELIVERY_MALFORMED' });
  if (!res.body) throw new DataDeliveryError('the node answered with an empty body', { code: 'DELIVERY_TRUNCATED' });
  return res.body as unknown as AsyncIterable<Uint8Array>;
}

export type ReceiveDeliveryParameters = {
  /** The delivery stream (a response body, or frames in memory). */
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;
  /** The dataset root the chain records for the listing: the only root accepted. */
  root: Hex;
  listingId: bigint;
  licenceId: bigint;
  key: DataKey;
  outDir?: string | undefined;
  onProgress?: ((e: DeliveryProgress) => void) | undefined;
  maxFileBytes?: number | undefined;
};

/**
 * Reads a delivery stream: opens each sealed file with `key`, verifies it against `root` (see `verifyFile`), and
 * writes the files under `outDir` once all verified (or returns them in memory). Throws DataVerificationError naming
 * the file, or DataDeliveryError for a broken stream; nothing is written then.
 * @example
 * const { files } = await receiveDelivery({ body, root: listing.root, listingId, licenceId, key })
 */
export async function receiveDelivery(p: ReceiveDeliveryParameters): Promise<FetchLicensedDataReturnType> {
  const root = bytes32('root', p.root, true);
  const staging = p.outDir === undefined ? undefined : new Staging(p.outDir);
  try {
    const out = await readDelivery(p.body, { root, licenceId: p.licenceId, listingId: p.listingId, key: p.key, staging, onProgress: p.onProgress, maxFileBytes: p.maxFileBytes });
    await staging?.commit();
    return out;
  } catch (err) {
    await staging?.discard();
    throw err;
  }
}

async function readDelivery(
  stream: ReceiveDeliveryParameters['body'],
  ctx: {
    root: Hex;
    licenceId: bigint;
    listingId: bigint;
    key: DataKey;
    staging: Staging | undefined;
    onProgress?: ((e: DeliveryProgress) => void) | undefined;
    maxFileBytes?: number | undefined;
  },
): Promise<FetchLicensedDataReturnType> {
  let header: { files: number; excluded: ExcludedContributor[] } | undefined;
  const files: DeliveredFile[] = [];
  const seen = new Set<string>();
  const limits = ctx.maxFileBytes === undefined ? {} : { maxFileBytes: ctx.maxFileBytes };
  let index = 0;
  for await (const frame of decodeFrames(stream, limits)) {
    index++;
    if (frame.kind === 'error') throw new DataDeliveryError(`the node stopped the delivery: ${frame.error.message} (${frame.error.code})`, { code: frame.error.code });
    if (frame.kind === 'header') {
      if (header) throw new DataDeliveryError('malformed delivery: a second header frame', { code: 'DELIVERY_MALFORMED' });
      const h = openHeader(ctx.key, frame.box);
      if (h.licenceId !== ctx.licenceId.toString() || h.listingId !== ctx.listingId.toString()) {
        throw new DataVerificationError('', `the node sent listing ${h.listingId} / licence ${h.licenceId}, not listing ${ctx.listingId} / licence ${ctx.licenceId}`);
      }
      if (h.root !== ctx.root) throw new DataVerificationError('', `the delivery's manifest root ${h.root} is not the listing's dataset root ${ctx.root} on chain`);
      header = { files: h.files, excluded: h.excluded };
      ctx.onProgress?.({ phase: 'header', files: h.files, excluded: h.excluded });
      continue;
    }
    if (!header) throw new DataDeliveryError('malformed delivery: a file frame before the header', { code: 'DELIVERY_MALFORMED' });
    const { file: f, bytes } = openFile(ctx.key, frame.box, { ...limits, index: index - 1 });
    safeSegments(f.path);
    if (seen.has(f.path)) throw new DataVerificationError(f.path, 'delivered twice');
    seen.add(f.path);
    if (files.length >= header.files) throw new DataVerificationError(f.path, `is more than the ${header.files} files the header announced`);
    verifyFile(ctx.root, f.path, f.size, f.fileRoot, f.proof, bytes);
    await ctx.staging?.put(f.path, bytes);
    files.push({ path: f.path, size: bytes.length, fileRoot: f.fileRoot, ...(ctx.staging ? {} : { bytes }) });
    ctx.onProgress?.({ phase: 'file', path: f.path, size: bytes.length, done: files.length, total: header.files });
  }
  if (!header) throw new DataDeliveryError('the delivery stream ended before its header', { code: 'DELIVERY_TRUNCATED' });
  if (files.length < header.files) throw new DataDeliveryError(`the delivery stream ended after ${files.length} of ${header.files} files`, { code: 'DELIVERY_TRUNCATED' });
  return { listingId: ctx.listingId, root: ctx.root, files, excluded: header.excluded, verified: true };
}

/**
 * Checks one delivered file: its bytes hash to `fileRoot` with `size` bytes, and the manifest entry (path, size,
 * fileRoot) is proven under `root`. Throws DataVerificationError naming the file.
 * @example
 * verifyFile(listing.root, 'north/p-00001.json', bytes.length, fileRoot, proof, bytes)
 */
export function verifyFile(root: Hex, filePath: string, size: number, fileRoot: Hex, proof: readonly Hex[], bytes: Uint8Array): void {
  if (bytes.length !== size) throw new DataVerificationError(filePath, `is ${bytes.length} bytes, but its manifest entry says ${size}`);
  const actual = hashBytes(bytes).root;
  if (actual !== fileRoot.toLowerCase()) throw new DataVerificationError(filePath, `its digest ${actual} is not the manifest entry's ${fileRoot}: the file was altered`);
  const leaf = manifestLeafBytes({ path: filePath, size: String(size), root: actual });
  if (!verifyProof(root, leaf, proof)) throw new DataVerificationError(filePath, `its manifest entry is not in the dataset ${root} registered on chain (the inclusion proof fails)`);
}
