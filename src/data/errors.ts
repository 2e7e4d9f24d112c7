// The data domain's errors: bad input caught before any transaction (naming the field and the reason), the data
// market's custom errors as one readable sentence that keeps the error's name, and delivery failures that name the
// file. None of them ever carries key material.
import { MachinaError } from '../errors/index.ts';
import { asRevertError, isRevertNamed, revertArg as str, revertErrorParameters, type RevertSentences } from '../errors/revert.ts';

/**
 * A data input (terms, contributors, purposes, amount, id) is wrong; thrown before anything is sent.
 * @example
 * throw new InvalidDataInputError('terms.royaltyBps', 'must be an integer 0-10000 (got 12000)')
 */
export class InvalidDataInputError extends MachinaError {
  override name = 'InvalidDataInputError';
  readonly reason: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`, { code: 'INVALID_DATA_INPUT', field });
    this.reason = reason;
  }
}

/** `IDataMarket.LicenceKind` names; the index is the enum value. */
export const LICENCE_KINDS = ['access', 'training'] as const;
/** `IDataMarket.CreditReason` names; the index is the enum value. */
export const CREDIT_REASONS = ['sale', 'royalty', 'model-revenue'] as const;

const kind = (v: unknown) => LICENCE_KINDS[Number(v)] ?? str(v);
const time = (v: unknown) => {
  const n = Number(v);
  return n > 0 && Number.isFinite(n) ? `${new Date(n * 1000).toISOString()} (${n})` : str(v);
};

/** Readable sentences for the data market's custom errors; arguments in the order the ABI declares them. */
const sentences: RevertSentences = {
  ZeroAddress: () => 'an address argument is the zero address',
  UnknownDataset: (a) => `dataset ${str(a[0])} is not registered in the ProvenanceRegistry`,
  NotRegistrant: (a) => `${str(a[1])} did not register dataset ${str(a[0])} (its registrant is ${str(a[2])})`,
  AlreadyListed: (a) => `dataset ${str(a[0])} is already listed as listing ${str(a[1])}`,
  UnknownListing: (a) => `listing ${str(a[0])} does not exist`,
  NotListingOwner: (a) => `${str(a[1])} does not own listing ${str(a[0])}`,
  NotAgentOwner: (a) => `${str(a[1])} is neither the owner nor the agentWallet of agent ${str(a[0])}`,
  ParentMismatch: (a) => `listing ${str(a[0])} is not the provenance parent: the dataset's parent is ${str(a[1])}, the listing's root is ${str(a[2])}`,
  NoContributors: () => 'a listing needs at least one contributor',
  TooManyContributors: (a) => `${str(a[0])} contributors is more than the maximum of ${str(a[1])}`,
  ZeroShare: (a) => `contributor ${str(a[0])} has a zero share`,
  DuplicateContributor: (a) => `${str(a[0])} appears twice among the contributors`,
  SharesNotWhole: (a) => `shares sum to ${Number(a[0]).toLocaleString('en-US')} bps; they must sum to 10,000 (100%)`,
  RevokedInParent: (a) => `${str(a[0])} revoked consent in the parent version and cannot be a contributor of this one`,
  InvalidTerms: (a) => `invalid terms: ${str(a[0])} ${str(a[1])}`,
  NotContributor: (a) => `${str(a[1])} is not a contributor of listing ${str(a[0])}`,
  ConsentAlreadyGiven: (a) => `contributor ${str(a[1])} of listing ${str(a[0])} already gave consent`,
  ConsentAlreadyRevoked: (a) => `contributor ${str(a[1])} of listing ${str(a[0])} already revoked consent (revocation is final)`,
  ConsentNotGiven: (a) => `contributor ${str(a[1])} of listing ${str(a[0])} never gave consent`,
  SignatureExpired: (a) => `the consent signature expired at ${time(a[0])}`,
  InvalidConsentSignature: (a) => `the consent signature is not ${str(a[0])}'s`,
  ListingInactive: (a) => `listing ${str(a[0])} is delisted`,
  TermsExpired: (a) => `the terms of listing ${str(a[0])} expired at ${time(a[1])}`,
  AccessNotOffered: (a) => `listing ${str(a[0])} is compute-only: its data is not sold for access`,
  TrainingNotAllowed: (a) => `listing ${str(a[0])} does not sell training licences`,
  PurposesNotAllowed: (a) => `purposes ${str(a[0])} are not within the allowed purposes ${str(a[1])}`,
  ConsentChanged: (a) =>
    `consent or terms changed since the quote (epoch ${str(a[1])} → ${str(a[2])}): a contributor gave or revoked consent, or the seller changed the terms; quote again`,
  NoConsentingContributor: (a) => `no contributor of listing ${str(a[0])} consented to this use`,
  PriceAboveMax: (a) => `the price ${str(a[0])} is above the maximum ${str(a[1])}`,
  UnknownLicence: (a) => `licence ${str(a[0])} does not exist`,
  NotLicenceHolder: (a) => `${str(a[1])} does not hold licence ${str(a[0])}`,
  WrongLicenceKind: (a) => `licence ${str(a[0])} is not a ${kind(a[1])} licence`,
  LicenceExpired: (a) => `licence ${str(a[0])} expired at ${time(a[1])}`,
  LicenceAlreadyBound: (a) => `licence ${str(a[0])} is already bound to job ${str(a[1])}`,
  LicenceAlreadyUsed: (a) => `licence ${str(a[0])} was already used for model ${str(a[1])}`,
  JobNotYours: (a) => `job ${str(a[0])} was posted by ${str(a[1])}, not by the licence holder`,
  JobNotDirect: (a) => `job ${str(a[0])} is an auction; compute-to-data needs a direct job`,
  JobNotRunnable: (a) => `job ${str(a[0])} is neither open nor assigned`,
  ProviderNotAllowed: (a) => `the terms of listing ${str(a[0])} do not allow provider ${str(a[1])}`,
  ProviderNotOffered: (a) => `provider ${str(a[1])} was neither offered nor assigned job ${str(a[0])}`,
  UnknownModel: (a) => `model ${str(a[0])} is not registered in the ProvenanceRegistry`,
  NotTrainer: (a) => `${str(a[1])} is neither the owner nor the agentWallet of model ${str(a[0])}'s trainer`,
  ModelRoyaltyExists: (a) => `model ${str(a[0])} already has a royalty split`,
  MissingLicence: (a) => `model ${str(a[0])} was trained on listed dataset ${str(a[1])} but no training licence for it was given`,
  LicenceNotInLineage: (a) => `licence ${str(a[0])} is for a dataset outside the model's lineage`,
  LicenceJobMismatch: (a) => `licence ${str(a[0])} is bound to job ${str(a[1])}, but the model was trained in job ${str(a[2])}`,
  LicenceAfterModel: (a) => `licence ${str(a[0])} was issued after the model was registered, or expired before it`,
  RoyaltyOverflow: (a) => `the datasets' royalties sum to ${str(a[0])} bps, more than 10,000 (100%)`,
  LicenceNotCommercial: (a) => `licence ${str(a[0])} does not allow commercial use, and a model royalty earns revenue: buy a training licence of a listing whose terms allow commercial use`,
  TooManyDatasets: (a) => `the model's lineage has ${str(a[0])} listed datasets, more than the maximum of ${str(a[1])}`,
  UnknownModelRoyalty: (a) => `model ${str(a[0])} has no royalty split`,
  NothingToWithdraw: (a) => `${str(a[0])} has no data-market credit to withdraw`,
  // The vault, and OpenZeppelin errors the market or the token may raise.
  NotMarket: (a) => `${str(a[0])} is not the data market`,
  NotBeneficiary: (a) => `${str(a[0])} is not the model's beneficiary`,
  ERC20InsufficientBalance: (a) => `${str(a[0])} holds ${str(a[1])} tokens, needs ${str(a[2])}`,
  ERC20InsufficientAllowance: (a) => `allowance of ${str(a[0])} is ${str(a[1])}, needs ${str(a[2])}`,
  ReentrancyGuardReentrantCall: () => 'reentrant call',
};

/**
 * The data market reverted a call with a custom error. `reason` (= `errorName`) is the error's name, `args` its
 * decoded arguments; the message says it in words, e.g.
 * `buy reverted: consent or terms changed since the quote (epoch 3 → 4): …; quote again (ConsentChanged)`.
 * @example
 * try { await buyLicence(wallet, p) } catch (e) { if (e instanceof DataRevertError && e.reason === 'ConsentChanged') { ... } }
 */
export class DataRevertError extends MachinaError {
  override name = 'DataRevertError';
  readonly reason: string;
  readonly errorName: string;
  readonly args: readonly unknown[];
  readonly functionName: string;
  constructor(functionName: string, errorName: string, args: readonly unknown[], cause?: unknown) {
    super(...revertErrorParameters('DATA_REVERTED', sentences, functionName, errorName, args, cause));
    this.reason = errorName;
    this.errorName = errorName;
    this.args = args;
    this.functionName = functionName;
  }
}

/**
 * `error` as a DataRevertError when it is a decoded contract revert; Machina errors and anything else unchanged.
 * @example
 * try { ... } catch (e) { throw asDataError(e, 'buy') }
 */
export function asDataError(error: unknown, functionName = 'call'): unknown {
  return asRevertError(error, (r) => new DataRevertError(functionName, r.errorName, r.args, error));
}

/**
 * True when `error` is the data market reverting with one of `names` (any name when none is given).
 * @example
 * if (isDataRevert(e, 'ConsentChanged')) return quoteAgain()
 */
export function isDataRevert(error: unknown, ...names: string[]): boolean {
  return isRevertNamed(error instanceof DataRevertError ? error.errorName : undefined, error, names);
}

/**
 * Delivered data does not match what the chain says the dataset is: a file whose digest, size or manifest proof is
 * wrong, a root other than the listing's, a file missing. `file` names the file ('' for the whole delivery).
 * @example
 * throw new DataVerificationError('site-a/p-00001.json', 'digest 0x12… is not the manifest entry 0x34…')
 */
export class DataVerificationError extends MachinaError {
  override name = 'DataVerificationError';
  readonly file: string;
  constructor(file: string, reason: string) {
    super(file ? `${file}: ${reason}` : reason, { code: 'DATA_VERIFICATION_FAILED', field: file || undefined, details: { file } });
    this.file = file;
  }
}

/**
 * A delivery stream is malformed (truncated, oversized, unknown frame), or the node refused the request
 * (`status` and the node's `code` are kept, e.g. 403 NOT_LICENSED).
 * @example
 * throw new DataDeliveryError('stream ended inside frame 3 (expected 1,024 bytes, got 200)', { code: 'DELIVERY_TRUNCATED' })
 */
export class DataDeliveryError extends MachinaError {
  override name = 'DataDeliveryError';
  readonly status: number | undefined;
  constructor(message: string, opts: { code?: string; status?: number; field?: string } = {}) {
    super(message, { code: opts.code ?? 'DELIVERY_FAILED', field: opts.field, details: opts.status === undefined ? undefined : { status: opts.status } });
    this.status = opts.status;
  }
}

/**
 * Sealed data could not be opened: altered bytes, or a box for another key. Says nothing about the key.
 * @example
 * throw new DataDecryptionError('the box was altered or was sealed for another key')
 */
export class DataDecryptionError extends MachinaError {
  override name = 'DataDecryptionError';
  constructor(reason: string) {
    super(`cannot decrypt: ${reason}`, { code: 'DATA_DECRYPTION_FAILED' });
  }
}
