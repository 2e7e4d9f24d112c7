import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { privateKeyToAddress } from 'viem/accounts';
import { decryptKeystore, encryptKeystore } from '../src/chain/keystore.ts';
import { InvalidSettingError } from '../src/errors/index.ts';

const KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' as const;

describe('keystore (Web3 Secret Storage v3)', () => {
  it('round-trips a key and records its address', () => {
    const ks = encryptKeystore(KEY, 'correct horse', { n: 1024 });
    assert.equal(`0x${ks.address}`, privateKeyToAddress(KEY).toLowerCase());
    assert.ok(!JSON.stringify(ks).includes(KEY.slice(2)));
    assert.equal(decryptKeystore(ks, 'correct horse'), KEY);
  });

  it('reads a geth-style pbkdf2 keystore', async () => {
    // Test vector from the Web3 Secret Storage definition (password "testpassword").
    const vector = {
      version: 3,
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      address: '008aeeda4d805471df9b2a5b0f38a0c3bcba786b',
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
        ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
        kdf: 'pbkdf2',
        kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
        mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
      },
    };
    assert.equal(decryptKeystore(vector, 'testpassword'), '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d');
  });

  it('rejects a wrong password with a line that names the setting, not the secret', () => {
    const ks = encryptKeystore(KEY, 'right', { n: 1024 });
    assert.throws(() => decryptKeystore(ks, 'wrong'), (err: unknown) => {
      assert.ok(err instanceof InvalidSettingError);
      assert.match(err.message, /^MACHINA_KEYSTORE_PASSWORD: wrong password/);
      assert.ok(!err.message.includes(KEY.slice(2)));
      return true;
    });
  });

  it('rejects files that are not v3 keystores', () => {
    assert.throws(() => decryptKeystore({ version: 1 }, 'x'), /MACHINA_KEYSTORE: not a version 3 keystore/);
    assert.throws(() => decryptKeystore(null, 'x'), /MACHINA_KEYSTORE: not a version 3 keystore/);
  });
});
