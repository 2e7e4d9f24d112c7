// Pure parts of the data library: purpose names ↔ bits, consent scopes and coverage, terms and contributor checks
// naming the field, the exact money splits (with seeded random checks that nothing is created or lost), and the
// deterministic synthetic patient records with their feature adapter.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Address } from 'viem';
import { seededRng } from '../../src/compute/workloads/random.ts';
import { InvalidDataInputError } from '../../src/data/errors.ts';
import { patientFeatures, patientRecords, PATIENT_FEATURES, writePatientRecords } from '../../src/data/examples/patients.ts';
import { cumulativeSplit, modelRevenueSplit, residualWithdrawable, routeRevenueCredits, splitSale } from '../../src/data/split.ts';
import {
  consentScope,
  decodeTerms,
  encodeTerms,
  includedMaskOf,
  maskToPurposes,
  priceOf,
  purposesToMask,
  scopeFromNames,
  scopeToNames,
  SCOPE_COMMERCIAL,
  SCOPE_TRAINING,
  validateContributors,
  validateTerms,
  type ContributorInput,
} from '../../src/data/terms.ts';
import { contributorsOf, digestOf as digest, termsWith } from './fixtures.ts';

const acct = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address;
const terms = termsWith({ accessPrice: 10_000_000n, trainingPrice: 50_000_000n, licenceDuration: 86_400, termsDigest: digest('terms') });
const contributors = (shares: number[]): ContributorInput[] => contributorsOf(shares.map((_, i) => acct(i)), shares);

/** Throws InvalidDataInputError with this field (and a reason matching `reason`, if given). */
function throwsField(fn: () => unknown, field: string, reason?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidDataInputError, `expected InvalidDataInputError, got ${String(e)}`);
    assert.equal(e.field, field, e.message);
    if (reason) assert.match(e.message, reason);
    return true;
  });
}

/** n random positive shares summing to 10,000. */
function randomShares(r: () => number, n: number): number[] {
  const cuts = new Set<number>();
  while (cuts.size < n - 1) cuts.add(1 + Math.floor(r() * 9_999));
  const points = [0, ...[...cuts].sort((a, b) => a - b), 10_000];
  return points.slice(1).map((p, i) => p - points[i]!);
}

describe('purposes and consent scopes', () => {
  it('maps names to bits and back, unnamed bits as bit:N', () => {
    assert.equal(purposesToMask(['research', 'public-health']), 5);
    assert.equal(purposesToMask(['bit:5', 'bit:29']), (1 << 5) | (1 << 29));
    assert.deepEqual(maskToPurposes(5 | (1 << 7)), ['research', 'public-health', 'bit:7']);
    assert.deepEqual(maskToPurposes(purposesToMask(['education', 'clinical-care', 'product-development'])), ['clinical-care', 'education', 'product-development']);
    assert.equal(purposesToMask([]), 0);
  });

  it('refuses unknown names and out-of-range bits, naming the element', () => {
    throwsField(() => purposesToMask(['research', 'marketing']), 'purposes[1]', /unknown purpose "marketing"/);
    throwsField(() => purposesToMask(['bit:30'], 'terms.purposes'), 'terms.purposes[0]');
    throwsField(() => purposesToMask(['training']), 'purposes[0]');
  });

  it('builds scopes with the training and commercial bits', () => {
    assert.equal(SCOPE_TRAINING, 2 ** 31);
    assert.equal(SCOPE_COMMERCIAL, 2 ** 30);
    const s = consentScope({ purposes: ['research'], training: true, commercial: true });
    assert.equal(s, 2 ** 31 + 2 ** 30 + 1);
    assert.equal(scopeFromNames(['research', 'training', 'commercial']), s);
    assert.deepEqual(scopeToNames(s), ['research', 'training', 'commercial']);
    assert.equal(consentScope({ purposes: ['research'], training: false, commercial: false }), 1);
    throwsField(() => scopeFromNames(['research', 'selling']), 'scope[1]', /training, commercial/);
  });

  it('covers a contributor only when its scope holds the purposes, training and commercial bits', () => {
    const given = (scope: number, revokedAt = 0) => ({ scope, givenAt: 100, revokedAt });
    const consents = [
      given(consentScope({ purposes: ['research', 'public-health'], training: true, commercial: false })),
      given(consentScope({ purposes: ['research'], training: false, commercial: false })),
      null,
      given(consentScope({ purposes: ['research'], training: true, commercial: true }), 200),
      given(consentScope({ purposes: ['research'], training: true, commercial: true })),
    ];
    assert.equal(includedMaskOf(consents, 'access', 1, false), 0b10011n);
    assert.equal(includedMaskOf(consents, 'training', 1, false), 0b10001n);
    assert.equal(includedMaskOf(consents, 'training', 1, true), 0b10000n);
    assert.equal(includedMaskOf(consents, 'access', 5, false), 0b00001n);
  });
});

describe('terms and contributors', () => {
  it('encodes terms to the contract struct and decodes them back with names', () => {
    const s = encodeTerms(terms({ allowedProviders: [3n, 1n] }), 1_000);
    assert.equal(s.purposes, 5);
    assert.deepEqual(s.allowedProviders, [3n, 1n]);
    const back = decodeTerms(s);
    assert.deepEqual(back.purposes, ['research', 'public-health']);
    assert.equal(back.purposesMask, 5);
    assert.equal(back.accessPrice, 10_000_000n);
    assert.equal(priceOf(back, 'training'), 50_000_000n);
    assert.equal(priceOf({ ...back, computeOnly: true }, 'access'), null);
    assert.equal(priceOf({ ...back, trainingAllowed: false }, 'training'), null);
  });

  it('names the field and the reason of every bad term', () => {
    throwsField(() => validateTerms(terms({ royaltyBps: 12_000 })), 'terms.royaltyBps', /0-10000 \(got 12000\)/);
    throwsField(() => validateTerms(terms({ purposes: [] })), 'terms.purposes', /at least one/);
    throwsField(() => validateTerms(terms({ purposes: ['research', 'ads'] })), 'terms.purposes[1]');
    throwsField(() => validateTerms(terms({ expiry: 500 }), 1_000), 'terms.expiry', /future/);
    throwsField(() => validateTerms(terms({ accessPrice: -1n })), 'terms.accessPrice');
    throwsField(() => validateTerms(terms({ trainingPrice: 1n << 96n })), 'terms.trainingPrice');
    throwsField(() => validateTerms(terms({ accessPrice: 5 as unknown as bigint })), 'terms.accessPrice', /bigint/);
    throwsField(() => validateTerms(terms({ computeOnly: true, trainingAllowed: false })), 'terms.computeOnly');
    throwsField(() => validateTerms(terms({ termsDigest: '0x12' })), 'terms.termsDigest');
    throwsField(() => validateTerms(terms({ allowedProviders: [1n, 0n] })), 'terms.allowedProviders[1]');
    throwsField(() => validateTerms(terms({ allowedProviders: [2n, 2n] })), 'terms.allowedProviders[1]', /twice/);
    throwsField(() => validateTerms(terms({ allowedProviders: Array.from({ length: 33 }, (_, i) => BigInt(i + 1)) })), 'terms.allowedProviders', /at most 32/);
    throwsField(() => validateTerms(terms({ licenceDuration: -1 })), 'terms.licenceDuration');
    throwsField(() => validateTerms(terms({ attribution: 'yes' as unknown as boolean })), 'terms.attribution');
  });

  it('checks contributors like the contract: count, accounts, shares summing to 10,000', () => {
    validateContributors(contributors([5_000, 3_000, 2_000]));
    throwsField(() => validateContributors(contributors([5_000, 4_000])), 'contributors', /^contributors: shares sum to 9,000 bps; they must sum to 10,000 \(100%\)$/);
    throwsField(() => validateContributors(contributors([10_000, 0])), 'contributors[1].shareBps');
    throwsField(() => validateContributors([]), 'contributors');
    throwsField(() => validateContributors(contributors(Array(33).fill(1))), 'contributors', /at most 32/);
    const dup = contributors([5_000, 5_000]);
    dup[1]!.account = dup[0]!.account.toUpperCase().replace('0X', '0x') as Address;
    throwsField(() => validateContributors(dup), 'contributors[1].account', /already contributor 0/);
    const zero = contributors([10_000]);
    zero[0]!.recordsRoot = `0x${'0'.repeat(64)}`;
    throwsField(() => validateContributors(zero), 'contributors[0].recordsRoot', /zero/);
    const noAddr = contributors([10_000]);
    noAddr[0]!.account = '0x0000000000000000000000000000000000000000';
    throwsField(() => validateContributors(noAddr), 'contributors[0].account');
  });
});

describe('splits', () => {
  it('splits a sale among the covered contributors, the first covered one taking the remainder', () => {
    assert.deepEqual(splitSale(100n, [5_000, 3_000, 2_000], 0b111n), [50n, 30n, 20n]);
    assert.deepEqual(splitSale(100n, [5_000, 3_000, 2_000], 0b110n), [0n, 60n, 40n]);
    // 10 among 3,333 / 3,333 / 3,334: floors 3 and 3 for the others, 4 to the first.
    assert.deepEqual(splitSale(10n, [3_333, 3_333, 3_334], 0b111n), [4n, 3n, 3n]);
    assert.deepEqual(splitSale(7n, [1_000, 9_000], 0b10n), [0n, 7n]);
    throwsField(() => splitSale(10n, [5_000, 5_000], 0n), 'includedMask');
  });

  it('splits cumulatively with contributor 0 taking the dust, so deltas add up', () => {
    assert.deepEqual(cumulativeSplit(101n, [5_000, 5_000]), [51n, 50n]);
    assert.deepEqual(cumulativeSplit(0n, [5_000, 5_000]), [0n, 0n]);
    const a = cumulativeSplit(1n, [3_333, 3_333, 3_334]);
    const b = cumulativeSplit(3n, [3_333, 3_333, 3_334]);
    assert.deepEqual(a, [1n, 0n, 0n]);
    assert.deepEqual(b, [2n, 0n, 1n]);
    // The residual party's entitlement can shrink (2/4999/4999: D = 2 → 2, D = 3 → 1); its withdrawable part cannot.
    assert.deepEqual(cumulativeSplit(2n, [2, 4_999, 4_999]), [2n, 0n, 0n]);
    assert.deepEqual(cumulativeSplit(3n, [2, 4_999, 4_999]), [1n, 1n, 1n]);
    assert.equal(residualWithdrawable(2n, 2), 1n);
    assert.equal(residualWithdrawable(3n, 2), 1n);
    assert.equal(residualWithdrawable(10_000n, 2), 2n);
    assert.deepEqual(modelRevenueSplit(1_000n, [1_000, 500]), { datasets: [100n, 50n], beneficiary: 850n });
    throwsField(() => modelRevenueSplit(1n, [6_000, 5_000]), 'royaltyBps', /11000/);
  });

  it('conserves every unit over random prices, shares, masks and revenue streams (seeded)', () => {
    const r = seededRng(7);
    for (let round = 0; round < 2_000; round++) {
      const n = 1 + Math.floor(r() * 32);
      const shares = randomShares(r, n);
      const price = BigInt(Math.floor(r() * 1e9)) * (r() < 0.1 ? 10n ** 12n : 1n);
      let mask = 0n;
      for (let i = 0; i < n; i++) if (r() < 0.6) mask |= 1n << BigInt(i);
      if (mask === 0n) mask = 1n << BigInt(Math.floor(r() * n));
      const sale = splitSale(price, shares, mask);
      assert.equal(sale.reduce((s, x) => s + x, 0n), price);
      sale.forEach((x, i) => {
        assert.ok(x >= 0n);
        if (((mask >> BigInt(i)) & 1n) === 0n) assert.equal(x, 0n);
      });

      // Revenue in several routings: the sum of the per-call credits equals a single routing of the total.
      const datasets = 1 + Math.floor(r() * 3);
      const bps = Array.from({ length: datasets }, () => Math.floor(r() * 3_000));
      const sharesOf = Array.from({ length: datasets }, () => randomShares(r, 1 + Math.floor(r() * 6)));
      let revenue = 0n;
      const royalties = sharesOf.map(() => 0n);
      const paid = sharesOf.map((s) => s.map(() => 0n));
      let beneficiary = 0n;
      for (let k = 0; k < 4; k++) {
        const amount = BigInt(Math.floor(r() * 1e7));
        const c = routeRevenueCredits({ revenueBefore: revenue, amount, royaltyBps: bps, datasetRoyaltiesBefore: [...royalties], shares: sharesOf });
        const credited = c.beneficiary + c.contributors.flat().reduce((s, x) => s + x, 0n);
        assert.equal(credited, amount, `round ${round} routing ${k}`);
        c.datasets.forEach((d, j) => {
          assert.equal(c.contributors[j]!.reduce((s, x) => s + x, 0n), d);
          royalties[j]! += d;
          c.contributors[j]!.forEach((x, i) => {
            // Only the residual party (contributor 0) may see its entitlement shrink, and by a few units at most.
            assert.ok(x >= (i === 0 ? -BigInt(sharesOf[j]!.length) : 0n));
            paid[j]![i]! += x;
          });
        });
        beneficiary += c.beneficiary;
        revenue += amount;
      }
      const once = modelRevenueSplit(revenue, bps);
      assert.equal(beneficiary, once.beneficiary);
      royalties.forEach((d, j) => {
        assert.equal(d, once.datasets[j]);
        assert.deepEqual(paid[j], cumulativeSplit(d, sharesOf[j]!));
      });
    }
  });
});

describe('synthetic patient records', () => {
  it('are deterministic per seed and site, and anonymized', () => {
    const a = patientRecords({ site: 'north', count: 50, seed: 1 });
    assert.deepEqual(a, patientRecords({ site: 'north', count: 50, seed: 1 }));
    assert.notDeepEqual(a, patientRecords({ site: 'north', count: 50, seed: 2 }));
    assert.notDeepEqual(a, patientRecords({ site: 'south', count: 50, seed: 1 }));
    for (const rec of a) {
      assert.deepEqual(Object.keys(rec), ['pseudonym', 'ageBand', 'sex', 'bmi', 'systolicBp', 'glucose', 'hba1c', 'smoker', 'diabetesRisk']);
      assert.match(rec.pseudonym, /^P-[0-9a-f]{12}$/);
    }
    assert.equal(new Set(a.map((x) => x.pseudonym)).size, 50);
    const positives = a.filter((x) => x.diabetesRisk === 1).length;
    assert.ok(positives > 2 && positives < 48, `labels are mixed (${positives}/50 positive)`);
  });

  it('writes the same bytes for the same seed, one file per record', () => {
    const dirs = [mkdtempSync(path.join(tmpdir(), 'patients-')), mkdtempSync(path.join(tmpdir(), 'patients-'))];
    try {
      const [r1, r2] = dirs.map((d) => writePatientRecords(d, { sites: ['north', 'south'], perSite: 12, seed: 3 }));
      assert.deepEqual(r1, r2);
      assert.equal(r1!.files, 24);
      assert.deepEqual(readdirSync(path.join(dirs[0]!, 'north')).slice(0, 2), ['p-00001.json', 'p-00002.json']);
      const text = readFileSync(path.join(dirs[0]!, 'south', 'p-00012.json'), 'utf8');
      assert.equal(text, readFileSync(path.join(dirs[1]!, 'south', 'p-00012.json'), 'utf8'));
      const f = patientFeatures(text);
      assert.equal(f.x.length, PATIENT_FEATURES);
      assert.ok(f.x.every((v) => Number.isFinite(v) && Math.abs(v) < 10));
      assert.ok(f.y === 0 || f.y === 1);
      assert.deepEqual(patientFeatures(new TextEncoder().encode(text)), f);
      assert.deepEqual(patientFeatures(JSON.parse(text)), f);
    } finally {
      dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    }
    throwsField(() => writePatientRecords('/tmp/x', { sites: ['../up'], perSite: 1, seed: 1 }), 'sites[0]');
    throwsField(() => writePatientRecords('/tmp/x', { sites: ['a'], perSite: 0, seed: 1 }), 'perSite');
  });

  it('refuses a malformed record, naming the field', () => {
    const rec = patientRecords({ site: 's', count: 1, seed: 9 })[0]!;
    throwsField(() => patientFeatures({ ...rec, ageBand: '90-99' }), 'ageBand');
    throwsField(() => patientFeatures({ ...rec, glucose: 'high' }), 'glucose');
    throwsField(() => patientFeatures('{not json'), 'record');
  });

  it('carry a learnable signal: a linear score on the features separates the labels', () => {
    const recs = ['a', 'b', 'c'].flatMap((site) => patientRecords({ site, count: 400, seed: 11 }));
    const score = (x: number[]) => x[4]! + x[5]! + 0.4 * x[2]!;
    const f = recs.map((r) => patientFeatures(r));
    const mean = (y: number) => {
      const s = f.filter((v) => v.y === y).map((v) => score(v.x));
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    assert.ok(mean(1) - mean(0) > 1, `positives score higher (${mean(1).toFixed(2)} vs ${mean(0).toFixed(2)})`);
  });
});
