// The x402 gateway: Hono middleware that prices a route of the node. Without a payment it answers
// 402 with PAYMENT-REQUIRED (v2); with PAYMENT-SIGNATURE (v2) or X-PAYMENT (v1) it verifies the
// payment, records it, serves the route and sets PAYMENT-RESPONSE with the node's signed receipt.
// Settlement happens afterwards, in batches (see settler.ts).
import type { Context, MiddlewareHandler } from 'hono';
import type { Address } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import {
  buildRequirements,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  HEADER_REQUIRED,
  HEADER_RESPONSE,
  HEADER_V1_RESPONSE,
  matchRequirement,
  PaymentHeaderError,
  paymentRequired,
  readPaymentHeader,
  settleResponseOf,
  type PaymentRequirements,
} from '../../pay/x402/protocol.ts';
import { parseTokenAmount } from '../../pay/token.ts';
import { ApiError } from '../api/errors.ts';
import { PaymentRejectedError, type PayService } from './service.ts';

/** How a route is priced: an amount of the settlement token, paid to an address or to an agent's payee. */
export type RoutePrice = {
  /** Whole tokens as a decimal string ("0.01"), or base units as a bigint. */
  price: string | bigint;
  /** Paid to this address... */
  payTo?: Address | undefined;
  /** ...or to this agent's payee (agentWallet, else owner); settles in batches through X402Settlement with a receipt. */
  agentId?: bigint | undefined;
  description?: string | undefined;
  mimeType?: string | undefined;
  /** Seconds a payment authorization must stay valid; 300 by default. */
  maxTimeoutSeconds?: number | undefined;
};

export type PricedRoute = RoutePrice & { method?: string; path: string };

const EXPOSE = 'PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE';

/**
 * Middleware that charges for the routes below it; `price` may depend on the request.
 * @example
 * app.use('/v1/paid/echo', x402Gateway(pay, () => ({ price: '0.01', agentId: 0n })))
 */
export function x402Gateway(pay: PayService, priceOf: (c: Context) => RoutePrice | Promise<RoutePrice>): MiddlewareHandler {
  const requirementsOf = async (c: Context): Promise<{ requirements: PaymentRequirements; price: RoutePrice }> => {
    const price = await priceOf(c);
    if (!pay.token) throw new ApiError(503, 'PAYMENTS_UNAVAILABLE', 'no SettlementToken in this deployment: paid routes are off', 'path');
    const amount = typeof price.price === 'bigint' ? price.price : parseTokenAmount(price.price, 'price');
    if (amount <= 0n) throw new InvalidArgumentError('price', 'must be greater than zero');
    const payTo = price.agentId !== undefined ? await pay.payeeOf(price.agentId).catch(() => {
      throw new ApiError(404, 'NOT_FOUND', `agent ${price.agentId} not found (the route's payee)`, 'agentId');
    }) : (price.payTo ?? pay.signer);
    return {
      price,
      requirements: buildRequirements({ network: pay.network, asset: pay.token, amount, payTo, agentId: price.agentId, maxTimeoutSeconds: price.maxTimeoutSeconds }),
    };
  };

  return async (c, next) => {
    const { requirements, price } = await requirementsOf(c);
    const url = new URL(c.req.url);
    const resource = `${url.pathname}${url.search}`;
    const required = (error: string, status = 402) => {
      const body = paymentRequired({ url: url.toString(), ...(price.description ? { description: price.description } : {}), mimeType: price.mimeType ?? 'application/json' }, [requirements], error);
      return c.json(body, status as 402, { [HEADER_REQUIRED]: encodePaymentRequiredHeader(body), 'access-control-expose-headers': EXPOSE, 'cache-control': 'private, no-store' });
    };
    let read;
    try {
      read = readPaymentHeader(c.req.header('payment-signature'), c.req.header('x-payment'), [requirements]);
    } catch (err) {
      if (err instanceof PaymentHeaderError) return required(err.message);
      throw err;
    }
    if (!read) return required('payment required');
    const accepted = matchRequirement([requirements], read.payload.accepted);
    if (!accepted) return required('the payment does not match this route\'s requirements (scheme, network, asset, amount or payTo)');
    let result;
    try {
      result = await pay.accept(read.payload, accepted, resource);
    } catch (err) {
      if (err instanceof PaymentRejectedError) {
        if (err.status === 409) throw new ApiError(409, 'PAYMENT_ID_CONFLICT', err.message, 'PAYMENT-SIGNATURE');
        return required(err.message);
      }
      throw err;
    }
    // The handler can see who paid: c.get('x402') is the receipt.
    c.set('x402' as never, result.receipt as never);
    const encoded = encodePaymentResponseHeader(settleResponseOf(result.receipt));
    c.header(read.version === 1 ? HEADER_V1_RESPONSE : HEADER_RESPONSE, encoded);
    c.header('access-control-expose-headers', EXPOSE);
    c.header('cache-control', 'private, no-store');
    try {
      await next();
    } catch (err) {
      if (!result.replay) await pay.cancel(result.receipt.paymentId, 'the resource failed');
      throw err;
    }
    if (c.res.status >= 400 && !result.replay) {
      await pay.cancel(result.receipt.paymentId, `the resource answered ${c.res.status}`);
      c.res.headers.delete(HEADER_RESPONSE);
      c.res.headers.delete(HEADER_V1_RESPONSE);
    }
  };
}
