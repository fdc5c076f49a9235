"""A new seller's first screen: no shops, no items. The browser says which key adds a shop
(the footer does not show ctrl+s), and that key leads to adding one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui_helpers import clock, screen_text, settle

from shelf_tui.store import Store
from shelf_tui.ui.app import make_app
from shelf_tui.ui.screens.shop_form import AddShopScreen
from shelf_tui.ui.screens.shops import ShopsScreen


async def test_an_empty_browser_points_at_the_key_that_adds_a_shop(
    tmp_path: Path, memory_keyring: Any
) -> None:
    with Store.open(tmp_path / "empty.db") as store:
        app = make_app(store, clock=clock, sync_on_open=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            lines = screen_text(app).splitlines()
            assert lines[3] == (
                "  No items yet: r syncs your shops, ctrl+s adds one, or try `shelf demo`."
            )
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, ShopsScreen)
            assert "No shops yet. Press a to add one" in screen_text(app)
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, AddShopScreen)
