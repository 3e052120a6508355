"""The cffi (out-of-line ABI mode) module for the C header: `zarrs_cffi._ffi`.

setup.py runs this through `cffi_modules`; cffi writes `zarrs_cffi/_ffi.py`, which the
package loads the library with. The header is the single source of the declarations.
"""

from pathlib import Path

from cffi import FFI

HEADER = Path(__file__).resolve().parent.parent / "include" / "zarrs_cffi.h"


def declarations(header: str) -> str:
    """The header without what cffi's cdef cannot parse: includes, the include guard
    and the C++-only `extern "C"` lines. Integer #defines stay (they become `lib.NAME`)."""
    kept = []
    in_cplusplus = False
    for line in header.splitlines():
        stripped = line.strip()
        if stripped.startswith("#ifdef __cplusplus"):
            in_cplusplus = True
        elif in_cplusplus:
            in_cplusplus = not stripped.startswith("#endif")
        elif stripped.startswith("#define ") and len(stripped.split()) == 3:
            kept.append(line)
        elif not stripped.startswith("#"):
            kept.append(line)
    return "\n".join(kept)


ffibuilder = FFI()
ffibuilder.cdef(declarations(HEADER.read_text()))
ffibuilder.set_source("zarrs_cffi._ffi", None)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(Path(__file__).resolve().parent.parent))
