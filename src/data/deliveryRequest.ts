// The signed request that asks a node for licensed data. The signature (EIP-191) proves which key asks, and the
// node recovers that key's public key from it to seal the files to: no key is ever sent, only a signature.
import { randomBytes } from 'node:crypto';
import { getAddress, hashMessage, isAddress, isHex, recoverPublicKey, type Address, type Hex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { DataKey } from './crypto.ts';
import { DataDeliveryError, InvalidDataInputError } from './errors.ts';

export type DeliveryRequest = {
  licenceId: string;
  listingId: string;
  timestamp: number;
  chainId: number;
  market: Address;
  /** Random hex making each request unique (a node accepts a signed request once); optional for older clients. */
  nonce?: string | undefined;
  signature: Hex;
};

const NONCE = /^[0-9a-f]{16,64}$/;

/** Seconds a request stays valid after it was signed (by the node's clock). */
export const DELIVERY_REQUEST_MAX_SKEW = 300;
/** Seconds a request may be signed ahead of the node's clock (clock drift, not a longer life). */
export const DELIVERY_REQUEST_MAX_FUTURE_SKEW = 60;

const DECIMAL_ID = /^[1-9]\d{0,77}$/;
const UINT256_MAX = 2n ** 256n - 1n;

function decimalId(field: string, v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : v;
  const shown = typeof v === 'string' && v.length > 90 ? `${v.slice(0, 90)}…` : typeof v === 'bigint' ? String(v) : v;
  if (typeof s !== 'string' || !DECIMAL_ID.test(s)) throw new InvalidDataInputError(field, `must be a positive decimal id (got ${JSON.stringify(shown)})`);
  if (BigInt(s) > UINT256_MAX) throw new InvalidDataInputError(field, `must be at most 2^256-1 (got ${s.length} digits)`);
  return s;
}

/**
 * The text a delivery request signs (EIP-191 personal_sign); the market address in its checksummed form, then
 * `\nnonce:{nonce}` when the request has one.
 * @example
 * deliveryMessage({ chainId: 31337, market, listingId: '1', licenceId: '3', timestamp: 1760000000, nonce: '9f…' })
 */
export function deliveryMessage(p: { chainId: number; market: Address; listingId: string; licenceId: string; timestamp: number; nonce?: string | undefined }): string {
  const base = `machina-data-delivery\nchain:${p.chainId}\nmarket:${getAddress(p.market)}\nlisting:${p.listingId}\nlicence:${p.licenceId}\ntime:${p.timestamp}`;
  return p.nonce === undefined ? base : `${base}\nnonce:${p.nonce}`;
}

/**
 * A delivery request signed by `key`, valid for DELIVERY_REQUEST_MAX_SKEW seconds after `now` (unix s), once (a
 * random nonce makes each one unique).
 * @example
 * const body = await buildDeliveryRequest(key, { chainId: client.chain.id, market, listingId: 1n, licenceId: 3n })
 */
export async function buildDeliveryRequest(
  key: DataKey,
  p: { chainId: number; market: Address; listingId: bigint | string; licenceId: bigint | string; now?: number; nonce?: string },
): Promise<DeliveryRequest> {
  if (!Number.isSafeInteger(p.chainId) || p.chainId <= 0) throw new InvalidDataInputError('chainId', `must be a positive integer (got ${String(p.chainId)})`);
  if (typeof p.market !== 'string' || !isAddress(p.market, { strict: false })) throw new InvalidDataInputError('market', `must be an address (got ${JSON.stringify(p.market)})`);
  const listingId = decimalId('listingId', p.listingId);
  const licenceId = decimalId('licenceId', p.licenceId);
  const timestamp = p.now ?? Math.floor(Date.now() / 1000);
  const market = getAddress(p.market);
  const nonce = p.nonce ?? randomBytes(16).toString('hex');
  if (!NONCE.test(nonce)) throw new InvalidDataInputError('nonce', 'must be 16-64 lowercase hex digits');
  const signature = await key.signMessage(deliveryMessage({ chainId: p.chainId, market, listingId, licenceId, timestamp, nonce }));
  return { licenceId, listingId, timestamp, chainId: p.chainId, market, nonce, signature };
}

/**
 * The node's check of a request body: well-formed, for this chain and market, within the time window, and whose
 * key signed it (all without a chain read). Returns the signer's address and public key (to seal the files to) and
 * `replayKey`, the same for every encoding of this signed request (a node refuses a second use); the caller then
 * checks that the address may receive the licence's data. Throws InvalidDataInputError naming a malformed field, or
 * DataDeliveryError (status 401 REQUEST_EXPIRED, 400 WRONG_CHAIN / WRONG_MARKET / BAD_SIGNATURE).
 * @example
 * const { address, publicKey, request } = await verifyDeliveryRequest(body, { chainId, market })
 */
export async function verifyDeliveryRequest(
  body: unknown,
  opts: { chainId: number; market: Address; now?: number | undefined; maxSkewSeconds?: number | undefined; maxFutureSkewSeconds?: number | undefined },
): Promise<{ request: DeliveryRequest; address: Address; publicKey: Hex; replayKey: string }> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidDataInputError('body', 'must be a JSON object { licenceId, listingId, timestamp, chainId, market, nonce, signature }');
  const b = body as Record<string, unknown>;
  const licenceId = decimalId('licenceId', b.licenceId);
  const listingId = decimalId('listingId', b.listingId);
  if (!Number.isSafeInteger(b.timestamp) || (b.timestamp as number) < 0) throw new InvalidDataInputError('timestamp', 'must be unix seconds');
  if (!Number.isSafeInteger(b.chainId)) throw new InvalidDataInputError('chainId', 'must be an integer');
  if (typeof b.market !== 'string' || !isAddress(b.market, { strict: false })) throw new InvalidDataInputError('market', 'must be an address');
  if (b.nonce !== undefined && (typeof b.nonce !== 'string' || !NONCE.test(b.nonce))) throw new InvalidDataInputError('nonce', 'must be 16-64 lowercase hex digits');
  if (typeof b.signature !== 'string' || !isHex(b.signature) || b.signature.length !== 132) throw new InvalidDataInputError('signature', 'must be a 65-byte hex signature');
  const request: DeliveryRequest = {
    licenceId,
    listingId,
    timestamp: b.timestamp as number,
    chainId: b.chainId as number,
    market: getAddress(b.market),
    ...(b.nonce === undefined ? {} : { nonce: b.nonce as string }),
    signature: b.signature as Hex,
  };
  if (request.chainId !== opts.chainId) throw new DataDeliveryError(`the request is for chain ${request.chainId}; this node serves chain ${opts.chainId}`, { code: 'WRONG_CHAIN', status: 400, field: 'chainId' });
  if (request.market.toLowerCase() !== opts.market.toLowerCase()) throw new DataDeliveryError(`the request is for market ${request.market}; this node serves ${getAddress(opts.market)}`, { code: 'WRONG_MARKET', status: 400, field: 'market' });
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.maxSkewSeconds ?? DELIVERY_REQUEST_MAX_SKEW;
  const ahead = Math.min(skew, opts.maxFutureSkewSeconds ?? DELIVERY_REQUEST_MAX_FUTURE_SKEW);
  if (now - request.timestamp > skew) {
    throw new DataDeliveryError(`the request was signed at ${request.timestamp}, more than ${skew} s before now (${now}); sign a new one`, { code: 'REQUEST_EXPIRED', status: 401, field: 'timestamp' });
  }
  if (request.timestamp - now > ahead) {
    throw new DataDeliveryError(`the request is dated ${request.timestamp}, more than ${ahead} s after now (${now}): check the clock, then sign a new one`, { code: 'REQUEST_EXPIRED', status: 401, field: 'timestamp' });
  }
  let publicKey: Hex;
  try {
    publicKey = await recoverPublicKey({ hash: hashMessage(deliveryMessage(request)), signature: request.signature });
  } catch {
    throw new DataDeliveryError('the signature does not recover to a key', { code: 'BAD_SIGNATURE', status: 400, field: 'signature' });
  }
  const address = publicKeyToAddress(publicKey);
  // The signer and what it signed, not the signature bytes (a high-s twin recovers the same key).
  return { request, address, publicKey, replayKey: `${address.toLowerCase()}:${deliveryMessage(request)}` };
}
