"""Runs every write scenario with one writer, in this process, and prints the timings as JSON.

    python benchmarks/writers.py WRITER DATA_DIR SCRATCH_DIR [--layouts a,b] [--scenarios a,b] [--repeats N]

`writes.py` starts one such process per writer and round. The values come from the data
set `datasets.py` wrote (the same volume every reader reads), held in memory; arrays are
created (untimed) with zarr-python's metadata for each layout in SCRATCH_DIR, then:

- `whole`: the whole volume in one write, into a new array;
- `chunks`: one write per stored chunk (or shard), into a new array;
- `boxes`: the random 40³ boxes of the read scenarios, each written with the volume's
  values plus one, into the complete array (each box changes parts of several chunks).

After the timed repeats, each resulting array is read back with zarr-python (untimed)
and reduced to a digest, which the driver compares across writers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readers import _status_kib, digest, unit_boxes

SCENARIOS = ("whole", "chunks", "boxes")


class ZarrWriter:
    def __init__(self, pipeline: str) -> None:
        import zarr

        zarr.config.set({"codec_pipeline.path": pipeline})
        self.zarr = zarr

    def open(self, path: str):
        return self.zarr.open_array(path, mode="r+")

    def write(self, array, selection, values) -> None:
        array[selection] = values


class TensorstoreWriter:
    def __init__(self) -> None:
        import tensorstore

        self.ts = tensorstore

    def open(self, path: str):
        driver = "zarr3" if (Path(path) / "zarr.json").exists() else "zarr"
        return self.ts.open({"driver": driver, "kvstore": {"driver": "file", "path": path}}, open=True).result()

    def write(self, array, selection, values) -> None:
        array[selection].write(values).result()


class DirectWriter:
    def __init__(self) -> None:
        import zarrs_cffi

        self.zarrs_cffi = zarrs_cffi

    def open(self, path: str):
        return self.zarrs_cffi.open(path, mode="r+")

    def write(self, array, selection, values) -> None:
        array[selection] = values


WRITERS = {
    "zarr": lambda: ZarrWriter("zarr.core.codec_pipeline.BatchedCodecPipeline"),
    "zarr-fused": lambda: ZarrWriter("zarr.core.codec_pipeline.FusedCodecPipeline"),
    "zarrs-python": lambda: ZarrWriter("zarrs.ZarrsCodecPipeline"),
    "tensorstore": TensorstoreWriter,
    "zarrs_cffi pipeline": lambda: ZarrWriter("zarrs_cffi.ZarrsCodecPipeline"),
    "zarrs_cffi direct": DirectWriter,
}


def create_empty(source: Path, target: Path) -> None:
    """A new array at `target` with the metadata of the data set's array at `source`."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("zarr.json", ".zarray", ".zattrs"):
        if (source / name).exists():
            shutil.copyfile(source / name, target / name)


def scenario_writes(
    plan: dict, layout: str, scenario: str, volume: np.ndarray
) -> list[tuple[tuple[slice, ...], np.ndarray]]:
    """(selection, values) of one scenario's writes."""
    shape = plan["geometry"]["volume"]["shape"]
    if scenario == "whole":
        return [((slice(None),) * 3, volume)]
    if scenario == "chunks":
        return [(box, volume[box]) for box in unit_boxes(shape, plan["layouts"][layout]["unit"])]
    if scenario == "boxes":
        edge = plan["box"]
        boxes = [tuple(slice(s, s + edge) for s in start) for start in plan["boxes"]]
        return [(box, volume[box] + np.uint16(1)) for box in boxes]
    raise ValueError(f"unknown scenario {scenario!r}")


def read_back(path: Path) -> np.ndarray:
    import zarr

    with zarr.config.set({"codec_pipeline.path": "zarr.core.codec_pipeline.BatchedCodecPipeline"}):
        return zarr.open_array(str(path), mode="r")[...]


def measure(
    writer, layout: str, plan: dict, scratch: Path, scenarios: list[str], repeats: int
) -> tuple[dict, dict, dict]:
    source = Path(plan["layouts"][layout]["volume"])
    volume = read_back(source)
    times, digests, memory = {}, {}, {}
    target = scratch / layout
    for scenario in scenarios:
        writes = scenario_writes(plan, layout, scenario, volume)
        samples = []
        for _ in range(repeats):
            if scenario == "boxes":
                # Into the complete array: the one the chunk-by-chunk writes made, or a copy.
                if not (target / "complete").exists():
                    shutil.copytree(source, target / "complete")
                path = target / "boxes"
                shutil.rmtree(path, ignore_errors=True)
                shutil.copytree(target / "complete", path)
            else:
                path = target / scenario
                create_empty(source, path)
            array = writer.open(str(path))
            if scenario == "whole":
                with open("/proc/self/clear_refs", "w") as clear:
                    clear.write("5")  # resets the peak (VmHWM) to the current RSS
                before = _status_kib("VmRSS")
            start = time.perf_counter()
            for selection, values in writes:
                writer.write(array, selection, values)
            samples.append(time.perf_counter() - start)
            if scenario == "whole":
                memory = {"before_kib": before, "peak_kib": _status_kib("VmHWM"), "input_bytes": volume.nbytes}
            del array
        times[scenario] = samples
        digests[scenario] = str(digest([read_back(path)]))
    return times, digests, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("writer", choices=sorted(WRITERS))
    parser.add_argument("data", type=Path)
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--layouts", required=True)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    plan = json.loads((args.data / "selections.json").read_text())
    writer = WRITERS[args.writer]()
    report: dict = {"times": {}, "digests": {}, "memory": {}}
    try:
        for layout in args.layouts.split(","):
            times, digests, memory = measure(
                writer, layout, plan, args.scratch, args.scenarios.split(","), args.repeats
            )
            report["times"][layout] = times
            report["digests"][layout] = digests
            report["memory"][layout] = memory
    finally:
        shutil.rmtree(args.scratch, ignore_errors=True)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
