"""Times zarr-python reads through different codec pipelines on the same arrays.

    python benchmarks/pipeline_read.py [--size 512] [--runs 5] [--dir /tmp/zarrs-cffi-bench]

Pipelines: zarr's default (BatchedCodecPipeline), zarrs-python (PyPI `zarrs`, when
installed) and zarrs_cffi.ZarrsCodecPipeline. Scenarios: the whole array in one read,
and every chunk in its own read. Arrays are the ones benchmarks/full_read.py writes.
Reports medians of interleaved runs (page cache warm) and ratios to zarr's default.
"""

from __future__ import annotations

import importlib.util
import itertools
import statistics
import time

import numpy as np
import zarr
from full_read import make_array, parse_args
from zarr.codecs import ZstdCodec

PIPELINES = {
    "zarr (Batched)": "zarr.core.codec_pipeline.BatchedCodecPipeline",
    "zarrs-python": "zarrs.ZarrsCodecPipeline",
    "zarrs_cffi": "zarrs_cffi.ZarrsCodecPipeline",
}


def read_all(path: str) -> None:
    zarr.open_array(path, mode="r")[...]


def read_chunk_by_chunk(path: str) -> None:
    z = zarr.open_array(path, mode="r")
    for origin in itertools.product(*(range(0, s, c) for s, c in zip(z.shape, z.chunks, strict=True))):
        z[tuple(slice(o, o + c) for o, c in zip(origin, z.chunks, strict=True))]


def main() -> None:
    args = parse_args(__doc__, runs=5)
    pipelines = {name: path for name, path in PIPELINES.items() if importlib.util.find_spec(path.split(".")[0])}
    print(f"{args.size}^3 uint16, 64^3 chunks, {args.runs} runs, zarr {zarr.__version__}")
    print(
        "| layout | scenario | "
        + " | ".join(f"{name} (s)" for name in pipelines)
        + " | zarrs_cffi vs zarr | zarrs_cffi vs zarrs-python |"
    )
    print("| --- | --- | " + " | ".join("---" for _ in pipelines) + " | --- | --- |")
    for layout, compressors in [("uncompressed", None), ("zstd", ZstdCodec(level=1))]:
        path = args.dir / f"full-{args.size}-{layout}.zarr"
        make_array(path, args.size, compressors)
        with zarr.config.set({"codec_pipeline.path": PIPELINES["zarr (Batched)"]}):
            expected = zarr.open_array(str(path), mode="r")[...]
        for pipeline in pipelines.values():
            with zarr.config.set({"codec_pipeline.path": pipeline}):
                np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[...], expected)
        del expected
        for scenario, read in [("whole array", read_all), ("chunk by chunk", read_chunk_by_chunk)]:
            times: dict[str, list[float]] = {name: [] for name in pipelines}
            for _ in range(args.runs):
                for name, pipeline in pipelines.items():
                    with zarr.config.set({"codec_pipeline.path": pipeline}):
                        start = time.perf_counter()
                        read(str(path))
                        times[name].append(time.perf_counter() - start)
            medians = {name: statistics.median(values) for name, values in times.items()}
            ours = medians["zarrs_cffi"]
            vs_zarrs = f"{medians['zarrs-python'] / ours:.2f}x" if "zarrs-python" in medians else "n/a"
            cells = " | ".join(f"{medians[name]:.3f}" for name in pipelines)
            print(f"| {layout} | {scenario} | {cells} | {medians['zarr (Batched)'] / ours:.2f}x | {vs_zarrs} |")


if __name__ == "__main__":
    main()
