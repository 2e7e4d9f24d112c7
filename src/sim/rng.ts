// Seeded randomness for the simulator: the feed's GBM, the agents' order within a step, the populations. Built on
// the repository's one generator (mulberry32, src/math/random.ts); each use gets its own sub-stream of the run's
// seed. A run is a pure function of (scenario, seed).
import { mixSeed, Mulberry32 } from '../math/random.ts';

/**
 * A seeded generator with the simulator's helpers.
 * @example const r = new Rng(42, 3); r.next(); r.normal(); r.shuffle(order);
 */
export class Rng extends Mulberry32 {
  private spare = Number.NaN;

  constructor(seed: number, stream = 0) {
    super(mixSeed(seed, stream));
  }

  /** Standard normal (Box–Muller, the spare kept). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(a: Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = (this.u32() % (i + 1)) | 0;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}
