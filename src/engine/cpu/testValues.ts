/** Deterministic test inputs for the 'cpu' kernel tests. */

/** Returns uniform values in [-1, 1) from a 32-bit linear congruential generator seeded with `seed`. */
export function randomValues(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}
