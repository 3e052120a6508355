"""The benchmark suite: every reader, every layout, every scenario, in one run.

    python benchmarks/run.py [--size 512] [--rounds 3] [--repeats 2] [--out benchmarks/results]

Writes the data once (`datasets.py`: a uint16 volume and a 2-D matrix in four layouts),
builds the pure-Rust baseline, then runs interleaved rounds: in each round every reader
runs all scenarios in a fresh process (`readers.py`), in an order rotated from round to
round. Every reader's values are checked against zarr-python's (a digest per scenario);
a mismatch fails the run. Reports medians, ratios to the peers and peak memory as
`table.md`, `results.json` and `chart.png` in `--out`.

Readers that are not installed are skipped (the `bench` extra installs them all).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import datasets
from readers import SCENARIOS

HERE = Path(__file__).resolve().parent
CRATE = HERE.parent / "rust_ffi"
RUST = "zarrs (Rust)"
PEERS = ("zarr", "zarr-fused", "zarrs-python", "tensorstore")
PIPELINE, DIRECT = "zarrs_cffi pipeline", "zarrs_cffi direct"


def scenario_titles(plan: dict) -> dict[str, str]:
    edge = plan["box"]
    return {
        "whole": "whole array",
        "chunks": "chunk by chunk",
        "boxes": f"{len(plan['boxes'])} random {edge}³ boxes",
        "points": f"{len(plan['points'])} single elements",
        "rows": f"{len(plan['rows'])} sorted rows (oindex)",
        "strided": f"strided [::{plan['stride']}]",
    }


def available_readers() -> list[str]:
    import zarr.core.codec_pipeline

    found = ["zarr"]
    if hasattr(zarr.core.codec_pipeline, "FusedCodecPipeline"):
        found.append("zarr-fused")
    for name, module in (("zarrs-python", "zarrs"), ("tensorstore", "tensorstore")):
        if importlib.util.find_spec(module):
            found.append(name)
    return [*found, PIPELINE, DIRECT, RUST]


def build_baseline() -> Path:
    command = ["cargo", "build", "--quiet", "--release", "--example", "zarrs_baseline"]
    subprocess.run(command, cwd=CRATE, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", CRATE / "target"))
    return target / "release" / "examples" / "zarrs_baseline"


def run_reader(reader: str, data: Path, args: argparse.Namespace, baseline: Path | None) -> dict:
    if reader == RUST:
        command = [str(baseline), str(data), args.layouts, args.scenarios, str(args.repeats)]
    else:
        command = [
            sys.executable,
            str(HERE / "readers.py"),
            reader,
            str(data),
            "--layouts",
            args.layouts,
            "--scenarios",
            args.scenarios,
            "--repeats",
            str(args.repeats),
        ]
    # numpy's OpenBLAS threads spin for a while after start-up; no reader uses BLAS.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    if completed.returncode:
        raise RuntimeError(f"{reader} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    versions = {}
    for package in ("zarrs-cffi", "zarr", "zarrs", "tensorstore", "numpy", "numcodecs"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    lock = (CRATE / "Cargo.lock").read_text().split("[[package]]")
    versions["zarrs (crate)"] = next(
        block.split('version = "')[1].split('"')[0] for block in lock if 'name = "zarrs"\n' in block
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def ratio(numerator: float | None, denominator: float | None) -> str:
    return f"{numerator / denominator:.2f}×" if numerator and denominator else "–"


def tables(
    medians: dict, memory: dict, readers: list[str], layouts: list[str], scenarios: list[str], titles: dict
) -> str:
    peers = [r for r in readers if r in PEERS]
    lines = ["Medians in milliseconds; ratios above 1 mean zarrs_cffi is faster.", ""]
    lines.append(
        "| layout | scenario | "
        + " | ".join(readers)
        + " | best peer | direct vs best peer | pipeline vs zarrs-python | pipeline vs zarr | direct / Rust |"
    )
    lines.append("|" + " --- |" * (len(readers) + 7))
    for layout in layouts:
        for scenario in scenarios:
            row = {r: medians[r][layout][scenario] for r in readers}
            best = min(peers, key=row.__getitem__) if peers else None
            cells = " | ".join(f"{row[r] * 1e3:.1f}" for r in readers)
            lines.append(
                f"| {layout} | {titles[scenario]} | {cells} | {best or '–'} | "
                f"{ratio(row.get(best), row.get(DIRECT))} | {ratio(row.get('zarrs-python'), row.get(PIPELINE))} | "
                f"{ratio(row.get('zarr'), row.get(PIPELINE))} | {ratio(row.get(DIRECT), row.get(RUST))} |"
            )
    if memory:
        lines += [
            "",
            "Peak memory of the whole-array read above the process's memory before it, MiB "
            "(the output itself is the first column):",
            "",
        ]
        lines.append("| layout | output | " + " | ".join(readers) + " |")
        lines.append("|" + " --- |" * (len(readers) + 2))
        for layout in layouts:
            output = next(iter(memory.values()))[layout]["output_mib"]
            cells = " | ".join(f"{memory[r][layout]['peak_mib']:.0f}" for r in readers)
            lines.append(f"| {layout} | {output:.0f} | {cells} |")
    return "\n".join(lines) + "\n"


def chart(
    medians: dict, readers: list[str], layouts: list[str], scenarios: list[str], titles: dict, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(layouts), 1, figsize=(12, 3.2 * len(layouts)), squeeze=False)
    width = 0.8 / len(readers)
    for ax, layout in zip(axes[:, 0], layouts, strict=True):
        for i, reader in enumerate(readers):
            speedup = [medians["zarr"][layout][s] / medians[reader][layout][s] for s in scenarios]
            ax.bar([x + i * width for x in range(len(scenarios))], speedup, width, label=reader)
        ax.set_yscale("log")
        ax.axhline(1, color="black", linewidth=0.6)
        ax.set_xticks(
            [x + width * (len(readers) - 1) / 2 for x in range(len(scenarios))], [titles[s] for s in scenarios]
        )
        ax.set_ylabel("speed-up vs zarr")
        ax.set_title(layout)
    axes[0, 0].legend(ncol=4, fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512, help="volume edge (multiple of 16); 1024 is 2 GiB")
    parser.add_argument("--rounds", type=int, default=3, help="processes per reader, interleaved")
    parser.add_argument("--repeats", type=int, default=2, help="timed repeats per process")
    parser.add_argument("--readers", help="comma-separated subset of the installed readers")
    parser.add_argument("--layouts", default=",".join(datasets.LAYOUTS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--data", type=Path, default=Path("/tmp/zarrs-cffi-bench"), help="where the data is written")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    readers = args.readers.split(",") if args.readers else available_readers()
    layouts, scenarios = args.layouts.split(","), args.scenarios.split(",")
    print(f"data: {args.size}^3 uint16 under {args.data} ...", file=sys.stderr, flush=True)
    data = datasets.prepare(args.data, args.size)
    baseline = build_baseline() if RUST in readers else None

    samples = {r: {lay: {s: [] for s in scenarios} for lay in layouts} for r in readers}
    digests: dict = {}
    memory = {r: {lay: {"peak_mib": 0.0} for lay in layouts} for r in readers}
    for round_index in range(args.rounds):
        shift = round_index % len(readers)
        for reader in readers[shift:] + readers[:shift]:
            started = time.perf_counter()
            report = run_reader(reader, data, args, baseline)
            print(
                f"round {round_index + 1}/{args.rounds} {reader}: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            digests[reader] = report["digests"]
            for layout in layouts:
                for scenario in scenarios:
                    samples[reader][layout][scenario] += report["times"][layout][scenario]
                used = report["memory"].get(layout)
                if used:
                    peak = (used["peak_kib"] - used["before_kib"]) / 1024
                    memory[reader][layout]["peak_mib"] = max(memory[reader][layout]["peak_mib"], peak)
                    memory[reader][layout]["output_mib"] = used["output_bytes"] / 2**20

    reference = digests[readers[0]]
    mismatches = [
        f"{reader}: {layout} / {scenario}"
        for reader in readers
        for layout in layouts
        for scenario in scenarios
        if digests[reader][layout][scenario] != reference[layout][scenario]
    ]
    medians = {
        r: {lay: {s: statistics.median(v) for s, v in by_s.items()} for lay, by_s in by_l.items()}
        for r, by_l in samples.items()
    }
    titles = scenario_titles(json.loads((data / "selections.json").read_text()))
    table = tables(medians, memory if "whole" in scenarios else {}, readers, layouts, scenarios, titles)

    args.out.mkdir(parents=True, exist_ok=True)
    settings = {
        "size": args.size,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "layouts": layouts,
        "scenarios": scenarios,
        "readers": readers,
        "geometry": datasets.geometry(args.size),
    }
    results = {
        "machine": machine(),
        "settings": settings,
        "samples": samples,
        "medians": medians,
        "memory": memory,
        "digest_reference": readers[0],
        "digest_mismatches": mismatches,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "table.md").write_text(table)
    if "zarr" in readers and importlib.util.find_spec("matplotlib"):
        chart(medians, readers, layouts, scenarios, titles, args.out / "chart.png")
    print(table)
    if mismatches:
        sys.exit("values differ from " + readers[0] + "'s: " + "; ".join(mismatches))


if __name__ == "__main__":
    main()
