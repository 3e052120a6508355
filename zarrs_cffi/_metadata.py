"""Metadata documents for new arrays: what `zarr.create_array` writes for the same arguments.

`create_documents` turns `create()`'s arguments into the JSON text of `zarr.json` (Zarr v3)
or `.zarray` and `.zattrs` (Zarr v2), which the native library checks and writes. The
arguments, their defaults and the documents follow zarr-python, so that an array created
here is the array zarr would have created (`tests/test_create.py` compares the two).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

_V3_NAMES = {
    "b": {1: "bool"},
    "i": {1: "int8", 2: "int16", 4: "int32", 8: "int64"},
    "u": {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"},
    "f": {2: "float16", 4: "float32", 8: "float64"},
    "c": {8: "complex64", 16: "complex128"},
}

# The configurations zarr-python's own codec classes give a bare name or a partial
# configuration (blosc's type size and shuffle depend on the element size, see below).
_V3_DEFAULTS: dict[str, dict[str, Any]] = {
    "zstd": {"level": 0, "checksum": False},
    "gzip": {"level": 5},
    "blosc": {"cname": "zstd", "clevel": 5, "blocksize": 0},
}
_V2_DEFAULTS: dict[str, dict[str, Any]] = {
    "zstd": {"level": 0},
    "blosc": {"cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
    "zlib": {"level": 1},
    "gzip": {"level": 1},
    "bz2": {"level": 1},
}


def native_dtype(dtype: Any) -> np.dtype[Any]:
    """The numpy dtype of `dtype`, refusing what the engine cannot store."""
    from .errors import UnsupportedDataTypeError

    try:
        parsed = np.dtype(dtype)
    except TypeError as err:
        raise UnsupportedDataTypeError(f"not a data type: {dtype!r}") from err
    if parsed.kind not in _V3_NAMES or parsed.itemsize not in _V3_NAMES[parsed.kind]:
        raise UnsupportedDataTypeError(
            f"data type {parsed} cannot be written by the native engine (only bool, integers, "
            "floats and complex numbers)"
        )
    return parsed


def guess_chunks(shape: tuple[int, ...], item_size: int, max_bytes: int = 64 * 2**20) -> tuple[int, ...]:
    """zarr's "auto" chunks: a chunk size that grows with the array's size on a log scale
    (128 KiB to `max_bytes`), reached by halving the axes in turn, first axis first."""
    if not shape:
        return ()
    chunks = [max(float(n), 1.0) for n in shape]
    total = math.prod(chunks) * item_size
    target = min(max(256 * 1024 * 2 ** math.log10(total / 2**20), 128 * 1024), max_bytes)
    axis = 0
    while True:
        size = math.prod(chunks) * item_size
        small_enough = size < target or abs(size - target) / target < 0.5
        if (small_enough and size < max_bytes) or math.prod(chunks) == 1:
            return tuple(int(c) for c in chunks)
        chunks[axis % len(chunks)] = math.ceil(chunks[axis % len(chunks)] / 2)
        axis += 1


def _shape(value: Any, name: str) -> tuple[int, ...]:
    if isinstance(value, numbers.Integral):
        return (int(value),)
    try:
        result = tuple(int(n) for n in value)
    except TypeError as err:
        raise TypeError(f"{name} must be an integer or a sequence of integers, got {value!r}") from err
    if any(n < 0 for n in result):
        raise ValueError(f"{name} cannot be negative, got {result}")
    return result


def _chunk_shape(value: Any, name: str, ndim: int) -> tuple[int, ...]:
    result = _shape(value, name)
    if len(result) == 1 and ndim != 1:
        result = result * ndim
    if len(result) != ndim:
        raise ValueError(f"{name} {result} must have one length per dimension of the array ({ndim})")
    if any(n < 1 for n in result):
        raise ValueError(f"{name} must be positive, got {result}")
    return result


def _float_json(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)


def fill_value_json(fill_value: Any, dtype: np.dtype[Any], zarr_format: int) -> Any:
    """The fill value as zarr writes it: the data type's zero when None (Zarr v2 keeps
    None for floating-point types), NaN and infinities as strings, complex as a pair."""
    if fill_value is None:
        if zarr_format == 2 and dtype.kind in "fc":
            return None
        fill_value = 0
    invalid = ValueError(f"fill value {fill_value!r} is not a value of data type {dtype}")
    try:
        if dtype.kind == "b":
            return bool(fill_value)
        if dtype.kind in "iu":
            value = int(fill_value)
            info = np.iinfo(dtype)
            if value != fill_value or not info.min <= value <= info.max:
                raise invalid
            return value
        if dtype.kind == "f":
            return _float_json(float(fill_value))
        value = complex(fill_value)
    except (TypeError, ValueError, OverflowError) as err:
        raise invalid from err
    return [_float_json(value.real), _float_json(value.imag)]


def _as_list(spec: Any) -> list[Any]:
    if spec is None:
        return []
    if isinstance(spec, (str, dict)) or not isinstance(spec, Sequence):
        return [spec]
    return list(spec)


def _v3_codec(spec: Any, dtype: np.dtype[Any]) -> dict[str, Any]:
    """A v3 codec as zarr serialises it, from a name, a dict or a zarr codec object."""
    if isinstance(spec, str):
        codec: dict[str, Any] = {"name": spec}
    elif isinstance(spec, dict):
        codec = json.loads(json.dumps(spec))
    elif hasattr(spec, "to_dict"):
        codec = spec.to_dict()
        if codec.get("name") == "blosc":
            # zarr's blosc codec serialises a type size or shuffle it was not given as
            # placeholders (its "tunable" attributes), set for the element type when it
            # creates the array.
            for unset in getattr(spec, "_tunable_attrs", ()):
                codec["configuration"].pop(unset, None)
    else:
        raise TypeError(f"expected a codec name, a codec dict or a zarr codec, got {spec!r}")
    name = codec.get("name")
    if not isinstance(name, str):
        raise ValueError(f"a Zarr v3 codec needs a name, got {codec!r}")
    if name == "bytes" and dtype.itemsize == 1:
        return {"name": "bytes"}  # single bytes have no byte order
    if name == "sharding_indexed":
        configuration = codec["configuration"]
        configuration["codecs"] = [_v3_codec(c, dtype) for c in configuration.get("codecs", [])]
        index_dtype = np.dtype("<u8")
        configuration["index_codecs"] = [_v3_codec(c, index_dtype) for c in configuration.get("index_codecs", [])]
    defaults = _V3_DEFAULTS.get(name)
    if name == "blosc":
        # zarr sizes blosc for the element: bit shuffling for single bytes.
        defaults = {
            **_V3_DEFAULTS["blosc"],
            "typesize": dtype.itemsize,
            "shuffle": "bitshuffle" if dtype.itemsize == 1 else "shuffle",
        }
    if defaults is not None:
        configuration = {key: value for key, value in codec.get("configuration", {}).items() if value is not None}
        codec["configuration"] = {**defaults, **configuration}
        if name == "blosc":
            order = ("typesize", "cname", "clevel", "shuffle", "blocksize")
            codec["configuration"] = {key: codec["configuration"][key] for key in order}
    return codec


def _v2_codec(spec: Any) -> dict[str, Any]:
    """A numcodecs codec configuration, from a name, a dict or a numcodecs codec."""
    if isinstance(spec, str):
        return {"id": spec, **_V2_DEFAULTS.get(spec, {})}
    if isinstance(spec, dict):
        if not isinstance(spec.get("id"), str):
            raise ValueError(f"a Zarr v2 codec configuration needs an id, got {spec!r}")
        return json.loads(json.dumps(spec))
    if hasattr(spec, "get_config"):
        return dict(spec.get_config())
    raise TypeError(f"expected a codec name, a codec dict or a numcodecs codec, got {spec!r}")


def _bytes_codec(dtype: np.dtype[Any]) -> dict[str, Any]:
    if dtype.itemsize == 1:
        return {"name": "bytes"}
    return {"name": "bytes", "configuration": {"endian": "big" if dtype.byteorder == ">" else "little"}}


def create_documents(
    *,
    shape: Any,
    dtype: Any,
    chunks: Any = "auto",
    shards: Any = None,
    filters: Any = "auto",
    compressors: Any = "auto",
    serializer: Any = "auto",
    fill_value: Any = None,
    order: str | None = None,
    zarr_format: int = 3,
    attributes: dict[str, Any] | None = None,
    chunk_key_encoding: dict[str, Any] | None = None,
    dimension_names: Sequence[str | None] | None = None,
) -> tuple[str, str | None]:
    """The metadata document (`zarr.json` or `.zarray` text) and, for Zarr v2, the
    `.zattrs` text of a new array, as `zarr.create_array` would write them."""
    array_shape = _shape(shape, "shape")
    parsed = native_dtype(dtype)
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    attributes = {} if attributes is None else dict(attributes)
    json.dumps(attributes)  # attributes must be JSON
    if shards is not None and zarr_format == 2:
        raise ValueError("Zarr v2 arrays cannot be sharded")
    if isinstance(shards, str):
        raise ValueError(f"shards must be a shape or None, got {shards!r}")
    if isinstance(chunks, str):
        if chunks != "auto":
            raise ValueError(f"chunks must be a shape or 'auto', got {chunks!r}")
        max_bytes = 2**20 if shards is not None else 64 * 2**20
        inner = guess_chunks(array_shape, parsed.itemsize, max_bytes) if array_shape else ()
    else:
        inner = _chunk_shape(chunks, "chunks", len(array_shape))
    outer = inner if shards is None else _chunk_shape(shards, "shards", len(array_shape))
    if any(o % i for o, i in zip(outer, inner, strict=True)):
        raise ValueError(f"the shard shape {outer} must be a multiple of the chunk shape {inner}")
    if order not in (None, "C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    key_encoding = dict(chunk_key_encoding or {})
    fill = fill_value_json(fill_value, parsed, zarr_format)

    if zarr_format == 2:
        if serializer != "auto":
            raise ValueError("Zarr v2 arrays take no serializer")
        if dimension_names is not None:
            raise ValueError("Zarr v2 arrays have no dimension names")
        compressor_specs = [{"id": "zstd", "level": 0}] if compressors == "auto" else _as_list(compressors)
        if len(compressor_specs) > 1:
            raise ValueError("a Zarr v2 array takes at most one compressor")
        filter_specs = [] if filters == "auto" else _as_list(filters)
        if key_encoding.get("name", "v2") != "v2":
            raise ValueError("Zarr v2 arrays use the v2 chunk key encoding")
        separator = key_encoding.get("separator", ".")
        document: dict[str, Any] = {
            "shape": list(array_shape),
            "chunks": list(outer),
            "dtype": parsed.str,
            "fill_value": fill,
            "order": order or "C",
            "filters": [_v2_codec(f) for f in filter_specs] or None,
            "dimension_separator": separator,
            "compressor": _v2_codec(compressor_specs[0]) if compressor_specs else None,
            "zarr_format": 2,
        }
        return json.dumps(document, indent=2), json.dumps(attributes, indent=2)

    if order not in (None, "C"):
        raise ValueError("Zarr v3 arrays store chunks in C order; use a transpose filter for another")
    if parsed.byteorder == ">" and serializer == "auto":
        serializer = _bytes_codec(parsed)
    filter_codecs = [] if filters == "auto" else [_v3_codec(f, parsed) for f in _as_list(filters)]
    serializer_codec = _bytes_codec(parsed) if serializer == "auto" else _v3_codec(serializer, parsed)
    compressor_specs = ["zstd"] if compressors == "auto" else _as_list(compressors)
    compressor_codecs = [_v3_codec(c, parsed) for c in compressor_specs]
    chunk_codecs = [*filter_codecs, serializer_codec, *compressor_codecs]
    if shards is not None:
        chunk_codecs = [
            {
                "name": "sharding_indexed",
                "configuration": {
                    "chunk_shape": list(inner),
                    "codecs": chunk_codecs,
                    "index_codecs": [_bytes_codec(np.dtype("<u8")), {"name": "crc32c"}],
                    "index_location": "end",
                },
            }
        ]
    name = key_encoding.get("name", "default")
    separator = key_encoding.get("separator", "/" if name == "default" else ".")
    document = {
        "shape": list(array_shape),
        "data_type": _V3_NAMES[parsed.kind][parsed.itemsize],
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(outer)}},
        "chunk_key_encoding": {"name": name, "configuration": {"separator": separator}},
        "fill_value": fill,
        "codecs": chunk_codecs,
        "attributes": attributes,
    }
    if dimension_names is not None:
        names = list(dimension_names)
        if len(names) != len(array_shape):
            raise ValueError(f"{len(names)} dimension names for an array of {len(array_shape)} dimensions")
        document["dimension_names"] = names
    document.update({"zarr_format": 3, "node_type": "array", "storage_transformers": []})
    return json.dumps(document, indent=2), None
