// Typed chain actions of the ComputeMarket: providers (register, stake, heartbeat, unstake), jobs (post, bid, assign,
// offer/accept, commit, challenge, finalize, cancel), credits, reads that return readable state, and `jobDue`, the
// rule keepers follow. Every input is checked before anything is sent; reverts become ComputeRevertError.
import {
  encodeFunctionData,
  erc20Abi,
  hexToBytes,
  isAddress,
  isHex,
  parseEventLogs,
  stringToHex,
  zeroAddress,
  zeroHash,
  type Abi,
  type ContractEventName,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { computeMarketAbi, settlementTokenAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { underWalletLock } from '../chain/serial.ts';
import { eventOf } from '../chain/write.ts';
import { MachinaError } from '../errors/index.ts';
import { ensureAllowance as ensureTokenAllowance } from '../pay/token.ts';
import type { Call } from '../wallet/calls.ts';
import { readerOf, sendWrite } from '../wallet/client.ts';
import { eventsInRange } from './chainLogs.ts';
import { asComputeError, InvalidComputeInputError, isComputeRevert } from './errors.ts';
import { MAX_REPLICAS } from './matcher.ts';

/** A client that can read: a public client, or a wallet client on the same transport. */
type ReadClient = MachinaPublicClient | MachinaWalletClient;

/** `IComputeMarket.JobStatus` names; the index is the enum value. */
export const JOB_STATUS = ['none', 'open', 'assigned', 'challenged', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type JobStatusName = (typeof JOB_STATUS)[number];
/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatusName[] = ['completed', 'failed', 'cancelled', 'expired'];
/** `IComputeMarket.SlashReason` names; the index is the enum value. */
export const SLASH_REASON = ['wrong-result', 'challenge-upheld', 'no-show'] as const;
export type SlashReasonName = (typeof SLASH_REASON)[number];
/** `IComputeMarket.Mode` names; the index is the enum value. */
export const COMPUTE_MODES = ['redundant', 'optimistic'] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];

export type ResourcesInput = { deviceKind: string; region: string; deviceCount: number; memoryMB: number; pricePerUnit: bigint };

export type JobSpecInput = {
  workloadDigest: Hex;
  inputDigest: Hex;
  workloadURI: string;
  inputURI: string;
  /** `region` absent or '' accepts any region. */
  needs: { deviceKind: string; minMemoryMB: number; region?: string };
  maxPricePerUnit: bigint;
  units: number;
  /** Unix seconds by which every result must be committed. */
  deadline: number;
  /** Auction: seconds bids are taken after posting; 0 assigns the first eligible bids at once. */
  bidWindow: number;
  /** Redundant: 1..5; optimistic: 1. */
  replicas: number;
  mode: ComputeMode;
  /** Matched by offer/accept instead of bids. */
  direct?: boolean;
};

export type ProviderState = {
  providerId: bigint;
  operator: Address;
  stake: bigint;
  locked: bigint;
  lastHeartbeat: number;
  unstakeAt: number;
  activeJobs: number;
  completed: number;
  slashes: number;
  /** 0..100. */
  reputation: number;
  live: boolean;
  resources: ResourcesInput;
};

export type AssignmentState = { providerId: bigint; pricePerUnit: bigint; outputDigest: Hex | null; paid: boolean; slashed: boolean };

export type JobState = {
  jobId: bigint;
  poster: Address;
  status: JobStatusName;
  mode: ComputeMode;
  direct: boolean;
  replicas: number;
  assigned: number;
  committed: number;
  postedAt: number;
  deadline: number;
  bidWindow: number;
  units: number;
  maxPricePerUnit: bigint;
  escrow: bigint;
  workloadDigest: Hex;
  inputDigest: Hex;
  acceptedDigest: Hex | null;
  needs: { deviceKind: string; minMemoryMB: number; region: string };
  challengeEndsAt: number;
  assignments: AssignmentState[];
  /** Bids in the book (auction jobs). */
  bids: number;
};

export type MarketConfig = {
  minStake: bigint;
  slashAmount: bigint;
  challengeBond: bigint;
  unstakeCooldown: number;
  heartbeatTTL: number;
  challengeWindow: number;
  resolutionWindow: number;
  rewardShareBps: number;
};

export type BidState = { providerId: bigint; pricePerUnit: bigint; reputation: number };

export type ChallengeState = { challenger: Address; claimedDigest: Hex; resolveBy: number; resolved: boolean; upheld: boolean; requestHashes: Hex[] };

/** A write's outcome: its transaction hash, plus what the receipt said. */
export type TxOutcome = { txHash: Hex };

export type KeeperAction = 'assign' | 'finalize' | 'resolve';

// The market's ABI with the token's errors, so that a revert inside the token (balance, allowance) decodes too.
const marketAbi = [...computeMarketAbi, ...settlementTokenAbi.filter((x) => x.type === 'error')] as unknown as Abi;

const UINT32_MAX = 2 ** 32 - 1;
const UINT40_MAX = 2 ** 40 - 1;
const UINT96_MAX = (1n << 96n) - 1n;

// ------------------------------------------------------------------------------------------------ checks

function address(field: string, value: unknown): Address {
  if (typeof value !== 'string' || !isAddress(value, { strict: false })) throw new InvalidComputeInputError(field, `must be a 20-byte hex address (got ${JSON.stringify(value)})`);
  return value as Address;
}

function digest(field: string, value: unknown): Hex {
  if (typeof value !== 'string' || !isHex(value) || value.length !== 66) throw new InvalidComputeInputError(field, `must be a 0x-prefixed 32-byte hex digest (got ${JSON.stringify(value)})`);
  if (/^0x0{64}$/.test(value)) throw new InvalidComputeInputError(field, 'must not be zero');
  return value.toLowerCase() as Hex;
}

function int(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidComputeInputError(field, `must be an integer ${min}-${max} (got ${String(value)})`);
  }
  return value;
}

function amount(field: string, value: unknown, min = 1n, max = UINT96_MAX): bigint {
  if (typeof value !== 'bigint') throw new InvalidComputeInputError(field, `must be a bigint amount in base units (got ${typeof value})`);
  if (value < min) throw new InvalidComputeInputError(field, min === 1n ? 'must be greater than zero' : `must be at least ${min}`);
  if (value > max) throw new InvalidComputeInputError(field, `must be at most ${max}`);
  return value;
}

function id(field: string, value: unknown): bigint {
  if (typeof value !== 'bigint' || value <= 0n || value >= 1n << 256n) throw new InvalidComputeInputError(field, `must be a positive bigint id (got ${String(value)})`);
  return value;
}

/**
 * A short ASCII label (device kind, region) as the contract stores it: bytes32, right-padded; '' is zero.
 * Throws InvalidComputeInputError naming `field` for non-ASCII text or more than 32 bytes.
 * @example
 * encodeLabel('cpu') // '0x6370750000…'
 */
export function encodeLabel(s: string, field = 'label'): Hex {
  if (typeof s !== 'string') throw new InvalidComputeInputError(field, `must be a string (got ${typeof s})`);
  if (!/^[\x20-\x7e]*$/.test(s)) throw new InvalidComputeInputError(field, `must be printable ASCII (got ${JSON.stringify(s.slice(0, 40))})`);
  if (s.length > 32) throw new InvalidComputeInputError(field, `must be at most 32 bytes (got ${s.length})`);
  return s === '' ? zeroHash : stringToHex(s, { size: 32 });
}

/**
 * The text of a bytes32 label (trailing zero bytes dropped).
 * @example
 * decodeLabel(encodeLabel('eu-west')) // 'eu-west'
 */
export function decodeLabel(h: Hex): string {
  if (!h || /^0x0*$/.test(h)) return '';
  const bytes = hexToBytes(h);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function nonEmptyLabel(s: unknown, field: string): Hex {
  if (s === '') throw new InvalidComputeInputError(field, 'must not be empty');
  return encodeLabel(s as string, field);
}

/**
 * Checks `resources` and returns the contract struct; throws InvalidComputeInputError naming the field.
 * @example
 * const r = encodeResources({ deviceKind: 'cpu', region: 'eu', deviceCount: 2, memoryMB: 4096, pricePerUnit: 10_000n })
 */
export function encodeResources(resources: ResourcesInput, field = 'resources') {
  if (!resources || typeof resources !== 'object') throw new InvalidComputeInputError(field, 'must be an object');
  return {
    deviceKind: nonEmptyLabel(resources.deviceKind, `${field}.deviceKind`),
    region: encodeLabel(resources.region ?? '', `${field}.region`),
    deviceCount: int(`${field}.deviceCount`, resources.deviceCount, 1, UINT32_MAX),
    memoryMB: int(`${field}.memoryMB`, resources.memoryMB, 1, UINT32_MAX),
    pricePerUnit: amount(`${field}.pricePerUnit`, resources.pricePerUnit),
  };
}

/** The escrow a job takes: `maxPricePerUnit * units * replicas`. */
export function jobEscrow(spec: Pick<JobSpecInput, 'maxPricePerUnit' | 'units' | 'replicas'>): bigint {
  return spec.maxPricePerUnit * BigInt(spec.units) * BigInt(spec.replicas);
}

/** Seconds a provider is always left to run a job: the market assigns no slot closer to the deadline (the contract's MIN_RUN_TIME). */
export const MIN_RUN_TIME = 30;

/**
 * Checks a job spec against the contract's rules (and `now`, unix seconds, for the deadline) and returns the
 * contract struct; throws InvalidComputeInputError naming the field and the reason.
 * @example
 * const struct = encodeJobSpec(spec, Math.floor(Date.now() / 1000))
 */
export function encodeJobSpec(spec: JobSpecInput, now: number = Math.floor(Date.now() / 1000)) {
  if (!spec || typeof spec !== 'object') throw new InvalidComputeInputError('spec', 'must be an object');
  const workloadDigest = digest('spec.workloadDigest', spec.workloadDigest);
  const inputDigest = digest('spec.inputDigest', spec.inputDigest);
  for (const f of ['workloadURI', 'inputURI'] as const) {
    if (typeof spec[f] !== 'string' || spec[f] === '') throw new InvalidComputeInputError(`spec.${f}`, 'must be a non-empty URI where providers fetch the bytes');
  }
  if (!spec.needs || typeof spec.needs !== 'object') throw new InvalidComputeInputError('spec.needs', 'must be an object { deviceKind, minMemoryMB, region? }');
  const needs = {
    deviceKind: nonEmptyLabel(spec.needs.deviceKind, 'spec.needs.deviceKind'),
    minMemoryMB: int('spec.needs.minMemoryMB', spec.needs.minMemoryMB, 0, UINT32_MAX),
    region: encodeLabel(spec.needs.region ?? '', 'spec.needs.region'),
  };
  if (!COMPUTE_MODES.includes(spec.mode)) throw new InvalidComputeInputError('spec.mode', `must be ${COMPUTE_MODES.join(' or ')} (got ${JSON.stringify(spec.mode)})`);
  const replicas = int('spec.replicas', spec.replicas, 1, MAX_REPLICAS);
  if (spec.mode === 'optimistic' && replicas !== 1) throw new InvalidComputeInputError('spec.replicas', `must be 1 in optimistic mode (got ${replicas})`);
  // An even count can end without a strict majority: the honest replicas go unpaid and nobody is caught.
  if (replicas % 2 === 0) throw new InvalidComputeInputError('spec.replicas', `must be odd (1, 3 or 5) so a majority always decides (got ${replicas})`);
  if (spec.direct === true && replicas !== 1) throw new InvalidComputeInputError('spec.replicas', `must be 1 for a direct job: a poster who picks several providers would pick the majority (got ${replicas})`);
  const units = int('spec.units', spec.units, 1, UINT32_MAX);
  const maxPricePerUnit = amount('spec.maxPricePerUnit', spec.maxPricePerUnit);
  const escrow = maxPricePerUnit * BigInt(units) * BigInt(replicas);
  if (escrow > UINT96_MAX) throw new InvalidComputeInputError('spec.maxPricePerUnit', `escrow maxPricePerUnit * units * replicas = ${escrow} does not fit in 96 bits`);
  const deadline = int('spec.deadline', spec.deadline, 0, UINT40_MAX);
  if (deadline < now + MIN_RUN_TIME) throw new InvalidComputeInputError('spec.deadline', `must leave providers at least ${MIN_RUN_TIME} s to run the job (deadline ${deadline}, now ${now})`);
  const direct = spec.direct ?? false;
  if (typeof direct !== 'boolean') throw new InvalidComputeInputError('spec.direct', 'must be a boolean');
  const bidWindow = int('spec.bidWindow', spec.bidWindow, 0, UINT32_MAX);
  if (!direct && now + bidWindow + MIN_RUN_TIME > deadline) throw new InvalidComputeInputError('spec.bidWindow', `must close at least ${MIN_RUN_TIME} s before the deadline (now ${now} + ${bidWindow} s + ${MIN_RUN_TIME} s > ${deadline})`);
  return {
    workloadDigest,
    inputDigest,
    workloadURI: spec.workloadURI,
    inputURI: spec.inputURI,
    needs,
    maxPricePerUnit,
    units,
    deadline,
    bidWindow,
    replicas,
    mode: COMPUTE_MODES.indexOf(spec.mode),
    direct,
  };
}

/**
 * Throws InvalidComputeInputError (naming the field and the reason) if `postJob` would refuse `spec`; call it
 * before any transaction. `now` defaults to the wall clock, in unix seconds.
 * @example
 * validateJobSpec({ ...spec, replicas: 0 }) // throws "spec.replicas: must be an integer 1-5 (got 0)"
 */
export function validateJobSpec(spec: JobSpecInput, now?: number): void {
  encodeJobSpec(spec, now);
}

/** Chain "now": the later of the latest block's time and the wall clock (a local devnet mines only on demand). */
export async function chainNow(client: ReadClient): Promise<number> {
  const block = await readerOf(client).getBlock({ blockTag: 'latest' });
  return Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000));
}

// ------------------------------------------------------------------------------------------------ writes

async function write(wallet: MachinaWalletClient, market: Address, functionName: string, args: readonly unknown[]) {
  try {
    return await sendWrite(wallet, { address: market, abi: marketAbi, functionName, args });
  } catch (err) {
    throw asComputeError(err, functionName);
  }
}

/**
 * Keeper writes (assign, finalize, resolve) depend on time: they simulate against the pending block, because an
 * idle local devnet mines only on demand and its latest block carries a stale timestamp (anvil's eth_call at
 * `latest` uses it; the transaction itself is mined at the current time).
 */
async function writeDue(wallet: MachinaWalletClient, market: Address, functionName: string, args: readonly unknown[]) {
  const reader = readerOf(wallet);
  try {
    const { request } = await reader.simulateContract({ address: market, abi: marketAbi, functionName, args, account: wallet.account, blockTag: 'pending' } as never);
    const hash = await wallet.writeContract(request as Parameters<MachinaWalletClient['writeContract']>[0]);
    const receipt = await reader.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') {
      // Keepers race: another transaction in the same block may have settled the job first. Replaying the call on
      // the state that block left names the reason (e.g. WrongStatus), which callers treat as a lost race.
      await reader.simulateContract({ address: market, abi: marketAbi, functionName, args, account: wallet.account, blockNumber: receipt.blockNumber } as never);
      throw new MachinaError(`${functionName} reverted on chain (tx ${hash})`, { code: 'TX_REVERTED', details: { hash } });
    }
    return { hash, receipt };
  } catch (err) {
    throw asComputeError(err, functionName);
  }
}

function marketLogs<const name extends ContractEventName<typeof computeMarketAbi>>(receipt: TransactionReceipt, market: Address, eventName: name) {
  return parseEventLogs({ abi: computeMarketAbi, logs: receipt.logs, eventName }).filter((l) => l.address.toLowerCase() === market.toLowerCase());
}

/**
 * `ensureAllowance` of src/pay/token.ts with the token address checked and a failed approval as a compute error.
 * The market's own actions (postJob, stakeProvider, challenge) call it under the wallet lock together with the write
 * that spends the allowance.
 * @example
 * await ensureAllowance(wallet, { token, spender: market, amount: 5_000_000n })
 */
export async function ensureAllowance(wallet: MachinaWalletClient, p: { token: Address; spender: Address; amount: bigint }): Promise<{ txHash: Hex | null }> {
  return ensureTokenAllowance(wallet, { ...p, token: address('token', p.token) }, (err) => asComputeError(err, 'approve'));
}

/**
 * Registers ERC-8004 agent `agentId` as a provider operated by the wallet (its owner, operator or agentWallet).
 * @example
 * const { providerId } = await registerProvider(wallet, { market, agentId, resources: { deviceKind: 'cpu', region: '', deviceCount: 2, memoryMB: 2048, pricePerUnit: 10_000n } })
 */
export async function registerProvider(wallet: MachinaWalletClient, p: { market: Address; agentId: bigint; resources: ResourcesInput }): Promise<TxOutcome & { providerId: bigint }> {
  const market = address('market', p.market);
  const agentId = id('agentId', p.agentId);
  const resources = encodeResources(p.resources);
  const { hash, receipt } = await write(wallet, market, 'register', [agentId, resources]);
  const ev = eventOf(computeMarketAbi, receipt, 'ProviderRegistered', market);
  return { txHash: hash, providerId: ev.args.providerId };
}

/**
 * Changes a provider's offer (operator only); running jobs keep their prices.
 * @example
 * await updateResources(wallet, { market, providerId, resources: { ...r, pricePerUnit: 8_000n } })
 */
export async function updateResources(wallet: MachinaWalletClient, p: { market: Address; providerId: bigint; resources: ResourcesInput }): Promise<TxOutcome> {
  const market = address('market', p.market);
  const { hash } = await write(wallet, market, 'updateResources', [id('providerId', p.providerId), encodeResources(p.resources)]);
  return { txHash: hash };
}

/**
 * Adds `amount` to a provider's stake from the wallet (anyone may top up); approves the market first if needed.
 * @example
 * const { stake } = await stakeProvider(wallet, { market, token, providerId, amount: 200_000_000n })
 */
export async function stakeProvider(wallet: MachinaWalletClient, p: { market: Address; token: Address; providerId: bigint; amount: bigint }): Promise<TxOutcome & { stake: bigint }> {
  const market = address('market', p.market);
  const providerId = id('providerId', p.providerId);
  const value = amount('amount', p.amount, 1n, (1n << 256n) - 1n);
  const { hash, receipt } = await underWalletLock(wallet, async () => {
    await ensureAllowance(wallet, { token: p.token, spender: market, amount: value });
    return write(wallet, market, 'stake', [providerId, value]);
  });
  return { txHash: hash, stake: eventOf(computeMarketAbi, receipt, 'Staked', market).args.stake };
}

/**
 * Liveness signal (operator only); a provider that stops sending them stops getting work.
 * @example
 * await heartbeat(wallet, { market, providerId })
 */
export async function heartbeat(wallet: MachinaWalletClient, p: { market: Address; providerId: bigint }): Promise<TxOutcome & { at: number }> {
  const market = address('market', p.market);
  const { hash, receipt } = await write(wallet, market, 'heartbeat', [id('providerId', p.providerId)]);
  return { txHash: hash, at: Number(eventOf(computeMarketAbi, receipt, 'Heartbeat', market).args.at) };
}

/**
 * Stops taking work and starts the unstaking cooldown (operator only).
 * @example
 * const { unstakeAt } = await requestUnstake(wallet, { market, providerId })
 */
export async function requestUnstake(wallet: MachinaWalletClient, p: { market: Address; providerId: bigint }): Promise<TxOutcome & { unstakeAt: number }> {
  const market = address('market', p.market);
  const { hash, receipt } = await write(wallet, market, 'requestUnstake', [id('providerId', p.providerId)]);
  return { txHash: hash, unstakeAt: Number(eventOf(computeMarketAbi, receipt, 'UnstakeRequested', market).args.unstakeAt) };
}

/**
 * After the cooldown, with nothing locked, sends the whole stake to `to` (default: the operator).
 * @example
 * const { amount } = await withdrawStake(wallet, { market, providerId })
 */
export async function withdrawStake(wallet: MachinaWalletClient, p: { market: Address; providerId: bigint; to?: Address }): Promise<TxOutcome & { amount: bigint }> {
  const market = address('market', p.market);
  const to = address('to', p.to ?? wallet.account.address);
  const { hash, receipt } = await write(wallet, market, 'withdrawStake', [id('providerId', p.providerId), to]);
  return { txHash: hash, amount: eventOf(computeMarketAbi, receipt, 'StakeWithdrawn', market).args.amount };
}

/**
 * Posts a job from an EOA: checks the spec, approves the escrow if the allowance is short, posts, and returns
 * the job id and the escrow taken. Posts from one wallet in this process run one at a time (approval and post
 * together), so concurrent posts are safe. Posting is not idempotent: when the receipt wait fails after the
 * transaction was sent, the error carries `details.txHash`; look it up (`jobIdsFromReceipt` on its receipt)
 * before posting again, or the escrow is taken twice.
 * @example
 * const { jobId } = await postJob(wallet, { market, token, spec })
 */
export async function postJob(wallet: MachinaWalletClient, p: { market: Address; token: Address; spec: JobSpecInput }): Promise<{ jobId: bigint; txHash: Hex; escrow: bigint }> {
  const market = address('market', p.market);
  const token = address('token', p.token);
  const spec = encodeJobSpec(p.spec, await chainNow(wallet));
  const { hash, receipt } = await underWalletLock(wallet, async () => {
    await ensureAllowance(wallet, { token, spender: market, amount: jobEscrow(spec) });
    return writePost(wallet, market, spec);
  });
  const ev = eventOf(computeMarketAbi, receipt, 'JobPosted', market);
  return { jobId: ev.args.jobId, txHash: hash, escrow: ev.args.escrow };
}

/** postJob's write: like `write`, but a failure after the transaction was sent says so and carries `details.txHash`. */
async function writePost(wallet: MachinaWalletClient, market: Address, spec: ReturnType<typeof encodeJobSpec>) {
  const reader = readerOf(wallet);
  let hash: Hex | undefined;
  try {
    const { request } = await reader.simulateContract({ address: market, abi: marketAbi, functionName: 'postJob', args: [spec], account: wallet.account } as never);
    hash = await wallet.writeContract(request as Parameters<MachinaWalletClient['writeContract']>[0]);
    const receipt = await reader.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new MachinaError(`postJob reverted on chain (tx ${hash})`, { code: 'TX_REVERTED', details: { hash, txHash: hash } });
    return { hash, receipt };
  } catch (err) {
    if (hash && !(err instanceof MachinaError)) {
      throw new MachinaError(`postJob was sent (tx ${hash}) but its receipt could not be read; check that transaction (jobIdsFromReceipt) before posting again, or the escrow is taken twice`, {
        code: 'TX_UNCONFIRMED',
        details: { txHash: hash },
        cause: err,
      });
    }
    throw asComputeError(err, 'postJob');
  }
}

/**
 * The calls an agent account makes to post a job (run them with `executeAsAgent`, inside the key's policy):
 * approve the escrow to the market, then post. Checks the spec against `now` (default: wall clock) first.
 * @example
 * const { txHash } = await executeAsAgent(keyWallet, { account, calls: postJobCalls({ market, token, spec }) })
 * const [jobId] = jobIdsFromReceipt(await client.getTransactionReceipt({ hash: txHash }), market)
 */
export function postJobCalls(p: { market: Address; token: Address; spec: JobSpecInput; now?: number }): Call[] {
  const market = address('market', p.market);
  const token = address('token', p.token);
  const spec = encodeJobSpec(p.spec, p.now);
  return [
    { target: token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [market, jobEscrow(spec)] }) },
    { target: market, value: 0n, data: encodeFunctionData({ abi: computeMarketAbi, functionName: 'postJob', args: [spec] }) },
  ];
}

/**
 * Ids of the jobs `market` posted in a transaction (e.g. an agent account's batch), in log order.
 * @example
 * const [jobId] = jobIdsFromReceipt(receipt, market)
 */
export function jobIdsFromReceipt(receipt: TransactionReceipt, market: Address): bigint[] {
  return marketLogs(receipt, market, 'JobPosted').map((l) => (l.args as { jobId: bigint }).jobId);
}

/**
 * Poster cancels an Open job that has no assignment; the escrow is credited back (withdraw it with `withdrawCredit`).
 * @example
 * const { refund } = await cancelJob(wallet, { market, jobId })
 */
export async function cancelJob(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint }): Promise<TxOutcome & { refund: bigint }> {
  const market = address('market', p.market);
  const { hash, receipt } = await write(wallet, market, 'cancel', [id('jobId', p.jobId)]);
  return { txHash: hash, refund: eventOf(computeMarketAbi, receipt, 'JobCancelled', market).args.refund };
}

function assignedIn(receipt: TransactionReceipt, market: Address) {
  return marketLogs(receipt, market, 'Assigned').map((l) => {
    const a = l.args as { providerId: bigint; slot: number; pricePerUnit: bigint };
    return { providerId: a.providerId, slot: Number(a.slot), pricePerUnit: a.pricePerUnit };
  });
}

/**
 * Bids `pricePerUnit` on an auction job as the provider's operator. With `bidWindow == 0` a free slot is
 * assigned at once: `slot` is then the replica slot won, else null (the bid waits in the book).
 * @example
 * const { slot } = await bid(wallet, { market, jobId, providerId, pricePerUnit: 10_000n })
 */
export async function bid(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint; providerId: bigint; pricePerUnit: bigint }): Promise<TxOutcome & { slot: number | null }> {
  const market = address('market', p.market);
  const providerId = id('providerId', p.providerId);
  const { hash, receipt } = await write(wallet, market, 'bid', [id('jobId', p.jobId), providerId, amount('pricePerUnit', p.pricePerUnit)]);
  const won = assignedIn(receipt, market).find((a) => a.providerId === providerId);
  return { txHash: hash, slot: won ? won.slot : null };
}

/**
 * After the bid window, assigns the best eligible bids (anyone may call).
 * @example
 * const { assigned } = await assignJob(wallet, { market, jobId })
 */
export async function assignJob(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint }): Promise<TxOutcome & { assigned: { providerId: bigint; slot: number; pricePerUnit: bigint }[] }> {
  const market = address('market', p.market);
  const { hash, receipt } = await writeDue(wallet, market, 'assign', [id('jobId', p.jobId)]);
  return { txHash: hash, assigned: assignedIn(receipt, market) };
}

/**
 * Direct job: the poster offers a replica slot to `providerId` at `pricePerUnit`.
 * @example
 * await offer(wallet, { market, jobId, providerId, pricePerUnit: 10_000n })
 */
export async function offer(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint; providerId: bigint; pricePerUnit: bigint }): Promise<TxOutcome> {
  const market = address('market', p.market);
  const { hash } = await write(wallet, market, 'offer', [id('jobId', p.jobId), id('providerId', p.providerId), amount('pricePerUnit', p.pricePerUnit)]);
  return { txHash: hash };
}

/**
 * Direct job: the provider's operator takes the poster's offer; returns the replica slot.
 * @example
 * const { slot } = await accept(wallet, { market, jobId, providerId })
 */
export async function accept(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint; providerId: bigint }): Promise<TxOutcome & { slot: number }> {
  const market = address('market', p.market);
  const providerId = id('providerId', p.providerId);
  const { hash, receipt } = await write(wallet, market, 'accept', [id('jobId', p.jobId), providerId]);
  const won = assignedIn(receipt, market).find((a) => a.providerId === providerId);
  if (!won) throw new MachinaError(`expected an Assigned event for provider ${providerId} in tx ${hash}`, { code: 'MISSING_EVENT' });
  return { txHash: hash, slot: won.slot };
}

export type Finalized = { status: JobStatusName; acceptedDigest: Hex | null; refund: bigint };

function finalizedIn(receipt: TransactionReceipt, market: Address): Finalized | null {
  const l = marketLogs(receipt, market, 'JobFinalized')[0];
  if (!l) return null;
  const a = l.args as { status: number; acceptedDigest: Hex; refund: bigint };
  return { status: JOB_STATUS[a.status] ?? 'none', acceptedDigest: a.acceptedDigest === zeroHash ? null : a.acceptedDigest, refund: a.refund };
}

/**
 * The assigned provider's operator commits its output digest and where to fetch it. In redundant mode the last
 * replica's commit settles the job in the same transaction: `finalized` is then its outcome, else null.
 * @example
 * const { finalized } = await commitResult(wallet, { market, jobId, providerId, outputDigest, outputURI })
 */
export async function commitResult(
  wallet: MachinaWalletClient,
  p: { market: Address; jobId: bigint; providerId: bigint; outputDigest: Hex; outputURI: string },
): Promise<TxOutcome & { finalized: Finalized | null }> {
  const market = address('market', p.market);
  if (typeof p.outputURI !== 'string') throw new InvalidComputeInputError('outputURI', 'must be a string');
  const { hash, receipt } = await write(wallet, market, 'commitResult', [id('jobId', p.jobId), id('providerId', p.providerId), digest('outputDigest', p.outputDigest), p.outputURI]);
  return { txHash: hash, finalized: finalizedIn(receipt, market) };
}

/**
 * Disputes an optimistic result within its challenge window, posting the market's `challengeBond` (approved
 * first if needed). The market asks each arbiter for an ERC-8004 validation.
 * @example
 * const { requestHashes } = await challenge(wallet, { market, token, jobId, claimedDigest })
 */
export async function challenge(
  wallet: MachinaWalletClient,
  p: { market: Address; token: Address; jobId: bigint; claimedDigest: Hex },
): Promise<TxOutcome & { resolveBy: number; requestHashes: Hex[] }> {
  const market = address('market', p.market);
  const jobId = id('jobId', p.jobId);
  const claimed = digest('claimedDigest', p.claimedDigest);
  const { challengeBond } = await readConfig(wallet, { market });
  const { hash, receipt } = await underWalletLock(wallet, async () => {
    if (challengeBond > 0n) await ensureAllowance(wallet, { token: p.token, spender: market, amount: challengeBond });
    return write(wallet, market, 'challenge', [jobId, claimed]);
  });
  const ev = eventOf(computeMarketAbi, receipt, 'ChallengeOpened', market);
  return { txHash: hash, resolveBy: Number(ev.args.resolveBy), requestHashes: [...ev.args.requestHashes] };
}

/**
 * Settles a dispute once every arbiter answered or its time is up (anyone may call).
 * @example
 * const { upheld } = await resolveChallenge(wallet, { market, jobId })
 */
export async function resolveChallenge(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint }): Promise<TxOutcome & { upheld: boolean; finalized: Finalized | null }> {
  const market = address('market', p.market);
  const { hash, receipt } = await writeDue(wallet, market, 'resolveChallenge', [id('jobId', p.jobId)]);
  const ev = eventOf(computeMarketAbi, receipt, 'ChallengeResolved', market);
  return { txHash: hash, upheld: ev.args.upheld, finalized: finalizedIn(receipt, market) };
}

/**
 * Settles a job whose outcome is due (see `jobDue`): pays, slashes, refunds or expires it (anyone may call).
 * @example
 * const { status } = await finalizeJob(wallet, { market, jobId })
 */
export async function finalizeJob(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint }): Promise<TxOutcome & Finalized> {
  const market = address('market', p.market);
  const { hash, receipt } = await writeDue(wallet, market, 'finalize', [id('jobId', p.jobId)]);
  const f = finalizedIn(receipt, market) ?? { status: 'none' as const, acceptedDigest: null, refund: 0n };
  return { txHash: hash, ...f };
}

/**
 * The poster of an optimistic job accepts its committed, unchallenged result before the challenge window ends
 * (having checked it, e.g. by running the workload itself): the provider is paid at once, as by `finalize`.
 * @example
 * const { status } = await acceptResult(wallet, { market, jobId }) // 'completed'
 */
export async function acceptResult(wallet: MachinaWalletClient, p: { market: Address; jobId: bigint }): Promise<TxOutcome & Finalized> {
  const market = address('market', p.market);
  const { hash, receipt } = await write(wallet, market, 'acceptResult', [id('jobId', p.jobId)]);
  const f = finalizedIn(receipt, market) ?? { status: 'none' as const, acceptedDigest: null, refund: 0n };
  return { txHash: hash, ...f };
}

/**
 * Sends the wallet's whole credit (payouts, refunds, rewards) to `to` (default: the wallet).
 * @example
 * const { amount } = await withdrawCredit(wallet, { market })
 */
export async function withdrawCredit(wallet: MachinaWalletClient, p: { market: Address; to?: Address }): Promise<{ amount: bigint; txHash: Hex }> {
  const market = address('market', p.market);
  const to = address('to', p.to ?? wallet.account.address);
  const { hash, receipt } = await write(wallet, market, 'withdraw', [to]);
  return { amount: eventOf(computeMarketAbi, receipt, 'Withdrawn', market).args.amount, txHash: hash };
}

// ------------------------------------------------------------------------------------------------ reads

async function read<T>(client: ReadClient, market: Address, functionName: string, args: readonly unknown[] = []): Promise<T> {
  try {
    return (await readerOf(client).readContract({ address: market, abi: marketAbi, functionName, args } as never)) as T;
  } catch (err) {
    throw asComputeError(err, functionName);
  }
}

type ResourcesStruct = { deviceKind: Hex; region: Hex; deviceCount: number; memoryMB: number; pricePerUnit: bigint };

function resourcesOf(r: ResourcesStruct): ResourcesInput {
  return { deviceKind: decodeLabel(r.deviceKind), region: decodeLabel(r.region), deviceCount: Number(r.deviceCount), memoryMB: Number(r.memoryMB), pricePerUnit: r.pricePerUnit };
}

/**
 * A provider's state with its reputation and liveness, or null if it was never registered.
 * @example
 * const p = await readProvider(client, { market, providerId })
 */
export async function readProvider(client: ReadClient, p: { market: Address; providerId: bigint }): Promise<ProviderState | null> {
  const market = address('market', p.market);
  const providerId = id('providerId', p.providerId);
  type ProviderStruct = {
    operator: Address;
    stake: bigint;
    locked: bigint;
    lastHeartbeat: number;
    unstakeAt: number;
    activeJobs: number;
    completed: number;
    slashes: number;
    resources: ResourcesStruct;
  };
  const s = await read<ProviderStruct>(client, market, 'getProvider', [providerId]);
  if (s.operator === zeroAddress) return null;
  const [reputation, live] = await Promise.all([read<number>(client, market, 'reputationOf', [providerId]), read<boolean>(client, market, 'isLive', [providerId])]);
  return {
    providerId,
    operator: s.operator,
    stake: s.stake,
    locked: s.locked,
    lastHeartbeat: Number(s.lastHeartbeat),
    unstakeAt: Number(s.unstakeAt),
    activeJobs: Number(s.activeJobs),
    completed: Number(s.completed),
    slashes: Number(s.slashes),
    reputation: Number(reputation),
    live,
    resources: resourcesOf(s.resources),
  };
}

/**
 * A job with its replica assignments and the size of its bid book, or null if it does not exist.
 * @example
 * const job = await readJob(client, { market, jobId })
 */
export async function readJob(client: ReadClient, p: { market: Address; jobId: bigint }): Promise<JobState | null> {
  const market = address('market', p.market);
  const jobId = id('jobId', p.jobId);
  type JobStruct = {
    poster: Address;
    status: number;
    mode: number;
    direct: boolean;
    replicas: number;
    assigned: number;
    committed: number;
    postedAt: number;
    deadline: number;
    bidWindow: number;
    units: number;
    maxPricePerUnit: bigint;
    escrow: bigint;
    workloadDigest: Hex;
    inputDigest: Hex;
    acceptedDigest: Hex;
    needs: { deviceKind: Hex; minMemoryMB: number; region: Hex };
    challengeEndsAt: number;
  };
  type AssignmentStruct = { providerId: bigint; pricePerUnit: bigint; outputDigest: Hex; paid: boolean; slashed: boolean };
  // An unknown job reads as an all-zero struct (status None).
  const [j, as, bids] = await Promise.all([
    read<JobStruct>(client, market, 'getJob', [jobId]),
    read<readonly AssignmentStruct[]>(client, market, 'getAssignments', [jobId]),
    read<readonly unknown[]>(client, market, 'getBids', [jobId]),
  ]);
  if (j.status === 0) return null;
  return {
    jobId,
    poster: j.poster,
    status: JOB_STATUS[j.status] ?? 'none',
    mode: COMPUTE_MODES[j.mode] ?? 'redundant',
    direct: j.direct,
    replicas: Number(j.replicas),
    assigned: Number(j.assigned),
    committed: Number(j.committed),
    postedAt: Number(j.postedAt),
    deadline: Number(j.deadline),
    bidWindow: Number(j.bidWindow),
    units: Number(j.units),
    maxPricePerUnit: j.maxPricePerUnit,
    escrow: j.escrow,
    workloadDigest: j.workloadDigest,
    inputDigest: j.inputDigest,
    acceptedDigest: j.acceptedDigest === zeroHash ? null : j.acceptedDigest,
    needs: { deviceKind: decodeLabel(j.needs.deviceKind), minMemoryMB: Number(j.needs.minMemoryMB), region: decodeLabel(j.needs.region) },
    challengeEndsAt: Number(j.challengeEndsAt),
    assignments: as.map((a) => ({
      providerId: a.providerId,
      pricePerUnit: a.pricePerUnit,
      outputDigest: a.outputDigest === zeroHash ? null : a.outputDigest,
      paid: a.paid,
      slashed: a.slashed,
    })),
    bids: bids.length,
  };
}

/**
 * The auction book of a job, best bid first.
 * @example
 * const bids = await readBids(client, { market, jobId })
 */
export async function readBids(client: ReadClient, p: { market: Address; jobId: bigint }): Promise<BidState[]> {
  const bids = await read<readonly { providerId: bigint; pricePerUnit: bigint; reputation: number }[]>(client, address('market', p.market), 'getBids', [id('jobId', p.jobId)]);
  return bids.map((b) => ({ providerId: b.providerId, pricePerUnit: b.pricePerUnit, reputation: Number(b.reputation) }));
}

/**
 * The dispute of an optimistic job, or null if it was never challenged.
 * @example
 * const c = await readChallenge(client, { market, jobId })
 */
export async function readChallenge(client: ReadClient, p: { market: Address; jobId: bigint }): Promise<ChallengeState | null> {
  const c = await read<{ challenger: Address; claimedDigest: Hex; resolveBy: number; resolved: boolean; upheld: boolean; requestHashes: readonly Hex[] }>(
    client,
    address('market', p.market),
    'getChallenge',
    [id('jobId', p.jobId)],
  );
  if (c.challenger === zeroAddress) return null;
  return { challenger: c.challenger, claimedDigest: c.claimedDigest, resolveBy: Number(c.resolveBy), resolved: c.resolved, upheld: c.upheld, requestHashes: [...c.requestHashes] };
}

/**
 * The market's parameters.
 * @example
 * const { minStake, slashAmount } = await readConfig(client, { market })
 */
export async function readConfig(client: ReadClient, p: { market: Address }): Promise<MarketConfig> {
  const c = await read<Record<string, bigint | number>>(client, address('market', p.market), 'config');
  return {
    minStake: BigInt(c.minStake!),
    slashAmount: BigInt(c.slashAmount!),
    challengeBond: BigInt(c.challengeBond!),
    unstakeCooldown: Number(c.unstakeCooldown),
    heartbeatTTL: Number(c.heartbeatTTL),
    challengeWindow: Number(c.challengeWindow),
    resolutionWindow: Number(c.resolutionWindow),
    rewardShareBps: Number(c.rewardShareBps),
  };
}

/**
 * What `account` may withdraw from the market (payouts, refunds, rewards).
 * @example
 * const credit = await readCredit(client, { market, account })
 */
export async function readCredit(client: ReadClient, p: { market: Address; account: Address }): Promise<bigint> {
  return read<bigint>(client, address('market', p.market), 'creditOf', [address('account', p.account)]);
}

/**
 * The arbiters that decide disputes.
 * @example
 * const arbiters = await readArbiters(client, { market })
 */
export async function readArbiters(client: ReadClient, p: { market: Address }): Promise<Address[]> {
  return [...(await read<readonly Address[]>(client, address('market', p.market), 'arbiters'))];
}

/**
 * How many jobs were posted (job ids are 1..count).
 * @example
 * const n = await readJobCount(client, { market })
 */
export async function readJobCount(client: ReadClient, p: { market: Address }): Promise<bigint> {
  return read<bigint>(client, address('market', p.market), 'jobCount');
}

/**
 * Ids of every registered provider, from `ProviderRegistered` logs (read MAX_LOG_RANGE blocks per call from
 * `fromBlock`, default 0; pass the market's deployment block to read less).
 * @example
 * const ids = await listProviderIds(client, { market })
 */
export async function listProviderIds(client: ReadClient, p: { market: Address; fromBlock?: bigint }): Promise<bigint[]> {
  const logs = await eventsInRange<{ args: { providerId?: bigint } }>(client, {
    address: address('market', p.market),
    abi: computeMarketAbi as unknown as Abi,
    eventName: 'ProviderRegistered',
    fromBlock: p.fromBlock ?? 0n,
  });
  return logs.map((l) => l.args.providerId).filter((x): x is bigint => typeof x === 'bigint');
}

/**
 * How many registered providers are live now and not unstaking.
 * @example
 * const live = await countLiveProviders(client, { market })
 */
export async function countLiveProviders(
  client: ReadClient,
  p: { market: Address; fromBlock?: bigint; needs?: { deviceKind: string; minMemoryMB: number; region?: string } },
): Promise<number> {
  const ids = await listProviderIds(client, p);
  const states = await Promise.all(ids.map((providerId) => readProvider(client, { market: p.market, providerId })));
  const { needs } = p;
  // With `needs`, only providers that could take such a job count (same device kind, enough memory, the region).
  const fits = (s: ProviderState) =>
    !needs || (s.resources.deviceKind === needs.deviceKind && s.resources.memoryMB >= needs.minMemoryMB && (!needs.region || s.resources.region === needs.region));
  return states.filter((s) => s && s.live && s.unstakeAt === 0 && fits(s)).length;
}

// ------------------------------------------------------------------------------------------------ keepers

/**
 * What a keeper (anyone) may call on `job` at unix time `now` (mirrors the contract's time checks): `assign` after
 * an auction's bid window with enough bids, `finalize` for an open job at its deadline (expiry, or settling the
 * slots filled), a redundant job at its deadline (no-shows, no majority), an optimistic result at the end of its
 * challenge window (or at the deadline without a result), `resolve` for a dispute past
 * its resolution time (`challenge.resolveBy` if given, else `challengeEndsAt + resolutionWindow`); else null.
 * A dispute whose arbiters all answered may be resolvable earlier: try `resolveChallenge` and treat
 * `ChallengeNotResolvable` as "not yet".
 * @example
 * if (jobDue(job, await chainNow(client), cfg) === 'finalize') await finalizeJob(wallet, { market, jobId: job.jobId })
 */
export function jobDue(job: JobState, now: number, cfg: Pick<MarketConfig, 'resolutionWindow'>, challenge?: Pick<ChallengeState, 'resolveBy'> | null): KeeperAction | null {
  switch (job.status) {
    case 'open':
      if (now >= job.deadline) return 'finalize';
      // After the window the best eligible bids take the slots; any left open are then taken first come (the
      // market sets bidWindow to 0), so an auction short of bids is not stuck.
      // No slot is taken with less than MIN_RUN_TIME left (NoTimeToRun): such a job can only wait for its expiry.
      if (!job.direct && job.bidWindow > 0 && now >= job.postedAt + job.bidWindow && now + MIN_RUN_TIME <= job.deadline) return 'assign';
      return null;
    case 'assigned':
      if (job.mode === 'optimistic' && job.committed > 0) return job.challengeEndsAt > 0 && now >= job.challengeEndsAt ? 'finalize' : null;
      return now >= job.deadline ? 'finalize' : null;
    case 'challenged': {
      const resolveBy = challenge ? challenge.resolveBy : job.challengeEndsAt + cfg.resolutionWindow;
      return now > resolveBy ? 'resolve' : null;
    }
    default:
      return null;
  }
}

/**
 * Reverts of a keeper call (assign, finalize, resolve) that mean "someone else got there first" or "not yet":
 * the one list every keeper (the node, a waiting buyer, a provider daemon) treats as a lost race.
 */
export const KEEPER_RACE_ERRORS = ['WrongStatus', 'NotFinalizable', 'ChallengeNotResolvable', 'BidWindowOpen', 'NotEnoughBids', 'DeadlinePassed', 'NoTimeToRun'] as const;

export type PokeResult =
  | { action: KeeperAction; txHash: Hex; status?: JobStatusName | undefined; upheld?: boolean | undefined; raced?: undefined }
  | { action: KeeperAction; raced: string; txHash?: undefined; status?: undefined; upheld?: undefined };

/**
 * Calls what `jobDue` says is due on `job` (assign, finalize or resolve), or nothing. With `earlyResolve` (default
 * true) a dispute is tried before its resolution time too (its arbiters may all have answered). Returns the action
 * sent with its tx hash and outcome, `{ action, raced: errorName }` when the market answered with one of
 * KEEPER_RACE_ERRORS, or null when nothing is due; other errors are thrown. `now` defaults to `chainNow`, and
 * `challenge` is read when the job is challenged and it is not given.
 * @example
 * const r = await pokeJob(wallet, { market, job, cfg })
 * if (r && r.raced === undefined) console.log(`${r.action} → ${r.txHash}`)
 */
export async function pokeJob(
  wallet: MachinaWalletClient,
  p: {
    market: Address;
    job: JobState;
    cfg: Pick<MarketConfig, 'resolutionWindow'>;
    challenge?: Pick<ChallengeState, 'resolveBy'> | null | undefined;
    now?: number | undefined;
    earlyResolve?: boolean | undefined;
  },
): Promise<PokeResult | null> {
  const { market, job } = p;
  const now = p.now ?? (await chainNow(wallet));
  const challenge = p.challenge !== undefined ? p.challenge : job.status === 'challenged' ? await readChallenge(wallet, { market, jobId: job.jobId }) : null;
  const action = jobDue(job, now, p.cfg, challenge) ?? (job.status === 'challenged' && p.earlyResolve !== false ? 'resolve' : null);
  if (!action) return null;
  try {
    if (action === 'assign') return { action, txHash: (await assignJob(wallet, { market, jobId: job.jobId })).txHash };
    if (action === 'finalize') {
      const r = await finalizeJob(wallet, { market, jobId: job.jobId });
      return { action, txHash: r.txHash, status: r.status };
    }
    const r = await resolveChallenge(wallet, { market, jobId: job.jobId });
    return { action, txHash: r.txHash, upheld: r.upheld, status: r.finalized?.status };
  } catch (err) {
    const name = KEEPER_RACE_ERRORS.find((n) => isComputeRevert(err, n));
    if (name) return { action, raced: name };
    throw err;
  }
}
