"""Background sync: on open and on `r`, never blocking a keystroke, errors as one line."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ui_helpers import FakeSync, reference, restock_and_touch, screen_text, settle, table

from shelf_tui.errors import SignInNeeded
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp


async def test_the_ui_answers_keys_while_a_sync_runs(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    gate = threading.Event()
    sync = FakeSync(store, restock_and_touch, gate=gate)
    app = app_for(sync=sync, sync_on_open=True)
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await settle(pilot)
            assert sync.started.wait(10)
            assert "syncing 0/3…" in screen_text(app)
            # the sync is held at the gate: keys still move the cursor and mark
            await pilot.press("down", "down", "space")
            await settle(pilot)
            t = table(app)
            assert t.cursor == 3
            assert t.summary() == "Items 60 · 1 marked"
        finally:
            gate.set()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert sync.calls == ["tb-main", "ml-mx", "temu-us"]
        assert table(app).total == 63
        assert "synced now" in screen_text(app)
        assert [i.key for i in t.visible_items()] == reference(store, "1")[: len(t.visible_items())]


async def test_a_failed_shop_is_one_line_and_the_others_still_sync(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    sync = FakeSync(
        store,
        restock_and_touch,
        fail={"ml-mx": SignInNeeded("ml-mx: sign-in needed: run `shelf login ml-mx`\nsecond line")},
    )
    app = app_for(sync=sync)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert table(app).total == 62  # two shops added their new item
        title = screen_text(app).splitlines()[0]
        assert (
            "sync failed: ml-mx: ml-mx: sign-in needed: run `shelf login ml-mx` second line"
            in title
        )


async def test_r_without_a_sync_service_says_what_to_do(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [
            "No shops to sync: ctrl+s adds one (or `shelf shop add`)."
        ]
