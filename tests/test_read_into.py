"""`read_into`: C-contiguous outputs are filled in place; other layouts and byte orders
are handled, never rejected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import zarrs_cffi
from conftest import sample_data, write_array


@pytest.fixture(scope="module")
def stored(array_dir: Path) -> tuple[np.ndarray, zarrs_cffi.Array]:
    data = sample_data((30, 17), "float64", seed=31)
    write_array(array_dir / "read-into.zarr", data, (7, 4), shards=(14, 8))
    return data, zarrs_cffi.open(array_dir / "read-into.zarr")


def test_fills_a_view_of_a_larger_buffer_in_place(stored: tuple[np.ndarray, zarrs_cffi.Array]) -> None:
    data, array = stored
    big = np.full((40, 17), -1.0)
    view = big[5:15]
    assert view.flags.c_contiguous
    assert array.read_into(slice(10, 20), view) is view
    np.testing.assert_array_equal(big[5:15], data[10:20])
    assert (big[:5] == -1).all() and (big[15:] == -1).all()


@pytest.mark.parametrize(
    "make_out",
    [
        lambda shape: np.empty(shape, order="F"),
        lambda shape: np.empty((shape[0], shape[1] * 2))[:, ::2],
        lambda shape: np.empty(shape, dtype=">f8"),
        lambda shape: np.empty(shape, dtype=">f8", order="F"),
    ],
    ids=["fortran-order", "strided", "big-endian", "big-endian-fortran"],
)
def test_other_layouts_and_byte_orders(stored: tuple[np.ndarray, zarrs_cffi.Array], make_out: object) -> None:
    data, array = stored
    out = make_out((9, 17))  # type: ignore[operator]
    assert array.read_into(slice(3, None, 3), out) is out
    np.testing.assert_array_equal(out, data[3::3])


def test_pointwise_read_into_keeps_the_broadcast_shape(stored: tuple[np.ndarray, zarrs_cffi.Array]) -> None:
    data, array = stored
    rows = np.array([[0, 29], [5, 5]])
    cols = np.array([[16, 0], [3, 3]])
    out = np.empty((2, 2))
    array.read_into((rows, cols), out)
    np.testing.assert_array_equal(out, data[rows, cols])


def test_empty_selection(stored: tuple[np.ndarray, zarrs_cffi.Array]) -> None:
    _, array = stored
    out = np.empty((0, 17))
    assert array.read_into(slice(5, 5), out).shape == (0, 17)
    assert array.oindex[np.array([], dtype=int), :].shape == (0, 17)
