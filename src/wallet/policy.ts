// Agent-key policies: the readable input a person writes, checked and turned into the on-chain struct, and back.
import { getAddress, isAddress, isHex, numberToHex, pad, toFunctionSelector, zeroAddress, type Address, type Hex } from 'viem';
import { InvalidArgumentError } from '../errors/index.ts';

/** Spending limits of a key for one asset; amounts in the asset's smallest unit. */
export type SpendLimitInput = { asset: Address | 'native'; perTx: bigint; windowCap: bigint; windowSeconds: number; escalateAbove?: bigint };

/** Selectors the policy names: a hex selector, an ERC-20/EIP-3009/EIP-2612 function name, or `value` (plain value transfer). */
export type SelectorName = 'transfer' | 'approve' | 'transferWithAuthorization' | 'receiveWithAuthorization' | 'permit' | 'value';

export type ConditionOpName = 'eq' | 'neq' | 'lte' | 'gte' | 'inRecipients';

export type CallRuleInput = {
  target: Address;
  selector: Hex | SelectorName;
  conditions?: Array<{ param: number; op: ConditionOpName; value: Hex | bigint | Address }>;
};

export type KeyPolicyInput = {
  /** Unix seconds from which the key acts (default: now). */
  validAfter?: number;
  /** Unix seconds until which the key acts; 0 or absent: no expiry. */
  validUntil?: number;
  rateLimit?: { calls: number; windowSeconds: number };
  /** How long an escalated action waits for the owner (default one day). */
  pendingTtlSeconds?: number;
  limits: SpendLimitInput[];
  rules: CallRuleInput[];
  recipients?: Address[];
};

/** The `IAgentAccount.KeyPolicy` struct as viem encodes it. */
export type KeyPolicyStruct = {
  validAfter: number;
  validUntil: number;
  rateLimit: number;
  rateWindow: number;
  pendingTtl: number;
  limits: readonly { asset: Address; perTxCap: bigint; windowCap: bigint; window: number; escalationThreshold: bigint }[];
  rules: readonly { target: Address; selector: Hex; conditions: readonly { paramIndex: number; op: number; value: Hex }[] }[];
  recipients: readonly Address[];
};

export const UINT128_MAX = (1n << 128n) - 1n;
const UINT32_MAX = 2 ** 32 - 1;
const UINT48_MAX = 2 ** 48 - 1;
export const DEFAULT_PENDING_TTL = 86_400;

/** Selectors of the calls the account counts as spends, by name. */
export const SELECTORS: Record<SelectorName, Hex> = {
  transfer: toFunctionSelector('transfer(address,uint256)'),
  approve: toFunctionSelector('approve(address,uint256)'),
  transferWithAuthorization: toFunctionSelector('transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)'),
  receiveWithAuthorization: toFunctionSelector('receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)'),
  permit: toFunctionSelector('permit(address,address,uint256,uint256,uint8,bytes32,bytes32)'),
  value: '0x00000000',
};

/** `IAgentAccount.ConditionOp` names; the index is the enum value. */
export const conditionOps: readonly ConditionOpName[] = ['eq', 'neq', 'lte', 'gte', 'inRecipients'];

function checkUint(value: unknown, max: number, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(field, `must be an integer 0-${max} (got ${String(value)})`);
  }
  return value;
}

function checkAmount(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > UINT128_MAX) throw new InvalidArgumentError(field, `must be an amount 0-2^128-1 in base units (got ${String(value)})`);
  return value;
}

function checkAddress(value: unknown, field: string): Address {
  if (typeof value !== 'string' || !isAddress(value, { strict: false })) throw new InvalidArgumentError(field, `must be a 20-byte hex address (got ${String(value)})`);
  return getAddress(value);
}

function selectorOf(value: unknown, field: string): Hex {
  if (typeof value === 'string' && value in SELECTORS) return SELECTORS[value as SelectorName];
  if (typeof value === 'string' && isHex(value) && value.length === 10) return value.toLowerCase() as Hex;
  throw new InvalidArgumentError(field, `must be a 4-byte hex selector or one of ${Object.keys(SELECTORS).join(', ')} (got ${String(value)})`);
}

function wordOf(value: unknown, field: string): Hex {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 256n) throw new InvalidArgumentError(field, 'must fit in 256 bits');
    return numberToHex(value, { size: 32 });
  }
  if (typeof value === 'string' && isHex(value) && value.length <= 66) return pad(value.toLowerCase() as Hex, { size: 32 });
  throw new InvalidArgumentError(field, `must be a bigint, an address or at most 32 bytes of hex (got ${String(value)})`);
}

/**
 * Checks a policy and turns it into the `KeyPolicy` struct `setKey` takes; throws InvalidArgumentError naming the field.
 * @example
 * const struct = encodeKeyPolicy({ limits: [{ asset: token, perTx: 2_000_000n, windowCap: 5_000_000n, windowSeconds: 86_400 }], rules: [{ target: token, selector: 'transfer' }] })
 */
export function encodeKeyPolicy(p: KeyPolicyInput): KeyPolicyStruct {
  if (!p || typeof p !== 'object') throw new InvalidArgumentError('policy', 'must be an object');
  const validAfter = checkUint(p.validAfter ?? 0, UINT48_MAX, 'validAfter');
  const validUntil = checkUint(p.validUntil ?? 0, UINT48_MAX, 'validUntil');
  if (validUntil !== 0 && validUntil < validAfter) throw new InvalidArgumentError('validUntil', `must not be before validAfter (${validUntil} < ${validAfter})`);
  let rateLimit = 0;
  let rateWindow = 0;
  if (p.rateLimit) {
    rateLimit = checkUint(p.rateLimit.calls, UINT32_MAX, 'rateLimit.calls');
    rateWindow = checkUint(p.rateLimit.windowSeconds, UINT32_MAX, 'rateLimit.windowSeconds');
    if (rateLimit === 0) throw new InvalidArgumentError('rateLimit.calls', 'must be at least 1 (leave rateLimit out for no limit)');
    if (rateWindow === 0) throw new InvalidArgumentError('rateLimit.windowSeconds', 'must be at least 1 second');
  }
  const pendingTtl = checkUint(p.pendingTtlSeconds ?? DEFAULT_PENDING_TTL, UINT32_MAX, 'pendingTtlSeconds');
  if (pendingTtl === 0) throw new InvalidArgumentError('pendingTtlSeconds', 'must be at least 1 second');

  if (!Array.isArray(p.limits)) throw new InvalidArgumentError('limits', 'must be an array');
  const seen = new Set<string>();
  const limits = p.limits.map((l, i) => {
    const f = `limits[${i}]`;
    const asset = l.asset === 'native' ? zeroAddress : checkAddress(l.asset, `${f}.asset`);
    if (seen.has(asset)) throw new InvalidArgumentError(`${f}.asset`, `${l.asset} has a limit already; give one limit per asset`);
    seen.add(asset);
    const perTxCap = checkAmount(l.perTx, `${f}.perTx`);
    const windowCap = checkAmount(l.windowCap, `${f}.windowCap`);
    const window = checkUint(l.windowSeconds, UINT32_MAX, `${f}.windowSeconds`);
    if (window === 0) throw new InvalidArgumentError(`${f}.windowSeconds`, 'must be at least 1 second');
    const escalationThreshold = l.escalateAbove === undefined ? UINT128_MAX : checkAmount(l.escalateAbove, `${f}.escalateAbove`);
    return { asset, perTxCap, windowCap, window, escalationThreshold };
  });

  const recipients = (p.recipients ?? []).map((r, i) => checkAddress(r, `recipients[${i}]`));
  if (new Set(recipients).size !== recipients.length) throw new InvalidArgumentError('recipients', 'lists an address twice');

  if (!Array.isArray(p.rules)) throw new InvalidArgumentError('rules', 'must be an array');
  const rules = p.rules.map((r, i) => {
    const f = `rules[${i}]`;
    const target = checkAddress(r.target, `${f}.target`);
    const selector = selectorOf(r.selector, `${f}.selector`);
    const conditions = (r.conditions ?? []).map((c, j) => {
      const cf = `${f}.conditions[${j}]`;
      const paramIndex = checkUint(c.param, 255, `${cf}.param`);
      const op = conditionOps.indexOf(c.op);
      if (op < 0) throw new InvalidArgumentError(`${cf}.op`, `must be one of ${conditionOps.join(', ')} (got ${String(c.op)})`);
      if (c.op === 'inRecipients' && recipients.length === 0) throw new InvalidArgumentError(`${cf}.op`, 'inRecipients needs a non-empty recipients list');
      const value = c.op === 'inRecipients' ? pad('0x', { size: 32 }) : wordOf(c.value, `${cf}.value`);
      return { paramIndex, op, value };
    });
    if (selector === SELECTORS.value && conditions.length > 0) throw new InvalidArgumentError(`${f}.conditions`, 'a plain value transfer has no arguments to check');
    const ruleKey = `${target}:${selector}`;
    if (seen.has(ruleKey)) throw new InvalidArgumentError(`${f}`, `${target} ${r.selector} has a rule already; put all its conditions in one rule`);
    seen.add(ruleKey);
    return { target, selector, conditions };
  });
  return { validAfter, validUntil, rateLimit, rateWindow, pendingTtl, limits, rules, recipients };
}

/**
 * The readable form of an on-chain `KeyPolicy` (known selectors by name, native asset as `'native'`).
 * @example
 * const [struct] = await client.readContract({ address: account, abi: agentAccountAbi, functionName: 'keyPolicy', args: [key] })
 * const policy = decodeKeyPolicy(struct)
 */
export function decodeKeyPolicy(s: KeyPolicyStruct): KeyPolicyInput {
  const names = Object.entries(SELECTORS) as Array<[SelectorName, Hex]>;
  const out: KeyPolicyInput = {
    validAfter: Number(s.validAfter),
    validUntil: Number(s.validUntil),
    pendingTtlSeconds: Number(s.pendingTtl),
    limits: s.limits.map((l) => ({
      asset: l.asset === zeroAddress ? 'native' : getAddress(l.asset),
      perTx: l.perTxCap,
      windowCap: l.windowCap,
      windowSeconds: Number(l.window),
      ...(l.escalationThreshold === UINT128_MAX ? {} : { escalateAbove: l.escalationThreshold }),
    })),
    rules: s.rules.map((r) => ({
      target: getAddress(r.target),
      selector: names.find(([, sel]) => sel === r.selector.toLowerCase())?.[0] ?? (r.selector.toLowerCase() as Hex),
      conditions: r.conditions.map((c) => {
        const op = conditionOps[Number(c.op)] ?? 'eq';
        return { param: Number(c.paramIndex), op, value: op === 'lte' || op === 'gte' ? BigInt(c.value) : c.value };
      }),
    })),
    recipients: s.recipients.map((r) => getAddress(r)),
  };
  if (Number(s.rateLimit) > 0) out.rateLimit = { calls: Number(s.rateLimit), windowSeconds: Number(s.rateWindow) };
  return out;
}
