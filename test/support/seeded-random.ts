/**
 * @module test/support/seeded-random
 * mulberry32 (Tommy Ettinger's 32-bit generator): a tiny seeded PRNG, so every simulated stream, random graph and
 * fuzz run can be replayed from its seed. One copy for the tests that simulate (statistics bounds, the fuzz, random
 * DAGs) instead of one per file. Not for property tests: those use fast-check, which shrinks.
 */

/** A generator of floats in [0, 1), the same sequence for the same `seed` (any integer; taken as uint32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
