"""The local test servers (tests/servers.py) behave as the remote-store tests assume,
checked with plain urllib, http.client and boto3."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import Credentials, LatencyProxy, MotoS3Server, RangeHTTPServer, parse_range

CONTENT = bytes(range(256)) * 4096  # 1 MiB: larger than one send block


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data.bin").write_bytes(CONTENT)
    (tmp_path / "array.zarr" / "c").mkdir(parents=True)
    (tmp_path / "array.zarr" / "zarr.json").write_text('{"zarr_format": 3}')
    (tmp_path / "empty.bin").write_bytes(b"")
    return tmp_path


@pytest.fixture
def server(root: Path) -> Iterator[RangeHTTPServer]:
    with RangeHTTPServer(root) as running:
        yield running


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET", timeout: float = 10):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=10-", (10, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-1000", (0, 100)),
        ("bytes=90-1000", (90, 100)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=5-2", None),  # invalid: ignored
        ("bytes=0-1,5-6", None),  # multiple ranges: ignored
        ("items=0-1", None),
    ],
)
def test_range_headers_are_parsed_as_rfc_9110_says(header: str | None, expected: object) -> None:
    assert parse_range(header, 100) == expected


def test_whole_files_and_byte_ranges(server: RangeHTTPServer) -> None:
    url = f"{server.url}/data.bin"
    status, headers, body = get(url)
    assert (status, body, headers["Content-Length"], headers["Accept-Ranges"]) == (
        200,
        CONTENT,
        str(len(CONTENT)),
        "bytes",
    )

    status, headers, body = get(url, {"Range": "bytes=1000-1999"})
    assert (status, body, headers["Content-Range"]) == (206, CONTENT[1000:2000], f"bytes 1000-1999/{len(CONTENT)}")
    assert headers["Content-Length"] == "1000"

    status, headers, body = get(url, {"Range": "bytes=1048000-"})
    assert (status, body) == (206, CONTENT[1048000:])

    status, headers, body = get(url, {"Range": "bytes=-16"})
    assert (status, body, headers["Content-Range"]) == (
        206,
        CONTENT[-16:],
        f"bytes {len(CONTENT) - 16}-{len(CONTENT) - 1}/{len(CONTENT)}",
    )

    status, headers, body = get(url, {"Range": f"bytes={len(CONTENT)}-"})
    assert (status, body, headers["Content-Range"], headers["Content-Length"]) == (
        416,
        b"",
        f"bytes */{len(CONTENT)}",
        "0",
    )


def test_head_reports_the_length_without_a_body(server: RangeHTTPServer) -> None:
    status, headers, body = get(f"{server.url}/data.bin", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(len(CONTENT)), b"")
    assert headers["ETag"] and headers["Last-Modified"]


@pytest.mark.parametrize("path", ["missing.bin", "array.zarr/c", "array.zarr/c/0/0", "../outside", "%2e%2e/outside"])
def test_anything_but_a_file_under_the_root_is_404(server: RangeHTTPServer, root: Path, path: str) -> None:
    (root.parent / "outside").write_text("secret")
    status, headers, body = get(f"{server.url}/{path}")
    assert status == 404
    assert headers["Content-Length"] == str(len(body))


def test_paths_are_url_decoded(root: Path) -> None:
    (root / "with space.bin").write_bytes(b"spaced")
    with RangeHTTPServer(root) as server:
        assert get(f"{server.url}/with%20space.bin")[2] == b"spaced"
        assert get(f"{server.url}/array.zarr/zarr.json?x=1")[2] == b'{"zarr_format": 3}'


def test_one_connection_serves_many_requests_including_errors(server: RangeHTTPServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path, range_header, status in [
        ("/data.bin", "bytes=0-3", 206),
        ("/missing", None, 404),
        ("/data.bin", f"bytes={len(CONTENT)}-", 416),
        ("/data.bin", None, 200),
    ]:
        connection.request("GET", path, headers={"Range": range_header} if range_header else {})
        response = connection.getresponse()
        response.read()
        assert response.status == status
        assert not response.will_close
    connection.close()
    assert server.requests == 4


def test_requests_and_bytes_are_counted_across_threads(server: RangeHTTPServer) -> None:
    get(f"{server.url}/data.bin", {"Range": "bytes=0-99"})
    assert (server.requests, server.bytes_sent) == (1, 100)
    server.reset()
    threads = [threading.Thread(target=get, args=(f"{server.url}/data.bin", {"Range": "bytes=-10"})) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (server.requests, server.bytes_sent) == (32, 320)


def test_the_first_requests_fail_with_503_then_succeed(root: Path) -> None:
    with RangeHTTPServer(root, fail_first=2) as server:
        assert [get(f"{server.url}/data.bin")[0] for _ in range(3)] == [503, 503, 200]
        assert server.requests == 3


def test_latency_is_added_to_every_response(root: Path) -> None:
    with RangeHTTPServer(root, latency_s=0.2) as server:
        started = time.perf_counter()
        assert get(f"{server.url}/missing")[0] == 404
        assert get(f"{server.url}/data.bin", {"Range": "bytes=0-0"})[2] == CONTENT[:1]
        assert time.perf_counter() - started >= 0.4


def test_a_killed_server_cuts_reads_in_flight_and_refuses_new_ones(root: Path) -> None:
    server = RangeHTTPServer(root, latency_s=0.5).start()
    port = server.port
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        try:
            outcome.append(get(f"{server.url}/data.bin")[2])
        except Exception as error:  # the failure is the outcome
            outcome.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)
    started = time.perf_counter()
    server.kill()
    reader.join(5)
    assert time.perf_counter() - started < 2
    assert len(outcome) == 1 and isinstance(outcome[0], (ConnectionError, http.client.HTTPException, OSError))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_server_killed_mid_body_truncates_the_response(root: Path) -> None:
    (root / "large.bin").write_bytes(CONTENT * 64)
    server = RangeHTTPServer(root).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/large.bin")
    response = connection.getresponse()
    first = response.read(1000)
    server.kill()
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        while response.read(1 << 20):
            pass
    assert first == CONTENT[:1000]
    connection.close()


def test_a_hanging_server_accepts_and_never_answers(root: Path) -> None:
    with RangeHTTPServer(root, hang=True) as server:
        started = time.perf_counter()
        with pytest.raises((TimeoutError, socket.timeout)):
            get(f"{server.url}/data.bin", timeout=0.5)
        assert time.perf_counter() - started < 3
        server.hang = False
        assert get(f"{server.url}/data.bin")[0] == 200
        assert server.requests == 2


def test_stop_returns_with_idle_keep_alive_connections_open(root: Path) -> None:
    server = RangeHTTPServer(root).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/data.bin")
    connection.getresponse().read()
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 2
    connection.close()


def test_the_proxy_adds_latency_and_forwards_ranges_and_errors(server: RangeHTTPServer) -> None:
    with LatencyProxy(server.url, latency_s=0.1) as proxy:
        started = time.perf_counter()
        status, headers, body = get(f"{proxy.url}/data.bin", {"Range": "bytes=-5"})
        assert (status, body, headers["Content-Range"]) == (
            206,
            CONTENT[-5:],
            f"bytes {len(CONTENT) - 5}-{len(CONTENT) - 1}/{len(CONTENT)}",
        )
        assert get(f"{proxy.url}/missing")[0] == 404
        assert get(f"{proxy.url}/data.bin")[2] == CONTENT
        assert time.perf_counter() - started >= 0.3
        assert (proxy.requests, server.requests) == (3, 3)
        assert proxy.bytes_sent == 5 + len(b"Not Found\n") + len(CONTENT)


def test_the_proxy_answers_502_when_the_target_is_gone(root: Path) -> None:
    server = RangeHTTPServer(root).start()
    with LatencyProxy(server.url, latency_s=0) as proxy:
        server.stop()
        assert get(f"{proxy.url}/data.bin")[0] == 502


@pytest.fixture
def s3(root: Path) -> Iterator[MotoS3Server]:
    pytest.importorskip("moto.server", reason="moto[server] and boto3 are in the test extra")
    with MotoS3Server() as running:
        running.create_bucket("public", public=True)
        running.create_bucket("private")
        for bucket in ("public", "private"):
            assert running.upload_tree(root, bucket, "prefix/") == 3
        yield running


def status_of(call: Callable[[], object]) -> int:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def test_uploaded_trees_are_readable_with_ranges(s3: MotoS3Server) -> None:
    client = s3.client()
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="private", Prefix="prefix/")["Contents"])
    assert keys == ["prefix/array.zarr/zarr.json", "prefix/data.bin", "prefix/empty.bin"]
    part = client.get_object(Bucket="private", Key="prefix/data.bin", Range="bytes=100-199")
    assert (part["ResponseMetadata"]["HTTPStatusCode"], part["Body"].read()) == (206, CONTENT[100:200])
    assert status_of(lambda: client.get_object(Bucket="private", Key="prefix/missing")) == 404


def test_anonymous_reads_need_a_public_bucket(s3: MotoS3Server) -> None:
    status, _, body = get(f"{s3.endpoint_url}/public/prefix/data.bin", {"Range": "bytes=0-9"})
    assert (status, body) == (206, CONTENT[:10])
    assert get(f"{s3.endpoint_url}/public/prefix/data.bin", method="HEAD")[0] == 200
    assert get(f"{s3.endpoint_url}/private/prefix/data.bin")[0] == 403
    s3.set_private("public")
    assert get(f"{s3.endpoint_url}/public/prefix/data.bin")[0] == 403


def test_a_deny_policy_refuses_every_read(s3: MotoS3Server) -> None:
    s3.deny_reads("private")
    assert status_of(lambda: s3.client().get_object(Bucket="private", Key="prefix/data.bin")) == 403


def test_with_auth_required_wrong_credentials_get_403(s3: MotoS3Server) -> None:
    credentials = s3.require_auth()
    read = lambda creds: lambda: s3.client(credentials=creds).get_object(Bucket="private", Key="prefix/data.bin")  # noqa: E731
    assert status_of(read(credentials)) == 200
    assert status_of(read(Credentials(credentials.key, "wrong"))) == 403  # SignatureDoesNotMatch
    assert status_of(read(Credentials("testing", "testing"))) == 403  # InvalidAccessKeyId
    assert s3.s3fs_options(credentials)["key"] == credentials.key


def test_signed_requests_pass_through_the_proxy(s3: MotoS3Server) -> None:
    with LatencyProxy(s3.endpoint_url, latency_s=0.05) as proxy:
        client = s3.client(endpoint_url=proxy.url)
        started = time.perf_counter()
        client.put_object(Bucket="private", Key="via-proxy", Body=b"x" * 1000)
        part = client.get_object(Bucket="private", Key="via-proxy", Range="bytes=-3")["Body"].read()
        head = client.head_object(Bucket="private", Key="prefix/data.bin")
        assert (part, head["ContentLength"]) == (b"xxx", len(CONTENT))
        assert time.perf_counter() - started >= 0.15
        assert proxy.requests == 3
    # Through the proxy with auth on: the signature (which covers Host) still holds.
    credentials = s3.require_auth()
    with LatencyProxy(s3.endpoint_url, latency_s=0) as proxy:
        client = s3.client(credentials=credentials, endpoint_url=proxy.url)
        assert client.get_object(Bucket="private", Key="via-proxy")["Body"].read() == b"x" * 1000


def test_one_moto_server_at_a_time(s3: MotoS3Server) -> None:
    with pytest.raises(RuntimeError, match="another MotoS3Server"):
        MotoS3Server().start()
