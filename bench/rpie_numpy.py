#!/usr/bin/env python3
"""Time batched rPIE in plain NumPy on the bundled Siemens-star scan.

This is the reference for `npm run bench`. It follows src/solvers/pie/pie.ts step by step:
the same geometry (positions shifted so the smallest sits at 4 px, then rounded), the same
probe scaling (sum |P|^2 = mean counts per pattern), the same batching and shuffles (the
Mulberry32 generator with the same seed, so batches and their order match the browser's),
the same update formulas and Fourier error, in complex64 with a unitary FFT.

With --upsample U (U > 1) the far field is modelled on a U-times finer detector grid, as
src/solvers/pie/farField.ts does: the probe window grows to M = U·N, the start probe is
zero-padded into it with a phase ramp, and U×U fine intensities are summed per measured pixel.

Usage: python3 bench/rpie_numpy.py --iterations 5 --warmup 1 --json
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "public" / "data" / "siemens-star.npz"

# Guards against dividing by a vanishing modulus or denominator. The browser kernels use 1e-30
# instead; on the bundled scan both give the same Fourier errors to float32 rounding.
EPSILON = 1e-12
PADDING_PX = 4
MASK32 = 0xFFFFFFFF


def imul(a, b):
    """Multiply two 32-bit integers modulo 2^32, as JavaScript's Math.imul does."""
    return (a * b) & MASK32


def seeded_random(seed):
    """Mulberry32, bit for bit as in src/util/random.ts, so one seed gives the browser's shuffles."""
    state = seed & MASK32

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK32
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & MASK32
        t &= MASK32
        return (t ^ (t >> 14)) / 4294967296

    return draw


def shuffle(values, random):
    """Fisher-Yates from the end, with the same draws as src/util/random.ts."""
    result = list(values)
    for i in range(len(result) - 1, 0, -1):
        j = int(random() * (i + 1))
        result[i], result[j] = result[j], result[i]
    return result


def load_scan(path):
    """Read tike's layout: data (1, M, N, N) counts, scan (1, M, 2) as (row, col), probe (..., N, N)."""
    with np.load(path) as archive:
        intensities = archive["data"][0].astype(np.float32)
        positions = archive["scan"][0].astype(np.float64)
        probe = archive["probe"].reshape(intensities.shape[1:]).astype(np.complex64)
    return intensities, positions, probe


def scan_geometry(positions, size):
    """Round the window corners after shifting the smallest to PADDING_PX, as geometry.ts does."""
    shifted = positions - (positions.min(axis=0) - PADDING_PX)
    # JavaScript's Math.round rounds halves up, where np.round would round them to even.
    corners = np.floor(shifted + 0.5).astype(np.int64)
    height = int(corners[:, 0].max()) + size + PADDING_PX
    width = int(corners[:, 1].max()) + size + PADDING_PX
    return corners, height, width


# Extra modes start as the probe times these polynomials of the window coordinates (x, y in
# [-0.5, 0.5)), each with this share of the total power, as in src/solvers/pie/probeModes.ts.
SEED_POLYNOMIALS = [
    lambda x, y: x,
    lambda x, y: y,
    lambda x, y: x * y,
    lambda x, y: x * x - y * y,
    lambda x, y: x * x + y * y - 1 / 6,
    lambda x, y: x * (x * x + y * y) - 0.3 * x,
    lambda x, y: y * (x * x + y * y) - 0.3 * y,
]
INITIAL_EXTRA_MODE_POWER = 0.02


def initial_probe_modes(probe, count):
    """Stack `count` starting modes (K, N, N): the probe and polynomial-weighted copies of it."""
    size = probe.shape[0]
    power = float(np.sum(np.abs(probe.astype(np.complex128)) ** 2))
    modes = [probe * np.float32(np.sqrt(1 - INITIAL_EXTRA_MODE_POWER * (count - 1)))]
    coordinates = np.arange(size) / size - 0.5
    y, x = np.meshgrid(coordinates, coordinates, indexing="ij")
    for mode in range(1, count):
        seeded = probe * SEED_POLYNOMIALS[(mode - 1) % len(SEED_POLYNOMIALS)](x, y)
        seeded_power = float(np.sum(np.abs(seeded) ** 2))
        modes.append(seeded * np.sqrt(INITIAL_EXTRA_MODE_POWER * power / seeded_power))
    return np.stack(modes).astype(np.complex64)


def orthogonalize_probe_modes(modes):
    """Return orthogonal modes sorted by power, from the SVD of the (K, N*N) matrix of modes."""
    count = modes.shape[0]
    _, singular_values, rows = np.linalg.svd(modes.reshape(count, -1).astype(np.complex128), full_matrices=False)
    return (singular_values[:, None] * rows).reshape(modes.shape).astype(np.complex64)


def upsampling_ramp(window, upsample):
    """Return exp(2πi·o·(x + y)/M) on the M×M window, o = (U − 1)/2, x and y the pixel indices.

    Multiplying the probe by it shifts its far field by o fine samples, so the U×U block of fine
    samples U·k .. U·k + U − 1 (FFT order) centres on measured pixel k.
    """
    offset = (upsample - 1) / 2
    x = np.arange(window)
    return np.exp(2j * np.pi * offset * (x[:, None] + x[None, :]) / window).astype(np.complex64)


def pad_probe_modes(modes, window, upsample):
    """Zero-pad modes (K, N, N) into the centre of (K, M, M) and apply upsampling_ramp, keeping Σ|P|²."""
    count, size, _ = modes.shape
    start = (window - size) // 2
    padded = np.zeros((count, window, window), dtype=np.complex64)
    padded[:, start:start + size, start:start + size] = modes
    return (padded * upsampling_ramp(window, upsample)).astype(np.complex64)


def bin_intensities(fine, upsample):
    """Sum U×U blocks of fine far-field intensities (..., M, M) into measured pixels (..., N, N)."""
    size = fine.shape[-1] // upsample
    return fine.reshape(fine.shape[:-2] + (size, upsample, size, upsample)).sum(axis=(-3, -1))


def spread_to_fine_grid(values, upsample):
    """Repeat each measured-pixel value (..., N, N) over its U×U block of fine samples (..., M, M)."""
    return np.repeat(np.repeat(values, upsample, axis=-2), upsample, axis=-1)


class RpieSolver:
    def __init__(
        self, intensities, positions, probe, batch_size, alpha, beta, probe_update_start, seed, probe_modes=1,
        upsample=1,
    ):
        count, pattern_size, _ = intensities.shape
        # The window (probe, object patch, FFT) is M = U·N; with U = 1 it is the pattern size.
        size = upsample * pattern_size
        self.upsample = upsample
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.probe_update_start = probe_update_start
        self.random = seeded_random(seed)
        # The window of M is centred where the pattern's window of N is, so its corner moves up and
        # left by (M − N)/2, as in pie.ts. The shift is a whole number of pixels and leaves the corners unchanged.
        self.corners, height, width = scan_geometry(positions - (size - pattern_size) // 2, size)
        self.total_counts = float(intensities.sum(dtype=np.float64))

        mean_counts = self.total_counts / count
        probe_power = float(np.sum(np.abs(probe.astype(np.complex128)) ** 2))
        self.probe = (probe * np.float32(np.sqrt(mean_counts / probe_power))).astype(np.complex64)
        # Probe modes (K, N, N); with one mode this is the probe with a leading axis of 1.
        self.modes = initial_probe_modes(self.probe, probe_modes)
        if upsample > 1:
            self.modes = pad_probe_modes(self.modes, size, upsample)
        self.object = np.ones((height, width), dtype=np.complex64)

        amplitudes = np.sqrt(np.maximum(intensities, 0)).astype(np.float32)
        order = shuffle(range(count), self.random)
        self.batches = []
        for start in range(0, count, batch_size):
            members = order[start:start + batch_size]
            self.batches.append((amplitudes[members], self.corners[members]))
        self.completed_iterations = 0

    def extract_patches(self, corners):
        n = self.size
        return np.stack([self.object[r:r + n, c:c + n] for r, c in corners])

    def overlap_sum(self, patches, corners):
        n = self.size
        total = np.zeros(self.object.shape, dtype=patches.dtype)
        for patch, (r, c) in zip(patches, corners):
            total[r:r + n, c:c + n] += patch
        return total

    def update_batch(self, amplitudes, corners, update_probe):
        """Update the object (and probe modes) from one batch; return sum (|Psi| - sqrt(I))^2 of the batch."""
        modes = self.modes
        patches = self.extract_patches(corners)
        exit_waves = modes[None] * patches[:, None]
        far_field = np.fft.fft2(exit_waves, norm="ortho")
        intensity = np.sum(far_field.real ** 2 + far_field.imag ** 2, axis=1)
        if self.upsample > 1:
            intensity = bin_intensities(intensity, self.upsample)
        modulus = np.sqrt(intensity)
        residual = float(np.sum((modulus - amplitudes) ** 2, dtype=np.float64))
        factor = amplitudes / np.maximum(modulus, np.float32(EPSILON))
        if self.upsample > 1:
            factor = spread_to_fine_grid(factor, self.upsample)
        projected = far_field * factor[:, None]
        difference = np.fft.ifft2(projected, norm="ortho") - exit_waves

        object_numerator = self.overlap_sum(np.sum(np.conj(modes)[None] * difference, axis=1), corners)
        probe_power = np.sum(modes.real ** 2 + modes.imag ** 2, axis=0).astype(np.float32)
        coverage = self.overlap_sum(np.broadcast_to(probe_power, patches.shape), corners)
        object_denominator = (1 - self.alpha) * coverage + self.alpha * coverage.max()
        self.object = (
            self.object + object_numerator / np.maximum(object_denominator, np.float32(EPSILON))
        ).astype(np.complex64)

        if update_probe:
            probe_numerator = np.sum(np.conj(patches)[:, None] * difference, axis=0)
            patch_power = np.sum(patches.real ** 2 + patches.imag ** 2, axis=0)
            probe_denominator = (1 - self.beta) * patch_power + self.beta * patch_power.max()
            self.modes = (
                modes + probe_numerator / np.maximum(probe_denominator, np.float32(EPSILON))
            ).astype(np.complex64)
        return residual

    def iterate(self):
        """Run one pass over all positions and return its Fourier error."""
        update_probe = self.completed_iterations >= self.probe_update_start
        residual = 0.0
        for index in shuffle(range(len(self.batches)), self.random):
            amplitudes, corners = self.batches[index]
            residual += self.update_batch(amplitudes, corners, update_probe)
        if update_probe and self.modes.shape[0] > 1:
            self.modes = orthogonalize_probe_modes(self.modes)
        self.completed_iterations += 1
        return float(np.sqrt(residual / self.total_counts))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5, help="iterations timed one by one (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations run first (default 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="scan positions per batch (default 32)")
    parser.add_argument("--alpha", type=float, default=0.1, help="rPIE object weight (default 0.1)")
    parser.add_argument("--beta", type=float, default=0.1, help="rPIE probe weight (default 0.1)")
    parser.add_argument(
        "--probe-update-start", type=int, default=1, help="first 0-based iteration that updates the probe (default 1)"
    )
    parser.add_argument("--probe-modes", type=int, default=1, help="number of probe modes (default 1)")
    parser.add_argument(
        "--upsample",
        type=int,
        default=1,
        help="far-field upsampling U: model each detector pixel as U×U finer samples (default 1, off)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the shuffles (default 1, as in options.ts)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"scan in tike's layout (default {DEFAULT_DATA})")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a line per iteration")
    arguments = parser.parse_args()
    if arguments.iterations < 1 or arguments.warmup < 0 or arguments.batch_size < 1:
        parser.error(
            "--iterations and --batch-size must be at least 1 and --warmup at least 0, received "
            f"{arguments.iterations}, {arguments.batch_size} and {arguments.warmup}"
        )
    if arguments.upsample < 1:
        parser.error(f"--upsample must be at least 1, received {arguments.upsample}")
    if not arguments.data.is_file():
        parser.error(f"scan file not found: {arguments.data}")
    return arguments


def main():
    arguments = parse_arguments()
    intensities, positions, probe = load_scan(arguments.data)
    solver = RpieSolver(
        intensities,
        positions,
        probe,
        batch_size=arguments.batch_size,
        alpha=arguments.alpha,
        beta=arguments.beta,
        probe_update_start=arguments.probe_update_start,
        seed=arguments.seed,
        probe_modes=arguments.probe_modes,
        upsample=arguments.upsample,
    )

    warmup_errors = [solver.iterate() for _ in range(arguments.warmup)]
    seconds = []
    errors = []
    for _ in range(arguments.iterations):
        start = time.perf_counter()
        errors.append(solver.iterate())
        seconds.append(time.perf_counter() - start)

    if arguments.json:
        report = {
            "secondsPerIteration": seconds,
            "fourierErrors": errors,
            "warmupFourierErrors": warmup_errors,
            "numpyVersion": np.__version__,
            "pythonVersion": platform.python_version(),
        }
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        for index, error in enumerate(warmup_errors):
            print(f"warmup {index}: Fourier error {error:.6f}")
        for index, (second, error) in enumerate(zip(seconds, errors)):
            print(f"iteration {index}: {second:.3f} s, Fourier error {error:.6f}")


if __name__ == "__main__":
    main()
