// Compute-to-data on the provider: a job whose input is a `machina-data` reference (workloads/dataRef.ts) trains on
// licensed records that only this provider's operator key may receive. The daemon checks such a job before taking
// it (a direct, single-replica optimistic job; Training licences this provider may be bound to), and at run time
// waits for the licences to be bound to the job, fetches every dataset from the seller's node through
// `fetchLicensedData` (verified against the ProvenanceRegistry), turns the records into the train workload's
// tensors with the named feature adapter (sorted by listing, then path: the same tensors on every run), deletes the
// raw files, and hands the tensors to the ordinary train run. The operator key never appears in a log or an error.
//
// Refusals and slashing. What this provider can know before taking the job (a malformed reference, a licence that
// is not a Training licence, is expired, is bound elsewhere, or whose terms do not allow this provider) makes it
// skip the offer: no slot taken, nothing to lose. Once assigned, a refusal the chain confirms (the licence bound to
// another job or provider, never bound by the buyer in time) or data that fails verification is a deterministic
// failure: the provider commits the canonical failure record (`invalid-input`, naming the dataset) instead of
// holding the slot to the deadline, where the market would slash it as a no-show. Refusals the node might lift (its
// indexer still catching up with the binding, the node briefly down, a delivery that stalls) are retried while at
// least half of the run's time budget remains, then end the same way. The data phase as a whole (waiting for the
// binding and every fetch) has that first half of the budget: a node that trickles bytes (the buyer picks `node`) is
// cut off when it runs out, and so is a delivery larger than the job may bring in (its memory, `needs.minMemoryMB`,
// checked against the datasets' registered sizes before the offer is taken and enforced on the bytes received).
// Deliveries are held in memory only (no plaintext record ever touches the disk); `workDir` folders that an older
// build staged files in and a crash left behind are removed when the daemon starts (sweepDataWorkDir).
//
// The trained weights leave sealed: the reference names the buyer's data public key (`resultKey`), the weights are
// encrypted to it (sealDataOutput) and the committed digest is that of the sealed bytes. A failure record stays
// plain (it names only a code and a field). Nobody else can re-execute such a job (only this key gets the data),
// so validators and arbiters skip it rather than challenge or vote (see validator.ts): the buyer's licences and the
// listing's allowed providers are the trust model of compute-to-data.
import { readdir, realpath, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { Address, Hex } from 'viem';
import { dataMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { MachinaError, formatError } from '../../errors/index.ts';
import { encryptTo, type DataKey } from '../../data/crypto.ts';
import { fetchLicensedData, type FetchLicensedDataParameters, type FetchLicensedDataReturnType } from '../../data/delivery.ts';
import { patientFeatures } from '../../data/examples/patients.ts';
import { readLicence, type LicenceState } from '../../data/market.ts';
import { getDataset } from '../../provenance/actions.ts';
import { sortByUtf8 } from '../../provenance/manifest.ts';
import { DataJobNotResolvableError, decodeBundle, encodeTensors, isDataReference, parseDataReference, sha256Hex, WorkloadError, type DataReference, type FeatureAdapterName } from '../workloads/index.ts';
import { invalidInput } from '../workloads/errors.ts';
import { jobLimits, workBudgetMs, type JobOutcome } from './execute.ts';

export { DataJobNotResolvableError };
import type { PostedJob } from './logs.ts';

/** What a provider needs to run compute-to-data jobs. */
export type ProviderDataOptions = {
  /** The operator's data key (`dataKeyFromPrivateKey(operatorPrivateKey)`): must be the daemon wallet's key. */
  key: DataKey;
  /** DataMarket (licences and their bindings). */
  market: Address;
  /** ProvenanceRegistry (the roots deliveries are verified against). */
  provenance: Address;
  /**
   * The daemon's own data folder. Deliveries are held in memory (never written); staging folders an older build
   * left here after a crash (`machina-c2d-XXXXXX`) are removed when the daemon starts. Never the OS temp folder.
   */
  workDir?: string | undefined;
  /** How often a licence's binding is read while waiting for it (default 500 ms). */
  pollMs?: number | undefined;
  /** Most bytes of data one job may bring in (default and ceiling: the job's memory, needs.minMemoryMB or 256 MB; at most MAX_DATA_BYTES). */
  maxDataBytes?: number | undefined;
  /** A delivery that sends nothing for this long is dropped (and tried again while time remains). Default 30 s. */
  stallMs?: number | undefined;
};

/** The most bytes of data any compute-to-data job brings in, whatever its memory. */
export const MAX_DATA_BYTES = 4 * 1024 ** 3;
/** The most files of data one job brings in. */
export const MAX_DATA_FILES = 200_000;
const DEFAULT_STALL_MS = 30_000;

/**
 * The bytes of data a job may bring in: its memory (needs.minMemoryMB, or the default), at most MAX_DATA_BYTES and
 * the provider's own `maxDataBytes`.
 * @example dataByteCap({ needs: { minMemoryMB: 0 } }, undefined) // 268435456
 */
export function dataByteCap(job: { needs: { minMemoryMB: number } }, data: Pick<ProviderDataOptions, 'maxDataBytes'> | undefined): number {
  const own = data?.maxDataBytes !== undefined && Number.isFinite(data.maxDataBytes) && data.maxDataBytes > 0 ? Math.floor(data.maxDataBytes) : MAX_DATA_BYTES;
  return Math.min(own, MAX_DATA_BYTES, jobLimits(job).memoryMB * 1024 * 1024);
}

type DatasetSize = { files: number; bytes: bigint };

/** The registered size of a listing's dataset (its ProvenanceRegistry entry), or null when it is not registered. */
async function datasetSize(client: MachinaPublicClient, data: ProviderDataOptions, listingId: bigint): Promise<DatasetSize | null> {
  const l = (await client.readContract({ address: data.market, abi: dataMarketAbi, functionName: 'getListing', args: [listingId] })) as unknown as { root: Hex };
  const d = await getDataset(client, { registry: data.provenance, root: l.root });
  return d ? { files: Number(d.fileCount), bytes: BigInt(d.totalBytes) } : null;
}

/**
 * Why the datasets are too large for the job (index of the dataset that passes the cap, and the reason), or null.
 * Sizes are the ones registered in the ProvenanceRegistry; the bytes received are held to them (see guardedFetch).
 */
function sizeRefusal(sizes: readonly DatasetSize[], cap: number, memoryMB: number): { i: number; reason: string } | null {
  let bytes = 0n;
  let files = 0;
  for (const [i, s] of sizes.entries()) {
    bytes += s.bytes;
    files += s.files;
    if (bytes > BigInt(cap)) return { i, reason: `the datasets hold ${bytes} bytes, more than the ${cap} a job with ${memoryMB} MB of memory may bring in (raise needs.minMemoryMB)` };
    if (files > MAX_DATA_FILES) return { i, reason: `the datasets hold ${files} files, more than the ${MAX_DATA_FILES} one job may bring in` };
  }
  return null;
}

async function allowedProviders(client: MachinaPublicClient, market: Address, listingId: bigint): Promise<bigint[]> {
  const t = (await client.readContract({ address: market, abi: dataMarketAbi, functionName: 'getTerms', args: [listingId] })) as unknown as { allowedProviders: readonly bigint[] };
  return [...t.allowedProviders];
}

/** The licence, or null when it does not exist (an unknown licence reverts; anything else, a transport error, throws). */
function licenceOf(client: MachinaPublicClient, market: Address, licenceId: bigint): Promise<LicenceState | null> {
  return licenceId > 0n ? readLicence(client, { market, licenceId }) : Promise.resolve(null);
}

/**
 * Why this provider should not take a compute-to-data job, or null when it can: checked before a bid or an accept,
 * so a job it could never be given the data for is skipped rather than won and failed. Transport errors throw.
 * @example const reason = await dataJobRefusal(client, data, { job, bundle, input, providerId })
 */
export async function dataJobRefusal(
  client: MachinaPublicClient,
  data: ProviderDataOptions | undefined,
  p: { job: PostedJob; bundle: Uint8Array; input: Uint8Array; providerId: bigint },
): Promise<string | null> {
  if (!p.job.direct || p.job.replicas !== 1 || p.job.mode !== 'optimistic') {
    return 'a compute-to-data job is taken only as a direct, single-replica optimistic job (only the licensed provider gets the data)';
  }
  if (!data) return 'compute-to-data job, and this provider has no data key configured';
  let ref: DataReference;
  try {
    ref = parseDataReference(p.input);
  } catch (err) {
    return `invalid data reference: ${formatError(err)}`;
  }
  if (decodeBundle(p.bundle).kind !== 'train') return 'a data reference feeds a train workload only';
  const now = Math.floor(Date.now() / 1000);
  const sizes: DatasetSize[] = [];
  for (const [i, d] of ref.datasets.entries()) {
    const licenceId = BigInt(d.licenceId);
    const lic = await licenceOf(client, data.market, licenceId);
    if (!lic) return `datasets[${i}]: licence ${licenceId} does not exist`;
    if (lic.listingId !== BigInt(d.listingId)) return `datasets[${i}]: licence ${licenceId} is for listing ${lic.listingId}, not ${d.listingId}`;
    if (lic.kind !== 'training') return `datasets[${i}]: licence ${licenceId} is not a training licence`;
    if (lic.expiresAt !== 0 && lic.expiresAt <= now) return `datasets[${i}]: licence ${licenceId} has expired`;
    if (lic.jobId !== null && (lic.jobId !== p.job.jobId || lic.providerId !== p.providerId)) return `datasets[${i}]: licence ${licenceId} is bound to job ${lic.jobId} on provider ${lic.providerId}`;
    const allowed = await allowedProviders(client, data.market, lic.listingId);
    if (allowed.length > 0 && !allowed.includes(p.providerId)) return `datasets[${i}]: the terms of listing ${lic.listingId} do not allow provider ${p.providerId}`;
    const size = await datasetSize(client, data, lic.listingId);
    if (!size) return `datasets[${i}]: the dataset of listing ${lic.listingId} is not registered in the ProvenanceRegistry`;
    sizes.push(size);
  }
  const tooLarge = sizeRefusal(sizes, dataByteCap(p.job, data), jobLimits(p.job).memoryMB);
  return tooLarge ? `datasets[${tooLarge.i}]: ${tooLarge.reason}` : null;
}

/** One example: features and label. */
type Example = { x: number[]; y: number };

/** The feature adapters: one record (parsed JSON) → features and label. */
const ADAPTERS: Record<FeatureAdapterName, (record: Record<string, unknown>) => Example> = {
  'patients-v1': (record) => patientFeatures(record),
};

/** The examples of one delivered file (a record, or a list of records). Throws WorkloadError('invalid-input') naming `field`. */
function adapt(features: FeatureAdapterName, bytes: Uint8Array, field: string): Example[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalidInput(field, 'is not a UTF-8 JSON record');
  }
  const records = Array.isArray(parsed) ? parsed : [parsed];
  return records.map((r, k) => {
    const at = Array.isArray(parsed) ? `${field}[${k}]` : field;
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw invalidInput(at, 'a record must be a JSON object');
    let e: Example;
    try {
      e = ADAPTERS[features](r as Record<string, unknown>);
    } catch (err) {
      throw invalidInput(at, `the ${features} adapter refused the record: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!e || !Array.isArray(e.x) || e.x.length === 0 || !e.x.every((v) => typeof v === 'number' && Number.isFinite(v))) throw invalidInput(at, `the ${features} adapter gave no finite features`);
    if (!Number.isInteger(e.y) || e.y < 0) throw invalidInput(at, `the ${features} adapter gave label ${String(e.y)}, not a class index`);
    return e;
  });
}

/**
 * Examples → the train workload's input: "x" float64 [n, features], "y" int32 [n]. Deterministic in the order given.
 * @example examplesToTensors([{ x: [0.1, 0.2], y: 1 }])
 */
export function examplesToTensors(examples: readonly Example[]): Uint8Array {
  if (examples.length === 0) throw invalidInput('input.datasets', 'no records were delivered (every contributor excluded, or no .json record files)');
  const f = examples[0]!.x.length;
  const x = new Float64Array(examples.length * f);
  const y = new Int32Array(examples.length);
  examples.forEach((e, i) => {
    if (e.x.length !== f) throw invalidInput('input.datasets', `record ${i} has ${e.x.length} features, the first has ${f}`);
    x.set(e.x, i * f);
    y[i] = e.y;
  });
  return encodeTensors([
    { name: 'x', dims: [examples.length, f], data: x },
    { name: 'y', dims: [examples.length], data: y },
  ]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic refusal of dataset `i` (the failure record names the dataset only). */
const refused = (i: number, reason: string) => new WorkloadError('invalid-input', reason, { field: `input.datasets[${i}]` });

/** A delivery failure that retrying will not change: the data does not match what the seller registered. */
function isDefinitiveDeliveryError(err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  const code = err instanceof MachinaError ? err.code : undefined;
  return name === 'DataVerificationError' || code === 'DATA_VERIFICATION_FAILED';
}

/** Why a guarded fetch was cut off: the data phase's time ran out, the node went quiet, it sent too much, the daemon stops. */
class FetchStop extends Error {
  override name = 'FetchStop';
  constructor(
    readonly why: 'time' | 'stall' | 'cap' | 'stopped' | 'done',
    message: string,
  ) {
    super(message);
  }
}

/**
 * One delivery under guard: aborted (request and body) when `signal` fires, when nothing arrives for `stallMs`, or
 * when more than `maxBytes` arrive. Raced against the abort, so a fetch that ignores it is left behind (its stream
 * cancelled, its result dropped: it is in memory only, nothing to clean). Throws the FetchStop when cut off.
 */
async function guardedFetch(
  params: Omit<FetchLicensedDataParameters, 'signal' | 'fetch' | 'outDir'>,
  o: { signal: AbortSignal; maxBytes: number; stallMs: number },
): Promise<FetchLicensedDataReturnType> {
  if (o.signal.aborted) throw o.signal.reason;
  const attempt = new AbortController();
  const stop = (reason: FetchStop) => {
    if (!attempt.signal.aborted) attempt.abort(reason);
  };
  const onOuter = () => stop(o.signal.reason as FetchStop);
  o.signal.addEventListener('abort', onOuter, { once: true });
  let stall: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(stall);
    stall = setTimeout(() => stop(new FetchStop('stall', `the data node sent nothing for ${Math.round(o.stallMs / 1000)} s`)), o.stallMs);
  };
  let received = 0;
  const guarded = (async (url: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    arm();
    const res = await fetch(url, { ...init, signal: attempt.signal });
    clearTimeout(stall);
    if (!res.body) return res;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        arm();
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (err) {
          clearTimeout(stall);
          ctrl.error(attempt.signal.aborted ? attempt.signal.reason : err);
          return;
        }
        clearTimeout(stall);
        if (r.done) return ctrl.close();
        received += r.value.length;
        if (received > o.maxBytes) {
          stop(new FetchStop('cap', `the data node sent more than ${o.maxBytes} bytes`));
          void reader.cancel().catch(() => {});
          return ctrl.error(attempt.signal.reason);
        }
        ctrl.enqueue(r.value);
      },
      cancel(reason) {
        clearTimeout(stall);
        return reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
  const aborted = new Promise<never>((_, reject) => attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true }));
  aborted.catch(() => {});
  const run = fetchLicensedData({ ...params, signal: attempt.signal, fetch: guarded });
  run.catch(() => {});
  try {
    return await Promise.race([run, aborted]);
  } catch (err) {
    const why = attempt.signal.reason;
    throw attempt.signal.aborted && why instanceof FetchStop ? why : err;
  } finally {
    clearTimeout(stall);
    o.signal.removeEventListener('abort', onOuter);
    // Releases the connection whatever happened (a no-op once the body was read to its end).
    stop(new FetchStop('done', 'done'));
  }
}

export type ResolveDataInputParameters = {
  job: PostedJob;
  bundle: Uint8Array;
  /** The job's input: a data reference. */
  input: Uint8Array;
  providerId: bigint;
  /** True once the daemon is stopping (gives up with a non-deterministic error). */
  stopped?: (() => boolean) | undefined;
  /** Retried refusals and transport errors (never key material). */
  onRetry?: ((stage: string, message: string) => void) | undefined;
};

/**
 * The train input of a compute-to-data job: waits for every licence to be bound to this job and provider, fetches
 * the datasets with the operator's data key (in memory, within half the job's time budget and its byte cap),
 * converts the records with the reference's feature adapter, and returns the tensor bytes. Throws a deterministic
 * WorkloadError('invalid-input') (→ the failure record) on a refusal that will not change, or when the data does not
 * arrive in time or is too large; a non-deterministic error otherwise.
 * @example const tensors = await resolveDataInput(client, data, { job, bundle, input, providerId })
 */
export async function resolveDataInput(client: MachinaPublicClient, data: ProviderDataOptions, p: ResolveDataInputParameters): Promise<Uint8Array> {
  const ref = parseDataReference(p.input);
  if (decodeBundle(p.bundle).kind !== 'train') throw invalidInput('input', 'a data reference feeds a train workload only');
  const pollMs = data.pollMs ?? 500;
  const stallMs = data.stallMs ?? DEFAULT_STALL_MS;
  // The data phase (binding, fetching) has the first half of the time budget; the rest is the run's.
  const dataUntil = Date.now() + Math.max(0, workBudgetMs(p.job.deadline) / 2);
  const retryable = () => Date.now() < dataUntil && !p.stopped?.();
  const checkStopped = () => {
    if (p.stopped?.()) throw new DataJobNotResolvableError('the daemon is stopping');
  };

  // 1. Every licence bound to this job on this provider (the buyer binds once the provider accepted: wait for it).
  for (const [i, d] of ref.datasets.entries()) {
    const licenceId = BigInt(d.licenceId);
    for (;;) {
      checkStopped();
      const lic = await licenceOf(client, data.market, licenceId);
      if (!lic) throw refused(i, `licence ${licenceId} does not exist`);
      if (lic.listingId !== BigInt(d.listingId)) throw refused(i, `licence ${licenceId} is for listing ${lic.listingId}, not ${d.listingId}`);
      if (lic.kind !== 'training') throw refused(i, `licence ${licenceId} is not a training licence`);
      if (lic.jobId === p.job.jobId && lic.providerId === p.providerId) break;
      if (lic.jobId !== null) throw refused(i, `licence ${licenceId} is bound to job ${lic.jobId} on provider ${lic.providerId}`);
      if (!retryable()) throw refused(i, `licence ${licenceId} was not bound to job ${p.job.jobId} in time`);
      await sleep(pollMs);
    }
  }

  // 2. The registered sizes, held to the job's cap; each delivery may bring its dataset's bytes plus the framing.
  const cap = dataByteCap(p.job, data);
  const sizes: DatasetSize[] = [];
  for (const [i, d] of ref.datasets.entries()) {
    const size = await datasetSize(client, data, BigInt(d.listingId));
    if (!size) throw refused(i, `the dataset of listing ${d.listingId} is not registered in the ProvenanceRegistry`);
    sizes.push(size);
  }
  const tooLarge = sizeRefusal(sizes, cap, jobLimits(p.job).memoryMB);
  if (tooLarge) throw refused(tooLarge.i, tooLarge.reason);
  const wireAllowance = (s: DatasetSize) => Number(s.bytes) + Math.ceil(Number(s.bytes) / 8) + s.files * 4096 + (1 << 20);

  // 3. Fetch (in memory) and convert, in a fixed order, cut off when the data phase's time runs out or the daemon stops.
  const phase = new AbortController();
  const timer = setTimeout(() => phase.abort(new FetchStop('time', 'the data phase ran out of time')), Math.max(0, dataUntil - Date.now()));
  const watch = setInterval(() => {
    if (p.stopped?.()) phase.abort(new FetchStop('stopped', 'the daemon is stopping'));
  }, 250);
  try {
    const order = ref.datasets.map((d, i) => ({ ...d, i })).sort((a, b) => {
      const x = BigInt(a.listingId);
      const y = BigInt(b.listingId);
      return x < y ? -1 : x > y ? 1 : a.i - b.i;
    });
    const examples: Example[] = [];
    for (const d of order) {
      const maxBytes = wireAllowance(sizes[d.i]!);
      let delivered: FetchLicensedDataReturnType;
      for (let attempt = 1; ; attempt++) {
        checkStopped();
        try {
          delivered = await guardedFetch(
            { nodeUrl: ref.node, client, market: data.market, provenance: data.provenance, licenceId: BigInt(d.licenceId), key: data.key },
            { signal: phase.signal, maxBytes, stallMs },
          );
          break;
        } catch (err) {
          const why = err instanceof FetchStop ? err.why : undefined;
          if (why === 'stopped') throw new DataJobNotResolvableError('the daemon is stopping');
          if (why === 'time') throw refused(d.i, `the data node did not deliver licence ${d.licenceId} within the time for data (half the job's time budget)`);
          if (why === 'cap') throw refused(d.i, `the data node sent more than ${maxBytes} bytes for licence ${d.licenceId}, whose dataset is registered with ${sizes[d.i]!.bytes} bytes in ${sizes[d.i]!.files} files`);
          if (isDefinitiveDeliveryError(err)) throw refused(d.i, `the delivered data does not match the registered dataset: ${formatError(err)}`);
          if (!retryable()) throw refused(d.i, `the data node did not deliver licence ${d.licenceId}: ${formatError(err)}`);
          p.onRetry?.(`data delivery (attempt ${attempt}, retrying)`, formatError(err));
          await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5), Math.max(0, dataUntil - Date.now())));
        }
      }
      const files = sortByUtf8(
        delivered.files.filter((f) => f.path.toLowerCase().endsWith('.json')),
        (f) => f.path,
      );
      for (const f of files) {
        if (!f.bytes) throw new DataJobNotResolvableError(`the delivery of licence ${d.licenceId} gave ${f.path} without its bytes`);
        examples.push(...adapt(ref.features, f.bytes, `input.datasets[${d.i}].records`));
      }
    }
    return examplesToTensors(examples);
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
  }
}

/**
 * The output a compute-to-data job commits: the weights sealed to the buyer's `resultKey` (ECIES, data/crypto.ts),
 * the digest over the sealed bytes. A failure record is committed as it is.
 * @example const sealed = sealDataOutput(outcome, ref.resultKey)
 */
export function sealDataOutput(outcome: JobOutcome, resultKey: Hex): JobOutcome {
  if (outcome.failure) return outcome;
  const output = encryptTo(resultKey, outcome.output);
  return { ...outcome, output, outputDigest: sha256Hex(output) };
}

/** The name of a staging folder older builds made per job (mkdtemp 'machina-c2d-'). */
const STALE_STAGING = /^machina-c2d-[A-Za-z0-9]{6}$/;

/**
 * Removes the staging folders a crashed run left in the daemon's data folder (`workDir`): only its direct entries
 * named like them, inside its real path (a link among them is removed, never followed). The OS temp folder, the
 * home folder and a filesystem root are never swept. Returns the names removed.
 * @example await sweepDataWorkDir('/var/lib/machina/c2d')
 */
export async function sweepDataWorkDir(workDir: string | undefined): Promise<string[]> {
  if (!workDir) return [];
  let root: string;
  try {
    root = await realpath(workDir);
  } catch {
    return []; // not there: nothing left behind
  }
  const shared = await Promise.all([tmpdir(), homedir()].map((d) => realpath(d).catch(() => path.resolve(d))));
  if (root === path.parse(root).root || shared.includes(root)) return [];
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    if (!STALE_STAGING.test(name)) continue;
    const full = path.join(root, name);
    if (path.dirname(full) !== root) continue;
    // rm does not follow a symbolic link: a link is removed, its target left alone.
    await rm(full, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * The bytes a provider runs for a job: unchanged, or (for a data reference) the resolved train input and the key
 * its output is sealed to.
 * @example const bytes = await runnableBytes(client, data, { job, bundle, input, providerId })
 */
export async function runnableBytes(
  client: MachinaPublicClient,
  data: ProviderDataOptions | undefined,
  p: ResolveDataInputParameters,
): Promise<{ bundle: Uint8Array; input: Uint8Array; data: boolean; resultKey?: Hex }> {
  if (!isDataReference(p.input)) return { bundle: p.bundle, input: p.input, data: false };
  if (!data) throw new DataJobNotResolvableError('this executor has no data key: a compute-to-data job runs only on the provider its licences are bound to');
  const { resultKey } = parseDataReference(p.input);
  return { bundle: p.bundle, input: await resolveDataInput(client, data, p), data: true, resultKey };
}
