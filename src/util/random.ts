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

/** Returns a standard normal sample by the Box–Muller transform, drawing two uniforms from `random`. */
export function gaussianSample(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Returns a Poisson sample of mean `mean`: Knuth's product method up to a mean of 50, and above it
 * the normal approximation, rounded and clipped at 0.
 */
export function poissonSample(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussianSample(random)));
  const limit = Math.exp(-mean);
  let product = random();
  let count = 0;
  while (product > limit) {
    count += 1;
    product *= random();
  }
  return count;
}
