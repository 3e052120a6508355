"""zarr-python's own test suite, from the sdist of the installed zarr, run with
ZarrsCodecPipeline selected (through the environment variable, since zarr's conftest
resets the configuration before every test).

zarr's tests mostly use in-memory stores, which the pipeline hands to zarr's own
pipeline; so the tests that exercise reads are also run re-targeted at `LocalStore`, and
there most reads must take the native path. Deselect with ``-m "not zarr_suite"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import zarr

pytestmark = pytest.mark.zarr_suite

HERE = Path(__file__).resolve().parent
PIPELINE = "zarrs_cffi.ZarrsCodecPipeline"

# Paths left out of the full-suite run, with the reason for each.
IGNORED = {
    "tests/benchmarks": "timing benchmarks of zarr's own write path (many minutes on 2 cores); "
    "every read selection kind is covered by the parity tests",
    "tests/test_docs.py": "checks zarr's documentation examples; needs pytest-examples and the docs tree",
    "tests/test_api/test_synchronous.py": "docstring consistency checks of zarr's API, independent of the "
    "codec pipeline; their parameter ids contain memory addresses, which pytest-xdist rejects",
}

# Single tests left out, with the reason for each.
DESELECTED = {
    "tests/test_config.py::test_config_codec_pipeline_class": "asserts that the configured default "
    "pipeline is zarr's BatchedCodecPipeline, which selecting this pipeline by environment variable replaces",
    "tests/test_examples.py::test_scripts_can_run": "runs zarr's example scripts with `uv run`, which "
    "needs uv and network access to fetch their dependencies",
    "tests/test_codecs/test_sharding.py::test_sharding_partial_shard_read__index_chunk_slice_fails[local-start]": (
        "monkeypatches zarr's Python sharding code to fail, which native reads do not run"
    ),
    "tests/test_codecs/test_sharding.py::test_sharding_partial_shard_read__index_chunk_slice_fails[local-end]": (
        "as above"
    ),
}


@pytest.fixture(scope="module")
def zarr_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("zarr-sdist")
    version = zarr.__version__
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(target),
            f"zarr=={version}",
        ],
        check=True,
    )
    archive = next(target.glob("zarr-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / archive.name.removesuffix(".tar.gz")


def run_zarr_tests(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, dict[str, int]]:
    """Runs pytest on zarr's tests with the pipeline selected; returns the summary line and
    the pipeline's native/fallback read and write counts."""
    stats_dir = root / "pipeline-stats"
    shutil.rmtree(stats_dir, ignore_errors=True)
    stats_dir.mkdir()
    env = {
        **os.environ,
        "ZARR_CODEC_PIPELINE__PATH": PIPELINE,
        "ZARRS_CFFI_STATS_DIR": str(stats_dir),
        "PYTHONPATH": os.pathsep.join([str(HERE / "zarr_suite"), str(root)]),
    }
    command = [
        sys.executable, "-m", "pytest", *args,
        "-p", "localstore_plugin", "-p", "no:cacheprovider", "-q",
        # zarr's addopts need pytest-benchmark; keep its markers, warnings-as-errors and config.
        "-o", "addopts=-ra --strict-markers",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    summary = next(
        (line for line in reversed(output.splitlines()) if re.search(r"\d+ (passed|failed|error)", line)), ""
    )
    with capsys.disabled():  # the counts belong in CI's log
        print(f"\nzarr {zarr.__version__} {' '.join(a for a in args if not a.startswith('--'))}: {summary}")
    assert result.returncode == 0, output[-20000:]
    stats = dict.fromkeys(
        ("native", "fallback", "unsupported", "writes_native", "writes_fallback", "writes_unsupported"), 0
    )
    for process_stats in stats_dir.glob("*.json"):  # one file per pytest(-xdist) process
        for key, count in json.loads(process_stats.read_text()).items():
            stats[key] += count
    with capsys.disabled():
        print(
            f"  pipeline reads: {stats['native']} native, {stats['fallback']} handed to zarr's pipeline, "
            f"{stats['unsupported']} of arrays the engine cannot serve (other stores, data types, codecs)\n"
            f"  pipeline writes: {stats['writes_native']} native, {stats['writes_fallback']} handed to zarr's "
            f"pipeline, {stats['writes_unsupported']} of arrays the engine cannot serve"
        )
    return summary, stats


def assert_mostly_native(stats: dict[str, int]) -> None:
    """Reads and writes of arrays the engine can serve must take the native path, so that a
    silent fallback cannot pass as success. (Those of arrays it cannot serve, e.g. string
    data or tests that build their own in-memory store, are zarr's by design.)"""
    assert stats["native"] > 0, stats
    assert stats["native"] >= 10 * stats["fallback"], stats
    assert stats["writes_native"] > 0, stats
    assert stats["writes_native"] >= 10 * stats["writes_fallback"], stats


def test_zarr_suite_passes(zarr_sdist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["tests", "-n", "2"]
    args += [f"--ignore={path}" for path in IGNORED]
    args += [f"--deselect={node}" for node in DESELECTED]
    run_zarr_tests(zarr_sdist, capsys, *args)


def test_zarr_indexing_tests_on_localstore(zarr_sdist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = (zarr_sdist / "tests" / "test_indexing.py").read_text()
    in_memory = "return StorePath(await MemoryStore.open())"
    assert in_memory in source, "zarr's test_indexing.py no longer builds its store this way"
    retargeted = source.replace(in_memory, "return StorePath(await LocalStore.open(tempfile.mkdtemp()))")
    imports = "import tempfile\nfrom zarr.storage import LocalStore\n"
    future = "from __future__ import annotations\n"
    retargeted = retargeted.replace(future, future + imports, 1) if future in retargeted else imports + retargeted
    (zarr_sdist / "tests" / "test_indexing_localstore.py").write_text(retargeted)
    _, stats = run_zarr_tests(zarr_sdist, capsys, "tests/test_indexing_localstore.py")
    assert_mostly_native(stats)


def test_zarr_property_tests_on_localstore(zarr_sdist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, stats = run_zarr_tests(zarr_sdist, capsys, "tests/test_properties.py", "-n", "2")
    assert_mostly_native(stats)


def test_zarr_codec_pipeline_suite_on_localstore(zarr_sdist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (zarr_sdist / "tests" / "test_codec_pipeline_suite.py").exists():
        pytest.skip(f"zarr {zarr.__version__} has no shared codec pipeline suite")
    target = zarr_sdist / "tests" / "test_zarrs_cffi_pipeline_suite.py"
    target.write_text((HERE / "zarr_suite" / "test_codec_pipeline_localstore.py").read_text())
    summary, stats = run_zarr_tests(zarr_sdist, capsys, str(target.relative_to(zarr_sdist)))
    assert "failed" not in summary
    assert_mostly_native(stats)
