"""The console's keyring policy (one screen with the fixes, never a plaintext file) and token
expiry: a sync refused for sign-in opens the sign-in dialog, and the shop's paused jobs are
offered for resume after it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from signkit import REDIRECT, approve, region_lines, screen_text, settle, type_into
from test_signin_console import add_sandbox_shop
from textual.widgets import DataTable

from shelf_tui.auth import TokenStore, connect
from shelf_tui.domain import Action, JobState
from shelf_tui.jobs import JobEngine
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.ui.app import make_app
from shelf_tui.ui.screens.keyring_help import KeyringScreen
from shelf_tui.ui.screens.resume_jobs import ResumeJobsScreen
from shelf_tui.ui.screens.shops import ShopsScreen
from shelf_tui.ui.screens.signin import SignInScreen
from shelf_tui.ui.services import StoreSync


@pytest.fixture
def refused_keyring(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Install a keyring backend shelf's policy refuses (the parameter's class)."""
    previous = keyring.get_keyring()
    backend = request.param()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def _plaintext() -> Any:
    from keyrings.alt.file import PlaintextKeyring

    return PlaintextKeyring()


@pytest.mark.parametrize("refused_keyring", [fail.Keyring, _plaintext], indirect=True)
async def test_no_usable_keyring_is_one_screen_with_the_fixes_and_nothing_is_written(
    store: Store, refused_keyring: Any, tmp_path: Any
) -> None:
    from shelf_tui.domain import Platform, Shop

    store.shops.add(Shop("tb-main", Platform.TAOBAO, app_key="1"))
    app = make_app(store, sync=StoreSync(store), sync_on_open=False)
    files_before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ShopsScreen)
        assert "No usable keyring: adding and signing in are off" in screen_text(app)
        for key in ("a", "enter", "d"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, KeyringScreen), key
            text = screen_text(app)
            assert "No usable keyring: nothing can be signed in" in text
            assert "gnome-keyring-daemon --unlock" in text and "dbus-run-session" in text
            assert "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring" in text
            assert "never falls back to a plaintext file" in text
            why = (
                "Keyring found no usable backend"
                if isinstance(refused_keyring, fail.Keyring)
                else "The only keyring backend is keyrings.alt.file.PlaintextKeyring"
            )
            shown, _ = region_lines(app, app.screen.query_one("#keyring-why"))
            assert why in " ".join(x.strip() for x in shown)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ShopsScreen)
        # a sync needs the keyring too: the same screen, not a traceback
        await pilot.press("escape", "r")
        await settle(pilot)
        assert isinstance(app.screen, KeyringScreen)
    assert store.shops.names() == ["tb-main"]
    files_after = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    plaintext = [p for p in files_after if p not in files_before and "keyring" in p.name.lower()]
    assert plaintext == []


@pytest.fixture
def live() -> Iterator[Sandbox]:
    """Real clock: the job engine and the sync sign TOP calls with the real time."""
    with Sandbox(items=8, seed=4) as sandbox:
        yield sandbox


async def test_a_sync_refused_for_sign_in_leads_to_sign_in_then_offers_the_paused_job(
    live: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, live, memory_keyring, "tb-main")
    tokens = TokenStore(memory_keyring)
    tokens.set("tb-main", "access_token", live.credentials("tb-main")["access_token"])
    sync = StoreSync(store, tokens=tokens)
    await sync.sync_shop("tb-main")
    keys = [
        (r[0], r[1])
        for r in store.conn.query(
            "SELECT shop, item_id FROM items WHERE status = 'active' AND stock > 0 "
            "ORDER BY item_id LIMIT 2"
        )
    ]
    assert len(keys) == 2
    engine = JobEngine(store, connect=lambda shop: connect(store, shop, tokens=tokens))
    job_id = engine.submit(engine.plan_keys(Action.DELIST, keys), "seasonal").ids[0]
    live.revoke_token("tb-main")  # the seller cancelled the authorisation meanwhile
    result = await engine.run(job_id)
    await engine.aclose()
    assert result.state is JobState.PAUSED and result.sign_in_needed

    app = make_app(store, sync=sync, sync_on_open=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        # a background sync never pops a dialog: one line says what to do
        assert not isinstance(app.screen, SignInScreen)
        notes = [n.message for n in app._notifications]
        assert "tb-main needs a new sign-in: press ctrl+s, then enter." in notes
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ShopsScreen)
        assert "tb-main: the platform refused its token (enter: sign in)" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen) and screen.shop_name == "tb-main"
        shown, _ = region_lines(app, screen.query_one("#signin-reason"))
        assert " ".join(x.strip() for x in shown).startswith(
            "taobao: the shop's session is expired or revoked (27:invalid-sessionkey"
        )
        assert screen.flow.redirect_uri == REDIRECT
        await type_into(pilot, "#signin-answer", await approve(screen.flow.url))
        await pilot.press("enter")
        await settle(pilot)
        assert "Signed in to tb-main" in screen_text(app)
        await pilot.press("enter")  # Done
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, ResumeJobsScreen)
        text = screen_text(app)
        assert "tb-main is signed in. 1 stopped job can go on:" in text
        assert f"#{job_id} delist · 2 of 2 left · paused" in text
        assert app.focused is not None and app.focused.id == "resume-later"
        await pilot.press("tab", "enter")  # Resume
        await settle(pilot)
    job = store.jobs.get(job_id)
    assert job.state is JobState.DONE and job.ok == 2
    assert all(live.state(item_id) != "onsale" for _, item_id in keys)


async def test_a_sign_in_request_while_typing_is_a_one_line_prompt(
    live: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, live, memory_keyring, "tb-main")
    app = make_app(store, sync_on_open=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")  # the seller is typing a filter
        await settle(pilot)
        app.accounts.request_sign_in("tb-main", "token refused")
        await settle(pilot)
        assert not isinstance(app.screen, SignInScreen)
        notes = [n.message for n in app._notifications]
        assert notes == ["tb-main needs a new sign-in: press ctrl+s, then enter."]
        await pilot.press("escape")
        await settle(pilot)
        app.accounts.request_sign_in("tb-main", "token refused")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "token refused" in screen_text(app)


class GatedKeyring(KeyringBackend):
    """A keyring whose reads wait at a gate, as an unlock prompt makes them wait."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, entries: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.entries = entries
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.timed_out = False

    def get_password(self, service: str, username: str) -> str | None:
        self.entered.set()
        if not self.gate.wait(10):
            self.timed_out = True  # the UI waited for the keyring: this test's failure
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


async def test_a_keyring_waiting_on_an_unlock_prompt_never_freezes_a_key(store: Store) -> None:
    from datetime import timedelta

    from signkit import FIXED_DT, fixed_clock

    from shelf_tui.domain import Platform, Shop

    store.shops.add(
        Shop(
            "tb-main",
            Platform.TAOBAO,
            app_key="1",
            seller_id="2200000001",
            token_expires_at=FIXED_DT + timedelta(days=200),
        )
    )
    backend = GatedKeyring({("shelf", "tb-main:access_token"): "t"})
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    app = make_app(store, clock=fixed_clock, sync_on_open=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+s")  # the listing asks the keyring who holds a token
            assert await asyncio.to_thread(backend.entered.wait, 10)
            # the keyring is still waiting: every key answers meanwhile
            await pilot.press("escape")
            assert app.screen.id == "browser"
            await pilot.press("ctrl+s")
            assert isinstance(app.screen, ShopsScreen)
            assert not backend.gate.is_set() and not backend.timed_out
            backend.gate.set()  # the seller typed the keyring's password
            await settle(pilot)
            table = app.screen.query_one("#shops-table", DataTable)
            row = table.get_row_at(0)
            until = FIXED_DT + timedelta(days=200)
            assert str(row[0]).strip() == "tb-main"
            assert str(row[4]) == f"valid until {until:%Y-%m-%d}"  # the token was read
    finally:
        backend.gate.set()
        keyring.set_keyring(previous)
    assert not backend.timed_out


async def test_shelf_demo_opens_without_a_token_warning(tmp_path: Any) -> None:
    """`shelf demo` signs tb-main in with the sandbox's 24 h service-market token and a
    refresh token: shelf renews it, so the console no longer opens on "expires in 23h"."""
    import time

    from shelf_tui import paths as paths_mod
    from shelf_tui.cli.console import astart_demo

    demo = await astart_demo(paths_mod.resolve(tmp_path / "home"), items=3)
    try:
        tb = demo.store.shops.get("tb-main")
        assert tb.token_expires_at is not None
        assert tb.token_expires_at.timestamp() - time.time() <= 86_400  # the 24 h token
        assert demo.tokens.get("tb-main", "refresh_token")
        app = make_app(
            demo.store, sync=StoreSync(demo.store, tokens=demo.tokens), sync_on_open=False
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert app.accounts.flagged == []
            title = screen_text(app).splitlines()[0]
            assert "sign-in" not in title and "expires" not in title
            await pilot.press("ctrl+s")
            await settle(pilot)
            table = app.screen.query_one("#shops-table", DataTable)
            cells = {
                str(table.get_row_at(i)[0]).strip(): str(table.get_row_at(i)[4])
                for i in range(table.row_count)
            }
            assert cells["tb-main"] == cells["ml-mx"] == "auto-refresh"
            assert cells["temu-us"].startswith("valid until ")  # ~3 months, not refreshable
    finally:
        demo.close()
