"""Fast reads and writes of Zarr arrays: a Rust engine (zarrs + rayon) behind a C ABI,
loaded with cffi.

Direct use from numpy code::

    import zarrs_cffi
    data = zarrs_cffi.read("image.zarr", (slice(0, 100), 5))
    array = zarrs_cffi.open("image.zarr")
    tile = array[100:200, ::-2]
    out = zarrs_cffi.create("copy.zarr", shape=data.shape, dtype=data.dtype, chunks=(64, 64))
    out[...] = data
"""

from ._library import PACKAGE_DIR as _PACKAGE_DIR
from ._library import ffi as _ffi
from ._library import lib as _lib
from ._library import library_path as _library_path
from .array import Array, create, get_num_threads, open, read, read_into, set_num_threads, write
from .errors import (
    AlreadyExistsError,
    ArrayNotFoundError,
    BoundsError,
    DecodeError,
    InternalError,
    InvalidMetadataError,
    OutputError,
    ReadOnlyError,
    SelectionError,
    StoreError,
    StrictModeError,
    UnsupportedDataTypeError,
    UnsupportedError,
    ZarrsCffiError,
)

__version__: str = _ffi.string(_lib.zcf_library_version()).decode()


def get_library_path() -> str:
    """The path of the native shared library, for linking or loading it from other code."""
    return str(_library_path())


def get_include() -> str:
    """The directory holding the C header `zarrs_cffi.h`, for compiling C or C++ code
    against the library (`-I`); it matches the library of this installation."""
    return str(_PACKAGE_DIR / "include")


__all__ = [
    "AlreadyExistsError",
    "Array",
    "ArrayNotFoundError",
    "BoundsError",
    "DecodeError",
    "InternalError",
    "InvalidMetadataError",
    "OutputError",
    "ReadOnlyError",
    "SelectionError",
    "StoreError",
    "StrictModeError",
    "UnsupportedDataTypeError",
    "UnsupportedError",
    "ZarrsCffiError",
    "create",
    "get_include",
    "get_library_path",
    "get_num_threads",
    "open",
    "read",
    "read_into",
    "set_num_threads",
    "write",
]


def __getattr__(name: str) -> object:
    # The pipeline imports zarr; load it only when asked for.
    if name == "ZarrsCodecPipeline":
        from .pipeline import ZarrsCodecPipeline

        return ZarrsCodecPipeline
    raise AttributeError(f"module 'zarrs_cffi' has no attribute {name!r}")
