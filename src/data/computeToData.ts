// Compute-to-data, the buyer's side: train a model on licensed datasets without ever seeing them. The buyer posts a
// direct, single-replica optimistic train job whose input is a `machina-data` reference (the seller's node, the
// datasets and their Training licences, the feature adapter, and the buyer's data public key), offers it to a
// provider the listings' terms allow, and once that provider accepted binds every licence to the job (from then on
// the seller's node delivers the records to that provider's operator key only). A licence is never bound to a job
// no provider took: when the offer is not taken in time the job is cancelled and the licences stay unused. The
// provider seals the weights to the buyer's key, so the output is public only as ciphertext; trainOnData downloads
// it, opens it with the buyer's DataKey, checks that it decodes as the model's weights and accepts it. Nobody can
// re-run the job without the data, so the check is of form, not of value: the listings' allowed providers are the
// trust placed in who trains.
//
// Resumable: an error after the post names the job; calling trainOnData again with the same parameters and that
// `jobId` continues it (offers only when no offer stands, binds only the licences not yet bound to it).
import { zeroAddress, zeroHash, type Address, type Hex } from 'viem';
import { computeMarketAbi, dataMarketAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { withGasMargin } from '../chain/write.ts';
import { MachinaError, formatError } from '../errors/index.ts';
import { fetchBlob } from '../compute/blobs.ts';
import { findCommittedResult, submitJob } from '../compute/buyer.ts';
import { isComputeRevert } from '../compute/errors.ts';
import { acceptResult, cancelJob, offer, pokeJob, readConfig, readJob, readProvider, TERMINAL_STATUSES, type JobState, type MarketConfig } from '../compute/market.ts';
import { decodeFailureRecord, encodeBundle, encodeDataReference, sha256Hex, validateTrainSpec, WorkloadError, type FeatureAdapterName, type TrainSpec } from '../compute/workloads/index.ts';
import { hashBytes } from '../provenance/hash.ts';
import { BOX_OVERHEAD, type DataKey } from './crypto.ts';
import { InvalidDataInputError } from './errors.ts';
import { decodeWeights } from './inference.ts';
import { bindTrainingRun, readLicence } from './market.ts';

export type TrainOnDataAddresses = { computeMarket: Address; dataMarket: Address; token: Address };

export type TrainOnDataEvent =
  | { type: 'posted'; jobId: bigint; txHash: Hex; escrow: bigint }
  /** Continuing job `jobId` (the `jobId` parameter): its status, and the licences already bound to it. */
  | { type: 'resumed'; jobId: bigint; status: string; bound: bigint[] }
  | { type: 'offered'; jobId: bigint; providerId: bigint; pricePerUnit: bigint; txHash: Hex }
  /** The provider took the job: the licences are bound now. */
  | { type: 'assigned'; jobId: bigint; providerId: bigint }
  | { type: 'bound'; jobId: bigint; licenceId: bigint; txHash: Hex }
  | { type: 'status'; jobId: bigint; status: string; committed: boolean }
  | { type: 'committed'; jobId: bigint; outputDigest: Hex; outputURI: string }
  | { type: 'accepted'; jobId: bigint; txHash: Hex };

export type TrainOnDataParameters = {
  /** The licences' holder; posts, pays and accepts the job. */
  wallet: MachinaWalletClient;
  /**
   * The buyer's data key (`dataKeyFromPrivateKey`): the provider seals the weights to its public key (named in the
   * job's data reference), and only it opens them. Never sent anywhere.
   */
  key: DataKey;
  client: MachinaPublicClient;
  addresses: TrainOnDataAddresses;
  /** The seller's node, which delivers the data to the provider (POST /v1/data/deliveries). */
  nodeUrl: string;
  /** One unused Training licence per dataset, held by `wallet`. */
  licenceIds: bigint[];
  /** The listing of each licence, in the same order (checked against the licences). */
  listingIds: bigint[];
  /** The compute provider to train on: one every listing's terms allow. */
  providerId: bigint;
  train: TrainSpec;
  features: FeatureAdapterName;
  /** Default 300 s. */
  deadlineSeconds?: number | undefined;
  /** Units of work paid (default 1). */
  units?: number | undefined;
  /** The offer per unit (default: the provider's own ask). */
  pricePerUnit?: bigint | undefined;
  /** How often the job is read while waiting (default 250 ms). */
  pollMs?: number | undefined;
  /** How long the provider has to take the offer before the job is cancelled, no licence bound (default: a quarter of the deadline, at most 60 s). */
  acceptWithinSeconds?: number | undefined;
  /**
   * Continue this job (one an earlier call posted and then failed on: its error names it) instead of posting a new
   * one. The other parameters must be the same (the job's input digest is checked).
   */
  jobId?: bigint | undefined;
  onEvent?: ((e: TrainOnDataEvent) => void) | undefined;
};

export type TrainOnDataReturnType = {
  jobId: bigint;
  /** The train workload's output, opened with `key`: tensors w1, b1, w2, b2, loss (read them with `decodeWeights`). */
  weights: Uint8Array;
  /** The provenance digest of the weights (as `machina model register --weights` computes it). */
  weightsDigest: Hex;
  /** The compute market's digest of the output: sha256 of the sealed weights (what the provider committed). */
  outputDigest: Hex;
  metrics: { features: number; hidden: number; classes: number; lossBefore: number | null; lossAfter: number | null };
};

/**
 * Checks every licence before anything is posted: a Training licence of the listing given, held by `holder`, not
 * bound yet, not expired, whose terms allow `providerId`. Throws InvalidDataInputError naming the licence.
 */
async function checkLicences(
  client: MachinaPublicClient,
  p: { market: Address; holder: Address; licenceIds: bigint[]; listingIds: bigint[]; providerId: bigint; jobId?: bigint | undefined },
): Promise<Set<bigint>> {
  const now = Math.floor(Date.now() / 1000);
  const bound = new Set<bigint>();
  for (const [i, licenceId] of p.licenceIds.entries()) {
    const field = `licenceIds[${i}]`;
    const lic = licenceId > 0n ? await readLicence(client, { market: p.market, licenceId }) : null;
    if (!lic || lic.holder === zeroAddress) throw new InvalidDataInputError(field, `licence ${licenceId} does not exist`);
    const holder = lic.holder;
    if (lic.listingId !== p.listingIds[i]) throw new InvalidDataInputError(`listingIds[${i}]`, `licence ${licenceId} is for listing ${lic.listingId}, not ${p.listingIds[i]}`);
    if (lic.kind !== 'training') throw new InvalidDataInputError(field, `licence ${licenceId} is an access licence; compute-to-data needs a training licence`);
    if (holder.toLowerCase() !== p.holder.toLowerCase()) throw new InvalidDataInputError(field, `licence ${licenceId} is held by ${holder}, not by ${p.holder}`);
    if (lic.jobId !== null && p.jobId !== undefined && lic.jobId === p.jobId) {
      if (lic.providerId !== p.providerId) throw new InvalidDataInputError('providerId', `licence ${licenceId} is bound to job ${p.jobId} on provider ${lic.providerId}, not ${p.providerId}`);
      bound.add(licenceId);
      continue;
    }
    if (lic.jobId !== null) throw new InvalidDataInputError(field, `licence ${licenceId} is already bound to job ${lic.jobId} (a training licence covers one run)`);
    const expiresAt = lic.expiresAt;
    if (expiresAt !== 0 && expiresAt <= now) throw new InvalidDataInputError(field, `licence ${licenceId} expired at ${new Date(expiresAt * 1000).toISOString()}`);
    const terms = (await client.readContract({ address: p.market, abi: dataMarketAbi, functionName: 'getTerms', args: [lic.listingId] })) as unknown as { allowedProviders: readonly bigint[] };
    const allowed = [...terms.allowedProviders];
    if (allowed.length > 0 && !allowed.includes(p.providerId)) {
      throw new InvalidDataInputError('providerId', `the terms of listing ${lic.listingId} do not allow provider ${p.providerId} (allowed: ${allowed.join(', ')})`);
    }
  }
  return bound;
}


/** An error after the job was posted, naming it so that a retry continues it (the `jobId` parameter). */
function resumable(err: unknown, jobId: bigint): MachinaError {
  const e = err instanceof MachinaError ? err : undefined;
  return new MachinaError(`${formatError(err)} — job ${jobId} stands: call trainOnData again with the same parameters and jobId ${jobId} to continue it`, {
    code: e?.code ?? 'C2D_INTERRUPTED',
    field: e?.field,
    details: { ...(e?.details ?? {}), jobId: jobId.toString(), resumable: true },
    cause: err,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * Trains `train` on the licensed datasets at provider `providerId` and returns the weights, opened with `key` (see
 * the file comment). Throws InvalidDataInputError before anything is sent when an input or a licence is wrong; a
 * job whose provider committed a failure record (e.g. the data was refused) throws C2D_FAILED naming it, without
 * accepting it; an offer nobody took in time cancels the job (C2D_NOT_ACCEPTED, no licence bound). Any other error
 * after the post names the job (`details.jobId`): pass it back as `jobId` to continue.
 * @example
 * const { weights, weightsDigest } = await trainOnData({ wallet, key, client, addresses, nodeUrl, licenceIds: [3n], listingIds: [1n], providerId: 1n, train: spec, features: 'patients-v1' })
 */
export async function trainOnData(p: TrainOnDataParameters): Promise<TrainOnDataReturnType> {
  if (!Array.isArray(p.licenceIds) || p.licenceIds.length === 0) throw new InvalidDataInputError('licenceIds', 'needs at least one training licence');
  if (!Array.isArray(p.listingIds) || p.listingIds.length !== p.licenceIds.length) throw new InvalidDataInputError('listingIds', `must give the listing of each licence (${p.licenceIds.length}), got ${Array.isArray(p.listingIds) ? p.listingIds.length : 'none'}`);
  if (new Set(p.licenceIds.map(String)).size !== p.licenceIds.length) throw new InvalidDataInputError('licenceIds', 'a licence is listed twice');
  if (typeof p.providerId !== 'bigint' || p.providerId < 1n) throw new InvalidDataInputError('providerId', 'must be a provider id (≥ 1)');
  if (!p.key || typeof p.key.decrypt !== 'function' || typeof p.key.publicKey !== 'string') {
    throw new InvalidDataInputError('key', "required: the buyer's DataKey (dataKeyFromPrivateKey(privateKey)); the provider seals the weights to it and only it opens them");
  }
  if (p.jobId !== undefined && (typeof p.jobId !== 'bigint' || p.jobId < 1n)) throw new InvalidDataInputError('jobId', 'must be the id (≥ 1) of the job an earlier call posted');
  let train: TrainSpec;
  let bundle: Uint8Array;
  let input: Uint8Array;
  try {
    train = validateTrainSpec(p.train);
    bundle = encodeBundle({ kind: 'train', name: 'compute-to-data', train });
    input = encodeDataReference({ node: p.nodeUrl, datasets: p.licenceIds.map((licenceId, i) => ({ listingId: p.listingIds[i]!, licenceId })), features: p.features, resultKey: p.key.publicKey });
  } catch (err) {
    if (err instanceof WorkloadError) {
      const field = err.field === 'input.node' ? 'nodeUrl' : err.field === 'input.features' ? 'features' : err.field === 'input.resultKey' ? 'key' : err.field?.startsWith('train.') ? err.field : (err.field ?? 'train');
      throw new InvalidDataInputError(field, err.message.replace(/^[^:]+: /, ''));
    }
    throw err;
  }
  const need = (name: keyof TrainOnDataAddresses): Address => {
    const a = p.addresses?.[name];
    if (typeof a !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(a)) throw new InvalidDataInputError(`addresses.${name}`, 'must be a contract address');
    return a as Address;
  };
  const market = need('computeMarket');
  const dataMarket = need('dataMarket');
  const token = need('token');
  const holder = p.wallet.account.address;
  const provider = await readProvider(p.client, { market, providerId: p.providerId });
  if (!provider) throw new InvalidDataInputError('providerId', `provider ${p.providerId} is not registered in the compute market`);
  const pricePerUnit = p.pricePerUnit ?? provider.resources.pricePerUnit;

  // A new job, or the one an earlier call posted (same parameters: same workload and input digests).
  let jobId: bigint;
  let bound: Set<bigint>;
  if (p.jobId === undefined) {
    bound = await checkLicences(p.client, { market: dataMarket, holder, licenceIds: p.licenceIds, listingIds: p.listingIds, providerId: p.providerId });
    const posted = await submitJob({
      wallet: p.wallet,
      client: p.client,
      market,
      token,
      workload: bundle,
      input,
      units: p.units ?? 1,
      maxPricePerUnit: pricePerUnit,
      replicas: 1,
      mode: 'optimistic',
      direct: true,
      deadlineSeconds: p.deadlineSeconds ?? 300,
      needs: { deviceKind: provider.resources.deviceKind, minMemoryMB: 0, region: '' },
    });
    jobId = posted.jobId;
    p.onEvent?.({ type: 'posted', jobId, txHash: posted.txHash, escrow: posted.escrow });
  } else {
    jobId = p.jobId;
    const j = await readJob(p.client, { market, jobId });
    if (!j) throw new InvalidDataInputError('jobId', `job ${jobId} does not exist`);
    if (j.poster.toLowerCase() !== holder.toLowerCase()) throw new InvalidDataInputError('jobId', `job ${jobId} was posted by ${j.poster}, not by ${holder}`);
    if (j.workloadDigest.toLowerCase() !== sha256Hex(bundle) || j.inputDigest.toLowerCase() !== sha256Hex(input)) {
      throw new InvalidDataInputError('jobId', `job ${jobId} was posted with another training spec, node, datasets, features or key (its digests differ): continue it with the same parameters`);
    }
    bound = await checkLicences(p.client, { market: dataMarket, holder, licenceIds: p.licenceIds, listingIds: p.listingIds, providerId: p.providerId, jobId });
    p.onEvent?.({ type: 'resumed', jobId, status: j.status, bound: [...bound] });
  }

  const pollMs = p.pollMs ?? 250;
  let job: JobState;
  try {
    // Offer (unless one stands), and wait for the provider to take it; licences are bound only to a taken job.
    job = await untilTaken(p, { market, jobId, pricePerUnit, pollMs, deadlineSeconds: p.deadlineSeconds ?? 300 });
    if (!TERMINAL_STATUSES.includes(job.status) && bound.size < p.licenceIds.length) {
      const gasWallet = withGasMargin(p.wallet, p.client);
      for (const licenceId of p.licenceIds) {
        if (bound.has(licenceId)) continue;
        const b = await bindTrainingRun(gasWallet, { market: dataMarket, licenceId, jobId, providerId: p.providerId });
        bound.add(licenceId);
        p.onEvent?.({ type: 'bound', jobId, licenceId, txHash: b.txHash });
      }
    }

    // Wait for the result (calling the keeper actions that fall due).
    let cfg: MarketConfig | undefined;
    let last = '';
    for (;;) {
      const j = await readJob(p.client, { market, jobId });
      if (!j) throw new MachinaError(`job ${jobId} vanished`, { code: 'NOT_FOUND', field: 'jobId' });
      job = j;
      const committed = !!job.assignments[0]?.outputDigest;
      const key = `${job.status}/${committed}`;
      if (key !== last) {
        last = key;
        p.onEvent?.({ type: 'status', jobId, status: job.status, committed });
      }
      if (committed || TERMINAL_STATUSES.includes(job.status)) break;
      cfg ??= await readConfig(p.client, { market });
      await pokeJob(p.wallet, { market, job, cfg }).catch(() => null);
      if (Date.now() / 1000 > job.deadline + 5) throw new MachinaError(`job ${jobId} is still ${job.status} after its deadline`, { code: 'JOB_TIMEOUT', field: 'jobId' });
      await sleep(pollMs);
    }
  } catch (err) {
    if (err instanceof MachinaError && (err.code === 'C2D_NOT_ACCEPTED' || err.code === 'C2D_FAILED')) throw err;
    throw resumable(err, jobId);
  }

  // The result: sealed to `key`; opened, checked for form, then accepted.
  const outputDigest = job.assignments[0]?.outputDigest ?? (job.acceptedDigest && job.acceptedDigest !== zeroHash ? job.acceptedDigest : null);
  if (!outputDigest) throw new MachinaError(`job ${jobId} ended ${job.status} without a result`, { code: 'C2D_FAILED', field: 'jobId', details: { status: job.status, jobId: jobId.toString() } });
  let sealed: Uint8Array;
  let outputURI: string;
  try {
    const uri = (await findCommittedResult(p.client, { market, job, digest: outputDigest }))?.outputURI ?? null;
    if (!uri) throw new MachinaError(`job ${jobId}: no ResultCommitted log for ${outputDigest}`, { code: 'MISSING_EVENT', field: 'jobId' });
    outputURI = uri;
    p.onEvent?.({ type: 'committed', jobId, outputDigest, outputURI: outputURI.length > 200 ? `${outputURI.slice(0, 197)}...` : outputURI });
    sealed = await fetchBlob(outputURI, outputDigest, { maxBytes: 64 * 1024 * 1024 + BOX_OVERHEAD });
  } catch (err) {
    throw resumable(err, jobId);
  }
  const failure = decodeFailureRecord(sealed);
  if (failure) {
    throw new MachinaError(`job ${jobId}: the provider could not train (${failure.code}${failure.field ? ` at ${failure.field}` : ''}); the result was not accepted`, {
      code: 'C2D_FAILED',
      field: failure.field || 'jobId',
      details: { jobId: jobId.toString(), failure },
    });
  }
  let weights: Uint8Array;
  try {
    weights = p.key.decrypt(sealed);
  } catch {
    throw new MachinaError(`job ${jobId}: the output is not sealed to your data key ${p.key.address} (the provider must encrypt the weights to the reference's resultKey); not accepted`, {
      code: 'C2D_FAILED',
      field: 'output',
      details: { jobId: jobId.toString() },
    });
  }
  const w = decodeWeights(weights, 'output');
  if (w.hidden !== train.hidden || w.classes !== train.classes) {
    throw new MachinaError(`job ${jobId}: the output has ${w.hidden} hidden units and ${w.classes} classes, the job asked for ${train.hidden} and ${train.classes}; not accepted`, { code: 'C2D_FAILED', field: 'output' });
  }
  if (job.status === 'assigned') {
    try {
      const a = await acceptResult(p.wallet, { market, jobId });
      p.onEvent?.({ type: 'accepted', jobId, txHash: a.txHash });
    } catch (err) {
      // Settled meanwhile (the challenge window ended and someone finalized it): the result stands.
      if (!isComputeRevert(err, 'WrongStatus', 'ChallengeWindowClosed', 'NoResultToAccept')) throw resumable(err, jobId);
    }
  }
  return {
    jobId,
    weights,
    weightsDigest: hashBytes(weights).root,
    outputDigest,
    metrics: { features: w.features, hidden: w.hidden, classes: w.classes, lossBefore: w.loss?.before ?? null, lossAfter: w.loss?.after ?? null },
  };
}

/**
 * Offers job `jobId` to the provider unless an offer stands, and waits until it is taken (or ended). When it is not
 * taken within `acceptWithinSeconds`, cancels it (escrow back, no licence bound) and throws C2D_NOT_ACCEPTED; if the
 * provider took it meanwhile (the cancel is refused), goes on.
 */
async function untilTaken(
  p: TrainOnDataParameters,
  o: { market: Address; jobId: bigint; pricePerUnit: bigint; pollMs: number; deadlineSeconds: number },
): Promise<JobState> {
  const { market, jobId } = o;
  const acceptWithin = p.acceptWithinSeconds ?? Math.min(60, o.deadlineSeconds / 4);
  const giveUpAt = Date.now() + Math.max(1, acceptWithin) * 1000;
  let offered = false;
  for (;;) {
    const job = await readJob(p.client, { market, jobId });
    if (!job) throw new MachinaError(`job ${jobId} vanished`, { code: 'NOT_FOUND', field: 'jobId' });
    if (job.status !== 'open') {
      const a = job.assignments[0];
      if (a && a.providerId !== p.providerId) throw new MachinaError(`job ${jobId} went to provider ${a.providerId}, not ${p.providerId}`, { code: 'C2D_FAILED', field: 'providerId', details: { jobId: jobId.toString() } });
      if (a) p.onEvent?.({ type: 'assigned', jobId, providerId: a.providerId });
      return job;
    }
    if (!offered) {
      const standing = (await p.client.readContract({ address: market, abi: computeMarketAbi, functionName: 'getOffer', args: [jobId, p.providerId] })) as bigint;
      if (standing === 0n) {
        const r = await offer(p.wallet, { market, jobId, providerId: p.providerId, pricePerUnit: o.pricePerUnit });
        p.onEvent?.({ type: 'offered', jobId, providerId: p.providerId, pricePerUnit: o.pricePerUnit, txHash: r.txHash });
      }
      offered = true;
      continue;
    }
    if (Date.now() >= giveUpAt || Date.now() / 1000 >= job.deadline) {
      try {
        await cancelJob(p.wallet, { market, jobId });
      } catch (err) {
        if (isComputeRevert(err, 'WrongStatus')) continue; // taken meanwhile
        throw err;
      }
      throw new MachinaError(`provider ${p.providerId} did not take job ${jobId} within ${acceptWithin} s: the job was cancelled (escrow refunded) and no licence was bound`, {
        code: 'C2D_NOT_ACCEPTED',
        field: 'providerId',
        details: { jobId: jobId.toString() },
      });
    }
    await sleep(o.pollMs);
  }
}
