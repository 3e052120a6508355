"""Times what users of anndata and dask run, under each zarr codec pipeline.

    python benchmarks/ecosystem.py [--size default|tiny] [--runs 5] [--dir DIR] [--json PATH]

Workloads: `anndata.read_zarr` of an AnnData store with a dense float32 `X`, the same with
a CSR `X`, and a dask reduction (`da.from_zarr(...).sum(axis=0)`, dask chunks = shards,
threaded scheduler) over a zstd-compressed sharded 3-D float32 array. Pipelines: zarr's
default (BatchedCodecPipeline), zarrs-python (PyPI `zarrs`, skipped when not installed)
and zarrs_cffi.ZarrsCodecPipeline. Every round starts one fresh process per pipeline, in
turn (interleaved), which runs each workload once untimed, then times it 3 times and keeps
the median (small reads are noisy); the table shows medians over rounds (page cache warm)
and ratios. `--json` writes every timing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PIPELINES = {
    "zarr (Batched)": "zarr.core.codec_pipeline.BatchedCodecPipeline",
    "zarrs-python": "zarrs.ZarrsCodecPipeline",
    "zarrs_cffi": "zarrs_cffi.ZarrsCodecPipeline",
}

# cells, genes, CSR density, cube edge, shard edge, chunk edge
SIZES = {
    "default": {"cells": 20_000, "genes": 2_000, "density": 0.05, "edge": 256, "shard": 128, "chunk": 32},
    "tiny": {"cells": 300, "genes": 50, "density": 0.1, "edge": 32, "shard": 16, "chunk": 8},
}


def write_stores(directory: Path, size: dict[str, Any]) -> dict[str, str]:
    """Writes the three stores once per size (with zarr's default pipeline) and returns their paths."""
    import anndata as ad
    import numpy as np
    import pandas as pd
    import scipy.sparse
    import zarr
    from zarr.codecs import ZstdCodec

    tag = f"{size['cells']}x{size['genes']}-{size['edge']}"
    paths = {
        "dense": directory / f"anndata-dense-{tag}.zarr",
        "csr": directory / f"anndata-csr-{tag}.zarr",
        "cube": directory / f"cube-{tag}.zarr",
    }
    rng = np.random.default_rng(0)
    cells, genes = size["cells"], size["genes"]
    obs = pd.DataFrame(
        {
            "n_counts": rng.integers(100, 10_000, cells),
            "cell_type": pd.Categorical(rng.choice(list("ABCDEFGH"), cells)),
        },
        index=[f"cell{i}" for i in range(cells)],
    )
    var = pd.DataFrame({"mean": rng.random(genes)}, index=[f"gene{i}" for i in range(genes)])
    if not paths["dense"].exists():
        X = rng.standard_normal((cells, genes), dtype=np.float32)
        ad.AnnData(X=X, obs=obs, var=var).write_zarr(paths["dense"])
    if not paths["csr"].exists():
        X = scipy.sparse.random(cells, genes, density=size["density"], format="csr", dtype=np.float32, random_state=rng)
        ad.AnnData(X=X, obs=obs, var=var).write_zarr(paths["csr"])
    if not paths["cube"].exists():
        edge = size["edge"]
        cube = zarr.create_array(
            str(paths["cube"]),
            shape=(edge,) * 3,
            chunks=(size["chunk"],) * 3,
            shards=(size["shard"],) * 3,
            dtype="float32",
            compressors=ZstdCodec(level=1),
        )
        for start in range(0, edge, size["shard"]):
            cube[start : start + size["shard"]] = rng.standard_normal((size["shard"], edge, edge), dtype=np.float32)
    return {name: str(path) for name, path in paths.items()}


def run_workloads(pipeline: str, paths: dict[str, str]) -> dict[str, Any]:
    """In a fresh process: each workload once to warm up, then the median of 3 timed runs, under `pipeline`."""
    import anndata as ad
    import dask.array as da
    import numpy as np
    import zarr

    zarr.config.set({"codec_pipeline.path": pipeline})

    def read_anndata(path: str) -> float:
        X = ad.read_zarr(path).X
        return float(X.sum(dtype=np.float64))

    def dask_sum(path: str) -> float:
        z = zarr.open_array(path, mode="r")
        return float(da.from_zarr(z, chunks=z.shards).sum(axis=0).compute(scheduler="threads").sum(dtype=np.float64))

    workloads = {
        "anndata.read_zarr, dense X": (read_anndata, paths["dense"]),
        "anndata.read_zarr, CSR X": (read_anndata, paths["csr"]),
        "dask sum over a sharded array": (dask_sum, paths["cube"]),
    }
    times, checksums = {}, {}
    for name, (workload, path) in workloads.items():
        checksums[name] = workload(path)
        timed = []
        for _ in range(3):
            start = time.perf_counter()
            workload(path)
            timed.append(time.perf_counter() - start)
        times[name] = statistics.median(timed)
    native = None
    if pipeline.startswith("zarrs_cffi"):
        from zarrs_cffi.pipeline import stats

        native = {"native": stats.native, "fallback": stats.fallback, "unsupported": stats.unsupported}
    return {"times": times, "checksums": checksums, "reads": native}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "zarrs-cffi-bench")
    parser.add_argument("--json", type=Path, help="write every timing here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run one process's workloads
    args = parser.parse_args()

    if args.worker:
        result = run_workloads(args.worker, json.loads(sys.stdin.read()))
        print(json.dumps(result))
        return

    size = SIZES[args.size]
    args.dir.mkdir(parents=True, exist_ok=True)
    paths = write_stores(args.dir, size)
    pipelines = {name: path for name, path in PIPELINES.items() if importlib.util.find_spec(path.split(".")[0])}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pipelines}
    for _ in range(args.runs):
        for name, pipeline in pipelines.items():
            output = subprocess.run(
                [sys.executable, __file__, "--worker", pipeline],
                input=json.dumps(paths),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[name].append(json.loads(output.splitlines()[-1]))

    # Every pipeline must have computed the same values.
    reference = runs["zarr (Batched)"][0]["checksums"]
    for name, results in runs.items():
        for result in results:
            for workload, value in result["checksums"].items():
                if abs(value - reference[workload]) > 1e-6 * max(1.0, abs(reference[workload])):
                    raise SystemExit(f"{name} computed {value} for {workload!r}, zarr {reference[workload]}")

    versions = {package: importlib.metadata.version(package) for package in ("zarr", "anndata", "dask")}
    medians = {
        name: {workload: statistics.median(r["times"][workload] for r in results) for workload in reference}
        for name, results in runs.items()
    }
    print(
        f"{args.size}: {size['cells']} cells x {size['genes']} genes (CSR density {size['density']}), "
        f"{size['edge']}^3 float32 cube in {size['shard']}^3 shards of {size['chunk']}^3 chunks; "
        f"{args.runs} runs; " + ", ".join(f"{package} {version}" for package, version in versions.items())
    )
    print("| workload | " + " | ".join(f"{name} (s)" for name in pipelines) + " | vs zarr | vs zarrs-python |")
    print("| --- | " + " | ".join("---" for _ in pipelines) + " | --- | --- |")
    for workload in reference:
        ours = medians["zarrs_cffi"][workload]
        cells = " | ".join(f"{medians[name][workload]:.3f}" for name in pipelines)
        vs_zarrs = f"{medians['zarrs-python'][workload] / ours:.2f}x" if "zarrs-python" in medians else "n/a"
        print(f"| {workload} | {cells} | {medians['zarr (Batched)'][workload] / ours:.2f}x | {vs_zarrs} |")
    print("zarrs_cffi pipeline reads per process (native/fallback/unsupported):", runs["zarrs_cffi"][0]["reads"])
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "size": {"name": args.size, **size},
                    "versions": versions,
                    "runs": runs,
                    "medians": medians,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
