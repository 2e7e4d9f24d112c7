import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { computeTrustScore, normalizeFeedbackValue, type TrustFeedback } from '../src/identity/trustScore.ts';

const fb = (client: string, value: number, verified = false, revoked = false): TrustFeedback => ({ client, value: BigInt(value), valueDecimals: 0, revoked, verified });

describe('trust score', () => {
  it('starts neutral with no evidence', () => {
    const s = computeTrustScore([]);
    assert.equal(s.score, 50);
    assert.equal(s.confidence, 0);
  });

  it('follows verified clients', () => {
    const good = computeTrustScore(Array.from({ length: 10 }, (_, i) => fb(`0x${i}`, 95, true)));
    const bad = computeTrustScore(Array.from({ length: 10 }, (_, i) => fb(`0x${i}`, 5, true)));
    assert.ok(good.score > 85, `good ${good.score}`);
    assert.ok(bad.score < 15, `bad ${bad.score}`);
    assert.equal(good.verifiedClients, 10);
  });

  it('counts a client once however often it posts', () => {
    const one = computeTrustScore([fb('0xa', 10, true), fb('0xb', 90, true)]);
    const spam = computeTrustScore([fb('0xa', 10, true), ...Array.from({ length: 50 }, () => fb('0xb', 90, false)), fb('0xb', 90, true)]);
    assert.equal(spam.clients, 2);
    assert.equal(spam.score, one.score);
  });

  it('ignores revoked feedback', () => {
    const s = computeTrustScore([fb('0xa', 90, true), fb('0xb', 0, true, true)]);
    assert.equal(s.revokedCount, 1);
    assert.equal(s.score, computeTrustScore([fb('0xa', 90, true)]).score);
  });

  it('100 fresh Sybil clients rating a bad agent 100/100 move its score by less than 5 points', () => {
    const honest = Array.from({ length: 5 }, (_, i) => fb(`0xh${i}`, 10 + i * 2, true));
    const before = computeTrustScore(honest).score;
    const after = computeTrustScore([...honest, ...Array.from({ length: 100 }, (_, i) => fb(`0xs${i}`, 100))]).score;
    assert.ok(after - before < 5, `moved ${after - before}`);
    // 10,000 Sybils are no stronger than 100: their pool is capped.
    const flood = computeTrustScore([...honest, ...Array.from({ length: 10_000 }, (_, i) => fb(`0xs${i}`, 100))]).score;
    assert.equal(flood, after);
  });

  it('weights stake and reputation when there are no receipts', () => {
    const rated = [fb('0xa', 90), fb('0xb', 10)];
    const staked = computeTrustScore(rated, new Map([['0xA', { stake: 1 }]]));
    assert.ok(staked.score > 65, `staked ${staked.score}`);
    const reputable = computeTrustScore(rated, new Map([['0xb', { reputation: 100 }]]));
    assert.ok(reputable.score < 40, `reputable ${reputable.score}`);
  });

  it('normalises values with decimals and clamps out-of-scale values', () => {
    assert.equal(normalizeFeedbackValue(9977n, 2), 99.77);
    assert.equal(normalizeFeedbackValue(-5n, 0), 0);
    assert.equal(normalizeFeedbackValue(1000n, 0), 100);
  });

  it('always lies in [0, 100] with confidence in [0, 1] (property)', () => {
    const feedback = fc.array(
      fc.record({
        client: fc.constantFrom('0xa', '0xb', '0xc', '0xd', '0xe'),
        value: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        valueDecimals: fc.integer({ min: 0, max: 18 }),
        revoked: fc.boolean(),
        verified: fc.boolean(),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(feedback, (f) => {
        const s = computeTrustScore(f);
        return s.score >= 0 && s.score <= 100 && s.confidence >= 0 && s.confidence <= 1;
      }),
      { numRuns: 2000 },
    );
  });
});
