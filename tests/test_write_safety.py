"""Writes never leave a torn chunk and a rejected write changes nothing: a writer killed
with SIGKILL at random moments leaves every chunk decodable, old or new; readers running
beside a writer never see a mix; many threads write distinct chunks at once; every bad
argument raises before anything is stored."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

import zarrs_cffi

SHAPE = (48, 40, 36)
LAYOUTS: dict[str, dict[str, Any]] = {
    "v3-zstd": {"chunks": (16, 10, 12)},
    "v3-sharded": {"chunks": (8, 10, 6), "shards": (16, 20, 12)},
    "v2-blosc": {"chunks": (16, 10, 12), "zarr_format": 2, "compressors": "blosc"},
}

# Writes the whole array with one value per round (values growing from writer to
# writer: a writer's rounds start at 1000 times its number), round after round, until
# killed; prints each round's value before starting it.
WRITER = """
import sys
import numpy as np
import zarrs_cffi
array = zarrs_cffi.open(sys.argv[1], mode="r+")
shape = array.shape
rng = np.random.default_rng(int(sys.argv[2]))
round = 1000 * int(sys.argv[2]) + 1
while True:
    print(round, flush=True)
    values = np.full(shape, round, dtype=array.dtype)
    if round % 3 == 0:
        # A partial write: every chunk it touches is read, changed and replaced.
        array[rng.integers(0, shape[0]):, :: int(rng.integers(1, 4))] = round
    else:
        array[...] = values
    round += 1
"""


def snapshot(path: Path) -> dict[str, str]:
    """Every file under `path` and a hash of its bytes."""
    return {
        str(file.relative_to(path)): hashlib.sha256(file.read_bytes()).hexdigest()
        for file in sorted(path.rglob("*"))
        if file.is_file()
    }


def check_every_chunk_is_whole(path: Path, layout: str, last_round: int) -> None:
    """Each stored chunk decodes and holds values of rounds no later than the last one
    started."""
    array = zarrs_cffi.open(path)
    chunks = LAYOUTS[layout].get("shards") or LAYOUTS[layout]["chunks"]
    for origin in np.ndindex(*(len(range(0, s, c)) for s, c in zip(SHAPE, chunks, strict=True))):
        region = tuple(slice(i * c, (i + 1) * c) for i, c in zip(origin, chunks, strict=True))
        values = array[region]  # raises DecodeError on a torn chunk
        assert values.max() <= last_round, (origin, values.max(), last_round)
    zarr.open_array(str(path), mode="r")[...]  # zarr-python reads it too


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_killed_writer_leaves_every_chunk_old_or_new(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "a.zarr"
    zarrs_cffi.create(path, shape=SHAPE, dtype="int32", **LAYOUTS[layout])[...] = 0
    rng = np.random.default_rng(7)
    kills = 0
    while kills < 12:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(kills + 1)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        last_round = int(writer.stdout.readline())  # it has started writing
        time.sleep(float(rng.uniform(0.0, 0.4)))
        writer.send_signal(signal.SIGKILL)
        rest = writer.communicate()[0].split()
        writer.wait()
        last_round = int(rest[-1]) if rest else last_round
        check_every_chunk_is_whole(path, layout, last_round)
        kills += 1
    # Temporary files of killed writers are not chunks: readers never open them, and
    # zarr-python's listing of the chunks is not confused by them.
    z = zarr.open_array(str(path), mode="r")
    assert z.nchunks_initialized <= z.nchunks
    np.testing.assert_array_equal(zarrs_cffi.read(path), z[...])


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_readers_never_see_a_torn_chunk(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "a.zarr"
    chunks = LAYOUTS[layout].get("shards") or LAYOUTS[layout]["chunks"]
    writer_array = zarrs_cffi.create(path, shape=SHAPE, dtype="int32", **LAYOUTS[layout])
    writer_array[...] = 0
    stop = threading.Event()
    failures: list[str] = []
    seen: set[int] = set()

    def write() -> None:
        value = 1
        while not stop.is_set():
            writer_array[...] = value  # every chunk holds one value at a time
            value += 1

    def read() -> None:
        reader = zarrs_cffi.open(path)
        region = tuple(slice(0, c) for c in chunks)
        while not stop.is_set():
            values = np.unique(reader[region])
            seen.update(values.tolist())
            if len(values) != 1:
                failures.append(f"a chunk held {values}")

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(seen) >= 3, seen  # the writer did replace the chunk while readers read


def test_threads_write_distinct_chunks_at_once(tmp_path: Path) -> None:
    array = zarrs_cffi.create(tmp_path / "a.zarr", shape=(64, 300), chunks=(4, 300), dtype="float64")
    model = np.zeros((64, 300))
    errors: list[BaseException] = []

    def write(row_block: int) -> None:
        try:
            for round in range(20):
                values = np.full((4, 300), row_block * 100 + round, dtype=np.float64)
                array[row_block * 4 : (row_block + 1) * 4] = values
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write, args=(block,)) for block in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for block in range(16):
        model[block * 4 : (block + 1) * 4] = block * 100 + 19
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "a.zarr"), mode="r")[...], model)


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, zarrs_cffi.Array]:
    path = tmp_path / "a.zarr"
    array = zarrs_cffi.create(path, shape=(20, 12), chunks=(8, 5), shards=(16, 10), dtype="int16", fill_value=-1)
    array[...] = np.arange(240, dtype=np.int16).reshape(20, 12)
    return path, array


BAD_WRITES: list[tuple[str, Any, Any, type[BaseException], str]] = [
    (
        "getitem",
        (slice(0, 3), 0),
        np.ones(4),
        ValueError,
        "could not broadcast input array from shape (4,) into shape (3,)",
    ),
    ("getitem", (20, 0), 1, IndexError, "index 20 is out of bounds for axis 0 with size 20"),
    ("getitem", (slice(0, 2), slice(0, 2), 0), 1, IndexError, "too many indices"),
    ("getitem", (0, 0), 2**15, OverflowError, "out of bounds for int16"),
    ("getitem", (0, 0), "text", ValueError, "invalid literal"),
    ("getitem", (slice(None, None, 0), 0), 1, IndexError, "slice step cannot be zero"),
    ("oindex", ([0, 25], 0), [1, 2], IndexError, "index 25 is out of bounds for axis 0 with size 20"),
    ("oindex", (np.ones(19, dtype=bool), 0), 1, IndexError, "Boolean array has the wrong length"),
    ("vindex", ([0, 1], [0, 1, 2]), 1, IndexError, "cannot be broadcast"),
    ("vindex", ([0, 1], [0, 13]), 1, IndexError, "index 13 is out of bounds for axis 1 with size 12"),
    ("blocks", (2, 0), 1, IndexError, "block index 2 is out of bounds"),
]


@pytest.mark.parametrize(("kind", "selection", "value", "error", "message"), BAD_WRITES)
def test_bad_writes_raise_before_anything_is_stored(
    written: tuple[Path, zarrs_cffi.Array], kind: str, selection: Any, value: Any, error: type, message: str
) -> None:
    path, array = written
    before = snapshot(path)
    target = array if kind == "getitem" else getattr(array, kind)
    with pytest.raises(error, match=__import__("re").escape(message)):
        target[selection] = value
    assert snapshot(path) == before


def test_read_only_arrays_refuse_writes(written: tuple[Path, zarrs_cffi.Array]) -> None:
    path, _ = written
    before = snapshot(path)
    reader = zarrs_cffi.open(path)
    assert reader.read_only
    for attempt in (
        lambda: reader.__setitem__((0, 0), 1),
        lambda: reader.oindex.__setitem__(([0], [0]), 1),
        lambda: zarrs_cffi.Array(path).write(Ellipsis, 0),
    ):
        with pytest.raises(zarrs_cffi.ReadOnlyError, match="opened for reading only"):
            attempt()
    assert isinstance(zarrs_cffi.ReadOnlyError("x"), ValueError)  # as zarr raises
    assert snapshot(path) == before


def test_create_refuses_what_it_cannot_make(tmp_path: Path, written: tuple[Path, zarrs_cffi.Array]) -> None:
    path, _ = written
    before = snapshot(path)
    with pytest.raises(zarrs_cffi.AlreadyExistsError, match="already exists"):
        zarrs_cffi.create(path, shape=(3,), dtype="int8")
    with pytest.raises(zarrs_cffi.UnsupportedDataTypeError):
        zarrs_cffi.create(path, shape=(3,), dtype="U4", overwrite=True)
    with pytest.raises(ValueError, match="fill value 300 is not a value of data type int8"):
        zarrs_cffi.create(path, shape=(3,), dtype="int8", fill_value=300, overwrite=True)
    with pytest.raises(ValueError, match="multiple of the chunk shape"):
        zarrs_cffi.create(path, shape=(30,), dtype="int8", chunks=(4,), shards=(10,), overwrite=True)
    with pytest.raises(zarrs_cffi.UnsupportedError):
        zarrs_cffi.create(path, shape=(3,), dtype="int8", compressors={"name": "no-such-codec"}, overwrite=True)
    assert snapshot(path) == before
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(zarrs_cffi.AlreadyExistsError, match="holds files but no Zarr node"):
        zarrs_cffi.create(other, shape=(3,), dtype="int8", overwrite=True)
    assert (other / "keep.txt").read_text() == "mine"
    replaced = zarrs_cffi.create(path, shape=(3,), dtype="int8", overwrite=True)
    assert replaced.shape == (3,) and sorted(os.listdir(path)) == ["zarr.json"]


def test_open_modes(tmp_path: Path) -> None:
    path = tmp_path / "a.zarr"
    with pytest.raises(zarrs_cffi.ArrayNotFoundError):
        zarrs_cffi.open(path, mode="r+")
    created = zarrs_cffi.open(path, mode="a", shape=(4,), dtype="uint8", chunks=(2,))
    created[...] = [1, 2, 3, 4]
    again = zarrs_cffi.open(path, mode="a", shape=(9,), dtype="uint8")  # exists: opened, not created
    assert again.shape == (4,) and list(again[...]) == [1, 2, 3, 4]
    with pytest.raises(zarrs_cffi.AlreadyExistsError):
        zarrs_cffi.open(path, mode="w-", shape=(4,), dtype="uint8")
    replaced = zarrs_cffi.open(path, mode="w", shape=(5,), dtype="float32")
    assert replaced.shape == (5,) and list(replaced[...]) == [0] * 5
    with pytest.raises(ValueError, match="mode must be"):
        zarrs_cffi.open(path, mode="q")
    zarrs_cffi.write(path, slice(1, 3), 2.5)
    np.testing.assert_array_equal(zarrs_cffi.read(path), [0, 2.5, 2.5, 0, 0])
