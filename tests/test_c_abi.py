"""The C ABI as C and C++ programs use it, built the way the README shows (the installed
header and library): the header stands alone as strict C and as C++, the examples print
the checksums zarr-python's data gives, every error path returns its status and message,
one handle serves many threads at once, and valgrind finds no invalid access or leak."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec

import zarrs_cffi
from conftest import sample_data, write_array

ROOT = Path(__file__).resolve().parent.parent
C_TESTS = ROOT / "tests" / "c"
C_EXAMPLE = ROOT / "examples" / "c" / "box_checksum.c"
C_WRITE_EXAMPLE = ROOT / "examples" / "c" / "write_volume.c"
CPP_EXAMPLE = ROOT / "examples" / "cpp" / "box_checksum.cpp"
STRICT_C = ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
STRICT_CPP = ["c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"]
# Only leaks the program could have avoided count: the library's worker threads and
# caches live until the process exits ("possibly lost", "still reachable").
VALGRIND = [
    "valgrind",
    "--error-exitcode=99",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--show-leak-kinds=definite,indirect",
    "--quiet",
]

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
needs_cpp = pytest.mark.skipif(shutil.which("c++") is None, reason="needs a C++ compiler")
needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")


def build(compiler: list[str], source: Path, binary: Path) -> Path:
    """Compiles `source` against the installed header and links it with the installed
    library, as the README shows."""
    library = Path(zarrs_cffi.get_library_path())
    subprocess.run(
        [
            *compiler,
            "-pthread",
            f"-I{zarrs_cffi.get_include()}",
            str(source),
            str(library),
            f"-Wl,-rpath,{library.parent}",
            "-o",
            str(binary),
        ],
        check=True,
    )
    return binary


def fnv1a64(data: bytes) -> int:
    """The checksum the C programs print."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def native_bytes(values: np.ndarray) -> bytes:
    """The bytes the library writes: C order, native byte order."""
    return np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("=")).tobytes()


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("c-programs")
    built = {
        "read_box": build(STRICT_C, C_TESTS / "read_box.c", out / "read_box"),
        "error_paths": build(STRICT_C, C_TESTS / "error_paths.c", out / "error_paths"),
        "concurrent_reads": build(STRICT_C, C_TESTS / "concurrent_reads.c", out / "concurrent_reads"),
        "write_paths": build(STRICT_C, C_TESTS / "write_paths.c", out / "write_paths"),
        "c": build(STRICT_C, C_EXAMPLE, out / "box_checksum"),
        "c_write": build(STRICT_C, C_WRITE_EXAMPLE, out / "write_volume"),
    }
    if shutil.which("c++") is not None:
        built["cpp"] = build(STRICT_CPP, CPP_EXAMPLE, out / "box_checksum_cpp")
    return built


def test_installed_header_is_the_committed_one() -> None:
    installed = Path(zarrs_cffi.get_include()) / "zarrs_cffi.h"
    assert installed.read_bytes() == (ROOT / "include" / "zarrs_cffi.h").read_bytes(), (
        "the installed header is stale: reinstall with `pip install -e .`"
    )


@pytest.mark.parametrize(
    "compiler",
    [
        ["cc", "-std=c99"],
        ["cc", "-std=c11"],
        pytest.param(["c++", "-std=c++11"], marks=needs_cpp),
        pytest.param(["c++", "-std=c++17"], marks=needs_cpp),
    ],
    ids=["c99", "c11", "c++11", "c++17"],
)
def test_header_stands_alone(compiler: list[str], tmp_path: Path) -> None:
    suffix = ".cpp" if compiler[0] == "c++" else ".c"
    source = tmp_path / f"header{suffix}"
    source.write_text(
        '#include "zarrs_cffi.h"\nint main(void) { return zcf_abi_version() == ZCF_ABI_VERSION ? 0 : 1; }\n'
    )
    binary = build([*compiler, "-Wall", "-Wextra", "-Werror", "-pedantic"], source, tmp_path / "header")
    subprocess.run([str(binary)], check=True)


def test_c_program_reads_a_box(programs: dict[str, Path], array_dir: Path) -> None:
    data = sample_data((50, 31), "int32", seed=51)
    path = array_dir / "c-abi.zarr"
    write_array(path, data, (8, 8), shards=(16, 16))
    result = subprocess.run(
        [str(programs["read_box"]), str(path), "3", "41", "5", "30"], capture_output=True, text=True, check=True
    )
    values = np.array([[int(v) for v in line.split()] for line in result.stdout.splitlines()])
    np.testing.assert_array_equal(values, data[3:41, 5:30])


def test_c_program_reports_errors(programs: dict[str, Path], array_dir: Path, tmp_path: Path) -> None:
    read_box = str(programs["read_box"])
    missing = subprocess.run([read_box, str(tmp_path / "missing"), "0", "1", "0", "1"], capture_output=True, text=True)
    assert missing.returncode == 1
    assert "status 200" in missing.stderr and "no Zarr array" in missing.stderr
    data = sample_data((10, 10), "int32", seed=52)
    write_array(array_dir / "c-abi-small.zarr", data, (4, 4))
    out_of_bounds = subprocess.run(
        [read_box, str(array_dir / "c-abi-small.zarr"), "0", "11", "0", "1"], capture_output=True, text=True
    )
    assert out_of_bounds.returncode == 1
    assert "status 104" in out_of_bounds.stderr and "axis 0 with size 10" in out_of_bounds.stderr


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


def _skip_chunk_1_1(origin: tuple[int, ...]) -> bool:
    return origin == (1, 1)


# name -> (data, write_array arguments, START:STOP ranges (none: the whole array), data type name)
EXAMPLE_ARRAYS: dict[str, tuple[np.ndarray, dict[str, Any], list[str], str]] = {
    "int32-sharded": (
        sample_data((50, 31), "int32", seed=61),
        {"chunks": (8, 8), "shards": (16, 16)},
        ["3:41", "5:30"],
        "int32",
    ),
    "float64-v2-whole": (
        sample_data((17, 9, 5), "float64", seed=62),
        {"chunks": (4, 4, 4), "zarr_format": 2},
        [],
        "<f8",
    ),
    "uint16-missing-chunk": (
        sample_data((20, 20), "uint16", seed=63),
        {"chunks": (6, 6), "fill_value": 7, "skip_chunks_where": _skip_chunk_1_1},
        ["2:15", "0:20"],
        "uint16",
    ),
    "big-endian-v2": (
        sample_data((30,), "int64", seed=64).astype(">i8"),
        {"chunks": (7,), "zarr_format": 2},
        ["2:19"],
        ">i8",
    ),
    "empty-box": (sample_data((9, 8), "complex64", seed=65), {"chunks": (4, 4)}, ["5:5", "0:8"], "complex64"),
    "zero-dimensional": (sample_data((), "float32", seed=66), {"chunks": ()}, [], "float32"),
}


@pytest.mark.parametrize("language", ["c", pytest.param("cpp", marks=needs_cpp)])
@pytest.mark.parametrize("name", list(EXAMPLE_ARRAYS))
def test_example_prints_the_checksum_of_zarr_data(
    programs: dict[str, Path], array_dir: Path, language: str, name: str
) -> None:
    data, write_kwargs, ranges, type_name = EXAMPLE_ARRAYS[name]
    path = array_dir / f"example-{name}.zarr"
    reference = write_array(path, data, **write_kwargs)
    box = tuple(slice(*map(int, text.split(":"))) for text in ranges) or ...
    expected = np.asarray(reference[box])
    result = subprocess.run([str(programs[language]), str(path), *ranges], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        " ".join(["shape", *map(str, reference.shape)]),
        " ".join(["chunks", *map(str, reference.shards or reference.chunks)]),
        f"data type {type_name}, {data.dtype.itemsize} bytes per element",
        f"read {expected.size} elements",
        f"checksum {fnv1a64(native_bytes(expected)):016x}",
    ]


@pytest.mark.parametrize("language", ["c", pytest.param("cpp", marks=needs_cpp)])
def test_example_reports_errors(programs: dict[str, Path], array_dir: Path, tmp_path: Path, language: str) -> None:
    path = array_dir / "example-errors.zarr"
    write_array(path, sample_data((50, 31), "int32", seed=67), (8, 8))
    example = str(programs[language])
    missing = subprocess.run([example, str(tmp_path / "missing.zarr")], capture_output=True, text=True)
    assert missing.returncode == 1
    assert "zcf_array_open failed with status 200: no Zarr array at" in missing.stderr
    outside = subprocess.run([example, str(path), "3:41", "5:32"], capture_output=True, text=True)
    assert outside.returncode == 1
    assert "zcf_array_read_box failed with status 104" in outside.stderr
    assert "box of size 27 at 5 lies outside axis 1 with size 31" in outside.stderr
    malformed = subprocess.run([example, str(path), "3:41", "5-30"], capture_output=True, text=True)
    assert malformed.returncode == 1 and "not a START:STOP range: 5-30" in malformed.stderr


@pytest.fixture(scope="module")
def error_path_arrays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The arrays tests/c/error_paths.c expects (its header comment lists them)."""
    root = tmp_path_factory.mktemp("error-paths")
    write_array(
        root / "valid.zarr", sample_data((20, 12), "int32", seed=68), (8, 5), compressors=[ZstdCodec(), Crc32cCodec()]
    )
    shutil.copytree(root / "valid.zarr", root / "damaged.zarr")
    chunk = root / "damaged.zarr" / "c" / "1" / "1"
    raw = chunk.read_bytes()
    chunk.write_bytes(raw[:-1] + bytes([raw[-1] ^ 0xFF]))
    (root / "damaged.zarr" / "c" / "2" / "2").unlink()
    (root / "damaged.zarr" / "c" / "2" / "2").mkdir()
    zarr.create_array(str(root / "strings.zarr"), shape=(3,), dtype=str)
    (root / "bad-meta.zarr").mkdir()
    (root / "bad-meta.zarr" / "zarr.json").write_text("{not json")
    return root


def test_every_error_path_returns_its_status_and_message(programs: dict[str, Path], error_path_arrays: Path) -> None:
    result = subprocess.run([str(programs["error_paths"]), str(error_path_arrays)], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in lines if line.startswith("FAIL")]
    assert lines[-1] == f"{len(lines) - 1} checks, 0 failed"


@pytest.fixture
def write_path_arrays(tmp_path: Path) -> Path:
    """The arrays tests/c/write_paths.c expects (its header comment lists them)."""
    values = np.arange(20 * 12, dtype=np.int32).reshape(20, 12)
    write_array(tmp_path / "valid.zarr", values, (8, 5), compressors=[ZstdCodec(), Crc32cCodec()])
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("not a Zarr node")
    return tmp_path


def test_every_write_error_path_returns_its_status_and_changes_nothing(
    programs: dict[str, Path], write_path_arrays: Path
) -> None:
    chunks_before = sorted(p.relative_to(write_path_arrays) for p in write_path_arrays.rglob("*"))
    result = subprocess.run([str(programs["write_paths"]), str(write_path_arrays)], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in lines if line.startswith("FAIL")]
    assert lines[-1] == f"{len(lines) - 1} checks, 0 failed"
    assert sorted(p.relative_to(write_path_arrays) for p in write_path_arrays.rglob("*")) == chunks_before
    np.testing.assert_array_equal(
        zarr.open_array(str(write_path_arrays / "valid.zarr"), mode="r")[...], np.arange(240).reshape(20, 12)
    )


def expected_volume(depth: int, rows: int, cols: int) -> np.ndarray:
    """What examples/c/write_volume.c writes."""
    z, y, x = np.meshgrid(np.arange(depth), np.arange(rows), np.arange(cols), indexing="ij")
    volume = ((z * 7 + y * 3 + x) % 65536).astype(np.uint16)
    volume[1:3, 2:5, 4:8] = 9
    volume[0, 0, 0] = 65535
    return volume


def test_write_example_writes_what_zarr_and_tensorstore_read(programs: dict[str, Path], tmp_path: Path) -> None:
    import tensorstore as ts

    path = tmp_path / "volume.zarr"
    result = subprocess.run(
        [str(programs["c_write"]), str(path), "70", "33", "65"], capture_output=True, text=True, check=True
    )
    expected = expected_volume(70, 33, 65)
    assert result.stdout.splitlines() == [
        "wrote 70 x 33 x 65 uint16 values",
        f"checksum {fnv1a64(native_bytes(expected)):016x}",
    ]
    with zarr.config.set({"codec_pipeline.path": "zarr.core.codec_pipeline.BatchedCodecPipeline"}):
        z = zarr.open_array(str(path), mode="r")
        np.testing.assert_array_equal(z[...], expected)
        assert (z.shards, z.chunks) == ((64, 64, 64), (32, 32, 32))
    store = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}, read=True).result()
    np.testing.assert_array_equal(store.read().result(), expected)
    # Overwriting replaces the array: the same run again gives the same files and values.
    subprocess.run([str(programs["c_write"]), str(path), "70", "33", "65"], check=True, capture_output=True)
    np.testing.assert_array_equal(zarrs_cffi.read(path), expected)


@pytest.fixture(scope="module")
def shared_array(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    path = tmp_path_factory.mktemp("threads") / "shared.zarr"
    data = sample_data((301, 203), "int32", seed=69)
    write_array(path, data, (16, 16), shards=(64, 64), compressors=[ZstdCodec()])
    return path, data


def test_one_handle_serves_many_threads(programs: dict[str, Path], shared_array: tuple[Path, np.ndarray]) -> None:
    path, data = shared_array
    result = subprocess.run([str(programs["concurrent_reads"]), str(path), "8", "150"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"reference checksum {fnv1a64(native_bytes(data)):016x}",
        "8 threads, 150 reads each, 0 failures",
    ]


@needs_valgrind
@pytest.mark.parametrize(
    "program",
    ["c", pytest.param("cpp", marks=needs_cpp), "error_paths", "concurrent_reads", "write_paths", "c_write"],
)
def test_valgrind_finds_no_invalid_access_or_leak(
    programs: dict[str, Path],
    error_path_arrays: Path,
    write_path_arrays: Path,
    shared_array: tuple[Path, np.ndarray],
    tmp_path: Path,
    program: str,
) -> None:
    arguments = {
        "c": [str(shared_array[0]), "10:200", "3:150"],
        "cpp": [str(shared_array[0]), "10:200", "3:150"],
        "error_paths": [str(error_path_arrays)],
        "concurrent_reads": [str(shared_array[0]), "3", "10"],
        "write_paths": [str(write_path_arrays)],
        "c_write": [str(tmp_path / "volume.zarr"), "66", "9", "70"],
    }[program]
    result = subprocess.run([*VALGRIND, str(programs[program]), *arguments], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
