"""Signing a shop in from pasted tokens or an OAuth code: checked before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest
from authkit import add_shop
from connkit import shop_of

from shelf_tui.auth import TokenStore, WrongSeller, sign_in_with_code, sign_in_with_tokens
from shelf_tui.marketplaces import AuthExpired
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store


async def test_pasted_tokens_are_introspected_then_stored(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    tokens = TokenStore()
    add_shop(store, tokens, sb, "ml-mx", signed_in=False)
    store.shops.update("ml-mx", seller_id="", seller_nick="")
    fresh = sb.issue_token("ml-mx")
    info = await sign_in_with_tokens(
        store, "ml-mx", fresh["access_token"], fresh["refresh_token"], clock=sb.clock.now
    )
    assert (info.seller_id, info.nick) == ("1500000001", "SANDBOX_MX")
    stored = tokens.load("ml-mx")
    assert (stored.access_token, stored.refresh_token) == (
        fresh["access_token"],
        fresh["refresh_token"],
    )
    shop = store.shops.get("ml-mx")
    assert (shop.seller_id, shop.seller_nick) == ("1500000001", "SANDBOX_MX")
    assert fresh["access_token"].encode() not in store.path.read_bytes()


async def test_temu_sign_in_records_scopes_and_expiry(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_shop(store, TokenStore(), sb, "temu-us", signed_in=False)
    info = await sign_in_with_tokens(
        store, "temu-us", sb.credentials("temu-us")["access_token"], clock=sb.clock.now
    )
    shop = store.shops.get("temu-us")
    assert "bg.local.goods.sale.status.set" in shop.scopes.split(",")
    assert shop.token_expires_at == info.expires_at is not None


async def test_a_refused_token_stores_nothing(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    tokens = TokenStore()
    add_shop(store, tokens, sb, "tb-main", signed_in=False)
    before = dict(memory_keyring.entries)
    with pytest.raises(AuthExpired) as info:
        await sign_in_with_tokens(store, "tb-main", "not-a-real-token", clock=sb.clock.now)
    assert info.value.exit_code == 3 and "not-a-real-token" not in str(info.value)
    assert memory_keyring.entries == before
    assert store.shops.get("tb-main").token_expires_at is None


async def test_another_sellers_token_is_refused(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """Seed 003: one shop's items must never be sent with another account's token."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, "ml-mx")
    other = sb.credentials("ml-mx-other")
    # The other seller's token only works with its own app; sign in with it on a shop
    # configured for that app but registered as ml-mx's seller.
    store.shops.update("ml-mx", app_key=other["app_key"])
    tokens.save("ml-mx", app_secret=other["app_secret"])
    before = dict(memory_keyring.entries)
    with pytest.raises(WrongSeller) as info:
        await sign_in_with_tokens(store, "ml-mx", other["access_token"], clock=sb.clock.now)
    assert "1500000002" in str(info.value) and "1500000001" in str(info.value)
    assert memory_keyring.entries == before


@pytest.mark.parametrize("name", ["tb-main", "tm-flagship", "ml-mx", "temu-us"])
async def test_an_oauth_code_signs_in(
    sb: Sandbox, store: Store, memory_keyring: Any, name: str
) -> None:
    tokens = TokenStore()
    add_shop(store, tokens, sb, name, signed_in=False)
    store.shops.update(name, redirect_uri="https://x.example/cb")
    code = sb.issue_code(name, "https://x.example/cb")
    info = await sign_in_with_code(store, name, code, clock=sb.clock.now)
    assert tokens.load(name).access_token
    assert info.seller_id == str(sb.shop(name).seller_id)
    assert store.shops.get(name).token_expires_at is not None
    assert shop_of(sb, name).app_key == store.shops.get(name).app_key


async def test_a_top_session_of_another_shop_is_refused_by_nick(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """A pasted TOP session tells no seller id; the nick it lists items under still does."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, "tb-main", signed_in=False)
    store.shops.update("tb-main", seller_id="")
    await sign_in_with_tokens(
        store, "tb-main", sb.credentials("tb-main")["access_token"], clock=sb.clock.now
    )
    assert store.shops.get("tb-main").seller_nick == sb.shop("tb-main").nick
    other = sb.credentials("tb-other")
    store.shops.update("tb-main", app_key=other["app_key"])
    tokens.save("tb-main", app_secret=other["app_secret"])
    with pytest.raises(WrongSeller):
        await sign_in_with_tokens(store, "tb-main", other["access_token"], clock=sb.clock.now)
