"""Local stand-ins for remote stores: an HTTP file server that honours `Range`, an S3 server
(moto) and a latency-adding reverse proxy. All listen on 127.0.0.1 on a free port and serve
from background threads; each has `start()`/`stop()` and is a context manager.

Used by the remote-store tests and by `benchmarks/remote.py`. Only the standard library is
needed for `RangeHTTPServer` and `LatencyProxy`; `MotoS3Server` needs `moto[server]` and
`boto3` (imported when it starts).
"""

from __future__ import annotations

import email.utils
import http.client
import http.server
import json
import logging
import os
import re
import socket
import socketserver
import struct
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

# Hop-by-hop headers (RFC 9110 §7.6.1) are about one connection; a proxy must not forward them.
HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding"]
    + ["upgrade", "proxy-connection"]
)
BLOCK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Counter:
    """Requests and response body bytes, counted across handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._bytes = 0

    def add_request(self) -> None:
        with self._lock:
            self._requests += 1

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self._bytes += n

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def bytes_sent(self) -> int:
        with self._lock:
            return self._bytes

    def reset(self) -> None:
        with self._lock:
            self._requests = self._bytes = 0


class _Server(http.server.ThreadingHTTPServer):
    """A threaded HTTP/1.1 server that knows its open connections, so they can be cut."""

    daemon_threads = True
    # Handler threads may sit in a keep-alive read or a hang; stop() cuts their connections
    # instead of waiting for them.
    block_on_close = False
    # Clients open dozens of connections at once (64 requests in flight); the default
    # backlog of 5 drops SYNs, which costs a 1 s retransmit each.
    request_queue_size = 1024

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler], owner: Any) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn), which can take
        # seconds without DNS; nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def cut_connections(self, abort: bool) -> None:
        """Ends every open connection; with `abort`, as a crash would (no orderly goodbye)."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                if abort:
                    # Linger 0: the kernel answers the peer's next packet with RST.
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # shutdown (not close) interrupts the handler thread's blocking read or write;
                # close would wait for the handler's file objects to let go of the socket.
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _BackgroundServer:
    """start/stop/kill and the context-manager protocol around a `_Server` in a thread."""

    def __init__(self) -> None:
        self.counter = _Counter()
        # Set on stop or kill: wakes handlers sleeping (latency) or hanging.
        self.stopping = threading.Event()
        self.killed = False
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        self.stopping.clear()
        self.killed = False
        self._httpd = _Server(self._handler(), self)
        # A short poll interval makes stop() and kill() take milliseconds.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def _close(self, abort: bool) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.killed = self.killed or abort
        self.stopping.set()
        if abort:
            httpd.cut_connections(abort=True)
        httpd.shutdown()
        httpd.server_close()  # closes the listening socket: new connections are refused
        httpd.cut_connections(abort=abort)
        assert self._thread is not None
        self._thread.join()

    def stop(self) -> None:
        """Stops serving; open connections are closed."""
        self._close(abort=False)

    def kill(self) -> None:
        """Dies as a crashed server would: the listening socket and every open connection are
        closed at once, responses in progress are cut off, new connections are refused."""
        self._close(abort=True)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> int:
        """Requests received since start (or the last reset()), whatever was answered."""
        return self.counter.requests

    @property
    def bytes_sent(self) -> int:
        """Response body bytes sent since start (or the last reset())."""
        return self.counter.bytes_sent

    def reset(self) -> None:
        self.counter.reset()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Shared by the file server and the proxy: keep-alive, connection tracking, quiet logs."""

    protocol_version = "HTTP/1.1"  # keep-alive, as S3 and every CDN serve
    # Headers and body go out in separate writes; with Nagle's algorithm the body waits for
    # the client's delayed ACK of the headers (40 ms on Linux) on every response.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # the connection was cut (kill) or the client went away

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            # Cut connections (kill, stop) and clients that hang up mid-response end here.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown test output

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """A complete response that keeps the connection open (unlike send_error)."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            # Counted before sending, so a client that has the body also sees it counted.
            self.server.owner.counter.add_bytes(len(body))
            self.wfile.write(body)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """The byte range [start, stop) a `Range` header asks of a `size`-byte file: None for the
    whole file (no header, or one this server ignores, as RFC 9110 allows: syntax errors and
    multiple ranges), "unsatisfiable" when no byte of it exists."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, so ignored
    if start >= size:
        return "unsatisfiable"
    return start, size if not last else min(int(last) + 1, size)


class RangeHTTPServer(_BackgroundServer):
    """Serves the files under `root` for GET and HEAD, like a static file host or an object
    store's public HTTP endpoint: single byte ranges (206, 416), 404 for anything that is not
    a file, Content-Length on every response, keep-alive.

    `latency_s` is waited before each response; `fail_first=n` answers the first n requests
    with 503 (a throttling or restarting server); `hang=True` (also settable while running)
    accepts requests and never answers them.
    """

    def __init__(self, root: str | os.PathLike[str], latency_s: float = 0.0, fail_first: int = 0, hang: bool = False):
        super().__init__()
        self.root = Path(root).resolve()
        self.latency_s = latency_s
        self.hang = hang
        self._failures_left = fail_first
        self._failures_lock = threading.Lock()

    def take_failure(self) -> bool:
        with self._failures_lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                return True
            return False

    def resolve(self, url_path: str) -> Path | None:
        """The file a request path names, or None when it is missing or outside the root."""
        relative = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path).lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        return _FileHandler


class _FileHandler(_Handler):
    def do_HEAD(self) -> None:
        self.serve()

    def do_GET(self) -> None:
        self.serve()

    def serve(self) -> None:
        owner: RangeHTTPServer = self.server.owner
        owner.counter.add_request()
        if owner.hang:
            owner.stopping.wait()  # until stop or kill; then the connection is closed unanswered
            self.close_connection = True
            return
        if owner.latency_s and owner.stopping.wait(owner.latency_s):
            self.close_connection = True
            return
        if owner.take_failure():
            self.reply(503, b"Service Unavailable\n", {"Content-Type": "text/plain", "Retry-After": "0"})
            return
        path = owner.resolve(self.path)
        if path is None:
            self.reply(404, b"Not Found\n", {"Content-Type": "text/plain"})
            return
        stat = path.stat()
        size = stat.st_size
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "ETag": f'"{stat.st_mtime_ns:x}-{size:x}"',
        }
        wanted = parse_range(self.headers.get("Range"), size) if self.command == "GET" else None
        if wanted == "unsatisfiable":
            self.reply(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
            return
        if wanted is None:
            status, start, stop = 200, 0, size
        else:
            assert isinstance(wanted, tuple)
            start, stop = wanted
            status = 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(stop - start))
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as file:
            file.seek(start)
            left = stop - start
            while left:
                if owner.killed:
                    raise ConnectionAbortedError("killed")
                block = file.read(min(BLOCK, left))
                if not block:
                    raise ConnectionAbortedError(f"{path} shrank while being served")
                owner.counter.add_bytes(len(block))
                self.wfile.write(block)
                left -= len(block)


class LatencyProxy(_BackgroundServer):
    """A reverse proxy that waits `latency_s` before forwarding each request to `target_url`,
    as a far-away object store would: the method, path, query, headers (Host included, so
    SigV4 signatures stay valid) and body go through unchanged, the response streams back.
    Each client connection gets its own keep-alive connection upstream."""

    def __init__(self, target_url: str, latency_s: float) -> None:
        super().__init__()
        target = urllib.parse.urlsplit(target_url)
        if target.scheme != "http" or target.hostname is None:
            raise ValueError(f"LatencyProxy forwards to http:// URLs, not {target_url!r}")
        self.target_host = target.hostname
        self.target_port = target.port or 80
        self.latency_s = latency_s

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        return _ProxyHandler


class _ProxyHandler(_Handler):
    upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
        super().finish()

    def do_GET(self) -> None:
        self.forward()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def request_body(self) -> bytes | Iterator[bytes] | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunks()
        length = int(self.headers.get("Content-Length", 0))
        return self.rfile.read(length) if length else None

    def _chunks(self) -> Iterator[bytes]:
        # Re-chunked upstream as read: chunked bodies are forwarded chunked.
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def send_upstream(self, body: bytes | Iterator[bytes] | None) -> http.client.HTTPResponse:
        owner: LatencyProxy = self.server.owner
        chunked = body is not None and not isinstance(body, bytes)
        for attempt in (1, 2):
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(owner.target_host, owner.target_port, timeout=60)
                self.upstream.connect()
                # As in _Handler: no 40 ms stall between a request's headers and its body.
                self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.upstream.putheader(name, value)
                if chunked:
                    self.upstream.putheader("Transfer-Encoding", "chunked")
                self.upstream.endheaders()
                if isinstance(body, bytes):
                    self.upstream.send(body)
                elif body is not None:
                    for piece in body:
                        self.upstream.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.upstream.send(b"0\r\n\r\n")
                return self.upstream.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the upstream had already closed: one retry on a
                # fresh one (a streamed body cannot be replayed).
                self.upstream.close()
                self.upstream = None
                if attempt == 2 or chunked:
                    raise
        raise AssertionError("unreachable")

    def forward(self) -> None:
        owner: LatencyProxy = self.server.owner
        owner.counter.add_request()
        body = self.request_body()
        if owner.latency_s and owner.stopping.wait(owner.latency_s):
            self.close_connection = True
            return
        try:
            response = self.send_upstream(body)
        except OSError as error:
            self.reply(502, f"upstream: {error}\n".encode(), {"Content-Type": "text/plain"})
            return
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        bodiless = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        # Without a length upstream, the body is relayed chunked (keeps our connection alive).
        chunked = not bodiless and response.getheader("Content-Length") is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if bodiless:
            response.read()
            return
        while block := response.read1(BLOCK):
            owner.counter.add_bytes(len(block))
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        if response.will_close:
            self.upstream.close()  # type: ignore[union-attr]
            self.upstream = None


@dataclass(frozen=True)
class Credentials:
    key: str
    secret: str


class MotoS3Server:
    """An S3 endpoint on 127.0.0.1 (moto's ThreadedMotoServer) with helpers to create
    buckets, upload directory trees and set who may read them.

    Without `require_auth()`, moto accepts any credentials (the tests use key and secret
    "testing", region us-east-1) and anonymous requests for objects whose bucket policy or
    ACL allows public reads (`create_bucket(..., public=True)`); a private bucket answers
    anonymous reads with 403. `require_auth()` makes moto check signatures against IAM users:
    it returns the credentials of a user who may read everything, and any other key or
    secret gets 403.

    moto keeps its state (buckets, IAM users, the auth switch) per process, not per server,
    so one MotoS3Server runs at a time in a process; start() begins from an empty state.
    """

    KEY = SECRET = "testing"
    REGION = "us-east-1"
    _running: ClassVar[MotoS3Server | None] = None

    def __init__(self) -> None:
        self._server: Any = None
        self._auth_enabled = False

    def start(self) -> Self:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from moto.server import ThreadedMotoServer

        # werkzeug writes a response's headers and body separately: without TCP_NODELAY
        # each response stalls 40 ms on the client's delayed ACK (see _Handler).
        MotoRequestHandler.disable_nagle_algorithm = True

        # werkzeug logs a line per request at INFO; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if MotoS3Server._running is not None:
            raise RuntimeError("another MotoS3Server is running in this process (moto's state is global)")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        MotoS3Server._running = self
        self._moto_api("reset")
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        if self._auth_enabled:
            self._set_auth(float("inf"))
        self._moto_api("reset")
        self._server.stop()
        self._server = None
        MotoS3Server._running = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def _moto_api(self, action: str, data: bytes = b"") -> None:
        # Not form-encoded (urllib's default), or Flask hides the body from moto.
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/{action}", data=data, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def _set_auth(self, free_requests: float) -> None:
        # moto checks signatures and IAM policies once this many requests have passed
        # (INITIAL_NO_AUTH_ACTION_COUNT; inf turns checking off again).
        self._moto_api("reset-auth", str(free_requests).encode())

    def client(self, service: str = "s3", credentials: Credentials | None = None, endpoint_url: str | None = None):
        """A boto3 client for this server (or for `endpoint_url`, e.g. a proxy in front of it)."""
        import boto3

        credentials = credentials or Credentials(self.KEY, self.SECRET)
        return boto3.client(
            service,
            endpoint_url=endpoint_url or self.endpoint_url,
            aws_access_key_id=credentials.key,
            aws_secret_access_key=credentials.secret,
            region_name=self.REGION,
        )

    def create_bucket(self, bucket: str, public: bool = False) -> None:
        self.client().create_bucket(Bucket=bucket)
        if public:
            self.set_public_read(bucket)

    def set_public_read(self, bucket: str) -> None:
        """Anyone, signed or not, may list the bucket and read its objects."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    # moto checks HEAD requests as "s3:HeadObject" (AWS as s3:GetObject).
                    "Action": ["s3:GetObject", "s3:HeadObject", "s3:ListBucket"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
        self.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def set_private(self, bucket: str) -> None:
        """Only signed requests may read (anonymous reads get 403)."""
        self.client().delete_bucket_policy(Bucket=bucket)

    def deny_reads(self, bucket: str) -> None:
        """Every read of an object gets 403, whoever asks (a policy with an explicit Deny)."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
        self.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def upload_tree(self, directory: str | os.PathLike[str], bucket: str, prefix: str = "") -> int:
        """Uploads every file under `directory` to `bucket` as `prefix/<relative path>`;
        returns the number of objects."""
        s3 = self.client()
        root = Path(directory)
        count = 0
        for path in sorted(root.rglob("*")):
            if path.is_file():
                key = "/".join(part for part in (prefix.strip("/"), path.relative_to(root).as_posix()) if part)
                s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
                count += 1
        return count

    def require_auth(self) -> Credentials:
        """From now on requests must be signed with valid credentials: returns those of an IAM
        user allowed everything on S3; other keys or secrets are answered with 403."""
        iam = self.client("iam")
        iam.create_user(UserName="reader")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="reader", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        self._set_auth(0)
        self._auth_enabled = True
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def s3fs_options(self, credentials: Credentials | None = None, endpoint_url: str | None = None) -> dict[str, Any]:
        """storage_options for s3fs (and zarrs_cffi) reading from this server."""
        credentials = credentials or Credentials(self.KEY, self.SECRET)
        return {
            "key": credentials.key,
            "secret": credentials.secret,
            "endpoint_url": endpoint_url or self.endpoint_url,
            "client_kwargs": {"region_name": self.REGION},
        }
