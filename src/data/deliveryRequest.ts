// The signed request that asks a node for licensed data. The signature (EIP-191) proves which key asks, and the
// node recovers that key's public key from it to seal the files to: no key is ever sent, only a signature.
import { getAddress, hashMessage, isAddress, isHex, recoverPublicKey, type Address, type Hex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { DataKey } from './crypto.ts';
import { DataDeliveryError, InvalidDataInputError } from './errors.ts';

export type DeliveryRequest = { licenceId: string; listingId: string; timestamp: number; chainId: number; market: Address; signature: Hex };

/** Seconds a request stays valid either side of the node's clock. */
export const DELIVERY_REQUEST_MAX_SKEW = 300;

const DECIMAL_ID = /^[1-9]\d{0,77}$/;

function decimalId(field: string, v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : v;
  if (typeof s !== 'string' || !DECIMAL_ID.test(s)) throw new InvalidDataInputError(field, `must be a positive id (got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)})`);
  return s;
}

/**
 * The text a delivery request signs (EIP-191 personal_sign); the market address in its checksummed form.
 * @example
 * deliveryMessage({ chainId: 31337, market, listingId: '1', licenceId: '3', timestamp: 1760000000 })
 */
export function deliveryMessage(p: { chainId: number; market: Address; listingId: string; licenceId: string; timestamp: number }): string {
  return `machina-data-delivery\nchain:${p.chainId}\nmarket:${getAddress(p.market)}\nlisting:${p.listingId}\nlicence:${p.licenceId}\ntime:${p.timestamp}`;
}

/**
 * A delivery request signed by `key`, valid for DELIVERY_REQUEST_MAX_SKEW seconds around `now` (unix s).
 * @example
 * const body = await buildDeliveryRequest(key, { chainId: client.chain.id, market, listingId: 1n, licenceId: 3n })
 */
export async function buildDeliveryRequest(
  key: DataKey,
  p: { chainId: number; market: Address; listingId: bigint | string; licenceId: bigint | string; now?: number },
): Promise<DeliveryRequest> {
  if (!Number.isSafeInteger(p.chainId) || p.chainId <= 0) throw new InvalidDataInputError('chainId', `must be a positive integer (got ${String(p.chainId)})`);
  if (typeof p.market !== 'string' || !isAddress(p.market, { strict: false })) throw new InvalidDataInputError('market', `must be an address (got ${JSON.stringify(p.market)})`);
  const listingId = decimalId('listingId', p.listingId);
  const licenceId = decimalId('licenceId', p.licenceId);
  const timestamp = p.now ?? Math.floor(Date.now() / 1000);
  const market = getAddress(p.market);
  const signature = await key.signMessage(deliveryMessage({ chainId: p.chainId, market, listingId, licenceId, timestamp }));
  return { licenceId, listingId, timestamp, chainId: p.chainId, market, signature };
}

/**
 * The node's check of a request body: well-formed, for this chain and market, within the time window, and whose
 * key signed it. Returns the signer's address and public key (to seal the files to); the caller then checks that
 * the address may receive the licence's data. Throws InvalidDataInputError naming a malformed field, or
 * DataDeliveryError (status 401 REQUEST_EXPIRED, 400 WRONG_CHAIN / WRONG_MARKET / BAD_SIGNATURE).
 * @example
 * const { address, publicKey, request } = await verifyDeliveryRequest(body, { chainId, market })
 */
export async function verifyDeliveryRequest(
  body: unknown,
  opts: { chainId: number; market: Address; now?: number; maxSkewSeconds?: number },
): Promise<{ request: DeliveryRequest; address: Address; publicKey: Hex }> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidDataInputError('body', 'must be a JSON object { licenceId, listingId, timestamp, chainId, market, signature }');
  const b = body as Record<string, unknown>;
  const licenceId = decimalId('licenceId', b.licenceId);
  const listingId = decimalId('listingId', b.listingId);
  if (!Number.isSafeInteger(b.timestamp) || (b.timestamp as number) < 0) throw new InvalidDataInputError('timestamp', 'must be unix seconds');
  if (!Number.isSafeInteger(b.chainId)) throw new InvalidDataInputError('chainId', 'must be an integer');
  if (typeof b.market !== 'string' || !isAddress(b.market, { strict: false })) throw new InvalidDataInputError('market', 'must be an address');
  if (typeof b.signature !== 'string' || !isHex(b.signature) || b.signature.length !== 132) throw new InvalidDataInputError('signature', 'must be a 65-byte hex signature');
  const request: DeliveryRequest = { licenceId, listingId, timestamp: b.timestamp as number, chainId: b.chainId as number, market: getAddress(b.market), signature: b.signature as Hex };
  if (request.chainId !== opts.chainId) throw new DataDeliveryError(`the request is for chain ${request.chainId}; this node serves chain ${opts.chainId}`, { code: 'WRONG_CHAIN', status: 400, field: 'chainId' });
  if (request.market.toLowerCase() !== opts.market.toLowerCase()) throw new DataDeliveryError(`the request is for market ${request.market}; this node serves ${getAddress(opts.market)}`, { code: 'WRONG_MARKET', status: 400, field: 'market' });
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const skew = opts.maxSkewSeconds ?? DELIVERY_REQUEST_MAX_SKEW;
  if (Math.abs(now - request.timestamp) > skew) {
    throw new DataDeliveryError(`the request was signed at ${request.timestamp}, more than ${skew} s from now (${now}); sign a new one`, { code: 'REQUEST_EXPIRED', status: 401, field: 'timestamp' });
  }
  let publicKey: Hex;
  try {
    publicKey = await recoverPublicKey({ hash: hashMessage(deliveryMessage(request)), signature: request.signature });
  } catch {
    throw new DataDeliveryError('the signature does not recover to a key', { code: 'BAD_SIGNATURE', status: 400, field: 'signature' });
  }
  return { request, address: publicKeyToAddress(publicKey), publicKey };
}
