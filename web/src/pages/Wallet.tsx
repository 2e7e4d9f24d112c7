// One agent account: owner, guardian, freeze state, each agent key with its policy and spend per
// window against the caps, actions waiting for the owner (approve / reject through the node's
// signer when it owns the account), and the activity log with refusals and their reasons. Live:
// refetched whenever an account event arrives.
import { useState } from 'react';
import { api, ApiError, walletApi, type ActivityRecord, type PendingRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { Amount, KeyCard, KindBadge, type AssetNames } from '../components/WalletParts.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

/** Refusal reasons as sentences. */
const REASONS: Record<string, string> = {
  Frozen: 'the account is frozen',
  UnknownKey: 'not an agent key of this account',
  KeyRevoked: 'the key was revoked',
  KeyNotYetValid: 'the key is not valid yet',
  KeyExpired: 'the key has expired',
  RateLimited: 'too many actions in the rate-limit window',
  TargetNotAllowed: 'target not allowed by the policy',
  SelectorNotAllowed: 'function not allowed by the policy',
  ConditionFailed: 'an argument condition failed (e.g. recipient not allowed)',
  AssetNotAllowed: 'the policy has no limit for this asset',
  PerTxCapExceeded: 'above the per-action cap',
  WindowCapExceeded: 'above the rolling-window cap',
  SpendLogFull: 'too many spends in the window',
};

export function Wallet({ address }: { address: string }) {
  const wallet = useResource((s) => walletApi.wallet(address, s), [address]);
  const activity = useResource((s) => walletApi.activity(address, { limit: 100 }, s), [address]);
  const contracts = useResource((s) => api.contracts(s), []);
  const names: AssetNames = { token: contracts.data?.contracts.SettlementToken?.address };
  const reloadAll = () => {
    wallet.reload();
    activity.reload();
  };
  useLiveEvents((batch) => {
    if (batch.some((e) => e.contract === 'AgentAccount' || e.contract === 'AgentAccountFactory')) reloadAll();
  });
  useReloadOnConnect(reloadAll);

  if (wallet.error instanceof ApiError && wallet.error.status === 404) {
    return (
      <div className="page" data-testid="wallet-page">
        <h1>Account {address}</h1>
        <Empty>
          No agent account at {address} is indexed (yet). <a href={href('/wallets')}>All accounts</a>
        </Empty>
      </div>
    );
  }
  const w = wallet.data;
  return (
    <div className="page" data-testid="wallet-page" data-address={address}>
      <nav className="crumbs">
        <a href={href('/wallets')}>Wallets</a> / <code>{address}</code>
      </nav>
      {wallet.error && <ErrorNote error={wallet.error} />}
      {!w ? (
        !wallet.error && <Loading what="the account" />
      ) : (
        <>
          <h1>
            Agent account <span className="muted id">of agent <a href={href(`/agents/${w.agentId}`)}>#{w.agentId}</a></span>{' '}
            {w.frozen ? (
              <Badge tone="bad" testId="wallet-frozen">
                frozen: every agent key is stopped
              </Badge>
            ) : (
              <Badge tone="good" testId="wallet-frozen">
                active
              </Badge>
            )}
          </h1>
          <div className="columns">
            <Card title="Account" testId="wallet-account" className="grow">
              <dl className="facts">
                <dt>address</dt>
                <dd>
                  <Address value={w.address} full />
                </dd>
                <dt>owner</dt>
                <dd data-testid="wallet-owner">
                  <Address value={w.owner} full />
                </dd>
                <dt>guardian</dt>
                <dd data-testid="wallet-guardian">{/^0x0{40}$/.test(w.guardian) ? <span className="muted">none</span> : <Address value={w.guardian} full />}</dd>
                <dt>created</dt>
                <dd>
                  block {w.created.blockNumber} · {dateTime(w.created.timestamp)}
                </dd>
              </dl>
            </Card>
          </div>
          <PendingCard address={w.address} pending={w.pending} names={names} onDecided={reloadAll} />
          <Card title={`Agent keys (${w.keys.length})`} testId="wallet-keys">
            {w.keys.length === 0 ? <Empty>No agent keys. The owner adds one with `machina wallet policy`.</Empty> : w.keys.map((k) => <KeyCard key={k.key} k={k} names={names} />)}
          </Card>
        </>
      )}
      <Card title="Activity" testId="wallet-activity">
        {activity.error && <ErrorNote error={activity.error} />}
        {!activity.data && !activity.error && <Loading what="activity" />}
        {activity.data && <ActivityTable items={activity.data.items} names={names} />}
      </Card>
    </div>
  );
}

function PendingCard({ address, pending, names, onDecided }: { address: string; pending: PendingRecord[]; names: AssetNames; onDecided: () => void }) {
  const now = useNow(1000);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const decide = async (p: PendingRecord, decision: 'approve' | 'reject') => {
    setBusy(p.pendingId);
    setOutcome(null);
    try {
      const r = await walletApi.decide(address, p.pendingId, decision);
      setOutcome({ ok: true, text: `#${p.pendingId} ${r.decision} (tx ${r.txHash.slice(0, 10)}…)` });
      onDecided();
    } catch (err) {
      setOutcome({ ok: false, text: err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message });
    } finally {
      setBusy(null);
    }
  };
  void names;
  return (
    <Card title={`Waiting for the owner (${pending.length})`} testId="wallet-pending">
      {outcome && (
        <div className={outcome.ok ? 'ok-note' : 'error-note'} role="status" data-testid="decision-outcome">
          {outcome.text}
        </div>
      )}
      {pending.length === 0 ? (
        <Empty>No actions waiting for approval.</Empty>
      ) : (
        <table className="table" data-testid="pending-table">
          <thead>
            <tr>
              <th>#</th>
              <th>What</th>
              <th>Agent key</th>
              <th>Queued</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => (
              <tr key={p.pendingId} data-testid="pending-row" data-pending-id={p.pendingId}>
                <td>{p.pendingId}</td>
                <td>
                  {p.kind === 'calls' ? 'calls above the escalation threshold' : 'token signature above the threshold'}
                  <div className="sub">
                    <Hash value={p.callsHash} />
                  </div>
                </td>
                <td>
                  <Address value={p.key} />
                </td>
                <td className="when">{timeAgo(p.queued.timestamp, now)}</td>
                <td className="when">{p.expiresAt * 1000 > now ? `in ${Math.max(1, Math.round((p.expiresAt * 1000 - now) / 60_000))} min` : 'expired'}</td>
                <td className="actions">
                  <button className="btn btn-good" data-testid="approve-button" disabled={busy !== null} onClick={() => void decide(p, 'approve')}>
                    Approve
                  </button>{' '}
                  <button className="btn btn-bad" data-testid="reject-button" disabled={busy !== null} onClick={() => void decide(p, 'reject')}>
                    Reject
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="note">Approve and Reject sign with the node's own key, which works when the node's signer owns this account; otherwise the owner runs `machina wallet approve`.</p>
    </Card>
  );
}

function ActivityTable({ items, names }: { items: ActivityRecord[]; names: AssetNames }) {
  const now = useNow();
  if (items.length === 0) return <Empty>Nothing happened on this account yet.</Empty>;
  return (
    <table className="table" data-testid="activity-table">
      <thead>
        <tr>
          <th>What</th>
          <th>Agent key</th>
          <th className="num">Amount</th>
          <th>Details</th>
          <th>When</th>
        </tr>
      </thead>
      <tbody>
        {items.map((a) => (
          <tr key={`${a.blockNumber}-${a.logIndex}`} data-testid="activity-row" data-kind={a.kind}>
            <td>
              <KindBadge kind={a.kind} />
            </td>
            <td>{a.key ? <Address value={a.key} /> : <span className="muted">—</span>}</td>
            <td className="num">
              <Amount amount={a.amount} asset={a.asset} names={names} />
            </td>
            <td>
              {a.reason && (
                <span className="tone-bad-text" data-testid="refusal-reason" title={a.reason}>
                  {REASONS[a.reason] ?? a.reason} <span className="muted">({a.reason})</span>
                </span>
              )}
              {typeof a.details.pendingId === 'string' && <span>#{a.details.pendingId}</span>}
              {a.kind === 'refused' && typeof a.details.target === 'string' && (
                <div className="sub">
                  call to <Address value={a.details.target} />
                </div>
              )}
              <div className="sub">
                tx <Hash value={a.txHash} />
              </div>
            </td>
            <td className="when" title={dateTime(a.timestamp)}>
              {timeAgo(a.timestamp, now)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
