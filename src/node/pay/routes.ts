// The node's x402 routes: the facilitator (/x402/verify, /x402/settle, /x402/supported), the
// payments it took (/v1/payments), the devnet's demo priced route (/v1/paid/echo) and the routes
// priced by settings. Registered before every other route so a price applies to any of them.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Address } from 'viem';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { PaymentPayload, PaymentRequirements } from '../../pay/x402/protocol.ts';
import type { Api, ApiContext } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { address, pagingQuery } from '../api/inputs.ts';
import { errors } from '../api/reads.ts';
import { jsonBody } from '../api/writes.ts';
import { pageSchema } from '../api/schemas.ts';
import { x402Gateway, type PricedRoute } from './gateway.ts';
import type { PayService } from './service.ts';

/** What the node's x402 surface is given. */
export type NodePay = {
  service: PayService;
  /** Routes priced by settings (MACHINA_X402_ROUTES). */
  routes?: PricedRoute[] | undefined;
  /** Serve GET /v1/paid/echo?price= (the devnet's demo priced route). */
  echo?: boolean | undefined;
};

const hex = (n: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${n}}$`));
export const paymentReceiptSchema = z
  .object({
    paymentId: z.string(),
    payer: hex(40),
    payTo: hex(40),
    amount: z.string().openapi({ description: 'base units of the asset (6 decimals for the settlement token)' }),
    asset: hex(40),
    network: z.string().openapi({ example: 'eip155:31337' }),
    status: z.enum(['pending', 'settled', 'failed', 'expired']),
    txHash: hex(64).nullable(),
    receiptId: hex(64).nullable(),
    batchId: z.string().nullable(),
    signature: z.string().openapi({ description: "the node's EIP-712 signature (domain \"Machina x402 Receipt\" v1)" }),
    signer: hex(40),
    resource: z.string(),
  })
  .openapi('PaymentReceipt');

const listPaymentsQuery = pagingQuery.extend({
  payer: address().optional(),
  payTo: address().optional(),
  status: z.enum(['pending', 'settled', 'failed', 'expired'], { error: 'must be one of pending, settled, failed, expired' }).optional(),
});
const paymentIdParams = z.object({
  paymentId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16-128 letters, digits, _ or -')
    .openapi({ param: { name: 'paymentId', in: 'path' }, type: 'string' }),
});

const facilitatorBody = (c: Context) => {
  const body = (c.req.bodyCache as { text?: Promise<string> }).text!;
  return body.then((t) => {
    const j = JSON.parse(t) as { paymentPayload?: PaymentPayload; paymentRequirements?: PaymentRequirements };
    if (!j.paymentPayload || typeof j.paymentPayload !== 'object') throw new InvalidArgumentError('paymentPayload', 'required (an x402 payment payload)');
    if (!j.paymentRequirements || typeof j.paymentRequirements !== 'object') throw new InvalidArgumentError('paymentRequirements', 'required (x402 payment requirements)');
    return j as { paymentPayload: PaymentPayload; paymentRequirements: PaymentRequirements };
  });
};

/**
 * Registers the x402 routes when the node has a pay service (no-op otherwise).
 * @example
 * registerPay(app, ctx)
 */
export function registerPay(app: Api, ctx: ApiContext): void {
  const pay = ctx.pay;
  if (!pay) return;
  const service = pay.service;

  for (const r of pay.routes ?? []) {
    const method = (r.method ?? 'GET').toUpperCase();
    const gate = x402Gateway(service, () => r);
    app.use(r.path, async (c, next) => ((c.req.method === method || (method === 'GET' && c.req.method === 'HEAD')) ? gate(c, next) : next()));
  }

  if (pay.echo) {
    app.use(
      '/v1/paid/echo',
      x402Gateway(service, (c) => {
        const price = c.req.query('price') ?? '0.01';
        const agentId = c.req.query('agentId');
        if (agentId !== undefined && !/^\d{1,78}$/.test(agentId)) throw new InvalidArgumentError('agentId', 'must be a decimal agent id');
        return { price, agentId: agentId === undefined ? undefined : BigInt(agentId), description: 'Machina devnet demo: echoes the query, for a price' };
      }),
    );
    app.get('/v1/paid/echo', (c) => c.json({ echo: c.req.query(), paid: true, at: new Date().toISOString() }, 200));
  }

  // The facilitator, as the x402 HTTP facilitator client expects it.
  app.get('/x402/supported', (c) => c.json(service.facilitator.getSupported(), 200));
  app.post('/x402/verify', jsonBody, async (c) => {
    const { paymentPayload, paymentRequirements } = await facilitatorBody(c);
    return c.json(await service.facilitator.verify(paymentPayload, paymentRequirements), 200);
  });
  app.post('/x402/settle', jsonBody, async (c) => {
    const { paymentPayload, paymentRequirements } = await facilitatorBody(c);
    return c.json(await service.settleNow(paymentPayload, paymentRequirements), 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/payments',
      tags: ['payments'],
      summary: 'x402 payments this node took, newest first, with their signed receipts',
      request: { query: listPaymentsQuery },
      responses: { 200: { description: 'A page of receipts', content: { 'application/json': { schema: pageSchema(paymentReceiptSchema, 'PaymentPage') } } }, ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { items, total } = await service.list({ ...q, payer: q.payer as Address | undefined, payTo: q.payTo as Address | undefined });
      return c.json({ items, total, offset: q.offset, limit: q.limit }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/payments/{paymentId}',
      tags: ['payments'],
      summary: 'One x402 payment and its signed receipt',
      request: { params: paymentIdParams },
      responses: { 200: { description: 'The receipt', content: { 'application/json': { schema: paymentReceiptSchema } } }, ...errors },
    }),
    async (c) => {
      const { paymentId } = c.req.valid('param');
      const receipt = await service.getReceipt(paymentId);
      if (!receipt) throw new ApiError(404, 'NOT_FOUND', `payment ${paymentId} not found`, 'paymentId');
      return c.json(receipt, 200);
    },
  );
  app.post('/v1/payments/:paymentId/prove', async (c) => {
    const paymentId = c.req.param('paymentId');
    return c.json(await service.prove(paymentId), 200);
  });
}
