// The wallet API: agent accounts (list, one with keys, policies and spend per window), queued
// actions and activity from the index; approve / reject a queued action through the node's signer
// when it owns the account (otherwise 403 NOT_ACCOUNT_OWNER: the owner approves from its own key).
import { createRoute, z } from '@hono/zod-openapi';
import type { Address } from 'viem';
import { MachinaError, NotFoundError } from '../../errors/index.ts';
import { agentAccountAbi, approvePending, getPendingAction, rejectPending } from '../../wallet/index.ts';
import type { Api, ApiContext } from '../api/context.ts';
import { ApiError, writeError } from '../api/errors.ts';
import { errors } from '../api/reads.ts';
import { errorSchema, pageSchema } from '../api/schemas.ts';
import { jsonBody } from '../api/writes.ts';
import {
  accountParams,
  activityRecordSchema,
  emptyBody,
  listActivityQuery,
  listPendingQuery,
  listWalletsQuery,
  pendingDecisionSchema,
  pendingParams,
  pendingRecordSchema,
  walletRecordSchema,
  walletSummarySchema,
} from './schemas.ts';
import type { WalletQueries } from './types.ts';
import { createSerialQueue } from '../../chain/serial.ts';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const decisionErrors = {
  ...errors,
  403: json(errorSchema, 'The node has no signer, or its signer does not own the account'),
  409: json(errorSchema, 'The action is not queued any more (approved, rejected or expired)'),
  415: json(errorSchema, 'Body not application/json'),
  422: json(errorSchema, 'The chain reverted it'),
};

/**
 * Registers the /v1/wallets routes (404 when the node does not index wallets).
 * @example
 * registerWalletRoutes(app, ctx)
 */
export function registerWalletRoutes(app: Api, ctx: ApiContext): void {
  const wallets = (): WalletQueries => {
    if (!ctx.wallets) throw new ApiError(404, 'NOT_FOUND', 'this node does not index agent wallets', 'path');
    return ctx.wallets;
  };
  const walletOr404 = async (address: Address) => {
    const w = await wallets().getWallet(address);
    if (!w) throw new ApiError(404, 'NOT_FOUND', `agent account ${address} not found (not created by the factory, or not indexed yet)`, 'address');
    return w;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/wallets',
      tags: ['wallets'],
      summary: 'Agent accounts created by the factory, newest first',
      request: { query: listWalletsQuery },
      responses: { 200: json(pageSchema(walletSummarySchema, 'WalletPage'), 'A page of accounts'), 400: errors[400] },
    }),
    async (c) => c.json(await wallets().listWallets(c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/wallets/{address}',
      tags: ['wallets'],
      summary: 'One agent account: owner, guardian, frozen, keys with their policies and spend per window, queued actions',
      request: { params: accountParams },
      responses: { 200: json(walletRecordSchema, 'The account'), ...errors },
    }),
    async (c) => c.json(await walletOr404(c.req.valid('param').address), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/wallets/{address}/pending',
      tags: ['wallets'],
      summary: 'Actions of the account queued for its owner (escalated), newest first; `expired` includes queued ones past their expiry',
      request: { params: accountParams, query: listPendingQuery },
      responses: { 200: json(pageSchema(pendingRecordSchema, 'PendingPage'), 'A page of queued actions'), ...errors },
    }),
    async (c) => {
      const { address } = c.req.valid('param');
      await walletOr404(address);
      return c.json(await wallets().listPending(address, c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/wallets/{address}/activity',
      tags: ['wallets'],
      summary: 'What happened on the account, newest first: spends, refusals (with their reason), executions, queued actions, key and freeze changes',
      request: { params: accountParams, query: listActivityQuery },
      responses: { 200: json(pageSchema(activityRecordSchema, 'WalletActivityPage'), 'A page of activity'), ...errors },
    }),
    async (c) => {
      const { address } = c.req.valid('param');
      await walletOr404(address);
      return c.json(await wallets().listActivity(address, c.req.valid('query')), 200);
    },
  );

  // One owner transaction at a time from the node's signer.
  const serial = createSerialQueue();

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/wallets/{address}/pending/{pendingId}/${decision}`,
        tags: ['wallets'],
        summary:
          decision === 'approve'
            ? "Approve a queued action with the node's signer, which must own the account: its calls run (or its token signature is accepted)"
            : "Reject a queued action with the node's signer, which must own the account",
        request: { params: pendingParams, body: { required: true, description: 'an empty JSON object, {}', content: { 'application/json': { schema: emptyBody } } } },
        middleware: [jsonBody],
        responses: { 200: json(pendingDecisionSchema, 'Sent and confirmed on chain'), ...decisionErrors },
      }),
      async (c) => {
        const { address: account, pendingId } = c.req.valid('param');
        const signer = ctx.signerWallet;
        if (!signer) throw new ApiError(403, 'SIGNER_NOT_CONFIGURED', `this node has no signer; ${decision} with \`machina wallet ${decision} ${account} ${pendingId}\` signed by the account's owner`);
        let owner: Address;
        try {
          owner = (await ctx.client.readContract({ address: account, abi: agentAccountAbi, functionName: 'owner' })) as Address;
        } catch {
          throw new ApiError(404, 'NOT_FOUND', `${account} is not an agent account`, 'address');
        }
        if (owner.toLowerCase() !== signer.account.address.toLowerCase()) {
          throw new ApiError(
            403,
            'NOT_ACCOUNT_OWNER',
            `the node's signer ${signer.account.address} is not the owner (${owner}) of account ${account}; ${decision} with \`machina wallet ${decision} ${account} ${pendingId}\` signed by the owner`,
            'address',
          );
        }
        const txHash = await serial(async () => {
          try {
            const p = await getPendingAction(ctx.client, { account, pendingId });
            if (p.statusName !== 'queued') throw new ApiError(409, 'PENDING_NOT_QUEUED', `pending action ${pendingId} of ${account} is ${p.statusName}, not queued`, 'pendingId');
            const block = await ctx.client.getBlock({ blockTag: 'latest' });
            if (p.expiresAt < Number(block.timestamp)) throw new ApiError(409, 'PENDING_EXPIRED', `pending action ${pendingId} of ${account} expired at ${new Date(p.expiresAt * 1000).toISOString()}`, 'pendingId');
            const r = decision === 'approve' ? await approvePending(signer, { account, pendingId }) : await rejectPending(signer, { account, pendingId });
            ctx.log(`node: ${decision} pending ${pendingId} of ${account} (tx ${r.txHash})`);
            return r.txHash;
          } catch (err) {
            if (err instanceof ApiError) throw err;
            if (err instanceof NotFoundError) throw new ApiError(404, 'NOT_FOUND', `pending action ${pendingId} of ${account} not found`, 'pendingId');
            if (err instanceof MachinaError && err.code === 'PENDING_NOT_QUEUED') throw new ApiError(409, 'PENDING_NOT_QUEUED', err.message, 'pendingId');
            const e = writeError(err);
            ctx.log(`node: ${decision} pending ${pendingId} of ${account} refused (${e.status} ${e.code}): ${e.message}`);
            throw e;
          }
        });
        return c.json({ account, pendingId: pendingId.toString(), decision: decision === 'approve' ? ('approved' as const) : ('rejected' as const), txHash }, 200);
      },
    );
  }
}
