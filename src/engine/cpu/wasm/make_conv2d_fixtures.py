#!/usr/bin/env python3
"""Write NumPy references of stride-1 NHWC 2-D convolutions for the conv2d kernel tests.

Each case stores float32 input x [B, H, W, Cin], filter w [kh, kw, Cin, Cout] and bias [Cout],
and three float32 results, summed directly over the filter taps in float64:
- forward: relu(conv(x, w) + bias), 'same' zero padding (kh // 2 rows and kw // 2 columns);
- backprop input: dx = d/dx of sum(dy · conv(x, w)) for a random dy [B, H, W, Cout];
- backprop filter: dw = d/dw of the same sum.
All arrays are little-endian float32 files, named after the case in fixtures/conv2d-cases.json.

Usage: python3 src/engine/cpu/wasm/make_conv2d_fixtures.py   (rewrites the conv2d fixtures; commit them)
"""

import json
from pathlib import Path

import numpy as np

OUTPUT_DIR = Path(__file__).parent / "fixtures"
# (batch, height, width, inChannels, outChannels)
CASES = [
    (2, 5, 7, 1, 8),
    (2, 5, 7, 3, 1),
    (2, 5, 7, 8, 16),
    (2, 16, 16, 16, 32),
    (2, 16, 16, 32, 3),
    (2, 7, 5, 32, 1),
    (2, 16, 16, 1, 1),
    (2, 6, 9, 3, 8),
]
KERNEL = 3


def padded(x, pad):
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def forward(x, w, bias):
    """Return conv(x, w) + bias with 'same' padding, in float64."""
    batch, height, width, _ = x.shape
    kh, kw, _, cout = w.shape
    xp = padded(x, kh // 2)
    y = np.zeros((batch, height, width, cout))
    for ky in range(kh):
        for kx in range(kw):
            y += np.einsum("bhwi,io->bhwo", xp[:, ky : ky + height, kx : kx + width, :], w[ky, kx])
    return y + bias


def backprop_input(dy, w, height, width):
    """Return d/dx of sum(dy · conv(x, w)) with 'same' padding, in float64."""
    kh, kw, cin, _ = w.shape
    pad = kh // 2
    batch = dy.shape[0]
    dxp = np.zeros((batch, height + 2 * pad, width + 2 * pad, cin))
    for ky in range(kh):
        for kx in range(kw):
            dxp[:, ky : ky + height, kx : kx + width, :] += np.einsum("bhwo,io->bhwi", dy, w[ky, kx])
    return dxp[:, pad : pad + height, pad : pad + width, :]


def backprop_filter(x, dy, kh, kw):
    """Return d/dw of sum(dy · conv(x, w)) with 'same' padding, in float64."""
    _, height, width, cin = x.shape
    xp = padded(x, kh // 2)
    dw = np.zeros((kh, kw, cin, dy.shape[-1]))
    for ky in range(kh):
        for kx in range(kw):
            dw[ky, kx] = np.einsum("bhwi,bhwo->io", xp[:, ky : ky + height, kx : kx + width, :], dy)
    return dw


def main():
    OUTPUT_DIR.mkdir(exist_ok=True)
    generator = np.random.default_rng(20261205)
    cases = []
    for batch, height, width, cin, cout in CASES:
        name = f"conv2d-{batch}x{height}x{width}x{cin}-to-{cout}"
        x = generator.standard_normal((batch, height, width, cin)).astype(np.float32)
        w = (generator.standard_normal((KERNEL, KERNEL, cin, cout)) / np.sqrt(9 * cin)).astype(np.float32)
        bias = (0.1 * generator.standard_normal(cout)).astype(np.float32)
        dy = generator.standard_normal((batch, height, width, cout)).astype(np.float32)
        x64, w64, dy64 = x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64)
        arrays = {
            "x": x,
            "w": w,
            "bias": bias,
            "dy": dy,
            "forward": np.maximum(forward(x64, w64, bias.astype(np.float64)), 0),
            "dx": backprop_input(dy64, w64, height, width),
            "dw": backprop_filter(x64, dy64, KERNEL, KERNEL),
        }
        for key, value in arrays.items():
            value.astype("<f4").tofile(OUTPUT_DIR / f"{name}.{key}.bin")
        cases.append({"name": name, "batch": batch, "height": height, "width": width, "inChannels": cin, "outChannels": cout, "kernel": KERNEL})
    (OUTPUT_DIR / "conv2d-cases.json").write_text(json.dumps(cases, indent=2) + "\n")
    print(f"Wrote {len(cases)} conv2d cases to {OUTPUT_DIR}.")


if __name__ == "__main__":
    main()
