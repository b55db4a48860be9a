"""Build public/data/siemens-star.npz, the sample scan bundled with the app.

The source is tike's experimental Siemens-star scan (AdvancedPhotonSource/tike,
tests/data/siemens-star-small.npz.bz2) as a decompressed .npz, with tike's LICENSE-tike.txt
beside it. DEFAULT_SOURCE is where the project keeps that copy, outside the repository.
The arrays keep their names and shapes.
The only change is the storage type of the photon counts: they are whole numbers no larger than
963, so uint16 stores them exactly and the file shrinks. The script checks that the uint16 copy
converts back to exactly the original float32 values before writing.

Run from the repository root:

    python3 scripts/make_bundled_data.py [path/to/siemens-star-tike.npz]
"""
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "siemens-star" / "siemens-star-tike.npz"
OUT_DIR = ROOT / "public" / "data"


def main():
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    with np.load(source, allow_pickle=False) as original:
        data = original["data"]
        probe = original["probe"]
        scan = original["scan"]

    if data.shape[:1] != (1,) or data.ndim != 4:
        sys.exit(f"data has shape {data.shape}, expected (1, M, N, N)")
    if not np.all(np.isfinite(data)) or data.min() < 0 or data.max() > np.iinfo(np.uint16).max:
        sys.exit(f"data values span {data.min()} to {data.max()}, which uint16 cannot hold")

    counts = data.astype(np.uint16)
    if not np.array_equal(counts.astype(data.dtype), data):
        sys.exit("data contains non-integer values, so a uint16 copy would not be lossless")
    probe64 = probe.astype(np.complex64)
    scan32 = scan.astype(np.float32)
    if not (np.array_equal(probe64, probe) and np.array_equal(scan32, scan)):
        sys.exit("probe or scan changed when converted to complex64 or float32")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / "siemens-star.npz"
    np.savez_compressed(target, data=counts, probe=probe64, scan=scan32)
    shutil.copyfile(source.parent / "LICENSE-tike.txt", OUT_DIR / "LICENSE-tike.txt")

    with np.load(target, allow_pickle=False) as written:
        assert written["data"].dtype == np.uint16
        assert np.array_equal(written["data"].astype(np.float32), data)
        assert np.array_equal(written["probe"], probe)
        assert np.array_equal(written["scan"], scan)

    print(f"wrote {target.relative_to(ROOT)}: {target.stat().st_size} bytes")
    print(f"  data  {counts.shape} uint16, max {counts.max()}")
    print(f"  probe {probe64.shape} complex64")
    print(f"  scan  {scan32.shape} float32")


if __name__ == "__main__":
    main()
