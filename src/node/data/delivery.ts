// Licensed delivery: a signed request names a licence; the node recovers the requester's public key
// from the signature, decides on the chain (not the index) whether that key may receive the listing's
// records — the holder of a valid Access licence, or the operator of the compute provider a Training
// licence is bound to while that provider runs the job — and streams the records encrypted to that key,
// leaving out the files of contributors the licence does not cover or who revoked their consent since.
import { constants as fsConstants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isAddressEqual, type Address, type Hex } from 'viem';
import { dataMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { readJob, readProvider } from '../../compute/market.ts';
import { verifyDeliveryRequest } from '../../data/deliveryRequest.ts';
import { sealDelivery } from '../../data/deliverySeal.ts';
import { DataDeliveryError, InvalidDataInputError, isDataRevert, LICENCE_KINDS } from '../../data/errors.ts';
import type { TermsStruct } from '../../data/terms.ts';
import { formatError } from '../../errors/index.ts';
import { buildManifest, manifestTree } from '../../provenance/manifest.ts';
import { ApiError } from '../api/errors.ts';
import type { RecordFile } from './queries.ts';

export type AuthorizedDelivery = {
  licenceId: bigint;
  listingId: bigint;
  kind: 'access' | 'training';
  /** The requester: the licence holder (Access) or the bound provider's operator (Training). */
  address: Address;
  publicKey: Hex;
  includedMask: bigint;
  root: Hex;
  contributors: { account: Address }[];
  /** Per contributor: its consent revoked, read on the chain with the licence (what planDelivery leaves out). */
  revoked: boolean[];
  jobId: bigint | null;
  providerId: bigint | null;
};

type LicenceStruct = { listingId: bigint; kind: number; expiresAt: number; includedMask: bigint; jobId: bigint; providerId: bigint };
type ListingStruct = { root: Hex; contributorCount: number };

export type VerifiedDeliveryRequest = Awaited<ReturnType<typeof verifyDeliveryRequest>>;

/**
 * The cheap part of a delivery request, before any chain read: LIB's verifyDeliveryRequest (fields, ids that fit
 * uint256, chain, market, time window, signature), its refusals as ApiErrors naming the field.
 * @example
 * const verified = await checkDeliveryRequest({ client, market, body })
 */
export async function checkDeliveryRequest(p: { client: MachinaPublicClient; market: Address; body: unknown; now?: number | undefined }): Promise<VerifiedDeliveryRequest> {
  try {
    return await verifyDeliveryRequest(p.body, { chainId: p.client.chain.id, market: p.market, now: p.now });
  } catch (err) {
    if (err instanceof InvalidDataInputError) throw new ApiError(400, err.field === 'signature' ? 'INVALID_SIGNATURE' : 'INVALID_ARGUMENT', err.message, err.field);
    if (err instanceof DataDeliveryError) {
      const code = err.code === 'REQUEST_EXPIRED' ? 'STALE_REQUEST' : err.code === 'BAD_SIGNATURE' ? 'INVALID_SIGNATURE' : err.code;
      throw new ApiError(err.status ?? 400, code, `${err.field ? `${err.field}: ` : ''}${err.message}`, err.field);
    }
    throw err;
  }
}

/**
 * Decides on the chain whether the key of a checked request (`verified`, or `body` checked here first) may receive
 * the listing's records; throws the refusal (an ApiError naming the field and the reason) otherwise. A Training
 * licence delivers only to the operator of its bound provider while that provider is assigned the job, and only
 * while the listing's current terms still allow that provider; a compute-only listing never delivers to the
 * licence's holder, even as an operator.
 * @example
 * const auth = await authorizeDelivery({ client, market, computeMarket, body })
 */
export async function authorizeDelivery(p: {
  client: MachinaPublicClient;
  market: Address;
  computeMarket: Address | undefined;
  body?: unknown;
  verified?: VerifiedDeliveryRequest | undefined;
  now?: number | undefined;
}): Promise<AuthorizedDelivery> {
  const { client, market } = p;
  const verified = p.verified ?? (await checkDeliveryRequest({ client, market, body: p.body, now: p.now }));
  const { request: r, address, publicKey } = verified;
  const licenceId = BigInt(r.licenceId);
  const listingId = BigInt(r.listingId);

  // The money and permission decision reads the chain, not the index.
  const read = <T>(functionName: string, args: unknown[], address_ = market) => client.readContract({ address: address_, abi: dataMarketAbi as never, functionName: functionName as never, args: args as never }) as Promise<T>;
  let licence: LicenceStruct;
  try {
    licence = await read<LicenceStruct>('getLicence', [licenceId]);
  } catch (err) {
    if (isDataRevert(err, 'UnknownLicence')) throw new ApiError(404, 'NOT_FOUND', `licence ${licenceId} does not exist`, 'licenceId');
    throw err;
  }
  if (BigInt(licence.listingId) === 0n) throw new ApiError(404, 'NOT_FOUND', `licence ${licenceId} does not exist`, 'licenceId');
  const kind = LICENCE_KINDS[Number(licence.kind)] ?? 'access';
  if (BigInt(licence.listingId) !== listingId) {
    throw new ApiError(409, 'WRONG_LICENCE', `licence ${licenceId} is for listing ${licence.listingId}, not listing ${listingId}`, 'listingId');
  }
  // One round for the rest: each contributor's consent is read as soon as the contributors are known, and a training
  // licence's terms with them. Both are awaited later; a refusal before that drops them (a failed read is never unhandled).
  const contributorsRead = read<readonly { account: Address }[]>('getContributors', [listingId]);
  const consentsRead = contributorsRead.then((cs) => Promise.all(cs.map((_, i) => read<{ revokedAt: number }>('getConsent', [listingId, BigInt(i)]))));
  const termsRead = kind === 'training' ? read<TermsStruct>('getTerms', [listingId]) : undefined;
  consentsRead.catch(() => {});
  termsRead?.catch(() => {});
  const [valid, holder, listing, contributors] = await Promise.all([
    read<boolean>('isLicenceValid', [licenceId]),
    read<Address>('holderOf', [licenceId]),
    read<ListingStruct>('getListing', [listingId]),
    contributorsRead,
  ]);
  if (!valid) {
    const at = Number(licence.expiresAt);
    throw new ApiError(410, 'LICENCE_EXPIRED', `licence ${licenceId} expired${at ? ` at ${new Date(at * 1000).toISOString()} (${at})` : ''}; buy a new one`, 'licenceId');
  }
  let jobId: bigint | null = null;
  let providerId: bigint | null = null;
  if (kind === 'access') {
    if (!isAddressEqual(address, holder)) throw new ApiError(403, 'NOT_LICENSED', `key ${address} holds no licence ${licenceId} (its holder is ${holder})`, 'signature');
  } else {
    jobId = BigInt(licence.jobId);
    providerId = BigInt(licence.providerId);
    if (jobId === 0n) {
      throw new ApiError(409, 'WRONG_LICENCE', `licence ${licenceId} is a training licence not bound to a compute job yet: bind it (bindTrainingRun) to the job; the data then goes to that job's provider only`, 'licenceId');
    }
    if (!p.computeMarket) throw new ApiError(503, 'UNAVAILABLE', 'this node does not know the compute market, which a training delivery is checked against', 'licenceId');
    const [provider, job, terms] = await Promise.all([
      readProvider(client, { market: p.computeMarket, providerId }),
      readJob(client, { market: p.computeMarket, jobId }),
      termsRead!,
    ]);
    if (!provider || !isAddressEqual(provider.operator, address)) {
      const who = isAddressEqual(address, holder) ? ` (it is the holder's; a training licence's data goes to the compute provider, never to the holder)` : '';
      throw new ApiError(403, 'NOT_LICENSED', `key ${address} holds no licence ${licenceId}: training licence ${licenceId} delivers only to the operator of provider ${providerId}, bound to job ${jobId}${who}`, 'signature');
    }
    // The terms now, not at binding: a provider the seller has since removed gets nothing more.
    const allowed = terms.allowedProviders.map((x) => BigInt(x));
    if (allowed.length > 0 && !allowed.includes(providerId)) {
      throw new ApiError(403, 'PROVIDER_NOT_ALLOWED', `provider ${providerId} is no longer allowed by listing ${listingId}'s terms (allowed now: ${allowed.join(', ')}): licence ${licenceId}'s data is not delivered to it`, 'licenceId');
    }
    if (terms.computeOnly && isAddressEqual(provider.operator, holder)) {
      throw new ApiError(403, 'NOT_LICENSED', `listing ${listingId} is compute-only: compute-only data is never delivered to its licensee, and provider ${providerId}'s operator ${provider.operator} holds licence ${licenceId}`, 'signature');
    }
    const assigned = job?.status === 'assigned' && job.assignments.some((a) => a.providerId === providerId);
    if (!assigned) {
      throw new ApiError(409, 'JOB_NOT_RUNNING', `job ${jobId} is ${job?.status ?? 'unknown'}${job?.status === 'assigned' ? ' to another provider' : ''}: licence ${licenceId}'s data is delivered only while provider ${providerId} is assigned the job`, 'licenceId');
    }
  }
  const consents = await consentsRead;
  return {
    licenceId,
    listingId,
    kind,
    address,
    publicKey,
    includedMask: BigInt(licence.includedMask),
    root: (listing.root as Hex).toLowerCase() as Hex,
    contributors: contributors.map((c) => ({ account: c.account })),
    revoked: consents.map((c) => Number(c.revokedAt ?? 0) !== 0),
    jobId,
    providerId,
  };
}

export type DeliveryPlan = {
  files: RecordFile[];
  excluded: { index: number; account: Address; files: number; reason: 'not-covered' | 'revoked' }[];
};

/**
 * Which files go out: those of contributors the licence covers (its includedMask) whose consent is still
 * in force now (read on the chain by authorizeDelivery, with the licence).
 * @example const plan = planDelivery({ auth, files: records.files })
 */
export function planDelivery(p: { auth: AuthorizedDelivery; files: readonly RecordFile[] }): DeliveryPlan {
  const { auth } = p;
  const reasonOf = (i: number): 'not-covered' | 'revoked' | null => {
    if (((auth.includedMask >> BigInt(i)) & 1n) === 0n) return 'not-covered';
    if (auth.revoked[i]) return 'revoked';
    return null;
  };
  const excluded: DeliveryPlan['excluded'] = [];
  auth.contributors.forEach((c, i) => {
    const reason = reasonOf(i);
    if (reason) excluded.push({ index: i, account: c.account, files: p.files.filter((f) => f.contributor === i).length, reason });
  });
  return { files: p.files.filter((f) => reasonOf(f.contributor) === null), excluded };
}

/** Reads one record file under `location` (never outside it, never through a symlink). */
async function readRecord(location: string, rel: string): Promise<Uint8Array> {
  const full = path.resolve(location, rel);
  const inside = path.relative(location, full);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) throw new Error(`${rel} is outside the records folder`);
  const real = await realpath(full);
  if (real !== full) throw new Error(`${rel} leads elsewhere (a symlink)`);
  const fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    return new Uint8Array(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/** Manifest trees of the datasets delivered lately, by root (a tree of 200k files is not rebuilt per request). */
const trees = new Map<string, { manifest: ReturnType<typeof buildManifest>; tree: ReturnType<typeof manifestTree> }>();
const MAX_TREES = 8;

function manifestOf(files: readonly RecordFile[]) {
  const manifest = buildManifest(files.map((f) => ({ path: f.path, size: f.size, root: f.root })));
  const hit = trees.get(manifest.root);
  if (hit) return hit;
  const made = { manifest, tree: manifestTree(manifest) };
  trees.set(manifest.root, made);
  if (trees.size > MAX_TREES) trees.delete(trees.keys().next().value!);
  return made;
}

/**
 * The delivery stream (src/data/deliverySeal.ts): the sealed header, then each file read, checked against its entry
 * and sealed to the requester's key in segments, pulled by the response (backpressure: a slow reader holds one file
 * and a segment or two). `onDone` runs once when the stream ends, fails or is cancelled (it frees the delivery slot).
 * A file that cannot be read or changed ends the stream with an error frame naming its manifest path; the detail
 * (with the node's own paths) goes to `log` only.
 * @example return new Response(deliveryStream({ auth, plan, files: records.files, location }), { headers: { 'content-type': DELIVERY_CONTENT_TYPE } })
 */
export function deliveryStream(p: { auth: AuthorizedDelivery; plan: DeliveryPlan; files: readonly RecordFile[]; location: string; log?: (line: string) => void; onDone?: () => void }): ReadableStream<Uint8Array> {
  const { auth, plan } = p;
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    p.onDone?.();
  };
  let pieces: AsyncGenerator<Uint8Array>;
  try {
    const { manifest, tree } = manifestOf(p.files);
    pieces = sealDelivery({
      listingId: auth.listingId,
      licenceId: auth.licenceId,
      manifest,
      tree,
      paths: plan.files.map((f) => f.path),
      excluded: plan.excluded.map(({ index, account, files }) => ({ index, account, files })),
      publicKey: auth.publicKey,
      read: (entry) => readRecord(p.location, entry.path),
      onFileError: (file, detail) => p.log?.(`data: delivery of licence ${auth.licenceId} stopped at ${file}: ${detail}`),
    });
  } catch (err) {
    done();
    throw err;
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await pieces.next();
          if (next.done) {
            controller.close();
            done();
          } else controller.enqueue(next.value);
        } catch (err) {
          p.log?.(`data: delivery of licence ${auth.licenceId} failed: ${formatError(err)}`);
          controller.error(err);
          done();
        }
      },
      async cancel() {
        done();
        await pieces.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
