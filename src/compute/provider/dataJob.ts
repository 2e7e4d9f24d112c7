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
// indexer still catching up with the binding, the node briefly down) are retried while at least half of the run's
// time budget remains, then end the same way. Nobody else can re-execute such a job (only this key gets the data),
// so validators and arbiters skip it rather than challenge or vote (see validator.ts): the buyer's licences and the
// listing's allowed providers are the trust model of compute-to-data.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Address } from 'viem';
import { dataMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import { MachinaError, formatError } from '../../errors/index.ts';
import type { DataKey } from '../../data/crypto.ts';
import { fetchLicensedData } from '../../data/delivery.ts';
import { patientFeatures } from '../../data/examples/patients.ts';
import { sortByUtf8 } from '../../provenance/manifest.ts';
import { DataJobNotResolvableError, decodeBundle, encodeTensors, isDataReference, parseDataReference, WorkloadError, type DataReference, type FeatureAdapterName } from '../workloads/index.ts';
import { invalidInput } from '../workloads/errors.ts';
import { workBudgetMs } from './execute.ts';

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
  /** Where delivered files are written while they are turned into tensors (a fresh folder per job, removed after). Default: the OS temp folder. */
  workDir?: string | undefined;
  /** How often a licence's binding is read while waiting for it (default 500 ms). */
  pollMs?: number | undefined;
};

const LICENCE_TRAINING = 1;

type LicenceView = { listingId: bigint; kind: number; expiresAt: number; jobId: bigint; providerId: bigint };

async function readLicenceView(client: MachinaPublicClient, market: Address, licenceId: bigint): Promise<LicenceView | null> {
  try {
    const l = (await client.readContract({ address: market, abi: dataMarketAbi, functionName: 'getLicence', args: [licenceId] })) as unknown as {
      listingId: bigint;
      kind: number;
      expiresAt: number | bigint;
      jobId: bigint;
      providerId: bigint;
    };
    if (!l || l.listingId === 0n) return null;
    return { listingId: l.listingId, kind: Number(l.kind), expiresAt: Number(l.expiresAt), jobId: l.jobId, providerId: l.providerId };
  } catch (err) {
    // An unknown licence reverts (UnknownLicence); anything else (a transport error) is not an answer.
    if (/UnknownLicence/.test(formatError(err))) return null;
    throw err;
  }
}

async function allowedProviders(client: MachinaPublicClient, market: Address, listingId: bigint): Promise<bigint[]> {
  const t = (await client.readContract({ address: market, abi: dataMarketAbi, functionName: 'getTerms', args: [listingId] })) as unknown as { allowedProviders: readonly bigint[] };
  return [...t.allowedProviders];
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
  for (const [i, d] of ref.datasets.entries()) {
    const licenceId = BigInt(d.licenceId);
    const lic = await readLicenceView(client, data.market, licenceId);
    if (!lic) return `datasets[${i}]: licence ${licenceId} does not exist`;
    if (lic.listingId !== BigInt(d.listingId)) return `datasets[${i}]: licence ${licenceId} is for listing ${lic.listingId}, not ${d.listingId}`;
    if (lic.kind !== LICENCE_TRAINING) return `datasets[${i}]: licence ${licenceId} is not a training licence`;
    if (lic.expiresAt !== 0 && lic.expiresAt <= now) return `datasets[${i}]: licence ${licenceId} has expired`;
    if (lic.jobId !== 0n && (lic.jobId !== p.job.jobId || lic.providerId !== p.providerId)) return `datasets[${i}]: licence ${licenceId} is bound to job ${lic.jobId} on provider ${lic.providerId}`;
    const allowed = await allowedProviders(client, data.market, lic.listingId);
    if (allowed.length > 0 && !allowed.includes(p.providerId)) return `datasets[${i}]: the terms of listing ${lic.listingId} do not allow provider ${p.providerId}`;
  }
  return null;
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
 * the datasets with the operator's data key, converts the records with the reference's feature adapter, removes
 * the delivered files, and returns the tensor bytes. Throws a deterministic WorkloadError('invalid-input') (→ the
 * failure record) on a refusal that will not change, a non-deterministic error otherwise.
 * @example const tensors = await resolveDataInput(client, data, { job, bundle, input, providerId })
 */
export async function resolveDataInput(client: MachinaPublicClient, data: ProviderDataOptions, p: ResolveDataInputParameters): Promise<Uint8Array> {
  const ref = parseDataReference(p.input);
  if (decodeBundle(p.bundle).kind !== 'train') throw invalidInput('input', 'a data reference feeds a train workload only');
  const pollMs = data.pollMs ?? 500;
  // Refusals that may lift are retried while at least half of the time budget remains (the rest is the run's).
  const reserveMs = Math.max(0, workBudgetMs(p.job.deadline) / 2);
  const retryable = () => workBudgetMs(p.job.deadline) > reserveMs && !p.stopped?.();
  const checkStopped = () => {
    if (p.stopped?.()) throw new DataJobNotResolvableError('the daemon is stopping');
  };

  // 1. Every licence bound to this job on this provider (the buyer binds right after offering: wait for it).
  for (const [i, d] of ref.datasets.entries()) {
    const licenceId = BigInt(d.licenceId);
    for (;;) {
      checkStopped();
      const lic = await readLicenceView(client, data.market, licenceId);
      if (!lic) throw refused(i, `licence ${licenceId} does not exist`);
      if (lic.listingId !== BigInt(d.listingId)) throw refused(i, `licence ${licenceId} is for listing ${lic.listingId}, not ${d.listingId}`);
      if (lic.kind !== LICENCE_TRAINING) throw refused(i, `licence ${licenceId} is not a training licence`);
      if (lic.jobId === p.job.jobId && lic.providerId === p.providerId) break;
      if (lic.jobId !== 0n) throw refused(i, `licence ${licenceId} is bound to job ${lic.jobId} on provider ${lic.providerId}`);
      if (!retryable()) throw refused(i, `licence ${licenceId} was not bound to job ${p.job.jobId} in time`);
      await sleep(pollMs);
    }
  }

  // 2. Fetch, convert, delete. Files live only in a private folder for the time of the conversion.
  const dir = await mkdtemp(path.join(data.workDir ?? tmpdir(), 'machina-c2d-'));
  try {
    const order = ref.datasets.map((d, i) => ({ ...d, i })).sort((a, b) => {
      const x = BigInt(a.listingId);
      const y = BigInt(b.listingId);
      return x < y ? -1 : x > y ? 1 : a.i - b.i;
    });
    const examples: Example[] = [];
    for (const d of order) {
      const outDir = path.join(dir, `dataset-${d.i}`);
      let delivered: Awaited<ReturnType<typeof fetchLicensedData>>;
      for (let attempt = 1; ; attempt++) {
        checkStopped();
        try {
          delivered = await fetchLicensedData({ nodeUrl: ref.node, client, market: data.market, provenance: data.provenance, licenceId: BigInt(d.licenceId), key: data.key, outDir });
          break;
        } catch (err) {
          if (isDefinitiveDeliveryError(err)) throw refused(d.i, `the delivered data does not match the registered dataset: ${formatError(err)}`);
          if (!retryable()) throw refused(d.i, `the data node did not deliver licence ${d.licenceId}: ${formatError(err)}`);
          p.onRetry?.(`data delivery (attempt ${attempt}, retrying)`, formatError(err));
          await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)));
        }
      }
      const files = sortByUtf8(
        delivered.files.filter((f) => f.path.toLowerCase().endsWith('.json')),
        (f) => f.path,
      );
      for (const f of files) {
        const bytes = f.bytes ?? (await readFile(path.join(outDir, ...f.path.split('/'))));
        examples.push(...adapt(ref.features, bytes, `input.datasets[${d.i}].records`));
      }
    }
    return examplesToTensors(examples);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The bytes a provider runs for a job: unchanged, or (for a data reference) the resolved train input.
 * @example const bytes = await runnableBytes(client, data, { job, bundle, input, providerId })
 */
export async function runnableBytes(
  client: MachinaPublicClient,
  data: ProviderDataOptions | undefined,
  p: ResolveDataInputParameters,
): Promise<{ bundle: Uint8Array; input: Uint8Array; data: boolean }> {
  if (!isDataReference(p.input)) return { bundle: p.bundle, input: p.input, data: false };
  if (!data) throw new DataJobNotResolvableError('this executor has no data key: a compute-to-data job runs only on the provider its licences are bound to');
  return { bundle: p.bundle, input: await resolveDataInput(client, data, p), data: true };
}
