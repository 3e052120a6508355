"""Long-running use stays bounded: memory and file descriptors do not grow with the number
of reads, and the native worker threads never outnumber the configured count."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import ZstdCodec

import zarrs_cffi
from conftest import sample_data, write_array

SHAPE = (40, 40)
CHUNKS = (8, 8)


@pytest.fixture(scope="module")
def stored(array_dir: Path) -> tuple[np.ndarray, Path]:
    data = sample_data(SHAPE, "int16", seed=81)
    path = array_dir / "resources.zarr"
    write_array(path, data, CHUNKS, compressors=ZstdCodec())
    return data, path


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _worker_threads() -> int:
    """The library's worker threads in this process (named `zarrs-cffi-N`)."""
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                count += comm.read().startswith("zarrs-cffi-")
        except FileNotFoundError:  # the thread just ended
            pass
    return count


def _settled_worker_threads(expected: int) -> int:
    """The worker count once threads of replaced pools have wound down (they end
    asynchronously after `set_num_threads`)."""
    deadline = time.monotonic() + 10
    while (count := _worker_threads()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@pytest.fixture
def default_threads() -> Iterator[None]:
    yield
    zarrs_cffi.set_num_threads(0)


def test_many_small_reads_keep_memory_flat(stored: tuple[np.ndarray, Path]) -> None:
    data, path = stored
    array = zarrs_cffi.open(path)
    out = np.empty(3, dtype=data.dtype)

    def small_reads(count: int) -> None:
        for n in range(count):
            i, j = n % 40, (n * 7) % 40
            kind = n % 4
            if kind == 0:
                assert array[i, j] == data[i, j]
            elif kind == 1:
                array.read_into((i, slice(j // 2, j // 2 + 3)), out)
                assert out[0] == data[i, j // 2]
            elif kind == 2:
                assert array.vindex[[i], [j]][0] == data[i, j]
            else:
                # Failing reads allocate an error message on the native side.
                with pytest.raises(IndexError):
                    array[40 + i, j]

    small_reads(10_000)  # warm-up: allocator pools, caches, the worker threads
    gc.collect()
    before = _rss_bytes()
    small_reads(90_000)
    gc.collect()
    growth = _rss_bytes() - before
    # A leak of even 50 bytes per read would show as 4.5 MB.
    assert growth < 3 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 90 000 reads"


def test_file_descriptors_are_not_leaked(stored: tuple[np.ndarray, Path], tmp_path: Path) -> None:
    data, path = stored
    corrupt = tmp_path / "corrupt.zarr"
    write_array(corrupt, data, CHUNKS, compressors=ZstdCodec())
    (corrupt / "c" / "1" / "1").write_bytes(b"not zstd")
    (corrupt / "c" / "2" / "2").unlink()
    (corrupt / "c" / "2" / "2").mkdir()
    zarrs_cffi.read(path)  # start the worker threads before counting
    gc.collect()
    before = _open_fds()
    for n in range(300):
        np.testing.assert_array_equal(zarrs_cffi.read(path, (slice(n % 30, None), 3)), data[n % 30 :, 3])
        with pytest.raises(zarrs_cffi.DecodeError):
            zarrs_cffi.read(corrupt, (slice(8, 16), slice(8, 16)))
        with pytest.raises(zarrs_cffi.StoreError):
            zarrs_cffi.read(corrupt, (slice(16, 24), slice(16, 24)))
        with pytest.raises(zarrs_cffi.ArrayNotFoundError):
            zarrs_cffi.open(tmp_path / "missing.zarr")
    with zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline"}):
        for _ in range(100):
            zarr.open_array(str(path), mode="r")[5:30]
    gc.collect()
    assert _open_fds() == before


def test_worker_threads_follow_set_num_threads(stored: tuple[np.ndarray, Path], default_threads: None) -> None:
    data, path = stored
    array = zarrs_cffi.open(path)
    for threads in (3, 1, 5):
        zarrs_cffi.set_num_threads(threads)
        np.testing.assert_array_equal(array[...], data)
        assert _settled_worker_threads(threads) == threads


def test_concurrent_callers_share_the_configured_threads(
    stored: tuple[np.ndarray, Path], default_threads: None
) -> None:
    """Sixteen caller threads (as dask would run) do not multiply the worker threads."""
    data, path = stored
    array = zarrs_cffi.open(path)
    zarrs_cffi.set_num_threads(2)
    array[...]  # many chunks: starts the pool (a one-chunk read runs on the calling thread)
    assert _settled_worker_threads(2) == 2
    most = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, _worker_threads())

    sampler = threading.Thread(target=sample)
    sampler.start()
    callers = [
        threading.Thread(target=lambda: [np.testing.assert_array_equal(array[::2], data[::2]) for _ in range(30)])
        for _ in range(16)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=120)
    done.set()
    sampler.join()
    assert most == 2


def test_pipeline_threads_follow_zarr_max_workers(stored: tuple[np.ndarray, Path], default_threads: None) -> None:
    data, path = stored
    for workers in (3, 1):
        config = {"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "threading.max_workers": workers}
        with zarr.config.set(config):
            np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[...], data)
        assert zarrs_cffi.get_num_threads() == workers
        assert _settled_worker_threads(workers) == workers


_THREAD_COUNT_SCRIPT = """
import os, sys
import numpy as np
import zarrs_cffi

def threads():
    return len(os.listdir("/proc/self/task"))

zarrs_cffi.set_num_threads(2)
before = threads()
for path in sys.argv[1:]:
    array = zarrs_cffi.open(path)
    array[1, 2]
    array[3:5, 1:9]
    array[::3, 2]
    array.vindex[[1, 20], [3, 30]]
    array[...]
    zarrs_cffi.read(path, (slice(0, 4), 7))
print(threads() - before)
"""


def test_reads_start_no_threads_beyond_the_pool(tmp_path: Path) -> None:
    """zarrs sizes its defaults by asking rayon for the current pool's size; asked outside
    a pool, rayon starts its global pool (RAYON_NUM_THREADS threads). Opening and reading
    must only ever ask on the library's own pool."""
    data = sample_data(SHAPE, "int16", seed=82)
    paths = []
    for name, kwargs in {
        "raw": {"compressors": None},
        "zstd": {"compressors": ZstdCodec()},
        "sharded": {"compressors": ZstdCodec(), "shards": (16, 16)},
        "v2": {"zarr_format": 2},
    }.items():
        paths.append(str(tmp_path / f"{name}.zarr"))
        write_array(Path(paths[-1]), data, CHUNKS, **kwargs)
    env = {**os.environ, "RAYON_NUM_THREADS": "7"}
    completed = subprocess.run(
        [sys.executable, "-c", _THREAD_COUNT_SCRIPT, *paths], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["2"]
