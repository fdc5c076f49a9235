"""OAuth plumbing per platform: authorize URLs, code exchange, refresh, introspection.

The interactive sign-in (URL + QR code, pasted code or redirect URL) is built on these; so is
the single-flight refresh of auth.connect. Endpoints (platforms.md):

* TOP §1.4: `{oauth}/authorize?response_type=code&client_id&redirect_uri&state&view`,
  `POST {oauth}/token` (authorization_code / refresh_token; only service-market apps refresh).
* ML §2.1: `{site auth host}/authorization?...`, `POST {api}/oauth/token` with the params in
  the form body (never the query); refresh tokens are single-use (gotcha 13).
* Temu §3.4: the seller authorises in Seller Center; a code is exchanged through the router
  (`bg.open.accesstoken.create`); there is no refresh.

No message ever carries a code, a token or a secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlencode

import httpx

from shelf_tui.domain import Platform, Shop, from_epoch
from shelf_tui.marketplaces import Credentials, SellerInfo, Throttle, create
from shelf_tui.marketplaces.errors import AuthExpired, MarketplaceError, Rejected, Transient
from shelf_tui.marketplaces.http import Wire, malformed, parse_json
from shelf_tui.marketplaces.mercadolibre import API as ML_API
from shelf_tui.marketplaces.mercadolibre import AUTH_HOSTS
from shelf_tui.marketplaces.temu import SELLER_CENTRES
from shelf_tui.marketplaces.top import OAUTH as TOP_OAUTH

_FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What a code exchange or a refresh returns (secrets never in the repr)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    seller_id: str = ""
    nick: str = ""
    scopes: tuple[str, ...] = ()

    def credentials(self, app_secret: str) -> Credentials:
        return Credentials(
            app_secret=app_secret,
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            expires_at=self.expires_at,
            refresh_expires_at=self.refresh_expires_at,
        )


def oauth_base(shop: Shop) -> str:
    """The OAuth host a shop's sign-in uses (`--oauth`, else the platform's own)."""
    if shop.oauth:
        return shop.oauth.rstrip("/")
    if shop.platform.is_top:
        return TOP_OAUTH
    if shop.platform is Platform.MERCADOLIBRE:
        return AUTH_HOSTS.get((shop.site or "").upper(), AUTH_HOSTS["MLA"])
    return SELLER_CENTRES.get((shop.region or "us").lower(), SELLER_CENTRES["us"])


def authorize_url(shop: Shop, state: str, redirect_uri: str | None = None) -> str:
    """The page the seller opens (or scans as a QR code) to approve the app."""
    redirect = redirect_uri if redirect_uri is not None else shop.redirect_uri
    base = oauth_base(shop)
    if shop.platform.is_top:
        params = {
            "response_type": "code",
            "client_id": shop.app_key,
            "redirect_uri": redirect,
            "state": state,
            "view": "tmall" if shop.platform is Platform.TMALL else "web",
        }
        return f"{base}/authorize?{urlencode({k: v for k, v in params.items() if v})}"
    if shop.platform is Platform.MERCADOLIBRE:
        params = {
            "response_type": "code",
            "client_id": shop.app_key,
            "redirect_uri": redirect,
            "state": state,
        }
        return f"{base}/authorization?{urlencode({k: v for k, v in params.items() if v})}"
    params = {"app_key": shop.app_key, "redirect_url": redirect, "state": state}
    return f"{base}/open-platform/client-manage?{urlencode({k: v for k, v in params.items() if v})}"


def _platform(shop: Shop) -> str:
    return shop.platform.value


async def _post_form(
    shop: Shop, url: str, form: dict[str, str], op: str, client: httpx.AsyncClient | None
) -> tuple[int, Any]:
    wire = Wire(_platform(shop), client, Throttle(None))
    try:
        resp = await wire.send(
            "POST", url, op, content=urlencode(form).encode(), headers=_FORM, throttled=False
        )
        if resp.status_code >= 500:
            raise Transient(
                f"{_platform(shop)}: {op}: HTTP {resp.status_code}", platform=_platform(shop)
            )
        return resp.status_code, parse_json(resp, _platform(shop), op)
    finally:
        await wire.aclose()


def _expiry(now: float, seconds: Any) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return from_epoch(now + seconds)


def _oauth_error(shop: Shop, op: str, status: int, doc: Any, grant: str) -> MarketplaceError:
    doc = doc if isinstance(doc, dict) else {}
    error = str(doc.get("error") or f"HTTP {status}")
    words = str(doc.get("error_description") or doc.get("message") or error)
    name = shop.name
    if error == "invalid_client":
        return AuthExpired(
            f"{_platform(shop)}: the app key or app secret was refused (invalid_client); "
            f"check them (shelf shop remove {name}, then shelf shop add again)",
            platform=_platform(shop),
            code=error,
        )
    if error in ("invalid_grant", "unauthorized_client", "invalid_client") or status in (400, 401):
        if error == "unauthorized_client" and grant == "refresh_token":
            return AuthExpired(
                f"{_platform(shop)}: this app's tokens cannot be refreshed ({words}); "
                f"sign in again when it expires: shelf login {name}",
                platform=_platform(shop),
                code=error,
            )
        what = "refresh token" if grant == "refresh_token" else "authorization code"
        return AuthExpired(
            f"{_platform(shop)}: the {what} was refused ({error}: {words}); "
            f"sign in again: shelf login {name}",
            platform=_platform(shop),
            code=error,
        )
    return Rejected(f"{_platform(shop)}: {op}: {words} ({error})", platform=_platform(shop))


def _token_set(shop: Shop, doc: Any, now: float, op: str) -> TokenSet:
    if not isinstance(doc, dict) or not doc.get("access_token"):
        raise malformed(_platform(shop), op, "no access_token in the token response")
    if shop.platform.is_top:
        return TokenSet(
            access_token=str(doc["access_token"]),
            refresh_token=str(doc.get("refresh_token") or ""),
            expires_at=_expiry(now, doc.get("expires_in")),
            refresh_expires_at=_expiry(now, doc.get("re_expires_in")),
            seller_id=str(doc.get("taobao_user_id") or ""),
            nick=unquote(str(doc.get("taobao_user_nick") or "")),
        )
    scopes = tuple(str(doc.get("scope") or "").split())
    return TokenSet(
        access_token=str(doc["access_token"]),
        refresh_token=str(doc.get("refresh_token") or ""),
        expires_at=_expiry(now, doc.get("expires_in")),
        seller_id=str(doc.get("user_id") or ""),
        scopes=scopes,
    )


async def exchange_code(
    shop: Shop,
    app_secret: str,
    code: str,
    *,
    redirect_uri: str | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
) -> TokenSet:
    """Trade a one-time authorization code for tokens."""
    now = (clock or time.time)()
    redirect = redirect_uri if redirect_uri is not None else shop.redirect_uri
    if shop.platform is Platform.TEMU:
        return await _temu_exchange(shop, app_secret, code, client, clock)
    form = {
        "grant_type": "authorization_code",
        "client_id": shop.app_key,
        "client_secret": app_secret,
        "code": code,
    }
    if redirect:
        form["redirect_uri"] = redirect
    if shop.platform.is_top:
        form["view"] = "tmall" if shop.platform is Platform.TMALL else "web"
        url, op = f"{oauth_base(shop)}/token", "POST /token"
    else:
        url, op = f"{(shop.gateway or ML_API).rstrip('/')}/oauth/token", "POST /oauth/token"
    status, doc = await _post_form(shop, url, form, op, client)
    if status != 200:
        raise _oauth_error(shop, op, status, doc, "authorization_code")
    return _token_set(shop, doc, now, op)


async def refresh(
    shop: Shop,
    app_secret: str,
    refresh_token: str,
    *,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
) -> TokenSet:
    """A new token pair from a refresh token. ML refresh tokens are single-use: the caller
    must persist the new pair before anything uses it (auth.connect does)."""
    now = (clock or time.time)()
    if shop.platform is Platform.TEMU:
        raise AuthExpired(
            f"temu: tokens cannot be refreshed; share a new token from Seller Center: "
            f"shelf login {shop.name}",
            platform="temu",
        )
    if not refresh_token:
        raise AuthExpired(
            f"{_platform(shop)}: no refresh token stored; sign in again: shelf login {shop.name}",
            platform=_platform(shop),
        )
    form = {
        "grant_type": "refresh_token",
        "client_id": shop.app_key,
        "client_secret": app_secret,
        "refresh_token": refresh_token,
    }
    if shop.platform.is_top:
        url, op = f"{oauth_base(shop)}/token", "POST /token"
    else:
        url, op = f"{(shop.gateway or ML_API).rstrip('/')}/oauth/token", "POST /oauth/token"
    status, doc = await _post_form(shop, url, form, op, client)
    if status != 200:
        raise _oauth_error(shop, op, status, doc, "refresh_token")
    return _token_set(shop, doc, now, op)


async def _temu_exchange(
    shop: Shop,
    app_secret: str,
    code: str,
    client: httpx.AsyncClient | None,
    clock: Callable[[], float] | None,
) -> TokenSet:
    """bg.open.accesstoken.create (§3.4): on the first call the access_token is the code."""
    from shelf_tui.marketplaces.temu import TemuMarketplace

    market = TemuMarketplace(
        shop,
        Credentials(app_secret=app_secret, access_token=code),
        client=client,
        throttle=Throttle(None),
        clock=clock,
    )
    try:
        try:
            result = await market.call("bg.open.accesstoken.create", {"code": code})
        except Rejected as err:
            if (err.code or "").startswith("11002000"):
                raise AuthExpired(
                    f"temu: the authorization code was refused ({err.code}); authorise again "
                    f"in Seller Center: shelf login {shop.name}",
                    platform="temu",
                    code=err.code,
                ) from None
            raise
    finally:
        await market.aclose()
    if not isinstance(result, dict) or not result.get("accessToken"):
        raise malformed("temu", "bg.open.accesstoken.create", "no accessToken")
    expired = result.get("expiredTime")
    scopes = result.get("apiScopeList") or []
    return TokenSet(
        access_token=str(result["accessToken"]),
        expires_at=from_epoch(expired) if isinstance(expired, int | float) else None,
        seller_id=str(result.get("mallId") or ""),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
    )


async def introspect(
    shop: Shop,
    credentials: Credentials,
    *,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
) -> SellerInfo:
    """Who the token belongs to, its scopes and expiry (ML /users/me, Temu
    bg.open.accesstoken.info.get, TOP a one-item query). AuthExpired if it is refused."""
    market = create(shop, credentials, client=client, throttle=Throttle(None), clock=clock)
    try:
        return await market.whoami()
    finally:
        await market.aclose()
