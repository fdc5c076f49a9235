"""The app shell: bindings with ids that config.toml's [keymap] remaps, no animations by
default, NO_COLOR still readable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.binding import Binding
from ui_helpers import settle, table

from shelf_tui.config import Config, UiConfig
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.alerts import AlertsScreen
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.detail import DetailScreen
from shelf_tui.ui.screens.event import EventScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen
from shelf_tui.ui.widgets.filter_bar import FilterBar
from shelf_tui.ui.widgets.item_table import ItemTable

OWNERS: list[Any] = [
    ShelfApp,
    BrowserScreen,
    ItemTable,
    FilterBar,
    QuickFilterScreen,
    DetailScreen,
    EventScreen,
    AlertsScreen,
]


def test_every_binding_has_a_unique_id() -> None:
    """Issue 10 remaps keys by binding id: none may be missing or shared."""
    ids: list[str] = []
    for owner in OWNERS:
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding), owner
            assert binding.id, f"{owner.__name__}: {binding.key} has no id"
            ids.append(binding.id)
    assert len(ids) == len(set(ids))


async def test_keymap_from_config_remaps_by_id(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    config = Config(keymap={"items.mark": "x", "app.alerts": "ctrl+a"})
    app = app_for(config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert table(app).is_marked(0) is False
        await pilot.press("x")
        await settle(pilot)
        assert table(app).is_marked(0) is True
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.id == "browser"
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert app.screen.id == "alerts"


@pytest.mark.parametrize("animations", [False, True])
def test_animations_follow_the_config(
    store: Store, app_for: Callable[..., ShelfApp], animations: bool
) -> None:
    app = app_for(config=Config(ui=UiConfig(animations=animations)))
    assert app.animation_level == ("full" if animations else "none")


def test_no_color_browser_80x24(
    store: Store,
    app_for: Callable[..., ShelfApp],
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without colour the status and reason words, the ✓ marks and the > cursor carry it."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for()

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("down", "space", "space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
