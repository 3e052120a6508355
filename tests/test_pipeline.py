"""ZarrsCodecPipeline inside zarr-python: same results as zarr's own pipeline for every
layout and selection kind, native reads where possible, fallback (or strict errors)
elsewhere, and the plumbing zarr relies on (config, pickling, processes, writes)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec
from zarr.storage import FsspecStore, LocalStore, MemoryStore

import zarrs_cffi
from conftest import sample_data, write_array
from test_read_selections import LAYOUTS, SELECTIONS, write_layout
from zarrs_cffi.pipeline import ZarrsCodecPipeline, stats

PIPELINE = "zarrs_cffi.ZarrsCodecPipeline"
BATCHED = "zarr.core.codec_pipeline.BatchedCodecPipeline"
HAS_GET_RESULT = hasattr(zarr.abc.codec, "GetResult")


@contextmanager
def pipeline(path: str, **extra: Any) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": path, **extra}):
        yield


def select(z: zarr.Array, kind: str, selection: Any) -> np.ndarray:
    if kind == "getitem":
        return np.asarray(z[selection])
    return np.asarray(getattr(z, kind)[selection])


@pytest.fixture(scope="module")
def layout_paths(array_dir: Path) -> dict[str, Path]:
    (array_dir / "pipeline").mkdir(exist_ok=True)
    return {name: write_layout(array_dir / "pipeline", name)[1] for name in LAYOUTS}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_selection_matches_zarrs_own_pipeline(layout_paths: dict[str, Path], layout: str) -> None:
    path = str(layout_paths[layout])
    with pipeline(BATCHED):
        reference = zarr.open_array(path, mode="r")
        assert type(reference._async_array.codec_pipeline).__name__ == "BatchedCodecPipeline"
    with pipeline(PIPELINE):
        z = zarr.open_array(path, mode="r")
        assert isinstance(z._async_array.codec_pipeline, ZarrsCodecPipeline)
    native_before, fallback_before, unsupported_before = stats.native, stats.fallback, stats.unsupported
    compared = 0
    for kind, selection in SELECTIONS:
        try:
            expected = select(reference, kind, selection)
        except IndexError:
            with pytest.raises(IndexError):
                select(z, kind, selection)
            continue
        result = select(z, kind, selection)
        assert result.dtype == expected.dtype and result.shape == expected.shape, (kind, selection)
        np.testing.assert_array_equal(result, expected, err_msg=f"{kind} {selection!r}")
        compared += 1
    assert compared > 30
    # Every read took the native path: a silent fallback cannot pass as success.
    assert (stats.fallback, stats.unsupported) == (fallback_before, unsupported_before)
    assert stats.native - native_before >= compared - 5  # reads of zero elements skip the pipeline


def test_selected_by_environment_variable_through_the_entry_point(layout_paths: dict[str, Path]) -> None:
    script = (
        "import zarr, numpy as np\n"
        f"z = zarr.open_array({str(layout_paths['v3-sharded'])!r}, mode='r')\n"
        "print(type(z._async_array.codec_pipeline).__module__, type(z._async_array.codec_pipeline).__name__)\n"
        "print(int(z[...].sum()))\n"
    )
    env = {**os.environ, "ZARR_CODEC_PIPELINE__PATH": PIPELINE}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    module_and_name, total = result.stdout.split("\n")[:2]
    assert module_and_name == "zarrs_cffi ZarrsCodecPipeline"
    with pipeline(BATCHED):
        assert int(total) == int(zarr.open_array(str(layout_paths["v3-sharded"]), mode="r")[...].sum())


def test_fortran_order_and_big_endian_outputs(layout_paths: dict[str, Path]) -> None:
    for layout in ["v2-order-F", "v2-big-endian", "v2-big-endian-float-F"]:
        with pipeline(BATCHED):
            expected = zarr.open_array(str(layout_paths[layout]), mode="r")[...]
        with pipeline(PIPELINE):
            native_before = stats.native
            result = zarr.open_array(str(layout_paths[layout]), mode="r")[...]
            assert stats.native == native_before + 1
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)


def test_out_argument_is_filled(layout_paths: dict[str, Path]) -> None:
    from zarr.core.buffer import default_buffer_prototype

    with pipeline(PIPELINE):
        z = zarr.open_array(str(layout_paths["v3-zstd"]), mode="r")
        out = default_buffer_prototype().nd_buffer.from_numpy_array(np.zeros((10, 23), dtype="int32"))
        z.get_basic_selection(slice(5, 15), out=out)
        with pipeline(BATCHED):
            expected = zarr.open_array(str(layout_paths["v3-zstd"]), mode="r")[5:15]
        np.testing.assert_array_equal(out.as_numpy_array(), expected)


@pytest.mark.skipif(not HAS_GET_RESULT, reason="zarr < 3.2 does not report missing chunks")
def test_missing_chunks_are_reported(layout_paths: dict[str, Path]) -> None:
    with pipeline(PIPELINE):
        z = zarr.open_array(str(layout_paths["v3-missing-chunks"]), mode="r", config={"read_missing_chunks": False})
        np.testing.assert_array_equal(z[:8, 5:10], zarr.open_array(str(layout_paths["v3-missing-chunks"]))[:8, 5:10])
        with pytest.raises(zarr.errors.ChunkNotFoundError, match="c/0/0"):
            z[:8, :5]


def test_unsupported_arrays_fall_back_unless_strict(tmp_path: Path) -> None:
    data = np.array(["a", "bc", "def"])
    with pipeline(PIPELINE):
        z = zarr.create_array(str(tmp_path / "s.zarr"), shape=(3,), dtype=str, chunks=(2,))
        z[:] = data
        unsupported_before = stats.unsupported
        np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "s.zarr"))[:], data)
        assert stats.unsupported > unsupported_before
        memory = zarr.create_array(MemoryStore(), shape=(4,), dtype="int8", chunks=(2,))
        memory[:] = [1, 2, 3, 4]
        assert memory[1:3].tolist() == [2, 3]
    with pipeline(PIPELINE, **{"codec_pipeline.strict": True}):
        with pytest.raises(zarrs_cffi.StrictModeError, match="not read natively"):
            zarr.open_array(str(tmp_path / "s.zarr"))
        with pytest.raises(zarrs_cffi.StrictModeError, match="LocalStore"):
            zarr.create_array(MemoryStore(), shape=(4,), dtype="int8", chunks=(2,))


def test_fsspec_store_over_local_files_reads_natively(layout_paths: dict[str, Path]) -> None:
    # What dask.array.from_zarr opens for a path.
    path = str(layout_paths["v3-sharded"])
    with pipeline(BATCHED):
        expected = zarr.open_array(path, mode="r")[...]
    with pipeline(PIPELINE, **{"codec_pipeline.strict": True}):
        z = zarr.open_array(FsspecStore.from_url(f"file://{path}", read_only=True), mode="r")
        native_before = stats.native
        np.testing.assert_array_equal(z[...], expected)
        assert stats.native == native_before + 1
        # Other file systems are not local directories.
        with pytest.raises(zarrs_cffi.StrictModeError, match="FsspecStore"):
            zarr.create_array(FsspecStore.from_url("memory://fsspec.zarr"), shape=(4,), dtype="int8", chunks=(2,))


def test_configuration_reaches_the_engine(tmp_path: Path) -> None:
    data = sample_data((16, 16), "float64", seed=61)
    path = tmp_path / "crc.zarr"
    write_array(path, data, (8, 8), compressors=[ZstdCodec(), Crc32cCodec()])
    chunk = path / "c" / "0" / "0"
    raw = bytearray(chunk.read_bytes())
    raw[-1] ^= 0xFF  # break only the stored checksum
    chunk.write_bytes(bytes(raw))
    try:
        with pipeline(PIPELINE, **{"threading.max_workers": 1}):
            z = zarr.open_array(str(path), mode="r")
            with pytest.raises(zarrs_cffi.DecodeError, match="c/0/0"):
                z[...]
            assert zarrs_cffi.get_num_threads() == 1
        with pipeline(PIPELINE, **{"codec_pipeline.validate_checksums": False}):
            np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[...], data)
    finally:
        with pipeline(PIPELINE):
            zarr.open_array(str(path), mode="r")[15, 15]  # an intact chunk; restores the engine defaults
    assert zarrs_cffi.get_num_threads() == os.cpu_count()


def test_unset_thread_configuration_keeps_set_num_threads(layout_paths: dict[str, Path]) -> None:
    # In a fresh process (the first pipeline read is what used to reset the count): a count
    # set directly, e.g. by a dask worker plugin, survives reads while zarr's
    # `threading.max_workers` is unset, and the configuration still wins once set.
    script = (
        "import zarr, zarrs_cffi\n"
        "zarrs_cffi.set_num_threads(3)\n"
        f"zarr.config.set({{'codec_pipeline.path': {PIPELINE!r}}})\n"
        f"z = zarr.open_array({str(layout_paths['v3-sharded'])!r}, mode='r')\n"
        "z[...]\n"
        "print(zarrs_cffi.get_num_threads())\n"
        "with zarr.config.set({'threading.max_workers': 2}):\n"
        "    z[...]\n"
        "    print(zarrs_cffi.get_num_threads())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZARR_")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["3", "2"]


def test_pickling_and_equality(layout_paths: dict[str, Path]) -> None:
    with pipeline(PIPELINE):
        z = zarr.open_array(str(layout_paths["v3-zstd"]), mode="r")
        first = z[...]
        codec_pipeline = z._async_array.codec_pipeline
        restored = pickle.loads(pickle.dumps(codec_pipeline))
        assert restored == codec_pipeline
        assert restored._arrays == {}
        again = pickle.loads(pickle.dumps(z))
        np.testing.assert_array_equal(again[...], first)
        assert zarr.open_array(str(layout_paths["v3-zstd"]), mode="r") == z


def _read_sum(path: str) -> float:
    with zarr.config.set({"codec_pipeline.path": PIPELINE}):
        return float(zarr.open_array(path, mode="r")[...].astype(np.float64).sum())


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_processes(layout_paths: dict[str, Path], method: str) -> None:
    path = str(layout_paths["v3-sharded"])
    expected = _read_sum(path)  # the engine's threads exist before the fork
    with multiprocessing.get_context(method).Pool(2) as pool:
        sums = pool.map_async(_read_sum, [path] * 4).get(timeout=120)
    assert sums == [expected] * 4


@pytest.mark.parametrize("write_empty_chunks", [False, True])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_writes_match_zarrs_own_pipeline(tmp_path: Path, write_empty_chunks: bool, zarr_format: int) -> None:
    data = sample_data((20, 20), "int16", seed=62)
    data[:10, :10] = 0  # whole chunks of the fill value
    stores = {}
    for name in (PIPELINE, BATCHED):
        path = tmp_path / name.rsplit(".", 1)[1]
        with pipeline(name):
            z = zarr.create_array(
                str(path),
                shape=data.shape,
                chunks=(5, 5),
                dtype=data.dtype,
                zarr_format=zarr_format,
                config={"write_empty_chunks": write_empty_chunks},
            )
            z[...] = data
            z[3:17:2, 4] = 7
        stores[name] = path
    ours, theirs = (
        sorted(p.relative_to(stores[n]).as_posix() for p in stores[n].rglob("*") if p.is_file())
        for n in (PIPELINE, BATCHED)
    )
    assert ours == theirs
    for key in ours:
        assert (stores[PIPELINE] / key).read_bytes() == (stores[BATCHED] / key).read_bytes(), key
    # Each reads the other's output.
    for reader, written in ((PIPELINE, BATCHED), (BATCHED, PIPELINE)):
        with pipeline(reader):
            expected = data.copy()
            expected[3:17:2, 4] = 7
            np.testing.assert_array_equal(zarr.open_array(str(stores[written]), mode="r")[...], expected)


def test_nested_groups_and_arrays_at_the_store_root(tmp_path: Path) -> None:
    data = sample_data((9, 7), "uint32", seed=63)
    with pipeline(PIPELINE):
        root = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
        nested = (
            root.create_group("a")
            .create_group("b")
            .create_array("x", shape=data.shape, chunks=(4, 4), dtype=data.dtype)
        )
        nested[...] = data
        at_root = zarr.create_array(
            LocalStore(str(tmp_path / "root.zarr")), shape=data.shape, chunks=(4, 4), dtype=data.dtype
        )
        at_root[...] = data
        native_before = stats.native
        np.testing.assert_array_equal(zarr.open_group(str(tmp_path / "g.zarr"), mode="r")["a/b/x"][1:, 1], data[1:, 1])
        np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "root.zarr"), mode="r")[...], data)
        assert stats.native == native_before + 2
