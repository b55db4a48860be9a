#!/usr/bin/env python3
"""Write NumPy references of the unitary 2-D FFT for small sizes and odd batches.

The kernel fixtures in test/fixtures/kernels start at N = 32 with batches of 1 to 4. These add
N = 2 to 32 with batches of 1 and 3, forward and inverse, for the FFT2 tests of both CPU paths.
Each case stores the float32 input and the float32 result of np.fft.fft2 or np.fft.ifft2 with
norm="ortho", computed in complex128, as interleaved [B, N, N, 2] arrays.

Usage: python3 src/engine/cpu/wasm/make_fft2_fixtures.py   (rewrites fixtures/; commit them)
"""

import json
from pathlib import Path

import numpy as np

OUTPUT_DIR = Path(__file__).parent / "fixtures"
SIZES = [2, 4, 8, 16, 32]
BATCHES = [1, 3]


def interleave(z):
    """Return complex z of shape [B, N, N] as float32 [B, N, N, 2]."""
    return np.stack([z.real, z.imag], axis=-1).astype(np.float32)


def main():
    OUTPUT_DIR.mkdir(exist_ok=True)
    generator = np.random.default_rng(20261204)
    cases = []
    for n in SIZES:
        for batch in BATCHES:
            for direction, transform in (("forward", np.fft.fft2), ("inverse", np.fft.ifft2)):
                name = f"fft2-{direction}-{batch}x{n}"
                x = interleave(generator.standard_normal((batch, n, n)) + 1j * generator.standard_normal((batch, n, n)))
                z = x[..., 0].astype(np.float64) + 1j * x[..., 1].astype(np.float64)
                expected = interleave(transform(z, norm="ortho"))
                x.tofile(OUTPUT_DIR / f"{name}.x.bin")
                expected.tofile(OUTPUT_DIR / f"{name}.expected.bin")
                cases.append({"name": name, "inverse": direction == "inverse", "batch": batch, "size": n})
    (OUTPUT_DIR / "manifest.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n")
    print(f"Wrote {len(cases)} cases to {OUTPUT_DIR}.")


if __name__ == "__main__":
    main()
