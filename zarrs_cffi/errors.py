"""Exceptions, and the one place that turns a native status code into one of them.

Each class also derives from the built-in exception a numpy user would expect, so
`except IndexError` or `except FileNotFoundError` keeps working.
"""

from __future__ import annotations

from typing import NoReturn


class ZarrsCffiError(Exception):
    """Base class of every error raised by zarrs_cffi."""


class ArrayNotFoundError(ZarrsCffiError, FileNotFoundError):
    """No Zarr array exists at the path."""


class SelectionError(ZarrsCffiError, IndexError):
    """The selection is malformed for this array."""


class BoundsError(SelectionError):
    """An index or slice lies outside the array."""


class OutputError(ZarrsCffiError, ValueError):
    """The output buffer does not fit the selection."""


class InvalidMetadataError(ZarrsCffiError, ValueError):
    """The array metadata cannot be parsed or is inconsistent."""


class UnsupportedError(ZarrsCffiError, NotImplementedError):
    """The array uses a codec, chunk grid or data type the native engine cannot read."""


class UnsupportedDataTypeError(UnsupportedError, TypeError):
    """The array's data type cannot be read into a numpy array by the native engine."""


class StoreError(ZarrsCffiError, OSError):
    """Reading from or writing to the store failed."""


class ReadOnlyError(ZarrsCffiError, ValueError):
    """A write through an array opened for reading only (zarr raises ValueError there too)."""


class AlreadyExistsError(ZarrsCffiError, FileExistsError):
    """A Zarr array or group already exists where one was to be created."""


class DecodeError(ZarrsCffiError):
    """A chunk could not be decoded (corrupt, truncated, or failing its checksum)."""


class StrictModeError(ZarrsCffiError, RuntimeError):
    """``codec_pipeline.strict`` is set and the native engine cannot serve the array or read."""


class InternalError(ZarrsCffiError, RuntimeError):
    """A bug in the native library (a caught panic or a broken invariant)."""


_BY_STATUS: dict[int, type[ZarrsCffiError]] = {
    100: InternalError,  # a NULL pointer can only come from a bug in this package
    101: ZarrsCffiError,
    102: SelectionError,
    103: OutputError,
    104: BoundsError,
    105: ReadOnlyError,
    200: ArrayNotFoundError,
    201: InvalidMetadataError,
    202: UnsupportedError,
    203: StoreError,
    204: AlreadyExistsError,
    300: DecodeError,
    900: InternalError,
    901: InternalError,
}


def raise_for_status(status: int, message: str) -> NoReturn:
    """Raises the exception for a non-zero native status."""
    raise _BY_STATUS.get(status, InternalError)(message or f"native call failed with status {status}")
