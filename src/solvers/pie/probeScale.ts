/**
 * Scales a probe guess onto the data's photon scale.
 *
 * With a unitary FFT, Parseval gives Σ|FFT(P·O)|² = Σ|P·O|². For the initial object O = 1 the
 * modelled photon count per pattern is Σ|P|², so the probe is scaled until that equals the mean
 * measured count per pattern. Returns a new interleaved array; the input is left unchanged.
 */
export function scaleProbeToPhotons(probe: Float32Array, intensities: Float32Array, patternCount: number): Float32Array {
  let probePower = 0;
  for (let i = 0; i < probe.length; i += 1) probePower += probe[i] * probe[i];
  let totalCounts = 0;
  for (let i = 0; i < intensities.length; i += 1) totalCounts += intensities[i];
  const meanCounts = totalCounts / patternCount;
  if (!(probePower > 0) || !(meanCounts > 0)) {
    throw new Error(
      `Cannot scale the probe: its power Σ|P|² is ${probePower} and the mean count per pattern is ${meanCounts}; both must be positive.`,
    );
  }
  const factor = Math.sqrt(meanCounts / probePower);
  const scaled = new Float32Array(probe.length);
  for (let i = 0; i < probe.length; i += 1) scaled[i] = probe[i] * factor;
  return scaled;
}

/**
 * Builds a probe guess for data without one: a real disk of amplitude 1 whose radius is a quarter
 * of the window, with an edge that falls off over about 1.5 pixels.
 */
export function defaultProbe(size: number): Float32Array {
  const probe = new Float32Array(size * size * 2);
  const radius = size / 4;
  const centre = (size - 1) / 2;
  for (let row = 0; row < size; row += 1) {
    for (let col = 0; col < size; col += 1) {
      const distance = Math.hypot(row - centre, col - centre);
      probe[(row * size + col) * 2] = 1 / (1 + Math.exp((distance - radius) / 1.5));
    }
  }
  return probe;
}
