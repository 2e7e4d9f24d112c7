// What the data tests share without a chain or a node: listing terms (one default set, each test overriding what
// it is about) and contributors from accounts and shares.
import { keccak256, stringToHex, type Address, type Hex } from 'viem';
import type { ContributorInput, TermsInput } from '../../src/data/terms.ts';

/** One mUSD (the settlement token has 6 decimals). */
export const MUSD = 1_000_000n;
export const digestOf = (s: string): Hex => keccak256(stringToHex(s));

/**
 * Listing terms: 5 mUSD access, 20 mUSD training, 10% royalty, research and public health, 30-day licences,
 * with `over` on top.
 * @example baseTerms({ commercialUse: true })
 */
export const baseTerms = (over: Partial<TermsInput> = {}): TermsInput => ({
  accessPrice: 5n * MUSD,
  trainingPrice: 20n * MUSD,
  royaltyBps: 1000,
  trainingAllowed: true,
  commercialUse: false,
  attribution: true,
  computeOnly: false,
  purposes: ['research', 'public-health'],
  expiry: 0,
  licenceDuration: 30 * 86_400,
  termsDigest: digestOf('licence text v1'),
  allowedProviders: [],
  ...over,
});

/**
 * A test's own `terms(over)`: `baseTerms` with the test's defaults, then `over`, on top.
 * @example const terms = termsWith({ royaltyBps: 1_500 }); terms({ expiry: 1_000 })
 */
export const termsWith =
  (defaults: Partial<TermsInput>) =>
  (over: Partial<TermsInput> = {}): TermsInput =>
    baseTerms({ ...defaults, ...over });

/**
 * Contributor `i` is `accounts[i]` with `shares[i]` bps and the records root `digestOf('records-<i>')`.
 * @example contributorsOf([alice, bob], [6_000, 4_000])
 */
export const contributorsOf = (accounts: readonly Address[], shares: readonly number[]): ContributorInput[] =>
  shares.map((shareBps, i) => ({ account: accounts[i]!, shareBps, recordsRoot: digestOf(`records-${i}`) }));
