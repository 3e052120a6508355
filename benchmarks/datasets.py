"""The benchmark data: one uint16 volume and one 2-D matrix, written in several layouts.

Every layout holds the same values, so every reader must return the same bytes. The
selections the scenarios read (random boxes, points, rows) are drawn once with a fixed
seed and stored next to the data in `selections.json`, which the Python readers and the
Rust baseline both load.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numcodecs
import numpy as np
import zarr
from zarr.codecs import ZstdCodec

# Bump when the data or the selections change, so stale directories are rebuilt.
FORMAT_VERSION = 1

LAYOUTS = ("uncompressed", "zstd", "zstd-sharded", "v2-blosc")


def geometry(size: int) -> dict:
    """Shapes for a volume of edge `size` (a multiple of 16) and a matrix of the same size.

    The default 512 gives 64³ chunks, and 32³ inner chunks in 128³ shards; smaller sizes
    scale down so a tiny run still has many chunks and shards.
    """
    if size % 16:
        raise ValueError(f"size must be a multiple of 16, not {size}")
    chunk = min(64, size // 4)
    shard = min(128, size // 2)
    inner = shard // 4
    # The matrix: cells x genes, as long and thin as single-cell data, with chunks
    # holding as many elements as the volume's.
    return {
        "volume": {"shape": [size] * 3, "chunk": [chunk] * 3, "shard": [shard] * 3, "inner": [inner] * 3},
        "matrix": {
            "shape": [size * size // 4, size * 4],
            "chunk": [chunk * chunk // 4, chunk * 4],
            "shard": [shard * shard // 4, shard * 4],
            "inner": [inner * inner // 4, inner * 4],
        },
    }


def _values(shape: list[int], start: int, stop: int, seed: int) -> np.ndarray:
    """Rows start..stop along the first axis: a smooth ramp plus noise (zstd has work to do)."""
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(
        *(np.arange(start, stop) if axis == 0 else np.arange(n) for axis, n in enumerate(shape)),
        indexing="ij",
        sparse=True,
    )
    ramp = sum(grids).astype(np.uint16) * np.uint16(7)
    return ramp + rng.integers(0, 64, (stop - start, *shape[1:]), dtype=np.uint16)


def _write(path: Path, spec: dict, layout: str) -> None:
    shape = spec["shape"]
    kwargs: dict = {"shape": shape, "dtype": "uint16", "fill_value": 0}
    if layout == "uncompressed":
        kwargs.update(chunks=spec["chunk"], compressors=None)
    elif layout == "zstd":
        kwargs.update(chunks=spec["chunk"], compressors=ZstdCodec(level=1))
    elif layout == "zstd-sharded":
        kwargs.update(chunks=spec["inner"], shards=spec["shard"], compressors=ZstdCodec(level=1))
    elif layout == "v2-blosc":
        compressor = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
        kwargs.update(chunks=spec["chunk"], compressors=compressor, zarr_format=2)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    array = zarr.create_array(str(path), **kwargs)
    # Write whole storage units (shards or chunks) along the first axis.
    step = (spec["shard"] if layout == "zstd-sharded" else spec["chunk"])[0]
    for start in range(0, shape[0], step):
        stop = min(start + step, shape[0])
        array[start:stop] = _values(shape, start, stop, seed=start)


def _selections(geo: dict) -> dict:
    rng = np.random.default_rng(20261124)
    shape = np.array(geo["volume"]["shape"])
    box = int(min(40, shape[0] // 2))
    rows = geo["matrix"]["shape"][0]
    # Tiny data sets (smoke runs) draw a tenth of the boxes and points.
    scale = 1 if shape[0] >= 128 else 10
    return {
        "box": box,
        "boxes": rng.integers(0, shape - box + 1, (200 // scale, 3)).tolist(),
        "points": rng.integers(0, shape, (2000 // scale, 3)).tolist(),
        "rows": np.sort(rng.choice(rows, min(500, rows // 2), replace=False)).tolist(),
        "stride": 4,
    }


def prepare(root: Path, size: int) -> Path:
    """Writes (once) the data for `size` under `root`; returns the directory."""
    directory = root / f"size-{size}"
    stamp = directory / "selections.json"
    if stamp.exists() and json.loads(stamp.read_text()).get("format_version") == FORMAT_VERSION:
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    geo = geometry(size)
    layouts = {}
    for layout in LAYOUTS:
        entry = {}
        for name, spec in geo.items():
            path = directory / layout / f"{name}.zarr"
            _write(path, spec, layout)
            entry[name] = str(path)
        # The unit a chunk-by-chunk reader walks: what is stored as one object.
        entry["unit"] = geo["volume"]["shard" if layout == "zstd-sharded" else "chunk"]
        layouts[layout] = entry
    document = {"format_version": FORMAT_VERSION, "size": size, "geometry": geo, "layouts": layouts}
    document.update(_selections(geo))
    # Written last: its presence marks a complete data set.
    stamp.write_text(json.dumps(document))
    return directory
