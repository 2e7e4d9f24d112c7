// The repository's one seeded pseudo-random generator (mulberry32) and its helpers: pure, no imports, the lowest
// layer. The compute domain (example inputs, weights), the agents' strategies (per-agent variation) and the
// simulator (feed noise, agent order, populations) all draw from it, so a seed means the same stream everywhere.

/**
 * mulberry32 as an object: 32 bits of state, one uint32 word per `u32()`. Its period (2^32 words) is far above
 * what one simulation draws (agents x steps shuffle draws, about 1e8 for the 10k x 10k bench).
 * @example const g = new Mulberry32(1); g.u32() // 2693084354
 */
export class Mulberry32 {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
}

/**
 * A seeded generator of uint32 words (mulberry32).
 * @example const next = mulberry32(1); next() // 2693084354
 */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.u32();
}

/**
 * A seeded random number generator (mulberry32) in [0, 1).
 * @example const rng = seededRng(42); rng() // 0.6011…
 */
export function seededRng(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/**
 * Deterministic pseudo-random bytes (mulberry32 words, little-endian), for example inputs.
 * @example seededBytes(1, 16)
 */
export function seededBytes(seed: number, length: number): Uint8Array {
  const g = new Mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const t = g.u32();
    for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (t >>> (8 * k)) & 0xff;
  }
  return out;
}

/**
 * A 32-bit seed for sub-stream `stream` of `seed` (murmur3's finaliser over both), so that streams of one seed
 * and the same stream of neighbouring seeds start far apart.
 * @example new Mulberry32(mixSeed(runSeed, 3))
 */
export function mixSeed(seed: number, stream = 0): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stream >>> 0) + 0x7f4a7c15, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
