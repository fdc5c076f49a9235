"""A small HTTP/1.1 server on asyncio, bound to 127.0.0.1 only.

Why not `http.server.ThreadingHTTPServer`: it spends a thread per connection, parses headers
through `email.parser`, and measured at well under the 1,500 signed requests/s the job
benchmarks need on a 2-core box once the client shares the machine. An `asyncio.Protocol`
with a minimal parser serves keep-alive connections from one event loop in one background
thread, costs a few tens of microseconds per request, and lets a `timeout` fault hold a
connection open without holding a thread. Only what HTTP clients of the three platforms send
is supported: request line + headers, `Content-Length` or chunked bodies, keep-alive,
pipelining (requests on one connection are answered in order), `Connection: close`,
`Expect: 100-continue`. Anything malformed gets a 400 and the connection is closed; a handler
that raises gets a 500; neither stops the server.

Handlers are synchronous (they run on the loop thread): they return a `Response`, or a
`Hold` to simulate a lost response (the connection is held `seconds`, then closed unanswered).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

log = logging.getLogger("shelf_tui.sandbox")

#: The only address the sandbox ever binds: it is a test double, not a service.
LOOPBACK = "127.0.0.1"

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024

REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}

JSON = "application/json;charset=UTF-8"


@dataclass(slots=True)
class Request:
    """One parsed request. Header names are lower-case; `path` is percent-decoded."""

    method: str
    target: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    version: str


@dataclass(slots=True)
class Response:
    """A complete response; `Content-Length` and `Connection` are added when sent."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Hold:
    """Do not answer: keep the connection open `seconds`, then close it (a lost response)."""

    seconds: float


Handler = Callable[[Request], Response | Hold]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error_body(status: int, message: str) -> bytes:
    return json.dumps(
        {"message": message, "error": "bad_request", "status": status, "cause": []}
    ).encode()


class _Protocol(asyncio.Protocol):
    """One connection: parse, dispatch, answer in order, keep alive."""

    __slots__ = (
        "_body_len",
        "_buf",
        "_chunked",
        "_closed",
        "_head",
        "_holding",
        "_server",
        "_transport",
    )

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        self._head: tuple[str, str, str, dict[str, str]] | None = None
        self._body_len = 0
        self._chunked = False
        self._holding = False
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Track the connection so that `HttpServer.stop()` can close it."""
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection; anything still buffered is dropped."""
        self._closed = True
        if self._transport is not None:
            self._server.connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        """Buffer bytes and answer every complete request in them, in order."""
        if self._holding or self._closed:
            return
        self._buf += data
        try:
            self._drain()
        except _BadRequest as exc:
            self._fail(exc.status, str(exc))

    def _fail(self, status: int, message: str) -> None:
        body = _error_body(status, message)
        self._write(Response(status, body), keep_alive=False)

    def _write(self, resp: Response, *, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None or self._closed:
            return
        lines = [
            f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Unknown')}\r\n"
            f"Content-Type: {resp.content_type}\r\nContent-Length: {len(resp.body)}\r\n"
        ]
        for name, value in resp.headers:
            lines.append(f"{name}: {value}\r\n")
        if not keep_alive:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        transport.write("".join(lines).encode("latin-1") + resp.body)
        if not keep_alive:
            self._closed = True
            transport.close()

    def _parse_head(self, raw: bytes) -> None:
        try:
            text = raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            raise _BadRequest(400, "undecodable request head") from None
        lines = text.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
            raise _BadRequest(400, "malformed request line")
        method, target, version = parts
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _BadRequest(
                505 if version.startswith("HTTP/") else 400, "unsupported HTTP version"
            )
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequest(400, "malformed header line")
            headers[name.lower()] = value.strip()
        te = headers.get("transfer-encoding", "").lower()
        self._chunked = te == "chunked"
        if te and not self._chunked:
            raise _BadRequest(501, "unsupported transfer-encoding")
        cl = headers.get("content-length")
        if cl is not None and not self._chunked:
            if not cl.isdigit():
                raise _BadRequest(400, "invalid content-length")
            self._body_len = int(cl)
            if self._body_len > MAX_BODY:
                raise _BadRequest(413, "body too large")
        else:
            self._body_len = 0
        self._head = (method, target, version, headers)
        if headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _take_chunked(self) -> bytes | None:
        """Decode a complete chunked body from the buffer, or None if more data is needed."""
        buf = self._buf
        pos = 0
        out = bytearray()
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                if len(buf) - pos > 1024:
                    raise _BadRequest(400, "malformed chunk size")
                return None
            size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadRequest(400, "malformed chunk size") from None
            if size < 0:
                raise _BadRequest(400, "malformed chunk size")
            pos = eol + 2
            if size == 0:
                end = buf.find(b"\r\n\r\n", pos - 2)  # trailers end with an empty line
                if end < 0:
                    return None
                del buf[: end + 4]
                return bytes(out)
            if len(buf) < pos + size + 2:
                return None
            out += buf[pos : pos + size]
            if buf[pos + size : pos + size + 2] != b"\r\n":
                raise _BadRequest(400, "malformed chunk")
            pos += size + 2
            if len(out) > MAX_BODY:
                raise _BadRequest(413, "body too large")

    def _drain(self) -> None:
        buf = self._buf
        while not self._holding and not self._closed:
            if self._head is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise _BadRequest(431, "request head too large")
                    return
                raw = bytes(buf[:end])
                del buf[: end + 4]
                if not raw:  # tolerate stray CRLFs between pipelined requests
                    continue
                self._parse_head(raw)
            assert self._head is not None
            if self._chunked:
                chunked = self._take_chunked()
                if chunked is None:
                    return
                body = chunked
            else:
                if len(buf) < self._body_len:
                    return
                body = bytes(buf[: self._body_len])
                del buf[: self._body_len]
            method, target, version, headers = self._head
            self._head = None
            self._dispatch(method, target, version, headers, body)

    def _dispatch(
        self, method: str, target: str, version: str, headers: dict[str, str], body: bytes
    ) -> None:
        if target.startswith(("http://", "https://")):  # absolute-form (proxies)
            slash = target.find("/", target.find("//") + 2)
            target = target[slash:] if slash >= 0 else "/"
        raw_path, _, query = target.partition("?")
        conn = headers.get("connection", "").lower()
        keep_alive = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
        request = Request(method, target, unquote(raw_path), query, headers, body, version)
        try:
            result = self._server.handler(request)
        except Exception:  # a handler bug is a 500, never a dead server
            log.exception("sandbox handler failed on %s %s", method, target)
            result = Response(
                500,
                b'{"message":"sandbox internal error","error":"internal_error",'
                b'"status":500,"cause":[]}',
            )
        if isinstance(result, Hold):
            self._hold(result.seconds)
            return
        self._write(result, keep_alive=keep_alive)

    def _hold(self, seconds: float) -> None:
        """Simulate a response lost in transit: answer nothing, close later."""
        transport = self._transport
        if transport is None:
            return
        self._holding = True
        transport.pause_reading()
        loop = asyncio.get_running_loop()
        if seconds <= 0:
            transport.abort()
        else:
            loop.call_later(seconds, transport.abort)


class HttpServer:
    """The event loop thread and its listening socket on 127.0.0.1."""

    def __init__(self, handler: Handler, port: int = 0) -> None:
        self.handler = handler
        self.requested_port = port
        self.port = 0
        self.connections: set[asyncio.Transport] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True between a successful `start()` and `stop()`."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Bind 127.0.0.1 and serve in a daemon thread; returns once listening."""
        if self.running:
            return
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(
                        lambda: _Protocol(self),
                        host=LOOPBACK,
                        port=self.requested_port,
                        reuse_address=True,
                        backlog=1024,
                    )
                )
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                loop.close()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            try:
                loop.run_forever()
            finally:
                self._server.close()
                for transport in list(self.connections):
                    transport.abort()
                loop.run_until_complete(asyncio.sleep(0))
                loop.close()

        self._thread = threading.Thread(target=run, name="shelf-sandbox-http", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread.join()
            self._thread = None
            raise errors[0]

    def stop(self) -> None:
        """Close the socket and every connection, stop the loop, join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self._server = None
