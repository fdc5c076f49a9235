"""Typed marketplace errors (design.md, "The marketplace contract").

Every platform answer that is not a success maps to exactly one of these, so the job engine
decides what to do from the type alone: retry with backoff (Transient), wait and retry
(RateLimited), pause the whole job (QuotaExhausted, AuthExpired) or fail the item (Rejected).
Messages carry the platform's own code and words, never a token or signature.
"""

from __future__ import annotations

from datetime import datetime

from shelf_tui.errors import EXIT_FAILED, EXIT_SIGN_IN, ShelfError


class MarketplaceError(ShelfError):
    """Base of every error a connector raises."""

    exit_code = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        code: str = "",
        request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.code = code
        self.request_id = request_id


class AuthExpired(MarketplaceError):
    """The token is expired, revoked or lacks a scope: the seller must sign in again (or, for
    Mercado Libre, a refresh is due). TOP 26/27, ML 401, Temu 3000030-3000034."""

    exit_code = EXIT_SIGN_IN


class RateLimited(MarketplaceError):
    """Too many requests: wait `retry_after` seconds and retry (TOP code 7 "This ban will
    last N more seconds", ML 429, Temu 4000004)."""

    def __init__(self, message: str, *, retry_after: float, **kw: str) -> None:
        super().__init__(message, **kw)
        self.retry_after = max(0.0, retry_after)


class QuotaExhausted(MarketplaceError):
    """The app's daily quota is spent (TOP accesscontrol.limited-by-app-access-count):
    retrying burns nothing but time, so the whole job pauses until `reset_at`."""

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class Transient(MarketplaceError):
    """A server-side or network fault (5xx, isp.*, TOP 15, Temu 4000000, timeouts): retry
    with backoff. For a state-changing call the change may or may not have happened."""


class MalformedResponse(Transient):
    """The platform answered with something that does not parse (truncated JSON, an HTML
    error page, a missing field). Treated as transient: read back before any resend."""


class Rejected(MarketplaceError):
    """A business refusal (isv.*, 4xx, Temu business codes): do not retry; fail the item
    with the platform's message."""


class NotFound(Rejected):
    """The item does not exist, or belongs to another seller."""
