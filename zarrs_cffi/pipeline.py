"""`ZarrsCodecPipeline`: a zarr-python codec pipeline whose reads run in the native engine.

Select it with ``zarr.config.set({"codec_pipeline.path": "zarrs_cffi.ZarrsCodecPipeline"})``
or the environment variable ``ZARR_CODEC_PIPELINE__PATH=zarrs_cffi.ZarrsCodecPipeline``.

Reads and writes of a local directory (a ``LocalStore``, or an ``FsspecStore`` over
fsspec's local file system) hand zarr's per-chunk projections to the engine in one native
call each. Everything else (other stores, data types or codecs the engine cannot serve)
goes through zarr's own ``BatchedCodecPipeline``, unless the configuration key
``codec_pipeline.strict`` is true, in which case it raises instead.

Configuration keys read by this pipeline:

- ``codec_pipeline.strict`` (default False): raise instead of falling back.
- ``codec_pipeline.validate_checksums`` (default True): verify crc32c/fletcher32/adler32.
- ``threading.max_workers`` (default None = one per core): native worker threads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import zarr
from zarr.abc.codec import Codec, CodecPipeline
from zarr.codecs._v2 import V2Codec
from zarr.core.array_spec import ArrayConfig, ArraySpec
from zarr.core.buffer import default_buffer_prototype
from zarr.core.codec_pipeline import BatchedCodecPipeline
from zarr.core.metadata import ArrayV2Metadata, ArrayV3Metadata
from zarr.storage import FsspecStore, LocalStore

from ._library import check, ffi, lib
from ._selection import INDEX, INDICES, ORTHOGONAL, POINTWISE, SLICE
from .array import Array, set_num_threads
from .errors import BoundsError, StrictModeError

try:  # zarr >= 3.2 reports per-chunk results
    from zarr.abc.codec import GetResult
except ImportError:  # pragma: no cover - depends on the installed zarr
    GetResult = None

logger = logging.getLogger(__name__)

# One row of this dtype is one `ZcfDimSelection`, so a whole batch of per-chunk selections
# is built with numpy and handed over as a single pointer.
_FIELDS = ("kind", "start", "stop", "step", "indices", "num_indices")
DIM_SELECTION = np.dtype(
    {
        "names": list(_FIELDS),
        "formats": [np.int32, np.int64, np.int64, np.int64, np.uintp, np.uintp],
        "offsets": [ffi.offsetof("ZcfDimSelection", name) for name in _FIELDS],
        "itemsize": ffi.sizeof("ZcfDimSelection"),
    }
)


@dataclass
class NativeStats:
    """Counts of pipeline reads (`stats`) or writes (`write_stats`): served natively; of
    arrays the engine serves but handed to zarr's pipeline (e.g. a buffer of another
    dtype); of arrays the engine cannot serve at all (other stores, data types or codecs)."""

    native: int = 0
    fallback: int = 0
    unsupported: int = 0


stats = NativeStats()
write_stats = NativeStats()


class NativeUnavailable(Exception):
    """The engine cannot serve this array or read; zarr's pipeline must."""


def _strict() -> bool:
    return bool(zarr.config.get("codec_pipeline.strict", False))


def _local_root(store: Any) -> str | None:
    """The directory whose files are the store's keys, or None for other stores.

    Exactly these types: subclasses and wrappers may change how keys map to files. The
    fsspec case is what `dask.array.from_zarr` opens for a path.
    """
    if type(store) is LocalStore:
        return str(store.root)
    if type(store) is FsspecStore:
        from fsspec.implementations.local import LocalFileSystem

        # zarr wraps a synchronous file system such as the local one to make it async.
        if type(getattr(store.fs, "sync_fs", store.fs)) is LocalFileSystem:
            return str(store.path)
    return None


def _check_codec_classes(codecs: Iterable[Any]) -> None:
    """Refuses codecs that zarr's configuration implements with other classes than its own
    (``codecs.<name>``): the engine runs its own implementation of each codec, so it
    would bypass the configured one."""
    defaults = zarr.config.defaults[0].get("codecs", {})
    for codec in codecs:
        name = codec.to_dict().get("name") if hasattr(codec, "to_dict") else None
        implementation = f"{type(codec).__module__}.{type(codec).__qualname__}"
        if name in defaults and defaults[name] != implementation:
            raise NativeUnavailable(f"codec {name!r} is implemented by {implementation}, not by zarr")
        _check_codec_classes([*getattr(codec, "codecs", ()), *getattr(codec, "index_codecs", ())])


def _fallback_pipeline(metadata: ArrayV2Metadata | ArrayV3Metadata) -> BatchedCodecPipeline:
    """What zarr builds with its default pipeline for this metadata."""
    if isinstance(metadata, ArrayV3Metadata):
        pipeline = BatchedCodecPipeline.from_codecs(metadata.codecs)
        chunk_shape = getattr(metadata.chunk_grid, "chunk_shape", (1,) * len(metadata.shape))
        config = ArrayConfig.from_dict({})
    else:
        pipeline = BatchedCodecPipeline.from_codecs([V2Codec(filters=metadata.filters, compressor=metadata.compressor)])
        chunk_shape = metadata.chunks
        config = ArrayConfig.from_dict({"order": metadata.order})
    spec = ArraySpec(
        shape=chunk_shape,
        dtype=metadata.dtype,
        fill_value=metadata.fill_value,
        config=config,
        prototype=default_buffer_prototype(),
    )
    # As `pipeline.evolve_from_array_spec(spec)`, which zarr 3.1 cannot run (it consumes
    # a generator twice).
    return BatchedCodecPipeline.from_codecs([codec.evolve_from_array_spec(array_spec=spec) for codec in pipeline])


@dataclass(frozen=True)
class _NativeLayout:
    """How to find the engine's array and each chunk's grid indices from zarr's chunk paths."""

    metadata_json: str
    store_root: str
    ndim: int
    key_parts: int  # path components of one chunk key
    key_offset: int  # characters before the first grid index ("c/" for v3 default keys)
    separator: str

    @classmethod
    def of(cls, metadata: ArrayV2Metadata | ArrayV3Metadata, store: Any) -> _NativeLayout:
        store_root = _local_root(store)
        if store_root is None:
            raise NativeUnavailable(f"store {type(store).__name__} is not a LocalStore or a local FsspecStore")
        dtype = metadata.dtype.to_native_dtype()
        if dtype.kind not in "biufc" or dtype.fields is not None:
            raise NativeUnavailable(f"data type {dtype} is not read natively")
        if isinstance(metadata, ArrayV3Metadata) and getattr(metadata.chunk_grid, "chunk_shape", None) is None:
            raise NativeUnavailable("the chunk grid is not regular")
        if isinstance(metadata, ArrayV3Metadata):
            _check_codec_classes(metadata.codecs)
        ndim = len(metadata.shape)
        try:
            documents = metadata.to_buffer_dict(default_buffer_prototype())
        except Exception as err:
            raise NativeUnavailable(f"cannot serialise the metadata: {err}") from err
        document = documents.get("zarr.json") or documents[".zarray"]
        origin_key = metadata.encode_chunk_key((0,) * ndim)
        if isinstance(metadata, ArrayV3Metadata) and metadata.chunk_key_encoding.name == "default":
            separator = metadata.chunk_key_encoding.separator
            key_offset = 2
        else:
            separator = (
                metadata.dimension_separator
                if isinstance(metadata, ArrayV2Metadata)
                else metadata.chunk_key_encoding.separator
            )
            key_offset = 0
        layout = cls(
            metadata_json=document.to_bytes().decode(),
            store_root=store_root,
            ndim=ndim,
            key_parts=origin_key.count("/") + 1,
            key_offset=key_offset,
            separator=separator,
        )
        # Reject codecs and data types the engine cannot create before any read.
        layout.open_array(layout.store_root)
        return layout

    def open_array(self, directory: str, writable: bool = False, stored_metadata: bool = False) -> Array:
        """The engine's array in `directory`, with zarr's metadata (or, with
        `stored_metadata`, the metadata document in the store)."""
        metadata_json = None if stored_metadata else self.metadata_json
        try:
            return Array(directory, mode="r+" if writable else "r", metadata_json=metadata_json)
        except (FileNotFoundError, NotImplementedError, TypeError, ValueError) as err:
            raise NativeUnavailable(str(err)) from err

    def array_dir_and_chunks(self, paths: list[str]) -> tuple[str, np.ndarray]:
        """The array's directory and the (num_chunks, ndim) grid indices of the chunks."""
        prefix = paths[0].rsplit("/", self.key_parts)[0] if paths[0].count("/") >= self.key_parts else ""
        skip = len(prefix) + 1 + self.key_offset if prefix else self.key_offset
        if self.ndim == 0:
            return os.path.join(self.store_root, prefix), np.zeros((len(paths), 0), dtype=np.uint64)
        text = " ".join(path[skip:] for path in paths)
        if self.separator != " ":
            text = text.replace(self.separator, " ")
        chunks = np.array(text.split(), dtype=np.uint64).reshape(len(paths), self.ndim)
        return os.path.join(self.store_root, prefix), chunks


class _SelectionPacker:
    """Packs zarr's per-dimension selectors into rows of `DIM_SELECTION`."""

    def __init__(self) -> None:
        self._kinds: list[int] = []
        self._starts: list[int] = []
        self._stops: list[int] = []
        self._steps: list[int] = []
        self._arrays: list[np.ndarray] = []
        self._array_rows: list[int] = []

    def add(self, selector: Any, drop: bool = False) -> None:
        if isinstance(selector, slice):
            if selector.stop is None:
                raise NativeUnavailable("open-ended slice in a chunk projection")
            self._kinds.append(SLICE)
            self._starts.append(selector.start or 0)
            self._stops.append(selector.stop)
            self._steps.append(1 if selector.step is None else selector.step)
            return
        if isinstance(selector, np.ndarray):
            indices = np.flatnonzero(selector) if selector.dtype == bool else selector.reshape(-1)
            if not drop:
                self._array_rows.append(len(self._kinds))
                self._arrays.append(indices)
                self._kinds.append(INDICES)
                self._starts.append(0)
                self._stops.append(0)
                self._steps.append(1)
                return
            selector = indices[0]
        self._kinds.append(INDEX)
        self._starts.append(int(selector))
        self._stops.append(0)
        self._steps.append(1)

    def ends(self) -> np.ndarray:
        """Per row, one past the last position it selects (0 for a dropped index)."""
        ends = np.where(np.array(self._kinds) == SLICE, np.array(self._stops, dtype=np.int64), 0)
        for row, indices in zip(self._array_rows, self._arrays, strict=True):
            ends[row] = int(indices.max()) + 1 if indices.size else 0
        return ends

    def finish(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The filled table, and the index buffer its pointers refer to (keep it alive)."""
        table = np.zeros(len(self._kinds), dtype=DIM_SELECTION)
        table["kind"] = self._kinds
        table["start"] = self._starts
        table["stop"] = self._stops
        table["step"] = self._steps
        if not self._arrays:
            return table, None
        sizes = np.array([a.size for a in self._arrays], dtype=np.uint64)
        buffer = np.concatenate([a.astype(np.int64, copy=False) for a in self._arrays])
        base = buffer.__array_interface__["data"][0]
        offsets = np.concatenate([[0], np.cumsum(sizes[:-1])]).astype(np.uint64)
        table["indices"][self._array_rows] = np.uint64(base) + offsets * np.uint64(8)
        table["num_indices"][self._array_rows] = sizes
        return table, buffer


@dataclass(frozen=True)
class ZarrsCodecPipeline(CodecPipeline):
    """A zarr-python codec pipeline that reads through the zarrs_cffi engine.

    ``fallback`` is zarr's own pipeline for the same codecs: it performs every read and
    write the engine cannot serve. ``native`` is None when the engine cannot serve the
    array at all (another store, an unsupported data type or codec).
    """

    __module__ = "zarrs_cffi"  # registered and selected as "zarrs_cffi.ZarrsCodecPipeline"

    fallback: BatchedCodecPipeline
    native: _NativeLayout | None = None
    _arrays: dict[str, Array] = field(default_factory=dict, compare=False, repr=False)
    _writers: dict[str, Array] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"fallback": self.fallback, "native": self.native}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "fallback", state["fallback"])
        object.__setattr__(self, "native", state["native"])
        object.__setattr__(self, "_arrays", {})
        object.__setattr__(self, "_writers", {})

    @classmethod
    def from_codecs(cls, codecs: Iterable[Codec]) -> BatchedCodecPipeline:  # type: ignore[override]
        # Used by zarr for pipelines without a store, notably the sharding codec's inner
        # pipelines, which are handed in-memory byte getters: zarr's own pipeline serves those.
        return BatchedCodecPipeline.from_codecs(codecs)

    @classmethod
    def from_array_metadata_and_store(cls, array_metadata: Any, store: Any) -> ZarrsCodecPipeline:
        fallback = _fallback_pipeline(array_metadata)
        try:
            native = _NativeLayout.of(array_metadata, store)
        except NativeUnavailable as err:
            if _strict():
                raise StrictModeError(f"zarrs_cffi cannot read this array natively: {err}") from err
            logger.debug("zarrs_cffi falls back to zarr's pipeline: %s", err)
            native = None
        return cls(fallback=fallback, native=native)

    def evolve_from_array_spec(self, array_spec: Any) -> ZarrsCodecPipeline:
        evolved = BatchedCodecPipeline.from_codecs([c.evolve_from_array_spec(array_spec=array_spec) for c in self])
        return replace(self, fallback=evolved)

    def __iter__(self) -> Iterator[Codec]:
        return iter(self.fallback)

    @property
    def supports_partial_decode(self) -> bool:
        return self.fallback.supports_partial_decode

    @property
    def supports_partial_encode(self) -> bool:
        return self.fallback.supports_partial_encode

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any) -> None:
        self.fallback.validate(shape=shape, dtype=dtype, chunk_grid=chunk_grid)

    def compute_encoded_size(self, byte_length: int, array_spec: Any) -> int:
        return self.fallback.compute_encoded_size(byte_length, array_spec)

    async def decode(self, chunk_bytes_and_specs: Iterable[tuple[Any, Any]]) -> Iterable[Any]:
        return await self.fallback.decode(chunk_bytes_and_specs)

    async def encode(self, chunk_arrays_and_specs: Iterable[tuple[Any, Any]]) -> Iterable[Any]:
        return await self.fallback.encode(chunk_arrays_and_specs)

    async def write(self, batch_info: Iterable[Any], value: Any, drop_axes: tuple[int, ...] = ()) -> None:
        batch = list(batch_info)
        if self.native is None:
            write_stats.unsupported += 1
            return await self.fallback.write(batch, value, drop_axes)
        if any(getattr(getattr(setter, "store", None), "read_only", False) for setter, *_ in batch):
            # zarr's store refuses the write with its own error.
            write_stats.fallback += 1
            return await self.fallback.write(batch, value, drop_axes)
        try:
            self._write_native(batch, value, drop_axes)
        except NativeUnavailable as err:
            if _strict():
                raise StrictModeError(f"zarrs_cffi cannot write this selection natively: {err}") from err
            logger.debug("zarrs_cffi falls back to zarr's pipeline: %s", err)
            write_stats.fallback += 1
            return await self.fallback.write(batch, value, drop_axes)
        write_stats.native += 1

    async def read(self, batch_info: Iterable[Any], out: Any, drop_axes: tuple[int, ...] = ()) -> Any:
        batch = list(batch_info)
        if self.native is None:
            stats.unsupported += 1
            return await self.fallback.read(batch, out, drop_axes)
        try:
            results = self._read_native(batch, out, drop_axes)
        except NativeUnavailable as err:
            if _strict():
                raise StrictModeError(f"zarrs_cffi cannot read this selection natively: {err}") from err
            logger.debug("zarrs_cffi falls back to zarr's pipeline: %s", err)
            stats.fallback += 1
            return await self.fallback.read(batch, out, drop_axes)
        stats.native += 1
        return results

    def _with_native_array(self, batch: list[Any], writable: bool, call: Callable[[Array, np.ndarray], Any]) -> Any:
        """`call(array, chunks)` with the engine's handle on the array the batch's chunks
        belong to (opened for writing when `writable`) and the (num_chunks, ndim) grid
        indices of the chunks."""
        assert self.native is not None
        paths = []
        for byte_getter, *_ in batch:
            store = getattr(byte_getter, "store", None)
            if _local_root(store) != self.native.store_root:
                raise NativeUnavailable("a chunk is not in the array's store")
            paths.append(byte_getter.path)
        directory, chunks = self.native.array_dir_and_chunks(paths)
        chunks = np.ascontiguousarray(chunks, dtype=np.uint64)
        cache = self._writers if writable else self._arrays
        array = cache.get(directory)
        if array is None:
            array = self.native.open_array(directory, writable)
            cache[directory] = array
        try:
            return call(array, chunks)
        except BoundsError:
            # zarr >= 3.4 resizes an array in place and keeps its pipeline, so the engine's
            # array may predate a resize. Reopened from the metadata the resize stored, it
            # follows; if its shape is the same, the error stands. (Bounds are checked
            # before anything is read or written.)
            reopened = self.native.open_array(directory, writable, stored_metadata=True)
            if reopened.shape == array.shape:
                raise
            self._arrays.pop(directory, None)
            self._writers.pop(directory, None)
            cache[directory] = reopened
            return call(reopened, chunks)

    def _read_native(self, batch: list[Any], out: Any, drop_axes: tuple[int, ...]) -> Any:
        assert self.native is not None
        target = out.as_numpy_array() if hasattr(out, "as_numpy_array") else out.as_ndarray_like()
        if not isinstance(target, np.ndarray):
            raise NativeUnavailable(f"output buffer of type {type(target).__name__}")
        if not batch:
            return () if GetResult is not None else None
        return self._with_native_array(
            batch, False, lambda array, chunks: self._read_chunks(array, chunks, batch, target, drop_axes)
        )

    def _read_chunks(
        self, array: Array, chunks: np.ndarray, batch: list[Any], target: np.ndarray, drop_axes: tuple[int, ...]
    ) -> Any:
        assert self.native is not None
        if target.dtype.newbyteorder("=") != array.dtype.newbyteorder("="):
            raise NativeUnavailable(f"output dtype {target.dtype} differs from the array's {array.dtype}")
        native_out = target
        if not (target.flags.c_contiguous and target.flags.writeable and target.dtype.isnative):
            native_out = np.empty(target.shape, dtype=target.dtype.newbyteorder("="))
        reads = _Projections(batch, chunks, self.native.ndim, target.shape, drop_axes)
        missing = np.zeros(len(batch), dtype=np.uint8) if GetResult is not None else None
        _apply_config()
        check(
            lib.zcf_array_read_chunks(
                array._handle,
                reads.c,
                ffi.from_buffer(native_out, require_writable=True),
                native_out.nbytes,
                ffi.NULL if missing is None else ffi.from_buffer(missing, require_writable=True),
            )
        )
        del reads
        if native_out is not target:
            target[...] = native_out
        if missing is None:
            return None
        return tuple(GetResult(status="missing" if flag else "present") for flag in missing)

    def _write_native(self, batch: list[Any], value: Any, drop_axes: tuple[int, ...]) -> None:
        assert self.native is not None
        source = value.as_numpy_array() if hasattr(value, "as_numpy_array") else value.as_ndarray_like()
        if not isinstance(source, np.ndarray):
            raise NativeUnavailable(f"value buffer of type {type(source).__name__}")
        # zarr < 3.2 hands over the chunks of empty selections too: nothing to write there.
        batch = [item for item in batch if not _selects_nothing(item[2])]
        if not batch:
            return
        self._with_native_array(
            batch, True, lambda array, chunks: self._write_chunks(array, chunks, batch, source, drop_axes)
        )

    def _write_chunks(
        self, array: Array, chunks: np.ndarray, batch: list[Any], source: np.ndarray, drop_axes: tuple[int, ...]
    ) -> None:
        assert self.native is not None
        if source.dtype.newbyteorder("=") != array.dtype.newbyteorder("="):
            raise NativeUnavailable(f"value dtype {source.dtype} differs from the array's {array.dtype}")
        configs = {bool(spec.config.write_empty_chunks) for _, spec, *_ in batch}
        if len(configs) != 1:
            raise NativeUnavailable("a batch mixing write_empty_chunks settings")
        # zarr hands a scalar value over as is, for every chunk: one element everywhere.
        scalar = source.ndim == 0
        values = np.ascontiguousarray(source.reshape(-1) if scalar else source, dtype=source.dtype.newbyteorder("="))
        writes = _Projections(batch, chunks, self.native.ndim, None if scalar else values.shape, drop_axes)
        flags = lib.ZCF_WRITE_EMPTY_CHUNKS if configs.pop() else 0
        _apply_config()
        check(lib.zcf_array_write_chunks(array._handle, writes.c, ffi.from_buffer(values), values.nbytes, flags))
        del writes


def _selects_nothing(chunk_selection: Any) -> bool:
    """Whether a chunk selection (a tuple of slices, integers and arrays) is empty."""
    for selector in chunk_selection if isinstance(chunk_selection, tuple) else (chunk_selection,):
        if (
            isinstance(selector, slice)
            and selector.stop is not None
            and len(range(selector.start or 0, selector.stop, selector.step or 1)) == 0
        ):
            return True
        if isinstance(selector, np.ndarray) and (selector.size == 0 or (selector.dtype == bool and not selector.any())):
            return True
    return False


class _Projections:
    """A batch's per-chunk selections packed into one `ZcfChunkProjections` (`.c`), with
    the buffers its pointers refer to kept alive as long as this object.

    `buffer_shape` is the shape of the caller's buffer (the read's output, the write's
    values); None for a write of one value everywhere, whose chunk selections then pair
    with nothing (the engine broadcasts the value).
    """

    def __init__(
        self,
        batch: list[Any],
        chunks: np.ndarray,
        ndim: int,
        buffer_shape: tuple[int, ...] | None,
        drop_axes: tuple[int, ...],
    ) -> None:
        pointwise = not isinstance(batch[0][3], tuple)
        chunk_packer = _SelectionPacker()
        out_packer = _SelectionPacker()
        dropped = set(drop_axes)
        for _, _, chunk_selection, out_selection, _ in batch:
            if isinstance(out_selection, tuple) == pointwise or len(chunk_selection) != ndim:
                raise NativeUnavailable("a batch mixing selection kinds")
            for axis, selector in enumerate(chunk_selection):
                chunk_packer.add(selector, drop=axis in dropped)
            for selector in (out_selection,) if pointwise else out_selection:
                out_packer.add(selector)
        if buffer_shape is None:
            # Any buffer the output selections fit in: the one value ignores positions.
            ends = out_packer.ends().reshape(len(batch), -1)
            buffer_shape = tuple(int(end) for end in ends.max(axis=0))
        chunk_table, self._chunk_indices = chunk_packer.finish()
        out_table, self._out_indices = out_packer.finish()
        self._keep = (chunks, chunk_table, out_table, np.array(buffer_shape, dtype=np.uint64))
        c = ffi.new("ZcfChunkProjections*")
        c.mode = POINTWISE if pointwise else ORTHOGONAL
        c.num_chunks = len(batch)
        c.chunk_indices = ffi.from_buffer("uint64_t[]", chunks)
        c.chunk_selections = ffi.from_buffer("ZcfDimSelection[]", chunk_table)
        c.out_ndim = len(buffer_shape)
        c.out_shape = ffi.from_buffer("uint64_t[]", self._keep[3])
        c.out_selections = ffi.from_buffer("ZcfDimSelection[]", out_table)
        self.c = c


# Starts at the engine's own defaults, so that while zarr's configuration leaves a setting
# unset, a direct `zarrs_cffi.set_num_threads` call (e.g. in a dask worker plugin) stays in
# effect instead of being reset by the first read.
_applied: dict[str, Any] = {"workers": 0, "checksums": True}


def _apply_config() -> None:
    """Hands zarr's configuration to the engine when it changed."""
    workers = zarr.config.get("threading.max_workers", None) or 0
    if _applied.get("workers") != workers:
        set_num_threads(int(workers))
        _applied["workers"] = workers
    checksums = bool(zarr.config.get("codec_pipeline.validate_checksums", True))
    if _applied.get("checksums") != checksums:
        lib.zcf_set_validate_checksums(checksums)
        _applied["checksums"] = checksums
