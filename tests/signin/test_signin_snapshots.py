"""Snapshots at 80x24 of the shops screen, the add-shop form, the sign-in dialog and its
whole QR code, the remove-shop confirmation, the no-keyring screen and the resume offer after
a sign-in, on a fixed clock, fixed shops and a fixed `state`; each in the default theme and
with NO_COLOR (issue 10). Update with
`pytest tests/signin/test_signin_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from rendered import runs_with
from signkit import FIXED_DT, FIXED_NOW, fixed_clock, pick, screen_text, settle, type_into
from textual.pilot import Pilot
from textual.widgets import Input

from shelf_tui.auth import TokenStore
from shelf_tui.domain import Action, BulkRequest, JobState, Outcome, Platform, Shop
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.screens.keyring_help import KeyringScreen
from shelf_tui.ui.screens.remove_shop import RemoveShopScreen
from shelf_tui.ui.screens.resume_jobs import ResumeJobsScreen
from shelf_tui.ui.screens.signin import QrScreen, SignInScreen

RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


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


# -- the pictures: each builds its data, then says how to get there ------------------------


def shops_case(store: Store, memory_keyring: Any) -> RunBefore:
    _shops(store, memory_keyring)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("down")  # tm-flagship: expired
        await settle(pilot)

    return run_before


def add_shop_case(store: Store, memory_keyring: Any) -> RunBefore:
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

    return run_before


def _sign_in_shop(store: Store, memory_keyring: Any) -> None:
    store.shops.add(
        Shop(
            "tb-main",
            Platform.TAOBAO,
            app_key="12345678",
            redirect_uri="https://example.com/cb",
        )
    )
    TokenStore(memory_keyring).set("tb-main", "app_secret", "secret")


async def _open_sign_in(pilot: Pilot[Any], store: Store) -> None:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, ShelfApp)
    shop = store.shops.get("tb-main")
    app.push_screen(SignInScreen(app.accounts, shop, state="Fixed-STATE", listen=False))
    await settle(pilot)


def sign_in_case(store: Store, memory_keyring: Any) -> RunBefore:
    _sign_in_shop(store, memory_keyring)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_sign_in(pilot, store)
        await pilot.press(*"https://example.com/cb?code=abc&state=old")
        await pilot.press("enter")  # refused: the state is not this sign-in's
        await settle(pilot)
        await steady_cursors(pilot)

    return run_before


def qr_case(store: Store, memory_keyring: Any) -> RunBefore:
    """ctrl+o in the sign-in dialog: the QR code alone, as large as 24 lines allow."""
    _sign_in_shop(store, memory_keyring)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open_sign_in(pilot, store)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(pilot.app.screen, QrScreen)

    return run_before


def remove_shop_case(store: Store, memory_keyring: Any) -> RunBefore:
    """d on tb-main: what goes (items, keyring entries), what stays (its history)."""
    _shops(store, memory_keyring)
    _history(store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RemoveShopScreen)

    return run_before


def resume_case(store: Store, memory_keyring: Any) -> RunBefore:
    """After ml-mx's sign-in: its paused and interrupted jobs offered, Later focused."""
    _shops(store, memory_keyring)
    _history(store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        stopped = store.jobs.all(states=[JobState.PAUSED, JobState.INTERRUPTED], shop="ml-mx")
        assert len(stopped) == 2
        pilot.app.push_screen(ResumeJobsScreen("ml-mx", list(stopped)))
        await settle(pilot)

    return run_before


def keyring_case(store: Store, memory_keyring: Any) -> RunBefore:
    """No usable keyring (keyring's fail backend): `a` on the shops screen explains it."""
    store.shops.add(Shop("tb-main", Platform.TAOBAO, app_key="12345678"))

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, KeyringScreen)

    return run_before


def _history(store: Store) -> None:
    """tb-main: a finished delist; ml-mx: a list and a delist paused for a sign-in (the
    resume offer lists both). None interrupted: that toast at start would time out mid-test."""
    now = int(FIXED_NOW)
    done = store.jobs.create(
        BulkRequest("tb-main", Action.DELIST, ("6100", "6101"), "out of stock", "lin", "user"),
        now=now - 7200,
    ).id
    store.jobs.set_state(done, JobState.RUNNING, now=now - 7200)
    for item_id in ("6100", "6101"):
        store.jobs.finish_item(done, item_id, Outcome.ok(), now=now - 7190)
    store.jobs.set_state(done, JobState.DONE, now=now - 7180)
    ids = tuple(f"MLM{n}" for n in range(1, 41))
    paused = store.jobs.create(
        BulkRequest("ml-mx", Action.LIST, ids, "promotion ended", "lin", "user"), now=now - 3600
    ).id
    store.jobs.set_state(paused, JobState.RUNNING, now=now - 3600)
    for item_id in ids[:12]:
        store.jobs.finish_item(paused, item_id, Outcome.ok(), now=now - 3590)
    store.jobs.set_state(
        paused,
        JobState.PAUSED,
        pause_reason="sign-in needed for ml-mx (invalid_token): run `shelf login ml-mx`",
        now=now - 3580,
    )
    stopped = store.jobs.create(
        BulkRequest("ml-mx", Action.DELIST, ("MLM90", "MLM91", "MLM92"), "TRO", "lin", "user"),
        now=now - 600,
    ).id
    store.jobs.set_state(stopped, JobState.RUNNING, now=now - 600)
    store.jobs.finish_item(stopped, "MLM90", Outcome.ok(), now=now - 590)
    store.jobs.set_state(
        stopped,
        JobState.PAUSED,
        pause_reason="sign-in needed for ml-mx (invalid_grant): run `shelf login ml-mx`",
        now=now - 580,
    )


CASES: dict[str, Callable[[Store, Any], RunBefore]] = {
    "shops": shops_case,
    "add_shop_form": add_shop_case,
    "sign_in": sign_in_case,
    "qr": qr_case,
    "remove_shop": remove_shop_case,
    "resume_jobs": resume_case,
    "keyring": keyring_case,
}


@contextmanager
def _keyring_for(name: str) -> Iterator[None]:
    """The keyring case runs with keyring's fail backend; the others with the test's."""
    if name != "keyring":
        yield
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_shops_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    run_before = shops_case(store, memory_keyring)
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_add_shop_form_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    run_before = add_shop_case(store, memory_keyring)
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_sign_in_80x24(store: Store, memory_keyring: Any, snap_compare: Any) -> None:
    run_before = sign_in_case(store, memory_keyring)
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("name", ["qr", "remove_shop", "resume_jobs", "keyring"])
def test_dialog_80x24(store: Store, memory_keyring: Any, snap_compare: Any, name: str) -> None:
    run_before = CASES[name](store, memory_keyring)
    with _keyring_for(name):
        assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("name", list(CASES))
def test_no_color_80x24(
    store: Store,
    memory_keyring: Any,
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """Without colour: the expiry words, the focused button and the QR's dark and light
    modules still tell what colour would. NO_COLOR is read when the app is built."""
    monkeypatch.setenv("NO_COLOR", "1")
    run_before = CASES[name](store, memory_keyring)
    with _keyring_for(name):
        app = _app(store)
        assert app.no_color
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- what the pictures promise, read off the screen ---------------------------------------------


async def test_shops_title_counts_what_the_banner_names_and_says_it_once(
    store: Store, memory_keyring: Any
) -> None:
    """The title counts the shops the banner lists (two named, "1 more below"), and the
    right side does not add the other screens' token phrase ("2 shops need sign-in (…)
    (^s)"), which counted differently and said the same thing again."""
    run_before = shops_case(store, memory_keyring)
    app = _app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_before(pilot)
        assert app.accounts.status()  # what every other screen's title shows
        lines = screen_text(app).splitlines()
        assert lines[0].strip() == "Shops 5 · 3 need sign-in"
        assert lines[1].strip() == "tm-flagship: expired (enter: sign in)"
        assert lines[2].strip() == "tb-new: not signed in (enter: sign in) · 1 more below"
        assert "(^s)" not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert "need sign-in" in screen_text(app).splitlines()[0]  # the browser keeps it


async def test_shops_seller_column_takes_the_spare_width(store: Store, memory_keyring: Any) -> None:
    run_before = shops_case(store, memory_keyring)
    app = _app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_before(pilot)
        assert "Sandbox M…" in screen_text(app)  # 80 columns: no room to spare
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        text = screen_text(app)
        assert "Sandbox Mall US" in text and "SANDBOX_MX" in text
        header = next(line for line in text.splitlines() if line.lstrip().startswith("shop "))
        assert header.rstrip().endswith("sync")


async def test_resume_offer_shows_each_pause_reason_whole(
    store: Store, memory_keyring: Any
) -> None:
    run_before = resume_case(store, memory_keyring)
    app = _app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_before(pilot)
        assert isinstance(app.screen, ResumeJobsScreen)
        text = screen_text(app)
        for code in ("invalid_grant", "invalid_token"):
            assert f"sign-in needed for ml-mx ({code}): run `shelf login ml-mx`" in text
        assert "#3 delist · 2 of 3 left · paused" in text


@pytest.mark.parametrize("name", ["shops", "sign_in", "add_shop_form"])
async def test_without_colour_the_refusals_are_bold_and_bright(
    store: Store, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """NO_COLOR draws red as a dark grey: "expired", "not signed in", the banner over them and
    the sign-in and add-shop errors are drawn bold in the text's own colour instead."""
    monkeypatch.setenv("NO_COLOR", "1")
    run_before = CASES[name](store, memory_keyring)
    app = _app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_before(pilot)
        assert app.no_color
        words = {
            "shops": ["expired", "not signed in", "tm-flagship: expired (enter: sign in)"],
            "sign_in": ["wrong state"],
            "add_shop_form": ["Site: one of"],
        }[name]
        for word in words:
            found = runs_with(app, word)
            assert found, word
            assert all(r.bold and r.luminance >= 180 for r in found), found
