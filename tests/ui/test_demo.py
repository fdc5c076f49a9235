"""`shelf demo`: sandbox, three shops signed in by OAuth with an in-memory keyring, a sync in
the background, and a populated browser."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from ui_helpers import reference, screen_text, settle, table

import shelf_tui.ui
from shelf_tui import paths as paths_mod
from shelf_tui.cli import main
from shelf_tui.cli.console import DEMO_SHOPS, astart_demo
from shelf_tui.ui.app import make_app
from shelf_tui.ui.services import StoreSync


async def test_demo_reaches_a_populated_browser(tmp_path: Path) -> None:
    demo = await astart_demo(paths_mod.resolve(tmp_path / "home"), items=25)
    try:
        shops = demo.store.shops.all()
        assert [s.name for s in shops] == sorted(DEMO_SHOPS)
        assert all(s.seller_id and s.token_expires_at for s in shops)  # signed in by OAuth
        assert demo.store.items.count() == 0  # nothing synced before the console opens
        sync = StoreSync(demo.store, tokens=demo.tokens)
        app = make_app(demo.store, sync=sync, sync_on_open=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
            t = table(app)
            assert t.total == 75 == demo.store.items.count()
            assert [i.key for i in t.visible_items()] == reference(demo.store, "1")[: t.size.height]
            assert {i.shop for i in t.visible_items()} == set(DEMO_SHOPS)
            title = screen_text(app).splitlines()[0]
            assert title.startswith(" Items 75") and "synced now" in title
            assert app.sync_errors == {}
        # no secret reached the database
        raw = demo.store.path.read_bytes()
        for secret in demo.tokens.backend.entries.values():
            assert secret.encode() not in raw
    finally:
        demo.close()


async def test_demo_without_home_leaves_nothing_behind() -> None:
    demo = await astart_demo(None, items=3)
    home = demo.paths.home
    assert home is not None and home.exists()
    demo.close()
    assert not home.exists()


@pytest.mark.parametrize("where", ["after", "before"])
def test_the_shelf_demo_command_reaches_a_populated_browser(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`shelf demo --home DIR` (or `shelf --home DIR demo`) as the command runs it, on a
    machine with no usable keyring: the console it opens, driven headless in place of the
    terminal, syncs the three shops on its own and shows their items; the home keeps the
    store and the log."""
    home = tmp_path / "demo-home"
    seen: dict[str, Any] = {}

    def headless(store: Any, config: Any, **kwargs: Any) -> int:
        app = make_app(store, config=config, **kwargs)

        async def drive() -> None:
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                await app.workers.wait_for_complete()
                await settle(pilot)
                t = table(app)
                seen["total"] = t.total
                seen["stored"] = store.items.count()
                seen["shops"] = {i.shop for i in t.visible_items()}
                seen["title"] = screen_text(app).splitlines()[0]
                seen["errors"] = dict(app.sync_errors)

        asyncio.run(drive())
        return 0

    monkeypatch.setattr(shelf_tui.ui, "run_app", headless)
    argv = ["demo", "--home", str(home)] if where == "after" else ["--home", str(home), "demo"]
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # a fresh machine: no usable OS keyring at all
    try:
        assert main([*argv, "--items", "6"]) == 0
    finally:
        keyring.set_keyring(previous)
    assert seen["total"] == 18 == seen["stored"]
    assert seen["shops"] == set(DEMO_SHOPS) and seen["errors"] == {}
    assert seen["title"].startswith(" Items 18  ") and "synced now" in seen["title"]
    paths = paths_mod.resolve(home)
    assert paths.db_file.is_file() and paths.log_file.is_file()
