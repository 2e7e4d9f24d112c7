// The compute domain's errors: bad input caught before any transaction (naming the field and the reason), and
// the market contract's custom errors turned into one readable line that keeps the error's name and arguments.
import { MachinaError } from '../errors/index.ts';
import { asRevertError, isRevertNamed, revertArg as str, revertErrorParameters, type RevertSentences } from '../errors/revert.ts';
// A cycle (market.ts imports this module), safe because JOB_STATUS is read only when a message is built.
import { JOB_STATUS } from './market.ts';

/**
 * A compute input (job spec, resources, amount, id) is wrong; thrown before anything is sent.
 * @example
 * throw new InvalidComputeInputError('spec.replicas', 'must be 1 in optimistic mode (got 3)')
 */
export class InvalidComputeInputError extends MachinaError {
  override name = 'InvalidComputeInputError';
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`, { code: 'INVALID_COMPUTE_INPUT', field });
  }
}

/** Readable sentences for the market's custom errors; arguments in the order the ABI declares them. */
const sentences: RevertSentences = {
  ZeroAddress: () => 'an address argument is the zero address',
  ZeroAmount: () => 'the amount is zero',
  InvalidConfig: (a) => `invalid market config field ${str(a[0])}`,
  InvalidResources: (a) => `invalid resources: ${str(a[0])}`,
  InvalidJobSpec: (a) => `invalid job spec: ${str(a[0])}`,
  NotAgentOwner: (a) => `${str(a[1])} neither owns nor operates agent ${str(a[0])}, nor is its agentWallet`,
  ProviderExists: (a) => `provider ${str(a[0])} is already registered`,
  UnknownProvider: (a) => `provider ${str(a[0])} is not registered`,
  NotOperator: (a) => `${str(a[1])} is not the operator of provider ${str(a[0])}`,
  ProviderUnstaking: (a) => `provider ${str(a[0])} is unstaking and takes no new work`,
  ProviderNotLive: (a) => `provider ${str(a[0])} is not live (last heartbeat at ${str(a[1])})`,
  InsufficientStake: (a) => `provider ${str(a[0])} has ${str(a[1])} free stake, needs ${str(a[2])}`,
  NoFreeCapacity: (a) => `provider ${str(a[0])} runs as many jobs as it has devices`,
  ResourcesMismatch: (a) => `provider ${str(a[0])} does not meet the job's ${str(a[1])}`,
  StakeLocked: (a) => `provider ${str(a[0])} has ${str(a[1])} stake locked by running jobs`,
  CooldownNotOver: (a) => `provider ${str(a[0])}'s unstaking cooldown ends at ${str(a[1])}`,
  UnstakeNotRequested: (a) => `provider ${str(a[0])} has not requested to unstake`,
  UnknownJob: (a) => `job ${str(a[0])} does not exist`,
  WrongStatus: (a) => `job ${str(a[0])} is ${JOB_STATUS[Number(a[1])] ?? str(a[1])}`,
  NotPoster: (a) => `${str(a[1])} did not post job ${str(a[0])}`,
  BidWindowClosed: (a) => `the bid window of job ${str(a[0])} is closed`,
  BidWindowOpen: (a) => `the bid window of job ${str(a[0])} is open until ${str(a[1])}`,
  PriceTooHigh: (a) => `price ${str(a[1])} is above job ${str(a[0])}'s maximum of ${str(a[2])} per unit`,
  AlreadyInJob: (a) => `provider ${str(a[1])} already takes part in job ${str(a[0])}`,
  BidNotCompetitive: (a) => `provider ${str(a[1])}'s bid is worse than every bid in job ${str(a[0])}'s full book`,
  NotEnoughBids: (a) => `job ${str(a[0])} has ${str(a[1])} eligible bids for ${str(a[2])} replicas`,
  NotDirect: (a) => `job ${str(a[0])} is an auction, not a direct job`,
  NotAuction: (a) => `job ${str(a[0])} is a direct job, not an auction`,
  NoOffer: (a) => `job ${str(a[0])} has no offer for provider ${str(a[1])}`,
  NotAssigned: (a) => `provider ${str(a[1])} is not assigned to job ${str(a[0])}`,
  AlreadyCommitted: (a) => `provider ${str(a[1])} already committed a result for job ${str(a[0])}`,
  ZeroDigest: () => 'a digest is zero',
  DeadlinePassed: (a) => `job ${str(a[0])}'s deadline ${str(a[1])} has passed`,
  NotFinalizable: (a) => `job ${str(a[0])} cannot be finalized yet: ${str(a[1])}`,
  ChallengeWindowClosed: (a) => `the challenge window of job ${str(a[0])} is closed`,
  SameDigest: (a) => `the claimed digest equals job ${str(a[0])}'s committed result`,
  NoArbiters: () => 'the market has no arbiters to settle a challenge',
  ChallengeNotResolvable: (a) => `the challenge of job ${str(a[0])} cannot be resolved yet: ${str(a[1])}`,
  JobHasAssignments: (a) => `job ${str(a[0])} already has ${str(a[1])} provider(s) assigned and can no longer be cancelled`,
  NothingToWithdraw: (a) => `${str(a[0])} has no credit to withdraw`,
  NoTimeToRun: (a) => `job ${str(a[0])} has less than the minimum run time left before its deadline ${str(a[1])}`,
  OfferLowered: (a) => `an offer to provider ${str(a[1])} for job ${str(a[0])} may not go below the current ${str(a[2])} per unit`,
  ValidationRequestBlocked: (a) => `every validation request hash of job ${str(a[0])} for arbiter ${str(a[1])} is already taken`,
  NoResultToAccept: (a) => `job ${str(a[0])} has no committed, unchallenged optimistic result to accept`,
  // OpenZeppelin errors the market or the token may raise.
  ERC20InsufficientBalance: (a) => `${str(a[0])} holds ${str(a[1])} tokens, needs ${str(a[2])}`,
  ERC20InsufficientAllowance: (a) => `allowance of ${str(a[0])} is ${str(a[1])}, needs ${str(a[2])}`,
  OwnableUnauthorizedAccount: (a) => `${str(a[0])} is not the market owner`,
  ReentrancyGuardReentrantCall: () => 'reentrant call',
};

/**
 * The market (or its token) reverted a call with a custom error. `errorName` and `args` are the decoded error;
 * the message says it in words, e.g. `finalize reverted: job 3 is completed (WrongStatus)`.
 * @example
 * try { await finalizeJob(wallet, { market, jobId }) } catch (e) { if (e instanceof ComputeRevertError && e.errorName === 'WrongStatus') { ... } }
 */
export class ComputeRevertError extends MachinaError {
  override name = 'ComputeRevertError';
  readonly errorName: string;
  readonly args: readonly unknown[];
  readonly functionName: string;
  constructor(functionName: string, errorName: string, args: readonly unknown[], cause?: unknown) {
    super(...revertErrorParameters('COMPUTE_REVERTED', sentences, functionName, errorName, args, cause));
    this.errorName = errorName;
    this.args = args;
    this.functionName = functionName;
  }
}

export { revertOf } from '../errors/revert.ts';

/**
 * `error` as a ComputeRevertError when it is a decoded contract revert; otherwise `error` unchanged.
 * @example
 * try { ... } catch (e) { throw asComputeError(e, 'bid') }
 */
export function asComputeError(error: unknown, functionName: string): unknown {
  return asRevertError(error, (r) => new ComputeRevertError(functionName, r.errorName, r.args, error));
}

/**
 * True when `error` is the market reverting with one of `names` (e.g. a keeper race lost: `WrongStatus`).
 * @example
 * if (isComputeRevert(e, 'WrongStatus', 'NotFinalizable')) return
 */
export function isComputeRevert(error: unknown, ...names: string[]): boolean {
  return isRevertNamed(error instanceof ComputeRevertError ? error.errorName : undefined, error, names);
}
