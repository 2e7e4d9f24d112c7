// Why the account refused an agent key's action, in words that name the limit and the numbers.
import { erc20Abi, formatUnits, zeroAddress, type Address, type Hex } from 'viem';
import { MachinaError } from '../errors/index.ts';
import { agentAccountAbi } from './abi.ts';
import type { ReadClient } from './client.ts';

/** `IAgentAccount.Refusal` names; the index is the enum value. */
export const refusalReasons = [
  'None',
  'Frozen',
  'UnknownKey',
  'KeyRevoked',
  'KeyNotYetValid',
  'KeyExpired',
  'RateLimited',
  'TargetNotAllowed',
  'SelectorNotAllowed',
  'ConditionFailed',
  'AssetNotAllowed',
  'PerTxCapExceeded',
  'WindowCapExceeded',
  'SpendLogFull',
] as const;

export type RefusalReason = (typeof refusalReasons)[number];

/**
 * The account's policy refused an agent key's action (nothing ran). `reason` is the `Refusal` name.
 * @example
 * try { await executeAsAgent(keyWallet, { account, calls }) } catch (e) { if (e instanceof PolicyRefusedError) console.log(e.reason, e.message) }
 */
export class PolicyRefusedError extends MachinaError {
  override name = 'PolicyRefusedError';
  readonly reason: string;
  readonly asset: Address | undefined;
  readonly amount: bigint | undefined;
  constructor(message: string, p: { reason: string; asset?: Address | undefined; amount?: bigint | undefined; details?: Record<string, unknown> }) {
    super(message, { code: 'POLICY_REFUSED', details: { reason: p.reason, asset: p.asset, amount: p.amount?.toString(), ...p.details } });
    this.reason = p.reason;
    this.asset = p.asset;
    this.amount = p.amount;
  }
}

export type AssetInfo = { symbol: string; decimals: number };

/**
 * Symbol and decimals of an asset (zero address: ETH, 18); falls back to the address and 0 decimals.
 * @example
 * const { symbol, decimals } = await assetInfo(client, token)
 */
export async function assetInfo(client: ReadClient, asset: Address): Promise<AssetInfo> {
  if (asset === zeroAddress) return { symbol: 'ETH', decimals: 18 };
  try {
    const [symbol, decimals] = await Promise.all([
      client.readContract({ address: asset, abi: erc20Abi, functionName: 'symbol' }),
      client.readContract({ address: asset, abi: erc20Abi, functionName: 'decimals' }),
    ]);
    return { symbol, decimals };
  } catch {
    return { symbol: asset, decimals: 0 };
  }
}

/**
 * Token units with at least two decimals.
 * @example
 * formatAmount(5_000_000n, 6) // '5.00'
 */
export function formatAmount(amount: bigint, decimals: number): string {
  const s = formatUnits(amount, decimals);
  const [int, frac = ''] = s.split('.');
  return decimals === 0 ? s : `${int}.${frac.padEnd(2, '0')}`;
}

/**
 * A window length in words.
 * @example
 * formatDuration(43_200) // '12 hours'
 */
export function formatDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

export type RefusalContext = {
  account: Address;
  key: Address;
  reason: number;
  asset?: Address | undefined;
  amount?: bigint | undefined;
  target?: Address | undefined;
  selector?: Hex | undefined;
};

/**
 * Builds the PolicyRefusedError for a refusal, reading the key's policy and window spend to say which
 * limit and the numbers (e.g. `policy refused: window cap for mUSD 5.00 per 1 day already spent 5.00, asked 1.00`).
 * @example
 * throw await refusalError(client, { account, key, reason: 12, asset, amount })
 */
export async function refusalError(client: ReadClient, r: RefusalContext): Promise<PolicyRefusedError> {
  const reason: string = refusalReasons[r.reason] ?? `Refusal(${r.reason})`;
  const base = { reason, asset: r.asset, amount: r.amount, details: { account: r.account, key: r.key } };
  const say = (what: string) => new PolicyRefusedError(`policy refused: ${what}`, base);
  const readPolicy = () => client.readContract({ address: r.account, abi: agentAccountAbi, functionName: 'keyPolicy', args: [r.key] });
  const when = (t: number) => new Date(t * 1000).toISOString();
  switch (reason) {
    case 'Frozen':
      return say(`account ${r.account} is frozen (the owner can unfreeze it)`);
    case 'UnknownKey':
      return say(`${r.key} is not a key of account ${r.account}`);
    case 'KeyRevoked':
      return say(`key ${r.key} was revoked`);
    case 'KeyNotYetValid': {
      const [p] = await readPolicy();
      return say(`key ${r.key} acts only from ${when(Number(p.validAfter))}`);
    }
    case 'KeyExpired': {
      const [p] = await readPolicy();
      return say(`key ${r.key} expired at ${when(Number(p.validUntil))}`);
    }
    case 'RateLimited': {
      const [p] = await readPolicy();
      return say(`rate limit of ${p.rateLimit} call(s) per ${formatDuration(Number(p.rateWindow))} reached`);
    }
    case 'TargetNotAllowed':
      return say(`calls to ${r.target ?? 'that target'} are not allowed for this key`);
    case 'SelectorNotAllowed':
      return say(`function ${r.selector ?? '?'} on ${r.target ?? 'that target'} is not allowed for this key`);
    case 'ConditionFailed':
      return say(`an argument of the call to ${r.target ?? 'that target'} breaks a condition of the policy (e.g. a recipient not on the allowlist)`);
    case 'SpendLogFull': {
      const info = await assetInfo(client, r.asset ?? zeroAddress);
      return say(`the spend log for ${info.symbol} is full for the current window; wait for older spends to leave it`);
    }
    case 'AssetNotAllowed': {
      const info = await assetInfo(client, r.asset ?? zeroAddress);
      return say(`the key has no spending limit for ${info.symbol}${info.symbol === r.asset ? '' : ` (${r.asset ?? zeroAddress})`}, so it may not move it`);
    }
    case 'PerTxCapExceeded':
    case 'WindowCapExceeded': {
      const asset = r.asset ?? zeroAddress;
      const [[p], info, spent] = await Promise.all([
        readPolicy(),
        assetInfo(client, asset),
        client.readContract({ address: r.account, abi: agentAccountAbi, functionName: 'spentInWindow', args: [r.key, asset] }),
      ]);
      const limit = p.limits.find((l) => l.asset.toLowerCase() === asset.toLowerCase());
      const fmt = (v: bigint) => formatAmount(v, info.decimals);
      const asked = r.amount === undefined ? '' : `, asked ${fmt(r.amount)}`;
      if (!limit) return say(`${reason} for ${info.symbol}${asked}`);
      if (reason === 'PerTxCapExceeded') return say(`per-transaction cap for ${info.symbol} ${fmt(limit.perTxCap)}${asked}`);
      return say(`window cap for ${info.symbol} ${fmt(limit.windowCap)} per ${formatDuration(Number(limit.window))} already spent ${fmt(spent)}${asked}`);
    }
    default:
      return say(reason);
  }
}
