"""What the seller needs to know about a shop's token, and which shops need a sign-in soon.

Mercado Libre access tokens last hours and are refreshed automatically (auth.session), so
only a failing refresh or an expiring refresh token matters there. TOP and Temu tokens cannot
be refreshed by shelf (platforms.md §1.4: only service-market apps refresh; §3.4: Temu has no
refresh API), so they are flagged WARN_DAYS ahead: the seller signs in again on their own time
instead of finding a job paused on a weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shelf_tui.domain import Platform, Shop

#: Days before a non-refreshable token's expiry from which it is flagged.
WARN_DAYS = 7

Level = Literal["ok", "warn", "bad", "unknown"]


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token state in a few words, and how loudly to show it."""

    text: str
    level: Level

    @property
    def needs_attention(self) -> bool:
        return self.level in ("warn", "bad")


def span(seconds: float) -> str:
    """'3d 4h', '5h', '12m': a short countdown."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h"
    return f"{max(1, rest // 60)}m"


def token_view(
    shop: Shop,
    now: float,
    *,
    signed_in: bool | None = None,
    failing: str = "",
    warn_days: int = WARN_DAYS,
) -> TokenView:
    """The state of `shop`'s token at `now` (epoch s). `signed_in`: whether the keyring holds
    a token (None: not looked up); `failing`: the last refresh failure (store meta)."""
    if signed_in is False:
        return TokenView("not signed in", "bad")
    if failing:
        return TokenView("refresh failing", "bad")
    expires = shop.token_expires_at
    if shop.platform is Platform.MERCADOLIBRE:
        refresh_until = shop.refresh_expires_at
        if refresh_until is not None:
            left = refresh_until.timestamp() - now
            if left <= 0:
                return TokenView("expired", "bad")
            if left < warn_days * 86400:
                return TokenView(f"sign in within {span(left)}", "warn")
        if expires is None and not signed_in:
            return TokenView("never signed in" if not shop.seller_id else "unknown", "unknown")
        return TokenView("auto-refresh", "ok")
    if expires is None:
        if signed_in:
            return TokenView("signed in", "ok")
        return TokenView("never signed in" if not shop.seller_id else "unknown", "unknown")
    left = expires.timestamp() - now
    if left <= 0:
        return TokenView("expired", "bad")
    if left < warn_days * 86400:
        return TokenView(f"expires in {span(left)}", "warn")
    return TokenView(f"valid until {expires:%Y-%m-%d}", "ok")


def attention(
    shops: list[tuple[Shop, str]], now: float, *, warn_days: int = WARN_DAYS
) -> list[tuple[str, TokenView]]:
    """(shop name, state) of every shop whose token expired, fails or expires soon, soonest
    first; `shops` pairs each shop with its refresh failure text. Shops never signed in are
    not nagged about."""
    flagged = []
    for shop, failing in shops:
        view = token_view(shop, now, failing=failing, warn_days=warn_days)
        if view.needs_attention:
            expires = shop.token_expires_at.timestamp() if shop.token_expires_at else 0.0
            flagged.append((0 if view.level == "bad" else 1, expires, shop.name, view))
    flagged.sort(key=lambda row: row[:3])
    return [(name, view) for _, _, name, view in flagged]


def banner(flagged: list[tuple[str, TokenView]]) -> str:
    """One phrase for the title bar: 'tb-main token expires in 3d', '3 shops need sign-in'."""
    if not flagged:
        return ""
    name, view = flagged[0]
    words = view.text if view.text.startswith("sign in") else f"token {view.text}"
    if len(flagged) == 1:
        return f"{name}: {words}"
    return f"{len(flagged)} shops need sign-in ({name}: {words})"
