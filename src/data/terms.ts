// Usage terms, purposes and consent scopes of the data market: names ↔ bits (the same on every surface), the checks
// the contract makes (mirrored so bad input is refused with the field before any transaction), and the
// coverage rule that decides whose records a sale includes.
import { isAddress, isHex, zeroAddress, type Address, type Hex } from 'viem';
import { InvalidDataInputError, LICENCE_KINDS } from './errors.ts';

/** Purpose names and their bits; bits 5..29 have no name and are written `bit:N`. */
export const PURPOSES = { research: 1, 'clinical-care': 2, 'public-health': 4, education: 8, 'product-development': 16 } as const;
export type PurposeName = keyof typeof PURPOSES;
/** Consent scope bit: the records may be used to train models. */
export const SCOPE_TRAINING = (1 << 31) >>> 0;
/** Consent scope bit: the records may be used commercially. */
export const SCOPE_COMMERCIAL = 1 << 30;
/** The purposes part of a mask or scope: the low 30 bits. */
export const PURPOSE_BITS = (1 << 30) - 1;
/** Contributors a listing may have (the contract's MAX_CONTRIBUTORS). */
export const MAX_CONTRIBUTORS = 32;
/** Providers a listing's terms may name (the contract's MAX_PROVIDERS). */
export const MAX_PROVIDERS = 32;
/** Basis points of a whole (100%). */
export const BPS = 10_000;

export type LicenceKindName = (typeof LICENCE_KINDS)[number];

export type TermsInput = {
  accessPrice: bigint;
  trainingPrice: bigint;
  royaltyBps: number;
  trainingAllowed: boolean;
  commercialUse: boolean;
  attribution: boolean;
  computeOnly: boolean;
  purposes: string[];
  /** Unix seconds after which nothing is sold and every licence ends; 0 = never. */
  expiry: number;
  /** Seconds a licence is valid after purchase; 0 = until `expiry`. */
  licenceDuration: number;
  termsDigest: Hex;
  /** Compute providers allowed to train on the data; empty = any. */
  allowedProviders: bigint[];
};

/** Terms as read from chain: the input's fields, purposes as names, and the raw mask. */
export type TermsState = TermsInput & { purposesMask: number };

export type ContributorInput = { account: Address; shareBps: number; recordsRoot: Hex };

/** The contract's `Terms` struct, as viem encodes it. */
export type TermsStruct = {
  accessPrice: bigint;
  trainingPrice: bigint;
  royaltyBps: number;
  trainingAllowed: boolean;
  commercialUse: boolean;
  attribution: boolean;
  computeOnly: boolean;
  purposes: number;
  expiry: number;
  licenceDuration: number;
  termsDigest: Hex;
  allowedProviders: readonly bigint[];
};

const UINT32_MAX = 2 ** 32 - 1;
const UINT40_MAX = 2 ** 40 - 1;
const UINT96_MAX = (1n << 96n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

const describe = (v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v));

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new InvalidDataInputError(field, `must be an integer ${min}-${max} (got ${describe(v)})`);
  return v;
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new InvalidDataInputError(field, `must be true or false (got ${describe(v)})`);
  return v;
}

function amount(field: string, v: unknown): bigint {
  if (typeof v !== 'bigint') throw new InvalidDataInputError(field, `must be a bigint amount in token base units (got ${typeof v})`);
  if (v < 0n || v > UINT96_MAX) throw new InvalidDataInputError(field, `must be 0 to 2^96-1 base units (got ${v})`);
  return v;
}

/** Checks a 32-byte hex value; `nonZero` refuses 0x00…00. */
export function bytes32(field: string, v: unknown, nonZero = false): Hex {
  if (typeof v !== 'string' || !isHex(v) || v.length !== 66) throw new InvalidDataInputError(field, `must be 0x + 64 hex digits (got ${describe(v)})`);
  if (nonZero && /^0x0{64}$/.test(v)) throw new InvalidDataInputError(field, 'must not be zero');
  return v.toLowerCase() as Hex;
}

/** Checks an address; the zero address is refused. */
export function address(field: string, v: unknown): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw new InvalidDataInputError(field, `must be a 20-byte hex address (got ${describe(v)})`);
  if (v.toLowerCase() === zeroAddress) throw new InvalidDataInputError(field, 'must not be the zero address');
  return v as Address;
}

/** Checks a positive uint256 id (listing, licence, job, provider, agent). */
export function positiveId(field: string, v: unknown): bigint {
  if (typeof v !== 'bigint' || v <= 0n || v > UINT256_MAX) throw new InvalidDataInputError(field, `must be a positive bigint id (got ${describe(v)})`);
  return v;
}

/**
 * The bit set of purpose names (`research`, …, or `bit:N` for an unnamed bit 5-29). Throws InvalidDataInputError
 * naming `field[i]` for an unknown name.
 * @example
 * purposesToMask(['research', 'public-health']) // 5
 */
export function purposesToMask(names: string[], field = 'purposes'): number {
  if (!Array.isArray(names)) throw new InvalidDataInputError(field, `must be a list of purpose names (got ${describe(names)})`);
  let mask = 0;
  names.forEach((raw, i) => {
    const name = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof name === 'string' && Object.hasOwn(PURPOSES, name)) {
      mask |= PURPOSES[name as PurposeName];
      return;
    }
    const bit = typeof name === 'string' ? /^bit:(\d{1,2})$/.exec(name) : null;
    if (bit && Number(bit[1]) <= 29) {
      mask |= 1 << Number(bit[1]);
      return;
    }
    throw new InvalidDataInputError(`${field}[${i}]`, `unknown purpose ${describe(raw)}; use ${Object.keys(PURPOSES).join(', ')} or bit:N (N = 5-29)`);
  });
  return mask >>> 0;
}

/**
 * The purpose names of a mask or scope (its low 30 bits), named bits first.
 * @example
 * maskToPurposes(5) // ['research', 'public-health']
 */
export function maskToPurposes(mask: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 30; bit++) {
    if (((mask >>> bit) & 1) === 0) continue;
    const named = Object.entries(PURPOSES).find(([, v]) => v === 1 << bit);
    out.push(named ? named[0] : `bit:${bit}`);
  }
  return out;
}

/**
 * A consent scope: the purposes' bits with SCOPE_TRAINING and SCOPE_COMMERCIAL when allowed.
 * @example
 * consentScope({ purposes: ['research'], training: true, commercial: false }) // 2147483649
 */
export function consentScope(p: { purposes: string[]; training: boolean; commercial: boolean }, field = 'scope'): number {
  const mask = purposesToMask(p.purposes, `${field}.purposes`);
  return (mask | (bool(`${field}.training`, p.training) ? SCOPE_TRAINING : 0) | (bool(`${field}.commercial`, p.commercial) ? SCOPE_COMMERCIAL : 0)) >>> 0;
}

/**
 * A consent scope from one list of names, as the CLI takes it: purposes plus `training` and `commercial`.
 * @example
 * scopeFromNames(['research', 'training']) // 2147483649
 */
export function scopeFromNames(names: string[], field = 'scope'): number {
  if (!Array.isArray(names)) throw new InvalidDataInputError(field, `must be a list of names (got ${describe(names)})`);
  let scope = 0;
  names.forEach((raw, i) => {
    const name = typeof raw === 'string' ? raw.trim() : raw;
    if (name === 'training') scope |= SCOPE_TRAINING;
    else if (name === 'commercial') scope |= SCOPE_COMMERCIAL;
    else {
      try {
        scope |= purposesToMask([name as string]);
      } catch (e) {
        if (!(e instanceof InvalidDataInputError)) throw e;
        throw new InvalidDataInputError(`${field}[${i}]`, `${e.reason.replace(/; use /, '; use training, commercial, ')}`);
      }
    }
  });
  return scope >>> 0;
}

/**
 * The names of a consent scope: purposes, then `training` and `commercial` when set.
 * @example
 * scopeToNames(2147483649) // ['research', 'training']
 */
export function scopeToNames(scope: number): string[] {
  const s = scope >>> 0;
  return [...maskToPurposes(s), ...((s & SCOPE_TRAINING) >>> 0 ? ['training'] : []), ...(s & SCOPE_COMMERCIAL ? ['commercial'] : [])];
}

/** A licence kind's enum value; throws InvalidDataInputError naming `field` for anything but access/training. */
export function licenceKindIndex(kind: LicenceKindName, field = 'kind'): 0 | 1 {
  const i = LICENCE_KINDS.indexOf(kind);
  if (i < 0) throw new InvalidDataInputError(field, `must be ${LICENCE_KINDS.join(' or ')} (got ${describe(kind)})`);
  return i as 0 | 1;
}

/**
 * The consent scope a sale needs (the contract's rule): the sale's purposes, SCOPE_TRAINING for a training
 * licence, SCOPE_COMMERCIAL when the terms allow commercial use.
 * @example
 * requiredScope('training', 1, false) // 2147483649
 */
export function requiredScope(kind: LicenceKindName, purposes: number, commercial: boolean): number {
  return ((purposes & PURPOSE_BITS) | (kind === 'training' ? SCOPE_TRAINING : 0) | (commercial ? SCOPE_COMMERCIAL : 0)) >>> 0;
}

/** A contributor's consent as the coverage rule sees it. */
export type ConsentLike = { scope: number; givenAt: number; revokedAt: number };

/**
 * The contributors a sale would include now (bit i = contributor i): consent given, not revoked, and its scope a
 * superset of `requiredScope`. Mirrors the contract's `quote`.
 * @example
 * includedMaskOf(consents, 'access', PURPOSES.research, false) // 0b101n
 */
export function includedMaskOf(consents: readonly (ConsentLike | null)[], kind: LicenceKindName, purposes: number, commercial: boolean): bigint {
  const need = requiredScope(kind, purposes, commercial);
  let mask = 0n;
  consents.forEach((c, i) => {
    if (c && c.givenAt > 0 && c.revokedAt === 0 && ((c.scope >>> 0) & need) >>> 0 === need) mask |= 1n << BigInt(i);
  });
  return mask;
}

/**
 * Checks terms as the contract does (and `now`, unix seconds, against the expiry); throws InvalidDataInputError
 * naming the field, e.g. `terms.royaltyBps: must be an integer 0-10000 (got 12000)`.
 * @example
 * validateTerms({ ...terms, purposes: [] }) // throws "terms.purposes: name at least one allowed purpose"
 */
export function validateTerms(t: TermsInput, now: number = Math.floor(Date.now() / 1000)): void {
  encodeTerms(t, now);
}

/**
 * Checks contributors as the contract does: 1-32, distinct non-zero accounts, shares > 0 summing to 10,000 bps.
 * @example
 * validateContributors([{ account, shareBps: 9_000, recordsRoot }]) // throws "contributors: shares sum to 9,000 bps; …"
 */
export function validateContributors(c: ContributorInput[]): void {
  encodeContributors(c);
}

/** The contributors as the contract's struct array, checked (see validateContributors). */
export function encodeContributors(c: ContributorInput[], field = 'contributors'): { account: Address; shareBps: number; recordsRoot: Hex }[] {
  if (!Array.isArray(c) || c.length === 0) throw new InvalidDataInputError(field, 'a listing needs at least one contributor');
  if (c.length > MAX_CONTRIBUTORS) throw new InvalidDataInputError(field, `at most ${MAX_CONTRIBUTORS} contributors (got ${c.length})`);
  const seen = new Map<string, number>();
  let sum = 0;
  const out = c.map((x, i) => {
    const f = `${field}[${i}]`;
    if (!x || typeof x !== 'object') throw new InvalidDataInputError(f, 'must be { account, shareBps, recordsRoot }');
    const account = address(`${f}.account`, x.account);
    const before = seen.get(account.toLowerCase());
    if (before !== undefined) throw new InvalidDataInputError(`${f}.account`, `${account} is already contributor ${before}`);
    seen.set(account.toLowerCase(), i);
    const shareBps = int(`${f}.shareBps`, x.shareBps, 1, BPS);
    sum += shareBps;
    return { account, shareBps, recordsRoot: bytes32(`${f}.recordsRoot`, x.recordsRoot, true) };
  });
  if (sum !== BPS) throw new InvalidDataInputError(field, `shares sum to ${sum.toLocaleString('en-US')} bps; they must sum to 10,000 (100%)`);
  return out;
}

/**
 * Checks terms and returns the contract's `Terms` struct (purposes as a mask).
 * @example
 * const struct = encodeTerms(terms)
 */
export function encodeTerms(t: TermsInput, now: number = Math.floor(Date.now() / 1000), field = 'terms'): TermsStruct {
  if (!t || typeof t !== 'object') throw new InvalidDataInputError(field, 'must be an object');
  const trainingAllowed = bool(`${field}.trainingAllowed`, t.trainingAllowed);
  const computeOnly = bool(`${field}.computeOnly`, t.computeOnly);
  if (computeOnly && !trainingAllowed) throw new InvalidDataInputError(`${field}.computeOnly`, 'compute-only terms must allow training, or nothing could be sold');
  const purposes = purposesToMask(t.purposes, `${field}.purposes`);
  if (purposes === 0) throw new InvalidDataInputError(`${field}.purposes`, 'name at least one allowed purpose');
  const expiry = int(`${field}.expiry`, t.expiry, 0, UINT40_MAX);
  if (expiry !== 0 && expiry <= now) throw new InvalidDataInputError(`${field}.expiry`, `must be in the future or 0 for none (got ${expiry}, now ${now})`);
  if (!Array.isArray(t.allowedProviders)) throw new InvalidDataInputError(`${field}.allowedProviders`, 'must be a list of provider ids (empty = any)');
  if (t.allowedProviders.length > MAX_PROVIDERS) throw new InvalidDataInputError(`${field}.allowedProviders`, `at most ${MAX_PROVIDERS} providers (got ${t.allowedProviders.length})`);
  const providers = t.allowedProviders.map((p, i) => positiveId(`${field}.allowedProviders[${i}]`, p));
  const dup = providers.findIndex((p, i) => providers.indexOf(p) !== i);
  if (dup >= 0) throw new InvalidDataInputError(`${field}.allowedProviders[${dup}]`, `provider ${providers[dup]} is listed twice`);
  if (computeOnly && providers.length === 0) throw new InvalidDataInputError(`${field}.allowedProviders`, 'a compute-only listing must name its providers (empty would let the buyer train on its own provider and receive the data)');
  return {
    accessPrice: amount(`${field}.accessPrice`, t.accessPrice),
    trainingPrice: amount(`${field}.trainingPrice`, t.trainingPrice),
    royaltyBps: int(`${field}.royaltyBps`, t.royaltyBps, 0, BPS),
    trainingAllowed,
    commercialUse: bool(`${field}.commercialUse`, t.commercialUse),
    attribution: bool(`${field}.attribution`, t.attribution),
    computeOnly,
    purposes,
    expiry,
    licenceDuration: int(`${field}.licenceDuration`, t.licenceDuration, 0, UINT32_MAX),
    termsDigest: bytes32(`${field}.termsDigest`, t.termsDigest),
    allowedProviders: providers,
  };
}

/**
 * The terms read from chain, purposes as names (the raw mask kept in `purposesMask`).
 * @example
 * decodeTerms(await client.readContract({ ..., functionName: 'getTerms', args: [id] })).purposes // ['research']
 */
export function decodeTerms(raw: TermsStruct): TermsState {
  const mask = Number(raw.purposes) >>> 0;
  return {
    accessPrice: BigInt(raw.accessPrice),
    trainingPrice: BigInt(raw.trainingPrice),
    royaltyBps: Number(raw.royaltyBps),
    trainingAllowed: raw.trainingAllowed,
    commercialUse: raw.commercialUse,
    attribution: raw.attribution,
    computeOnly: raw.computeOnly,
    purposes: maskToPurposes(mask),
    purposesMask: mask,
    expiry: Number(raw.expiry),
    licenceDuration: Number(raw.licenceDuration),
    termsDigest: raw.termsDigest,
    allowedProviders: [...raw.allowedProviders],
  };
}

/**
 * The price of a licence of `kind` under `terms`, or null when that kind is not sold (compute-only access,
 * training not allowed).
 * @example
 * priceOf(terms, 'training') // 50_000_000n
 */
export function priceOf(terms: Pick<TermsInput, 'accessPrice' | 'trainingPrice' | 'trainingAllowed' | 'computeOnly'>, kind: LicenceKindName): bigint | null {
  if (kind === 'access') return terms.computeOnly ? null : terms.accessPrice;
  return terms.trainingAllowed ? terms.trainingPrice : null;
}

/** The bit indexes set in a mask (a uint256, or its decimal string). */
export function maskIndexes(mask: string | bigint): number[] {
  let m = BigInt(mask);
  const out: number[] = [];
  for (let i = 0; m > 0n; i++, m >>= 1n) if (m & 1n) out.push(i);
  return out;
}
