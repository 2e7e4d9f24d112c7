// Pieces of the wallet pages: amounts in their asset's units, spend-per-window bars against the
// caps, a key's policy as sentences, and the activity kinds as badges.
import type { ReactNode } from 'react';
import type { ActivityRecord, WalletRecord } from '../api.ts';
import { Address, Badge } from './common.tsx';
import './WalletParts.css';

type Key = WalletRecord['keys'][number];
type Spend = Key['spend'][number];

/** How an asset's amounts read: native (18 decimals), the settlement token (6), else raw units. */
export type AssetNames = { token?: string | undefined };

export function assetLabel(asset: string | null, names: AssetNames): { symbol: string; decimals: number } {
  if (asset === 'native') return { symbol: 'ETH', decimals: 18 };
  if (asset && names.token && asset.toLowerCase() === names.token.toLowerCase()) return { symbol: 'mUSD', decimals: 6 };
  return { symbol: 'units', decimals: 0 };
}

/** A base-unit decimal string in whole units, trailing zeros dropped ("1500000", 6 → "1.5"). */
export function units(amount: string, decimals: number): string {
  if (decimals === 0 || !/^\d+$/.test(amount)) return amount;
  const digits = amount.padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const frac = digits.slice(-decimals).replace(/0+$/, '');
  return `${BigInt(whole).toLocaleString('en-US')}${frac ? `.${frac}` : ''}`;
}

export function Amount({ amount, asset, names }: { amount: string | null; asset: string | null; names: AssetNames }) {
  if (amount === null) return <span className="muted">—</span>;
  const { symbol, decimals } = assetLabel(asset, names);
  return (
    <span className="amount" title={`${amount} base units`}>
      {units(amount, decimals)} {symbol === 'units' && asset ? <Address value={asset} /> : symbol}
    </span>
  );
}

export function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return seconds === 3_600 ? 'hour' : `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return seconds === 60 ? 'minute' : `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A length of time on its own ("1 day", "90 s"). */
export function span(seconds: number): string {
  const d = duration(seconds);
  return /^(day|hour|minute)$/.test(d) ? `1 ${d}` : d;
}

/** What a key spent of an asset in its rolling window, as a bar against the window cap. */
export function SpendBar({ s, names }: { s: Spend; names: AssetNames }) {
  const cap = BigInt(s.windowCap);
  const spent = BigInt(s.spent);
  const ratio = cap === 0n ? 1 : Number((spent * 10_000n) / cap) / 10_000;
  const tone = ratio >= 1 ? 'bad' : ratio >= 0.8 ? 'mid' : 'good';
  const { symbol, decimals } = assetLabel(s.asset, names);
  return (
    <div className="spend" data-testid="spend-bar" data-asset={s.asset} data-spent={s.spent} data-cap={s.windowCap}>
      <div className="spend-label">
        <strong>{symbol === 'units' ? <Address value={s.asset} /> : symbol}</strong>{' '}
        <span data-testid="spend-text">
          {units(s.spent, decimals)} of {units(s.windowCap, decimals)} per {duration(s.windowSeconds)}
        </span>
      </div>
      <div className="trust-bar">
        <div className="trust-bar-track">
          <div className={`trust-bar-fill tone-${tone}-bg`} style={{ width: `${Math.min(100, Math.round(ratio * 100))}%`, background: `var(--${tone})` }} />
        </div>
        <span className="trust-bar-value">{Math.round(ratio * 100)}%</span>
      </div>
      <div className="sub">
        at most {units(s.perTx, decimals)} per action
        {s.escalateAbove !== null ? ` · above ${units(s.escalateAbove, decimals)} the owner approves` : ''}
        {s.source === 'index' ? ' · summed from the index (chain not readable)' : ''}
      </div>
    </div>
  );
}

const keyTone: Record<Key['status'], 'good' | 'bad' | 'mid' | 'neutral'> = { active: 'good', revoked: 'bad', expired: 'mid', notYetValid: 'neutral' };

function when(t: number): string {
  return new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** One agent key: status, validity, what it may call, and its spend per window. */
export function KeyCard({ k, names }: { k: Key; names: AssetNames }) {
  const p = k.policy;
  return (
    <div className="wallet-key" data-testid="wallet-key" data-key={k.key}>
      <div className="wallet-key-head">
        <Address value={k.key} full /> <Badge tone={keyTone[k.status]} testId="key-status">{k.status === 'notYetValid' ? 'not yet valid' : k.status}</Badge>
      </div>
      {!p ? (
        <div className="sub">Policy not readable from the chain right now.</div>
      ) : (
        <>
          <ul className="policy" data-testid="key-policy">
            <li>
              valid {p.validAfter > 0 ? `from ${when(p.validAfter)} ` : ''}
              {p.validUntil > 0 ? `until ${when(p.validUntil)}` : 'with no expiry'}
            </li>
            <li>{p.rateLimit ? `at most ${p.rateLimit.calls} action(s) per ${duration(p.rateLimit.windowSeconds)}` : 'no rate limit'}</li>
            <li>queued actions wait {span(p.pendingTtlSeconds)} for the owner</li>
            {p.rules.map((r, i) => (
              <li key={i}>
                may call <code>{r.selectorName ?? r.selector}</code> on <Address value={r.target} />
                {r.conditions.length > 0 && (
                  <span className="muted">
                    {' '}
                    if {r.conditions.map((c) => `arg ${c.param} ${c.op}${c.op === 'inRecipients' ? '' : ` ${c.value}`}`).join(' and ')}
                  </span>
                )}
              </li>
            ))}
            {p.recipients.length > 0 && (
              <li>
                recipients:{' '}
                {p.recipients.map((a) => (
                  <Address key={a} value={a} />
                ))}
              </li>
            )}
          </ul>
          {k.spend.map((s) => (
            <SpendBar key={s.asset} s={s} names={names} />
          ))}
        </>
      )}
    </div>
  );
}

const kindLabel: Record<ActivityRecord['kind'], [string, 'good' | 'bad' | 'mid' | 'info' | 'neutral']> = {
  initialized: ['created', 'info'],
  guardian_set: ['guardian set', 'neutral'],
  frozen: ['frozen', 'bad'],
  unfrozen: ['unfrozen', 'good'],
  key_set: ['key set', 'info'],
  key_revoked: ['key revoked', 'bad'],
  owner_call: ['owner call', 'neutral'],
  executed: ['executed', 'good'],
  spend: ['spend', 'neutral'],
  refused: ['refused', 'bad'],
  queued: ['awaits owner', 'mid'],
  pending_approved: ['approved', 'good'],
  pending_rejected: ['rejected', 'bad'],
  pending_expired: ['expired', 'mid'],
  signature: ['signature', 'info'],
};

export function KindBadge({ kind }: { kind: ActivityRecord['kind'] }): ReactNode {
  const [label, tone] = kindLabel[kind] ?? [kind, 'neutral'];
  return (
    <Badge tone={tone} testId="activity-kind">
      {label}
    </Badge>
  );
}
