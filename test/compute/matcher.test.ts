// The matcher against the rules applied literally (matchBruteForce) on seeded random markets, and its edge cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRng } from '../../src/compute/workloads/random.ts';
import { Matcher, MatcherError, matchBruteForce, providerScore, type JobNeeds, type ProviderOffer } from '../../src/compute/matcher.ts';

const NOW = 1_700_000_000;
const WINDOW = 120;
const opts = { now: NOW, aliveWindow: WINDOW };

/** The domain's seeded generator (mulberry32), with helpers. */
function prng(seed: number) {
  const next = seededRng(seed);
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const provider = (over: Partial<ProviderOffer> & { id: bigint }): ProviderOffer => ({
  agentId: over.id + 1000n,
  deviceKind: 'gpu',
  deviceCount: 1,
  memoryMB: 16_384,
  region: 'eu',
  pricePerUnit: 100n,
  reputation: 50,
  stakeFree: 1_000n,
  lastSeen: NOW,
  ...over,
});

const job = (over: Partial<JobNeeds> & { id: bigint }): JobNeeds => ({
  deviceKind: 'gpu',
  minMemoryMB: 8_192,
  region: '',
  maxPrice: 1_000n,
  replicas: 1,
  minStake: 100n,
  ...over,
});

type Size = { providers: number; jobs: number; kinds: number; regions: number };

function randomMarket(seed: number, size: Size) {
  const r = prng(seed);
  const kinds = ['cpu', 'gpu-a100', 'gpu-h100', 'tpu', 'npu'].slice(0, size.kinds);
  const regions = ['eu', 'us', 'asia', 'sa', 'af'].slice(0, size.regions);
  // Narrow ranges on purpose: many equal scores (ties) and many full providers.
  const providers = Array.from({ length: size.providers }, (_, i) =>
    provider({
      id: BigInt(r.int(0, 3) === 0 ? size.providers * 4 - i : i + 1), // ids not in insertion order
      deviceKind: r.pick(kinds),
      deviceCount: r.int(0, 3),
      memoryMB: r.pick([4_096, 8_192, 16_384, 32_768]),
      region: r.pick(regions),
      pricePerUnit: BigInt(r.int(1, 8) * 10),
      reputation: r.pick([0, 25, 50, 60, 100, r.int(0, 100)]),
      stakeFree: BigInt(r.int(0, 4) * 100),
      lastSeen: NOW - r.int(0, 200),
    }),
  );
  const jobs = Array.from({ length: size.jobs }, (_, i) =>
    job({
      id: BigInt(r.int(0, 1) ? i + 1 : size.jobs * 3 - i), // FIFO by id, not by arrival
      deviceKind: r.pick(kinds),
      minMemoryMB: r.pick([0, 4_096, 8_192, 16_384, 65_536]),
      region: r.int(0, 2) === 0 ? '' : r.pick(regions),
      maxPrice: BigInt(r.int(0, 9) * 10),
      replicas: r.int(1, 5),
      minStake: BigInt(r.int(0, 4) * 100),
    }),
  );
  return { providers, jobs, r };
}

function indexed(providers: readonly ProviderOffer[]) {
  const m = new Matcher({ aliveWindow: WINDOW });
  for (const p of providers) m.add(p);
  return m;
}

describe('matcher vs brute force', () => {
  const sizes: [string, Size, number][] = [
    ['small', { providers: 12, jobs: 40, kinds: 2, regions: 2 }, 300],
    ['medium', { providers: 300, jobs: 1_500, kinds: 4, regions: 5 }, 30],
  ];
  for (const [name, size, seeds] of sizes) {
    it(`identical assignments on ${seeds} ${name} markets`, () => {
      let matched = 0;
      let unmatched = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const { providers, jobs } = randomMarket(seed, size);
        const ours = indexed(providers).matchAll(jobs, opts);
        assert.deepEqual(ours, matchBruteForce(providers, jobs, opts), `seed ${seed}`);
        for (const o of ours) o.matched ? matched++ : unmatched++;
      }
      // The instances exercise both paths.
      assert.ok(matched > 0 && unmatched > 0, `${matched} matched, ${unmatched} unmatched`);
    });
  }

  it('identical after incremental add, update and remove', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { providers, jobs, r } = randomMarket(seed, { providers: 40, jobs: 120, kinds: 2, regions: 3 });
      const m = new Matcher({ aliveWindow: WINDOW });
      const live = new Map<bigint, ProviderOffer>();
      for (const p of providers) {
        m.add(p);
        live.set(p.id, p);
        // Interleave matching so the index is re-sorted and its skip lists rebuilt between changes.
        if (r.int(0, 9) === 0) m.match(job({ id: 10_000n + p.id, replicas: 1, minStake: 10_000n }), opts);
      }
      for (const p of providers) {
        const roll = r.int(0, 5);
        if (roll === 0) {
          m.remove(p.id);
          live.delete(p.id);
        } else if (roll <= 2) {
          const changed = { ...p, pricePerUnit: BigInt(r.int(1, 8) * 10), reputation: r.int(0, 100), region: r.pick(['eu', 'us', 'asia']), deviceCount: r.int(0, 3), lastSeen: NOW - r.int(0, 200), stakeFree: BigInt(r.int(0, 4) * 100), memoryMB: r.pick([4_096, 16_384, 32_768]) };
          m.update(changed);
          live.set(p.id, changed);
        }
      }
      assert.deepEqual(m.matchAll(jobs, opts), matchBruteForce([...live.values()], jobs, opts), `seed ${seed}`);
    }
  });

  it('identical when jobs are matched one by one, and release frees the slots', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { providers, jobs } = randomMarket(seed, { providers: 30, jobs: 100, kinds: 2, regions: 2 });
      const m = indexed(providers);
      const sorted = [...jobs].sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(sorted.map((j) => m.match(j, opts)), matchBruteForce(providers, jobs, opts), `seed ${seed}`);
      for (const j of sorted) m.release(j.id);
      for (const p of providers) assert.equal(m.used(p.id), 0);
      assert.deepEqual(m.matchAll(jobs, opts), matchBruteForce(providers, jobs, opts), `seed ${seed} after release`);
    }
  });
});

describe('matcher rules', () => {
  it('scores price weighted by reputation in integer math', () => {
    assert.equal(providerScore(100n, 0), 200n);
    assert.equal(providerScore(100n, 100), 100n);
    assert.equal(providerScore(10n, 50), 13n); // 2000 / 150, floored
  });

  it('lowest score wins, a better reputation can beat a lower price', () => {
    const m = indexed([provider({ id: 1n, pricePerUnit: 100n, reputation: 0 }), provider({ id: 2n, pricePerUnit: 150n, reputation: 100 })]);
    // 1: 200, 2: 150
    assert.deepEqual(m.match(job({ id: 1n }), opts), { jobId: 1n, matched: true, providers: [2n] });
  });

  it('breaks ties by provider id, across regions too', () => {
    const m = indexed([provider({ id: 9n, region: 'eu' }), provider({ id: 3n, region: 'us' }), provider({ id: 5n, region: 'eu' })]);
    assert.deepEqual(m.match(job({ id: 1n, replicas: 3 }), opts), { jobId: 1n, matched: true, providers: [3n, 5n, 9n] });
  });

  it("region '' accepts any region, a named region only its own", () => {
    const m = indexed([provider({ id: 1n, region: 'us', deviceCount: 5 })]);
    assert.equal(m.match(job({ id: 1n, region: '' }), opts).matched, true);
    assert.deepEqual(m.match(job({ id: 2n, region: 'eu' }), opts), { jobId: 2n, matched: false, reason: 'no-eligible-provider', eligible: 0, needed: 1 });
    assert.equal(m.match(job({ id: 3n, region: 'us' }), opts).matched, true);
  });

  it('reports no eligible provider for every failed condition', () => {
    const m = indexed([
      provider({ id: 1n, deviceKind: 'cpu' }),
      provider({ id: 2n, memoryMB: 1_024 }),
      provider({ id: 3n, pricePerUnit: 1_001n }), // price > maxPrice
      provider({ id: 4n, stakeFree: 99n }),
      provider({ id: 5n, lastSeen: NOW - WINDOW - 1 }), // stale heartbeat
      provider({ id: 6n, deviceCount: 0 }),
    ]);
    assert.deepEqual(m.match(job({ id: 1n }), opts), { jobId: 1n, matched: false, reason: 'no-eligible-provider', eligible: 0, needed: 1 });
    // Each one alone becomes eligible when the job relaxes its need, or the clock moves back.
    assert.equal(m.match(job({ id: 2n, deviceKind: 'cpu' }), opts).matched, true);
    assert.equal(m.match(job({ id: 3n, minMemoryMB: 1_024 }), opts).matched, true);
    assert.equal(m.match(job({ id: 4n, maxPrice: 1_001n }), opts).matched, true);
    assert.equal(m.match(job({ id: 5n, minStake: 99n }), opts).matched, true);
    assert.deepEqual(m.match(job({ id: 6n }), { now: NOW - 1, aliveWindow: WINDOW }), { jobId: 6n, matched: true, providers: [5n] });
  });

  it('a heartbeat exactly at the window edge is alive', () => {
    const m = indexed([provider({ id: 1n, lastSeen: NOW - WINDOW })]);
    assert.equal(m.match(job({ id: 1n }), opts).matched, true);
  });

  it('more replicas than eligible providers: unmatched with a reason, and no slot taken', () => {
    const m = indexed([provider({ id: 1n }), provider({ id: 2n })]);
    assert.deepEqual(m.match(job({ id: 1n, replicas: 3 }), opts), { jobId: 1n, matched: false, reason: 'too-few-eligible-providers', eligible: 2, needed: 3 });
    assert.equal(m.used(1n), 0);
    assert.deepEqual(m.match(job({ id: 2n, replicas: 2 }), opts), { jobId: 2n, matched: true, providers: [1n, 2n] });
  });

  it('replicas go to distinct providers even when one has spare capacity', () => {
    const m = indexed([provider({ id: 1n, deviceCount: 5 })]);
    assert.equal(m.match(job({ id: 1n, replicas: 2 }), opts).matched, false);
  });

  it('capacity: a provider runs up to deviceCount jobs, then the next best takes over', () => {
    const m = indexed([provider({ id: 1n, deviceCount: 2, pricePerUnit: 10n }), provider({ id: 2n, deviceCount: 1, pricePerUnit: 20n })]);
    const out = m.matchAll([3n, 1n, 4n, 2n].map((id) => job({ id })), opts);
    assert.deepEqual(
      out.map((o) => (o.matched ? o.providers : o.reason)),
      [[1n], [1n], [2n], 'no-eligible-provider'],
    );
    assert.deepEqual(out.map((o) => o.jobId), [1n, 2n, 3n, 4n]);
    m.release(1n);
    assert.deepEqual(m.match(job({ id: 5n }), opts), { jobId: 5n, matched: true, providers: [1n] });
  });

  it('a job holding some replicas gets only the missing ones, never the same provider twice', () => {
    const m = indexed([provider({ id: 1n, deviceCount: 3 }), provider({ id: 2n, deviceCount: 3 }), provider({ id: 3n, deviceCount: 3 })]);
    assert.deepEqual(m.match(job({ id: 1n, replicas: 2 }), opts), { jobId: 1n, matched: true, providers: [1n, 2n] });
    assert.deepEqual(m.match(job({ id: 1n, replicas: 3 }), opts), { jobId: 1n, matched: true, providers: [3n] });
    assert.deepEqual(m.assignments(1n), [1n, 2n, 3n]);
    assert.deepEqual(m.match(job({ id: 1n, replicas: 4 }), opts), { jobId: 1n, matched: false, reason: 'no-eligible-provider', eligible: 0, needed: 1 });
  });

  it('a price update re-ranks, a lower deviceCount caps, a removal drops the provider', () => {
    const m = indexed([provider({ id: 1n, pricePerUnit: 10n, deviceCount: 3 }), provider({ id: 2n, pricePerUnit: 20n, deviceCount: 3 })]);
    assert.deepEqual(m.match(job({ id: 1n }), opts), { jobId: 1n, matched: true, providers: [1n] });
    m.update(provider({ id: 1n, pricePerUnit: 30n, deviceCount: 3 }));
    assert.deepEqual(m.match(job({ id: 2n }), opts), { jobId: 2n, matched: true, providers: [2n] });
    m.update(provider({ id: 2n, pricePerUnit: 20n, deviceCount: 1 }));
    assert.deepEqual(m.match(job({ id: 3n }), opts), { jobId: 3n, matched: true, providers: [1n] });
    m.remove(1n);
    assert.deepEqual(m.match(job({ id: 4n }), opts), { jobId: 4n, matched: false, reason: 'no-eligible-provider', eligible: 0, needed: 1 });
  });

  it('a stake or memory update alone (same price) is seen by the next match', () => {
    const m = indexed([provider({ id: 1n, stakeFree: 100n, deviceCount: 5 }), provider({ id: 2n, stakeFree: 100n, memoryMB: 1_024, deviceCount: 5 })]);
    assert.equal(m.match(job({ id: 1n, minStake: 50n }), opts).matched, true);
    m.update(provider({ id: 2n, stakeFree: 1_000n, memoryMB: 1_024, deviceCount: 5 }));
    assert.deepEqual(m.match(job({ id: 2n, minStake: 500n, minMemoryMB: 0 }), opts), { jobId: 2n, matched: true, providers: [2n] });
    m.update(provider({ id: 2n, stakeFree: 1_000n, memoryMB: 65_536, deviceCount: 5 }));
    assert.deepEqual(m.match(job({ id: 3n, minMemoryMB: 65_536 }), opts), { jobId: 3n, matched: true, providers: [2n] });
  });

  it('rejects bad input with a named error', () => {
    const m = indexed([provider({ id: 1n })]);
    assert.throws(() => m.add(provider({ id: 1n })), MatcherError);
    assert.throws(() => m.add(provider({ id: 2n, reputation: 101 })), MatcherError);
    assert.throws(() => m.update(provider({ id: 3n })), MatcherError);
    assert.throws(() => m.match(job({ id: 1n, replicas: 0 }), opts), MatcherError);
    assert.throws(() => m.matchAll([job({ id: 1n, replicas: 6 })], opts), MatcherError);
  });
});
