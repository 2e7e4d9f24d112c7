// Sealing delivered data to one key: ECIES on secp256k1 (the curve of every Ethereum account, so a buyer's or a
// provider operator's account key is its data key). ECDH with a fresh ephemeral key, HKDF-SHA256, AES-256-GCM.
// A DataKey holds its private key only in a closure: it is never a property, never in JSON, inspect or errors.
import { createCipheriv, createDecipheriv, createECDH, randomBytes, type ECDH } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1';
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, hexToBytes, isHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { registerSecret } from '../errors/secrets.ts';
import { DataDecryptionError, InvalidDataInputError } from './errors.ts';

/** A key that can receive sealed data: its address and public key are public; decrypting and signing need it. */
export type DataKey = {
  address: Address;
  /** Uncompressed, 0x04 + 128 hex digits. */
  publicKey: Hex;
  /** EIP-191 personal_sign. */
  signMessage(m: string): Promise<Hex>;
  /** Opens a box sealed to `publicKey`; throws DataDecryptionError when it was altered or is for another key. */
  decrypt(box: Uint8Array): Uint8Array;
};

const PUB = 65;
const IV = 12;
const TAG = 16;
/** Bytes a box adds to its plaintext: ephemeral public key, IV and tag. */
export const BOX_OVERHEAD = PUB + IV + TAG;
/** Binds the derived key to this scheme, so a shared secret is never reused by another protocol. */
const INFO = new TextEncoder().encode('machina/data/ecies/v1');

/** The private key's 32 bytes; the error never repeats the input (it may be a key with a typo). */
function privateKeyBytes(pk: unknown): Uint8Array {
  if (typeof pk !== 'string' || !isHex(pk) || pk.length !== 66) throw new InvalidDataInputError('privateKey', 'must be 0x + 64 hex digits');
  const bytes = hexToBytes(pk);
  if (!secp256k1.utils.isValidPrivateKey(bytes)) throw new InvalidDataInputError('privateKey', 'is not a valid secp256k1 private key');
  return bytes;
}

/** The recipient's public key as 65 uncompressed bytes; accepts compressed (33) keys too. */
function publicKeyBytes(publicKey: unknown, field = 'publicKey'): Uint8Array {
  if (typeof publicKey !== 'string' || !isHex(publicKey) || (publicKey.length !== 132 && publicKey.length !== 68)) {
    throw new InvalidDataInputError(field, `must be a secp256k1 public key, 0x04 + 128 hex digits (got ${JSON.stringify(String(publicKey).slice(0, 20))}…)`);
  }
  try {
    return secp256k1.ProjectivePoint.fromHex(publicKey.slice(2)).toRawBytes(false);
  } catch {
    throw new InvalidDataInputError(field, 'is not a point on secp256k1');
  }
}

function aesKey(sharedX: Uint8Array, ephemeralPub: Uint8Array): Buffer {
  // sharedX is the x coordinate of the ECDH point (the secret). The ephemeral key salts the derivation.
  return Buffer.from(hkdf(sha256, sharedX, ephemeralPub, INFO, 32));
}

// ECDH runs in OpenSSL (node:crypto): about 30x faster than the same scalar multiplication in JavaScript, which
// dominated the cost of a delivery of many small files (one ephemeral key per file).
const CURVE = 'secp256k1';

/**
 * A box sealed in pieces, for data too large to copy whole: `header` (ephemeral public key (65) | IV (12)) first,
 * then what each `update(piece)` returns, then `final()` (the last ciphertext bytes and the GCM tag, once). In that
 * order the bytes are exactly an `encryptTo` box of the concatenated pieces; any DataKey opens it.
 */
export type Sealer = {
  /** Ephemeral public key | IV: the first BOX_OVERHEAD − 16 bytes of the box. */
  header: Uint8Array;
  /** Seals the next piece of plaintext; returns its ciphertext (same length). */
  update(piece: Uint8Array): Uint8Array;
  /** Ends the box: the remaining ciphertext, then the 16-byte tag. */
  final(): Uint8Array;
};

/**
 * Starts a box sealed to `publicKey` (ECDH with a fresh ephemeral key, HKDF-SHA256 salted with it, AES-256-GCM with
 * the ephemeral key as associated data), to be filled piece by piece.
 * @example
 * const s = createSealer(buyerKey.publicKey); out.write(s.header); for (const piece of pieces) out.write(s.update(piece)); out.write(s.final())
 */
export function createSealer(publicKey: Hex): Sealer {
  return sealerFor(publicKeyBytes(publicKey));
}

function sealerFor(recipient: Uint8Array): Sealer {
  const eph = createECDH(CURVE);
  const ephPub = eph.generateKeys(); // uncompressed, 65 bytes
  const shared = eph.computeSecret(recipient);
  // Overwrite the ephemeral private key inside the ECDH object as soon as the secret is derived.
  eph.setPrivateKey(randomBytes(32));
  const key = aesKey(shared, ephPub);
  shared.fill(0);
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The cipher holds its own copy of the key.
  key.fill(0);
  cipher.setAAD(ephPub);
  const header = new Uint8Array(PUB + IV);
  header.set(ephPub, 0);
  header.set(iv, PUB);
  return {
    header,
    update: (piece) => cipher.update(piece),
    final: () => {
      const last = cipher.final();
      return last.length ? Buffer.concat([last, cipher.getAuthTag()]) : cipher.getAuthTag();
    },
  };
}

/**
 * Seals `plaintext` to `publicKey`: ephemeral public key (65) | IV (12) | ciphertext | GCM tag (16).
 * @example
 * const box = encryptTo(buyerKey.publicKey, fileBytes)
 */
export function encryptTo(publicKey: Hex, plaintext: Uint8Array): Uint8Array {
  const recipient = publicKeyBytes(publicKey);
  if (!(plaintext instanceof Uint8Array)) throw new InvalidDataInputError('plaintext', 'must be bytes (Uint8Array)');
  const sealer = sealerFor(recipient);
  const ct = sealer.update(plaintext);
  const end = sealer.final();
  const box = new Uint8Array(PUB + IV + ct.length + end.length);
  box.set(sealer.header, 0);
  box.set(ct, PUB + IV);
  box.set(end, PUB + IV + ct.length);
  return box;
}

function open(ecdh: ECDH, box: Uint8Array): Uint8Array {
  if (!(box instanceof Uint8Array)) throw new DataDecryptionError('the box must be bytes (Uint8Array)');
  if (box.length < BOX_OVERHEAD) throw new DataDecryptionError(`the box is ${box.length} bytes, shorter than the ${BOX_OVERHEAD} bytes of its envelope`);
  const ephPub = box.subarray(0, PUB);
  let shared: Uint8Array;
  try {
    shared = ecdh.computeSecret(ephPub);
  } catch {
    throw new DataDecryptionError('the box\'s ephemeral key is not a point on secp256k1 (the box was altered)');
  }
  const key = aesKey(shared, ephPub);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(PUB, PUB + IV));
    decipher.setAAD(ephPub);
    decipher.setAuthTag(box.subarray(box.length - TAG));
    return new Uint8Array(Buffer.concat([decipher.update(box.subarray(PUB + IV, box.length - TAG)), decipher.final()]));
  } catch {
    throw new DataDecryptionError('the box was altered or was sealed for another key');
  } finally {
    key.fill(0);
  }
}

function ecdhOf(priv: Uint8Array): ECDH {
  const ecdh = createECDH(CURVE);
  ecdh.setPrivateKey(priv);
  return ecdh;
}

/**
 * Opens a box with a private key given as hex (prefer a DataKey, which keeps the key out of reach).
 * @example
 * const bytes = decryptWith(privateKey, box)
 */
export function decryptWith(privateKey: Hex, box: Uint8Array): Uint8Array {
  return open(ecdhOf(privateKeyBytes(privateKey)), box);
}

/**
 * A DataKey for an account key. The private key stays in this closure: the object has only `address`,
 * `publicKey` and two functions, and prints as `DataKey { address }`.
 * @example
 * const key = dataKeyFromPrivateKey(process.env.KEY as Hex); const bytes = key.decrypt(box)
 */
export function dataKeyFromPrivateKey(pk: Hex): DataKey {
  const priv = privateKeyBytes(pk);
  registerSecret(pk);
  const account = privateKeyToAccount(bytesToHex(priv));
  const publicKey = bytesToHex(secp256k1.getPublicKey(priv, false));
  const ecdh = ecdhOf(priv);
  const address = account.address;
  const key: DataKey = {
    address,
    publicKey,
    signMessage: (m: string) => account.signMessage({ message: m }),
    decrypt: (box: Uint8Array) => open(ecdh, box),
  };
  Object.defineProperties(key, {
    toJSON: { value: () => ({ address, publicKey }), enumerable: false },
    toString: { value: () => `DataKey(${address})`, enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: () => `DataKey { address: '${address}' }`, enumerable: false },
  });
  return Object.freeze(key);
}

/**
 * The uncompressed public key of a hex public key in either form (checks it is on the curve).
 * @example
 * normalizePublicKey('0x02…') // '0x04…'
 */
export function normalizePublicKey(publicKey: Hex, field = 'publicKey'): Hex {
  return bytesToHex(publicKeyBytes(publicKey, field));
}
