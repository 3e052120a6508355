"""Runs every scenario with one reader, in this process, and prints the timings as JSON.

    python benchmarks/readers.py READER DATA_DIR [--layouts a,b] [--scenarios a,b] [--repeats N]

`run.py` starts one such process per reader and round. Per layout and scenario the reads
run once untimed (that pass also computes a digest of the values read, so the driver can
check every reader returned the same data, and measures the peak memory of the whole-array
read), then `--repeats` timed times. Arrays are opened once per layout, outside the timing.
The Rust baseline (`rust_ffi/examples/zarrs_baseline.rs`) implements the same protocol.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

SCENARIOS = ("whole", "chunks", "boxes", "points", "rows", "strided")


class ZarrReader:
    def __init__(self, pipeline: str) -> None:
        import zarr

        zarr.config.set({"codec_pipeline.path": pipeline})
        self.zarr = zarr

    def open(self, path: str):
        return self.zarr.open_array(path, mode="r")

    def basic(self, array, selection):
        return array[selection]

    def oindex(self, array, rows):
        return array.oindex[rows, :]


class TensorstoreReader:
    def __init__(self) -> None:
        import tensorstore

        self.ts = tensorstore

    def open(self, path: str):
        driver = "zarr3" if (Path(path) / "zarr.json").exists() else "zarr"
        return self.ts.open({"driver": driver, "kvstore": {"driver": "file", "path": path}}, read=True).result()

    def basic(self, array, selection):
        return array[selection].read().result()

    def oindex(self, array, rows):
        return array.oindex[rows, :].read().result()


class DirectReader:
    def __init__(self) -> None:
        import zarrs_cffi

        self.zarrs_cffi = zarrs_cffi

    def open(self, path: str):
        return self.zarrs_cffi.open(path)

    def basic(self, array, selection):
        return array[selection]

    def oindex(self, array, rows):
        return array.oindex[rows, :]


READERS = {
    "zarr": lambda: ZarrReader("zarr.core.codec_pipeline.BatchedCodecPipeline"),
    "zarr-fused": lambda: ZarrReader("zarr.core.codec_pipeline.FusedCodecPipeline"),
    "zarrs-python": lambda: ZarrReader("zarrs.ZarrsCodecPipeline"),
    "tensorstore": TensorstoreReader,
    "zarrs_cffi pipeline": lambda: ZarrReader("zarrs_cffi.ZarrsCodecPipeline"),
    "zarrs_cffi direct": DirectReader,
}


def unit_boxes(shape: list[int], unit: list[int]) -> list[tuple[slice, ...]]:
    """One box per stored chunk (or shard), clipped to the array."""
    origins = itertools.product(*(range(0, n, u) for n, u in zip(shape, unit, strict=True)))
    return [tuple(slice(o, min(o + u, n)) for o, u, n in zip(origin, unit, shape, strict=True)) for origin in origins]


def scenario_reads(plan: dict, layout: str, scenario: str) -> tuple[str, str, list]:
    """(array name, kind of read, the selections) of one scenario."""
    shape = plan["geometry"]["volume"]["shape"]
    if scenario == "whole":
        return "volume", "basic", [(slice(None),) * 3]
    if scenario == "chunks":
        return "volume", "basic", unit_boxes(shape, plan["layouts"][layout]["unit"])
    if scenario == "boxes":
        edge = plan["box"]
        return "volume", "basic", [tuple(slice(s, s + edge) for s in start) for start in plan["boxes"]]
    if scenario == "points":
        return "volume", "basic", [tuple(point) for point in plan["points"]]
    if scenario == "rows":
        return "matrix", "oindex", [np.array(plan["rows"], dtype=np.int64)]
    if scenario == "strided":
        return "volume", "basic", [(slice(None, None, plan["stride"]),)]
    raise ValueError(f"unknown scenario {scenario!r}")


def digest(results: list[np.ndarray]) -> int:
    """A position-sensitive checksum the Rust baseline computes the same way:
    sum over reads i and elements j (C order) of (i % 65521 + 1) * (j % 251 + 1) * value,
    wrapping at 2**64."""
    total = 0
    for i, result in enumerate(results):
        flat = np.ascontiguousarray(result).reshape(-1)
        inner = 0
        for start in range(0, flat.size, 1 << 22):  # in blocks: bounded temporaries
            block = flat[start : start + (1 << 22)].astype(np.uint64)
            weights = (np.arange(start, start + block.size, dtype=np.uint64) % np.uint64(251)) + np.uint64(1)
            inner += int(np.sum(block * weights, dtype=np.uint64))
        total = (total + (i % 65521 + 1) * inner) % 2**64
    return total


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def measure(reader, layout: str, plan: dict, scenarios: list[str], repeats: int) -> tuple[dict, dict, dict]:
    handles = {name: reader.open(plan["layouts"][layout][name]) for name in ("volume", "matrix")}
    times, digests, memory = {}, {}, {}
    for scenario in scenarios:
        name, kind, selections = scenario_reads(plan, layout, scenario)
        array = handles[name]
        read = reader.basic if kind == "basic" else reader.oindex

        # Untimed pass: values for the digest; peak memory of the whole-array read.
        if scenario == "whole":
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")  # resets the peak (VmHWM) to the current RSS
            before = _status_kib("VmRSS")
            results = [read(array, selections[0])]
            memory = {"before_kib": before, "peak_kib": _status_kib("VmHWM"), "output_bytes": results[0].nbytes}
        else:
            results = [read(array, selection) for selection in selections]
        digests[scenario] = str(digest(results))
        del results

        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            for selection in selections:
                read(array, selection)
            samples.append(time.perf_counter() - start)
        times[scenario] = samples
    return times, digests, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reader", choices=sorted(READERS))
    parser.add_argument("data", type=Path)
    parser.add_argument("--layouts", required=True)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    plan = json.loads((args.data / "selections.json").read_text())
    reader = READERS[args.reader]()
    report: dict = {"times": {}, "digests": {}, "memory": {}}
    for layout in args.layouts.split(","):
        times, digests, memory = measure(reader, layout, plan, args.scenarios.split(","), args.repeats)
        report["times"][layout] = times
        report["digests"][layout] = digests
        report["memory"][layout] = memory
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
