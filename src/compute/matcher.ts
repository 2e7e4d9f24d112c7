// Off-chain matcher of open jobs to providers, with the compute contract's rules: eligible providers ranked by
// price weighted by reputation, lowest first, ties by provider id; each replica on a distinct provider, each
// provider running at most `deviceCount` jobs at once; jobs served in order of id.
import { MachinaError } from '../errors/index.ts';
import type { JobNeeds, MatchOptions, MatchOutcome, ProviderOffer } from './types.ts';

export type { JobNeeds, MatchOptions, MatchOutcome, ProviderOffer, UnmatchedReason } from './types.ts';

export const MAX_REPLICAS = 5;

export class MatcherError extends MachinaError {
  override name = 'MatcherError';
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`, { code: 'INVALID_MATCH_INPUT', field });
  }
}

/**
 * The ranking key: price weighted by reputation, `price * 200 / (100 + reputation)` in integer math (lower wins).
 * @example providerScore(100n, 100) // 100n
 */
export function providerScore(pricePerUnit: bigint, reputation: number): bigint {
  return (pricePerUnit * 200n) / BigInt(100 + reputation);
}

function checkProvider(p: ProviderOffer): void {
  if (!Number.isInteger(p.reputation) || p.reputation < 0 || p.reputation > 100) throw new MatcherError('provider.reputation', `must be an integer in 0..100, got ${p.reputation}`);
  if (!Number.isInteger(p.deviceCount) || p.deviceCount < 0) throw new MatcherError('provider.deviceCount', `must be a non-negative integer, got ${p.deviceCount}`);
  if (p.pricePerUnit < 0n) throw new MatcherError('provider.pricePerUnit', 'must not be negative');
}

function checkJob(j: JobNeeds): void {
  if (!Number.isInteger(j.replicas) || j.replicas < 1 || j.replicas > MAX_REPLICAS) throw new MatcherError('job.replicas', `must be an integer in 1..${MAX_REPLICAS}, got ${j.replicas}`);
}

const byId = <T extends { id: bigint }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

type Entry = { offer: ProviderOffer; score: bigint; used: number; bucket: Bucket; pos: number };

/** Providers of one (deviceKind, region), sorted by (score, id), with a skip list past full providers. */
type Bucket = {
  entries: Entry[];
  /** Entries changed order or membership: re-sort before the next match. */
  unsorted: boolean;
  /** skip[i]: an index >= i at or before the first entry from i with a free slot (path-compressed); skip[n] = n. */
  skip: Int32Array;
  /** A slot was freed: rebuild `skip` before the next match. */
  staleSkip: boolean;
  /**
   * Bounds over entries i..n-1, to stop a scan once no later entry can pass: lowest price, most memory, most
   * free stake. Capacity only ever removes entries, so the bounds stay valid while slots fill.
   */
  minPriceFrom: bigint[];
  maxMemoryFrom: Float64Array;
  maxStakeFrom: bigint[];
  /** An offer's price, memory or stake changed: recompute the bounds. */
  staleBounds: boolean;
};

const before = (a: Entry, b: Entry) => a.score < b.score || (a.score === b.score && a.offer.id < b.offer.id);

/**
 * An index of providers by (deviceKind, region), each bucket sorted by score, that assigns jobs to providers
 * and keeps each provider's used slots. Prices change rarely, so a re-sort happens only when one does.
 * @example
 * const m = new Matcher({ aliveWindow: 120 })
 * m.add(offer)
 * const outcomes = m.matchAll(jobs, { now: Math.floor(Date.now() / 1000) })
 */
export class Matcher {
  readonly #aliveWindow: number;
  readonly #providers = new Map<bigint, Entry>();
  readonly #buckets = new Map<string, Bucket>();
  /** deviceKind -> its buckets (one per region), for jobs that accept any region. */
  readonly #byKind = new Map<string, Bucket[]>();
  readonly #assigned = new Map<bigint, Entry[]>();

  constructor({ aliveWindow }: { aliveWindow: number }) {
    this.#aliveWindow = aliveWindow;
  }

  get size(): number {
    return this.#providers.size;
  }

  /** Add a provider (its offer is copied). Throws if the id is already known. */
  add(offer: ProviderOffer): void {
    checkProvider(offer);
    if (this.#providers.has(offer.id)) throw new MatcherError('provider.id', `provider ${offer.id} is already indexed`);
    const bucket = this.#bucket(offer.deviceKind, offer.region);
    const entry: Entry = { offer: { ...offer }, score: providerScore(offer.pricePerUnit, offer.reputation), used: 0, bucket, pos: bucket.entries.length };
    bucket.entries.push(entry);
    bucket.unsorted = true;
    this.#providers.set(offer.id, entry);
  }

  /** Replace a provider's offer (heartbeat, stake, price, ...). Running assignments keep their slots. */
  update(offer: ProviderOffer): void {
    checkProvider(offer);
    const entry = this.#providers.get(offer.id);
    if (!entry) throw new MatcherError('provider.id', `provider ${offer.id} is not indexed`);
    const old = entry.offer;
    entry.offer = { ...offer };
    if (old.deviceKind !== offer.deviceKind || old.region !== offer.region) {
      this.#detach(entry);
      entry.bucket = this.#bucket(offer.deviceKind, offer.region);
      entry.bucket.entries.push(entry);
      entry.bucket.unsorted = true;
    }
    const score = providerScore(offer.pricePerUnit, offer.reputation);
    if (score !== entry.score) {
      entry.score = score;
      entry.bucket.unsorted = true;
    }
    if (offer.deviceCount > old.deviceCount) entry.bucket.staleSkip = true;
    if (offer.pricePerUnit !== old.pricePerUnit || offer.memoryMB !== old.memoryMB || offer.stakeFree !== old.stakeFree) entry.bucket.staleBounds = true;
  }

  /** Remove a provider; its assignments stay recorded until released. */
  remove(id: bigint): boolean {
    const entry = this.#providers.get(id);
    if (!entry) return false;
    this.#detach(entry);
    this.#providers.delete(id);
    return true;
  }

  /** Providers assigned to a job, in the order they were chosen. */
  assignments(jobId: bigint): bigint[] {
    return (this.#assigned.get(jobId) ?? []).map((e) => e.offer.id);
  }

  /** Used slots of a provider (0 if unknown). */
  used(id: bigint): number {
    return this.#providers.get(id)?.used ?? 0;
  }

  /** Free the slots a job holds (it finished, failed or was cancelled). */
  release(jobId: bigint): void {
    for (const e of this.#assigned.get(jobId) ?? []) {
      e.used--;
      e.bucket.staleSkip = true;
    }
    this.#assigned.delete(jobId);
  }

  /**
   * Match one job: its `replicas` best eligible providers with a free slot, excluding those already assigned to it
   * (a job that holds some replicas gets only the missing ones). All or nothing.
   */
  match(job: JobNeeds, options: MatchOptions): MatchOutcome {
    checkJob(job);
    this.#prepare();
    return this.#matchOne(job, options.now - this.#aliveWindow);
  }

  /** Match open jobs in order of id (FIFO); outcomes in the same order. */
  matchAll(jobs: readonly JobNeeds[], options: MatchOptions): MatchOutcome[] {
    for (const j of jobs) checkJob(j);
    this.#prepare();
    const minSeen = options.now - this.#aliveWindow;
    // Open jobs usually arrive in id order already: sort only when they do not.
    let inOrder = true;
    for (let i = 1; i < jobs.length && inOrder; i++) inOrder = jobs[i - 1]!.id < jobs[i]!.id;
    const ordered = inOrder ? jobs : [...jobs].sort(byId);
    const out: MatchOutcome[] = new Array(ordered.length);
    for (let i = 0; i < ordered.length; i++) out[i] = this.#matchOne(ordered[i]!, minSeen);
    return out;
  }

  #bucket(kind: string, region: string): Bucket {
    const key = `${kind}\u0000${region}`;
    let b = this.#buckets.get(key);
    if (!b) {
      b = { entries: [], unsorted: false, skip: new Int32Array(1), staleSkip: true, minPriceFrom: [], maxMemoryFrom: new Float64Array(0), maxStakeFrom: [], staleBounds: true };
      this.#buckets.set(key, b);
      const list = this.#byKind.get(kind);
      if (list) list.push(b);
      else this.#byKind.set(kind, [b]);
    }
    return b;
  }

  #detach(entry: Entry): void {
    const b = entry.bucket;
    const last = b.entries.pop()!;
    if (last !== entry) {
      b.entries[entry.pos] = last;
      last.pos = entry.pos;
    }
    b.unsorted = true;
  }

  #prepare(): void {
    for (const b of this.#buckets.values()) {
      if (b.unsorted) {
        b.entries.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
        b.entries.forEach((e, i) => (e.pos = i));
        b.unsorted = false;
        b.staleSkip = true;
        b.staleBounds = true;
      }
      if (b.staleBounds) {
        const n = b.entries.length;
        b.minPriceFrom = new Array(n);
        b.maxMemoryFrom = new Float64Array(n);
        b.maxStakeFrom = new Array(n);
        for (let i = n - 1; i >= 0; i--) {
          const o = b.entries[i]!.offer;
          const next = i + 1 < n;
          b.minPriceFrom[i] = next && b.minPriceFrom[i + 1]! < o.pricePerUnit ? b.minPriceFrom[i + 1]! : o.pricePerUnit;
          b.maxMemoryFrom[i] = next ? Math.max(b.maxMemoryFrom[i + 1]!, o.memoryMB) : o.memoryMB;
          b.maxStakeFrom[i] = next && b.maxStakeFrom[i + 1]! > o.stakeFree ? b.maxStakeFrom[i + 1]! : o.stakeFree;
        }
        b.staleBounds = false;
      }
      if (b.staleSkip) {
        const n = b.entries.length;
        if (b.skip.length !== n + 1) b.skip = new Int32Array(n + 1);
        for (let i = 0; i < n; i++) b.skip[i] = b.entries[i]!.used < b.entries[i]!.offer.deviceCount ? i : i + 1;
        b.skip[n] = n;
        b.staleSkip = false;
      }
    }
  }

  #matchOne(job: JobNeeds, minSeen: number): MatchOutcome {
    const held = this.#assigned.get(job.id);
    const need = job.replicas - (held?.length ?? 0);
    if (need <= 0) return { jobId: job.id, matched: true, providers: [] };
    let picked: Entry[];
    if (job.region !== '') {
      const b = this.#buckets.get(`${job.deviceKind}\u0000${job.region}`);
      picked = b ? collect(b, job, need, minSeen, held) : [];
    } else {
      picked = [];
      const buckets = this.#byKind.get(job.deviceKind) ?? [];
      for (const b of buckets) for (const e of collect(b, job, need, minSeen, held)) picked.push(e);
      if (buckets.length > 1) {
        picked.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
        if (picked.length > need) picked.length = need;
      }
    }
    if (picked.length < need) {
      return { jobId: job.id, matched: false, reason: picked.length === 0 ? 'no-eligible-provider' : 'too-few-eligible-providers', eligible: picked.length, needed: need };
    }
    for (const e of picked) {
      e.used++;
      if (e.used >= e.offer.deviceCount) e.bucket.skip[e.pos] = e.pos + 1;
    }
    if (held) for (const e of picked) held.push(e);
    else this.#assigned.set(job.id, picked);
    return { jobId: job.id, matched: true, providers: picked.map((e) => e.offer.id) };
  }
}

/** Index of the first entry at or after i that may have a free slot, compressing the path walked. */
function nextFree(skip: Int32Array, i: number): number {
  let r = i;
  while (skip[r] !== r) r = skip[r]!;
  while (skip[i] !== r) {
    const next = skip[i]!;
    skip[i] = r;
    i = next;
  }
  return r;
}

/** Up to `need` eligible entries of a bucket, best first. */
function collect(b: Bucket, job: JobNeeds, need: number, minSeen: number, held: Entry[] | undefined): Entry[] {
  const out: Entry[] = [];
  const { entries, skip, minPriceFrom, maxMemoryFrom, maxStakeFrom } = b;
  const n = entries.length;
  // score <= 2 * price (reputation <= 100), so past a score of 2 * maxPrice every price is above maxPrice.
  const scoreLimit = 2n * job.maxPrice;
  for (let i = nextFree(skip, 0); i < n && out.length < need; i = nextFree(skip, i + 1)) {
    const e = entries[i]!;
    if (e.score > scoreLimit || minPriceFrom[i]! > job.maxPrice || maxMemoryFrom[i]! < job.minMemoryMB || maxStakeFrom[i]! < job.minStake) break;
    const o = e.offer;
    if (e.used >= o.deviceCount) {
      // Became full through an update that lowered deviceCount: skip it from now on.
      skip[i] = i + 1;
      continue;
    }
    if (o.memoryMB < job.minMemoryMB || o.pricePerUnit > job.maxPrice || o.stakeFree < job.minStake || o.lastSeen < minSeen) continue;
    if (held && held.includes(e)) continue;
    out.push(e);
  }
  return out;
}

/**
 * The rules applied literally, for tests and as the benchmark's baseline: every job, in order of id, scans every
 * provider. `used` (provider id -> used slots) is updated in place.
 * @example matchBruteForce(providers, jobs, { now, aliveWindow: 120 })
 */
export function matchBruteForce(
  providers: readonly ProviderOffer[],
  jobs: readonly JobNeeds[],
  { now, aliveWindow }: MatchOptions,
  used: Map<bigint, number> = new Map(),
): MatchOutcome[] {
  const out: MatchOutcome[] = [];
  for (const job of [...jobs].sort(byId)) {
    checkJob(job);
    const eligible = providers
      .filter(
        (p) =>
          p.deviceKind === job.deviceKind &&
          p.memoryMB >= job.minMemoryMB &&
          (job.region === '' || p.region === job.region) &&
          p.pricePerUnit <= job.maxPrice &&
          p.stakeFree >= job.minStake &&
          now - p.lastSeen <= aliveWindow &&
          (used.get(p.id) ?? 0) < p.deviceCount,
      )
      .map((p) => ({ p, score: providerScore(p.pricePerUnit, p.reputation) }))
      .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : byId(a.p, b.p)));
    if (eligible.length < job.replicas) {
      out.push({ jobId: job.id, matched: false, reason: eligible.length === 0 ? 'no-eligible-provider' : 'too-few-eligible-providers', eligible: eligible.length, needed: job.replicas });
      continue;
    }
    const chosen = eligible.slice(0, job.replicas).map((x) => x.p.id);
    for (const id of chosen) used.set(id, (used.get(id) ?? 0) + 1);
    out.push({ jobId: job.id, matched: true, providers: chosen });
  }
  return out;
}
