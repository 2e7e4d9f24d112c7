// Pieces of the compute pages: mUSD amounts, job status and slash reason badges, the jobs table
// the market and provider pages share, and two SVG charts (stake / earned / slashed per provider,
// and how jobs ended).
import type { JobRow, JobStatusName, ProviderRow } from '../api.ts';
import { timeAgo, dateTime } from '../format.ts';
import { href } from '../router.ts';
import { Address, Badge, Hash } from './common.tsx';
import { units } from './WalletParts.tsx';
import './ComputeParts.css';

/** The settlement token's decimals: compute amounts are mUSD base units. */
const MUSD_DECIMALS = 6;

/** A base-unit amount as mUSD ("1,250.5 mUSD"). */
export function musd(amount: string | null | undefined): string {
  return amount === null || amount === undefined ? '—' : `${units(amount, MUSD_DECIMALS)} mUSD`;
}

export function Musd({ amount, testId }: { amount: string | null | undefined; testId?: string }) {
  if (amount === null || amount === undefined) return <span className="muted">—</span>;
  return (
    <span className="amount" title={`${amount} base units`} data-testid={testId} data-amount={amount}>
      {musd(amount)}
    </span>
  );
}

/** Base units as a plain number of mUSD, for chart scales (exact enough to draw). */
export function musdNumber(amount: string | null | undefined): number {
  if (!amount || !/^\d+$/.test(amount)) return 0;
  return Number(BigInt(amount)) / 10 ** MUSD_DECIMALS;
}

const statusTone: Record<JobStatusName, 'good' | 'bad' | 'mid' | 'info' | 'neutral'> = {
  none: 'neutral',
  open: 'info',
  assigned: 'info',
  challenged: 'mid',
  completed: 'good',
  failed: 'bad',
  cancelled: 'neutral',
  expired: 'mid',
};

export function JobStatusBadge({ status, testId = 'job-status' }: { status: JobStatusName; testId?: string }) {
  return (
    <Badge tone={statusTone[status] ?? 'neutral'} testId={testId}>
      {status}
    </Badge>
  );
}

const reasonLabel: Record<string, string> = {
  'wrong-result': 'wrong result (outvoted)',
  'challenge-upheld': 'challenge upheld',
  'no-show': 'no result by the deadline',
};

export function SlashReason({ reason }: { reason: string }) {
  return (
    <Badge tone="bad" testId="slash-reason" title={reason}>
      {reasonLabel[reason] ?? reason}
    </Badge>
  );
}

export function ModeLabel({ job }: { job: Pick<JobRow, 'mode' | 'replicas' | 'direct'> }) {
  return (
    <span data-testid="job-mode">
      {job.mode === 'redundant' ? `redundant ×${job.replicas}` : 'optimistic'}
      {job.direct && <span className="muted"> · direct</span>}
    </span>
  );
}

export function ProviderLink({ id }: { id: string }) {
  return (
    <a href={href(`/compute/providers/${id}`)} data-testid="provider-link" data-provider-id={id}>
      provider #{id}
    </a>
  );
}

/**
 * Jobs, newest first: status, mode, poster, the providers that ran each replica (struck through
 * when slashed), what the job cost, and the accepted digest. `provider` marks that provider's slot.
 */
export function JobsTable({ jobs, now, provider }: { jobs: JobRow[]; now: number; provider?: string }) {
  return (
    <table className="table" data-testid="jobs-table">
      <thead>
        <tr>
          <th>Job</th>
          <th>Status</th>
          <th>Mode</th>
          <th>Poster</th>
          <th>Replicas</th>
          <th className="num">Paid out</th>
          <th>Accepted digest</th>
          <th>Posted</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => {
          const paid = j.assignments.reduce((s, a) => s + (a.paid && a.amount && /^\d+$/.test(a.amount) ? BigInt(a.amount) : 0n), 0n);
          const mine = provider ? j.assignments.find((a) => a.providerId === provider) : undefined;
          return (
            <tr key={j.jobId} className="clickable" data-testid="job-row" data-job-id={j.jobId} data-status={j.status} onClick={() => (location.hash = href(`/compute/jobs/${j.jobId}`))}>
              <td>
                <a href={href(`/compute/jobs/${j.jobId}`)} className="agent-link">
                  #{j.jobId}
                </a>
              </td>
              <td>
                <JobStatusBadge status={j.status} />
                {mine && (mine.slashed ? <Badge tone="bad">slashed here</Badge> : mine.paid ? <Badge tone="good">paid here</Badge> : null)}
              </td>
              <td>
                <ModeLabel job={j} />
              </td>
              <td>
                <Address value={j.poster} />
              </td>
              <td onClick={(e) => e.stopPropagation()}>
                {j.assignments.length === 0 ? (
                  <span className="muted">none yet</span>
                ) : (
                  <span className="replica-list">
                    {j.assignments.map((a) => (
                      <a key={a.slot} href={href(`/compute/providers/${a.providerId}`)} className={`replica-chip ${a.slashed ? 'slashed' : a.paid ? 'paid' : ''}`} title={a.slashed ? 'slashed' : a.paid ? 'paid' : 'pending'}>
                        #{a.providerId}
                      </a>
                    ))}
                  </span>
                )}
              </td>
              <td className="num">{paid > 0n ? <Musd amount={String(paid)} /> : <span className="muted">—</span>}</td>
              <td>{j.acceptedDigest ? <Hash value={j.acceptedDigest} /> : <span className="muted">—</span>}</td>
              <td className="when" title={dateTime(j.postedAt)}>
                {timeAgo(j.postedAt, now)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

// ── Charts ──────────────────────────────────────────────────────────────────────────────────────

const SERIES = [
  { key: 'stake', label: 'stake', color: 'var(--info)' },
  { key: 'earned', label: 'earned', color: 'var(--good)' },
  { key: 'slashed', label: 'slashed', color: 'var(--bad)' },
] as const;

const CHART_W = 720;
const LABEL_W = 110;
const VALUE_W = 110;
const BAR_H = 9;
const BAR_GAP = 2;
const ROW_GAP = 12;
const TOP = 6;
const MAX_CHART_ROWS = 24;

/** Round numbers for the scale's ticks. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function compact(v: number): string {
  return v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(2)}`;
}

/** Per provider, three bars on one scale: what it has staked, earned, and lost to slashing. */
export function ProviderChart({ providers, max: most = MAX_CHART_ROWS }: { providers: ProviderRow[]; max?: number }) {
  // A market with many providers draws the ones with the most at stake (and earned and lost), in id order.
  const weight = (p: ProviderRow) => musdNumber(p.stake) + musdNumber(p.earned) + musdNumber(p.slashedAmount);
  const rows = [...providers]
    .sort((a, b) => weight(b) - weight(a))
    .slice(0, most)
    .sort((a, b) => Number(a.providerId) - Number(b.providerId));
  const values = rows.map((p) => ({ p, stake: musdNumber(p.stake), earned: musdNumber(p.earned), slashed: musdNumber(p.slashedAmount) }));
  const max = niceMax(Math.max(0, ...values.flatMap((v) => [v.stake, v.earned, v.slashed])));
  const rowH = SERIES.length * (BAR_H + BAR_GAP) - BAR_GAP;
  const plotW = CHART_W - LABEL_W - VALUE_W;
  const height = TOP + rows.length * (rowH + ROW_GAP) + 18;
  const x = (v: number) => LABEL_W + (v / max) * plotW;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <div className="compute-chart">
      <svg data-testid="provider-chart" viewBox={`0 0 ${CHART_W} ${height}`} width="100%" role="img" aria-label={`stake, earned and slashed mUSD of ${rows.length} providers`} xmlns="http://www.w3.org/2000/svg">
        {ticks.map((t) => (
          <g key={t} className="tick">
            <line x1={x(t)} x2={x(t)} y1={TOP - 4} y2={height - 16} />
            <text x={x(t)} y={height - 4} textAnchor="middle">
              {compact(t)}
            </text>
          </g>
        ))}
        {values.map((v, i) => {
          const y0 = TOP + i * (rowH + ROW_GAP);
          return (
            <g
              key={v.p.providerId}
              className="chart-row"
              data-testid="chart-provider"
              data-provider-id={v.p.providerId}
              data-stake={v.p.stake}
              data-earned={v.p.earned}
              data-slashed={v.p.slashedAmount}
              onClick={() => (location.hash = href(`/compute/providers/${v.p.providerId}`))}
            >
              <title>{`provider #${v.p.providerId}: stake ${musd(v.p.stake)}, earned ${musd(v.p.earned)}, slashed ${musd(v.p.slashedAmount)} (${v.p.slashes}×)`}</title>
              <text className="row-label" x={LABEL_W - 10} y={y0 + rowH / 2 + 4} textAnchor="end">
                {`#${v.p.providerId}`}
                {v.p.slashes > 0 ? ' ⚠' : ''}
              </text>
              {SERIES.map((s, k) => {
                const val = v[s.key];
                const y = y0 + k * (BAR_H + BAR_GAP);
                return (
                  <g key={s.key} data-series={s.key}>
                    <rect x={LABEL_W} y={y} width={Math.max(val > 0 ? 1.5 : 0, x(val) - LABEL_W)} height={BAR_H} rx={2} fill={s.color} />
                    <text className="bar-value" x={x(val) + 5} y={y + BAR_H - 1}>
                      {val > 0 ? compact(val) : ''}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
      <div className="legend">
        {rows.length < providers.length && <span className="muted">the {rows.length} of {providers.length} providers with the most at stake</span>}
        {SERIES.map((s) => (
          <span key={s.key}>
            <span className="swatch" style={{ background: s.color, borderColor: s.color }} />
            {s.label} (mUSD)
          </span>
        ))}
      </div>
    </div>
  );
}

const OUTCOMES: { status: JobStatusName; color: string }[] = [
  { status: 'completed', color: 'var(--good)' },
  { status: 'failed', color: 'var(--bad)' },
  { status: 'expired', color: 'var(--mid)' },
  { status: 'cancelled', color: '#a3a9bb' },
  { status: 'challenged', color: '#7c3aed' },
  { status: 'assigned', color: 'var(--info)' },
  { status: 'open', color: '#9ec1f5' },
];

/** How jobs ended (and how many are still running), as one stacked bar with a legend of counts. */
export function OutcomeChart({ byStatus }: { byStatus: Partial<Record<JobStatusName, number>> }) {
  const parts = OUTCOMES.map((o) => ({ ...o, n: byStatus[o.status] ?? 0 }));
  const total = parts.reduce((s, p) => s + p.n, 0);
  const W = 400;
  const H = 26;
  let at = 0;
  return (
    <div className="compute-chart" data-testid="outcome-chart" data-total={total}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`outcomes of ${total} jobs`} xmlns="http://www.w3.org/2000/svg">
        <rect x={0} y={0} width={W} height={H} rx={6} fill="#eceef3" />
        {total > 0 &&
          parts.map((p) => {
            if (p.n === 0) return null;
            const w = (p.n / total) * W;
            const r = (
              <rect key={p.status} data-testid="outcome-segment" data-status={p.status} data-count={p.n} x={at} y={0} width={w} height={H} fill={p.color}>
                <title>{`${p.status}: ${p.n}`}</title>
              </rect>
            );
            at += w;
            return r;
          })}
      </svg>
      <div className="legend">
        {parts
          .filter((p) => p.n > 0 || p.status === 'completed' || p.status === 'failed')
          .map((p) => (
            <a key={p.status} href={href('/compute', { status: p.status })} data-testid="outcome-legend" data-status={p.status}>
              <span className="swatch" style={{ background: p.color, borderColor: p.color }} />
              {p.status} <strong>{p.n}</strong>
            </a>
          ))}
      </div>
    </div>
  );
}
