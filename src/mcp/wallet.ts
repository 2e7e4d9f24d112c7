// The MCP tools of agent wallets: balances, key policies with what was spent per window, actions
// queued for the owner, and (when a paying fetch is given) paying for an x402-priced URL. Results
// carry addresses, amounts and receipts, never a key: everything passes through toolResult/redact.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { erc20Abi, formatEther, formatUnits, getAddress, type Address } from 'viem';
import { z } from 'zod';
import type { MachinaPublicClient } from '../chain/clients.ts';
import { MachinaError, NotFoundError } from '../errors/index.ts';
import type { PendingRecord, WalletQueries, WalletRecord } from '../node/wallet/types.ts';
import type { PayingFetch } from '../pay/index.ts';
import { guard, toolResult } from './results.ts';


export type WalletToolDeps = {
  /** Agent wallets from the index (in process, or over the node's HTTP API). */
  wallets: WalletQueries;
  /** For balances; without it wallet_balance answers CHAIN_UNAVAILABLE. */
  client?: MachinaPublicClient | undefined;
  /** The settlement token (mUSD) whose balance wallet_balance reports next to the native one. */
  token?: Address | undefined;
  /** Builds the paying fetch for `pay` (optionally through an agent account); without it `pay` is not offered. */
  payingFetch?: ((o: { account?: Address | undefined; maxAmount?: bigint | undefined }) => PayingFetch) | undefined;
};

/** Names of the wallet tools, in the order tools/list shows them (`pay` only with a paying fetch). */
export const WALLET_TOOL_NAMES = ['wallet_balance', 'wallet_policy', 'pending_approvals', 'pay'] as const;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const address = (what: string) => z.string().regex(ADDRESS, 'must be a 20-byte hex address, 0x + 40 hex digits').describe(what);
const TOKEN_DECIMALS = 6;

const balanceOutput = z.looseObject({ address: z.string(), native: z.string(), nativeFormatted: z.string(), token: z.looseObject({ address: z.string(), balance: z.string(), formatted: z.string() }).nullable(), agentAccount: z.looseObject({ agentId: z.string(), owner: z.string(), frozen: z.boolean() }).nullable() });
const policyOutput = z.looseObject({ account: z.string(), agentId: z.string(), owner: z.string(), frozen: z.boolean(), keys: z.array(z.looseObject({ key: z.string(), status: z.string() })) });
const pendingOutput = z.looseObject({ account: z.string(), items: z.array(z.looseObject({ pendingId: z.string(), status: z.string() })), total: z.number() });
const payOutput = z.looseObject({ url: z.string(), status: z.number(), contentType: z.string().nullable(), body: z.string(), receipt: z.unknown().nullable() });

/**
 * Registers the wallet tools on `server`.
 * @example
 * registerWalletTools(server, { wallets: createWalletQueries({ db, client }), client, token })
 */
export function registerWalletTools(server: McpServer, deps: WalletToolDeps): void {
  const read = { readOnlyHint: true, openWorldHint: false } as const;
  const needWallet = async (account: string): Promise<WalletRecord> => {
    const w = await deps.wallets.getWallet(getAddress(account));
    if (!w) throw new NotFoundError(`agent account ${account}`, 'account');
    return w;
  };

  server.registerTool(
    'wallet_balance',
    {
      title: 'Wallet balance',
      description: 'Balances of an address or agent account: the native token and the settlement token (mUSD, 6 decimals). Says whether the address is an agent account, and of which agent.',
      inputSchema: z.object({ address: address('the account or address to read') }),
      outputSchema: balanceOutput,
      annotations: { title: 'Wallet balance', ...read },
    },
    guard(async ({ address: raw }) => {
      const client = deps.client;
      if (!client) throw new MachinaError('this MCP server cannot read the chain for balances', { code: 'CHAIN_UNAVAILABLE' });
      const a = getAddress(raw);
      const [native, tokenBalance, account] = await Promise.all([
        client.getBalance({ address: a }),
        deps.token ? client.readContract({ address: deps.token, abi: erc20Abi, functionName: 'balanceOf', args: [a] }) : Promise.resolve(undefined),
        deps.wallets.getWallet(a).catch(() => undefined),
      ]);
      const token = deps.token && tokenBalance !== undefined ? { address: deps.token, balance: tokenBalance.toString(), formatted: formatUnits(tokenBalance, TOKEN_DECIMALS) } : null;
      const agentAccount = account ? { agentId: account.agentId, owner: account.owner, frozen: account.frozen } : null;
      const summary = `${a}${agentAccount ? ` (agent account of agent ${agentAccount.agentId}${agentAccount.frozen ? ', FROZEN' : ''})` : ''}: ${formatEther(native)} native${token ? `, ${token.formatted} mUSD` : ''}`;
      return toolResult(summary, { address: a, native: native.toString(), nativeFormatted: formatEther(native), token, agentAccount });
    }),
  );

  server.registerTool(
    'wallet_policy',
    {
      title: "An agent account's key policies",
      description:
        "The agent keys of an agent account and what each may do: per-transaction and rolling-window caps per asset with what was spent in the current window, escalation thresholds, allowed targets and selectors, validity, rate limit; and whether the account is frozen. Amounts are in the asset's base units (mUSD has 6 decimals).",
      inputSchema: z.object({ account: address('the agent account'), key: address('only this agent key').optional() }),
      outputSchema: policyOutput,
      annotations: { title: "An agent account's key policies", ...read },
    },
    guard(async ({ account, key }) => {
      const w = await needWallet(account);
      const keys = key ? w.keys.filter((k) => k.key.toLowerCase() === key.toLowerCase()) : w.keys;
      if (key && keys.length === 0) throw new NotFoundError(`agent key ${key} on account ${w.address}`, 'key');
      const lines = [`account ${w.address} of agent ${w.agentId}, owner ${w.owner}${w.frozen ? ' - FROZEN: every agent key is stopped' : ''}`];
      for (const k of keys) {
        lines.push(`  key ${k.key}: ${k.status}${k.validUntil ? `, valid until ${new Date(k.validUntil * 1000).toISOString()}` : ''}`);
        for (const s of k.spend) {
          lines.push(`    ${s.asset}: spent ${s.spent} of ${s.windowCap} per ${s.windowSeconds} s, at most ${s.perTx} per action${s.escalateAbove ? `, owner approval above ${s.escalateAbove}` : ''}`);
        }
        for (const r of k.policy?.rules ?? []) lines.push(`    may call ${r.selectorName ?? r.selector} on ${r.target}${r.conditions.length ? ` (${r.conditions.length} condition(s))` : ''}`);
      }
      return toolResult(lines.join('\n'), { account: w.address, agentId: w.agentId, owner: w.owner, guardian: w.guardian, frozen: w.frozen, keys, readAt: w.readAt });
    }),
  );

  server.registerTool(
    'pending_approvals',
    {
      title: 'Actions waiting for the owner',
      description:
        "Agent actions of an account that exceeded an escalation threshold and wait for the owner's approval (status queued), or, with status, those approved, rejected or expired. The owner approves with `machina wallet approve` or in the node's dashboard.",
      inputSchema: z.object({
        account: address('the agent account'),
        status: z.enum(['queued', 'approved', 'rejected', 'expired'], 'must be one of queued, approved, rejected, expired').optional().describe('default: queued'),
      }),
      outputSchema: pendingOutput,
      annotations: { title: 'Actions waiting for the owner', ...read },
    },
    guard(async ({ account, status }) => {
      const a = getAddress(account);
      await needWallet(a);
      const page = await deps.wallets.listPending(a, { offset: 0, limit: 100, status: status ?? 'queued' });
      const describe = (p: PendingRecord) => `  #${p.pendingId} ${p.kind} by key ${p.key}: ${p.status}${p.status === 'queued' ? `, expires ${new Date(p.expiresAt * 1000).toISOString()}` : ''}`;
      const head = page.total === 0 ? `no ${status ?? 'queued'} actions on ${a}` : `${page.total} ${status ?? 'queued'} action(s) on ${a}:`;
      return toolResult([head, ...page.items.map(describe)].join('\n'), { account: a, ...page });
    }),
  );

  const payingFetch = deps.payingFetch;
  if (payingFetch) {
    server.registerTool(
      'pay',
      {
        title: 'Fetch a paid URL',
        description:
          "Fetches a URL priced with x402 (HTTP 402), paying the price automatically with this server's key, or through an agent account (`account`) inside its on-chain policy; refuses with the reason when the policy would refuse. Returns the response and the payment receipt.",
        inputSchema: z.object({
          url: z.string().url('must be an http(s) URL').max(2048, 'at most 2048 characters').describe('the resource to fetch'),
          method: z.enum(['GET', 'POST'], 'must be GET or POST').optional().describe('default GET'),
          body: z.string().max(65_536, 'at most 65536 characters').optional().describe('request body (POST), sent as application/json'),
          account: address('pay through this agent account (the local key is one of its agent keys)').optional(),
          maxAmount: z.string().regex(/^\d{1,30}$/, 'must be an amount in base units, e.g. "1000000" = 1 mUSD').optional().describe('most to pay, in base units'),
        }),
        outputSchema: payOutput,
        annotations: { title: 'Fetch a paid URL', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      },
      guard(async ({ url, method, body, account, maxAmount }) => {
        const f = payingFetch({ account: account ? getAddress(account) : undefined, maxAmount: maxAmount === undefined ? undefined : BigInt(maxAmount) });
        const res = await f(url, { method: method ?? 'GET', ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
        const text = (await res.text()).slice(0, 65_536);
        const receipt = (f.lastReceipt() ?? null) as Record<string, unknown> | null;
        const paid = receipt ? `paid ${String(receipt.amount)} to ${String(receipt.payTo)} (${String(receipt.status)})` : 'no payment';
        return toolResult(`${method ?? 'GET'} ${url}: HTTP ${res.status}; ${paid}`, { url, status: res.status, contentType: res.headers.get('content-type'), body: text, receipt });
      }),
    );
  }
}
