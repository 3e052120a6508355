"""The one selection normaliser: numpy/zarr selections in, flat native plans out.

`Array.__getitem__`, `.oindex`, `.vindex`, `.blocks`, the module-level functions and
the zarr codec pipeline all build a `Plan` here and hand it to the same native read.
Dispatch follows zarr-python, so a selection zarr accepts gives zarr's result; beyond
zarr, slices may have negative steps (numpy semantics).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._library import ffi, lib
from .errors import BoundsError, SelectionError

SLICE: int = lib.ZCF_DIM_SLICE
INDEX: int = lib.ZCF_DIM_INDEX
INDICES: int = lib.ZCF_DIM_INDICES
ORTHOGONAL: int = lib.ZCF_MODE_ORTHOGONAL
POINTWISE: int = lib.ZCF_MODE_POINTWISE


@dataclass(frozen=True)
class DimPlan:
    """One dimension of a plan (see `ZcfDimSelection` in the C header)."""

    kind: int
    start: int = 0
    stop: int = 0
    step: int = 1
    indices: npt.NDArray[np.int64] | None = None


@dataclass(frozen=True)
class Plan:
    """A selection resolved against an array shape.

    `shape` is the shape of the result; the native read fills a C-ordered buffer of
    that shape (a pointwise read fills `prod(shape)` elements, which is the same memory).
    """

    mode: int
    dims: tuple[DimPlan, ...]
    shape: tuple[int, ...]

    def to_c(self) -> tuple[Any, list[Any]]:
        """The `ZcfSelection*` for this plan, plus the cffi objects that must stay alive
        while the native call runs."""
        keepalive: list[Any] = []
        dims = ffi.new("ZcfDimSelection[]", max(len(self.dims), 1))
        for c_dim, dim in zip(dims, self.dims, strict=False):  # `dims` has at least one entry
            c_dim.kind = dim.kind
            c_dim.start = dim.start
            c_dim.stop = dim.stop
            c_dim.step = dim.step
            if dim.indices is not None and len(dim.indices):
                buffer = ffi.from_buffer("int64_t[]", dim.indices)
                keepalive.append(buffer)
                c_dim.indices = buffer
                c_dim.num_indices = len(dim.indices)
        selection = ffi.new("ZcfSelection*")
        selection.mode = self.mode
        selection.ndim = len(self.dims)
        selection.dims = dims
        keepalive.extend([dims, selection, self])
        return selection, keepalive


def is_integer(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and type(x) not in (bool, np.bool_)


def _is_bool(x: Any) -> bool:
    return type(x) in (bool, np.bool_)


def _is_integer_list(x: Any) -> bool:
    return isinstance(x, list) and len(x) > 0 and all(is_integer(i) for i in x)


def _is_bool_list(x: Any) -> bool:
    return isinstance(x, list) and len(x) > 0 and all(_is_bool(i) for i in x)


def _is_integer_array(x: Any) -> bool:
    return not np.isscalar(x) and hasattr(x, "shape") and hasattr(x, "dtype") and x.dtype.kind in "ui"


def _is_bool_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and x.dtype == bool


def _is_int_or_bool_iterable(x: Any) -> bool:
    return _is_integer_list(x) or _is_integer_array(x) or _is_bool_array(x) or _is_bool_list(x)


def _as_tuple(selection: Any) -> tuple[Any, ...]:
    return selection if isinstance(selection, tuple) else (selection,)


def _lists_to_arrays(selection: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(np.asarray(s) if isinstance(s, list) else s for s in selection)


def _expand_ellipsis(selection: Any, ndim: int) -> tuple[Any, ...]:
    selection = _as_tuple(selection)
    n_ellipsis = sum(1 for s in selection if s is Ellipsis)
    if n_ellipsis > 1:
        raise SelectionError("an index can only have a single ellipsis ('...')")
    if n_ellipsis == 1:
        at = next(i for i, s in enumerate(selection) if s is Ellipsis)
        fill = max(ndim - (len(selection) - 1), 0)
        selection = selection[:at] + (slice(None),) * fill + selection[at + 1 :]
    if len(selection) > ndim:
        raise SelectionError(
            f"too many indices for array: array is {ndim}-dimensional, but {len(selection)} were indexed"
        )
    return selection + (slice(None),) * (ndim - len(selection))


def _index_array(x: Any) -> npt.NDArray[np.int64]:
    """A C-contiguous int64 copy-if-needed of an integer index array."""
    if x.dtype == np.uint64 and x.size and x.max() > np.iinfo(np.int64).max:
        raise BoundsError(f"index {x.max()} is out of bounds")
    return np.ascontiguousarray(x, dtype=np.int64)


def _check_slice_bounds(s: slice) -> None:
    for bound in (s.start, s.stop, s.step):
        if bound is not None and not is_integer(bound):
            raise SelectionError(f"slice indices must be integers or None, got {s!r}")


def _slice_dim(s: slice, length: int) -> DimPlan:
    _check_slice_bounds(s)
    if s.step == 0:
        raise SelectionError("slice step cannot be zero")
    start, stop, step = s.indices(length)
    # A step of at least the length selects the start alone, as a step of the length does;
    # this keeps absurd steps (2**63 and beyond) within the plan's int64.
    bound = max(length, 1)
    return DimPlan(SLICE, start, stop, max(-bound, min(step, bound)))


def _slice_len(dim: DimPlan) -> int:
    return len(range(dim.start, dim.stop, dim.step))


def _integer_dim(x: Any) -> DimPlan:
    # Bounds are checked natively, with numpy's message; only an index that does not even
    # fit the plan's int64 is refused here.
    if not -(2**63) <= int(x) < 2**63:
        raise BoundsError(f"index {x} is out of bounds")
    return DimPlan(INDEX, start=int(x))


def box_selection(selection: Any, shape: tuple[int, ...]) -> tuple[list[int], list[int], tuple[int, ...]] | None:
    """`(start, box shape, result shape)` when `selection` is one in-bounds Python int or
    unit-step slice per dimension, or `...`: the commonest selection, read as a box without
    building a plan (per-read Python time matters for small reads). Anything else,
    including out-of-bounds integers (whose errors `basic_plan` reports), gives None.
    """
    if selection is Ellipsis:
        selection = (slice(None),) * len(shape)
    elif type(selection) is not tuple:
        selection = (selection,)
    if not shape or len(selection) != len(shape):
        return None
    start, box, result = [], [], []
    for s, length in zip(selection, shape, strict=True):
        if type(s) is int:
            index = s + length if s < 0 else s
            if not 0 <= index < length:
                return None
            start.append(index)
            box.append(1)
        elif (
            type(s) is slice
            and (s.step is None or s.step == 1)
            and (s.start is None or type(s.start) is int)
            and (s.stop is None or type(s.stop) is int)
        ):
            first, stop, _ = s.indices(length)
            extent = max(stop - first, 0)
            start.append(first)
            box.append(extent)
            result.append(extent)
        else:
            return None
    return start, box, tuple(result)


def basic_plan(selection: Any, shape: tuple[int, ...]) -> Plan:
    """Integers, slices (any non-zero step) and Ellipsis."""
    dims = []
    out_shape = []
    for s, length in zip(_expand_ellipsis(selection, len(shape)), shape, strict=True):
        if is_integer(s):
            dims.append(_integer_dim(s))
        elif isinstance(s, slice):
            dim = _slice_dim(s, length)
            dims.append(dim)
            out_shape.append(_slice_len(dim))
        else:
            raise SelectionError(
                f"unsupported selection item for basic indexing; expected integer or slice, got {type(s)!r}"
            )
    return Plan(ORTHOGONAL, tuple(dims), tuple(out_shape))


def orthogonal_plan(selection: Any, shape: tuple[int, ...]) -> Plan:
    """Like `basic_plan`, plus 1-D integer arrays and Boolean masks per dimension."""
    dims = []
    out_shape = []
    selection = _lists_to_arrays(_expand_ellipsis(_lists_to_arrays(_as_tuple(selection)), len(shape)))
    for s, length in zip(selection, shape, strict=True):
        if is_integer(s):
            dims.append(_integer_dim(s))
            continue
        if isinstance(s, slice):
            dim = _slice_dim(s, length)
        elif _is_integer_array(s):
            if s.ndim != 1:
                raise SelectionError("integer arrays in an orthogonal selection must be 1-dimensional only")
            dim = DimPlan(INDICES, indices=_index_array(s))
        elif _is_bool_array(s):
            if s.ndim != 1:
                raise SelectionError("Boolean arrays in an orthogonal selection must be 1-dimensional only")
            if s.shape[0] != length:
                raise SelectionError(
                    f"Boolean array has the wrong length for dimension; expected {length}, got {s.shape[0]}"
                )
            dim = DimPlan(INDICES, indices=_index_array(np.flatnonzero(s)))
        else:
            raise SelectionError(
                "unsupported selection item for orthogonal indexing; expected integer, slice, "
                f"integer array or Boolean array, got {type(s)!r}"
            )
        dims.append(dim)
        out_shape.append(_slice_len(dim) if dim.kind == SLICE else len(dim.indices))  # type: ignore[arg-type]
    return Plan(ORTHOGONAL, tuple(dims), tuple(out_shape))


def pointwise_plan(selection: Any, shape: tuple[int, ...]) -> Plan:
    """zarr's `vindex`: one integer array (or integer) per dimension, broadcast together,
    or a single Boolean mask of the array's shape."""
    selection = _lists_to_arrays(_as_tuple(selection))
    if len(selection) == 1 and _is_bool_array(selection[0]):
        mask = selection[0]
        if mask.shape != shape:
            raise SelectionError(
                "invalid mask selection; expected one Boolean (mask) array with the same shape "
                f"as the target array {shape}, got shape {mask.shape}"
            )
        coords = tuple(_index_array(c) for c in np.nonzero(mask))
        dims = tuple(DimPlan(INDICES, indices=c) for c in coords)
        return Plan(POINTWISE, dims, (len(coords[0]) if coords else int(mask.sum()),))
    normalized = tuple(np.asarray([s]) if is_integer(s) else s for s in selection)
    if len(normalized) != len(shape) or not all(_is_integer_array(s) for s in normalized):
        raise SelectionError(
            "invalid coordinate selection; expected one integer (coordinate) array per "
            f"dimension of the target array, got {selection!r}"
        )
    try:
        broadcast = np.broadcast_arrays(*normalized)
    except ValueError as err:
        raise SelectionError(f"coordinate arrays cannot be broadcast together: {err}") from err
    result_shape = broadcast[0].shape or (1,)
    dims = tuple(DimPlan(INDICES, indices=_index_array(b.reshape(-1))) for b in broadcast)
    return Plan(POINTWISE, dims, result_shape)


def block_plan(selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Plan:
    """zarr's `blocks`: integers and step-1 slices over chunk indices; no dimension is dropped."""
    element_selection = []
    for s, length, chunk in zip(_expand_ellipsis(selection, len(shape)), shape, chunks, strict=True):
        num_blocks = math.ceil(length / chunk)
        if is_integer(s):
            block = int(s) + num_blocks if s < 0 else int(s)
            if not 0 <= block < num_blocks:
                raise BoundsError(f"block index {s} is out of bounds for {num_blocks} blocks")
            element_selection.append(slice(block * chunk, (block + 1) * chunk))
        elif isinstance(s, slice):
            _check_slice_bounds(s)
            if s.step not in (None, 1):
                raise SelectionError("block indexing takes integers or slices with step 1")
            start, stop, _ = s.indices(num_blocks)
            element_selection.append(slice(start * chunk, max(stop, start) * chunk))
        else:
            raise SelectionError(f"unsupported selection item for block indexing; got {type(s)!r}")
    return basic_plan(tuple(element_selection), shape)


def getitem_plan(selection: Any, shape: tuple[int, ...]) -> Plan:
    """`Array[...]` with zarr's dispatch between pointwise, orthogonal and basic."""
    ndim = len(shape)
    if isinstance(selection, str) or any(isinstance(s, str) for s in _as_tuple(selection)):
        raise SelectionError("field selection is not supported")
    if any(s is None for s in _as_tuple(selection)):
        raise SelectionError("np.newaxis is not supported in selections")
    if _is_pure_fancy(selection, ndim):
        return pointwise_plan(selection, shape)
    if _is_pure_orthogonal(selection, ndim):
        return orthogonal_plan(selection, shape)
    return basic_plan(selection, shape)


def _is_pure_fancy(selection: Any, ndim: int) -> bool:
    if _is_bool_array(selection):
        return True
    if ndim == 1 and (_is_integer_list(selection) or _is_integer_array(selection) or _is_bool_list(selection)):
        return True
    return (
        isinstance(selection, tuple)
        and len(selection) == ndim
        and not any(isinstance(s, slice) or s is Ellipsis for s in selection)
        and all(is_integer(s) or _is_integer_list(s) or _is_integer_array(s) for s in selection)
        and any(_is_integer_list(s) or _is_integer_array(s) for s in selection)
    )


def _is_pure_orthogonal(selection: Any, ndim: int) -> bool:
    if not ndim:
        return False
    items = _as_tuple(selection)
    if len(items) == ndim and all(_is_int_or_bool_iterable(s) for s in items):
        return True
    return (
        len(items) <= ndim
        and sum(_is_int_or_bool_iterable(s) for s in items) <= 1
        and all(_is_int_or_bool_iterable(s) or isinstance(s, int | slice) for s in items)
    )
