// What a provider daemon reports, one event per thing that happened: the CLI prints them as lines or NDJSON,
// tests and the demo count them.
import type { Address, Hex } from 'viem';

export type ProviderEvent =
  | { type: 'started'; providerId: bigint | null; operator: Address; fromBlock: bigint; validator: boolean; bidding: boolean }
  | { type: 'heartbeat'; providerId: bigint; txHash: Hex }
  | { type: 'bid'; jobId: bigint; pricePerUnit: bigint; txHash: Hex }
  | { type: 'skipped'; jobId: bigint; reason: string }
  | { type: 'assigned'; jobId: bigint; slot: number; pricePerUnit: bigint }
  /** `failure`: the workload failed deterministically ("code (field)"); the output is the failure record. */
  | { type: 'ran'; jobId: bigint; outputDigest: Hex; bytes: number; ms: number; failure?: string }
  | { type: 'cheated'; jobId: bigint; outputDigest: Hex; honestDigest: Hex }
  | { type: 'committed'; jobId: bigint; outputDigest: Hex; outputURI: string; txHash: Hex }
  | { type: 'paid'; jobId: bigint; amount: bigint }
  | { type: 'slashed'; jobId: bigint; amount: bigint; reason: string }
  | { type: 'disputed'; jobId: bigint; challenger: Address }
  | { type: 'verified'; jobId: bigint; providerId: bigint; outputDigest: Hex; agrees: boolean }
  | { type: 'challenged'; jobId: bigint; providerId: bigint; claimedDigest: Hex; txHash: Hex }
  | { type: 'answered'; jobId: bigint; requestHash: Hex; response: number; txHash: Hex }
  | { type: 'rewarded'; jobId: bigint; amount: bigint }
  | { type: 'resolved'; jobId: bigint; upheld: boolean }
  | { type: 'finalized'; jobId: bigint; status: string; acceptedDigest: Hex | null }
  | { type: 'poked'; jobId: bigint; action: 'assign' | 'finalize' | 'resolve'; txHash: Hex }
  | { type: 'withdrawn'; amount: bigint; txHash: Hex }
  | { type: 'error'; stage: string; jobId?: bigint; message: string }
  | { type: 'stopped' };

export type ProviderEventType = ProviderEvent['type'];

/** Counters a running daemon keeps (amounts in settlement-token base units). */
export type ProviderStats = {
  bids: number;
  assigned: number;
  ran: number;
  committed: number;
  cheated: number;
  paid: number;
  earned: bigint;
  slashed: number;
  slashedAmount: bigint;
  challenged: number;
  answered: number;
  rewarded: bigint;
  errors: number;
  running: number;
};

export function emptyStats(): ProviderStats {
  return { bids: 0, assigned: 0, ran: 0, committed: 0, cheated: 0, paid: 0, earned: 0n, slashed: 0, slashedAmount: 0n, challenged: 0, answered: 0, rewarded: 0n, errors: 0, running: 0 };
}

const short = (h: string) => `${h.slice(0, 10)}…`;

/**
 * One human line for an event, e.g. `job 3: committed 0x1a2b3c4d… (tx 0x9f…)`.
 * @example
 * formatProviderEvent({ type: 'paid', jobId: 3n, amount: 2_000_000n }, (a) => `${a} base units`)
 */
export function formatProviderEvent(e: ProviderEvent, amount: (units: bigint) => string = (u) => u.toString()): string {
  switch (e.type) {
    case 'started':
      return `${e.providerId === null ? 'validator' : `provider ${e.providerId}`} (operator ${e.operator}) watching from block ${e.fromBlock}${e.validator && e.providerId !== null ? ', validating' : ''}${e.bidding || e.providerId === null ? '' : ', not bidding'}`;
    case 'heartbeat':
      return `heartbeat (tx ${short(e.txHash)})`;
    case 'bid':
      return `job ${e.jobId}: bid ${amount(e.pricePerUnit)} per unit`;
    case 'skipped':
      return `job ${e.jobId}: skipped (${e.reason})`;
    case 'assigned':
      return `job ${e.jobId}: assigned slot ${e.slot} at ${amount(e.pricePerUnit)} per unit`;
    case 'ran':
      return e.failure
        ? `job ${e.jobId}: the workload failed (${e.failure}) in ${e.ms} ms; committing the failure record ${short(e.outputDigest)}`
        : `job ${e.jobId}: ran in ${e.ms} ms, ${e.bytes} bytes, digest ${short(e.outputDigest)}`;
    case 'cheated':
      return `job ${e.jobId}: CHEATING, committing ${short(e.outputDigest)} instead of ${short(e.honestDigest)}`;
    case 'committed':
      return `job ${e.jobId}: committed ${short(e.outputDigest)} (tx ${short(e.txHash)})`;
    case 'paid':
      return `job ${e.jobId}: paid ${amount(e.amount)}`;
    case 'slashed':
      return `job ${e.jobId}: SLASHED ${amount(e.amount)} (${e.reason})`;
    case 'disputed':
      return `job ${e.jobId}: result challenged by ${e.challenger}`;
    case 'verified':
      return `job ${e.jobId}: re-executed provider ${e.providerId}'s result: ${e.agrees ? 'agrees' : 'MISMATCH'}`;
    case 'challenged':
      return `job ${e.jobId}: challenged provider ${e.providerId}, claiming ${short(e.claimedDigest)}`;
    case 'answered':
      return `job ${e.jobId}: answered validation request ${short(e.requestHash)} with ${e.response}`;
    case 'rewarded':
      return `job ${e.jobId}: rewarded ${amount(e.amount)}`;
    case 'resolved':
      return `job ${e.jobId}: challenge ${e.upheld ? 'upheld' : 'rejected'}`;
    case 'finalized':
      return `job ${e.jobId}: ${e.status}${e.acceptedDigest ? ` (${short(e.acceptedDigest)})` : ''}`;
    case 'poked':
      return `job ${e.jobId}: called ${e.action} (tx ${short(e.txHash)})`;
    case 'withdrawn':
      return `withdrew ${amount(e.amount)} of credit`;
    case 'error':
      return `${e.jobId !== undefined ? `job ${e.jobId}: ` : ''}error in ${e.stage}: ${e.message}`;
    case 'stopped':
      return 'stopped';
  }
}
