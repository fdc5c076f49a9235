"""A one-shot listener for a redirect URI on this machine (`http://127.0.0.1:8765/callback`).

When the app's registered redirect URI is on 127.0.0.1 or localhost and the seller approves in
a browser on the same machine, the browser's redirect lands here and the sign-in finishes by
itself. It is optional: pasting the code still works meanwhile, and a port that is taken or
privileged simply means no listener (the seller pastes).

Only a request to the redirect path that carries this sign-in's `state` is taken (anything
else gets a 400 and the listener keeps waiting), so another local process cannot feed it a
foreign code. The captured address goes to `on_redirect` (called from the listener's thread,
after the browser got its answer; it must not call `stop()`) and to `wait()`; `wakeup_fd`
becomes readable then, for callers that `select()` on it next to stdin.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from shelf_tui import logs

log = logs.get("auth.loopback")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

_DONE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>shelf</title></head><body>"
    b"<h1>shelf got the sign-in</h1><p>You can close this tab and go back to the terminal.</p>"
    b"</body></html>"
)


def loopback_target(redirect_uri: str) -> tuple[str, int, str] | None:
    """(host, port, path) when `redirect_uri` is a plain-http address on this machine with an
    explicit port; None otherwise (nothing to listen on)."""
    if not redirect_uri:
        return None
    parts = urlsplit(redirect_uri)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or not port:
        return None
    return parts.hostname, port, parts.path or "/"


class RedirectListener:
    """Serve the redirect URI until the first request that carries `state`."""

    def __init__(
        self,
        redirect_uri: str,
        state: str,
        on_redirect: Callable[[str], None] | None = None,
    ) -> None:
        target = loopback_target(redirect_uri)
        if target is None:
            raise ValueError("not a loopback redirect URI with a port")
        self.host, self.port, self.path = target
        self._state = state
        self.on_redirect = on_redirect
        self.url: str | None = None
        self._done = threading.Event()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()

    @property
    def wakeup_fd(self) -> int:
        """Readable once a redirect was captured (for `select` next to stdin)."""
        return self._wake_r

    def start(self) -> bool:
        """Listen; False (and a log line) when the port cannot be had."""
        listener = self
        bind_host = "127.0.0.1" if self.host == "localhost" else self.host

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = listener._take(self.path)
                body = _DONE if status == 200 else b"not this sign-in\n"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if status == 200 and listener.on_redirect is not None and listener.url:
                    # After the answer: the callback may take its time, the browser need not.
                    listener.on_redirect(listener.url)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the query carries the code: never log it

        server_cls = HTTPServer
        if ":" in bind_host:
            import socket

            class V6(HTTPServer):
                address_family = socket.AF_INET6

            server_cls = V6
        try:
            self._server = server_cls((bind_host, self.port), Handler)
        except OSError as exc:
            log.info("no redirect listener on %s:%s (%s)", bind_host, self.port, exc.strerror)
            return False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        return True

    def _take(self, raw_path: str) -> int:
        parts = urlsplit(raw_path)
        if parts.path != self.path or self._done.is_set():
            return 404
        params = parse_qs(parts.query)
        state = (params.get("state") or [""])[0]
        if not (params.get("code") or params.get("error")) or not hmac.compare_digest(
            state.encode(), self._state.encode()
        ):
            return 400
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}{raw_path}"
        self._done.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        return 200

    def wait(self, timeout: float | None = None) -> str | None:
        """The captured redirect address, or None on timeout."""
        self._done.wait(timeout)
        return self.url

    def stop(self) -> None:
        """Stop listening (idempotent); the request being answered finishes first."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1
