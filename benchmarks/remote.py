"""The remote read benchmark: every reader over S3 and HTTP, with latency, in one run.

    python benchmarks/remote.py [--size 256] [--latency-ms 20] [--rounds 3] [--repeats 1]
                                [--readers a,b] [--layouts zstd,zstd-sharded] [--out benchmarks/results]

Uses the data set of the read suite (`datasets.py`, written once) and serves it from this
machine: an HTTP file server that honours byte ranges, and an S3 endpoint (moto) behind a
reverse proxy, each adding `--latency-ms` to every request (a nearby region, not a LAN).
Each server runs in its own process, so the servers' Python threads do not share one GIL
with each other. Then it runs interleaved rounds: in each round every reader runs all
scenarios in a fresh process (this script with `--worker`), in an order rotated from
round to round, and reports the time of each read and the HTTP requests the servers saw
for it. Every reader's values are checked against the local data read with zarr-python
(a digest per scenario); a mismatch fails the run. Writes medians, request counts and
ratios as `remote-table.md` and `remote-results.json` in `--out`.

Readers that are not installed, and zarrs_cffi readers while its remote stores are not
built, are skipped with a note in the table.
"""

from __future__ import annotations

import argparse
import http.server
import importlib.metadata
import inspect
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from readers import digest, unit_boxes
from run import machine, ratio

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"  # tests/servers.py: the local HTTP, S3 and proxy servers
SCENARIOS = ("whole", "chunks", "boxes", "points")
LAYOUTS = ("zstd", "zstd-sharded")
BUCKET = "bench"
KEY = SECRET = "testing"  # moto accepts any credentials
REGION = "us-east-1"
# Every S3 client checks for credentials in this order somewhere; point them all at moto's
# and keep them away from the instance-metadata endpoint, which would stall for seconds.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": KEY,
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


# --- the readers (run in the worker process) ----------------------------------------------


class Skip(Exception):
    """The reader cannot run here (not installed, or not built with remote stores)."""


class Reader:
    """Opens the volume of one layout remotely and reads from it. `kind` names the server
    it reads from ("s3" or "http"), whose request counter is reported."""

    kind: str

    def __init__(self, endpoints: dict[str, str]) -> None:
        self.endpoints = endpoints

    def s3_options(self) -> dict[str, Any]:
        """storage_options as s3fs names them (zarrs_cffi takes the same)."""
        return {
            "key": KEY,
            "secret": SECRET,
            "endpoint_url": self.endpoints["s3"],
            "client_kwargs": {"region_name": REGION},
        }

    def http_url(self, layout: str) -> str:
        return f"{self.endpoints['http']}/{layout}/volume.zarr"

    def open(self, layout: str) -> Any:
        raise NotImplementedError

    def basic(self, array: Any, selection: tuple) -> np.ndarray:
        return np.asarray(array[selection])

    def vindex(self, array: Any, coordinates: tuple[np.ndarray, ...]) -> np.ndarray:
        return np.asarray(array.vindex[coordinates])

    def check(self) -> None:
        """Called after the first read: raises Skip when the reader turns out not to be what
        it claims (so a whole run is not spent measuring something else)."""

    def notes(self) -> dict[str, Any]:
        """What the driver should know about this run besides times (e.g. native reads)."""
        return {}


def _require(module: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise Skip(f"{module} is not installed ({error})") from error


class ZarrReader(Reader):
    """zarr-python over one of its remote stores, with a codec pipeline chosen by path."""

    def __init__(self, endpoints: dict[str, str], pipeline: str, store: str) -> None:
        super().__init__(endpoints)
        self.zarr = _require("zarr")
        self.store_kind = store
        self.kind = "http" if store == "http" else "s3"
        _require({"s3fs": "s3fs", "obstore": "obstore", "http": "aiohttp"}[store])
        _require(pipeline.split(".")[0])
        self.zarr.config.set({"codec_pipeline.path": pipeline})

    def store(self, layout: str) -> Any:
        storage = self.zarr.storage
        if self.store_kind == "s3fs":
            url = f"s3://{BUCKET}/{layout}/volume.zarr"
            return storage.FsspecStore.from_url(url, storage_options=self.s3_options(), read_only=True)
        if self.store_kind == "http":
            return storage.FsspecStore.from_url(self.http_url(layout), read_only=True)
        from obstore.store import S3Store

        s3 = S3Store(
            BUCKET,
            prefix=f"{layout}/volume.zarr",
            endpoint=self.endpoints["s3"],
            region=REGION,
            access_key_id=KEY,
            secret_access_key=SECRET,
            client_options={"allow_http": True},
        )
        return storage.ObjectStore(s3, read_only=True)

    def open(self, layout: str) -> Any:
        return self.zarr.open_array(self.store(layout), mode="r")


class PipelineReader(ZarrReader):
    """zarr-python with this project's pipeline; skipped when it reads nothing natively."""

    def __init__(self, endpoints: dict[str, str], store: str) -> None:
        super().__init__(endpoints, "zarrs_cffi.ZarrsCodecPipeline", store)
        import zarrs_cffi.pipeline

        self.stats = zarrs_cffi.pipeline.stats

    def counts(self) -> dict[str, int]:
        return {"native": self.stats.native, "fallback": self.stats.fallback, "unsupported": self.stats.unsupported}

    def check(self) -> None:
        if self.stats.native == 0:
            raise Skip(f"the pipeline read nothing natively (remote stores not built yet?): {self.counts()}")

    def notes(self) -> dict[str, Any]:
        return {"pipeline_reads": self.counts()}


class TensorstoreReader(Reader):
    def __init__(self, endpoints: dict[str, str], kind: str) -> None:
        super().__init__(endpoints)
        self.ts = _require("tensorstore")
        self.kind = kind

    def open(self, layout: str) -> Any:
        if self.kind == "s3":
            kvstore = {
                "driver": "s3",
                "bucket": BUCKET,
                "path": f"{layout}/volume.zarr/",
                "endpoint": self.endpoints["s3"],
                "aws_region": REGION,
                "aws_credentials": {"type": "environment"},
            }
        else:
            kvstore = {"driver": "http", "base_url": self.endpoints["http"], "path": f"/{layout}/volume.zarr/"}
        return self.ts.open({"driver": "zarr3", "kvstore": kvstore}, read=True).result()

    def basic(self, array: Any, selection: tuple) -> np.ndarray:
        return array[selection].read().result()

    def vindex(self, array: Any, coordinates: tuple[np.ndarray, ...]) -> np.ndarray:
        return array.vindex[coordinates].read().result()


class DirectReader(Reader):
    """zarrs_cffi.open on the URL itself."""

    def __init__(self, endpoints: dict[str, str], kind: str) -> None:
        super().__init__(endpoints)
        self.zarrs_cffi = _require("zarrs_cffi")
        if "storage_options" not in inspect.signature(self.zarrs_cffi.open).parameters:
            raise Skip("zarrs_cffi.open takes no storage_options yet (remote stores not built)")
        self.kind = kind

    def open(self, layout: str) -> Any:
        try:
            if self.kind == "s3":
                return self.zarrs_cffi.open(f"s3://{BUCKET}/{layout}/volume.zarr", storage_options=self.s3_options())
            return self.zarrs_cffi.open(self.http_url(layout))
        except self.zarrs_cffi.UnsupportedError as error:
            raise Skip(f"zarrs_cffi cannot open remote arrays yet: {error}") from error


BATCHED = "zarr.core.codec_pipeline.BatchedCodecPipeline"
ZARRS_PYTHON = "zarrs.ZarrsCodecPipeline"
READERS: dict[str, Callable[[dict[str, str]], Reader]] = {
    "zarr (s3fs)": lambda e: ZarrReader(e, BATCHED, "s3fs"),
    "zarr (obstore)": lambda e: ZarrReader(e, BATCHED, "obstore"),
    "zarr (http)": lambda e: ZarrReader(e, BATCHED, "http"),
    # zarrs-python serves ObjectStore and fsspec's HTTP natively, not s3fs (it falls back).
    "zarrs-python (obstore)": lambda e: ZarrReader(e, ZARRS_PYTHON, "obstore"),
    "zarrs-python (http)": lambda e: ZarrReader(e, ZARRS_PYTHON, "http"),
    "tensorstore (s3)": lambda e: TensorstoreReader(e, "s3"),
    "tensorstore (http)": lambda e: TensorstoreReader(e, "http"),
    "zarrs_cffi pipeline (s3fs)": lambda e: PipelineReader(e, "s3fs"),
    "zarrs_cffi pipeline (obstore)": lambda e: PipelineReader(e, "obstore"),
    "zarrs_cffi direct (s3)": lambda e: DirectReader(e, "s3"),
    "zarrs_cffi direct (http)": lambda e: DirectReader(e, "http"),
}
DIRECT_S3, DIRECT_HTTP = "zarrs_cffi direct (s3)", "zarrs_cffi direct (http)"
RATIOS = (
    # (title, zarrs_cffi reader, the readers it is compared with: the fastest of them)
    (
        "direct vs best S3 peer",
        DIRECT_S3,
        ("zarr (s3fs)", "zarr (obstore)", "zarrs-python (obstore)", "tensorstore (s3)"),
    ),
    ("direct vs best HTTP peer", DIRECT_HTTP, ("zarr (http)", "zarrs-python (http)", "tensorstore (http)")),
    ("pipeline vs zarr (s3fs)", "zarrs_cffi pipeline (s3fs)", ("zarr (s3fs)",)),
    ("pipeline vs zarr (obstore)", "zarrs_cffi pipeline (obstore)", ("zarr (obstore)",)),
    ("pipeline vs zarrs-python (obstore)", "zarrs_cffi pipeline (obstore)", ("zarrs-python (obstore)",)),
)


def scenario_reads(plan: dict, layout: str, scenario: str) -> tuple[str, list]:
    """(kind of read, the selections) of one scenario on the volume. Points are one
    pointwise read of all of them: remote code batches points, 2000 round trips would only
    measure the latency."""
    shape = plan["geometry"]["volume"]["shape"]
    if scenario == "whole":
        return "basic", [(slice(None),) * 3]
    if scenario == "chunks":
        return "basic", unit_boxes(shape, plan["layouts"][layout]["unit"])
    if scenario == "boxes":
        edge = plan["box"]
        return "basic", [tuple(slice(s, s + edge) for s in start) for start in plan["boxes"]]
    if scenario == "points":
        points = np.array(plan["points"], dtype=np.int64)
        return "vindex", [tuple(points[:, axis] for axis in range(points.shape[1]))]
    raise ValueError(f"unknown scenario {scenario!r}")


def scenario_titles(plan: dict) -> dict[str, str]:
    return {
        "whole": "whole array",
        "chunks": "chunk by chunk",
        "boxes": f"{len(plan['boxes'])} random {plan['box']}³ boxes",
        "points": f"{len(plan['points'])} points (one vindex read)",
    }


def _counts(control: str, kind: str) -> tuple[int, int]:
    """(requests, response bytes) the server of `kind` has seen so far."""
    with urllib.request.urlopen(f"{control}/counts", timeout=30) as response:
        requests, sent = json.load(response)[kind]
    return requests, sent


def worker(
    reader_name: str, data: Path, endpoints: dict[str, str], layouts: list[str], scenarios: list[str], repeats: int
) -> dict:
    """One reader's whole run, in this process: per layout and scenario, an untimed pass
    (values for the digest; connections and metadata warmed up), then `repeats` timed
    ones, each with the requests it caused."""
    plan = json.loads((data / "selections.json").read_text())
    reader = READERS[reader_name](endpoints)
    control = endpoints["control"]
    report: dict = {"times": {}, "requests": {}, "bytes": {}, "digests": {}}
    for layout in layouts:
        array = reader.open(layout)
        for key in ("times", "requests", "bytes", "digests"):
            report[key][layout] = {}
        for scenario in scenarios:
            kind, selections = scenario_reads(plan, layout, scenario)
            read = reader.basic if kind == "basic" else reader.vindex
            report["digests"][layout][scenario] = str(digest([read(array, s) for s in selections]))
            reader.check()
            times, requests, sent = [], [], []
            for _ in range(repeats):
                before = _counts(control, reader.kind)
                start = time.perf_counter()
                for selection in selections:
                    read(array, selection)
                times.append(time.perf_counter() - start)
                after = _counts(control, reader.kind)
                requests.append(after[0] - before[0])
                sent.append(after[1] - before[1])
            report["times"][layout][scenario] = times
            report["requests"][layout][scenario] = requests
            report["bytes"][layout][scenario] = sent
    report["notes"] = reader.notes()
    return report


# --- the servers (each in a process of its own) -------------------------------------------


def serve(kind: str, options: dict, connection: Connection) -> None:
    """Runs one server in this process and answers the driver: its URL first, then
    ("counts" → (requests, bytes)) until "stop"."""
    sys.path.insert(0, str(TESTS))
    import servers

    server: Any
    if kind == "http":
        server = servers.RangeHTTPServer(options["root"], latency_s=options["latency_s"]).start()
        url = server.url
    elif kind == "moto":
        server = servers.MotoS3Server().start()
        server.create_bucket(BUCKET)
        for layout in options["layouts"]:
            server.upload_tree(Path(options["root"]) / layout / "volume.zarr", BUCKET, f"{layout}/volume.zarr")
        url = server.endpoint_url
    elif kind == "proxy":
        server = servers.LatencyProxy(options["target"], latency_s=options["latency_s"]).start()
        url = server.url
    else:
        raise ValueError(kind)
    connection.send(url)
    while (message := connection.recv()) != "stop":
        assert message == "counts"
        connection.send((server.requests, server.bytes_sent) if kind != "moto" else (0, 0))
    server.stop()
    connection.send("stopped")


class ServerProcess:
    def __init__(self, kind: str, options: dict) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited threads or sockets
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve, args=(kind, options, child), daemon=True, name=kind)
        self._process.start()
        self._lock = threading.Lock()
        if not self._connection.poll(300):
            raise RuntimeError(f"the {kind} server did not start")
        self.url: str = self._connection.recv()

    def counts(self) -> tuple[int, int]:
        with self._lock:
            self._connection.send("counts")
            return self._connection.recv()

    def stop(self) -> None:
        with self._lock:
            self._connection.send("stop")
            self._connection.recv()
        self._process.join(30)


class Servers:
    """The HTTP server, moto behind the latency proxy, and a control endpoint through
    which workers read the request counters (`GET /counts`)."""

    def __init__(self, data: Path, layouts: list[str], latency_s: float) -> None:
        self.http = ServerProcess("http", {"root": str(data), "latency_s": latency_s})
        self.moto = ServerProcess("moto", {"root": str(data), "layouts": layouts})
        self.proxy = ServerProcess("proxy", {"target": self.moto.url, "latency_s": latency_s})
        owner = self

        class Control(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"http": owner.http.counts(), "s3": owner.proxy.counts()}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Control)
        threading.Thread(target=self._control.serve_forever, daemon=True).start()

    def endpoints(self) -> dict[str, str]:
        return {
            "http": self.http.url,
            "s3": self.proxy.url,
            "control": f"http://127.0.0.1:{self._control.server_address[1]}",
        }

    def stop(self) -> None:
        self._control.shutdown()
        self._control.server_close()
        for server in (self.proxy, self.moto, self.http):
            server.stop()


# --- the driver ---------------------------------------------------------------------------


def reference_digests(data: Path, layouts: list[str], scenarios: list[str]) -> dict:
    """The digests of every scenario read from the local files with zarr-python."""
    import zarr

    plan = json.loads((data / "selections.json").read_text())
    digests: dict = {}
    for layout in layouts:
        array = zarr.open_array(plan["layouts"][layout]["volume"], mode="r")
        digests[layout] = {}
        for scenario in scenarios:
            kind, selections = scenario_reads(plan, layout, scenario)
            read = array.__getitem__ if kind == "basic" else array.vindex.__getitem__
            digests[layout][scenario] = str(digest([np.asarray(read(s)) for s in selections]))
    return digests


def run_worker(reader: str, data: Path, endpoints: dict[str, str], args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        reader,
        "--endpoints",
        json.dumps(endpoints),
        "--data",
        str(args.data),
        "--size",
        str(args.size),
        "--layouts",
        args.layouts,
        "--scenarios",
        args.scenarios,
        "--repeats",
        str(args.repeats),
    ]
    # numpy's OpenBLAS threads spin for a while after start-up; no reader uses BLAS.
    env = {**os.environ, **AWS_ENV, "OPENBLAS_NUM_THREADS": "1"}
    try:
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=args.reader_timeout)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{reader} did not finish in {args.reader_timeout} s") from error
    if completed.returncode:
        raise RuntimeError(f"{reader} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def versions() -> dict[str, str]:
    found = machine()
    for package in ("s3fs", "fsspec", "aiohttp", "obstore", "moto", "boto3"):
        try:
            found["versions"][package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def tables(
    medians: dict,
    requests: dict,
    readers: list[str],
    skipped: dict[str, str],
    layouts: list[str],
    scenarios: list[str],
    titles: dict[str, str],
    latency_ms: float,
) -> str:
    ratios = [(title, ours, [p for p in peers if p in readers]) for title, ours, peers in RATIOS if ours in readers]
    ratios = [(title, ours, peers) for title, ours, peers in ratios if peers]
    lines = [
        f"Medians in milliseconds, {latency_ms:g} ms of latency per request; ratios above 1 mean zarrs_cffi is faster.",
        "",
        "| layout | scenario | " + " | ".join(readers + [title for title, _, _ in ratios]) + " |",
        "|" + " --- |" * (len(readers) + len(ratios) + 2),
    ]
    for layout in layouts:
        for scenario in scenarios:
            row = {r: medians[r][layout][scenario] for r in readers}
            cells = [f"{row[r] * 1e3:.1f}" for r in readers]
            cells += [ratio(min(row[p] for p in peers), row[ours]) for _, ours, peers in ratios]
            lines.append(f"| {layout} | {titles[scenario]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "HTTP requests per read (all requests the server saw during a timed pass):",
        "",
        "| layout | scenario | " + " | ".join(readers) + " |",
        "|" + " --- |" * (len(readers) + 2),
    ]
    for layout in layouts:
        for scenario in scenarios:
            cells = [f"{requests[r][layout][scenario]:.0f}" for r in readers]
            lines.append(f"| {layout} | {titles[scenario]} | " + " | ".join(cells) + " |")
    if skipped:
        lines += ["", "Skipped:", ""] + [f"- {reader}: {why}" for reader, why in skipped.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="volume edge (multiple of 16)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every request, S3 and HTTP")
    parser.add_argument("--rounds", type=int, default=3, help="processes per reader, interleaved")
    parser.add_argument("--repeats", type=int, default=1, help="timed repeats per process")
    parser.add_argument("--readers", help="comma-separated subset of: " + ", ".join(READERS))
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--data", type=Path, default=Path("/tmp/zarrs-cffi-bench"), help="where the data is written")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--reader-timeout", type=float, default=1800, help="seconds one reader process may take")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # set by the driver: run this reader
    parser.add_argument("--endpoints", help=argparse.SUPPRESS)
    args = parser.parse_args()
    layouts, scenarios = args.layouts.split(","), args.scenarios.split(",")
    data = args.data / f"size-{args.size}"

    if args.worker:
        try:
            report = worker(args.worker, data, json.loads(args.endpoints), layouts, scenarios, args.repeats)
        except Skip as why:
            report = {"skipped": str(why)}
        json.dump(report, sys.stdout)
        return

    readers = args.readers.split(",") if args.readers else list(READERS)
    unknown = sorted(set(readers) - set(READERS))
    if unknown:
        parser.error(f"unknown readers {unknown}; choose from {list(READERS)}")
    print(f"data: {args.size}^3 uint16 under {args.data} ...", file=sys.stderr, flush=True)
    datasets.prepare(args.data, args.size)
    reference = reference_digests(data, layouts, scenarios)
    servers = Servers(data, layouts, args.latency_ms / 1e3)
    samples = {r: {lay: {s: [] for s in scenarios} for lay in layouts} for r in readers}
    request_samples = {r: {lay: {s: [] for s in scenarios} for lay in layouts} for r in readers}
    byte_samples = {r: {lay: {s: [] for s in scenarios} for lay in layouts} for r in readers}
    digests: dict = {}
    notes: dict = {}
    skipped: dict[str, str] = {}
    try:
        endpoints = servers.endpoints()
        for round_index in range(args.rounds):
            shift = round_index % len(readers)
            for reader in readers[shift:] + readers[:shift]:
                if reader in skipped:
                    continue
                started = time.perf_counter()
                report = run_worker(reader, data, endpoints, args)
                elapsed = time.perf_counter() - started
                if "skipped" in report:
                    skipped[reader] = report["skipped"]
                    print(f"{reader}: skipped ({report['skipped']})", file=sys.stderr, flush=True)
                    continue
                print(f"round {round_index + 1}/{args.rounds} {reader}: {elapsed:.1f} s", file=sys.stderr, flush=True)
                digests[reader] = report["digests"]
                notes[reader] = report["notes"]
                for layout in layouts:
                    for scenario in scenarios:
                        samples[reader][layout][scenario] += report["times"][layout][scenario]
                        request_samples[reader][layout][scenario] += report["requests"][layout][scenario]
                        byte_samples[reader][layout][scenario] += report["bytes"][layout][scenario]
    finally:
        servers.stop()

    ran = [r for r in readers if r not in skipped]
    mismatches = [
        f"{reader}: {layout} / {scenario}"
        for reader in ran
        for layout in layouts
        for scenario in scenarios
        if digests[reader][layout][scenario] != reference[layout][scenario]
    ]

    def medians_of(by_reader: dict) -> dict:
        return {
            r: {lay: {s: statistics.median(v) for s, v in by_s.items()} for lay, by_s in by_reader[r].items()}
            for r in ran
        }

    medians, requests = medians_of(samples), medians_of(request_samples)
    titles = scenario_titles(json.loads((data / "selections.json").read_text()))
    table = tables(medians, requests, ran, skipped, layouts, scenarios, titles, args.latency_ms)

    args.out.mkdir(parents=True, exist_ok=True)
    settings = {
        "size": args.size,
        "latency_ms": args.latency_ms,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "layouts": layouts,
        "scenarios": scenarios,
        "readers": ran,
        "skipped": skipped,
        "geometry": datasets.geometry(args.size),
    }
    results = {
        "machine": versions(),
        "settings": settings,
        "samples": {r: samples[r] for r in ran},
        "requests": {r: request_samples[r] for r in ran},
        "bytes": {r: byte_samples[r] for r in ran},
        "medians": medians,
        "median_requests": requests,
        "notes": notes,
        "digest_reference": "zarr-python, local files",
        "digest_mismatches": mismatches,
    }
    (args.out / "remote-results.json").write_text(json.dumps(results, indent=1))
    (args.out / "remote-table.md").write_text(table)
    print(table)
    if mismatches:
        sys.exit("values differ from the local data: " + "; ".join(mismatches))


if __name__ == "__main__":
    main()
