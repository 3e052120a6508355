"""The benchmark suite keeps working: a tiny run of every reader, values cross-checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SUITE = Path(__file__).parents[1] / "benchmarks" / "run.py"


def test_suite_runs_every_reader_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [
        sys.executable,
        str(SUITE),
        "--size",
        "32",
        "--rounds",
        "1",
        "--repeats",
        "1",
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    # The suite exits non-zero when any reader's values differ from zarr-python's.
    assert completed.returncode == 0, completed.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    readers = results["settings"]["readers"]
    # The test extra installs every peer, so none may be skipped.
    expected = {"zarr", "zarrs-python", "tensorstore", "zarrs_cffi pipeline", "zarrs_cffi direct", "zarrs (Rust)"}
    assert expected <= set(readers)
    assert results["digest_mismatches"] == []
    for reader in readers:
        for layout in results["settings"]["layouts"]:
            for scenario in results["settings"]["scenarios"]:
                assert results["medians"][reader][layout][scenario] > 0
            memory = results["memory"][reader][layout]
            assert memory["output_mib"] == 32**3 * 2 / 2**20
    table = (out / "table.md").read_text()
    assert "| zstd-sharded | 200 single elements |" in table
    assert (out / "chart.png").stat().st_size > 0


def test_the_digest_sees_values_and_their_positions() -> None:
    sys.path.insert(0, str(SUITE.parent))
    from readers import digest

    values = np.arange(12, dtype=np.uint16).reshape(3, 4)
    assert digest([values]) == digest([values.copy(order="F")])  # layout-independent
    assert digest([values]) != digest([values[::-1]])
    assert digest([values, values[:1]]) != digest([values[:1], values])
    changed = values.copy()
    changed[2, 3] += 1
    assert digest([values]) != digest([changed])


def test_write_suite_runs_every_writer_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [
        sys.executable,
        str(SUITE.parent / "writes.py"),
        "--size",
        "32",
        "--rounds",
        "1",
        "--repeats",
        "1",
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    # The suite exits non-zero when any writer's result differs from zarr-python's.
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((out / "write-results.json").read_text())
    writers = results["settings"]["writers"]
    assert {"zarr", "zarrs-python", "tensorstore", "zarrs_cffi pipeline", "zarrs_cffi direct"} <= set(writers)
    assert results["digest_mismatches"] == []
    for writer in writers:
        for layout in results["settings"]["layouts"]:
            for scenario in results["settings"]["scenarios"]:
                assert results["medians"][writer][layout][scenario] > 0
    assert "| zstd-sharded | 20 random 16³ boxes |" in (out / "write-table.md").read_text()


def test_remote_suite_runs_every_available_reader_at_a_tiny_size(tmp_path: Path) -> None:
    pytest.importorskip("moto.server", reason="the remote suite serves S3 with moto (test extra)")
    out = tmp_path / "results"
    command = [
        sys.executable,
        str(SUITE.parent / "remote.py"),
        "--size",
        "32",
        "--latency-ms",
        "0",
        "--rounds",
        "1",
        # Random boxes cost thousands of requests with some readers; the other scenarios
        # exercise the same machinery.
        "--scenarios",
        "whole,chunks,points",
        "--data",
        str(tmp_path / "data"),
        "--out",
        str(out),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    # The suite exits non-zero when any reader's values differ from the local data.
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((out / "remote-results.json").read_text())
    settings = results["settings"]
    # The test extra installs every peer; only zarrs_cffi's own readers may be skipped
    # (while its remote stores are not built).
    assert not [reader for reader in settings["skipped"] if not reader.startswith("zarrs_cffi")]
    peers = {"zarr (s3fs)", "zarr (obstore)", "zarr (http)", "zarrs-python (obstore)", "zarrs-python (http)"}
    assert peers | {"tensorstore (s3)", "tensorstore (http)"} <= set(settings["readers"])
    assert results["digest_mismatches"] == []
    for reader in settings["readers"]:
        for layout in settings["layouts"]:
            for scenario in settings["scenarios"]:
                assert results["medians"][reader][layout][scenario] > 0
                # Every read reaches the server: nothing is served from a local cache.
                assert results["median_requests"][reader][layout][scenario] > 0
    table = (out / "remote-table.md").read_text()
    assert "| zstd-sharded | 200 points (one vindex read) |" in table
