"""Writes against zarr-python: the same writes applied by zarr (its own pipeline) and by this
project (the direct API, and zarr with ZarrsCodecPipeline) leave the same values and the
same store keys, on every layout, data type and selection kind, with and without
`write_empty_chunks`; what this project writes reads back in zarr-python and tensorstore."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec, TransposeCodec, ZstdCodec

import zarrs_cffi
from conftest import sample_data
from zarrs_cffi.pipeline import write_stats

PIPELINE = "zarrs_cffi.ZarrsCodecPipeline"
BATCHED = "zarr.core.codec_pipeline.BatchedCodecPipeline"
SHAPE = (23, 17, 11)
CHUNKS = (8, 5, 4)  # edge chunks on every axis

# Arguments of zarr.create_array (and zarrs_cffi.create, which takes the same).
LAYOUTS: dict[str, dict[str, Any]] = {
    "v3-raw": {"compressors": None},
    "v3-zstd": {},
    "v3-blosc": {"compressors": BloscCodec(cname="lz4")},
    "v3-gzip-crc32c": {"compressors": [GzipCodec(level=1), Crc32cCodec()]},
    "v3-transpose": {"filters": [TransposeCodec(order=(2, 0, 1))]},
    "v3-big-endian": {"serializer": BytesCodec(endian="big")},
    "v3-v2-keys": {"chunk_key_encoding": {"name": "v2", "separator": "."}},
    "v3-sharded": {"chunks": (4, 5, 2), "shards": CHUNKS},
    "v3-sharded-raw": {"chunks": (4, 5, 2), "shards": CHUNKS, "compressors": None},
    "v3-sharded-index-first": {
        "serializer": ShardingCodec(chunk_shape=(4, 5, 2), codecs=[BytesCodec(), ZstdCodec()], index_location="start"),
        "compressors": None,
    },
    "v3-sharded-nested": {
        "serializer": ShardingCodec(
            chunk_shape=(4, 5, 2),
            codecs=[ShardingCodec(chunk_shape=(2, 5, 1), codecs=[BytesCodec(), ZstdCodec()])],
        ),
        "compressors": None,
    },
    "v2-zstd": {"zarr_format": 2},
    "v2-blosc": {"zarr_format": 2, "compressors": numcodecs.Blosc()},
    "v2-zlib": {"zarr_format": 2, "compressors": numcodecs.Zlib(level=3)},
    "v2-gzip": {"zarr_format": 2, "compressors": numcodecs.GZip()},
    "v2-bz2": {"zarr_format": 2, "compressors": numcodecs.BZ2()},
    "v2-raw": {"zarr_format": 2, "compressors": None},
    "v2-order-F": {"zarr_format": 2, "order": "F"},
    "v2-shuffle-fletcher32": {
        "zarr_format": 2,
        "filters": [numcodecs.Shuffle(elementsize=4)],
        "compressors": numcodecs.Fletcher32(),
    },
    "v2-adler32-zlib": {"zarr_format": 2, "filters": [numcodecs.Adler32()], "compressors": numcodecs.Zlib()},
    "v2-slash": {"zarr_format": 2, "chunk_key_encoding": {"name": "v2", "separator": "/"}},
}
# tensorstore's zarr drivers lack these codecs or layouts.
NOT_IN_TENSORSTORE = {"v2-gzip", "v3-v2-keys", "v2-shuffle-fletcher32", "v2-adler32-zlib"}

DTYPES = ["bool", "int8", "uint16", "int32", "uint64", "float16", "float32", "float64", "complex64", "complex128"]
# Every layout with these; every data type with these layouts.
LAYOUT_DTYPES = ["float32", "int32"]
DTYPE_LAYOUTS = ["v3-zstd", "v3-sharded", "v2-blosc"]
CASES = sorted(
    {(layout, dtype) for layout in LAYOUTS for dtype in LAYOUT_DTYPES}
    | {(layout, dtype) for layout in DTYPE_LAYOUTS for dtype in DTYPES}
)


def fill_value_for(dtype: np.dtype[Any]) -> Any:
    """A fill value that is not zero, so that stored and unstored chunks differ."""
    return {"b": True, "i": 3, "u": 3, "f": -1.5, "c": 1 - 1j}[dtype.kind]


@contextmanager
def pipeline(path: str) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": path}):
        yield


def create_kwargs(layout: str, dtype: str) -> dict[str, Any]:
    kwargs = {"shape": SHAPE, "chunks": CHUNKS, "dtype": dtype, **LAYOUTS[layout]}
    if "v2-blosc" == layout and np.dtype(dtype).itemsize == 1:
        kwargs["compressors"] = numcodecs.Blosc(shuffle=numcodecs.Blosc.BITSHUFFLE)
    kwargs["fill_value"] = fill_value_for(np.dtype(dtype))
    return kwargs


def write_sequence(dtype: np.dtype[Any], seed: int) -> list[tuple[str, Any, Any]]:
    """(kind, selection, value) writes covering whole and partial chunks, scalars and
    arrays, every selection kind zarr takes, and chunks written back to the fill value."""
    rng = np.random.default_rng(seed)
    fill = fill_value_for(dtype)
    rows = np.array([0, 22, 5, 5, 17])
    mask = np.zeros(SHAPE, dtype=bool)
    mask[rng.integers(0, 23, 40), rng.integers(0, 17, 40), rng.integers(0, 11, 40)] = True
    points = (rng.integers(0, 23, 30), rng.integers(0, 17, 30), rng.integers(0, 11, 30))

    def values(shape: tuple[int, ...]) -> np.ndarray:
        return sample_data(shape, dtype, seed=int(rng.integers(1 << 30)))

    return [
        ("getitem", Ellipsis, values(SHAPE)),
        ("getitem", (slice(1, 9), slice(2, 16), 3), values((8, 14))),
        ("getitem", (slice(3, 20, 3), slice(None), slice(1, 11, 4)), values((6, 17, 3))),
        ("getitem", (slice(16, None), slice(None), slice(None)), fill),  # whole chunks back to fill
        ("getitem", (slice(0, 8), slice(0, 5), slice(0, 4)), values((8, 5, 4))),  # one whole chunk
        ("getitem", (slice(8, 16), slice(5, 10), slice(4, 8)), fill),  # one chunk back to fill
        ("getitem", (4, 4, 4), values(())),
        ("oindex", (rows, slice(None), np.array([1, 10])), values((5, 17, 2))),
        ("oindex", (np.flatnonzero(np.arange(23) % 3 == 0), 2, slice(None)), values((8, 11))),
        ("vindex", points, values((30,))),
        ("vindex", mask, values((int(mask.sum()),))),
        ("blocks", (1, 2, 0), values((8, 5, 4))),
        ("blocks", (slice(2, 3), slice(None), slice(2, None)), fill),
    ]


def apply(target: Any, kind: str, selection: Any, value: Any) -> None:
    if kind == "getitem":
        target[selection] = value
    else:
        getattr(target, kind)[selection] = value


def apply_with_zarr(z: zarr.Array, kind: str, selection: Any, value: Any) -> None:
    """`apply` through zarr, working around zarr < 3.2's failure on orthogonal index writes
    into sharded arrays: the write is split into one basic write per combination of
    indices, which touches the same chunks and leaves the same values."""
    try:
        apply(z, kind, selection, value)
    except (IndexError, ValueError):
        if kind != "oindex" or zarr.__version__ >= "3.2":
            raise
        index_axes = [axis for axis, s in enumerate(selection) if isinstance(s, np.ndarray)]
        value = np.broadcast_to(value, z.oindex[selection].shape)
        kept = [axis for axis, s in enumerate(selection) if not isinstance(s, int)]
        for combination in np.ndindex(*(len(selection[axis]) for axis in index_axes)):
            basic = list(selection)
            position: list[Any] = [slice(None)] * len(kept)
            for axis, k in zip(index_axes, combination, strict=True):
                basic[axis] = int(selection[axis][k])
                position[kept.index(axis)] = k
            z[tuple(basic)] = value[tuple(position)]


def stored_keys(path: Path) -> set[str]:
    """The chunk keys of an array: every file but metadata."""
    keys = set()
    for directory, _, files in os.walk(path):
        for name in files:
            if name not in ("zarr.json", ".zarray", ".zattrs"):
                keys.add(os.path.relpath(os.path.join(directory, name), path))
    return keys


def inner_chunks_present(path: Path) -> dict[str, list[bool]]:
    """Per shard file, which inner chunks its index lists (the 16-byte entries of a
    `bytes` + `crc32c` index at the end or start of the shard)."""
    import json

    metadata = json.loads((path / "zarr.json").read_text())
    (codec,) = metadata["codecs"]
    configuration = codec["configuration"]
    grid = [
        s // i
        for s, i in zip(
            metadata["chunk_grid"]["configuration"]["chunk_shape"], configuration["chunk_shape"], strict=True
        )
    ]
    index_len = 16 * int(np.prod(grid)) + 4
    present = {}
    for key in stored_keys(path):
        data = (path / key).read_bytes()
        index = data[:index_len] if configuration.get("index_location") == "start" else data[-index_len:]
        entries = np.frombuffer(index[:-4], dtype="<u8").reshape(-1, 2)
        present[key] = [bool(offset != 2**64 - 1) for offset, _ in entries]
    return present


def read_with_zarr(path: Path) -> np.ndarray:
    with pipeline(BATCHED):
        return zarr.open_array(str(path), mode="r")[...]


def read_with_tensorstore(path: Path) -> np.ndarray:
    import tensorstore as ts

    driver = "zarr3" if (path / "zarr.json").exists() else "zarr"
    return (
        ts.open({"driver": driver, "kvstore": {"driver": "file", "path": str(path)}}, read=True)
        .result()
        .read()
        .result()
    )


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, bool], Path]:
    """The array zarr-python writes, with its own pipeline, for a case: written once and
    shared by the tests of the direct API and of the pipeline."""
    written: dict[tuple[str, str, bool], Path] = {}

    def reference(layout: str, dtype: str, write_empty_chunks: bool) -> Path:
        key = (layout, dtype, write_empty_chunks)
        if key not in written:
            path = tmp_path_factory.mktemp("zarr-reference") / "zarr.zarr"
            with pipeline(BATCHED):
                z = zarr.create_array(
                    str(path), config={"write_empty_chunks": write_empty_chunks}, **create_kwargs(layout, dtype)
                )
                for kind, selection, value in write_sequence(np.dtype(dtype), seed=len(layout)):
                    apply_with_zarr(z, kind, selection, value)
            written[key] = path
        return written[key]

    return reference


def check_against(ours: Path, theirs: Path, layout: str) -> None:
    expected = read_with_zarr(theirs)
    np.testing.assert_array_equal(read_with_zarr(ours), expected)
    np.testing.assert_array_equal(zarrs_cffi.read(ours), expected)
    if layout not in NOT_IN_TENSORSTORE:
        np.testing.assert_array_equal(read_with_tensorstore(ours), expected)
    assert stored_keys(ours) == stored_keys(theirs)
    if layout in ("v3-sharded", "v3-sharded-raw", "v3-sharded-index-first"):
        # Inner chunks follow the chunk rules too.
        assert inner_chunks_present(ours) == inner_chunks_present(theirs)


@pytest.mark.parametrize("write_empty_chunks", [False, True], ids=["skip-empty", "write-empty"])
@pytest.mark.parametrize(("layout", "dtype"), CASES)
def test_direct_writes_match_zarr(
    tmp_path: Path, references: Callable[[str, str, bool], Path], layout: str, dtype: str, write_empty_chunks: bool
) -> None:
    theirs = references(layout, dtype, write_empty_chunks)
    ours = tmp_path / "ours.zarr"
    array = zarrs_cffi.create(ours, config={"write_empty_chunks": write_empty_chunks}, **create_kwargs(layout, dtype))
    for kind, selection, value in write_sequence(np.dtype(dtype), seed=len(layout)):
        apply(array, kind, selection, value)
    check_against(ours, theirs, layout)


@pytest.mark.parametrize("write_empty_chunks", [False, True], ids=["skip-empty", "write-empty"])
@pytest.mark.parametrize(("layout", "dtype"), CASES)
def test_pipeline_writes_match_zarr(
    tmp_path: Path, references: Callable[[str, str, bool], Path], layout: str, dtype: str, write_empty_chunks: bool
) -> None:
    theirs = references(layout, dtype, write_empty_chunks)
    ours = tmp_path / "ours.zarr"
    with pipeline(PIPELINE):
        z = zarr.create_array(
            str(ours), config={"write_empty_chunks": write_empty_chunks}, **create_kwargs(layout, dtype)
        )
        native_before, fallback_before = write_stats.native, write_stats.fallback
        writes = write_sequence(np.dtype(dtype), seed=len(layout))
        for kind, selection, value in writes:
            apply(z, kind, selection, value)
        assert write_stats.fallback == fallback_before
        assert write_stats.native - native_before == len(writes)
    check_against(ours, theirs, layout)


@pytest.mark.parametrize("layout", ["v3-zstd", "v3-sharded", "v2-blosc", "v2-order-F"])
def test_partial_writes_into_arrays_zarr_wrote(
    tmp_path: Path, references: Callable[[str, str, bool], Path], layout: str
) -> None:
    """zarr writes the data; this project then overwrites parts of it."""
    dtype = "float64"
    theirs = references(layout, dtype, False)
    ours = tmp_path / "ours.zarr"
    writes = write_sequence(np.dtype(dtype), seed=len(layout))
    with pipeline(BATCHED):
        z = zarr.create_array(str(ours), **create_kwargs(layout, dtype))
        apply_with_zarr(z, *writes[0])
    array = zarrs_cffi.open(ours, mode="r+")
    for kind, selection, value in writes[1:]:
        apply(array, kind, selection, value)
    check_against(ours, theirs, layout)


def test_created_metadata_is_what_zarr_writes(tmp_path: Path) -> None:
    for layout in LAYOUTS:
        for dtype in ("uint8", "float64"):
            kwargs = create_kwargs(layout, dtype)
            zarrs_cffi.create(tmp_path / f"{layout}-{dtype}-ours", **kwargs)
            with pipeline(BATCHED):
                zarr.create_array(str(tmp_path / f"{layout}-{dtype}-zarr"), **kwargs)
            for document in ("zarr.json", ".zarray", ".zattrs"):
                mine = tmp_path / f"{layout}-{dtype}-ours" / document
                zarrs = tmp_path / f"{layout}-{dtype}-zarr" / document
                assert mine.exists() == zarrs.exists(), (layout, document)
                if mine.exists():
                    import json

                    assert json.loads(mine.read_text()) == json.loads(zarrs.read_text()), (layout, dtype, document)


NUMPY_ONLY: list[tuple[Any, Callable[[tuple[int, ...]], Any]]] = [
    ((slice(None, None, -1), slice(15, 2, -3), 4), lambda shape: np.arange(np.prod(shape)).reshape(shape)),
    ((slice(20, None, -7), Ellipsis), lambda shape: 9),
    ((-1, -2, slice(-3, None)), lambda shape: np.array([1, 2, 3])),
]


@pytest.mark.parametrize("layout", ["v3-zstd", "v3-sharded", "v2-zlib"])
def test_negative_steps_write_as_numpy_assigns(tmp_path: Path, layout: str) -> None:
    """zarr refuses negative steps; the direct API takes them with numpy's semantics."""
    model = sample_data(SHAPE, "int32", seed=3)
    array = zarrs_cffi.create(tmp_path / "a.zarr", **create_kwargs(layout, "int32"))
    array[...] = model
    for selection, make_value in NUMPY_ONLY:
        value = make_value(model[selection].shape)
        array[selection] = value
        model[selection] = value
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "a.zarr"), model)


@pytest.mark.parametrize("layout", ["v3-zstd", "v3-sharded", "v2-zlib"])
@pytest.mark.parametrize("door", ["direct", "pipeline"])
def test_masks_write_as_numpy_assigns(tmp_path: Path, layout: str, door: str) -> None:
    """Boolean masks, orthogonal and pointwise. (zarr 3.1 itself fails orthogonal masks
    on sharded arrays: an IndexError in its partial shard encoding.)"""
    model = sample_data(SHAPE, "float32", seed=5)
    path = tmp_path / "a.zarr"
    rng = np.random.default_rng(6)
    rows, columns = rng.random(23) < 0.4, rng.random(11) < 0.5
    mask = rng.random(SHAPE) < 0.1
    with pipeline(PIPELINE):
        array: Any = (zarrs_cffi.create if door == "direct" else zarr.create_array)(
            path if door == "direct" else str(path), **create_kwargs(layout, "float32")
        )
        array[...] = model
        array.oindex[rows, 3, columns] = 2.5
        model[np.ix_(rows, [3], columns)] = 2.5
        array.vindex[mask] = np.arange(mask.sum())
        model[mask] = np.arange(mask.sum())
    np.testing.assert_array_equal(read_with_zarr(path), model)


def test_fixed_scale_offset_filters_write_what_zarr_writes(tmp_path: Path) -> None:
    kwargs: dict[str, Any] = {
        "shape": (20, 10),
        "chunks": (8, 4),
        "dtype": "float32",
        "zarr_format": 2,
        "filters": [numcodecs.FixedScaleOffset(offset=3, scale=10, dtype="<f4", astype="<i4")],
    }
    values = (np.arange(200, dtype="float32").reshape(20, 10) - 50) / 10
    zarrs_cffi.create(tmp_path / "ours.zarr", **kwargs)[2:, 1:] = values[2:, 1:]
    with pipeline(BATCHED):
        zarr.create_array(str(tmp_path / "zarr.zarr"), **kwargs)[2:, 1:] = values[2:, 1:]
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "ours.zarr"), read_with_zarr(tmp_path / "zarr.zarr"))
    assert stored_keys(tmp_path / "ours.zarr") == stored_keys(tmp_path / "zarr.zarr")


def test_repeated_indices_keep_the_last_value(tmp_path: Path) -> None:
    array = zarrs_cffi.create(tmp_path / "a.zarr", shape=(10, 4), chunks=(3, 4), dtype="int64")
    model = np.zeros((10, 4), dtype=np.int64)
    rows = np.array([7, 1, 7, 7])
    value = np.arange(16).reshape(4, 4)
    array.oindex[rows, :] = value
    model[rows, :] = value
    array.vindex[[2, 2, 9], [0, 0, 3]] = [5, 6, 7]
    model[[2, 2, 9], [0, 0, 3]] = [5, 6, 7]
    np.testing.assert_array_equal(array[...], model)
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "a.zarr"), model)


def test_values_are_cast_and_broadcast_as_numpy_assigns(tmp_path: Path) -> None:
    """zarr casts values as numpy's ``astype`` does; beyond zarr (which only takes values of
    the selection's shape, or scalars), values broadcast as in numpy."""
    ours = zarrs_cffi.create(tmp_path / "ours.zarr", shape=(6, 5), chunks=(4, 2), dtype="uint8")
    model = np.zeros((6, 5), dtype=np.uint8)
    cases: list[tuple[Any, Any]] = [
        ((slice(None), slice(None)), np.linspace(0, 250, 30).reshape(6, 5)),  # floats truncated
        ((slice(0, 2), slice(None)), [1, 2, 3, 4, 5]),  # a list, broadcast over rows
        ((slice(None), 1), 7.9),
        ((slice(None), slice(None)), np.array([[1], [2], [3], [4], [5], [6]], dtype=np.int64)),
        ((3, slice(None)), np.array(200, dtype=np.int16)),
        ((slice(1, 5), slice(None, None, 2)), np.array([[9, 8, 7]], dtype=np.float32)),
    ]
    for selection, value in cases:
        ours[selection] = value
        model[selection] = np.asarray(value).astype(np.uint8)
        np.testing.assert_array_equal(ours[...], model)
    with pytest.raises(ValueError, match=r"could not broadcast input array from shape \(3,\) into shape \(2, 5\)"):
        ours[0:2, :] = [1, 2, 3]


def test_uncastable_values_raise_what_zarr_raises(tmp_path: Path) -> None:
    ours = zarrs_cffi.create(tmp_path / "ours.zarr", shape=(6, 5), chunks=(4, 2), dtype="uint8")
    with pipeline(BATCHED):
        theirs = zarr.create_array(str(tmp_path / "zarr.zarr"), shape=(6, 5), chunks=(4, 2), dtype="uint8")
    ours[...] = 1
    theirs[...] = 1
    for bad in (300, -1, "text", np.nan, [["a"] * 5] * 6):
        with pytest.raises((OverflowError, ValueError)) as mine:
            ours[...] = bad
        with pytest.raises((OverflowError, ValueError)) as zarrs:
            theirs[...] = bad
        assert type(mine.value) is type(zarrs.value), bad
    np.testing.assert_array_equal(ours[...], theirs[...])
    assert stored_keys(tmp_path / "ours.zarr") == stored_keys(tmp_path / "zarr.zarr")


def test_big_endian_v2_arrays_take_values_of_either_byte_order(tmp_path: Path) -> None:
    ours = zarrs_cffi.create(tmp_path / "a.zarr", shape=(8, 3), chunks=(3, 3), dtype=">i4", zarr_format=2)
    values = np.arange(24, dtype="<i4").reshape(8, 3)
    ours[...] = values
    ours[1] = np.array([100, 200, 300], dtype=">i4")
    values[1] = [100, 200, 300]
    assert ours.dtype == np.dtype(">i4")
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "a.zarr"), values)
    np.testing.assert_array_equal(read_with_tensorstore(tmp_path / "a.zarr"), values)


def test_writes_of_one_value_fill_huge_regions_without_materialising_them(tmp_path: Path) -> None:
    """One value for a 4 GiB region: passed once, never expanded in Python."""
    import resource

    array = zarrs_cffi.create(tmp_path / "a.zarr", shape=(2**16, 2**15), chunks=(2**12, 2**12), dtype="uint16")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    array[...] = 0  # the fill value: every chunk is skipped
    array[: 2**12, : 2**12] = 5
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 256, grown_mib
    assert stored_keys(tmp_path / "a.zarr") == {"c/0/0"}
    assert array[0, 0] == 5 and array[-1, -1] == 0


@pytest.mark.parametrize("layout", ["v3-zstd", "v3-sharded", "v2-blosc"])
def test_pipeline_follows_resizes_and_appends(tmp_path: Path, layout: str) -> None:
    """zarr >= 3.4 resizes an array in place, keeping its pipeline."""
    kwargs = create_kwargs(layout, "int32")
    kwargs["shape"] = (10, 6, 4)
    model = sample_data((10, 6, 4), "int32", seed=8)
    with pipeline(PIPELINE):
        z = zarr.create_array(str(tmp_path / "a.zarr"), **kwargs)
        z[...] = model
        extra = sample_data((13, 6, 4), "int32", seed=9)
        z.append(extra)
        model = np.concatenate([model, extra])
        np.testing.assert_array_equal(z[...], model)
        z[20:23, 1] = -5
        model[20:23, 1] = -5
        z.resize((17, 6, 4))
        model = model[:17]
        np.testing.assert_array_equal(z[...], model)
        z.resize((25, 6, 4))
        z[17:] = 1
        model = np.concatenate([model, np.ones((8, 6, 4), dtype=np.int32)])
        np.testing.assert_array_equal(z[...], model)
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "a.zarr"), model)


def test_repeated_indices_through_the_pipeline_land_as_zarr_lands_them(tmp_path: Path) -> None:
    """zarr's indexer sorts the indices of an orthogonal write, so with an index given
    twice a value other than numpy's last one may win; the pipeline follows zarr."""
    results = []
    for name, path in (("zarr", BATCHED), ("ours", PIPELINE)):
        with pipeline(path):
            z = zarr.create_array(str(tmp_path / f"{name}.zarr"), shape=(5,), chunks=(2,), dtype="int16")
            z.oindex[np.array([1, 1, 0, 0, 4, 3, 4])] = np.arange(1, 8, dtype="int16")
            results.append(read_with_zarr(tmp_path / f"{name}.zarr"))
    np.testing.assert_array_equal(results[1], results[0])
