"""The write benchmark: every writer, every layout, every write scenario, in one run.

    python benchmarks/writes.py [--size 512] [--rounds 3] [--repeats 2] [--out benchmarks/results]

Uses the data set of the read suite (`datasets.py`: the uint16 volume in four layouts;
written once), then runs interleaved rounds: in each round every writer runs all
scenarios in a fresh process (`writers.py`), in an order rotated from round to round.
Every writer's result is read back with zarr-python and compared (a digest per
scenario); a mismatch fails the run. Reports medians, ratios to the peers and the peak
memory of the whole-array write as `write-table.md` and `write-results.json` in `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import datasets
from run import DIRECT, PEERS, PIPELINE, available_readers, machine, ratio
from writers import SCENARIOS

HERE = Path(__file__).resolve().parent


def scenario_titles(plan: dict) -> dict[str, str]:
    return {
        "whole": "whole array",
        "chunks": "chunk by chunk",
        "boxes": f"{len(plan['boxes'])} random {plan['box']}³ boxes",
    }


def available_writers() -> list[str]:
    return [reader for reader in available_readers() if reader != "zarrs (Rust)"]


def run_writer(writer: str, data: Path, scratch: Path, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        str(HERE / "writers.py"),
        writer,
        str(data),
        str(scratch),
        "--layouts",
        args.layouts,
        "--scenarios",
        args.scenarios,
        "--repeats",
        str(args.repeats),
    ]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    if completed.returncode:
        raise RuntimeError(f"{writer} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def tables(
    medians: dict, memory: dict, writers: list[str], layouts: list[str], scenarios: list[str], titles: dict
) -> str:
    peers = [w for w in writers if w in PEERS]
    lines = ["Medians in milliseconds; ratios above 1 mean zarrs_cffi is faster.", ""]
    lines.append(
        "| layout | scenario | "
        + " | ".join(writers)
        + " | best peer | direct vs best peer | pipeline vs zarrs-python | pipeline vs zarr |"
    )
    lines.append("|" + " --- |" * (len(writers) + 6))
    for layout in layouts:
        for scenario in scenarios:
            row = {w: medians[w][layout][scenario] for w in writers}
            best = min(peers, key=row.__getitem__) if peers else None
            cells = " | ".join(f"{row[w] * 1e3:.1f}" for w in writers)
            lines.append(
                f"| {layout} | {titles[scenario]} | {cells} | {best or '–'} | "
                f"{ratio(row.get(best), row.get(DIRECT))} | {ratio(row.get('zarrs-python'), row.get(PIPELINE))} | "
                f"{ratio(row.get('zarr'), row.get(PIPELINE))} |"
            )
    if memory:
        lines += [
            "",
            "Peak memory of the whole-array write above the process's memory before it (the values "
            "already in memory), MiB; the values themselves are the first column:",
            "",
        ]
        lines.append("| layout | values | " + " | ".join(writers) + " |")
        lines.append("|" + " --- |" * (len(writers) + 2))
        for layout in layouts:
            values = next(iter(memory.values()))[layout]["input_mib"]
            cells = " | ".join(f"{memory[w][layout]['peak_mib']:.0f}" for w in writers)
            lines.append(f"| {layout} | {values:.0f} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512, help="volume edge (multiple of 16)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per writer, interleaved")
    parser.add_argument("--repeats", type=int, default=2, help="timed repeats per process")
    parser.add_argument("--writers", help="comma-separated subset of the installed writers")
    parser.add_argument("--layouts", default=",".join(datasets.LAYOUTS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--data", type=Path, default=Path("/tmp/zarrs-cffi-bench"), help="where the data is written")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    writers = args.writers.split(",") if args.writers else available_writers()
    layouts, scenarios = args.layouts.split(","), args.scenarios.split(",")
    print(f"data: {args.size}^3 uint16 under {args.data} ...", file=sys.stderr, flush=True)
    data = datasets.prepare(args.data, args.size)

    samples = {w: {lay: {s: [] for s in scenarios} for lay in layouts} for w in writers}
    digests: dict = {}
    memory = {w: {lay: {"peak_mib": 0.0} for lay in layouts} for w in writers}
    for round_index in range(args.rounds):
        shift = round_index % len(writers)
        for writer in writers[shift:] + writers[:shift]:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(dir=args.data, prefix="writes-") as scratch:
                report = run_writer(writer, data, Path(scratch), args)
            print(
                f"round {round_index + 1}/{args.rounds} {writer}: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            digests[writer] = report["digests"]
            for layout in layouts:
                for scenario in scenarios:
                    samples[writer][layout][scenario] += report["times"][layout][scenario]
                used = report["memory"].get(layout)
                if used:
                    peak = (used["peak_kib"] - used["before_kib"]) / 1024
                    memory[writer][layout]["peak_mib"] = max(memory[writer][layout]["peak_mib"], peak)
                    memory[writer][layout]["input_mib"] = used["input_bytes"] / 2**20

    reference = digests[writers[0]]
    mismatches = [
        f"{writer}: {layout} / {scenario}"
        for writer in writers
        for layout in layouts
        for scenario in scenarios
        if digests[writer][layout][scenario] != reference[layout][scenario]
    ]
    medians = {
        w: {lay: {s: statistics.median(v) for s, v in by_s.items()} for lay, by_s in by_l.items()}
        for w, by_l in samples.items()
    }
    titles = scenario_titles(json.loads((data / "selections.json").read_text()))
    table = tables(medians, memory if "whole" in scenarios else {}, writers, layouts, scenarios, titles)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": machine(),
        "settings": {
            "size": args.size,
            "rounds": args.rounds,
            "repeats": args.repeats,
            "layouts": layouts,
            "scenarios": scenarios,
            "writers": writers,
        },
        "samples": samples,
        "medians": medians,
        "memory": memory,
        "digest_reference": writers[0],
        "digest_mismatches": mismatches,
    }
    (args.out / "write-results.json").write_text(json.dumps(results, indent=1))
    (args.out / "write-table.md").write_text(table)
    print(table)
    if mismatches:
        sys.exit("written values differ from " + writers[0] + "'s: " + "; ".join(mismatches))


if __name__ == "__main__":
    main()
