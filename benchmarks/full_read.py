"""Times a full read of a 3-D uint16 array: zarrs_cffi.read vs zarr-python's default pipeline.

    python benchmarks/full_read.py [--size 512] [--runs 7] [--dir /tmp/zarrs-cffi-bench]

Writes the arrays once (uncompressed and zstd, 64^3 chunks) and reports the median wall
time of each reader over interleaved runs, with the page cache warm.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import ZstdCodec

import zarrs_cffi


def make_array(path: Path, size: int, compressors: object) -> None:
    if path.exists():
        return
    z = zarr.create_array(str(path), shape=(size,) * 3, chunks=(64,) * 3, dtype="uint16", compressors=compressors)
    rng = np.random.default_rng(0)
    for i in range(0, size, 64):
        # Smooth data with noise, so zstd has something realistic to do.
        plane = (np.arange(size)[None, :] + np.arange(size)[:, None]).astype(np.uint16)
        z[i : i + 64] = plane[None] + rng.integers(0, 64, (min(64, size - i), size, size), dtype=np.uint16)


def parse_args(description: str, runs: int) -> argparse.Namespace:
    """The options every benchmark script takes; creates the data directory."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/zarrs-cffi-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    return args


def median_seconds(read: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    args = parse_args(__doc__, runs=7)
    print(f"{args.size}^3 uint16 = {args.size**3 * 2 / 2**20:.0f} MiB, {args.runs} runs, zarr {zarr.__version__}")
    print("| layout | zarr-python (s) | zarrs_cffi.read (s) | speed-up |")
    print("| --- | --- | --- | --- |")
    for layout, compressors in [("uncompressed", None), ("zstd", ZstdCodec(level=1))]:
        path = args.dir / f"full-{args.size}-{layout}.zarr"
        make_array(path, args.size, compressors)
        expected = zarr.open_array(str(path))[...]
        np.testing.assert_array_equal(zarrs_cffi.read(path), expected)
        del expected
        timings: dict[str, list[float]] = {"zarr": [], "cffi": []}
        for _ in range(args.runs):
            timings["zarr"] += median_seconds(lambda path=path: zarr.open_array(str(path))[...], 1)
            timings["cffi"] += median_seconds(lambda path=path: zarrs_cffi.read(path), 1)
        zarr_s = statistics.median(timings["zarr"])
        cffi_s = statistics.median(timings["cffi"])
        print(f"| {layout} | {zarr_s:.3f} | {cffi_s:.3f} | {zarr_s / cffi_s:.1f}x |")


if __name__ == "__main__":
    main()
