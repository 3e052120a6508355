"""Builds the Rust library into the package, generates its cffi module from the header,
and ships the header inside the package for `zarrs_cffi.get_include()`."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools_rust import Binding, RustExtension

ROOT = Path(__file__).resolve().parent
HEADER = ROOT / "include" / "zarrs_cffi.h"


class build_py_with_header(build_py):
    """Copies the header into the package source (a git-ignored copy) before the package
    data is collected: wheels then ship it, and editable installs find it in place."""

    def run(self) -> None:
        target = ROOT / "zarrs_cffi" / "include"
        target.mkdir(exist_ok=True)
        shutil.copyfile(HEADER, target / HEADER.name)
        super().run()


setup(
    rust_extensions=[
        RustExtension(
            "zarrs_cffi._native",
            path="rust_ffi/Cargo.toml",
            binding=Binding.NoBinding,
            debug=False,
        )
    ],
    cffi_modules=["build_tools/cffi_build.py:ffibuilder"],
    cmdclass={"build_py": build_py_with_header},
    zip_safe=False,
)
