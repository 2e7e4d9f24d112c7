import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zeroAddress, type Address } from 'viem';
import { InvalidArgumentError } from '../../src/errors/index.ts';
import { decodeKeyPolicy, encodeKeyPolicy, refusalReasons, SELECTORS, UINT128_MAX, type KeyPolicyInput } from '../../src/wallet/index.ts';
import { formatAmount, formatDuration } from '../../src/wallet/refusal.ts';
import { parseAmount, parseCap, parseDuration } from '../../src/wallet/parse.ts';

const token = '0x5FbDB2315678afecb367f032d93F642f64180aa3' as Address;
const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address;
const carol = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Address;

const policy: KeyPolicyInput = {
  validAfter: 100,
  validUntil: 2_000_000_000,
  rateLimit: { calls: 10, windowSeconds: 3600 },
  pendingTtlSeconds: 7200,
  limits: [
    { asset: token, perTx: 2_000_000n, windowCap: 5_000_000n, windowSeconds: 86_400, escalateAbove: 1_500_000n },
    { asset: 'native', perTx: 10n ** 17n, windowCap: 10n ** 18n, windowSeconds: 3600 },
  ],
  rules: [
    { target: token, selector: 'transfer', conditions: [{ param: 0, op: 'inRecipients', value: '0x' }] },
    { target: token, selector: 'transferWithAuthorization', conditions: [{ param: 1, op: 'inRecipients', value: '0x' }, { param: 2, op: 'lte', value: 3_000_000n }] },
    { target: bob, selector: 'value' },
    { target: carol, selector: '0x12345678', conditions: [{ param: 0, op: 'eq', value: bob }] },
  ],
  recipients: [bob, carol],
};

function expectField(fn: () => unknown, field: string) {
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.field === field && e.message.startsWith(`${field}: `), `expected an error naming ${field}`);
}

describe('key policy encoding', () => {
  it('encodes to the KeyPolicy struct and decodes back to the same policy', () => {
    const s = encodeKeyPolicy(policy);
    assert.equal(s.validAfter, 100);
    assert.equal(s.rateLimit, 10);
    assert.equal(s.rateWindow, 3600);
    assert.equal(s.pendingTtl, 7200);
    assert.equal(s.limits[1]!.asset, zeroAddress);
    assert.equal(s.limits[1]!.escalationThreshold, UINT128_MAX);
    assert.equal(s.rules[0]!.selector, SELECTORS.transfer);
    assert.equal(s.rules[0]!.selector, '0xa9059cbb');
    assert.equal(s.rules[2]!.selector, '0x00000000');
    assert.equal(s.rules[0]!.conditions[0]!.op, 4);
    assert.equal(s.rules[3]!.conditions[0]!.value, `0x000000000000000000000000${bob.slice(2).toLowerCase()}`);
    const back = decodeKeyPolicy(s);
    assert.deepEqual(encodeKeyPolicy(back), s);
    assert.equal(back.limits[0]!.escalateAbove, 1_500_000n);
    assert.equal(back.limits[1]!.asset, 'native');
    assert.equal(back.limits[1]!.escalateAbove, undefined);
    assert.equal(back.rules[1]!.selector, 'transferWithAuthorization');
    assert.equal(back.rules[1]!.conditions![1]!.value, 3_000_000n);
    assert.deepEqual(back.rateLimit, { calls: 10, windowSeconds: 3600 });
    assert.deepEqual(back.recipients, [bob, carol]);
  });

  it('fills defaults: no expiry, no rate limit, one-day pending TTL, never escalate', () => {
    const s = encodeKeyPolicy({ limits: [{ asset: token, perTx: 1n, windowCap: 2n, windowSeconds: 60 }], rules: [] });
    assert.deepEqual([s.validAfter, s.validUntil, s.rateLimit, s.rateWindow, s.pendingTtl], [0, 0, 0, 0, 86_400]);
    assert.equal(s.limits[0]!.escalationThreshold, UINT128_MAX);
    assert.equal(decodeKeyPolicy(s).rateLimit, undefined);
  });

  it('rejects bad input with an error naming the field', () => {
    const base = { limits: [], rules: [] } as KeyPolicyInput;
    const limit = { asset: token, perTx: 1n, windowCap: 2n, windowSeconds: 60 };
    expectField(() => encodeKeyPolicy({ ...base, validAfter: -1 }), 'validAfter');
    expectField(() => encodeKeyPolicy({ ...base, validAfter: 10, validUntil: 5 }), 'validUntil');
    expectField(() => encodeKeyPolicy({ ...base, rateLimit: { calls: 0, windowSeconds: 10 } }), 'rateLimit.calls');
    expectField(() => encodeKeyPolicy({ ...base, rateLimit: { calls: 1, windowSeconds: 0 } }), 'rateLimit.windowSeconds');
    expectField(() => encodeKeyPolicy({ ...base, pendingTtlSeconds: 0 }), 'pendingTtlSeconds');
    expectField(() => encodeKeyPolicy({ ...base, limits: [{ ...limit, asset: '0x1234' as Address }] }), 'limits[0].asset');
    expectField(() => encodeKeyPolicy({ ...base, limits: [limit, { ...limit }] }), 'limits[1].asset');
    expectField(() => encodeKeyPolicy({ ...base, limits: [{ ...limit, perTx: -1n }] }), 'limits[0].perTx');
    expectField(() => encodeKeyPolicy({ ...base, limits: [{ ...limit, windowCap: UINT128_MAX + 1n }] }), 'limits[0].windowCap');
    expectField(() => encodeKeyPolicy({ ...base, limits: [{ ...limit, windowSeconds: 0 }] }), 'limits[0].windowSeconds');
    expectField(() => encodeKeyPolicy({ ...base, limits: [{ ...limit, escalateAbove: 5 as unknown as bigint }] }), 'limits[0].escalateAbove');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: token, selector: 'mint' as never }] }), 'rules[0].selector');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: 'bob' as Address, selector: 'transfer' }] }), 'rules[0].target');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: token, selector: 'transfer', conditions: [{ param: 0, op: 'inRecipients', value: '0x' }] }] }), 'rules[0].conditions[0].op');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: token, selector: 'transfer', conditions: [{ param: 300, op: 'eq', value: 1n }] }] }), 'rules[0].conditions[0].param');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: token, selector: 'transfer', conditions: [{ param: 0, op: 'like' as never, value: 1n }] }] }), 'rules[0].conditions[0].op');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: bob, selector: 'value', conditions: [{ param: 0, op: 'eq', value: 1n }] }] }), 'rules[0].conditions');
    expectField(() => encodeKeyPolicy({ ...base, rules: [{ target: token, selector: 'transfer' }, { target: token, selector: '0xa9059cbb' }] }), 'rules[1]');
    expectField(() => encodeKeyPolicy({ ...base, recipients: [bob, bob] }), 'recipients');
    expectField(() => encodeKeyPolicy({ ...base, recipients: ['0xnope' as Address] }), 'recipients[0]');
  });

  it('names every refusal of the contract enum', () => {
    assert.equal(refusalReasons.length, 14);
    assert.equal(refusalReasons[0], 'None');
    assert.equal(refusalReasons[12], 'WindowCapExceeded');
  });
});

describe('wallet argument parsing', () => {
  it('reads amounts in token units, windows and caps', () => {
    assert.equal(parseAmount('5', 6, '--cap'), 5_000_000n);
    assert.equal(parseAmount('0.5', 6, '--cap'), 500_000n);
    assert.equal(parseDuration('1d', '--cap'), 86_400);
    assert.equal(parseDuration('12h', '--cap'), 43_200);
    assert.equal(parseDuration('30m', '--cap'), 1_800);
    assert.equal(parseDuration('90s', '--cap'), 90);
    assert.equal(parseDuration('2w', '--cap'), 14 * 86_400);
    assert.deepEqual(parseCap('5/1d', 6, '--cap'), { amount: 5_000_000n, seconds: 86_400 });
    assert.deepEqual(parseCap('5/day', 6, '--cap'), { amount: 5_000_000n, seconds: 86_400 });
    assert.equal(formatAmount(5_000_000n, 6), '5.00');
    assert.equal(formatAmount(1_234_567n, 6), '1.234567');
    assert.equal(formatDuration(86_400), '1 day');
    assert.equal(formatDuration(43_200), '12 hours');
  });

  it('names the flag when a value is wrong', () => {
    expectField(() => parseAmount('5.0000001', 6, '--per-tx'), '--per-tx');
    expectField(() => parseAmount('-1', 6, '--per-tx'), '--per-tx');
    expectField(() => parseAmount('five', 6, '--per-tx'), '--per-tx');
    expectField(() => parseDuration('1y', '--expires'), '--expires');
    expectField(() => parseDuration('0h', '--expires'), '--expires');
    expectField(() => parseCap('5', 6, '--cap'), '--cap');
    expectField(() => parseCap('5/', 6, '--cap'), '--cap');
  });
});
