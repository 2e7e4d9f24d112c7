// One compute job: what was asked (workload and input digests, units, price cap, deadline), the
// verdict (which output digest won and by how many replicas, or why none did, and the refund), each
// replica with its provider, price, digest and whether it was paid or slashed, and a dispute with the
// arbiters' votes. Events of this job (and validation answers) refresh it live.
import type { ReactNode } from 'react';
import { ApiError, computeApi, type AssignmentRow, type BidRow, type ChallengeRow, type EventRecord, type JobDetail, type JobRow, type VoteRow } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { JobStatusBadge, ModeLabel, Musd, ProviderLink, SlashReason } from '../components/ComputeParts.tsx';
import { count, dateTime, timeAgo } from '../format.ts';
import { useLiveResource, useNow } from '../hooks.ts';
import { href } from '../router.ts';

const same = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

export function ComputeJob({ jobId }: { jobId: string }) {
  const concerns = (e: EventRecord) => (e.contract === 'ComputeMarket' ? String(e.args.jobId ?? '') === jobId : e.contract === 'ValidationRegistry');
  const job = useLiveResource((s) => computeApi.job(jobId, s), [jobId], concerns);
  const now = useNow();
  if (job.error instanceof ApiError && job.error.status === 404) {
    return (
      <div className="page" data-testid="job-page" data-job-id={jobId}>
        <h1>Job #{jobId}</h1>
        <Empty>
          No job #{jobId} is indexed (yet). <a href={href('/compute')}>All jobs</a>
        </Empty>
      </div>
    );
  }
  const j = job.data;
  return (
    <div className="page" data-testid="job-page" data-job-id={jobId} data-status={j?.status}>
      <nav className="crumbs">
        <a href={href('/compute')}>Compute</a> / job #{jobId}
      </nav>
      {job.error && <ErrorNote error={job.error} />}
      {!j ? (
        !job.error && <Loading what="the job" />
      ) : (
        <>
          <h1>
            Job #{j.jobId} <JobStatusBadge status={j.status} /> <span className="muted id">
              <ModeLabel job={j} />
            </span>
          </h1>
          <div className="columns">
            <Card title="Verdict" className="grow" testId="job-verdict">
              <Verdict j={j} />
            </Card>
            <Card title="The job" className="grow" testId="job-facts">
              <dl className="facts">
                <dt>poster</dt>
                <dd>
                  <Address value={j.poster} full />
                </dd>
                <dt>workload</dt>
                <dd>
                  <code className="break">{j.workloadDigest}</code>
                  {j.workloadURI && <div className="sub uri">{j.workloadURI.length > 120 ? `${j.workloadURI.slice(0, 120)}…` : j.workloadURI}</div>}
                </dd>
                <dt>input</dt>
                <dd>
                  <code className="break">{j.inputDigest}</code>
                  {j.inputURI && <div className="sub uri">{j.inputURI.length > 120 ? `${j.inputURI.slice(0, 120)}…` : j.inputURI}</div>}
                </dd>
                <dt>work</dt>
                <dd>
                  {count(j.units)} unit{j.units === 1 ? '' : 's'} at most <Musd amount={j.maxPricePerUnit} /> each, per replica
                </dd>
                <dt>escrow held</dt>
                <dd data-testid="job-escrow">
                  <Musd amount={j.escrow} />
                </dd>
                <dt>posted</dt>
                <dd title={dateTime(j.postedAt)}>{timeAgo(j.postedAt, now)}</dd>
                <dt>deadline</dt>
                <dd>{dateTime(j.deadline)}</dd>
                {j.finalizedAt ? (
                  <>
                    <dt>settled</dt>
                    <dd title={dateTime(j.finalizedAt)}>{timeAgo(j.finalizedAt, now)}</dd>
                  </>
                ) : null}
              </dl>
            </Card>
          </div>
          <Card title={`Replicas (${j.assignments.length} of ${j.replicas})`} testId="job-replicas">
            {j.assignments.length === 0 ? <Empty>No provider assigned yet.</Empty> : <ReplicasTable j={j} />}
          </Card>
          {j.challenge && <ChallengeCard c={j.challenge} j={j} now={now} />}
          {j.bids && j.bids.length > 0 && (
            <Card title={`${j.direct ? 'Offers' : 'Bids'} (${j.bids.length})`} testId="job-bids">
              <BidsTable bids={j.bids} j={j} now={now} />
            </Card>
          )}
        </>
      )}
    </div>
  );
}

/** Output digests with the replicas that committed each, the accepted one first. */
function digestGroups(j: JobRow): { digest: string; slots: AssignmentRow[] }[] {
  const groups = new Map<string, AssignmentRow[]>();
  for (const a of j.assignments) if (a.outputDigest) groups.set(a.outputDigest.toLowerCase(), [...(groups.get(a.outputDigest.toLowerCase()) ?? []), a]);
  return [...groups.entries()]
    .map(([digest, slots]) => ({ digest, slots }))
    .sort((a, b) => Number(same(b.digest, j.acceptedDigest)) - Number(same(a.digest, j.acceptedDigest)) || b.slots.length - a.slots.length);
}

function Verdict({ j }: { j: JobRow }) {
  const groups = digestGroups(j);
  const committed = j.assignments.filter((a) => a.outputDigest).length;
  const slashed = j.assignments.filter((a) => a.slashed);
  const settled = j.status === 'completed' || j.status === 'failed' || j.status === 'cancelled' || j.status === 'expired';
  let line: ReactNode;
  if (j.status === 'completed' && j.acceptedDigest) {
    const votes = groups.find((g) => same(g.digest, j.acceptedDigest))?.slots.length ?? 0;
    line =
      j.mode === 'redundant' ? (
        <>
          Accepted by majority: <strong>{votes}</strong> of {j.replicas} replicas agree.
        </>
      ) : (
        <>Accepted: no challenge {j.challenge ? 'was upheld' : 'within the window'}.</>
      );
  } else if (j.status === 'failed') line = <>No result was accepted{j.challenge?.upheld ? ': the challenge was upheld' : groups.length > 1 ? ': no digest had a majority' : ''}. The escrow went back to the poster.</>;
  else if (j.status === 'cancelled') line = <>Cancelled by the poster before assignment.</>;
  else if (j.status === 'expired') line = <>Nobody was assigned before the deadline.</>;
  else if (j.status === 'challenged') line = <>The result is disputed; the arbiters are answering.</>;
  else if (j.status === 'assigned') line = <>Running: {committed} of {j.replicas} results committed.</>;
  else line = <>Open: waiting for {j.direct ? 'a provider to accept' : 'bids'}.</>;
  return (
    <div className="verdict" data-testid="verdict" data-accepted={j.acceptedDigest ?? ''}>
      <div className="verdict-line">{line}</div>
      {j.acceptedDigest && (
        <div>
          <span className="muted">accepted digest </span>
          <code className="break" data-testid="job-accepted-digest">
            {j.acceptedDigest}
          </code>
        </div>
      )}
      {groups.length > 0 && (
        <div className="digest-groups">
          {groups.map((g) => {
            const won = same(g.digest, j.acceptedDigest);
            const lost = settled && !won;
            return (
              <div key={g.digest} className={`digest-group ${won ? 'won' : lost ? 'lost' : ''}`} data-testid="digest-group" data-digest={g.digest} data-won={won} data-count={g.slots.length}>
                <span className="votes">
                  {g.slots.length} replica{g.slots.length === 1 ? '' : 's'}
                </span>
                <Hash value={g.digest} />
                {won && <Badge tone="good">won</Badge>}
                {lost && <Badge tone="bad">lost</Badge>}
                <span className="tally">
                  {g.slots.map((a) => (
                    <ProviderLink key={a.slot} id={a.providerId} />
                  ))}
                </span>
              </div>
            );
          })}
        </div>
      )}
      <div className="tally">
        {j.refund && j.refund !== '0' && (
          <span data-testid="job-refund">
            refunded <Musd amount={j.refund} />
          </span>
        )}
        {slashed.length > 0 && (
          <span className="tone-bad-text" data-testid="job-slashed">
            slashed: {slashed.map((a) => `#${a.providerId}`).join(', ')}
          </span>
        )}
      </div>
    </div>
  );
}

function ReplicasTable({ j }: { j: JobDetail }) {
  const slashOf = (a: AssignmentRow) => (j.slashes ?? []).find((s) => s.providerId === a.providerId);
  return (
    <table className="table" data-testid="replicas-table">
      <thead>
        <tr>
          <th className="num">Slot</th>
          <th>Provider</th>
          <th className="num">Price / unit</th>
          <th>Output digest</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {j.assignments.map((a) => {
          const won = same(a.outputDigest, j.acceptedDigest);
          return (
            <tr
              key={a.slot}
              className={a.slashed ? 'slashed' : won ? 'won' : ''}
              data-testid="replica-row"
              data-slot={a.slot}
              data-provider-id={a.providerId}
              data-digest={a.outputDigest ?? ''}
              data-won={won}
              data-paid={a.paid}
              data-slashed={a.slashed}
            >
              <td className="num">{a.slot}</td>
              <td>
                <ProviderLink id={a.providerId} />
              </td>
              <td className="num">
                <Musd amount={a.pricePerUnit} />
              </td>
              <td>
                {a.outputDigest ? (
                  <>
                    <Hash value={a.outputDigest} /> {won && <Badge tone="good">accepted</Badge>}
                    {a.outputURI && <div className="sub uri">{a.outputURI.length > 80 ? `${a.outputURI.slice(0, 80)}…` : a.outputURI}</div>}
                  </>
                ) : (
                  <span className="muted">no result</span>
                )}
              </td>
              <td>
                {a.paid && (
                  <Badge tone="good" testId="replica-paid">
                    paid {a.amount ? <Musd amount={a.amount} /> : null}
                  </Badge>
                )}
                {a.slashed && (
                  <Badge tone="bad" testId="replica-slashed">
                    slashed {slashOf(a) ? <Musd amount={slashOf(a)!.amount} /> : a.slashAmount ? <Musd amount={a.slashAmount} /> : null}
                  </Badge>
                )}
                {a.slashed && slashOf(a) && <SlashReason reason={slashOf(a)!.reason} />}
                {!a.paid && !a.slashed && <span className="muted">{j.status === 'completed' || j.status === 'failed' ? 'unpaid' : 'pending'}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function voteSide(v: VoteRow): 'challenger' | 'provider' | null {
  if (v.vote) return v.vote;
  if (v.response === null || v.response === undefined) return null;
  return v.response < 50 ? 'challenger' : 'provider';
}

function ChallengeCard({ c, j, now }: { c: ChallengeRow; j: JobDetail; now: number }) {
  const votes = c.votes ?? [];
  const reward = (j.slashes ?? []).find((s) => s.reason === 'challenge-upheld' && same(s.beneficiary, c.challenger));
  const forChallenger = c.votesForChallenger ?? votes.filter((v) => voteSide(v) === 'challenger').length;
  const forProvider = c.votesForProvider ?? votes.filter((v) => voteSide(v) === 'provider').length;
  const outcome = !c.resolved && c.upheld == null ? 'open' : c.upheld ? 'upheld' : 'rejected';
  return (
    <Card title="Challenge" testId="job-challenge">
      <div data-testid="challenge" data-outcome={outcome} data-for-challenger={forChallenger} data-for-provider={forProvider}>
        <dl className="facts">
          <dt>challenger</dt>
          <dd>
            <Address value={c.challenger} full />
          </dd>
          <dt>claims the output is</dt>
          <dd>
            <code className="break">{c.claimedDigest}</code>
          </dd>
          {c.resolveBy ? (
            <>
              <dt>answers counted until</dt>
              <dd title={dateTime(c.resolveBy)}>{c.resolveBy * 1000 > now ? `${dateTime(c.resolveBy)} (open)` : dateTime(c.resolveBy)}</dd>
            </>
          ) : null}
          <dt>outcome</dt>
          <dd data-testid="challenge-outcome">
            {outcome === 'open' ? (
              <Badge tone="mid">waiting for the arbiters</Badge>
            ) : outcome === 'upheld' ? (
              <Badge tone="bad">upheld: the provider was wrong</Badge>
            ) : (
              <Badge tone="good">rejected: the provider was right</Badge>
            )}{' '}
            <span className="muted">
              {forChallenger} vote{forChallenger === 1 ? '' : 's'} for the challenger, {forProvider} for the provider
            </span>
            {reward && (
              <div className="sub" data-testid="challenge-reward">
                the challenger was paid <Musd amount={reward.reward} /> of the <Musd amount={reward.amount} /> slashed
              </div>
            )}
          </dd>
        </dl>
        {votes.length > 0 && (
          <table className="table" data-testid="arbiter-votes">
            <thead>
              <tr>
                <th>Arbiter</th>
                <th className="num">Response</th>
                <th>Vote</th>
                <th>Answered</th>
              </tr>
            </thead>
            <tbody>
              {votes.map((v) => {
                const side = voteSide(v);
                return (
                  <tr key={v.requestHash} data-testid="arbiter-vote" data-arbiter={v.validator} data-side={side ?? 'none'}>
                    <td>
                      <Address value={v.validator} full />
                      <div className="sub">
                        request <Hash value={v.requestHash} />
                      </div>
                    </td>
                    <td className="num">{v.response ?? '—'}</td>
                    <td>{side === null ? <span className="muted">no answer</span> : side === 'challenger' ? <Badge tone="bad">provider wrong</Badge> : <Badge tone="good">provider right</Badge>}</td>
                    <td className="when">{v.respondedAt ? timeAgo(v.respondedAt, now) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {j.mode === 'optimistic' && <p className="note">Each arbiter answers the market's ERC-8004 validation request for this job: below 50 means the provider's result is wrong.</p>}
      </div>
    </Card>
  );
}

/** The auction: each bid with the bidder's reputation at the time; the assigned bidders marked. */
function BidsTable({ bids, j, now }: { bids: BidRow[]; j: JobRow; now: number }) {
  const assigned = new Set(j.assignments.map((a) => a.providerId));
  return (
    <table className="table" data-testid="bids-table">
      <thead>
        <tr>
          <th>Provider</th>
          <th className="num">Price / unit</th>
          <th className="num">Reputation</th>
          <th>Result</th>
          <th>When</th>
        </tr>
      </thead>
      <tbody>
        {bids.map((b) => (
          <tr key={`${b.providerId}-${b.txHash}`} data-testid="bid-row" data-provider-id={b.providerId}>
            <td>
              <ProviderLink id={b.providerId} /> {b.kind === 'offer' && <span className="muted">offer</span>}
            </td>
            <td className="num">
              <Musd amount={b.pricePerUnit} />
            </td>
            <td className="num">{b.reputation ?? '—'}</td>
            <td>{assigned.has(b.providerId) ? <Badge tone="info">assigned</Badge> : <span className="muted">—</span>}</td>
            <td className="when" title={dateTime(b.placedAt)}>
              {timeAgo(b.placedAt, now)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
