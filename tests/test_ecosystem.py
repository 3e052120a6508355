"""dask (threaded and distributed), xarray and anndata read through the pipeline: the same
values as numpy or zarr's default pipeline, and the numeric arrays read natively (in the
test process and in distributed worker processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from zarr.codecs import ZstdCodec
from zarr.storage import LocalStore

import zarrs_cffi
from conftest import sample_data, write_array
from zarrs_cffi.pipeline import ZarrsCodecPipeline, stats

PIPELINE = "zarrs_cffi.ZarrsCodecPipeline"
BATCHED = "zarr.core.codec_pipeline.BatchedCodecPipeline"


@contextmanager
def pipeline(path: str) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": path}):
        yield


def counts() -> tuple[int, int, int]:
    """This process's pipeline reads: (native, fallback, unsupported)."""
    return stats.native, stats.fallback, stats.unsupported


def _array_name(store_path: Any) -> str:
    """The store path of the array a chunk key belongs to (the nearest directory up with array metadata)."""
    root, parts = Path(store_path.store.root), store_path.path.split("/")
    for end in range(len(parts) - 1, -1, -1):
        name = "/".join(parts[:end])
        if (root / name / "zarr.json").exists() or (root / name / ".zarray").exists():
            return name
    raise AssertionError(f"no array holds the chunk {store_path.path}")


@pytest.fixture
def read_log(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counter[str]]:
    """How the pipeline served reads, per array: {array path: Counter of native/fallback/unsupported}.
    Reads must run one at a time while it records (it attributes the change of `stats`)."""
    log: dict[str, Counter[str]] = defaultdict(Counter)
    original = ZarrsCodecPipeline.read

    async def read(self: ZarrsCodecPipeline, batch_info: Any, out: Any, drop_axes: tuple[int, ...] = ()) -> Any:
        batch = list(batch_info)
        before = counts()
        result = await original(self, batch, out, drop_axes)
        kinds = ("native", "fallback", "unsupported")
        changed = [kind for kind, a, b in zip(kinds, before, counts(), strict=True) if a != b]
        if batch:
            assert len(changed) == 1, "reads overlapped while recording"
            log[_array_name(batch[0][0])][changed[0]] += 1
        return result

    monkeypatch.setattr(ZarrsCodecPipeline, "read", read)
    return log


def native_only(log: dict[str, Counter[str]], name: str) -> bool:
    return log[name]["native"] > 0 and log[name]["fallback"] == log[name]["unsupported"] == 0


def assert_numeric_arrays_native(log: dict[str, Counter[str]], path: str) -> dict[str, bool]:
    """Every array of the store at `path` that was read went through the pipeline: natively
    when its data type is numeric, by zarr's pipeline otherwise (strings: `unsupported`).
    Returns {array path: numeric?} of the arrays read."""
    kinds = {
        name: getattr(member.dtype, "kind", "")
        for name, member in zarr.open_group(path, mode="r").members(max_depth=None)
        if isinstance(member, zarr.Array)
    }
    assert set(log) <= set(kinds), dict(log)
    for name in log:
        if kinds[name] in "biufc":
            assert native_only(log, name), (name, dict(log))
        else:
            assert log[name]["native"] == 0 and log[name]["unsupported"] > 0, (name, dict(log))
    return {name: kinds[name] in "biufc" for name in log}


# --- dask ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sharded(array_dir: Path) -> tuple[np.ndarray, str]:
    data = sample_data((24, 30, 20), "float32", seed=71)
    path = array_dir / "ecosystem-sharded.zarr"
    write_array(path, data, (4, 10, 10), shards=(8, 10, 20), compressors=ZstdCodec(level=1))
    return data, str(path)


def test_dask_threaded_scheduler(sharded: tuple[np.ndarray, str]) -> None:
    da = pytest.importorskip("dask.array")
    data, path = sharded
    with pipeline(PIPELINE):
        z = zarr.open_array(path, mode="r")
    before = counts()
    # Blocks that cut across chunks and shards, so reads are partial chunks too.
    x = da.from_zarr(z, chunks=(5, 7, 20))
    np.testing.assert_array_equal(x.compute(scheduler="threads"), data)
    totals = x.sum(axis=(1, 2), dtype=np.float64).compute(scheduler="threads")
    np.testing.assert_allclose(totals, data.sum(axis=(1, 2), dtype=np.float64), rtol=1e-12)
    native, fallback, unsupported = (b - a for a, b in zip(before, counts(), strict=True))
    assert native >= 2 * x.npartitions and (fallback, unsupported) == (0, 0)


@pytest.mark.parametrize("opened", ["path", "LocalStore"])
def test_dask_from_a_path_or_store(sharded: tuple[np.ndarray, str], opened: str) -> None:
    da = pytest.importorskip("dask.array")
    data, path = sharded
    before = counts()
    with pipeline(PIPELINE):
        # For a path, dask opens an FsspecStore over the local file system.
        x = da.from_zarr(path if opened == "path" else LocalStore(path, read_only=True))
    # The array (and its pipeline) was opened when the graph was built: computing later,
    # outside the configuration, still reads natively.
    np.testing.assert_array_equal(x[3:17, ::3].compute(scheduler="threads"), data[3:17, ::3])
    assert counts()[0] > before[0] and counts()[1:] == before[1:]


# --- dask.distributed: worker processes ------------------------------------------------------


def _worker_state() -> tuple[tuple[int, int, int], int]:
    """Runs in a worker: its pipeline read counts and native thread count."""
    from zarrs_cffi.pipeline import stats

    return (stats.native, stats.fallback, stats.unsupported), zarrs_cffi.get_num_threads()


def _open_in_worker(path: str) -> tuple[str, float]:
    """Runs in a worker: opens the array there (so with the worker's own zarr configuration)."""
    z = zarr.open_array(path, mode="r")
    return type(z._async_array.codec_pipeline).__name__, float(z[2:9].sum(dtype=np.float64))


def _read_pickled_array(z: zarr.Array) -> tuple[float, int]:
    """Runs in a worker: reads an array that arrived pickled, while the worker's own
    configuration selects zarr's pipeline; returns the sum and the native reads it took."""
    from zarrs_cffi.pipeline import stats

    with zarr.config.set({"codec_pipeline.path": BATCHED}):
        before = stats.native
        return float(z[...].sum(dtype=np.float64)), stats.native - before


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    # zarr reads its configuration from the environment when it is imported, so these reach
    # every worker process, including ones the nanny restarts. One native thread per worker:
    # 2 workers x 1 dask thread x 1 native thread never oversubscribes the cores.
    env = {"ZARR_CODEC_PIPELINE__PATH": PIPELINE, "ZARR_THREADING__MAX_WORKERS": "1"}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=env
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_distributed_workers_read_natively(client: Any, sharded: tuple[np.ndarray, str]) -> None:
    da = pytest.importorskip("dask.array")
    data, path = sharded
    before = client.run(_worker_state)
    local_before = counts()
    with pipeline(PIPELINE):
        # The pickled array carries its pipeline: workers unpickle it and reload the library.
        x = da.from_zarr(zarr.open_array(path, mode="r"), chunks=(6, 15, 20))
    np.testing.assert_array_equal(x.compute(), data)
    np.testing.assert_allclose(x.mean(axis=0, dtype=np.float64).compute(), data.mean(axis=0, dtype=np.float64))
    after = client.run(_worker_state)
    assert len(after) == 2
    deltas = [np.subtract(after[worker][0], before[worker][0]) for worker in after]
    assert sum(d[0] for d in deltas) >= 2 * x.npartitions
    assert all(d[1] == d[2] == 0 for d in deltas)
    assert counts() == local_before  # every read ran in the workers
    # ZARR_THREADING__MAX_WORKERS reached the engine in each worker.
    assert {threads for _, threads in after.values()} == {1}


def test_distributed_workers_open_arrays_under_the_pipeline(client: Any, sharded: tuple[np.ndarray, str]) -> None:
    data, path = sharded
    name, total = client.submit(_open_in_worker, path, pure=False).result()
    assert name == "ZarrsCodecPipeline"
    np.testing.assert_allclose(total, data[2:9].sum(dtype=np.float64), rtol=1e-9)


def test_distributed_arrays_carry_their_pipeline(client: Any, sharded: tuple[np.ndarray, str]) -> None:
    data, path = sharded
    with pipeline(PIPELINE):
        z = zarr.open_array(path, mode="r")
    total, native_reads = client.submit(_read_pickled_array, z, pure=False).result()
    np.testing.assert_allclose(total, data.sum(dtype=np.float64), rtol=1e-12)
    assert native_reads == 1


# --- xarray ----------------------------------------------------------------------------------


def make_dataset() -> Any:
    xr = pytest.importorskip("xarray")
    rng = np.random.default_rng(81)
    time = np.arange("2026-01-01", "2026-01-07", dtype="datetime64[D]").astype("datetime64[ns]")
    y = np.linspace(-40.0, 40.0, 12)
    x = np.arange(16, dtype=np.int32) * 5
    precipitation = rng.gamma(1.0, 2.0, (6, 12, 16))
    precipitation[precipitation < 0.5] = np.nan  # xarray masks these through the fill value
    return xr.Dataset(
        {
            "temperature": (("time", "y", "x"), rng.normal(280, 10, (6, 12, 16)).astype(np.float32)),
            "precipitation": (("time", "y", "x"), precipitation),
            "land": (("y", "x"), rng.integers(0, 2, (12, 16)).astype(np.uint8)),
            "elevation": (("y", "x"), rng.integers(-100, 3000, (12, 16)).astype(np.int16)),
        },
        coords={
            "time": time,
            "y": y,
            "x": x,
            "station": ("x", [f"s{i:02d}" for i in range(16)]),
        },
        attrs={"title": "test"},
    )


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("opener", ["open_zarr", "open_dataset"])
def test_xarray(tmp_path: Path, read_log: dict[str, Counter[str]], zarr_format: int, opener: str) -> None:
    xr = pytest.importorskip("xarray")
    dask = pytest.importorskip("dask")
    ds = make_dataset()
    path = str(tmp_path / "dataset.zarr")
    encoding = {name: {"chunks": (2, 5, 8)} for name in ("temperature", "precipitation")}
    ds.to_zarr(path, zarr_format=zarr_format, encoding=encoding, mode="w")

    def open_and_load(path_name: str) -> Any:
        with pipeline(path_name), dask.config.set(scheduler="synchronous"):
            if opener == "open_zarr":
                return xr.open_zarr(path).load()
            return xr.open_dataset(path, engine="zarr").load()

    reference = open_and_load(BATCHED)
    assert not read_log  # zarr's pipeline never reached ours
    result = open_and_load(PIPELINE)
    xr.testing.assert_identical(result, reference)
    xr.testing.assert_equal(result, ds)
    arrays = assert_numeric_arrays_native(read_log, path)
    # Data variables and coordinates (xarray reads the indexes eagerly), all through the pipeline.
    assert arrays == {**dict.fromkeys([*ds.data_vars, "time", "y", "x"], True), "station": False}


# --- anndata ---------------------------------------------------------------------------------


def make_anndata(sparse: bool) -> Any:
    ad = pytest.importorskip("anndata")
    pd = pytest.importorskip("pandas")
    scipy_sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(91)
    n_obs, n_vars = 120, 40
    if sparse:
        X = scipy_sparse.random(n_obs, n_vars, density=0.1, format="csr", dtype=np.float32, random_state=rng)
    else:
        X = rng.standard_normal((n_obs, n_vars)).astype(np.float32)
    obs = pd.DataFrame(
        {
            "n_counts": rng.integers(100, 5000, n_obs).astype(np.int64),
            "fraction": rng.random(n_obs),
            "cell_type": pd.Categorical(rng.choice(["B", "T", "NK"], n_obs)),
            "donor": [f"donor{i % 7}" for i in range(n_obs)],
        },
        index=[f"cell{i}" for i in range(n_obs)],
    )
    var = pd.DataFrame(
        {"mean": rng.random(n_vars), "highly_variable": rng.random(n_vars) > 0.5},
        index=[f"gene{i}" for i in range(n_vars)],
    )
    return ad.AnnData(
        X=X,
        obs=obs,
        var=var,
        layers={"counts": rng.integers(0, 50, (n_obs, n_vars)).astype(np.int32)},
        obsm={"X_pca": rng.standard_normal((n_obs, 5)).astype(np.float32)},
    )


def assert_same_anndata(result: Any, expected: Any) -> None:
    pd = pytest.importorskip("pandas")
    scipy_sparse = pytest.importorskip("scipy.sparse")
    assert scipy_sparse.issparse(result.X) == scipy_sparse.issparse(expected.X)
    if scipy_sparse.issparse(expected.X):
        assert result.X.format == expected.X.format
        assert (result.X != expected.X).nnz == 0
    else:
        np.testing.assert_array_equal(result.X, expected.X)
    pd.testing.assert_frame_equal(result.obs, expected.obs)
    pd.testing.assert_frame_equal(result.var, expected.var)
    np.testing.assert_array_equal(result.layers["counts"], expected.layers["counts"])
    np.testing.assert_array_equal(result.obsm["X_pca"], expected.obsm["X_pca"])


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_anndata_read_zarr(tmp_path: Path, read_log: dict[str, Counter[str]], sparse: bool, zarr_format: int) -> None:
    ad = pytest.importorskip("anndata")
    adata = make_anndata(sparse)
    path = str(tmp_path / "cells.zarr")
    with ad.settings.override(zarr_write_format=zarr_format):
        adata.write_zarr(path)
    with pipeline(BATCHED):
        reference = ad.read_zarr(path)
    assert not read_log
    with pipeline(PIPELINE):
        result = ad.read_zarr(path)
    assert_same_anndata(result, reference)
    assert_same_anndata(result, adata)
    # Numeric arrays (X or its data/indices/indptr, layers, obsm, numeric columns, category
    # codes) read natively; strings (indexes, category labels) through zarr's pipeline.
    arrays = assert_numeric_arrays_native(read_log, path)
    expected = ["X/data", "X/indices", "X/indptr"] if sparse else ["X"]
    expected += ["layers/counts", "obsm/X_pca", "obs/n_counts", "obs/cell_type/codes", "var/mean"]
    assert all(arrays[name] for name in expected)


def test_anndata_lazy_reads(tmp_path: Path, read_log: dict[str, Counter[str]]) -> None:
    ad = pytest.importorskip("anndata")
    experimental = pytest.importorskip("anndata.experimental")
    dask = pytest.importorskip("dask")
    dense, csr = make_anndata(sparse=False), make_anndata(sparse=True)
    dense.write_zarr(tmp_path / "dense.zarr")
    csr.write_zarr(tmp_path / "csr.zarr")
    with pipeline(PIPELINE), dask.config.set(scheduler="synchronous"):
        rows = ad.io.sparse_dataset(zarr.open_group(tmp_path / "csr.zarr", mode="r")["X"])[10:50]
        lazy = experimental.read_elem_lazy(zarr.open_group(tmp_path / "dense.zarr", mode="r")["X"])
        column_sums = lazy.sum(axis=0, dtype=np.float64).compute()
    assert (rows != csr.X[10:50]).nnz == 0
    np.testing.assert_allclose(column_sums, dense.X.sum(axis=0, dtype=np.float64))
    for name in ["X", "X/data", "X/indices", "X/indptr"]:
        assert native_only(read_log, name), (name, dict(read_log))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_anndata_read_lazy(tmp_path: Path, read_log: dict[str, Counter[str]], sparse: bool) -> None:
    ad = pytest.importorskip("anndata")
    pytest.importorskip("xarray")  # read_lazy builds obs/var as xarray datasets
    dask = pytest.importorskip("dask")
    adata = make_anndata(sparse)
    path = str(tmp_path / "cells.zarr")
    adata.write_zarr(path)
    with pipeline(PIPELINE), dask.config.set(scheduler="synchronous"):
        lazy = ad.experimental.read_lazy(path)
        result = lazy.to_memory()
    assert_same_anndata(result, adata)
    arrays = assert_numeric_arrays_native(read_log, path)
    assert all(arrays[name] for name in (["X/data", "X/indices", "X/indptr"] if sparse else ["X"]))


def test_benchmark_runs_at_tiny_size(tmp_path: Path) -> None:
    script = Path(__file__).parents[1] / "benchmarks" / "ecosystem.py"
    results = tmp_path / "results.json"
    command = [sys.executable, str(script), "--size", "tiny", "--runs", "1", "--dir", str(tmp_path), "--json", results]
    table = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = json.loads(results.read_text())
    workloads = ["anndata.read_zarr, dense X", "anndata.read_zarr, CSR X", "dask sum over a sharded array"]
    assert {"zarr (Batched)", "zarrs_cffi"} <= set(report["medians"])
    for medians in report["medians"].values():
        assert sorted(medians) == sorted(workloads) and all(t > 0 for t in medians.values())
    assert all(f"| {workload} |" in table for workload in workloads)
    assert report["runs"]["zarrs_cffi"][0]["reads"]["native"] > 0
