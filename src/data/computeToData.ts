// Compute-to-data, the buyer's side: train a model on licensed datasets without ever seeing them. The buyer posts a
// direct, single-replica optimistic train job whose input is a `machina-data` reference (the seller's node, the
// datasets and their Training licences, the feature adapter), offers it to a provider the listings' terms allow,
// binds every licence to the job (from then on the seller's node delivers the records to that provider's operator
// key only), waits for the committed result, checks that it decodes as the model's weights and accepts it, and
// downloads the weights. Nobody can re-run the job without the data, so the check is of form, not of value: the
// listings' allowed providers are the trust placed in who trains.
import { zeroHash, type Address, type Hex } from 'viem';
import { computeMarketAbi, dataMarketAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { MachinaError, formatError } from '../errors/index.ts';
import { fetchBlob } from '../compute/blobs.ts';
import { submitJob } from '../compute/buyer.ts';
import { findEventBackward } from '../compute/chainLogs.ts';
import { isComputeRevert } from '../compute/errors.ts';
import { acceptResult, cancelJob, offer, pokeJob, readConfig, readJob, readProvider, TERMINAL_STATUSES, type JobState, type MarketConfig } from '../compute/market.ts';
import { decodeFailureRecord, encodeBundle, encodeDataReference, validateTrainSpec, WorkloadError, type FeatureAdapterName, type TrainSpec } from '../compute/workloads/index.ts';
import { hashBytes } from '../provenance/hash.ts';
import { InvalidDataInputError } from './errors.ts';
import { decodeWeights } from './inference.ts';
import { bindTrainingRun } from './market.ts';

export type TrainOnDataAddresses = { computeMarket: Address; dataMarket: Address; token: Address };

export type TrainOnDataEvent =
  | { type: 'posted'; jobId: bigint; txHash: Hex; escrow: bigint }
  | { type: 'offered'; jobId: bigint; providerId: bigint; pricePerUnit: bigint; txHash: Hex }
  | { type: 'bound'; jobId: bigint; licenceId: bigint; txHash: Hex }
  | { type: 'status'; jobId: bigint; status: string; committed: boolean }
  | { type: 'committed'; jobId: bigint; outputDigest: Hex; outputURI: string }
  | { type: 'accepted'; jobId: bigint; txHash: Hex };

export type TrainOnDataParameters = {
  /** The licences' holder; posts, pays and accepts the job. */
  wallet: MachinaWalletClient;
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
  onEvent?: ((e: TrainOnDataEvent) => void) | undefined;
};

export type TrainOnDataReturnType = {
  jobId: bigint;
  /** The train workload's output: tensors w1, b1, w2, b2, loss (read them with `decodeWeights`). */
  weights: Uint8Array;
  /** The provenance digest of the weights (as `machina model register --weights` computes it). */
  weightsDigest: Hex;
  /** The compute market's digest of the output (sha256). */
  outputDigest: Hex;
  metrics: { features: number; hidden: number; classes: number; lossBefore: number | null; lossAfter: number | null };
};

const LICENCE_TRAINING = 1;

/** The first ResultCommitted of a job with `digest`: where its output can be fetched before it is accepted. */
async function committedURI(client: MachinaPublicClient, market: Address, job: JobState, digest: Hex): Promise<string | null> {
  type Committed = { args: { outputDigest?: Hex; outputURI?: string } };
  const hit = await findEventBackward<Committed, Committed>(
    client,
    { address: market, abi: computeMarketAbi, eventName: 'ResultCommitted', args: { jobId: job.jobId }, notBefore: job.postedAt },
    (logs) => logs.find((l) => l.args.outputDigest?.toLowerCase() === digest.toLowerCase()),
  );
  return hit?.args.outputURI ?? null;
}

/**
 * Checks every licence before anything is posted: a Training licence of the listing given, held by `holder`, not
 * bound yet, not expired, whose terms allow `providerId`. Throws InvalidDataInputError naming the licence.
 */
async function checkLicences(client: MachinaPublicClient, p: { market: Address; holder: Address; licenceIds: bigint[]; listingIds: bigint[]; providerId: bigint }): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  for (const [i, licenceId] of p.licenceIds.entries()) {
    const field = `licenceIds[${i}]`;
    let lic: { listingId: bigint; kind: number; expiresAt: number | bigint; jobId: bigint };
    let holder: Address;
    try {
      [lic, holder] = await Promise.all([
        client.readContract({ address: p.market, abi: dataMarketAbi, functionName: 'getLicence', args: [licenceId] }) as unknown as Promise<typeof lic>,
        client.readContract({ address: p.market, abi: dataMarketAbi, functionName: 'holderOf', args: [licenceId] }) as Promise<Address>,
      ]);
    } catch (err) {
      if (/UnknownLicence|ERC721NonexistentToken/.test(formatError(err))) throw new InvalidDataInputError(field, `licence ${licenceId} does not exist`);
      throw err;
    }
    if (!lic || lic.listingId === 0n) throw new InvalidDataInputError(field, `licence ${licenceId} does not exist`);
    if (lic.listingId !== p.listingIds[i]) throw new InvalidDataInputError(`listingIds[${i}]`, `licence ${licenceId} is for listing ${lic.listingId}, not ${p.listingIds[i]}`);
    if (Number(lic.kind) !== LICENCE_TRAINING) throw new InvalidDataInputError(field, `licence ${licenceId} is an access licence; compute-to-data needs a training licence`);
    if (holder.toLowerCase() !== p.holder.toLowerCase()) throw new InvalidDataInputError(field, `licence ${licenceId} is held by ${holder}, not by ${p.holder}`);
    if (lic.jobId !== 0n) throw new InvalidDataInputError(field, `licence ${licenceId} is already bound to job ${lic.jobId} (a training licence covers one run)`);
    const expiresAt = Number(lic.expiresAt);
    if (expiresAt !== 0 && expiresAt <= now) throw new InvalidDataInputError(field, `licence ${licenceId} expired at ${new Date(expiresAt * 1000).toISOString()}`);
    const terms = (await client.readContract({ address: p.market, abi: dataMarketAbi, functionName: 'getTerms', args: [lic.listingId] })) as unknown as { allowedProviders: readonly bigint[] };
    const allowed = [...terms.allowedProviders];
    if (allowed.length > 0 && !allowed.includes(p.providerId)) {
      throw new InvalidDataInputError('providerId', `the terms of listing ${lic.listingId} do not allow provider ${p.providerId} (allowed: ${allowed.join(', ')})`);
    }
  }
}

/**
 * Trains `train` on the licensed datasets at provider `providerId` and returns the weights (see the file comment).
 * Throws InvalidDataInputError before anything is sent when an input or a licence is wrong; a job whose provider
 * committed a failure record (e.g. the data was refused) throws C2D_FAILED naming it, without accepting it.
 * @example
 * const { weights, weightsDigest } = await trainOnData({ wallet, client, addresses, nodeUrl, licenceIds: [3n], listingIds: [1n], providerId: 1n, train: spec, features: 'patients-v1' })
 */
export async function trainOnData(p: TrainOnDataParameters): Promise<TrainOnDataReturnType> {
  if (!Array.isArray(p.licenceIds) || p.licenceIds.length === 0) throw new InvalidDataInputError('licenceIds', 'needs at least one training licence');
  if (!Array.isArray(p.listingIds) || p.listingIds.length !== p.licenceIds.length) throw new InvalidDataInputError('listingIds', `must give the listing of each licence (${p.licenceIds.length}), got ${Array.isArray(p.listingIds) ? p.listingIds.length : 'none'}`);
  if (new Set(p.licenceIds.map(String)).size !== p.licenceIds.length) throw new InvalidDataInputError('licenceIds', 'a licence is listed twice');
  if (typeof p.providerId !== 'bigint' || p.providerId < 1n) throw new InvalidDataInputError('providerId', 'must be a provider id (≥ 1)');
  let train: TrainSpec;
  let bundle: Uint8Array;
  let input: Uint8Array;
  try {
    train = validateTrainSpec(p.train);
    bundle = encodeBundle({ kind: 'train', name: 'compute-to-data', train });
    input = encodeDataReference({ node: p.nodeUrl, datasets: p.licenceIds.map((licenceId, i) => ({ listingId: p.listingIds[i]!, licenceId })), features: p.features });
  } catch (err) {
    if (err instanceof WorkloadError) {
      const field = err.field === 'input.node' ? 'nodeUrl' : err.field === 'input.features' ? 'features' : err.field?.startsWith('train.') ? err.field : (err.field ?? 'train');
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
  await checkLicences(p.client, { market: dataMarket, holder, licenceIds: p.licenceIds, listingIds: p.listingIds, providerId: p.providerId });

  const pricePerUnit = p.pricePerUnit ?? provider.resources.pricePerUnit;
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
  const jobId = posted.jobId;
  p.onEvent?.({ type: 'posted', jobId, txHash: posted.txHash, escrow: posted.escrow });
  try {
    const o = await offer(p.wallet, { market, jobId, providerId: p.providerId, pricePerUnit });
    p.onEvent?.({ type: 'offered', jobId, providerId: p.providerId, pricePerUnit, txHash: o.txHash });
    for (const licenceId of p.licenceIds) {
      const b = await bindTrainingRun(p.wallet, { market: dataMarket, licenceId, jobId, providerId: p.providerId });
      p.onEvent?.({ type: 'bound', jobId, licenceId, txHash: b.txHash });
    }
  } catch (err) {
    // Nothing ran yet: take the escrow back (refused once the provider accepted; then the job runs and settles).
    await cancelJob(p.wallet, { market, jobId }).catch(() => {});
    throw err;
  }

  // Wait for the result (calling the keeper actions that fall due), then check its form and accept it.
  const pollMs = p.pollMs ?? 250;
  let cfg: MarketConfig | undefined;
  let last = '';
  let job: JobState;
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
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const outputDigest = job.assignments[0]?.outputDigest ?? (job.acceptedDigest && job.acceptedDigest !== zeroHash ? job.acceptedDigest : null);
  if (!outputDigest) throw new MachinaError(`job ${jobId} ended ${job.status} without a result`, { code: 'C2D_FAILED', field: 'jobId', details: { status: job.status } });
  const outputURI = await committedURI(p.client, market, job, outputDigest);
  if (!outputURI) throw new MachinaError(`job ${jobId}: no ResultCommitted log for ${outputDigest}`, { code: 'MISSING_EVENT', field: 'jobId' });
  p.onEvent?.({ type: 'committed', jobId, outputDigest, outputURI: outputURI.length > 200 ? `${outputURI.slice(0, 197)}...` : outputURI });
  const weights = await fetchBlob(outputURI, outputDigest, { maxBytes: 64 * 1024 * 1024 });
  const failure = decodeFailureRecord(weights);
  if (failure) {
    throw new MachinaError(`job ${jobId}: the provider could not train (${failure.code}${failure.field ? ` at ${failure.field}` : ''}); the result was not accepted`, {
      code: 'C2D_FAILED',
      field: failure.field || 'jobId',
      details: { jobId: jobId.toString(), failure },
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
      if (!isComputeRevert(err, 'WrongStatus', 'ChallengeWindowClosed', 'NoResultToAccept')) throw err;
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
