"""Bad input gets a clear exception of the right class, and never a crash or a write
outside the selection; rejected calls leave the output untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec

import zarrs_cffi
from conftest import sample_data, write_array
from zarrs_cffi._library import check, ffi, lib
from zarrs_cffi._selection import INDEX, INDICES, ORTHOGONAL, POINTWISE, SLICE, DimPlan, Plan

SHAPE = (20, 12)
CHUNKS = (8, 5)


@pytest.fixture
def data() -> np.ndarray:
    return sample_data(SHAPE, "int32", seed=21)


@pytest.fixture
def path(tmp_path: Path, data: np.ndarray) -> Path:
    path = tmp_path / "a.zarr"
    write_array(path, data, CHUNKS, compressors=[ZstdCodec(), Crc32cCodec()])
    return path


def test_missing_array_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no Zarr array") as info:
        zarrs_cffi.open(tmp_path / "missing.zarr")
    assert isinstance(info.value, zarrs_cffi.ArrayNotFoundError)
    assert isinstance(info.value, zarrs_cffi.ZarrsCffiError)
    with pytest.raises(zarrs_cffi.ArrayNotFoundError):
        zarrs_cffi.read(tmp_path)


def test_group_is_not_an_array(tmp_path: Path) -> None:
    zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    with pytest.raises(zarrs_cffi.InvalidMetadataError, match="group"):
        zarrs_cffi.open(tmp_path / "g.zarr")


def test_invalid_metadata(tmp_path: Path) -> None:
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{not json")
    with pytest.raises(zarrs_cffi.InvalidMetadataError, match="bad.zarr"):
        zarrs_cffi.open(tmp_path / "bad.zarr")


def test_string_data_type_is_type_error(tmp_path: Path) -> None:
    zarr.create_array(str(tmp_path / "s.zarr"), shape=(3,), dtype=str)
    with pytest.raises(TypeError, match="string") as info:
        zarrs_cffi.open(tmp_path / "s.zarr")
    assert isinstance(info.value, zarrs_cffi.UnsupportedDataTypeError)


def test_unsupported_codec(tmp_path: Path, data: np.ndarray) -> None:
    write_array(tmp_path / "d.zarr", data, CHUNKS, zarr_format=2, filters=[numcodecs.Delta(dtype="i4")])
    with pytest.raises(zarrs_cffi.UnsupportedError, match="delta"):
        zarrs_cffi.open(tmp_path / "d.zarr")


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (20, "index 20 is out of bounds for axis 0 with size 20"),
        ((0, -13), "index -13 is out of bounds for axis 1 with size 12"),
        (([0, 25], slice(None)), "index 25 is out of bounds for axis 0"),
        ((np.array([1, 2]), np.array([3, 12])), "index 12 is out of bounds for axis 1"),
    ],
)
def test_out_of_bounds_is_index_error(path: Path, selection: Any, message: str) -> None:
    array = zarrs_cffi.open(path)
    with pytest.raises(IndexError, match=message) as info:
        array[selection]
    assert isinstance(info.value, zarrs_cffi.BoundsError)


@pytest.mark.parametrize(
    "selection",
    [
        (0, 0, 0),
        1.5,
        (slice(0, 3, 0),),
        (slice(0.5, 3),),
        "field",
        (None, 0),
        (Ellipsis, 0, Ellipsis),
        ([[1, 2]], slice(None)),
    ],
    ids=repr,
)
def test_malformed_selections_are_index_errors(path: Path, selection: Any) -> None:
    with pytest.raises(IndexError):
        zarrs_cffi.open(path)[selection]


def test_malformed_orthogonal_and_pointwise(path: Path) -> None:
    array = zarrs_cffi.open(path)
    with pytest.raises(IndexError, match="wrong length"):
        array.oindex[np.ones(5, dtype=bool), :]
    with pytest.raises(IndexError, match="1-dimensional"):
        array.oindex[np.zeros((2, 2), dtype=int), :]
    with pytest.raises(IndexError, match="broadcast"):
        array.vindex[[1, 2, 3], [1, 2]]
    with pytest.raises(IndexError, match="coordinate"):
        array.vindex[[1, 2], :]
    with pytest.raises(IndexError, match="mask"):
        array.vindex[np.ones((3, 3), dtype=bool)]
    with pytest.raises(IndexError):
        array.blocks[5, 0]


def _corrupt_chunk(path: Path, key: str, content: bytes | None) -> None:
    chunk = path / key
    if content is None:
        chunk.unlink()
        chunk.mkdir()
    else:
        chunk.write_bytes(content)


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (lambda raw: raw[: len(raw) // 2], zarrs_cffi.DecodeError),
        (
            lambda raw: bytes(np.random.default_rng(0).integers(0, 256, len(raw), dtype=np.uint8)),
            zarrs_cffi.DecodeError,
        ),
        (lambda raw: raw[:-1] + bytes([raw[-1] ^ 0xFF]), zarrs_cffi.DecodeError),
        (lambda raw: b"", zarrs_cffi.DecodeError),
        (lambda raw: None, zarrs_cffi.StoreError),
    ],
    ids=["truncated", "random-bytes", "bad-checksum", "empty-file", "directory"],
)
def test_corrupt_chunk_names_the_chunk(path: Path, data: np.ndarray, damage: Any, error: type) -> None:
    raw = (path / "c" / "1" / "1").read_bytes()
    _corrupt_chunk(path, "c/1/1", damage(raw))
    array = zarrs_cffi.open(path)
    with pytest.raises(error, match=r"chunk 'c/1/1'.*a\.zarr"):
        array[...]
    # Chunks that are intact still read correctly, and the interpreter is fine.
    np.testing.assert_array_equal(array[:8, :], data[:8, :])
    np.testing.assert_array_equal(array.vindex[[0, 19], [0, 11]], data[[0, 19], [0, 11]])


def test_read_into_rejects_bad_outputs(path: Path, data: np.ndarray) -> None:
    array = zarrs_cffi.open(path)
    with pytest.raises(TypeError, match="dtype"):
        array.read_into(..., np.empty(SHAPE, dtype=np.int64))
    with pytest.raises(ValueError, match="shape"):
        array.read_into(..., np.empty((20, 11), dtype=np.int32))
    with pytest.raises(ValueError, match="shape"):
        array.read_into(slice(0, 5), np.empty((6, 12), dtype=np.int32))
    read_only = np.empty(SHAPE, dtype=np.int32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        array.read_into(..., read_only)
    with pytest.raises(TypeError, match="numpy"):
        array.read_into(..., bytearray(20 * 12 * 4))  # type: ignore[arg-type]


def test_rejected_reads_leave_out_untouched(path: Path) -> None:
    array = zarrs_cffi.open(path)
    out = np.full((3, 12), -1, dtype=np.int32)
    with pytest.raises(IndexError):
        # Only the last index is bad: nothing may be written before it is found.
        array.read_into(np.array([0, 9, 200]), out)
    assert (out == -1).all()


def _native_read(array: zarrs_cffi.Array, plan: Plan, out: np.ndarray, out_len: int | None = None) -> int:
    selection, keepalive = plan.to_c()
    status = lib.zcf_array_read(
        array._handle, selection, ffi.from_buffer(out), out.nbytes if out_len is None else out_len
    )
    del keepalive
    return int(status)


def test_native_plan_validation(path: Path) -> None:
    array = zarrs_cffi.open(path)
    out = np.full(SHAPE, -1, dtype=np.int32)
    full = (DimPlan(SLICE, 0, 20, 1), DimPlan(SLICE, 0, 12, 1))
    assert _native_read(array, Plan(ORTHOGONAL, full, SHAPE), out, out.nbytes - 4) == lib.ZCF_STATUS_BUFFER_MISMATCH
    assert _native_read(array, Plan(ORTHOGONAL, full, SHAPE), out, out.nbytes + 4) == lib.ZCF_STATUS_BUFFER_MISMATCH
    assert _native_read(array, Plan(ORTHOGONAL, full[:1], SHAPE), out) == lib.ZCF_STATUS_INVALID_SELECTION
    assert _native_read(array, Plan(7, full, SHAPE), out) == lib.ZCF_STATUS_INVALID_SELECTION
    assert _native_read(array, Plan(ORTHOGONAL, (DimPlan(99), full[1]), SHAPE), out) == lib.ZCF_STATUS_INVALID_SELECTION
    zero_step = (DimPlan(SLICE, 0, 20, 0), full[1])
    assert _native_read(array, Plan(ORTHOGONAL, zero_step, SHAPE), out) == lib.ZCF_STATUS_INVALID_SELECTION
    past_end = (DimPlan(SLICE, 0, 21, 1), full[1])
    assert _native_read(array, Plan(ORTHOGONAL, past_end, SHAPE), out) == lib.ZCF_STATUS_OUT_OF_BOUNDS
    huge_index = (DimPlan(INDEX, start=-(2**63)), full[1])
    assert _native_read(array, Plan(ORTHOGONAL, huge_index, (12,)), out[0]) == lib.ZCF_STATUS_OUT_OF_BOUNDS
    uneven = (DimPlan(INDICES, indices=np.array([1, 2])), DimPlan(INDICES, indices=np.array([1])))
    assert _native_read(array, Plan(POINTWISE, uneven, (2,)), out) == lib.ZCF_STATUS_INVALID_SELECTION
    mixed = (DimPlan(INDICES, indices=np.array([1])), full[1])
    assert _native_read(array, Plan(POINTWISE, mixed, (1,)), out) == lib.ZCF_STATUS_INVALID_SELECTION
    assert (out == -1).all()


def test_native_null_pointers(path: Path) -> None:
    array = zarrs_cffi.open(path)
    out = np.empty(SHAPE, dtype=np.int32)
    selection, keepalive = Plan(ORTHOGONAL, (DimPlan(SLICE, 0, 20, 1), DimPlan(SLICE, 0, 12, 1)), SHAPE).to_c()
    assert lib.zcf_array_read(ffi.NULL, selection, ffi.from_buffer(out), out.nbytes) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_read(array._handle, ffi.NULL, ffi.from_buffer(out), out.nbytes) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_read(array._handle, selection, ffi.NULL, out.nbytes) == lib.ZCF_STATUS_NULL_POINTER
    selection.dims[0].kind = INDICES
    selection.dims[0].num_indices = 3
    assert lib.zcf_array_read(array._handle, selection, ffi.from_buffer(out), out.nbytes) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_open(ffi.NULL, ffi.new("ZcfArray**")) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_open(str(path).encode(), ffi.NULL) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_info(ffi.NULL, ffi.new("ZcfArrayInfo*")) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_shape(array._handle, ffi.NULL, 2) == lib.ZCF_STATUS_NULL_POINTER
    assert lib.zcf_array_shape(array._handle, ffi.new("uint64_t[3]"), 3) == lib.ZCF_STATUS_BUFFER_MISMATCH
    assert lib.zcf_array_data_type_name(ffi.NULL, ffi.NULL, 0) == 0
    lib.zcf_array_free(ffi.NULL)
    del keepalive


def test_error_message_is_copied_and_truncated(tmp_path: Path) -> None:
    assert lib.zcf_array_open(str(tmp_path / "nope").encode(), ffi.new("ZcfArray**")) == lib.ZCF_STATUS_NOT_FOUND
    size = lib.zcf_last_error_message(ffi.NULL, 0)
    small = ffi.new("char[6]")
    assert lib.zcf_last_error_message(small, 6) == size
    assert ffi.string(small) == b"no Za"
    with pytest.raises(zarrs_cffi.ArrayNotFoundError, match="nope"):
        check(lib.ZCF_STATUS_NOT_FOUND)


def test_non_utf8_path_is_rejected(tmp_path: Path) -> None:
    assert lib.zcf_array_open(b"/tmp/\xff\xfe", ffi.new("ZcfArray**")) == lib.ZCF_STATUS_INVALID_ARGUMENT


def test_metadata_lying_about_shape(path: Path, data: np.ndarray) -> None:
    metadata = json.loads((path / "zarr.json").read_text())
    metadata["shape"] = [40, 12]
    (path / "zarr.json").write_text(json.dumps(metadata))
    array = zarrs_cffi.open(path)
    result = array[...]
    np.testing.assert_array_equal(result[:20], data)
    assert (result[24:] == 0).all()  # chunks that do not exist read as the fill value


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_checksums_are_verified_on_partial_reads(tmp_path: Path, data: np.ndarray, zarr_format: int) -> None:
    path = tmp_path / "checksummed.zarr"
    if zarr_format == 3:
        write_array(path, data, CHUNKS, compressors=[ZstdCodec(), Crc32cCodec()])
        key = "c/1/1"
    else:
        write_array(path, data, CHUNKS, zarr_format=2, compressors=numcodecs.Fletcher32())
        key = "1.1"
    raw = bytearray((path / key).read_bytes())
    raw[-1] ^= 0xFF  # only the stored checksum changes
    (path / key).write_bytes(bytes(raw))
    array = zarrs_cffi.open(path)
    # One element, a strided part and a point of the damaged chunk all fail, not only whole-chunk reads.
    for read in (lambda: array[9, 6], lambda: array[8:16:3, 5], lambda: array.vindex[[9], [6]]):
        with pytest.raises(zarrs_cffi.DecodeError, match=key.replace(".", r"\.")):
            read()
    np.testing.assert_array_equal(array[:8], data[:8])
    lib.zcf_set_validate_checksums(False)
    try:
        assert array[9, 6] == data[9, 6]
    finally:
        lib.zcf_set_validate_checksums(True)


@pytest.mark.parametrize("num_threads", [-1, 1025, 2**70, 1.5])
def test_absurd_thread_counts_are_rejected(num_threads: object) -> None:
    before = zarrs_cffi.get_num_threads()
    with pytest.raises(ValueError, match="num_threads"):
        zarrs_cffi.set_num_threads(num_threads)  # type: ignore[arg-type]
    assert zarrs_cffi.get_num_threads() == before
    assert lib.zcf_set_num_threads(100_000) == lib.ZCF_STATUS_INVALID_ARGUMENT
    assert zarrs_cffi.get_num_threads() == before
