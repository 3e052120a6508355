"""pytest plugin for runs of zarr-python's own tests under ZarrsCodecPipeline.

- Re-targets the hypothesis strategies of `zarr.testing.strategies` from `MemoryStore`
  to a fresh `LocalStore` per example (the `stores` strategy, the `stores` defaults, and
  the strategies that build a `MemoryStore` themselves), so those tests exercise native
  reads: the pipeline serves only local files natively.
- Writes the pipeline's native/fallback read and write counts of this process to a JSON
  file in `$ZARRS_CFFI_STATS_DIR` at the end (one file per pytest-xdist worker).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

import hypothesis.strategies as st
import zarr.testing.strategies as strategies
from zarr.storage import LocalStore

_ROOT = tempfile.mkdtemp(prefix="zarr-suite-localstores-")


def _new_local_store(*_: Any, **__: Any) -> LocalStore:
    return LocalStore(tempfile.mkdtemp(dir=_ROOT))


local_stores = st.just(None).map(_new_local_store)

strategies.stores = local_stores
strategies.MemoryStore = _new_local_store  # type: ignore[assignment,misc]
for _name in dir(strategies):
    _function = getattr(strategies, _name)
    _defaults = getattr(_function, "__kwdefaults__", None)
    if callable(_function) and _defaults and "stores" in _defaults:
        _defaults["stores"] = local_stores


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    from zarrs_cffi.pipeline import stats, write_stats

    target = os.environ.get("ZARRS_CFFI_STATS_DIR")
    if target:
        process = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with open(os.path.join(target, f"{process}.json"), "w") as f:
            counts = {"native": stats.native, "fallback": stats.fallback, "unsupported": stats.unsupported}
            counts.update(
                {
                    "writes_native": write_stats.native,
                    "writes_fallback": write_stats.fallback,
                    "writes_unsupported": write_stats.unsupported,
                }
            )
            json.dump(counts, f)
    shutil.rmtree(_ROOT, ignore_errors=True)
