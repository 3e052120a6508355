"""The direct API: open (or create) an array once, then read selections into numpy and
write numpy values into selections, each with one native call."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _metadata, _selection
from ._library import check, ffi, lib
from ._selection import Plan
from .errors import ArrayNotFoundError, OutputError, ReadOnlyError, UnsupportedDataTypeError

_DTYPES: dict[int, np.dtype[Any]] = {
    lib.ZCF_DTYPE_BOOL: np.dtype(np.bool_),
    lib.ZCF_DTYPE_INT8: np.dtype(np.int8),
    lib.ZCF_DTYPE_INT16: np.dtype(np.int16),
    lib.ZCF_DTYPE_INT32: np.dtype(np.int32),
    lib.ZCF_DTYPE_INT64: np.dtype(np.int64),
    lib.ZCF_DTYPE_UINT8: np.dtype(np.uint8),
    lib.ZCF_DTYPE_UINT16: np.dtype(np.uint16),
    lib.ZCF_DTYPE_UINT32: np.dtype(np.uint32),
    lib.ZCF_DTYPE_UINT64: np.dtype(np.uint64),
    lib.ZCF_DTYPE_FLOAT16: np.dtype(np.float16),
    lib.ZCF_DTYPE_FLOAT32: np.dtype(np.float32),
    lib.ZCF_DTYPE_FLOAT64: np.dtype(np.float64),
    lib.ZCF_DTYPE_COMPLEX64: np.dtype(np.complex64),
    lib.ZCF_DTYPE_COMPLEX128: np.dtype(np.complex128),
}


class Array:
    """A Zarr array (v2 or v3) in a local directory, opened once and used many times.

    Indexing follows zarr-python: ``array[...]`` (basic, orthogonal or pointwise, chosen
    as zarr chooses), ``array.oindex[...]``, ``array.vindex[...]`` and
    ``array.blocks[...]``; slices may also have negative steps. The same selections
    take assignments (``array[...] = value``) when the array was opened with ``mode="r+"``
    or created. Every read or write is a single native call that decodes or encodes
    chunks in parallel, straight from or into the caller's memory.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: str = "r",
        metadata_json: str | None = None,
        write_empty_chunks: bool = False,
    ) -> None:
        """Opens the array at ``path`` for reading (``mode="r"``) or for reading and
        writing (``mode="r+"``); with ``metadata_json`` (the text of its ``zarr.json`` or
        ``.zarray``) the metadata is taken from there instead of the store.
        ``write_empty_chunks`` is zarr's setting of that name: whether writes store
        chunks that hold only the fill value (by default they are deleted)."""
        if mode not in ("r", "r+"):
            raise ValueError(f"mode must be 'r' or 'r+' to open an existing array, got {mode!r}")
        self._path = os.fspath(path)
        handle_out = ffi.new("ZcfArray**")
        metadata = ffi.NULL if metadata_json is None else metadata_json.encode()
        if mode == "r+":
            check(lib.zcf_array_open_writable(self._path.encode(), metadata, handle_out))
        elif metadata_json is None:
            check(lib.zcf_array_open(self._path.encode(), handle_out))
        else:
            check(lib.zcf_array_open_with_metadata(self._path.encode(), metadata, handle_out))
        self._init_from_handle(handle_out[0], write_empty_chunks)

    @classmethod
    def _created(cls, path: str, handle: Any, write_empty_chunks: bool) -> Array:
        array = cls.__new__(cls)
        array._path = path
        array._init_from_handle(handle, write_empty_chunks)
        return array

    def _init_from_handle(self, handle: Any, write_empty_chunks: bool) -> None:
        self._handle = ffi.gc(handle, lib.zcf_array_free)
        self._writable = bool(lib.zcf_array_is_writable(self._handle))
        self._write_flags = lib.ZCF_WRITE_EMPTY_CHUNKS if write_empty_chunks else 0
        info = ffi.new("ZcfArrayInfo*")
        check(lib.zcf_array_info(self._handle, info))
        self._ndim = int(info.ndim)
        if info.data_type not in _DTYPES:
            size = lib.zcf_array_data_type_name(self._handle, ffi.NULL, 0)
            name = ffi.new("char[]", size + 1)
            lib.zcf_array_data_type_name(self._handle, name, size + 1)
            raise UnsupportedDataTypeError(
                f"the Zarr array at '{self._path}' has data type '{ffi.string(name).decode()}', "
                "which the native engine cannot read into a numpy array"
            )
        native = _DTYPES[info.data_type]
        # Zarr v2 metadata may declare big-endian elements; zarr-python returns them as such.
        self._dtype = native.newbyteorder(">") if info.declares_big_endian and native.itemsize > 1 else native
        shape = ffi.new("uint64_t[]", max(self._ndim, 1))
        check(lib.zcf_array_shape(self._handle, shape, self._ndim))
        self._shape = tuple(int(shape[i]) for i in range(self._ndim))
        check(lib.zcf_array_chunk_shape(self._handle, shape, self._ndim))
        self._chunks = tuple(int(shape[i]) for i in range(self._ndim))
        fill = np.empty(1, dtype=native)
        check(lib.zcf_array_fill_value(self._handle, ffi.from_buffer(fill), fill.nbytes))
        self._fill_value = fill[0]

    @property
    def path(self) -> str:
        return self._path

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def chunks(self) -> tuple[int, ...]:
        return self._chunks

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._dtype

    @property
    def ndim(self) -> int:
        return self._ndim

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self._dtype.itemsize

    @property
    def fill_value(self) -> Any:
        return self._fill_value

    @property
    def read_only(self) -> bool:
        """Whether writes are refused (the array was opened with ``mode="r"``)."""
        return not self._writable

    @property
    def write_empty_chunks(self) -> bool:
        """Whether writes store chunks that hold only the fill value."""
        return bool(self._write_flags & lib.ZCF_WRITE_EMPTY_CHUNKS)

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __repr__(self) -> str:
        return f"<zarrs_cffi.Array '{self._path}' shape={self._shape} dtype={self._dtype}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # Native handles cannot be pickled; the receiver reopens the array.
        return (_reopen, (self._path, "r+" if self._writable else "r", self.write_empty_chunks))

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> npt.NDArray[Any]:
        data = self[...]
        return data if dtype is None else data.astype(dtype, copy=False)

    def __getitem__(self, selection: Any) -> npt.NDArray[Any]:
        box = _selection.box_selection(selection, self._shape)
        if box is not None:
            return self._read_box(*box)
        return self._read(_selection.getitem_plan(selection, self._shape))

    def __setitem__(self, selection: Any, value: Any) -> None:
        box = _selection.box_selection(selection, self._shape)
        if box is not None:
            start, extent, shape = box
            values = self._values(value, shape)
            buffer = ffi.from_buffer(values)
            check(
                lib.zcf_array_write_box(
                    self._handle, start, extent, len(extent), buffer, values.nbytes, self._write_flags
                )
            )
            return
        self._write(_selection.getitem_plan(selection, self._shape), value)

    def write(self, selection: Any, value: Any) -> None:
        """Writes ``value`` into ``self[selection]``: the same as ``self[selection] = value``."""
        self[selection] = value

    @property
    def oindex(self) -> _Indexer:
        """Orthogonal selection: integer arrays and masks select per dimension."""
        return _Indexer(self, _selection.orthogonal_plan)

    @property
    def vindex(self) -> _Indexer:
        """Pointwise (vectorised) selection: coordinate arrays or a mask of the array's shape."""
        return _Indexer(self, _selection.pointwise_plan)

    @property
    def blocks(self) -> _Indexer:
        """Block selection: integers and slices over chunk indices."""
        return _Indexer(self, lambda sel, shape: _selection.block_plan(sel, shape, self._chunks))

    def read_into(self, selection: Any, out: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Reads ``self[selection]`` into ``out`` and returns it.

        ``out`` must be a writable numpy array of the result's shape and of this array's
        dtype (either byte order). A C-contiguous ``out`` is written in place with no
        copy; any other layout is filled through a temporary C-ordered buffer.
        """
        plan = _selection.getitem_plan(selection, self._shape)
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
        if out.dtype.newbyteorder("=") != self._dtype.newbyteorder("="):
            raise TypeError(f"out has dtype {out.dtype}, expected {self._dtype}")
        if out.shape != plan.shape:
            raise OutputError(f"out has shape {out.shape}, but the selection has shape {plan.shape}")
        if not out.flags.writeable:
            raise OutputError("out is read-only")
        if not out.flags.c_contiguous:
            out[...] = self._read(plan)
        elif out.dtype.isnative:
            self._read_native(plan, out)
        else:
            native_view = out.view(out.dtype.newbyteorder("="))
            self._read_native(plan, native_view)
            native_view.byteswap(inplace=True)
        return out

    def _read(self, plan: Plan) -> npt.NDArray[Any]:
        out = self._empty(plan.shape)
        self._read_native(plan, out)
        return self._in_declared_byte_order(out)

    def _read_box(self, start: list[int], box: list[int], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        out = self._empty(shape)
        buffer = ffi.from_buffer(out, require_writable=True)
        check(lib.zcf_array_read_box(self._handle, start, box, len(box), buffer, out.nbytes))
        return self._in_declared_byte_order(out)

    def _empty(self, shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """An uninitialised native-endian result of `shape`."""
        # Python integers do not overflow: an absurd result size is caught here, before numpy
        # is asked for the memory.
        if math.prod(shape) * self._dtype.itemsize > np.iinfo(np.intp).max:
            raise OutputError(f"a result of shape {shape} and dtype {self._dtype} is too large to allocate")
        return np.empty(shape, dtype=self._dtype.newbyteorder("="))

    def _in_declared_byte_order(self, out: npt.NDArray[Any]) -> npt.NDArray[Any]:
        if self._dtype.isnative:
            return out
        out.byteswap(inplace=True)
        return out.view(self._dtype)

    def _read_native(self, plan: Plan, out: npt.NDArray[Any]) -> None:
        selection, keepalive = plan.to_c()
        check(lib.zcf_array_read(self._handle, selection, ffi.from_buffer(out, require_writable=True), out.nbytes))
        del keepalive

    def _write(self, plan: Plan, value: Any) -> None:
        values = self._values(value, plan.shape)
        selection, keepalive = plan.to_c()
        check(lib.zcf_array_write(self._handle, selection, ffi.from_buffer(values), values.nbytes, self._write_flags))
        del keepalive

    def _values(self, value: Any, shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """``value`` as the native engine takes it: cast to the array's dtype as zarr casts
        (numpy's rules), broadcast to the selection's ``shape``, C-ordered and native-endian;
        a single element when every selected position gets the same value."""
        if not self._writable:
            raise ReadOnlyError(f"the Zarr array at '{self._path}' was opened for reading only; open it with mode='r+'")
        dtype = self._dtype
        if np.isscalar(value):
            value = np.asanyarray(value, dtype=dtype)
        elif not hasattr(value, "shape") or not hasattr(value, "dtype"):
            value = np.asarray(value, dtype=dtype)
        elif value.dtype != dtype:
            value = np.asarray(value).astype(dtype, order="A")
        value = np.asarray(value)
        if value.shape != shape:
            try:
                value = np.broadcast_to(value, shape)
            except ValueError:
                raise ValueError(
                    f"could not broadcast input array from shape {value.shape} into shape {shape}"
                ) from None
        native = dtype.newbyteorder("=")
        if value.size > 1 and not any(value.strides):
            # One value everywhere (a scalar, or broadcast from one element): pass it once.
            return np.ascontiguousarray(value.reshape(-1)[:1], dtype=native)
        return np.ascontiguousarray(value, dtype=native)


class _Indexer:
    __slots__ = ("_array", "_planner")

    def __init__(self, array: Array, planner: Any) -> None:
        self._array = array
        self._planner = planner

    def __getitem__(self, selection: Any) -> npt.NDArray[Any]:
        return self._array._read(self._planner(selection, self._array.shape))

    def __setitem__(self, selection: Any, value: Any) -> None:
        self._array._write(self._planner(selection, self._array.shape), value)


def _reopen(path: str, mode: str, write_empty_chunks: bool) -> Array:
    return Array(path, mode=mode, write_empty_chunks=write_empty_chunks)


def _write_empty_chunks(config: dict[str, Any] | None) -> bool:
    """zarr's array ``config``: only ``write_empty_chunks`` changes what is written here."""
    config = dict(config or {})
    unknown = set(config) - {"write_empty_chunks", "order"}
    if unknown:
        raise ValueError(f"unknown array config keys {sorted(unknown)}")
    return bool(config.get("write_empty_chunks", False))


def create(
    path: str | os.PathLike[str],
    *,
    shape: Any,
    dtype: Any,
    chunks: Any = "auto",
    shards: Any = None,
    filters: Any = "auto",
    compressors: Any = "auto",
    serializer: Any = "auto",
    fill_value: Any = None,
    order: str | None = None,
    zarr_format: int = 3,
    attributes: dict[str, Any] | None = None,
    chunk_key_encoding: dict[str, Any] | None = None,
    dimension_names: Any = None,
    overwrite: bool = False,
    config: dict[str, Any] | None = None,
) -> Array:
    """Creates a Zarr array in the directory ``path`` and opens it for writing.

    The arguments, their defaults and the metadata written are those of
    ``zarr.create_array`` (readable by zarr-python, tensorstore and zarrs). ``chunks`` is
    the shape of the chunks reads and writes address, ``shards`` (Zarr v3) the shape of
    the stored shards holding them. ``compressors`` (and ``filters``) take zarr codec
    objects, codec dicts, or names with their default settings (``"zstd"``, ``"gzip"``,
    ``"blosc"``, and ``"crc32c"`` for Zarr v3; numcodecs objects, dicts or ``"zstd"``,
    ``"blosc"``, ``"zlib"``, ``"gzip"``, ``"bz2"`` for Zarr v2). An array or group already
    at ``path`` is an error unless ``overwrite``, which deletes it first (a directory
    holding other files but no Zarr node is never deleted). ``config`` is zarr's array
    config; ``{"write_empty_chunks": True}`` stores chunks that hold only the fill value.
    """
    write_empty_chunks = _write_empty_chunks(config)
    document, attributes_json = _metadata.create_documents(
        shape=shape,
        dtype=dtype,
        chunks=chunks,
        shards=shards,
        filters=filters,
        compressors=compressors,
        serializer=serializer,
        fill_value=fill_value,
        order=order,
        zarr_format=zarr_format,
        attributes=attributes,
        chunk_key_encoding=chunk_key_encoding,
        dimension_names=dimension_names,
    )
    target = os.fspath(path)
    handle_out = ffi.new("ZcfArray**")
    check(
        lib.zcf_array_create(
            target.encode(),
            document.encode(),
            ffi.NULL if attributes_json is None else attributes_json.encode(),
            lib.ZCF_CREATE_OVERWRITE if overwrite else 0,
            handle_out,
        )
    )
    return Array._created(target, handle_out[0], write_empty_chunks)


def open(
    path: str | os.PathLike[str],
    mode: str = "r",
    *,
    config: dict[str, Any] | None = None,
    **create_kwargs: Any,
) -> Array:
    """Opens the Zarr array in the directory ``path``, with zarr's modes: ``"r"`` reads an
    existing array, ``"r+"`` reads and writes one, ``"a"`` opens one for writing or
    creates it (from ``create_kwargs``, as `create` takes them) when there is none,
    ``"w"`` creates it replacing what is there, ``"w-"`` creates it unless one exists."""
    if mode in ("r", "r+"):
        if create_kwargs:
            raise TypeError(f"mode {mode!r} opens an existing array; unexpected {sorted(create_kwargs)}")
        return Array(path, mode=mode, write_empty_chunks=_write_empty_chunks(config))
    if mode == "a":
        try:
            return Array(path, mode="r+", write_empty_chunks=_write_empty_chunks(config))
        except ArrayNotFoundError:
            return create(path, config=config, **create_kwargs)
    if mode in ("w", "w-", "x"):
        return create(path, overwrite=mode == "w", config=config, **create_kwargs)
    raise ValueError(f"mode must be one of 'r', 'r+', 'a', 'w', 'w-', got {mode!r}")


def read(path: str | os.PathLike[str], selection: Any = Ellipsis) -> npt.NDArray[Any]:
    """Reads ``selection`` (default: everything) of the Zarr array at ``path``."""
    return Array(path)[selection]


def read_into(path: str | os.PathLike[str], selection: Any, out: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Reads ``selection`` of the Zarr array at ``path`` into ``out`` (see `Array.read_into`)."""
    return Array(path).read_into(selection, out)


def write(path: str | os.PathLike[str], selection: Any, value: Any) -> None:
    """Writes ``value`` into ``selection`` of the existing Zarr array at ``path`` (opened
    with ``mode="r+"`` for this one write)."""
    Array(path, mode="r+")[selection] = value


def set_num_threads(num_threads: int) -> None:
    """Sets the native worker threads for later reads; 0 restores one per core."""
    if not isinstance(num_threads, int) or not 0 <= num_threads <= 1024:
        raise ValueError(f"num_threads must be an integer from 0 to 1024, got {num_threads!r}")
    check(lib.zcf_set_num_threads(num_threads))


def get_num_threads() -> int:
    """The number of native worker threads reads use."""
    return int(lib.zcf_get_num_threads())
