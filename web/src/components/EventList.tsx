// Protocol events as a table: what happened in one line, the agent it concerns, where on chain.
import { useState } from 'react';
import type { EventRecord } from '../api.ts';
import { feedbackValue, shortAddress, shortHash, timeAgo, dateTime } from '../format.ts';
import { useNow } from '../hooks.ts';
import { href } from '../router.ts';
import { musd } from './ComputeParts.tsx';

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** One line a person can read; unknown events fall back to their arguments. */
export function describeEvent(e: EventRecord): string {
  const a = e.args;
  if (e.contract === 'ComputeMarket') {
    const line = describeComputeEvent(e);
    if (line) return line;
  }
  switch (e.event) {
    case 'Registered':
      return `agent #${str(a.agentId)} registered by ${shortAddress(str(a.owner))}`;
    case 'URIUpdated':
      return `agent #${str(a.agentId)} changed its registration file`;
    case 'MetadataSet':
      return `agent #${str(a.agentId)} set metadata "${str(a.metadataKey)}"`;
    case 'Transfer':
      return /^0x0{40}$/.test(str(a.from))
        ? `agent #${str(a.tokenId)} minted to ${shortAddress(str(a.to))}`
        : `agent #${str(a.tokenId)} moved ${shortAddress(str(a.from))} → ${shortAddress(str(a.to))}`;
    case 'MetadataUpdate':
      return `token metadata of agent #${str(a._tokenId)} changed`;
    case 'OwnershipTransferred':
      return `${e.contract} now administered by ${shortAddress(str(a.newOwner))}`;
    case 'NewFeedback':
      return `${shortAddress(str(a.clientAddress))} rated agent #${str(a.agentId)} ${feedbackValue(str(a.value), Number(a.valueDecimals ?? 0))}${a.tag1 ? ` (${str(a.tag1)})` : ''}`;
    case 'VerifiedFeedback':
      return `feedback #${str(a.feedbackIndex)} from ${shortAddress(str(a.clientAddress))} verified by a receipt`;
    case 'FeedbackRevoked':
      return `${shortAddress(str(a.clientAddress))} revoked feedback #${str(a.feedbackIndex)} on agent #${str(a.agentId)}`;
    case 'ResponseAppended':
      return `${shortAddress(str(a.responder))} responded to feedback #${str(a.feedbackIndex)}`;
    case 'ValidationRequest':
      return `validation of agent #${str(a.agentId)} requested from ${shortAddress(str(a.validatorAddress))}`;
    case 'ValidationResponse':
      return `${shortAddress(str(a.validatorAddress))} answered ${str(a.response)}/100 for agent #${str(a.agentId)}`;
    case 'PaymentSettled':
      return `${shortAddress(str(a.client))} paid agent #${str(a.agentId)}`;
    case 'ReceiptSourceSet':
      return `receipt source ${shortAddress(str(a.source))} ${a.allowed === true || a.allowed === 'true' ? 'allowed' : 'removed'}`;
    case 'RootAnchored':
      return `batch of ${str(a.size)} digest${str(a.size) === '1' ? '' : 's'} anchored (root ${shortHash(str(a.root))}) by ${shortAddress(str(a.submitter))}`;
    case 'DatasetRegistered':
      return `dataset "${str(a.name)}" v${str(a.version)} registered: ${str(a.fileCount)} files (root ${shortHash(str(a.root))})`;
    case 'ModelRegistered':
      return `model "${str(a.name)}" registered for agent #${str(a.trainerAgentId)} (weights ${shortHash(str(a.weightsDigest))})`;
    default: {
      const parts = Object.entries(a)
        .slice(0, 3)
        .map(([k, v]) => `${k}=${typeof v === 'string' && v.startsWith('0x') ? shortHash(v) : str(v)}`);
      return parts.join(' ');
    }
  }
}

const JOB_STATUS = ['none', 'open', 'assigned', 'challenged', 'completed', 'failed', 'cancelled', 'expired'];
const SLASH_REASON = ['wrong result', 'challenge upheld', 'no-show'];

/** The compute market's events in one line each (enums arrive as their numbers). */
function describeComputeEvent(e: EventRecord): string | null {
  const a = e.args;
  const job = `job #${str(a.jobId)}`;
  const provider = `provider #${str(a.providerId)}`;
  switch (e.event) {
    case 'ProviderRegistered':
      return `${provider} registered by ${shortAddress(str(a.operator))}`;
    case 'ProviderUpdated':
      return `${provider} changed the resources it offers`;
    case 'Staked':
      return `${provider} staked ${musd(str(a.amount))} (now ${musd(str(a.stake))})`;
    case 'Heartbeat':
      return `${provider} is alive`;
    case 'UnstakeRequested':
      return `${provider} asked to unstake`;
    case 'StakeWithdrawn':
      return `${provider} withdrew ${musd(str(a.amount))} of stake`;
    case 'JobPosted':
      return `${job} posted by ${shortAddress(str(a.poster))}: ${str(a.replicas)} replica${str(a.replicas) === '1' ? '' : 's'}, ${musd(str(a.escrow))} in escrow`;
    case 'BidPlaced':
      return `${provider} bid ${musd(str(a.pricePerUnit))}/unit on ${job}`;
    case 'Offered':
      return `${job} offered to ${provider} at ${musd(str(a.pricePerUnit))}/unit`;
    case 'Assigned':
      return `${job} slot ${str(a.slot)} assigned to ${provider}`;
    case 'ResultCommitted':
      return `${provider} committed ${shortHash(str(a.outputDigest))} for ${job}`;
    case 'ChallengeOpened':
      return `${shortAddress(str(a.challenger))} disputed the result of ${job}`;
    case 'ChallengeResolved':
      return `challenge of ${job} ${a.upheld === true || a.upheld === 'true' ? 'upheld' : 'rejected'} (${str(a.votesForChallenger)} vs ${str(a.votesForProvider)})`;
    case 'ProviderPaid':
      return `${provider} paid ${musd(str(a.amount))} for ${job}`;
    case 'Slashed':
      return `${provider} slashed ${musd(str(a.amount))} on ${job}: ${SLASH_REASON[Number(a.reason)] ?? str(a.reason)}`;
    case 'JobFinalized':
      return `${job} ${JOB_STATUS[Number(a.status)] ?? str(a.status)}${str(a.refund) && str(a.refund) !== '0' ? `, ${musd(str(a.refund))} refunded` : ''}`;
    case 'JobCancelled':
      return `${job} cancelled, ${musd(str(a.refund))} refunded`;
    case 'Credited':
      return `${shortAddress(str(a.account))} credited ${musd(str(a.amount))}`;
    case 'Withdrawn':
      return `${shortAddress(str(a.account))} withdrew ${musd(str(a.amount))}`;
    default:
      return null;
  }
}

const contractTone: Record<string, string> = {
  ComputeMarket: 'pay',
  IdentityRegistry: 'info',
  ReputationRegistry: 'good',
  ValidationRegistry: 'mid',
  PaymentReceipts: 'pay',
  AnchorRegistry: 'good',
  ProvenanceRegistry: 'info',
};

export function EventList({ events, showAgent = true, fresh }: { events: EventRecord[]; showAgent?: boolean; fresh?: ReadonlySet<number> }) {
  const now = useNow();
  const [open, setOpen] = useState<number | null>(null);
  return (
    <table className="table events-table" data-testid="event-list">
      <thead>
        <tr>
          <th>Event</th>
          <th>What happened</th>
          {showAgent && <th>Agent</th>}
          <th className="num">Block</th>
          <th>When</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <EventRow key={e.id} e={e} now={now} showAgent={showAgent} isFresh={fresh?.has(e.id) ?? false} open={open === e.id} onToggle={() => setOpen(open === e.id ? null : e.id)} />
        ))}
      </tbody>
    </table>
  );
}

function EventRow({ e, now, showAgent, isFresh, open, onToggle }: { e: EventRecord; now: number; showAgent: boolean; isFresh: boolean; open: boolean; onToggle: () => void }) {
  const cols = showAgent ? 5 : 4;
  return (
    <>
      <tr className={`event-row clickable ${isFresh ? 'fresh' : ''}`} data-testid="event-row" data-event={e.event} data-event-id={e.id} onClick={onToggle} title="show the event's arguments">
        <td>
          <span className={`event-name tone-${contractTone[e.contract] ?? 'neutral'}`}>{e.event}</span>
          <div className="sub">{e.contract}</div>
        </td>
        <td className="event-summary">{describeEvent(e)}</td>
        {showAgent && <td>{e.agentId !== null ? <a href={href(`/agents/${e.agentId}`)} onClick={(ev) => ev.stopPropagation()}>#{e.agentId}</a> : <span className="muted">—</span>}</td>}
        <td className="num">
          <code title={e.txHash}>{e.blockNumber}</code>
        </td>
        <td className="when" title={dateTime(e.timestamp)}>
          {timeAgo(e.timestamp, now)}
        </td>
      </tr>
      {open && (
        <tr className="event-detail">
          <td colSpan={cols}>
            <div className="sub">
              tx <code>{e.txHash}</code> · log {e.logIndex} · chain {e.chainId}
            </div>
            <pre>{JSON.stringify(e.args, null, 2)}</pre>
          </td>
        </tr>
      )}
    </>
  );
}
