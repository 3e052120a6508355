"""Property tests: random selections and random array layouts, checked against numpy
semantics on the full data and against zarr-python where zarr accepts the selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zarrs_cffi
from conftest import sample_data, write_array

SHAPE = (13, 7, 10)
CHUNKS = (4, 3, 4)

LAYOUTS: dict[str, tuple[int, dict[str, Any]]] = {
    "v3-zstd": (3, {}),
    "v3-sharded": (3, {"shards": (8, 6, 8)}),
    "v2-blosc-F": (2, {"order": "F"}),
}


@pytest.fixture(scope="module")
def arrays(array_dir: Path) -> dict[str, tuple[np.ndarray, zarr.Array, zarrs_cffi.Array]]:
    result = {}
    for name, (zarr_format, kwargs) in LAYOUTS.items():
        data = sample_data(SHAPE, "int32", seed=11)
        path = array_dir / f"prop-{name}.zarr"
        z = write_array(path, data, CHUNKS, zarr_format=zarr_format, **kwargs)
        result[name] = (data, z, zarrs_cffi.open(path))
    return result


def slices(length: int) -> st.SearchStrategy[slice]:
    bound = st.none() | st.integers(-length - 3, length + 3)
    step = st.none() | st.integers(-length - 1, length + 1).filter(lambda s: s != 0)
    return st.builds(slice, bound, bound, step)


def index_arrays(length: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.integers(-length, length - 1), min_size=0, max_size=12).map(
        lambda values: np.array(values, dtype=np.int64)
    )


def masks(length: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.booleans(), min_size=length, max_size=length).map(np.array)


def basic_items(length: int) -> st.SearchStrategy[Any]:
    return st.integers(-length, length - 1) | slices(length)


def orthogonal_items(length: int) -> st.SearchStrategy[Any]:
    return basic_items(length) | index_arrays(length) | masks(length)


def numpy_oindex(data: np.ndarray, selection: tuple[Any, ...]) -> np.ndarray:
    """Orthogonal indexing in numpy: each item applied along its own axis."""
    result = data
    axis = 0
    for item in selection:
        if isinstance(item, (int, np.integer)):
            result = np.take(result, item, axis=axis)
            continue
        if isinstance(item, slice):
            result = result[(slice(None),) * axis + (item,)]
        else:
            indices = np.flatnonzero(item) if item.dtype == bool else item
            result = np.take(result, indices, axis=axis)
        axis += 1
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_basic_selections(arrays: Any, data: st.DataObject) -> None:
    layout = data.draw(st.sampled_from(list(LAYOUTS)))
    full, z, array = arrays[layout]
    selection = tuple(data.draw(basic_items(n)) for n in SHAPE)
    expected = full[selection]
    result = array[selection]
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)
    if all(not isinstance(s, slice) or (s.step or 1) > 0 for s in selection):
        np.testing.assert_array_equal(result, z[selection])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_orthogonal_selections(arrays: Any, data: st.DataObject) -> None:
    layout = data.draw(st.sampled_from(list(LAYOUTS)))
    full, z, array = arrays[layout]
    selection = tuple(data.draw(orthogonal_items(n)) for n in SHAPE)
    expected = numpy_oindex(full, selection)
    result = array.oindex[selection]
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)
    if all(not isinstance(s, slice) or (s.step or 1) > 0 for s in selection):
        np.testing.assert_array_equal(result, z.oindex[selection])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_pointwise_selections(arrays: Any, data: st.DataObject) -> None:
    layout = data.draw(st.sampled_from(list(LAYOUTS)))
    full, z, array = arrays[layout]
    num_points = data.draw(st.integers(1, 40))
    selection = tuple(
        np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=num_points, max_size=num_points))) for n in SHAPE
    )
    expected = full[selection]
    result = array.vindex[selection]
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(result, z.vindex[selection])
    mask = np.zeros(SHAPE, dtype=bool)
    mask[selection] = True
    np.testing.assert_array_equal(array.vindex[mask], full[mask])


@st.composite
def layouts(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...] | None, int, str]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 12)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    zarr_format = draw(st.sampled_from([2, 3]))
    shards = None
    if zarr_format == 3 and draw(st.booleans()):
        shards = tuple(c * draw(st.integers(1, 3)) for c in chunks)
    dtype = draw(st.sampled_from(["uint8", "int16", "float32", "complex128", "bool"]))
    return shape, chunks, shards, zarr_format, dtype


@settings(max_examples=60, deadline=None)
@given(layout=layouts(), step=st.integers(-4, 4).filter(lambda s: s != 0))
def test_random_layouts(tmp_path_factory: pytest.TempPathFactory, layout: Any, step: int) -> None:
    shape, chunks, shards, zarr_format, dtype = layout
    data = sample_data(shape, dtype, seed=sum(shape))
    path = tmp_path_factory.mktemp("layout") / "a.zarr"
    kwargs = {"shards": shards} if shards else {}
    write_array(path, data, chunks, zarr_format=zarr_format, **kwargs)
    array = zarrs_cffi.open(path)
    np.testing.assert_array_equal(array[...], data)
    strided = tuple(slice(None, None, step) for _ in shape)
    np.testing.assert_array_equal(array[strided], data[strided])
