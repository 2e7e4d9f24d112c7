// `machina wallet create|show|policy|key|freeze|unfreeze|approve|reject`: agent accounts whose keys act only
// inside the policy their owner sets, e.g. `wallet policy set ACCOUNT --key K --cap 5/1d --escalate-above 2 --to ADDR`.
import type { Command } from 'commander';
import { formatEther, getAddress, isAddress, toFunctionSelector, zeroAddress, type Address, type Hex } from 'viem';
import { getAgent } from '../../identity/actions/agents.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import {
  approvePending,
  assetInfo,
  bindAgentWallet,
  createAgentAccount,
  formatAmount,
  formatDuration,
  freezeAccount,
  getPendingAction,
  readAgentAccount,
  rejectPending,
  revokeAgentKey,
  setAgentKey,
  unfreezeAccount,
  type CallRuleInput,
  type KeyPolicyInput,
  type PendingAction,
} from '../../wallet/index.ts';
import { listAgentKeys, readAgentKey, type AgentKeyInfo } from '../../wallet/keys.ts';
import { parseAmount, parseCap, parseDuration, parseRate } from '../../wallet/parse.ts';
import { collect, parseAddress, parseAgentId, parseBytes32 } from '../args.ts';
import { openContext, type CommandContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';

const ACCOUNT_HELP = 'the agent account: its address, or an agent id whose agentWallet it is';

/** ACCOUNT as an address, or an agent id whose ERC-8004 agentWallet is the account. */
async function resolveAccount(ctx: CommandContext, raw: string): Promise<Address> {
  if (/^\d+$/.test(raw)) {
    const agent = await getAgent(ctx.client, { identityRegistry: ctx.address('IdentityRegistry'), agentId: BigInt(raw) });
    if (agent.agentWallet === zeroAddress) throw new InvalidArgumentError('ACCOUNT', `agent ${raw} has no agentWallet (create one with \`machina wallet create --agent ${raw}\`)`);
    return agent.agentWallet;
  }
  return parseAddress(raw, 'ACCOUNT');
}

/** `--token`: native/ETH, an address, or the symbol of the deployment's SettlementToken (default). */
async function resolveAsset(ctx: CommandContext, raw: string | undefined, field = '--token'): Promise<{ asset: Address | 'native'; symbol: string; decimals: number }> {
  if (raw !== undefined && /^(native|eth)$/i.test(raw)) return { asset: 'native', symbol: 'ETH', decimals: 18 };
  let address: Address;
  if (raw !== undefined && isAddress(raw, { strict: false })) address = getAddress(raw);
  else {
    if (!ctx.deployment.contracts.SettlementToken) throw new InvalidArgumentError(field, 'give a token address or native (this deployment has no SettlementToken)');
    address = ctx.address('SettlementToken');
  }
  const info = await assetInfo(ctx.client, address);
  if (info.symbol === address) throw new InvalidArgumentError(field, `${address} is not an ERC-20 token on this chain`);
  if (raw !== undefined && !isAddress(raw, { strict: false }) && raw.toLowerCase() !== info.symbol.toLowerCase()) {
    throw new InvalidArgumentError(field, `must be native, a token address or ${info.symbol} (got "${raw}")`);
  }
  return { asset: address, ...info };
}

/** `--expires 30d` (from now) or an ISO date, as unix seconds. */
function parseTime(raw: string, field: string, now: number): number {
  if (/^\d+\s*[smhdw]$/i.test(raw.trim())) return now + parseDuration(raw, field);
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new InvalidArgumentError(field, `must be a duration from now (e.g. 30d) or a date (e.g. 2027-01-31T00:00:00Z) (got "${raw}")`);
  return Math.floor(t / 1000);
}

/** `--allow TARGET[:FUNCTION]`: FUNCTION is a signature like swap(uint256,address) or a 4-byte selector; none: plain value. */
function parseAllow(raw: string): CallRuleInput {
  const i = raw.indexOf(':');
  const target = parseAddress(i < 0 ? raw : raw.slice(0, i), '--allow');
  const fn = i < 0 ? '' : raw.slice(i + 1).trim();
  if (fn === '') return { target, selector: 'value' };
  if (/^0x[0-9a-fA-F]{8}$/.test(fn)) return { target, selector: fn as Hex };
  try {
    return { target, selector: toFunctionSelector(fn.startsWith('function ') ? fn : `function ${fn}`) };
  } catch {
    throw new InvalidArgumentError('--allow', `must be TARGET or TARGET:FUNCTION, e.g. 0xabc…:swap(uint256,address) or 0xabc…:0x12345678 (got "${raw}")`);
  }
}

type PolicyOptions = GlobalOptions & {
  key?: string;
  token?: string;
  cap?: string;
  perTx?: string;
  escalateAbove?: string;
  to?: string[];
  functions?: string;
  allow?: string[];
  validFrom?: string;
  expires?: string;
  rate?: string;
  pendingTtl?: string;
  limit?: string[];
};

const TOKEN_FUNCTIONS = ['transfer', 'transferWithAuthorization', 'receiveWithAuthorization', 'approve', 'permit'] as const;
/** Which argument of each function is the recipient (for --to). */
const RECIPIENT_PARAM: Record<(typeof TOKEN_FUNCTIONS)[number], number> = { transfer: 0, approve: 0, transferWithAuthorization: 1, receiveWithAuthorization: 1, permit: 1 };

function addPolicySetCommand(parent: Command, name: string, description: string) {
  addSignerOptions(
    parent
      .command(name)
      .description(description)
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .requiredOption('--key <address>', 'the agent key (session key) this policy is for')
      .requiredOption('--cap <amount/window>', 'most the key may move in any rolling window, in token units, e.g. 5/1d or 0.5/12h')
      .option('--token <token>', 'asset the limits apply to: the SettlementToken symbol (default), a token address, or native')
      .option('--per-tx <amount>', 'most one action may move (default: the window cap)')
      .option('--escalate-above <amount>', 'actions moving more than this wait for the owner to approve them')
      .option('--limit <token=amount/window>', 'a cap for one more asset, e.g. native=0.1/1d (repeatable; same recipients and functions)', collect)
      .option('--to <address>', 'only to this recipient (repeatable); without --to any recipient', collect)
      .option('--functions <names>', `token functions the key may call, comma-separated from ${TOKEN_FUNCTIONS.join(', ')}`, 'transfer,transferWithAuthorization')
      .option('--allow <target[:function]>', 'also allow calling this contract function, e.g. 0xabc…:swap(uint256,address) (repeatable)', collect)
      .option('--valid-from <when>', 'the key acts from this date, or after this long (e.g. 1h)')
      .option('--expires <when>', 'the key stops acting after this long (e.g. 30d) or at this date')
      .option('--rate <calls/window>', 'at most this many actions per rolling window, e.g. 10/1h')
      .option('--pending-ttl <duration>', 'how long an escalated action waits for the owner', '1d')
      .action(async (rawAccount: string, opts: PolicyOptions) => {
        const key = parseAddress(opts.key ?? '', '--key');
        const functions = (opts.functions ?? '').split(',').map((f) => f.trim()).filter(Boolean);
        for (const f of functions) {
          if (!(TOKEN_FUNCTIONS as readonly string[]).includes(f)) throw new InvalidArgumentError('--functions', `unknown function "${f}" (choose from ${TOKEN_FUNCTIONS.join(', ')})`);
        }
        const recipients = (opts.to ?? []).map((t) => parseAddress(t, '--to'));
        const extra = (opts.allow ?? []).map(parseAllow);
        const rateLimit = opts.rate === undefined ? undefined : parseRate(opts.rate, '--rate');
        const pendingTtlSeconds = parseDuration(opts.pendingTtl ?? '1d', '--pending-ttl');
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const token = await resolveAsset(ctx, opts.token);
        const cap = parseCap(opts.cap ?? '', token.decimals, '--cap');
        const perTx = opts.perTx === undefined ? cap.amount : parseAmount(opts.perTx, token.decimals, '--per-tx');
        const escalateAbove = opts.escalateAbove === undefined ? undefined : parseAmount(opts.escalateAbove, token.decimals, '--escalate-above');
        const now = Number((await ctx.client.getBlock({ blockTag: 'latest' })).timestamp);
        const validAfter = opts.validFrom === undefined ? 0 : parseTime(opts.validFrom, '--valid-from', now);
        const validUntil = opts.expires === undefined ? 0 : parseTime(opts.expires, '--expires', now);
        if (validUntil !== 0 && validUntil <= now) throw new InvalidArgumentError('--expires', 'is in the past');

        const rulesFor = (asset: Address | 'native', field: string): CallRuleInput[] => {
          if (asset === 'native') {
            if (recipients.length === 0 && extra.length === 0) throw new InvalidArgumentError(field === '--token' ? '--to' : field, 'native payments need the recipients (--to) or contracts (--allow) the key may pay');
            return recipients.map((target) => ({ target, selector: 'value' }));
          }
          return functions.map((f) => ({
            target: asset,
            selector: f as CallRuleInput['selector'],
            ...(recipients.length > 0 ? { conditions: [{ param: RECIPIENT_PARAM[f as (typeof TOKEN_FUNCTIONS)[number]], op: 'inRecipients' as const, value: '0x' as Hex }] } : {}),
          }));
        };
        const limits: KeyPolicyInput['limits'] = [{ asset: token.asset, perTx, windowCap: cap.amount, windowSeconds: cap.seconds, ...(escalateAbove === undefined ? {} : { escalateAbove }) }];
        const rules = rulesFor(token.asset, '--token');
        const assets: Assets = { [String(token.asset)]: token };
        for (const raw of opts.limit ?? []) {
          const eq = raw.indexOf('=');
          if (eq < 0) throw new InvalidArgumentError('--limit', `must be TOKEN=AMOUNT/WINDOW, e.g. native=0.1/1d (got "${raw}")`);
          const more = await resolveAsset(ctx, raw.slice(0, eq), '--limit');
          if (assets[String(more.asset)]) throw new InvalidArgumentError('--limit', `${more.symbol} has a limit already`);
          assets[String(more.asset)] = more;
          const c = parseCap(raw.slice(eq + 1), more.decimals, '--limit');
          limits.push({ asset: more.asset, perTx: c.amount, windowCap: c.amount, windowSeconds: c.seconds });
          rules.push(...rulesFor(more.asset, '--limit'));
        }
        const policy: KeyPolicyInput = {
          validAfter,
          validUntil,
          pendingTtlSeconds,
          ...(rateLimit ? { rateLimit } : {}),
          limits,
          rules: [...rules, ...extra],
          recipients,
        };
        const { txHash } = await setAgentKey(ctx.wallet(), { account, key, policy });
        const info = await readAgentKey(ctx.client, { account, key });
        emit({ json: !!opts.json }, { account, ...info, tx: txHash }, () => [`set the policy of key ${key} on ${account}`, ...policyLines(info, assets), `tx ${txHash}`]);
      }),
  );
}

type Assets = Record<string, { symbol: string; decimals: number }>;

async function assetsOf(ctx: CommandContext, infos: AgentKeyInfo[]): Promise<Assets> {
  const out: Assets = { native: { symbol: 'ETH', decimals: 18 } };
  for (const i of infos) for (const l of i.policy.limits) if (!out[l.asset]) out[l.asset] = await assetInfo(ctx.client, l.asset as Address);
  return out;
}

function policyLines(info: AgentKeyInfo, assets: Assets): string[] {
  const p = info.policy;
  const lines: string[] = [];
  const when = (t: number | undefined) => (t ? new Date(t * 1000).toISOString() : undefined);
  const rows: Array<[string, unknown]> = [
    ['key', `${info.key}${info.revoked ? ' (revoked)' : info.known ? '' : ' (not a key of this account)'}`],
    ['valid', `${when(p.validAfter) ?? 'now'} until ${when(p.validUntil) ?? 'revoked'}`],
    ['rate limit', p.rateLimit ? `${p.rateLimit.calls} per ${formatDuration(p.rateLimit.windowSeconds)}` : 'none'],
    ['pending ttl', p.pendingTtlSeconds ? formatDuration(p.pendingTtlSeconds) : undefined],
  ];
  for (const l of p.limits) {
    const a = assets[l.asset] ?? { symbol: String(l.asset), decimals: 0 };
    const f = (v: bigint) => formatAmount(v, a.decimals);
    const spent = info.spent.find((s) => s.asset === l.asset)?.spent ?? 0n;
    rows.push([
      `limit ${a.symbol}`,
      `${f(l.windowCap)} per ${formatDuration(l.windowSeconds)} (spent ${f(spent)}), at most ${f(l.perTx)} per transaction${l.escalateAbove === undefined ? '' : `, owner approves above ${f(l.escalateAbove)}`}`,
    ]);
  }
  for (const r of p.rules) {
    const conds = (r.conditions ?? []).map((c) => (c.op === 'inRecipients' ? `arg ${c.param} in recipients` : `arg ${c.param} ${c.op} ${String(c.value)}`));
    rows.push(['may call', `${assets[r.target] ? `${assets[r.target]!.symbol} (${r.target})` : r.target} ${r.selector}${conds.length ? ` if ${conds.join(' and ')}` : ''}`]);
  }
  rows.push(['recipients', p.recipients && p.recipients.length > 0 ? p.recipients.join(', ') : 'any']);
  lines.push(...table(rows));
  return lines;
}

function pendingLine(p: PendingAction): string {
  return `  #${p.pendingId}  ${p.statusName.padEnd(8)}  key ${p.key}  ${p.kind === 0 ? 'calls' : 'signature'}  expires ${p.expiresAt >= 2 ** 48 - 1 ? 'never' : new Date(p.expiresAt * 1000).toISOString()}`;
}

function addOwnerAction(wallet: Command, name: string, description: string, run: (ctx: CommandContext, account: Address) => Promise<{ txHash: Hex }>, done: string) {
  addSignerOptions(
    wallet
      .command(name)
      .description(description)
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .action(async (rawAccount: string, opts: GlobalOptions) => {
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const { txHash } = await run(ctx, account);
        emit({ json: !!opts.json }, { account, tx: txHash }, () => [`${done} ${account}`, `tx ${txHash}`]);
      }),
  );
}

function addPendingAction(wallet: Command, name: 'approve' | 'reject') {
  addSignerOptions(
    wallet
      .command(name)
      .description(name === 'approve' ? 'approve a queued (escalated) agent action: it runs now' : 'reject a queued (escalated) agent action')
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .argument('<PENDING_ID>', 'the queued action, as `wallet show` lists it')
      .action(async (rawAccount: string, rawId: string, opts: GlobalOptions) => {
        const pendingId = parseAgentId(rawId.replace(/^#/, ''), 'PENDING_ID');
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const wallet = ctx.wallet();
        const { txHash } = name === 'approve' ? await approvePending(wallet, { account, pendingId }) : await rejectPending(wallet, { account, pendingId });
        const after = await getPendingAction(ctx.client, { account, pendingId });
        emit({ json: !!opts.json }, { account, pendingId, status: after.statusName, tx: txHash }, () => [`${name === 'approve' ? 'approved' : 'rejected'} pending action #${pendingId} of ${account}`, `tx ${txHash}`]);
      }),
  );
}

export function addWalletCommands(program: Command) {
  const wallet = program.command('wallet').description('agent accounts: keys that act only inside the policy their owner sets');

  addSignerOptions(
    wallet
      .command('create')
      .description("create the agent's account at its deterministic address and bind it as the agent's agentWallet (ERC-8004)")
      .requiredOption('--agent <id>', 'the ERC-8004 agent id (the signer must own the agent)')
      .option('--guardian <address>', 'may freeze the account (besides the owner)')
      .option('--salt <bytes32>', 'CREATE2 salt, for more than one account per agent (default 0)')
      .option('--no-bind', 'do not set the account as the agent\'s agentWallet')
      .action(async (opts: GlobalOptions & { agent?: string; guardian?: string; salt?: string; bind: boolean }) => {
        const agentId = parseAgentId(opts.agent ?? '', '--agent');
        const guardian = opts.guardian === undefined ? undefined : parseAddress(opts.guardian, '--guardian');
        const salt = opts.salt === undefined ? undefined : parseBytes32(opts.salt, '--salt');
        const ctx = await openContext(opts);
        const identityRegistry = ctx.address('IdentityRegistry');
        const signer = ctx.wallet();
        const agent = await getAgent(ctx.client, { identityRegistry, agentId });
        if (opts.bind && agent.owner !== signer.account.address) {
          throw new MachinaError(`agent ${agentId} is owned by ${agent.owner}, not by the signer ${signer.account.address} (sign as the owner, or pass --no-bind)`, { code: 'NOT_AGENT_OWNER', field: '--agent' });
        }
        const r = await createAgentAccount(signer, { factory: ctx.address('AgentAccountFactory'), agentId, guardian, salt });
        let bindTx: Hex | undefined;
        if (opts.bind && agent.agentWallet !== r.account) bindTx = (await bindAgentWallet(signer, { identityRegistry, account: r.account, agentId })).txHash;
        const state = await readAgentAccount(ctx.client, { account: r.account });
        const bound = opts.bind;
        emit({ json: !!opts.json }, { ...state, created: r.created, tx: r.txHash ?? null, bound, bindTx: bindTx ?? null }, () => [
          `${r.created ? 'created' : 'found'} the account of agent ${agentId} at ${r.account}`,
          ...table([
            ['owner', state.owner],
            ['guardian', state.guardian === zeroAddress ? 'none' : state.guardian],
            ['agentWallet', bound ? 'bound (ERC-8004)' : 'not bound'],
            ['tx', r.txHash],
            ['bind tx', bindTx],
          ]),
          `give it an agent key with: machina wallet policy set ${r.account} --key 0x… --cap 5/1d --escalate-above 2 --to 0x…`,
        ]);
      }),
  );

  addChainOptions(
    wallet
      .command('show')
      .description('show an account: owner, guardian, balances, frozen, keys with their policies and spend, queued actions')
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .action(async (rawAccount: string, opts: GlobalOptions) => {
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const state = await readAgentAccount(ctx.client, { account });
        const keys = await listAgentKeys(ctx.client, { account });
        const assets = await assetsOf(ctx, keys);
        const balances: Array<{ asset: Address | 'native'; symbol: string; balance: bigint; decimals: number }> = [
          { asset: 'native', symbol: 'ETH', balance: await ctx.client.getBalance({ address: account }), decimals: 18 },
        ];
        if (ctx.deployment.contracts.SettlementToken) {
          const token = ctx.address('SettlementToken');
          const info = assets[token] ?? (await assetInfo(ctx.client, token));
          const balance = await ctx.client.readContract({ address: token, abi: [{ type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ name: 'a', type: 'address' }], outputs: [{ name: '', type: 'uint256' }] }] as const, functionName: 'balanceOf', args: [account] });
          balances.push({ asset: token, symbol: info.symbol, balance, decimals: info.decimals });
        }
        const first = Math.max(1, state.pendingCount - 19);
        const pending: PendingAction[] = [];
        for (let id = first; id <= state.pendingCount; id++) pending.push(await getPendingAction(ctx.client, { account, pendingId: BigInt(id) }));
        emit({ json: !!opts.json }, { ...state, balances, keys, pending }, () => [
          `account ${account} of agent ${state.agentId}${state.frozen ? ' (FROZEN)' : ''}`,
          ...table([
            ['owner', state.owner],
            ['guardian', state.guardian === zeroAddress ? 'none' : state.guardian],
            ['frozen', state.frozen ? 'yes' : 'no'],
            ...balances.map((b): [string, unknown] => [`balance ${b.symbol}`, b.asset === 'native' ? formatEther(b.balance) : formatAmount(b.balance, b.decimals)]),
            ['keys', keys.length],
            ['pending', `${pending.filter((p) => p.status === 1).length} queued of ${state.pendingCount}`],
          ]),
          ...keys.flatMap((k) => ['', ...policyLines(k, assets)]),
          ...(pending.length > 0 ? ['', 'pending actions:', ...pending.map(pendingLine)] : []),
        ]);
      }),
  );

  const policy = wallet.command('policy').description("an agent key's policy: show it, or set it in one command");
  addChainOptions(
    policy
      .command('show')
      .description("show a key's policy and what it spent in its current windows")
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .requiredOption('--key <address>', 'the agent key')
      .action(async (rawAccount: string, opts: GlobalOptions & { key?: string }) => {
        const key = parseAddress(opts.key ?? '', '--key');
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const info = await readAgentKey(ctx.client, { account, key });
        const assets = await assetsOf(ctx, [info]);
        emit({ json: !!opts.json }, { account, ...info }, () => [`policy of key ${key} on ${account}`, ...policyLines(info, assets)]);
      }),
  );
  addPolicySetCommand(policy, 'set', 'add an agent key or replace its whole policy (owner only), e.g. --cap 5/1d --escalate-above 2 --to 0x…');

  const key = wallet.command('key').description('agent keys (session keys) of an account');
  addPolicySetCommand(key, 'add', 'add an agent key with its policy (same as `wallet policy set`)');
  addSignerOptions(
    key
      .command('revoke')
      .description('revoke an agent key for good (owner only); its pending signatures stop validating')
      .argument('<ACCOUNT>', ACCOUNT_HELP)
      .requiredOption('--key <address>', 'the agent key')
      .action(async (rawAccount: string, opts: GlobalOptions & { key?: string }) => {
        const k = parseAddress(opts.key ?? '', '--key');
        const ctx = await openContext(opts);
        const account = await resolveAccount(ctx, rawAccount);
        const { txHash } = await revokeAgentKey(ctx.wallet(), { account, key: k });
        emit({ json: !!opts.json }, { account, key: k, tx: txHash }, () => [`revoked key ${k} of ${account}`, `tx ${txHash}`]);
      }),
  );

  addOwnerAction(wallet, 'freeze', 'stop every agent key of the account at once (owner or guardian)', (ctx, account) => freezeAccount(ctx.wallet(), { account }), 'froze');
  addOwnerAction(wallet, 'unfreeze', 'let the agent keys act again (owner only)', (ctx, account) => unfreezeAccount(ctx.wallet(), { account }), 'unfroze');
  addPendingAction(wallet, 'approve');
  addPendingAction(wallet, 'reject');
}
