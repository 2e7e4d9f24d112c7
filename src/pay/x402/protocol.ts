// x402 v2 on the wire, as the Machina gateway and client speak it: payment requirements for a price
// in the settlement token, the PAYMENT-REQUIRED / PAYMENT-SIGNATURE / PAYMENT-RESPONSE headers
// (base64 JSON, from @x402/core/http), v1's X-PAYMENT read as v2, and payment ids.
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader, decodePaymentResponseHeader } from '@x402/core/http';
import type { PaymentPayload, PaymentRequired, PaymentRequirements, SettleResponse } from '@x402/core/types';
import { declarePaymentIdentifierExtension, extractPaymentIdentifier, PAYMENT_IDENTIFIER } from '@x402/extensions/payment-identifier';
import { getAddress, keccak256, stringToBytes, type Address, type Hex } from 'viem';
import { SETTLEMENT_TOKEN } from '../token.ts';
import type { PaymentReceipt } from './receipt.ts';

export { encodePaymentRequiredHeader, encodePaymentResponseHeader, decodePaymentResponseHeader, PAYMENT_IDENTIFIER };
export type { PaymentPayload, PaymentRequired, PaymentRequirements, SettleResponse };

export const HEADER_REQUIRED = 'PAYMENT-REQUIRED';
export const HEADER_SIGNATURE = 'PAYMENT-SIGNATURE';
export const HEADER_RESPONSE = 'PAYMENT-RESPONSE';
export const HEADER_V1 = 'X-PAYMENT';
export const HEADER_V1_RESPONSE = 'X-PAYMENT-RESPONSE';
/** Key of the node's signed receipt inside PAYMENT-RESPONSE `extensions`. */
export const RECEIPT_EXTENSION = 'machina-receipt';

/** The EIP-3009 payload of the exact EVM scheme. */
export type ExactEvmPayload = {
  signature: Hex;
  authorization: { from: Address; to: Address; value: string; validAfter: string; validBefore: string; nonce: Hex };
};

export type RequirementsInput = {
  network: string;
  asset: Address;
  amount: bigint;
  payTo: Address;
  /** Seconds a signed authorization stays valid; 300 by default. */
  maxTimeoutSeconds?: number;
  /** The agent paid (ERC-8004 id): lets the node settle through X402Settlement with a receipt. */
  agentId?: bigint | undefined;
  name?: string;
  version?: string;
};

/**
 * Payment requirements (scheme exact, EIP-3009) for an amount of the settlement token.
 * @example
 * const req = buildRequirements({ network: 'eip155:31337', asset: token, amount: 10_000n, payTo })
 */
export function buildRequirements(p: RequirementsInput): PaymentRequirements {
  return {
    scheme: 'exact',
    network: p.network as PaymentRequirements['network'],
    asset: getAddress(p.asset),
    amount: p.amount.toString(),
    payTo: getAddress(p.payTo),
    maxTimeoutSeconds: p.maxTimeoutSeconds ?? 300,
    extra: {
      name: p.name ?? SETTLEMENT_TOKEN.name,
      version: p.version ?? SETTLEMENT_TOKEN.version,
      decimals: SETTLEMENT_TOKEN.decimals,
      ...(p.agentId !== undefined ? { agentId: p.agentId.toString() } : {}),
    },
  };
}

/**
 * The 402 answer's content (also its PAYMENT-REQUIRED header), declaring the payment-identifier extension.
 * @example
 * const body = paymentRequired({ url, description: 'echo' }, [req], 'payment required')
 */
export function paymentRequired(resource: { url: string; description?: string; mimeType?: string }, accepts: PaymentRequirements[], error?: string): PaymentRequired {
  return {
    x402Version: 2,
    ...(error ? { error } : {}),
    resource,
    accepts,
    extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(false) },
  };
}

/** A payment header that could not be read. */
export class PaymentHeaderError extends Error {
  override name = 'PaymentHeaderError';
}

/**
 * Reads PAYMENT-SIGNATURE (v2) or X-PAYMENT (v1) into a v2 payload; v1 payloads get `accepted` from
 * the requirement with the same scheme (v1 names networks instead of CAIP-2 ids).
 * @example
 * const payload = readPaymentHeader(c.req.header('payment-signature'), c.req.header('x-payment'), accepts)
 */
export function readPaymentHeader(v2: string | undefined, v1: string | undefined, accepts: PaymentRequirements[]): { payload: PaymentPayload; version: 1 | 2 } | undefined {
  const raw = v2 ?? v1;
  if (raw === undefined) return undefined;
  if (raw.length > 16_384) throw new PaymentHeaderError('payment header larger than 16 KiB');
  let decoded: PaymentPayload & { scheme?: string; network?: string };
  try {
    decoded = decodePaymentSignatureHeader(raw) as typeof decoded;
  } catch {
    throw new PaymentHeaderError('payment header is not base64 JSON');
  }
  if (!decoded || typeof decoded !== 'object' || typeof decoded.payload !== 'object' || decoded.payload === null) throw new PaymentHeaderError('payment header has no payload');
  if (decoded.x402Version === 1) {
    const accepted = accepts.find((a) => a.scheme === (decoded.scheme ?? 'exact'));
    if (!accepted) throw new PaymentHeaderError(`scheme ${String(decoded.scheme)} is not accepted here`);
    return { payload: { x402Version: 2, accepted, payload: decoded.payload, ...(decoded.extensions ? { extensions: decoded.extensions } : {}) }, version: 1 };
  }
  if (decoded.x402Version !== 2 || !decoded.accepted || typeof decoded.accepted !== 'object') throw new PaymentHeaderError(`unsupported x402Version ${String(decoded.x402Version)}`);
  return { payload: decoded, version: 2 };
}

/**
 * The requirement a payload accepted, matched on every term (scheme, network, asset, amount, payTo).
 * @example
 * const req = matchRequirement(accepts, payload.accepted)
 */
export function matchRequirement(accepts: PaymentRequirements[], accepted: PaymentRequirements): PaymentRequirements | undefined {
  const same = (a?: string, b?: string) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
  return accepts.find((r) => r.scheme === accepted.scheme && r.network === accepted.network && same(r.asset, accepted.asset) && r.amount === String(accepted.amount) && same(r.payTo, accepted.payTo));
}

/**
 * The exact EVM payload, checked for shape (addresses, decimal amounts, 32-byte nonce).
 * @example
 * const { authorization, signature } = exactPayload(payload)
 */
export function exactPayload(payload: PaymentPayload): ExactEvmPayload {
  const p = payload.payload as Partial<ExactEvmPayload>;
  const a = p.authorization as Partial<ExactEvmPayload['authorization']> | undefined;
  const addr = (v: unknown) => typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v);
  const uint = (v: unknown) => typeof v === 'string' && /^\d{1,78}$/.test(v);
  if (!a || !addr(a.from) || !addr(a.to) || !uint(a.value) || !uint(a.validAfter) || !uint(a.validBefore) || typeof a.nonce !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(a.nonce)) {
    throw new PaymentHeaderError('payload.authorization is not an EIP-3009 authorization');
  }
  if (typeof p.signature !== 'string' || !/^0x([0-9a-fA-F]{2}){1,2048}$/.test(p.signature)) throw new PaymentHeaderError('payload.signature is not hex');
  return { signature: p.signature as Hex, authorization: { ...(a as ExactEvmPayload['authorization']), from: getAddress(a.from!), to: getAddress(a.to!) } };
}

/**
 * The payment's id: the client's payment-identifier when given, else one derived from the
 * authorization (payer and nonce), which is unique per signed payment anyway.
 * @example
 * const id = paymentIdOf(payload, exact)
 */
export function paymentIdOf(payload: PaymentPayload, exact: ExactEvmPayload): string {
  const given = extractPaymentIdentifier(payload, true);
  if (given) return given;
  return `auth_${keccak256(stringToBytes(`${exact.authorization.from.toLowerCase()}:${exact.authorization.nonce.toLowerCase()}`)).slice(2, 42)}`;
}

/** The bytes32 a payment id becomes on chain (X402Settlement's `paymentId`). */
export function paymentIdHash(paymentId: string): Hex {
  return keccak256(stringToBytes(paymentId));
}

/**
 * PAYMENT-RESPONSE content for a served payment: success, the settlement tx once known, and the node's signed receipt.
 * @example
 * c.header('PAYMENT-RESPONSE', encodePaymentResponseHeader(settleResponseOf(receipt)))
 */
export function settleResponseOf(receipt: PaymentReceipt): SettleResponse {
  return {
    success: receipt.status !== 'failed' && receipt.status !== 'expired',
    transaction: receipt.txHash ?? '',
    network: receipt.network as SettleResponse['network'],
    payer: receipt.payer,
    amount: receipt.amount,
    extensions: { [RECEIPT_EXTENSION]: receipt },
  };
}

/**
 * The node's receipt inside a PAYMENT-RESPONSE header, if any.
 * @example
 * const receipt = receiptFromHeader(res.headers.get('payment-response'))
 */
export function receiptFromHeader(header: string | null | undefined): PaymentReceipt | undefined {
  if (!header) return undefined;
  try {
    const r = decodePaymentResponseHeader(header);
    const receipt = r.extensions?.[RECEIPT_EXTENSION] as PaymentReceipt | undefined;
    return receipt && typeof receipt === 'object' && typeof receipt.paymentId === 'string' ? receipt : undefined;
  } catch {
    return undefined;
  }
}
