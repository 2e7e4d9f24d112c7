// Encrypted key files in the Web3 Secret Storage v3 format (geth, foundry `cast wallet`, MetaMask
// exports): scrypt or pbkdf2 key derivation, aes-128-ctr, keccak MAC.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { keccak256, type Hex, bytesToHex, hexToBytes, concatBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { InvalidSettingError, registerSecret } from '../errors/index.ts';

type KdfParams =
  | { kdf: 'scrypt'; kdfparams: { n: number; r: number; p: number; dklen: number; salt: string } }
  | { kdf: 'pbkdf2'; kdfparams: { c: number; prf: 'hmac-sha256'; dklen: number; salt: string } };

export type KeystoreV3 = {
  version: 3;
  id: string;
  address: string;
  crypto: { cipher: 'aes-128-ctr'; ciphertext: string; cipherparams: { iv: string }; mac: string } & KdfParams;
};

function deriveKey(crypto: KeystoreV3['crypto'], password: string): Uint8Array {
  if (crypto.kdf === 'scrypt') {
    const { n, r, p, dklen, salt } = crypto.kdfparams;
    return scryptSync(password, Buffer.from(salt, 'hex'), dklen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  }
  if (crypto.kdf === 'pbkdf2') {
    const { c, dklen, salt, prf } = crypto.kdfparams;
    if (prf !== 'hmac-sha256') throw new Error(`unsupported pbkdf2 prf ${prf}`);
    return pbkdf2Sync(password, Buffer.from(salt, 'hex'), c, dklen, 'sha256');
  }
  throw new Error(`unsupported kdf ${(crypto as { kdf: string }).kdf}`);
}

/**
 * Decrypts a v3 keystore; the error names the setting but never the password or the key.
 * @example
 * const key = decryptKeystore(JSON.parse(readFileSync(file, 'utf8')), password)
 */
export function decryptKeystore(json: unknown, password: string, setting = 'MACHINA_KEYSTORE'): Hex {
  const ks = json as Partial<KeystoreV3>;
  if (!ks || ks.version !== 3 || !ks.crypto || typeof ks.crypto.ciphertext !== 'string') {
    throw new InvalidSettingError(setting, 'not a version 3 keystore file');
  }
  const c = ks.crypto;
  if (c.cipher !== 'aes-128-ctr') throw new InvalidSettingError(setting, `unsupported cipher ${String(c.cipher)}`);
  let derived: Uint8Array;
  try {
    derived = deriveKey(c, password);
  } catch (err) {
    throw new InvalidSettingError(setting, (err as Error).message);
  }
  const ciphertext = Buffer.from(c.ciphertext, 'hex');
  const mac = keccak256(concatBytes([derived.subarray(16, 32), ciphertext]));
  if (mac.slice(2).toLowerCase() !== c.mac.toLowerCase()) {
    throw new InvalidSettingError('MACHINA_KEYSTORE_PASSWORD', 'wrong password for the keystore (MAC mismatch)');
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), Buffer.from(c.cipherparams.iv, 'hex'));
  const key = bytesToHex(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  registerSecret(key);
  return key;
}

/**
 * Encrypts a private key as a v3 keystore (scrypt). `n` defaults to 2^17 as geth does; tests pass less.
 * @example
 * writeFileSync('key.json', JSON.stringify(encryptKeystore(key, password)))
 */
export function encryptKeystore(privateKey: Hex, password: string, { n = 131072 }: { n?: number } = {}): KeystoreV3 {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdfparams = { n, r: 8, p: 1, dklen: 32, salt: salt.toString('hex') };
  const derived = scryptSync(password, salt, 32, { N: n, r: 8, p: 1, maxmem: 256 * n * 8 + 1024 * 1024 });
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(hexToBytes(privateKey)), cipher.final()]);
  const mac = keccak256(concatBytes([derived.subarray(16, 32), ciphertext])).slice(2);
  return {
    version: 3,
    id: randomUUID(),
    address: privateKeyToAddress(privateKey).slice(2).toLowerCase(),
    crypto: { cipher: 'aes-128-ctr', ciphertext: ciphertext.toString('hex'), cipherparams: { iv: iv.toString('hex') }, mac, kdf: 'scrypt', kdfparams },
  };
}
