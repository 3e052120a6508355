"""Shared helpers: arrays written by zarr-python, read back as the reference."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

# Files copied next to zarr-python's own tests when test_zarr_suite.py runs them.
collect_ignore = ["zarr_suite"]

warnings.filterwarnings("ignore", module="numcodecs")
warnings.filterwarnings("ignore", category=UserWarning, module="zarr")


def sample_data(shape: tuple[int, ...], dtype: Any, seed: int = 0) -> np.ndarray:
    """Distinct, type-appropriate values (so a misplaced element cannot go unnoticed)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "b":
        values = rng.integers(0, 2, n).astype(bool)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    elif dtype.kind == "f":
        values = (rng.standard_normal(n) * 1000).astype(dtype)
    elif dtype.kind == "c":
        values = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    else:
        raise ValueError(dtype)
    return values.reshape(shape)


def write_array(
    path: Path,
    data: np.ndarray,
    chunks: tuple[int, ...],
    *,
    zarr_format: int = 3,
    fill_value: Any = None,
    skip_chunks_where: Any = None,
    **create_kwargs: Any,
) -> zarr.Array:
    """Writes `data` with zarr-python. `skip_chunks_where(chunk_slices)` leaves chunks
    unwritten, so reads must produce the fill value there."""
    array = zarr.create_array(
        str(path),
        shape=data.shape,
        chunks=chunks,
        dtype=data.dtype,
        zarr_format=zarr_format,
        fill_value=fill_value,
        overwrite=True,
        **create_kwargs,
    )
    if skip_chunks_where is None:
        array[...] = data
    else:
        write_chunk_by_chunk(array, data, skip_chunks_where)
    return zarr.open_array(str(path), mode="r")


def write_chunk_by_chunk(array: zarr.Array, data: np.ndarray, skip: Any) -> None:
    chunks = array.chunks
    grid = [range(0, s, c) for s, c in zip(data.shape, chunks, strict=True)]
    for origin in np.ndindex(*[len(g) for g in grid]):
        region = tuple(slice(g[i], g[i] + c) for g, i, c in zip(grid, origin, chunks, strict=True))
        if not skip(origin):
            array[region] = data[region]


@pytest.fixture(scope="session")
def array_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("arrays")


def zarr_reference(z: zarr.Array, kind: str, selection: Any) -> np.ndarray:
    """zarr-python's result for a selection, or numpy's where zarr refuses
    (negative steps), so every comparison has a real reference."""
    full = None
    try:
        if kind == "getitem":
            return np.asarray(z[selection])
        if kind == "oindex":
            return np.asarray(z.oindex[selection])
        if kind == "vindex":
            return np.asarray(z.vindex[selection])
        if kind == "blocks":
            return np.asarray(z.blocks[selection])
    except zarr.errors.NegativeStepError:
        full = z[...]
    assert full is not None and kind == "getitem"
    return np.asarray(full[selection])
