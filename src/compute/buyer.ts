// The buyer's side of the compute market: put a workload and its input where providers can fetch them, post the
// job with escrow, wait for it to settle (poking the keeper calls that are due, so a job finishes without a
// keeper), and read the accepted result.
import type { Address, Hex } from 'viem';
import { computeMarketAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { MachinaError, NotFoundError } from '../errors/index.ts';
import { executeAsAgent } from '../wallet/agent.ts';
import { readerOf } from '../wallet/client.ts';
import { dataUri, putBlob } from './blobs.ts';
import { InvalidComputeInputError, isComputeRevert } from './errors.ts';
import { executeJob } from './provider/execute.ts';
import type { PostedJob } from './provider/logs.ts';
import {
  acceptResult,
  challenge,
  chainNow,
  countLiveProviders,
  encodeJobSpec,
  jobIdsFromReceipt,
  postJob,
  pokeJob,
  postJobCalls,
  readConfig,
  readJob,
  TERMINAL_STATUSES,
  type ComputeMode,
  type JobSpecInput,
  type JobState,
  type JobStatusName,
  type KeeperAction,
  type MarketConfig,
} from './market.ts';
import { decodeBundle, demoWorkload, sha256Hex, WorkloadError } from './workloads/index.ts';
import { findEventBackward } from './chainLogs.ts';

type ReadClient = MachinaPublicClient | MachinaWalletClient;

/** Defaults of `submitJob`: a small CPU job, one replica, redundant mode, assigned to the first bid. */
export const SUBMIT_DEFAULTS = {
  units: 1,
  /** 1 mUSD per unit. */
  maxPricePerUnit: 1_000_000n,
  replicas: 1,
  mode: 'redundant' as ComputeMode,
  bidWindow: 0,
  deadlineSeconds: 300,
  needs: { deviceKind: 'cpu', minMemoryMB: 0, region: '' },
} as const;

export type SubmitJobParameters = {
  /** Signs the post: the buyer's EOA, or the agent key of `agentAccount`. */
  wallet: MachinaWalletClient;
  client: ReadClient;
  market: Address;
  token: Address;
  /** A Machina node to store the bytes at (`PUT /v1/blobs`); without it they travel as data: URIs. */
  nodeUrl?: string | undefined;
  workload: Uint8Array;
  input: Uint8Array;
  units?: number | undefined;
  maxPricePerUnit?: bigint | undefined;
  replicas?: number | undefined;
  mode?: ComputeMode | undefined;
  bidWindow?: number | undefined;
  /** The deadline, in seconds from now. */
  deadlineSeconds?: number | undefined;
  needs?: { deviceKind: string; minMemoryMB: number; region?: string } | undefined;
  /** Matched by offer/accept instead of bids. */
  direct?: boolean | undefined;
  /** Pay the escrow from this agent account, `wallet` being its agent key (the account's policy checks it first). */
  agentAccount?: Address | undefined;
};

export type SubmitJobReturnType = {
  jobId: bigint;
  txHash: Hex;
  workloadDigest: Hex;
  inputDigest: Hex;
  workloadURI: string;
  inputURI: string;
  escrow: bigint;
};

function bytes(field: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidComputeInputError(field, 'must be a Uint8Array');
  return value;
}

/**
 * Posts `workload` run on `input` as a job: checks every parameter, uploads both to the node's blob store when
 * `nodeUrl` is given (else embeds them as data: URIs), then posts with escrow (approving it from an EOA, or as a
 * policy-checked batch from `agentAccount`). Digests are sha256 of the bytes.
 * @example
 * const { workload, input, units } = demoJob()
 * const { jobId } = await submitJob({ wallet, client, market, token, workload, input, units })
 */
export async function submitJob(p: SubmitJobParameters): Promise<SubmitJobReturnType> {
  const workload = bytes('workload', p.workload);
  if (workload.length === 0) throw new InvalidComputeInputError('workload', 'must not be empty');
  const input = bytes('input', p.input);
  const deadlineSeconds = p.deadlineSeconds ?? SUBMIT_DEFAULTS.deadlineSeconds;
  if (typeof deadlineSeconds !== 'number' || !Number.isSafeInteger(deadlineSeconds) || deadlineSeconds <= 0) {
    throw new InvalidComputeInputError('deadlineSeconds', `must be a positive whole number of seconds (got ${String(deadlineSeconds)})`);
  }
  // A bundle no provider can run is refused here, before any upload or escrow (providers would skip it anyway).
  try {
    decodeBundle(workload);
  } catch (err) {
    if (!(err instanceof WorkloadError)) throw err;
    const reason = err.field && err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    throw new InvalidComputeInputError(err.field ? `workload.${err.field}` : 'workload', `not a valid workload bundle: ${reason}`);
  }
  const workloadDigest = sha256Hex(workload);
  const inputDigest = sha256Hex(input);
  const now = await chainNow(p.client);
  const spec: JobSpecInput = {
    workloadDigest,
    inputDigest,
    workloadURI: 'pending:',
    inputURI: 'pending:',
    needs: p.needs ?? SUBMIT_DEFAULTS.needs,
    maxPricePerUnit: p.maxPricePerUnit ?? SUBMIT_DEFAULTS.maxPricePerUnit,
    units: p.units ?? SUBMIT_DEFAULTS.units,
    deadline: now + deadlineSeconds,
    bidWindow: p.bidWindow ?? SUBMIT_DEFAULTS.bidWindow,
    replicas: p.replicas ?? SUBMIT_DEFAULTS.replicas,
    mode: p.mode ?? SUBMIT_DEFAULTS.mode,
    direct: p.direct ?? false,
  };
  // Everything is checked before a byte is uploaded or a transaction sent.
  encodeJobSpec(spec, now);

  if (p.nodeUrl) {
    const [w, i] = await Promise.all([putBlob(p.nodeUrl, workload), putBlob(p.nodeUrl, input)]);
    if (w.digest.toLowerCase() !== workloadDigest || i.digest.toLowerCase() !== inputDigest) {
      throw new MachinaError(`the node at ${p.nodeUrl} stored the bytes under another digest than their sha256`, { code: 'BLOB_DIGEST_MISMATCH', field: 'nodeUrl' });
    }
    spec.workloadURI = w.uri;
    spec.inputURI = i.uri;
  } else {
    spec.workloadURI = dataUri(workload);
    spec.inputURI = dataUri(input);
  }

  const uris = { workloadDigest, inputDigest, workloadURI: spec.workloadURI, inputURI: spec.inputURI };
  if (!p.agentAccount) {
    const posted = await postJob(p.wallet, { market: p.market, token: p.token, spec });
    return { ...posted, ...uris };
  }
  const calls = postJobCalls({ market: p.market, token: p.token, spec, now });
  const r = await executeAsAgent(p.wallet, { account: p.agentAccount, calls });
  if (!r.executed) {
    throw new MachinaError(`the job waits for the owner of ${p.agentAccount} to approve pending action ${r.pendingId} (it is above the key's escalation threshold)`, {
      code: 'JOB_PENDING_APPROVAL',
      field: 'agentAccount',
      details: { pendingId: r.pendingId?.toString(), txHash: r.txHash },
    });
  }
  const receipt = await readerOf(p.client).getTransactionReceipt({ hash: r.txHash });
  const jobId = jobIdsFromReceipt(receipt, p.market)[0];
  if (jobId === undefined) throw new MachinaError(`no JobPosted event in tx ${r.txHash}`, { code: 'MISSING_EVENT' });
  return { jobId, txHash: r.txHash, escrow: spec.maxPricePerUnit * BigInt(spec.units) * BigInt(spec.replicas), ...uris };
}

export type WaitForJobParameters = {
  client: ReadClient;
  /** When given, the waiter itself calls assign/finalize/resolve when they are due (anyone may). */
  wallet?: MachinaWalletClient | undefined;
  market: Address;
  jobId: bigint;
  /** Default 120 s. */
  timeoutMs?: number | undefined;
  /** Default 250 ms. */
  pollMs?: number | undefined;
  /** Called with the first state read and every change of status, assignments or commits. */
  onStatus?: ((s: JobState) => void) | undefined;
  /**
   * Check an optimistic result yourself: once a result is committed, run `workload` on `input` (the job's own
   * bytes) under the job's limits; the poster's `wallet` then accepts a matching result at once, or challenges a
   * different one (posting the bond; the market's arbiters decide). Needs `wallet` to be the job's poster.
   */
  verify?: { workload: Uint8Array; input: Uint8Array; token: Address } | undefined;
  /** Called once the waiter checked the result (with `verify`). */
  onVerify?: ((v: BuyerVerification) => void) | undefined;
  /** Called after each keeper call the waiter made. */
  onAction?: ((a: { action: KeeperAction; txHash: Hex }) => void) | undefined;
};

/**
 * Polls a job until it is completed, failed, cancelled or expired, and returns its final state. With a `wallet`
 * it also pokes the keeper calls `jobDue` says are due, and tries to resolve a dispute early (its arbiters may all
 * have answered); losing such a race to another keeper is fine. Throws JOB_TIMEOUT after `timeoutMs`.
 * @example
 * const job = await waitForJob({ client, wallet, market, jobId, timeoutMs: 60_000 })
 */
/** What a waiting buyer found when it ran an optimistic job itself. */
export type BuyerVerification = { jobId: bigint; expected: Hex; committed: Hex; agrees: boolean; action: 'accepted' | 'challenged'; txHash: Hex };

async function verifyAsPoster(p: WaitForJobParameters & { wallet: MachinaWalletClient; verify: NonNullable<WaitForJobParameters['verify']> }, job: JobState): Promise<BuyerVerification> {
  const committed = job.assignments[0]!.outputDigest!;
  const { outputDigest: expected } = await executeJob(
    { jobId: job.jobId, needs: job.needs, deadline: job.deadline } as PostedJob,
    { bytes: { bundle: p.verify.workload, input: p.verify.input } },
  );
  const agrees = expected.toLowerCase() === committed.toLowerCase();
  const { txHash } = agrees
    ? await acceptResult(p.wallet, { market: p.market, jobId: job.jobId })
    : await challenge(p.wallet, { market: p.market, token: p.verify.token, jobId: job.jobId, claimedDigest: expected });
  return { jobId: job.jobId, expected, committed, agrees, action: agrees ? 'accepted' : 'challenged', txHash };
}

export async function waitForJob(p: WaitForJobParameters): Promise<JobState> {
  const timeoutMs = p.timeoutMs ?? 120_000;
  const pollMs = p.pollMs ?? 250;
  const until = Date.now() + timeoutMs;
  let cfg: MarketConfig | undefined;
  let last = '';
  let verified = false;
  for (;;) {
    const job = await readJob(p.client, { market: p.market, jobId: p.jobId });
    if (!job) throw new NotFoundError(`job ${p.jobId}`, 'jobId');
    const key = `${job.status}/${job.assigned}/${job.committed}`;
    if (key !== last) {
      last = key;
      p.onStatus?.(job);
    }
    if (TERMINAL_STATUSES.includes(job.status)) return job;
    if (p.verify && p.wallet && !verified && job.mode === 'optimistic' && job.status === 'assigned' && job.assignments[0]?.outputDigest) {
      if (job.poster.toLowerCase() !== p.wallet.account.address.toLowerCase()) {
        throw new InvalidComputeInputError('wallet', `must be the job's poster ${job.poster} to accept or challenge its result`);
      }
      verified = true;
      try {
        p.onVerify?.(await verifyAsPoster({ ...p, wallet: p.wallet, verify: p.verify }, job));
      } catch (err) {
        // Settled meanwhile (the window ended, a validator disputed it first): the next read shows the outcome.
        if (!isComputeRevert(err, 'WrongStatus', 'ChallengeWindowClosed', 'NoResultToAccept')) throw err;
      }
      continue;
    }
    if (p.wallet) {
      cfg ??= await readConfig(p.client, { market: p.market });
      const r = await pokeJob(p.wallet, { market: p.market, job, cfg });
      if (r && r.raced === undefined) p.onAction?.({ action: r.action, txHash: r.txHash });
    }
    if (Date.now() >= until) {
      throw new MachinaError(`job ${p.jobId} is still ${job.status} after ${timeoutMs} ms`, { code: 'JOB_TIMEOUT', field: 'jobId', details: { status: job.status } });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(pollMs, until - Date.now()))));
  }
}

export type JobResult = {
  jobId: bigint;
  status: JobStatusName;
  acceptedDigest: Hex | null;
  /** Where the accepted output can be fetched (from the first ResultCommitted log of the accepted digest). */
  outputURI: string | null;
  /** The provider whose URI that is. */
  providerId: bigint | null;
};

/**
 * The first ResultCommitted of `job` with output `digest` (its args: provider, digest, URI), or null. The logs are
 * scanned backward from the head in ranges hosted RPCs accept, no further back than the job's posting or `fromBlock`.
 * @example
 * const hit = await findCommittedResult(client, { market, job, digest })
 */
export async function findCommittedResult(
  client: ReadClient,
  p: { market: Address; job: Pick<JobState, 'jobId' | 'postedAt'>; digest: Hex; fromBlock?: bigint | undefined },
): Promise<{ outputDigest?: Hex; outputURI?: string; providerId?: bigint } | null> {
  type Committed = { args: { outputDigest?: Hex; outputURI?: string; providerId?: bigint } };
  const hit = await findEventBackward<Committed, Committed>(
    client,
    { address: p.market, abi: computeMarketAbi, eventName: 'ResultCommitted', args: { jobId: p.job.jobId }, fromBlock: p.fromBlock, notBefore: p.job.postedAt },
    (logs) => logs.find((l) => l.args.outputDigest?.toLowerCase() === p.digest.toLowerCase()),
  );
  return hit?.args ?? null;
}

/**
 * The accepted result of a job: its digest and where to fetch it (the logs are read backward from the head, in
 * ranges hosted RPCs accept, back to the job's posting or `fromBlock`). An accepted output may be a failure record
 * (the workload failed the same way for every provider): read it with `decodeFailureRecord`.
 * @example
 * const { outputURI, acceptedDigest } = await jobResult({ client, market, jobId })
 * const output = await fetchBlob(outputURI!, acceptedDigest!)
 */
export async function jobResult(p: { client: ReadClient; market: Address; jobId: bigint; fromBlock?: bigint }): Promise<JobResult> {
  const job = await readJob(p.client, { market: p.market, jobId: p.jobId });
  if (!job) throw new NotFoundError(`job ${p.jobId}`, 'jobId');
  const out: JobResult = { jobId: job.jobId, status: job.status, acceptedDigest: job.acceptedDigest, outputURI: null, providerId: null };
  if (!job.acceptedDigest) return out;
  const accepted = await findCommittedResult(p.client, { market: p.market, job, digest: job.acceptedDigest, fromBlock: p.fromBlock });
  if (accepted) {
    out.outputURI = accepted.outputURI ?? null;
    out.providerId = accepted.providerId ?? null;
  }
  return out;
}

/**
 * The built-in trivial job (a tiny WebAssembly workload and its input) that `machina compute submit --demo` posts.
 * @example
 * const { workload, input, units } = demoJob()
 */
export function demoJob(): { workload: Uint8Array; input: Uint8Array; units: number } {
  const { bundle, input } = demoWorkload();
  return { workload: bundle, input, units: 1 };
}

/**
 * How the demo job is verified: by a majority of 3 providers when 3 that can run it are live (not unstaking,
 * offering the demo's device kind); otherwise optimistically by one provider, the buyer re-running the built-in
 * workload itself before accepting (`waitForJob`'s `verify`), any validator able to dispute it meanwhile.
 * @example
 * const { mode, replicas } = await demoPlan(client, { market })
 */
export async function demoPlan(client: ReadClient, p: { market: Address; fromBlock?: bigint }): Promise<{ mode: ComputeMode; replicas: number }> {
  return (await countLiveProviders(client, { ...p, needs: SUBMIT_DEFAULTS.needs })) >= 3 ? { mode: 'redundant', replicas: 3 } : { mode: 'optimistic', replicas: 1 };
}
