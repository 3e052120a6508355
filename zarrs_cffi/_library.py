"""Finds and loads the native library, checks its ABI version, and calls into it."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

from .errors import raise_for_status

try:
    from ._ffi import ffi
except ImportError as err:  # pragma: no cover - only in a broken checkout
    raise ImportError("zarrs_cffi's cffi module is missing; build the package with `pip install -e .`") from err

PACKAGE_DIR = Path(__file__).resolve().parent


def library_path() -> Path:
    """The path of the native library shipped inside the package."""
    # The build names it like an extension module of the interpreter that built it.
    own = PACKAGE_DIR / f"_native{sysconfig.get_config_var('EXT_SUFFIX') or '.so'}"
    if own.exists():
        return own
    candidates = sorted(
        path for pattern in ("_native*.so", "_native*.dylib", "_native*.pyd") for path in PACKAGE_DIR.glob(pattern)
    )
    if not candidates:
        raise ImportError(f"zarrs_cffi's native library is missing from {PACKAGE_DIR}; rebuild with `pip install -e .`")
    return candidates[0]


lib: Any = ffi.dlopen(str(library_path()))

if lib.zcf_abi_version() != lib.ZCF_ABI_VERSION:
    raise ImportError(
        f"zarrs_cffi's native library has ABI version {lib.zcf_abi_version()} but its Python "
        f"bindings expect {lib.ZCF_ABI_VERSION}; rebuild with `pip install -e .`"
    )


def last_error_message() -> str:
    size = lib.zcf_last_error_message(ffi.NULL, 0)
    buf = ffi.new("char[]", size + 1)
    lib.zcf_last_error_message(buf, size + 1)
    return ffi.string(buf).decode("utf-8", errors="replace")


def check(status: int) -> None:
    """Raises the matching exception when a native call returned an error status."""
    if status != lib.ZCF_STATUS_OK:
        raise_for_status(status, last_error_message())
