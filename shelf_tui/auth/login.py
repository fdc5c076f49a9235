"""Signing a shop in: from tokens the seller pastes (`shelf login --token-stdin`, Temu's
Seller Center token) or from an OAuth code (the interactive flow of the console and of
`shelf login`, which only has to show the URL, get the code and call `sign_in_with_code`).

Either way the token is introspected before anything is stored: a token that does not work
is refused with nothing written, and a token of another seller than the shop's is refused too
(seed 003: one shop's items must never be sent with another account's token).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from shelf_tui.auth import oauth
from shelf_tui.auth.tokens import TokenStore
from shelf_tui.domain import Shop
from shelf_tui.errors import SignInNeeded
from shelf_tui.marketplaces import SellerInfo
from shelf_tui.store import Store


class WrongSeller(SignInNeeded):
    """The token belongs to another seller account than the shop's."""


async def sign_in_with_tokens(
    store: Store,
    shop_name: str,
    access_token: str,
    refresh_token: str = "",
    *,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
    tokens: TokenStore | None = None,
) -> SellerInfo:
    """Check a pasted token, then store it (keyring) and who it belongs to (store)."""
    return await _sign_in(
        store,
        shop_name,
        oauth.TokenSet(access_token=access_token, refresh_token=refresh_token),
        client=client,
        clock=clock,
        tokens=tokens,
    )


async def sign_in_with_code(
    store: Store,
    shop_name: str,
    code: str,
    *,
    redirect_uri: str | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
    tokens: TokenStore | None = None,
) -> SellerInfo:
    """Exchange an OAuth code (TOP, ML, Temu), check the token, store it."""
    shop = store.shops.get(shop_name)
    tokens = tokens if tokens is not None else await TokenStore.aopen()
    secret = await tokens.aget(shop.name, "app_secret")
    if not secret:
        raise SignInNeeded(f"no app secret is stored for shop {shop.name!r}: add the shop again")
    token_set = await oauth.exchange_code(
        shop, secret, code, redirect_uri=redirect_uri, client=client, clock=clock
    )
    return await _sign_in(store, shop_name, token_set, client=client, clock=clock, tokens=tokens)


async def _sign_in(
    store: Store,
    shop_name: str,
    token_set: oauth.TokenSet,
    *,
    client: httpx.AsyncClient | None,
    clock: Callable[[], float] | None,
    tokens: TokenStore | None,
) -> SellerInfo:
    shop = store.shops.get(shop_name)
    tokens = tokens if tokens is not None else await TokenStore.aopen()
    secret = await tokens.aget(shop.name, "app_secret")
    if not secret:
        raise SignInNeeded(f"no app secret is stored for shop {shop.name!r}: add the shop again")
    creds = token_set.credentials(secret)
    info = await oauth.introspect(shop, creds, client=client, clock=clock)
    # Who the platform says authorised (a code exchange's user id and nick) comes first: an
    # introspection may only echo the shop's own record (TOP's whoami does).
    seller_id = token_set.seller_id or info.seller_id
    _check_seller(shop, seller_id, token_set.nick or info.nick)
    expires = info.expires_at or token_set.expires_at
    await tokens.asave(
        shop.name, refresh_token=token_set.refresh_token, access_token=token_set.access_token
    )
    store.shops.update(
        shop.name,
        seller_id=seller_id or shop.seller_id,
        seller_nick=info.nick or token_set.nick or shop.seller_nick,
        scopes=",".join(info.scopes or token_set.scopes),
        token_expires_at=expires,
        refresh_expires_at=token_set.refresh_expires_at,
        refresh_failing="",
    )
    return SellerInfo(
        seller_id=seller_id or shop.seller_id,
        nick=info.nick or token_set.nick or shop.seller_nick,
        scopes=info.scopes or token_set.scopes,
        expires_at=expires,
        site=info.site,
        extra=info.extra,
    )


def _check_seller(shop: Shop, seller_id: str, nick: str) -> None:
    """Refuse a token of another account than the one the shop was first signed in with (by
    seller id; by nick where the platform tells no id, e.g. a pasted TOP session)."""
    if shop.seller_id and seller_id and shop.seller_id != seller_id:
        raise WrongSeller(
            f"this token belongs to seller {seller_id}, but shop {shop.name!r} is seller "
            f"{shop.seller_id}: nothing was stored (add another shop for that account)"
        )
    if (
        not (shop.seller_id and seller_id)
        and shop.seller_nick
        and nick
        and shop.seller_nick != nick
    ):
        raise WrongSeller(
            f"this token belongs to {nick!r}, but shop {shop.name!r} is {shop.seller_nick!r}: "
            "nothing was stored (add another shop for that account)"
        )
