#!/usr/bin/env bash
# Regenerates include/zarrs_cffi.h from the Rust sources with cbindgen.
# `cargo test` (the header test) fails whenever the committed header is stale.
set -euo pipefail
cd "$(dirname "$0")/../rust_ffi"
ZARRS_CFFI_UPDATE_HEADER=1 cargo test --quiet --test header
echo "include/zarrs_cffi.h regenerated"
