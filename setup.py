"""Builds the Rust library into the package and generates its cffi module from the header."""

from setuptools import setup
from setuptools_rust import Binding, RustExtension

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
    zip_safe=False,
)
