"""What the seller needs to know about a shop's token, and which shops need a sign-in soon.

A token shelf renews on its own is not the seller's concern until renewing stops working:
Mercado Libre access tokens last hours and are refreshed automatically (auth.session), and so
are the tokens of a TOP shop that holds a refresh token (a service-market app, platforms.md
§1.4; tb-main's sandbox token lasts 24 h and is refreshed). For those only a failing refresh
or a refresh token about to run out matters. Tokens shelf cannot renew (Temu, §3.4; TOP
商家后台 apps' fixed-length tokens, gotcha 8; a TOP shop whose refresh token ran out) are
flagged WARN_DAYS ahead: the seller signs in again on their own time instead of finding a job
paused on a weekend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shelf_tui.domain import Platform, Shop

#: Days before a non-refreshable token's expiry from which it is flagged.
WARN_DAYS = 7

Level = Literal["ok", "warn", "bad", "unknown"]


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token state in a few words, and how loudly to show it. `refreshes`: shelf renews
    this token on its own (the shops screen says so)."""

    text: str
    level: Level
    refreshes: bool = False

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


def self_refreshing(shop: Shop, refreshable: bool | None = None) -> bool:
    """Whether shelf renews `shop`'s access token on its own. `refreshable`: whether the
    keyring holds a refresh token for it (None: not looked up). Mercado Libre: always (its
    connector refreshes; a refused refresh shows as failing). TOP: when it holds a refresh
    token; not looked up, when its sign-in reported a refresh token that outlives the access
    token. Temu: never."""
    if shop.platform is Platform.MERCADOLIBRE:
        return True
    if not shop.platform.is_top:
        return False
    if refreshable is not None:
        return refreshable
    until, expires = shop.refresh_expires_at, shop.token_expires_at
    return until is not None and (expires is None or until > expires)


def token_view(
    shop: Shop,
    now: float,
    *,
    signed_in: bool | None = None,
    failing: str = "",
    refreshable: bool | None = None,
    warn_days: int = WARN_DAYS,
) -> TokenView:
    """The state of `shop`'s token at `now` (epoch s). `signed_in`: whether the keyring holds
    a token (None: not looked up); `failing`: the last refresh failure (store meta);
    `refreshable`: whether the keyring holds a refresh token (None: not looked up)."""
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
                return TokenView(f"sign in within {span(left)}", "warn", True)
        if expires is None and not signed_in:
            return TokenView("never signed in" if not shop.seller_id else "unknown", "unknown")
        return TokenView("auto-refresh", "ok", True)
    refresh_until = shop.refresh_expires_at
    if self_refreshing(shop, refreshable) and (
        refresh_until is None or refresh_until.timestamp() > now
    ):
        # Refreshed on use until the refresh token runs out; then the access token (issued
        # by the last refresh) still works until its own expiry: the later of the two.
        if refresh_until is None:
            return TokenView("auto-refresh", "ok", True)
        deadline = refresh_until.timestamp()
        if expires is not None:
            deadline = max(deadline, expires.timestamp())
        left = deadline - now
        if left < warn_days * 86400:
            return TokenView(f"sign in within {span(left)}", "warn", True)
        return TokenView("auto-refresh", "ok", True)
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
    shops: list[tuple[Shop, str]],
    now: float,
    *,
    has_refresh: Callable[[Shop], bool | None] | None = None,
    warn_days: int = WARN_DAYS,
) -> list[tuple[str, TokenView]]:
    """(shop name, state) of every shop whose token expired, fails or expires soon, soonest
    first; `shops` pairs each shop with its refresh failure text. `has_refresh(shop)`: does
    the keyring hold a refresh token for it (None: cannot tell); asked only about a TOP shop
    that would be flagged otherwise, so a refreshable token is not. Shops never signed in
    are not nagged about."""
    flagged = []
    for shop, failing in shops:
        view = token_view(shop, now, failing=failing, warn_days=warn_days)
        if view.needs_attention and not failing and has_refresh and shop.platform.is_top:
            refreshable = has_refresh(shop)
            if refreshable is not None:
                view = token_view(
                    shop, now, failing=failing, refreshable=refreshable, warn_days=warn_days
                )
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
