/**
 * Seeded pseudo-random numbers, so that shuffles and simulations are reproducible across runs
 * and backends (bench/rpie_numpy.py ports the same generator to match the solver's batches).
 */

/** Returns a Mulberry32 generator of uniform numbers in [0, 1) for a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a Fisher–Yates shuffled copy of `values`, drawing from `random`. */
export function shuffle<T>(values: readonly T[], random: () => number): T[] {
  const result = values.slice();
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}
