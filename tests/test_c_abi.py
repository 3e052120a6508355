"""The C header compiles as strict C99 and as C++, and a C program linked against the
library reads an array written by zarr-python."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import zarrs_cffi
from conftest import sample_data, write_array

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = ROOT / "include"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")


@pytest.fixture(scope="module")
def read_box(tmp_path_factory: pytest.TempPathFactory) -> Path:
    library = Path(zarrs_cffi.get_library_path())
    binary = tmp_path_factory.mktemp("c") / "read_box"
    subprocess.run(
        ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{INCLUDE}",
         str(ROOT / "tests" / "c" / "read_box.c"), str(library), f"-Wl,-rpath,{library.parent}", "-o", str(binary)],
        check=True,
    )
    return binary


def test_c_program_reads_a_box(read_box: Path, array_dir: Path) -> None:
    data = sample_data((50, 31), "int32", seed=51)
    path = array_dir / "c-abi.zarr"
    write_array(path, data, (8, 8), shards=(16, 16))
    result = subprocess.run([str(read_box), str(path), "3", "41", "5", "30"], capture_output=True, text=True, check=True)
    values = np.array([[int(v) for v in line.split()] for line in result.stdout.splitlines()])
    np.testing.assert_array_equal(values, data[3:41, 5:30])


def test_c_program_reports_errors(read_box: Path, array_dir: Path, tmp_path: Path) -> None:
    missing = subprocess.run([str(read_box), str(tmp_path / "missing"), "0", "1", "0", "1"], capture_output=True, text=True)
    assert missing.returncode == 1
    assert "status 200" in missing.stderr and "no Zarr array" in missing.stderr
    data = sample_data((10, 10), "int32", seed=52)
    write_array(array_dir / "c-abi-small.zarr", data, (4, 4))
    out_of_bounds = subprocess.run(
        [str(read_box), str(array_dir / "c-abi-small.zarr"), "0", "11", "0", "1"], capture_output=True, text=True
    )
    assert out_of_bounds.returncode == 1
    assert "status 104" in out_of_bounds.stderr and "axis 0 with size 10" in out_of_bounds.stderr


@pytest.mark.skipif(shutil.which("c++") is None, reason="needs a C++ compiler")
def test_header_compiles_as_cpp(tmp_path: Path) -> None:
    source = tmp_path / "header.cpp"
    source.write_text('#include "zarrs_cffi.h"\nint main() { return zcf_abi_version() == ZCF_ABI_VERSION ? 0 : 1; }\n')
    library = Path(zarrs_cffi.get_library_path())
    subprocess.run(
        ["c++", "-std=c++11", "-Wall", "-Werror", "-pedantic", f"-I{INCLUDE}", str(source), str(library),
         f"-Wl,-rpath,{library.parent}", "-o", str(tmp_path / "header")],
        check=True,
    )
    subprocess.run([str(tmp_path / "header")], check=True)


def test_one_call_read_by_path(array_dir: Path) -> None:
    from zarrs_cffi._library import ffi, lib
    from zarrs_cffi._selection import getitem_plan

    data = sample_data((12, 9), "uint16", seed=53)
    write_array(array_dir / "c-abi-path.zarr", data, (5, 4))
    plan = getitem_plan((slice(10, 1, -3), [8, 0]), data.shape)
    out = np.empty(plan.shape, dtype=np.uint16)
    selection, keepalive = plan.to_c()
    status = lib.zcf_read(str(array_dir / "c-abi-path.zarr").encode(), selection, ffi.from_buffer(out), out.nbytes)
    del keepalive
    assert status == lib.ZCF_STATUS_OK
    np.testing.assert_array_equal(out, data[10:1:-3][:, [8, 0]])
