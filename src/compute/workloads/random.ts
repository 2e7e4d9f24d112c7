// The one seeded random generator of the compute domain (mulberry32): reproducible example inputs, weights,
// cheating in tests and demos. (The sandbox's trainer keeps its own copy: it travels to the worker as source.)

/**
 * A seeded generator of uint32 words (mulberry32).
 * @example const next = mulberry32(1); next() // 2693084354
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A seeded random number generator (mulberry32) in [0, 1).
 * @example const rng = seededRng(42); rng() // 0.6011…
 */
export function seededRng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/**
 * Deterministic pseudo-random bytes (mulberry32 words, little-endian), for example inputs.
 * @example seededBytes(1, 16)
 */
export function seededBytes(seed: number, length: number): Uint8Array {
  const next = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const t = next();
    for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (t >>> (8 * k)) & 0xff;
  }
  return out;
}
