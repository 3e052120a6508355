"""Reads keep working in processes started after a read, by every start method
(a forked child must not wait for the parent's worker threads)."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zarrs_cffi
from conftest import sample_data, write_array


def _sum_rows(args: tuple[str, int]) -> float:
    path, row = args
    return float(zarrs_cffi.read(path, (row, slice(None))).sum())


def _sum_with_pickled_array(array: zarrs_cffi.Array) -> float:
    return float(array[::2].sum())


@pytest.fixture(scope="module")
def stored(array_dir: Path) -> tuple[np.ndarray, str]:
    data = sample_data((64, 50), "float32", seed=41)
    write_array(array_dir / "processes.zarr", data, (8, 10), shards=(16, 20))
    return data, str(array_dir / "processes.zarr")


# Forking a process that runs worker threads is what this test is about.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_reads_in_child_processes_after_a_read(stored: tuple[np.ndarray, str], method: str) -> None:
    data, path = stored
    # Start the worker threads in this process first: the state a forked child inherits.
    np.testing.assert_array_equal(zarrs_cffi.read(path), data)
    context = multiprocessing.get_context(method)
    with context.Pool(2) as pool:
        sums = pool.map_async(_sum_rows, [(path, row) for row in range(0, 64, 9)]).get(timeout=120)
        pickled = pool.apply_async(_sum_with_pickled_array, (zarrs_cffi.open(path),)).get(timeout=120)
    np.testing.assert_allclose(sums, [data[row].sum() for row in range(0, 64, 9)], rtol=1e-5)
    np.testing.assert_allclose(pickled, data[::2].sum(), rtol=1e-5)


def test_array_pickles_by_path(stored: tuple[np.ndarray, str]) -> None:
    data, path = stored
    array = pickle.loads(pickle.dumps(zarrs_cffi.open(path)))
    np.testing.assert_array_equal(array[3:9], data[3:9])


def _read_and_report(source: str | zarrs_cffi.Array, expected: float, results: Any) -> None:
    # A path opens the array afresh; an `Array` is the parent's handle, inherited by fork
    # (as a DataLoader worker uses the dataset's), with whatever state its threads left.
    array = zarrs_cffi.open(source) if isinstance(source, str) else source
    results.put(float(array[...].sum()) == expected)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_while_other_threads_are_reading(stored: tuple[np.ndarray, str]) -> None:
    """Forks land at arbitrary points of reads running on other threads (and of the pool
    being rebuilt); every child must still read, and none may hang."""
    data, path = stored
    expected = float(zarrs_cffi.read(path).sum())
    array = zarrs_cffi.open(path)
    stop = threading.Event()

    def keep_reading(rebuild: bool) -> None:
        while not stop.is_set():
            if rebuild:
                # Replace the pool and start the new one with a tiny read, again and again:
                # most of the time, some thread is building a pool.
                zarrs_cffi.set_num_threads(1 + zarrs_cffi.get_num_threads() % 3)
                assert array[5, 7] == data[5, 7]
            else:
                # Whole reads touch every chunk file: most of the time some thread is
                # opening one (the moment the filesystem store used to hold its locks).
                np.testing.assert_array_equal(array[...], data)

    readers = [threading.Thread(target=keep_reading, args=(n < 2,)) for n in range(5)]
    for reader in readers:
        reader.start()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    try:
        # Before fork took the pool's lock, and before reads stopped taking the filesystem
        # store's locks, this hung within the first few dozen forks.
        for n in range(100):
            source = path if n % 2 else array
            child = context.Process(target=_read_and_report, args=(source, expected, results))
            child.start()
            child.join(timeout=20)
            if child.is_alive():
                child.kill()
                pytest.fail("a process forked during a read hangs")
            assert child.exitcode == 0
            assert results.get(timeout=10)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        zarrs_cffi.set_num_threads(0)
