"""Snapshots at 80x24 of the shops screen, the add-shop form and the sign-in dialog, on a
fixed clock, fixed shops and a fixed `state`. Update with
`pytest tests/signin/test_signin_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from signkit import FIXED_DT, fixed_clock, pick, settle, type_into
from textual.pilot import Pilot
from textual.widgets import Input

from shelf_tui.auth import TokenStore
from shelf_tui.domain import Platform, Shop
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.screens.signin import SignInScreen


def _shops(store: Store, keyring: Any) -> None:
    tokens = TokenStore(keyring)
    day = timedelta(days=1)
    rows = [
        Shop(
            "tb-main",
            Platform.TAOBAO,
            app_key="12345678",
            seller_id="2200000001",
            seller_nick="沙箱小店",
            token_expires_at=FIXED_DT + 200 * day,
            last_sync_at=FIXED_DT - timedelta(minutes=12),
        ),
        Shop(
            "tm-flagship",
            Platform.TMALL,
            app_key="23456789",
            seller_id="2200000002",
            seller_nick="沙箱旗舰店",
            token_expires_at=FIXED_DT - timedelta(hours=5),
            last_sync_at=FIXED_DT - 3 * day,
        ),
        Shop(
            "ml-mx",
            Platform.MERCADOLIBRE,
            site="MLM",
            app_key="4410012345678901",
            seller_id="1500000001",
            seller_nick="SANDBOX_MX",
            scopes="offline_access,read,write",
            token_expires_at=FIXED_DT + timedelta(hours=5),
            last_sync_at=FIXED_DT - timedelta(hours=2),
        ),
        Shop(
            "temu-us",
            Platform.TEMU,
            region="us",
            app_key="f48af02cdacadd9c939055cdae4e2d5a",
            seller_id="634418210001",
            seller_nick="Sandbox Mall US",
            token_expires_at=FIXED_DT + 3 * day + timedelta(hours=4),
            last_sync_at=FIXED_DT - timedelta(hours=2),
        ),
        Shop("tb-new", Platform.TAOBAO, app_key="34567890"),
    ]
    for shop in rows:
        store.shops.add(shop)
        tokens.set(shop.name, "app_secret", "secret")
        if shop.seller_id:
            tokens.set(shop.name, "access_token", "token")


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """A blinking cursor is on or off depending on when the picture is taken: hold it on."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def _app(store: Store) -> ShelfApp:
    return make_app(store, clock=fixed_clock, sync_on_open=False)


def test_shops_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    _shops(store, memory_keyring)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("down")  # tm-flagship: expired
        await settle(pilot)

    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_add_shop_form_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"ml-br", "enter")
        await pick(pilot, "#f-platform", 2)  # Mercado Libre
        await type_into(pilot, "#f-place", "mlx")
        await pilot.press("ctrl+s")  # a bad site: the form says so
        await settle(pilot)
        await steady_cursors(pilot)

    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_sign_in_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    store.shops.add(
        Shop(
            "tb-main",
            Platform.TAOBAO,
            app_key="12345678",
            redirect_uri="https://example.com/cb",
        )
    )
    TokenStore(memory_keyring).set("tb-main", "app_secret", "secret")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, ShelfApp)
        shop = store.shops.get("tb-main")
        app.push_screen(SignInScreen(app.accounts, shop, state="Fixed-STATE", listen=False))
        await settle(pilot)
        await pilot.press(*"https://example.com/cb?code=abc&state=old")
        await pilot.press("enter")  # refused: the state is not this sign-in's
        await settle(pilot)
        await steady_cursors(pilot)

    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)
