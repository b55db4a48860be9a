#!/usr/bin/env python3
"""Time np.fft.fft2(x, norm="ortho") on batches of complex64 fields.

This is the NumPy reference for the FFT2 table of `npm run bench`. Each case is a batch of B
random N×N fields, transformed over the last two axes in one call. NumPy 2 computes complex64
input in single precision, as the browser kernels do.

Usage: python3 bench/fft_numpy.py --cases 64x64,16x128,16x256 --repeats 5 --warmup 1 --json
"""

import argparse
import json
import platform
import sys
import time

import numpy as np


def parse_case(text):
    """Parse "BxN" (batch by side) into a (batch, size) pair."""
    try:
        batch, size = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid case "{text}", expected BATCHxSIZE such as 16x128') from None
    if batch < 1 or size < 1:
        raise argparse.ArgumentTypeError(f'invalid case "{text}", batch and size must be at least 1')
    return batch, size


def time_case(batch, size, repeats, warmup, generator):
    """Return the wall time in milliseconds of each timed fft2 call."""
    shape = (batch, size, size)
    fields = (generator.standard_normal(shape, dtype=np.float32)
              + 1j * generator.standard_normal(shape, dtype=np.float32)).astype(np.complex64)
    milliseconds = []
    for run in range(warmup + repeats):
        start = time.perf_counter()
        spectrum = np.fft.fft2(fields, norm="ortho")
        elapsed = (time.perf_counter() - start) * 1000
        if run >= warmup:
            milliseconds.append(elapsed)
    return {"batch": batch, "size": size, "milliseconds": milliseconds, "dtype": str(spectrum.dtype)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases",
        default="64x64,16x128,16x256",
        help="comma-separated BATCHxSIZE cases (default 64x64,16x128,16x256)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per case (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls per case first (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random fields (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a line per case")
    arguments = parser.parse_args()
    if arguments.repeats < 1 or arguments.warmup < 0:
        parser.error(
            f"--repeats must be at least 1 and --warmup at least 0, received {arguments.repeats} and {arguments.warmup}"
        )
    try:
        cases = [parse_case(text) for text in arguments.cases.split(",") if text.strip()]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))

    generator = np.random.default_rng(arguments.seed)
    results = [time_case(batch, size, arguments.repeats, arguments.warmup, generator) for batch, size in cases]

    if arguments.json:
        report = {
            "cases": results,
            "numpyVersion": np.__version__,
            "pythonVersion": platform.python_version(),
        }
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        for result in results:
            median = float(np.median(result["milliseconds"]))
            print(f'{result["batch"]}×{result["size"]}×{result["size"]}: median {median:.3f} ms')


if __name__ == "__main__":
    main()
