// Times the CPU FFT2 paths on the shapes of the FFT2 table in docs/performance.md, in Node:
//   npx vitest bench --run src/engine/cpu/wasm/fft2.bench.ts
// Compare with `python3 bench/fft_numpy.py`, which times np.fft.fft2 on the same shapes.
import { bench, describe } from 'vitest';

import { fft2Scalar, fft2Simd, fft2ThreadsReady } from '../fft';
import { randomValues } from '../testValues';

const helperCount = await fft2ThreadsReady();

const cases = [
  { batch: 64, size: 64 },
  { batch: 16, size: 128 },
  { batch: 16, size: 256 },
];

for (const { batch, size } of cases) {
  describe(`${batch} × ${size}², forward`, () => {
    const input = randomValues(batch * size * size * 2, size);
    const output = new Float32Array(input.length);

    bench('fft2Scalar', () => fft2Scalar(input, output, batch, size, false));
    bench('fft2Simd, one thread', () => fft2Simd(input, output, batch, size, false, 'never'));
    bench.skipIf(helperCount === 0)(`fft2Simd, ${helperCount + 1} threads`, () =>
      fft2Simd(input, output, batch, size, false, 'always'),
    );
  });
}
