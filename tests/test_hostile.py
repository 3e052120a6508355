"""Data and arguments nobody should have written: broken shards, chunks that decode to the
wrong size, metadata that lies, and hostile selections. Every case must raise a clear
exception (naming the array and the chunk where one is to blame) through the direct API
and through zarr-python with the pipeline, and must never write outside the selection."""

from __future__ import annotations

import json
import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from zarr.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec

import zarrs_cffi
from conftest import sample_data, write_array
from zarrs_cffi._library import ffi, lib

SHAPE = (16, 12)
CHUNKS = (8, 6)
INNER = (4, 3)
# The sharding index holds (offset, nbytes) as two little-endian uint64 per inner chunk.
INDEX_ENTRY = 16
NUM_INNER = (CHUNKS[0] // INNER[0]) * (CHUNKS[1] // INNER[1])
INDEX_BYTES = NUM_INNER * INDEX_ENTRY


@pytest.fixture
def data() -> np.ndarray:
    return sample_data(SHAPE, "int32", seed=61)


def _both_apis_fail(path: Path, error: type, key: str, data: np.ndarray) -> None:
    """Reading everything fails with `error` naming `key` and the array, through the
    direct API and through zarr with the pipeline; intact chunks still read correctly."""
    message = rf"chunk '{key}'.*{path.name}"
    array = zarrs_cffi.open(path)
    with pytest.raises(error, match=message):
        array[...]
    np.testing.assert_array_equal(array[: CHUNKS[0], : CHUNKS[1]], data[: CHUNKS[0], : CHUNKS[1]])
    with zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "codec_pipeline.strict": True}):
        z = zarr.open_array(str(path), mode="r")
        with pytest.raises(error, match=message):
            z[...]
        np.testing.assert_array_equal(z[: CHUNKS[0], : CHUNKS[1]], data[: CHUNKS[0], : CHUNKS[1]])


def _write_sharded(path: Path, data: np.ndarray, *, index_checksum: bool) -> None:
    index_codecs = [BytesCodec(), Crc32cCodec()] if index_checksum else [BytesCodec()]
    array = zarr.create_array(
        str(path),
        shape=data.shape,
        chunks=CHUNKS,
        dtype=data.dtype,
        serializer=ShardingCodec(
            chunk_shape=INNER,
            codecs=[BytesCodec(), ZstdCodec()],
            index_codecs=index_codecs,
            index_location="end",
        ),
        compressors=None,
        fill_value=0,
    )
    array[...] = data


def _set_index_entry(raw: bytes, entry: int, offset: int, nbytes: int) -> bytes:
    """Rewrites one (offset, nbytes) pair of an unchecksummed index at the end of a shard."""
    index_start = len(raw) - INDEX_BYTES
    at = index_start + entry * INDEX_ENTRY
    return raw[:at] + struct.pack("<QQ", offset, nbytes) + raw[at + INDEX_ENTRY :]


SHARD_DAMAGE: dict[str, tuple[bool, Callable[[bytes], bytes]]] = {
    # (index has a crc32c, damage)
    "index-random-bytes": (False, lambda raw: raw[:-INDEX_BYTES] + bytes(range(7, 7 + INDEX_BYTES))),
    "index-truncated": (False, lambda raw: raw[: -INDEX_ENTRY // 2]),
    "index-only": (False, lambda raw: raw[-INDEX_BYTES:]),
    "offset-past-end": (False, lambda raw: _set_index_entry(raw, 1, len(raw) + 100, 40)),
    "length-past-end": (False, lambda raw: _set_index_entry(raw, 1, 0, len(raw) * 4)),
    "offset-overflows": (False, lambda raw: _set_index_entry(raw, 1, 2**64 - 8, 16)),
    "entries-overlapping-index": (False, lambda raw: _set_index_entry(raw, 1, len(raw) - 20, 20)),
    "inner-chunk-garbage": (False, lambda raw: _set_index_entry(raw, 1, 0, 3)),
    "index-checksum-mismatch": (True, lambda raw: raw[:-5] + bytes([raw[-5] ^ 0x01]) + raw[-4:]),
    "checksummed-index-truncated": (True, lambda raw: raw[:-3]),
}


@pytest.mark.parametrize("case", list(SHARD_DAMAGE), ids=str)
def test_broken_shard_index(tmp_path: Path, data: np.ndarray, case: str) -> None:
    index_checksum, damage = SHARD_DAMAGE[case]
    path = tmp_path / "sharded.zarr"
    _write_sharded(path, data, index_checksum=index_checksum)
    shard = path / "c" / "1" / "1"
    shard.write_bytes(damage(shard.read_bytes()))
    _both_apis_fail(path, zarrs_cffi.DecodeError, "c/1/1", data)
    # Single elements go through the partial decoder, which reads the index itself (this
    # aborted the process when an entry claimed more bytes than the file has). A checksummed
    # index fails every such read; an unchecksummed one may point at other valid inner chunks,
    # which no reader can notice, but it must never crash.
    array = zarrs_cffi.open(path)
    for row, column in np.ndindex(CHUNKS):
        try:
            array[8 + row, 6 + column]
        except zarrs_cffi.DecodeError as err:
            assert "c/1/1" in str(err)
        else:
            assert not index_checksum


WRONG_SIZE: dict[str, tuple[int, Any, Callable[[np.ndarray], bytes]]] = {
    # (zarr format, compressors, what the chunk file holds instead of its 8x6 int32 values)
    "uncompressed-short": (3, None, lambda c: c.tobytes()[:-4]),
    "uncompressed-long": (3, None, lambda c: c.tobytes() + b"\0\0\0\0"),
    "uncompressed-odd": (3, None, lambda c: c.tobytes() + b"\0"),
    "zstd-short": (3, ZstdCodec(), lambda c: numcodecs.Zstd().encode(c.tobytes()[:-4])),
    "zstd-long": (3, ZstdCodec(), lambda c: numcodecs.Zstd().encode(c.tobytes() * 2)),
    "zstd-empty-frame": (3, ZstdCodec(), lambda c: numcodecs.Zstd().encode(b"")),
    "v2-blosc-short": (2, numcodecs.Blosc(), lambda c: numcodecs.Blosc().encode(c.tobytes()[:-8])),
    "v2-blosc-long": (2, numcodecs.Blosc(), lambda c: numcodecs.Blosc().encode(c.tobytes() + bytes(8))),
    "v2-zlib-short": (2, numcodecs.Zlib(), lambda c: numcodecs.Zlib().encode(c.tobytes()[:-4])),
    "v2-uncompressed-long": (2, None, lambda c: c.tobytes() + bytes(4)),
}


@pytest.mark.parametrize("case", list(WRONG_SIZE), ids=str)
def test_chunk_decoding_to_the_wrong_size(tmp_path: Path, data: np.ndarray, case: str) -> None:
    zarr_format, compressors, content = WRONG_SIZE[case]
    path = tmp_path / "wrong-size.zarr"
    write_array(path, data, CHUNKS, zarr_format=zarr_format, compressors=compressors, fill_value=0)
    key = "c/1/1" if zarr_format == 3 else "1.1"
    (path / key).write_bytes(content(data[8:16, 6:12]))
    _both_apis_fail(path, zarrs_cffi.DecodeError, key, data)


def _rewrite_metadata(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    metadata = json.loads((path / "zarr.json").read_text())
    change(metadata)
    (path / "zarr.json").write_text(json.dumps(metadata))


def test_metadata_lying_about_the_data_type(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "lying-dtype.zarr"
    write_array(path, data, CHUNKS, compressors=ZstdCodec(), fill_value=0)
    _rewrite_metadata(path, lambda m: m.update(data_type="int64"))
    # Every chunk now decodes to half the bytes int64 needs; the first one fails.
    with pytest.raises(zarrs_cffi.DecodeError, match=r"chunk 'c/\d/\d'.*lying-dtype\.zarr"):
        zarrs_cffi.open(path)[...]


def test_metadata_lying_about_the_codecs(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "lying-codecs.zarr"
    write_array(path, data, CHUNKS, compressors=None, fill_value=0)
    # The chunks are raw bytes, the metadata claims zstd.
    zstd = {"name": "zstd", "configuration": {"level": 0, "checksum": False}}
    _rewrite_metadata(path, lambda m: m["codecs"].append(zstd))
    message = r"chunk 'c/1/0'.*lying-codecs\.zarr"
    with pytest.raises(zarrs_cffi.DecodeError, match=message):
        zarrs_cffi.open(path)[8:, :6]
    with zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "codec_pipeline.strict": True}):
        with pytest.raises(zarrs_cffi.DecodeError, match=message):
            zarr.open_array(str(path), mode="r")[8:, :6]


def test_metadata_lying_about_the_chunk_shape(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "lying-chunks.zarr"
    write_array(path, data, CHUNKS, compressors=None, fill_value=0)
    _rewrite_metadata(path, lambda m: m["chunk_grid"]["configuration"].update(chunk_shape=[8, 12]))
    with pytest.raises(zarrs_cffi.DecodeError, match=r"chunk 'c/0/0'.*lying-chunks\.zarr"):
        zarrs_cffi.open(path)[...]


def test_absurd_shape_raises_before_allocating(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "absurd.zarr"
    write_array(path, data, CHUNKS, fill_value=0)
    _rewrite_metadata(path, lambda m: m.update(shape=[2**62, 2**62]))
    array = zarrs_cffi.open(path)
    assert array.shape == (2**62, 2**62)
    # Reads that fit are served (the stored corner, then the fill value).
    np.testing.assert_array_equal(array[:16, :12], data)
    assert (array[2**62 - 3 :, 5:9] == 0).all()
    with pytest.raises(zarrs_cffi.OutputError, match="too large"):
        array[...]
    with pytest.raises(zarrs_cffi.OutputError, match="too large"):
        array.oindex[np.arange(3), :]


@pytest.fixture
def stored(tmp_path: Path, data: np.ndarray) -> Path:
    path = tmp_path / "stored.zarr"
    write_array(path, data, CHUNKS, compressors=[ZstdCodec(), Crc32cCodec()])
    return path


def test_failed_read_writes_nothing_outside_the_selection(stored: Path, data: np.ndarray) -> None:
    raw = (stored / "c" / "1" / "1").read_bytes()
    (stored / "c" / "1" / "1").write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    array = zarrs_cffi.open(stored)
    # `out` is rows 3..13 of a larger C-ordered buffer: a contiguous view, so the native
    # read writes into it in place; the rows around it must stay as they were.
    sentinel = np.iinfo(np.int32).min
    backing = np.full((20, 12), sentinel, dtype=np.int32)
    out = backing[3:11]
    assert out.flags.c_contiguous and out.base is backing
    for read in (
        lambda: array.read_into((slice(4, 12), slice(None)), out),
        lambda: array.read_into((slice(8, 16), slice(None)), out),
        lambda: array.read_into((np.arange(8, 16), 7), out[0, :8]),
    ):
        with pytest.raises(zarrs_cffi.DecodeError, match="c/1/1"):
            read()
        assert (backing[:3] == sentinel).all() and (backing[11:] == sentinel).all()
    # A read that succeeds into the same view leaves the surroundings alone as well.
    array.read_into((slice(0, 8), slice(None)), out)
    np.testing.assert_array_equal(out, data[:8])
    assert (backing[:3] == sentinel).all() and (backing[11:] == sentinel).all()


def test_non_contiguous_out_is_filled_correctly(stored: Path, data: np.ndarray) -> None:
    array = zarrs_cffi.open(stored)
    backing = np.full((10, 24), -7, dtype=np.int32)
    out = backing[:, ::2]
    assert not out.flags.c_contiguous
    array.read_into((slice(3, 13), slice(None)), out)
    np.testing.assert_array_equal(out, data[3:13])
    assert (backing[:, 1::2] == -7).all()
    fortran = np.asfortranarray(np.zeros((16, 12), dtype=np.int32))
    np.testing.assert_array_equal(array.read_into(..., fortran), data)


@pytest.mark.parametrize(
    ("reader", "selection"),
    [
        ("getitem", [1.0, 2.0]),
        ("getitem", np.array([np.nan, 1.0])),
        ("getitem", (np.array([1.5]), slice(None))),
        ("getitem", (0, np.float64(2.0))),
        ("getitem", (slice(None), np.inf)),
        ("oindex", (np.array([0.0, 1.0]), slice(None))),
        ("oindex", ([np.nan], slice(None))),
        ("vindex", (np.array([0.0]), np.array([1.0]))),
        ("vindex", (np.array([0]), np.array([np.nan]))),
        ("blocks", 0.5),
        ("blocks", (np.nan, 0)),
    ],
    ids=repr,
)
def test_float_and_nan_indices_are_index_errors(stored: Path, reader: str, selection: Any) -> None:
    array = zarrs_cffi.open(stored)
    target = array if reader == "getitem" else getattr(array, reader)
    with pytest.raises(IndexError):
        target[selection]


def test_huge_index_arrays_fail_before_reading(stored: Path, data: np.ndarray) -> None:
    array = zarrs_cffi.open(stored)
    # Out-of-bounds entries at the end of millions of valid ones.
    rows = np.zeros(4_000_000, dtype=np.int64)
    rows[-1] = 16
    with pytest.raises(zarrs_cffi.BoundsError, match="index 16 is out of bounds"):
        array.oindex[rows, 0]
    with pytest.raises(zarrs_cffi.BoundsError):
        array.vindex[rows, np.zeros_like(rows)]
    with pytest.raises(zarrs_cffi.BoundsError):
        array.oindex[np.array([2**63 + 5], dtype=np.uint64), 0]
    with pytest.raises(zarrs_cffi.BoundsError):
        array.oindex[np.array([-(2**63)]), 0]
    # Python integers beyond int64 (this raised OverflowError while building the plan).
    for index in (2**63, -(2**63) - 1, 10**30):
        with pytest.raises(zarrs_cffi.BoundsError, match="out of bounds"):
            array[index, 0]
    np.testing.assert_array_equal(array[1 :: 2**63, :: -(2**70)], data[1 :: 2**63, :: -(2**70)])
    # A huge valid index array reads correctly.
    rows[-1] = 15
    assert array.oindex[rows, 3].shape == (4_000_000,)


def test_out_of_wrong_kind_is_rejected_before_writing(stored: Path) -> None:
    array = zarrs_cffi.open(stored)
    sentinel = np.full((16, 12), -1, dtype=np.int32)
    with pytest.raises(IndexError):
        array.read_into((slice(0, 16), 12), sentinel[:, 0].copy())
    with pytest.raises(IndexError):
        array.read_into(np.array([0, 16]), sentinel[:2])
    assert (sentinel == -1).all()
    with pytest.raises(TypeError, match="dtype"):
        array.read_into(..., sentinel.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        array.read_into(..., sentinel.reshape(12, 16))
    with pytest.raises(ValueError, match="shape"):
        array.read_into(..., sentinel.reshape(-1))
    with pytest.raises(TypeError):
        array.read_into(..., sentinel.tolist())  # type: ignore[arg-type]


def _hostile_items() -> st.SearchStrategy[Any]:
    """Selection items of every kind a caller might pass, most of them wrong."""
    huge = st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**30])
    ints = st.integers(-20, 20) | huge
    floats = st.sampled_from([np.nan, np.inf, -np.inf, 1.5, 2.0, -0.0])
    bounds = st.none() | ints | floats
    arrays = st.one_of(
        st.lists(st.integers(-20, 20) | st.sampled_from([2**63 - 1, -(2**63)]), max_size=5).map(
            lambda v: np.array(v, dtype=np.int64)
        ),
        st.lists(st.integers(0, 2**64 - 1), max_size=4).map(lambda v: np.array(v, dtype=np.uint64)),
        st.lists(st.booleans(), max_size=20).map(np.array),
        st.lists(floats, max_size=4).map(lambda v: np.array(v, dtype=np.float64)),
        st.just(np.zeros((2, 2), dtype=np.int64)),
    )
    return st.one_of(
        ints,
        floats,
        st.builds(slice, bounds, bounds, bounds),
        st.lists(ints | floats, max_size=4),
        arrays,
        st.sampled_from([Ellipsis, None, "x", True, b"0", 1j]),
    )


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    reader=st.sampled_from(["getitem", "oindex", "vindex", "blocks", "read_into"]),
    items=st.lists(_hostile_items(), max_size=4),
    as_tuple=st.booleans(),
)
def test_hostile_selections_raise_index_errors_or_read_correctly(
    stored: Path, data: np.ndarray, reader: str, items: list[Any], as_tuple: bool
) -> None:
    array = zarrs_cffi.open(stored)
    selection = tuple(items) if as_tuple or len(items) != 1 else items[0]
    out = None
    if reader == "read_into":
        try:
            out = np.full(np.empty(SHAPE, dtype=np.int8)[selection].shape, -1, dtype=data.dtype)
        except (IndexError, TypeError, ValueError, OverflowError):
            out = np.full(3, -1, dtype=data.dtype)  # numpy refuses it: any `out` will do
    try:
        if out is not None:
            result = array.read_into(selection, out)
        else:
            result = (array if reader == "getitem" else getattr(array, reader))[selection]
    except zarrs_cffi.ZarrsCffiError as err:
        # Refused with one of this library's exceptions (all of them IndexError, TypeError
        # or ValueError too); the process lives on.
        event(f"refused: {type(err).__name__}")
        return
    event("read")
    assert result.dtype == data.dtype
    assert np.isin(result, data).all()  # every value read is a stored value


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(("damage", "error"), [("empty", zarrs_cffi.DecodeError), ("directory", zarrs_cffi.StoreError)])
def test_empty_and_directory_chunks_through_both_apis(
    tmp_path: Path, data: np.ndarray, zarr_format: int, damage: str, error: type
) -> None:
    path = tmp_path / "damaged.zarr"
    write_array(path, data, CHUNKS, zarr_format=zarr_format, fill_value=0)
    key = "c/1/1" if zarr_format == 3 else "1.1"
    if damage == "empty":
        (path / key).write_bytes(b"")
    else:
        (path / key).unlink()
        (path / key).mkdir()
    _both_apis_fail(path, error, key, data)


def test_chunk_reads_with_overflowing_counts_return_statuses(stored: Path) -> None:
    array = zarrs_cffi.open(stored)
    out = np.full(4, -1, dtype=np.int32)
    reads = ffi.new("ZcfChunkProjections*")
    reads.mode = lib.ZCF_MODE_ORTHOGONAL
    reads.out_ndim = 1
    shape = ffi.new("uint64_t[1]", [4])
    reads.out_shape = shape
    # num_chunks * ndim overflows: refused before any pointer is followed.
    reads.num_chunks = 2**63 + 1
    status = lib.zcf_array_read_chunks(array._handle, reads, ffi.from_buffer(out), out.nbytes, ffi.NULL)
    assert status == lib.ZCF_STATUS_INVALID_SELECTION
    # A plausible count with NULL arrays behind it.
    reads.num_chunks = 3
    status = lib.zcf_array_read_chunks(array._handle, reads, ffi.from_buffer(out), out.nbytes, ffi.NULL)
    assert status == lib.ZCF_STATUS_NULL_POINTER
    assert (out == -1).all()


def test_checksums_inside_shards_are_verified_on_partial_reads(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "inner-crc.zarr"
    array = zarr.create_array(
        str(path),
        shape=data.shape,
        chunks=CHUNKS,
        dtype=data.dtype,
        serializer=ShardingCodec(chunk_shape=INNER, codecs=[BytesCodec(), Crc32cCodec()]),
        compressors=None,
        fill_value=0,
    )
    array[...] = data
    shard = path / "c" / "1" / "1"
    raw = bytearray(shard.read_bytes())
    raw[0] ^= 0x01  # the first value of the first inner chunk; its crc32c no longer matches
    shard.write_bytes(bytes(raw))
    # Partial reads skip checksums in zarrs: these returned the damaged value.
    for read in (lambda a: a[8, 6], lambda a: a[8:10, 6:8], lambda a: a.vindex[[8], [6]]):
        with pytest.raises(zarrs_cffi.DecodeError, match="c/1/1"):
            read(zarrs_cffi.open(path))
    np.testing.assert_array_equal(zarrs_cffi.open(path)[:8], data[:8])


def _read_attempts(path: Path) -> list[Callable[[], Any]]:
    """Whole, box, point and single-element reads through the direct API and the pipeline."""
    array = zarrs_cffi.open(path)

    def through_zarr(selection: Any) -> Any:
        config = {"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline", "codec_pipeline.strict": True}
        with zarr.config.set(config):
            return zarr.open_array(str(path), mode="r")[selection]

    return [
        lambda: array[...],
        lambda: array[CHUNKS[0] + 1 : CHUNKS[0] + 3, CHUNKS[1] + 2],
        lambda: array[CHUNKS[0] + 1, CHUNKS[1] + 1],
        lambda: array.vindex[[CHUNKS[0] + 1, CHUNKS[0] + 4], [CHUNKS[1], CHUNKS[1] + 5]],
        lambda: through_zarr((slice(CHUNKS[0] + 1, CHUNKS[0] + 3), CHUNKS[1] + 2)),
        lambda: through_zarr(Ellipsis),
    ]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("damage", ["truncated", "extended"])
def test_plain_chunk_of_the_wrong_size_is_reported_on_partial_reads(
    tmp_path: Path, data: np.ndarray, zarr_format: int, damage: str
) -> None:
    """Uncompressed chunks are read by byte ranges when only part is needed: a file of the
    wrong size must still be reported, whatever part is read."""
    path = tmp_path / "plain.zarr"
    write_array(path, data, CHUNKS, zarr_format=zarr_format, fill_value=0, compressors=None)
    key = "c/1/1" if zarr_format == 3 else "1.1"
    chunk = path / key
    stored = chunk.read_bytes()
    chunk.write_bytes(stored[: len(stored) // 2] if damage == "truncated" else stored + b"\0" * 8)
    for attempt in _read_attempts(path):
        with pytest.raises(zarrs_cffi.DecodeError, match=rf"chunk '{key}'.*{path.name}"):
            attempt()
    # The other chunks still read.
    np.testing.assert_array_equal(zarrs_cffi.open(path)[1, 2], data[1, 2])


def _fifo(target: Path) -> None:
    os.mkfifo(target)


def _link_to_fifo(target: Path) -> None:
    fifo = target.parent / "elsewhere.fifo"
    os.mkfifo(fifo)
    target.symlink_to(fifo)


def _link_to_dev_zero(target: Path) -> None:
    target.symlink_to("/dev/zero")


@pytest.mark.parametrize("layout", ["plain", "zstd", "sharded", "v2"])
@pytest.mark.parametrize("make", [_fifo, _link_to_fifo, _link_to_dev_zero], ids=["fifo", "link-to-fifo", "dev-zero"])
def test_chunk_paths_that_are_not_regular_files_are_refused_without_blocking(
    tmp_path: Path, data: np.ndarray, layout: str, make: Callable[[Path], None]
) -> None:
    """A named pipe with no writer blocks a reader forever and `/dev/zero` never ends:
    every read touching such a chunk fails at once with a StoreError naming it."""
    path = tmp_path / f"{layout}.zarr"
    if layout == "sharded":
        _write_sharded(path, data, index_checksum=True)
    else:
        write_array(
            path,
            data,
            CHUNKS,
            zarr_format=2 if layout == "v2" else 3,
            fill_value=0,
            compressors=None if layout == "plain" else "auto",
        )
    key = "1.1" if layout == "v2" else "c/1/1"
    (path / key).unlink()
    make(path / key)
    failures: list[BaseException] = []

    def read_all() -> None:
        for attempt in _read_attempts(path):
            try:
                attempt()
            except zarrs_cffi.StoreError as err:
                failures.append(err)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "a read blocked on a chunk path that is not a regular file"
    attempts = len(_read_attempts(path))
    assert len(failures) == attempts, failures
    for err in failures:
        assert f"chunk '{key}'" in str(err) and "not a regular file" in str(err)
