"""Helpers shared by the auth and sync tests."""

from __future__ import annotations

from connkit import creds_of, shop_of

from shelf_tui.auth import TokenStore
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store


def add_shop(
    store: Store, tokens: TokenStore, sb: Sandbox, name: str, *, signed_in: bool = True
) -> None:
    """A shop as `shelf shop add` + `shelf login --token-stdin` would leave it."""
    store.shops.add(shop_of(sb, name))
    creds = creds_of(sb, name)
    tokens.save(name, app_secret=creds.app_secret)
    if signed_in:
        tokens.save(name, access_token=creds.access_token, refresh_token=creds.refresh_token)
