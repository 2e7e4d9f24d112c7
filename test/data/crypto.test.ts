// ECIES sealing of delivered data: a box opens with its key only, any altered byte is refused, and a DataKey never
// lets its private key out (JSON, inspect, string forms, errors, properties).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { hashMessage, recoverAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { BOX_OVERHEAD, dataKeyFromPrivateKey, decryptWith, encryptTo, normalizePublicKey } from '../../src/data/crypto.ts';
import { DataDecryptionError, InvalidDataInputError } from '../../src/data/errors.ts';
import { formatError } from '../../src/errors/index.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** Every textual form of `v` a log, an API answer or an error could carry. */
function leaks(v: unknown, pk: Hex): boolean {
  const forms = [JSON.stringify(v) ?? '', inspect(v, { depth: 10, showHidden: true, getters: true }), String(v)];
  if (v instanceof Error) forms.push(v.message, v.stack ?? '', formatError(v), JSON.stringify(v));
  const needle = pk.slice(2).toLowerCase();
  return forms.some((f) => f.toLowerCase().includes(needle));
}

describe('ECIES boxes', () => {
  it('round-trips bytes of any size, each box different (fresh ephemeral key and IV)', () => {
    const pk = generatePrivateKey();
    const key = dataKeyFromPrivateKey(pk);
    for (const n of [0, 1, 31, 1_000, 1 << 20]) {
      const plain = new Uint8Array(randomBytes(n));
      const box = encryptTo(key.publicKey, plain);
      assert.equal(box.length, n + BOX_OVERHEAD);
      assert.deepEqual(key.decrypt(box), plain);
      assert.deepEqual(decryptWith(pk, box), plain);
    }
    const a = encryptTo(key.publicKey, bytes('same'));
    const b = encryptTo(key.publicKey, bytes('same'));
    assert.notDeepEqual(a, b);
    assert.equal(text(key.decrypt(a)), 'same');
  });

  it('accepts a compressed recipient key and matches the account', () => {
    const pk = generatePrivateKey();
    const key = dataKeyFromPrivateKey(pk);
    assert.equal(key.address, privateKeyToAccount(pk).address);
    assert.match(key.publicKey, /^0x04[0-9a-f]{128}$/);
    const yOdd = BigInt(`0x${key.publicKey.slice(-2)}`) % 2n === 1n;
    const compressed = `0x${yOdd ? '03' : '02'}${key.publicKey.slice(4, 68)}` as Hex;
    assert.equal(normalizePublicKey(compressed), key.publicKey);
    assert.equal(text(key.decrypt(encryptTo(compressed, bytes('hi')))), 'hi');
  });

  it('refuses every altered byte: envelope, IV, ciphertext and tag', () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const box = encryptTo(key.publicKey, bytes('patient records'));
    for (const at of [0, 1, 40, 64, 65, 70, 77, 80, box.length - 17, box.length - 1]) {
      const bad = box.slice();
      bad[at]! ^= 0x01;
      assert.throws(() => key.decrypt(bad), DataDecryptionError, `byte ${at}`);
    }
    assert.throws(() => key.decrypt(box.subarray(0, BOX_OVERHEAD - 1)), /shorter than the 93 bytes/);
    assert.throws(() => key.decrypt(box.subarray(0, box.length - 1)), DataDecryptionError);
  });

  it('refuses a box sealed for another key', () => {
    const alice = dataKeyFromPrivateKey(generatePrivateKey());
    const bob = dataKeyFromPrivateKey(generatePrivateKey());
    const box = encryptTo(alice.publicKey, bytes('for alice'));
    assert.throws(() => bob.decrypt(box), (e: unknown) => e instanceof DataDecryptionError && /another key/.test(e.message));
  });

  it('refuses bad recipient keys and private keys, naming the field', () => {
    assert.throws(() => encryptTo('0x1234' as Hex, bytes('x')), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'publicKey');
    assert.throws(() => encryptTo(`0x04${'11'.repeat(64)}` as Hex, bytes('x')), /not a point/);
    assert.throws(() => dataKeyFromPrivateKey(`0x${'00'.repeat(32)}` as Hex), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'privateKey');
  });

  it('signs delivery messages as its account', async () => {
    const pk = generatePrivateKey();
    const key = dataKeyFromPrivateKey(pk);
    const signature = await key.signMessage('machina-data-delivery\nchain:1');
    assert.equal(await recoverAddress({ hash: hashMessage('machina-data-delivery\nchain:1'), signature }), key.address);
  });
});

describe('a DataKey keeps its private key to itself', () => {
  it('has only public properties, and prints without the key', () => {
    const pk = generatePrivateKey();
    const key = dataKeyFromPrivateKey(pk);
    assert.deepEqual(Object.keys(key).sort(), ['address', 'decrypt', 'publicKey', 'signMessage']);
    assert.deepEqual(JSON.parse(JSON.stringify(key)), { address: key.address, publicKey: key.publicKey });
    assert.equal(inspect(key), `DataKey { address: '${key.address}' }`);
    assert.equal(leaks(key, pk), false);
    assert.equal(leaks({ nested: { key } }, pk), false);
    assert.ok(Object.isFrozen(key));
    assert.equal(Object.getOwnPropertyNames(key).some((n) => /priv|secret/i.test(n)), false);
  });

  it('leaves the key out of every error it raises', () => {
    const pk = generatePrivateKey();
    const key = dataKeyFromPrivateKey(pk);
    const other = dataKeyFromPrivateKey(generatePrivateKey());
    const errors: unknown[] = [];
    const capture = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    };
    const box = encryptTo(other.publicKey, bytes('x'));
    capture(() => key.decrypt(box));
    capture(() => key.decrypt(new Uint8Array(10)));
    capture(() => decryptWith(pk, box));
    capture(() => decryptWith(`${pk.slice(0, -1)}z` as Hex, box));
    capture(() => dataKeyFromPrivateKey(`${pk}00` as Hex));
    capture(() => dataKeyFromPrivateKey(pk.slice(0, 60) as Hex));
    assert.equal(errors.length, 6);
    for (const e of errors) {
      assert.ok(e instanceof Error);
      assert.equal(leaks(e, pk), false, (e as Error).message);
      // A near-miss of the key (a typo) is as secret as the key.
      assert.equal((e as Error).message.toLowerCase().includes(pk.slice(2, 40).toLowerCase()), false);
    }
  });
});
