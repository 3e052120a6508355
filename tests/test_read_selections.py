"""Every read path against zarr-python: codecs x formats x layouts x selection kinds,
data types x formats, and shapes with edge chunks. Arrays are written by zarr-python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    TransposeCodec,
    ZstdCodec,
)

import zarrs_cffi
from conftest import sample_data, write_array, zarr_reference

SHAPE = (37, 23)
CHUNKS = (8, 5)


def _skip_diagonal(origin: tuple[int, ...]) -> bool:
    return len(set(origin)) == 1


# name -> (zarr_format, chunks, dtype, create_array kwargs)
LAYOUTS: dict[str, tuple[int, tuple[int, ...], str, dict[str, Any]]] = {
    "v3-raw": (3, CHUNKS, "int32", {"compressors": None}),
    "v3-zstd": (3, CHUNKS, "int32", {"compressors": ZstdCodec(level=3)}),
    "v3-gzip": (3, CHUNKS, "float64", {"compressors": GzipCodec()}),
    "v3-blosc-lz4-shuffle": (3, CHUNKS, "uint16", {"compressors": BloscCodec(cname="lz4", shuffle="shuffle")}),
    "v3-blosc-zstd-bitshuffle": (
        3,
        CHUNKS,
        "float32",
        {"compressors": BloscCodec(cname="zstd", shuffle="bitshuffle")},
    ),
    "v3-crc32c": (3, CHUNKS, "int64", {"compressors": [ZstdCodec(), Crc32cCodec()]}),
    "v3-big-endian": (3, CHUNKS, "int32", {"serializer": BytesCodec(endian="big"), "compressors": None}),
    "v3-transpose": (3, CHUNKS, "uint32", {"filters": [TransposeCodec(order=(1, 0))]}),
    "v3-sharded": (3, CHUNKS, "int16", {"shards": (16, 10)}),
    "v3-sharded-index-start": (
        3,
        (16, 10),
        "int32",
        {
            "serializer": ShardingCodec(chunk_shape=(8, 5), codecs=[BytesCodec(), ZstdCodec()], index_location="start"),
            "compressors": None,
        },
    ),
    "v3-nested-sharding": (
        3,
        (16, 20),
        "float32",
        {
            "serializer": ShardingCodec(
                chunk_shape=(8, 10),
                codecs=[ShardingCodec(chunk_shape=(4, 5), codecs=[BytesCodec(), GzipCodec()])],
            ),
            "compressors": None,
        },
    ),
    "v3-v2-chunk-keys": (3, CHUNKS, "int32", {"chunk_key_encoding": {"name": "v2", "separator": "."}}),
    "v3-missing-chunks": (3, CHUNKS, "int32", {"fill_value": 7, "skip": _skip_diagonal}),
    "v3-sharded-missing": (3, CHUNKS, "int32", {"shards": (16, 10), "fill_value": -3, "skip": _skip_diagonal}),
    "v2-raw": (2, CHUNKS, "int32", {"compressors": None}),
    "v2-zstd": (2, CHUNKS, "int32", {"compressors": numcodecs.Zstd(level=1)}),
    "v2-blosc": (2, CHUNKS, "float64", {"compressors": numcodecs.Blosc(cname="lz4", shuffle=2)}),
    "v2-gzip": (2, CHUNKS, "uint8", {"compressors": numcodecs.GZip()}),
    "v2-zlib": (2, CHUNKS, "int16", {"compressors": numcodecs.Zlib()}),
    "v2-bz2": (2, CHUNKS, "int32", {"compressors": numcodecs.BZ2()}),
    "v2-order-F": (2, CHUNKS, "int32", {"order": "F"}),
    "v2-slash-separator": (2, CHUNKS, "float32", {"chunk_key_encoding": {"name": "v2", "separator": "/"}}),
    "v2-big-endian": (2, CHUNKS, ">i4", {}),
    "v2-big-endian-float-F": (2, CHUNKS, ">f8", {"order": "F"}),
    "v2-filters-checksum": (
        2,
        CHUNKS,
        "int32",
        {"filters": [numcodecs.Shuffle(elementsize=4)], "compressors": numcodecs.Fletcher32()},
    ),
    "v2-adler32": (2, CHUNKS, "uint64", {"compressors": numcodecs.Adler32()}),
    "v2-missing-chunks": (2, CHUNKS, "float32", {"fill_value": 1.5, "skip": _skip_diagonal}),
}

ROWS = np.random.default_rng(1).choice(SHAPE[0], 12, replace=False)
ROW_MASK = np.random.default_rng(2).integers(0, 2, SHAPE[0]).astype(bool)
COL_MASK = np.random.default_rng(3).integers(0, 2, SHAPE[1]).astype(bool)
FULL_MASK = np.random.default_rng(4).integers(0, 5, SHAPE) == 0

# (kind, selection) pairs covering every selection kind zarr accepts, plus negative steps.
SELECTIONS: list[tuple[str, Any]] = [
    ("getitem", Ellipsis),
    ("getitem", ()),
    ("getitem", slice(None)),
    ("getitem", 5),
    ("getitem", -1),
    ("getitem", (3, 4)),
    ("getitem", (-37, -23)),
    ("getitem", (slice(2, 30), slice(4, 19))),
    ("getitem", (slice(0, 37, 3), slice(1, None, 4))),
    ("getitem", (slice(5, 6), slice(7, 8))),
    ("getitem", (slice(10, 10), slice(None))),
    ("getitem", (slice(-100, 100), slice(3, -3))),
    ("getitem", (Ellipsis, 3)),
    ("getitem", (2, Ellipsis)),
    ("getitem", (slice(None, None, -1), slice(None))),
    ("getitem", (slice(30, 2, -3), slice(None, None, -5))),
    ("getitem", (slice(None), slice(5, None, -2))),
    ("getitem", (slice(None, None, -40), 0)),
    ("getitem", [3, 1, 1]),
    ("getitem", (np.array([36, 0, 5]), slice(1, 9))),
    ("getitem", (slice(None, None, 2), [4, -1])),
    ("getitem", (np.array([1, 2, 3]), np.array([4, 5, 6]))),
    ("getitem", FULL_MASK),
    ("oindex", ([5, 2, 5, -1], [0, 22, 3])),
    ("oindex", (np.sort(ROWS), slice(None))),
    ("oindex", (ROWS, slice(None, None, 3))),
    ("oindex", (np.arange(8, 24), np.arange(5, 15))),
    ("oindex", (ROW_MASK, COL_MASK)),
    ("oindex", (3, [1, 2])),
    ("oindex", (slice(1, 30, 7), np.array([22, 0]))),
    ("oindex", (np.array([], dtype=int), slice(None))),
    ("vindex", ([0, 36, 5], [22, 0, 5])),
    ("vindex", (np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]]))),
    ("vindex", (np.array([1, 2, 3]), 4)),
    ("vindex", (np.array([7, 7, 7, -1]), np.array([0, 0, 1, -1]))),
    ("vindex", FULL_MASK),
    ("vindex", (np.zeros(0, dtype=int), np.zeros(0, dtype=int))),
    ("blocks", (0, 0)),
    ("blocks", (-1, -1)),
    ("blocks", (slice(1, 3), slice(None))),
    ("blocks", (Ellipsis, 2)),
]


def _selection_id(entry: tuple[str, Any]) -> str:
    kind, selection = entry
    text = repr(selection).replace("\n", "").replace(" ", "")
    return f"{kind}-{text[:60]}"


def write_layout(directory: Path, name: str) -> tuple[zarr.Array, Path]:
    """Writes the `LAYOUTS` entry `name` with zarr-python into `directory`."""
    zarr_format, chunks, dtype, kwargs = LAYOUTS[name]
    kwargs = dict(kwargs)
    skip = kwargs.pop("skip", None)
    fill_value = kwargs.pop("fill_value", None)
    data = sample_data(SHAPE, np.dtype(dtype).newbyteorder("="), seed=len(name)).astype(dtype)
    path = directory / f"{name}.zarr"
    z = write_array(
        path, data, chunks, zarr_format=zarr_format, fill_value=fill_value, skip_chunks_where=skip, **kwargs
    )
    return z, path


@pytest.fixture(scope="module")
def layout_arrays(array_dir: Path) -> dict[str, tuple[zarr.Array, zarrs_cffi.Array]]:
    arrays = {}
    for name in LAYOUTS:
        z, path = write_layout(array_dir, name)
        arrays[name] = (z, zarrs_cffi.open(path))
    return arrays


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("entry", SELECTIONS, ids=_selection_id)
def test_selection_matches_zarr(layout_arrays: Any, layout: str, entry: tuple[str, Any]) -> None:
    kind, selection = entry
    z, array = layout_arrays[layout]
    indexer = {"getitem": array, "oindex": array.oindex, "vindex": array.vindex, "blocks": array.blocks}[kind]
    try:
        expected = zarr_reference(z, kind, selection)
    except IndexError:
        with pytest.raises(IndexError):
            indexer[selection]
        return
    result = indexer[selection]
    assert isinstance(result, np.ndarray)
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("index_dtype", [np.uint8, np.uint16, np.int16, np.uint64])
def test_narrow_and_unsigned_index_arrays(layout_arrays: Any, index_dtype: Any) -> None:
    # zarr-python itself computes chunk offsets in the index dtype and fails on some of
    # these (unsigned wrap-around), so numpy's np.ix_ on the full array is the reference.
    z, array = layout_arrays["v3-zstd"]
    rows = np.array([30, 2, 2, 17], dtype=index_dtype)
    cols = np.array([22, 0], dtype=index_dtype)
    expected = z[...][np.ix_(rows.astype(np.int64), cols.astype(np.int64))]
    np.testing.assert_array_equal(array.oindex[rows, cols], expected)
    np.testing.assert_array_equal(array.vindex[rows, rows % 23], z[...][rows.astype(int), rows.astype(int) % 23])


def test_missing_chunks_read_as_fill_value(layout_arrays: Any) -> None:
    z, array = layout_arrays["v3-missing-chunks"]
    result = array[...]
    assert (result[:8, :5] == 7).all()
    assert (result[8:16, 5:10] == 7).all()
    assert not (result[:8, 5:10] == 7).all()
    np.testing.assert_array_equal(result, z[...])


DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

DTYPE_LAYOUTS: dict[str, tuple[int, dict[str, Any]]] = {
    "v3": (3, {}),
    "v3-sharded": (3, {"shards": (16, 10)}),
    "v2": (2, {}),
    "v2-big-endian": (2, {"big_endian": True}),
}

DTYPE_SELECTIONS: list[tuple[str, Any]] = [
    ("getitem", Ellipsis),
    ("getitem", (slice(3, None, 2), slice(None, None, -3))),
    ("getitem", (4, 7)),
    ("oindex", (ROWS, COL_MASK)),
    ("vindex", ([0, 36, 5, 5], [22, 0, 5, 5])),
]


@pytest.mark.parametrize("layout", list(DTYPE_LAYOUTS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_data_types_match_zarr(array_dir: Path, dtype: str, layout: str) -> None:
    zarr_format, kwargs = DTYPE_LAYOUTS[layout]
    kwargs = dict(kwargs)
    data = sample_data(SHAPE, dtype, seed=5)
    if kwargs.pop("big_endian", False):
        data = data.astype(data.dtype.newbyteorder(">"))
    path = array_dir / f"dtype-{dtype}-{layout}.zarr"
    z = write_array(path, data, CHUNKS, zarr_format=zarr_format, **kwargs)
    array = zarrs_cffi.open(path)
    assert array.dtype == z.dtype
    for kind, selection in DTYPE_SELECTIONS:
        expected = zarr_reference(z, kind, selection)
        indexer = {"getitem": array, "oindex": array.oindex, "vindex": array.vindex}[kind]
        result = indexer[selection]
        assert result.dtype == expected.dtype, (kind, selection)
        np.testing.assert_array_equal(result, expected, err_msg=f"{kind} {selection!r}")


SHAPES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((100,), (7,)),
    ((1,), (1,)),
    ((5,), (10,)),
    ((9, 10, 11), (4, 3, 5)),
    ((3, 1, 4, 2), (2, 1, 3, 2)),
    ((64, 64), (64, 64)),
    ((33, 17), (1, 17)),
]


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(("shape", "chunks"), SHAPES, ids=[f"{s}-{c}" for s, c in SHAPES])
def test_shapes_and_edge_chunks(
    array_dir: Path, shape: tuple[int, ...], chunks: tuple[int, ...], zarr_format: int
) -> None:
    data = sample_data(shape, "int32", seed=6)
    path = array_dir / f"shape-{'x'.join(map(str, shape))}-{'x'.join(map(str, chunks))}-v{zarr_format}.zarr"
    z = write_array(path, data, chunks, zarr_format=zarr_format)
    array = zarrs_cffi.open(path)
    assert array.shape == shape and array.chunks == chunks and array.ndim == len(shape)
    rng = np.random.default_rng(7)
    selections: list[tuple[str, Any]] = [
        ("getitem", Ellipsis),
        ("getitem", tuple(slice(None, None, -1) for _ in shape)),
        ("getitem", tuple(slice(1, None, 2) for _ in shape)),
        ("getitem", tuple(-1 for _ in shape)),
        ("oindex", tuple(rng.integers(0, s, 5) for s in shape)),
        ("vindex", tuple(rng.integers(-s, s, 6) for s in shape)),
    ]
    for kind, selection in selections:
        expected = zarr_reference(z, kind, selection)
        indexer = {"getitem": array, "oindex": array.oindex, "vindex": array.vindex}[kind]
        np.testing.assert_array_equal(indexer[selection], expected, err_msg=f"{kind} {selection!r}")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zero_dimensional_array(array_dir: Path, zarr_format: int) -> None:
    path = array_dir / f"scalar-v{zarr_format}.zarr"
    z = zarr.create_array(str(path), shape=(), dtype="float64", zarr_format=zarr_format, overwrite=True)
    z[...] = 2.5
    array = zarrs_cffi.open(path)
    assert array.shape == ()
    result = array[...]
    assert result.shape == () and result == 2.5
    assert array[()] == 2.5


def test_module_level_functions(layout_arrays: Any) -> None:
    z, array = layout_arrays["v3-zstd"]
    np.testing.assert_array_equal(zarrs_cffi.read(array.path), z[...])
    np.testing.assert_array_equal(zarrs_cffi.read(Path(array.path), (slice(1, 9), 3)), z[1:9, 3])
    out = np.empty((8, 23), dtype=z.dtype)
    assert zarrs_cffi.read_into(array.path, slice(4, 12), out) is out
    np.testing.assert_array_equal(out, z[4:12])
    np.testing.assert_array_equal(np.asarray(array), z[...])


@pytest.mark.parametrize("num_threads", [1, 3])
def test_thread_count_does_not_change_results(layout_arrays: Any, num_threads: int) -> None:
    z, array = layout_arrays["v3-sharded"]
    zarrs_cffi.set_num_threads(num_threads)
    try:
        assert zarrs_cffi.get_num_threads() == num_threads
        np.testing.assert_array_equal(array[::-1, 1::2], z[...][::-1, 1::2])
    finally:
        zarrs_cffi.set_num_threads(0)
