"""The QR code a phone scans: drawn text decoded back to the exact sign-in URL.

Every test decodes what the terminal would show (the console's rendered cells, or the CLI's
printed lines), framed by a dark terminal background, with no inverted second try."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.color import Color
from signkit import decode, region_lines, settle
from test_signin_console import add_sandbox_shop

from shelf_tui.auth import flow as signin
from shelf_tui.auth import qr
from shelf_tui.domain import Platform, Shop
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.signin import QrScreen, SignInScreen
from shelf_tui.ui.widgets.qr_code import QrCode

REAL_SHOPS = [
    Shop("tb", Platform.TAOBAO, app_key="12345678", redirect_uri="https://example.com/shelf/cb"),
    Shop("tm", Platform.TMALL, app_key="23456789"),
    Shop("ml", Platform.MERCADOLIBRE, site="MLB", app_key="4410012345678901"),
    Shop(
        "ml2",
        Platform.MERCADOLIBRE,
        site="MLM",
        app_key="4410012345678901",
        redirect_uri="http://localhost:8765/callback",
    ),
    Shop("temu", Platform.TEMU, region="eu", app_key="f48af02cdacadd9c939055cdae4e2d5a"),
]


@pytest.mark.parametrize("shop", REAL_SHOPS, ids=lambda s: s.name)
@pytest.mark.parametrize("ink", ["dark", "light"])
@pytest.mark.parametrize("border", [1, 2])
def test_the_drawn_code_decodes_to_the_authorize_url(shop: Shop, ink: str, border: int) -> None:
    url = signin.start(shop).url
    lines = qr.lines(url, border=border, ink=ink)  # type: ignore[arg-type]
    assert set("".join(lines)) <= set("█▀▄ ")
    assert decode(lines, ink=ink) == [url]
    # the drawn quiet zone is what makes it readable on a dark terminal: without it, no code
    bare = qr.lines(url, border=0, ink=ink)  # type: ignore[arg-type]
    assert decode(bare, ink=ink) == []


def test_a_150_character_url_fits_24_lines_with_a_one_module_quiet_zone() -> None:
    url = "https://oauth.taobao.com/authorize?" + "x" * 115
    assert len(url) == 150
    assert qr.fitting_border(url, 24) == 1
    assert qr.size(url, border=1) == (47, 24)
    assert qr.fitting_border(url, 26) == 2
    assert qr.fitting_border("https://x/" + "y" * 400, 24) is None


def _is_black(color: Color | None) -> bool:
    return color is not None and color.get_truecolor() == (0, 0, 0)


def _is_white(color: Color | None) -> bool:
    return color is not None and min(color.get_truecolor()) >= 0xE0


async def test_the_sign_in_dialog_at_80x24_shows_a_code_that_decodes_to_its_url(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        code = screen.query_one("#signin-qr", QrCode)
        assert not code.cut  # the whole code is on screen
        lines, strips = region_lines(app, code)
        assert len(lines) == len(code.lines) <= 24
        # black ink on white paper, whatever the theme
        for strip in strips:
            for segment in strip:
                assert segment.style is not None
                assert _is_black(segment.style.color) and _is_white(segment.style.bgcolor)
        assert decode(lines) == [screen.flow.url]


async def test_a_code_cut_by_a_narrow_terminal_is_shown_whole_on_ctrl_o(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")  # a version-7 code: 24 lines
    app = console()
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        code = screen.query_one("#signin-qr", QrCode)
        lines, _ = region_lines(app, code)
        assert code.cut and decode(lines) == []  # a cut code reads as nothing
        keys, _ = region_lines(app, screen.query_one("#signin-keys"))
        assert "QR code cut off: ^o shows it whole" in " ".join(k.strip() for k in keys)
        assert "enter sign in · esc cancel" in " ".join(k.strip() for k in keys)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, QrScreen)
        whole = app.screen.query_one("#qr-code", QrCode)
        lines, _ = region_lines(app, whole)
        assert decode(lines) == [screen.flow.url]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_code_too_tall_for_any_view_says_how_big_the_terminal_must_be(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    long_redirect = "https://shelf.example/" + "shelf-callback/" * 6
    add_sandbox_shop(store, sb, memory_keyring, "temu-us", redirect=long_redirect)
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        await pilot.press("ctrl+o")
        await settle(pilot)
        whole = app.screen.query_one("#qr-code", QrCode)
        width, height = whole.needs
        assert height > 24
        hint, _ = region_lines(app, app.screen.query_one("#qr-hint"))
        assert f"it needs {width}x{height}" in hint[0]
        await pilot.resize_terminal(100, height + 1)
        await settle(pilot)
        lines, _ = region_lines(app, whole)
        assert not whole.cut and decode(lines) == [screen.flow.url]
