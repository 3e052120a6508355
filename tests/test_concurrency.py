"""Many threads reading one array through every API at once, and reads racing a process
that rewrites chunks: every value read is right, and no chunk is ever seen half-written."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.codecs import ZstdCodec

import zarrs_cffi
from conftest import sample_data, write_array

THREADS = 16
READS_PER_THREAD = 40
SHAPE = (60, 45)
CHUNKS = (8, 10)


def _run_threads(worker: Callable[[int], None], count: int = THREADS) -> None:
    """Runs `worker(index)` on `count` threads started together; re-raises the first failure."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            worker(index)
        except BaseException as err:  # handed to the main thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a reader thread hangs"
    if errors:
        raise errors[0]


def _random_selection(rng: np.random.Generator) -> tuple[Any, ...]:
    """Overlapping boxes with steps (negative ones for the direct API only)."""
    rows = sorted(rng.integers(0, SHAPE[0], 2))
    cols = sorted(rng.integers(0, SHAPE[1], 2))
    return (slice(rows[0], rows[1] + 1, int(rng.integers(1, 4))), slice(cols[0], cols[1] + 1))


@pytest.mark.parametrize("layout", ["zstd", "sharded"])
def test_threads_read_through_every_api_at_once(tmp_path: Path, layout: str) -> None:
    data = sample_data(SHAPE, "int32", seed=71)
    path = tmp_path / "shared.zarr"
    shards = {"shards": (16, 20)} if layout == "sharded" else {}
    write_array(path, data, CHUNKS, compressors=ZstdCodec(), **shards)
    array = zarrs_cffi.open(path)
    with zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "codec_pipeline.strict": True}):
        z = zarr.open_array(str(path), mode="r")
        reads = [0] * THREADS

        def worker(index: int) -> None:
            rng = np.random.default_rng(index)
            for step in range(READS_PER_THREAD):
                selection = _random_selection(rng)
                rows = np.unique(rng.integers(0, SHAPE[0], 7))
                points = (rng.integers(0, SHAPE[0], 9), rng.integers(0, SHAPE[1], 9))
                kind = (index + step) % 8
                if kind == 0:
                    np.testing.assert_array_equal(zarrs_cffi.read(path, selection), data[selection])
                elif kind == 1:
                    out = np.empty(data[selection].shape, dtype=data.dtype)
                    np.testing.assert_array_equal(array.read_into(selection, out), data[selection])
                elif kind == 2:
                    reverse = (selection[0], slice(selection[1].stop - 1, None, -2))
                    np.testing.assert_array_equal(array[reverse], data[reverse])
                elif kind == 3:
                    np.testing.assert_array_equal(array.oindex[rows, 3:40], data[rows, 3:40])
                elif kind == 4:
                    np.testing.assert_array_equal(array.vindex[points], data[points])
                elif kind == 5:
                    rows_per_block, cols_per_block = array.chunks  # shards, for a sharded array
                    block = int(rng.integers(0, -(-SHAPE[0] // rows_per_block)))
                    expected = data[block * rows_per_block : (block + 1) * rows_per_block, cols_per_block:]
                    np.testing.assert_array_equal(array.blocks[block, 1:], expected)
                elif kind == 6:
                    np.testing.assert_array_equal(z[selection], data[selection])
                else:
                    np.testing.assert_array_equal(z.oindex[rows, 5], data[rows, 5])
                    np.testing.assert_array_equal(z.vindex[points], data[points])
                reads[index] += 1

        _run_threads(worker)
    assert sum(reads) == THREADS * READS_PER_THREAD


def test_failures_on_one_thread_do_not_leak_into_others(tmp_path: Path) -> None:
    data = sample_data(SHAPE, "float64", seed=72)
    path = tmp_path / "mixed.zarr"
    write_array(path, data, CHUNKS)
    array = zarrs_cffi.open(path)

    def worker(index: int) -> None:
        for step in range(READS_PER_THREAD):
            if index % 2:
                with pytest.raises(zarrs_cffi.BoundsError, match=f"index {100 + step} is out of bounds"):
                    array[100 + step]
            else:
                np.testing.assert_array_equal(array[step % SHAPE[0]], data[step % SHAPE[0]])

    _run_threads(worker)


# A separate process, as in real use: it rewrites every chunk again and again, each time
# writing a temporary file and renaming it over the chunk, as zarr's LocalStore does.
REWRITER = """
import os, sys, time
root, versions_dir, stop_file = sys.argv[1:4]
versions = [open(os.path.join(versions_dir, name), "rb").read() for name in sorted(os.listdir(versions_dir))]
keys = [os.path.join(dirpath, name) for dirpath, _, names in os.walk(os.path.join(root, "c")) for name in names]
n = 0
while not os.path.exists(stop_file):
    for key in keys:
        n += 1
        temporary = f"{key}.{n}.partial"
        with open(temporary, "wb") as f:
            f.write(versions[n % len(versions)])
        os.replace(temporary, key)
print(n)
"""


def test_reads_racing_a_rewriting_process_see_whole_chunks(tmp_path: Path) -> None:
    shape, chunks = (64, 64), (16, 16)
    path = tmp_path / "rewritten.zarr"
    write_array(path, np.zeros(shape, dtype=np.int32), chunks, compressors=ZstdCodec(), fill_value=-1)
    # Version v of a chunk holds the value v everywhere; the encoded bytes come from zarr.
    versions = tmp_path / "versions"
    versions.mkdir()
    for version in range(1, 6):
        scratch = tmp_path / f"v{version}.zarr"
        write_array(scratch, np.full(chunks, version * 1000 + version, dtype=np.int32), chunks, compressors=ZstdCodec())
        (versions / f"{version}").write_bytes((scratch / "c" / "0" / "0").read_bytes())
    stop = tmp_path / "stop"
    rewriter = subprocess.Popen(
        [sys.executable, "-c", REWRITER, str(path), str(versions), str(stop)], stdout=subprocess.PIPE, text=True
    )
    array = zarrs_cffi.open(path)
    seen: set[int] = set()
    try:
        with zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "codec_pipeline.strict": True}):
            z = zarr.open_array(str(path), mode="r")
            deadline = time.monotonic() + 4

            def worker(index: int) -> None:
                while time.monotonic() < deadline:
                    whole = array[...] if index % 2 else z[...]
                    for block in whole.reshape(4, 16, 4, 16).transpose(0, 2, 1, 3).reshape(16, -1):
                        # Each chunk is one version, entirely: never a mix, never zeros
                        # from a file read while it was being written.
                        values = np.unique(block)
                        assert len(values) == 1 and values[0] % 1001 == 0, values
                        seen.add(int(values[0]))

            _run_threads(worker, 4)
    finally:
        stop.touch()
        rewrites = int(rewriter.communicate(timeout=60)[0])
    assert rewriter.returncode == 0
    # The race really happened: many rewrites, and reads saw several versions.
    assert rewrites > 100 and len(seen) >= 3, (rewrites, seen)
    assert not any(name.endswith(".partial") for _, _, names in os.walk(path) for name in names)
