"""What a connector needs to sign and authorise its calls, and how it gets a fresh token.

Secrets never appear in a repr (so never in a traceback, a log line or an exception message
that formats an object): every secret field is `repr=False`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    """A shop's app secret and tokens, as read from the keyring.

    `expires_at` is when the access token stops working, when known (ML refreshes a minute
    before it; TOP and Temu cannot refresh and only report it).
    """

    app_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None

    def with_tokens(
        self,
        access_token: str,
        refresh_token: str | None = None,
        expires_at: datetime | None = None,
        refresh_expires_at: datetime | None = None,
    ) -> Credentials:
        """A copy with a new token pair (a refresh keeps the old refresh token only when the
        platform did not send a new one)."""
        return replace(
            self,
            access_token=access_token,
            refresh_token=self.refresh_token if refresh_token is None else refresh_token,
            expires_at=expires_at,
            refresh_expires_at=refresh_expires_at or self.refresh_expires_at,
        )


#: Called with the credentials whose access token the platform refused (or that are about to
#: expire); returns credentials with a working token, already persisted. `auth.connect`
#: supplies one that serialises refreshes per shop and writes the keyring and the store
#: before the new token is used (platforms.md gotcha 13). Raises AuthExpired when the seller
#: must sign in again.
Refresher = Callable[[Credentials], Awaitable[Credentials]]
