"""The HTTP plumbing every connector shares: one keep-alive client per shop, the shop's
throttle before every call, transport failures mapped to typed errors, JSON parsed into one
clear error when it does not parse.

No httpx exception ever leaves this module: a timeout or a refused connection is Transient, a
body that is not JSON (an HTML error page, a truncated answer) is MalformedResponse. Messages
name the platform and the operation, never a URL with its query, a token or a signature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from shelf_tui import logs
from shelf_tui.marketplaces.errors import MalformedResponse, Rejected, Transient
from shelf_tui.marketplaces.throttle import Throttle

#: Connect fast, but give a slow page of 200 items time to arrive.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: A small pool: httpcore scans every connection for every queued request, so 16 connections
#: with 8 requests in flight cost 60% more client CPU per item than 8 with 4 (bench/sync.py).
DEFAULT_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=8)


def new_client(timeout: httpx.Timeout | float | None = None) -> httpx.AsyncClient:
    """The one AsyncClient of a shop: HTTP/1.1 keep-alive, timeouts set, no redirects (an
    API answering 30x is misconfigured, and following it could leak a token elsewhere)."""
    return httpx.AsyncClient(
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        limits=DEFAULT_LIMITS,
        follow_redirects=False,
        headers={"User-Agent": "shelf-tui"},
    )


class Wire:
    """A shop's client and throttle. `owns_client` decides whether aclose() closes it."""

    def __init__(
        self,
        platform: str,
        client: httpx.AsyncClient | None,
        throttle: Throttle,
    ) -> None:
        self.platform = platform
        self.owns_client = client is None
        self.client = client if client is not None else new_client()
        self.throttle = throttle
        self.calls = 0
        self.log = logs.get(f"marketplaces.{platform}")

    async def send(
        self,
        method: str,
        url: str,
        op: str,
        *,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        throttled: bool = True,
    ) -> httpx.Response:
        """One request after the throttle allows it; transport failures become Transient."""
        if throttled:
            await self.throttle.acquire()
        self.calls += 1
        try:
            return await self.client.request(
                method, url, content=content, data=data, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            self.log.info("%s %s: timeout (%s)", self.platform, op, type(exc).__name__)
            raise Transient(
                f"{self.platform}: {op}: no answer in time ({type(exc).__name__}); "
                "the call may or may not have been applied",
                platform=self.platform,
                code="timeout",
            ) from None
        except httpx.UnsupportedProtocol:
            raise Rejected(
                f"{self.platform}: {op}: the endpoint URL is not http(s); check the shop's "
                "--gateway/--oauth",
                platform=self.platform,
                code="url",
            ) from None
        except httpx.RemoteProtocolError as exc:
            if "incomplete" in str(exc) or "complete message body" in str(exc):
                raise MalformedResponse(
                    f"{self.platform}: {op}: malformed response: truncated body "
                    "(the connection closed before the whole answer arrived)",
                    platform=self.platform,
                    code="malformed",
                ) from None
            raise Transient(
                f"{self.platform}: {op}: protocol error ({type(exc).__name__})",
                platform=self.platform,
                code="network",
            ) from None
        except httpx.TransportError as exc:
            why = " ".join(str(exc).split())[:120] or type(exc).__name__
            self.log.info("%s %s: transport error %s", self.platform, op, why)
            raise Transient(
                f"{self.platform}: {op}: connection failed ({why})",
                platform=self.platform,
                code="network",
            ) from None
        except httpx.InvalidURL:
            raise Rejected(
                f"{self.platform}: {op}: invalid endpoint URL; check the shop's --gateway/--oauth",
                platform=self.platform,
                code="url",
            ) from None
        except httpx.DecodingError:
            raise MalformedResponse(
                f"{self.platform}: {op}: malformed response: the body could not be decoded",
                platform=self.platform,
                code="malformed",
            ) from None
        except httpx.HTTPError as exc:
            raise Transient(
                f"{self.platform}: {op}: request failed ({type(exc).__name__})",
                platform=self.platform,
                code="network",
            ) from None

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()


def parse_json(resp: httpx.Response, platform: str, op: str) -> Any:
    """The response body as JSON, or MalformedResponse with one line saying what came."""
    body = resp.content
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        ctype = resp.headers.get("content-type", "no content type").split(";")[0]
        if not body:
            why = "empty body"
        elif isinstance(exc, json.JSONDecodeError) and exc.pos >= len(body.strip()) - 1:
            why = f"truncated JSON ({exc.msg} at byte {exc.pos})"
        else:
            why = f"not JSON ({exc.msg if isinstance(exc, json.JSONDecodeError) else 'bad bytes'})"
        raise MalformedResponse(
            f"{platform}: {op}: malformed response (HTTP {resp.status_code}, {ctype}, "
            f"{len(body)} bytes): {why}",
            platform=platform,
            code="malformed",
        ) from None


def malformed(platform: str, op: str, what: str) -> MalformedResponse:
    """A JSON document that parses but lacks what the documented shape promises."""
    return MalformedResponse(
        f"{platform}: {op}: malformed response: {what}", platform=platform, code="malformed"
    )


def retry_after(headers: httpx.Headers, default: float = 1.0) -> float:
    """Seconds from a `Retry-After` header (seconds form; an HTTP date falls back)."""
    raw = headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return default
