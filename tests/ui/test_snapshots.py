"""Snapshots (pytest-textual-snapshot) of every console screen, on a fixed clock and fixed
data; every screen at 80x24 in the default theme and with NO_COLOR (issue 10). Update with
`pytest tests/ui/test_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input
from ui_helpers import add_timeline, apply_filter, clock, hostile_items, populate, settle

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.screens.help import HelpScreen


def _app(store: Store) -> ShelfApp:
    return make_app(store, clock=clock, sync_on_open=False)


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """A blinking cursor is on or off depending on when the picture is taken: hold it on."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def _then(*keys: str, filter_text: str | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if filter_text is not None:
            await apply_filter(pilot, filter_text)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await steady_cursors(pilot)

    return run_before


def _timeline_item(store: Store) -> str:
    """A violation delist with SKUs, given a timeline; its id."""
    row = store.conn.query(
        "SELECT shop, item_id FROM items WHERE reason = 'violation' AND sku_count > 0 LIMIT 1"
    )[0]
    item = store.items.get(row[0], row[1])
    assert item is not None
    add_timeline(store, item)
    return item.item_id


def test_browser_100x30(store: Store, snap_compare: Any) -> None:
    """Marks (a range and a single), the cursor, red violation and grey seller tags."""
    assert snap_compare(
        _app(store),
        terminal_size=(100, 30),
        run_before=_then("down", "v", "down", "down", "v", "down", "down", "space"),
    )


def test_browser_80x24_filtered_with_hidden_marks(store: Store, snap_compare: Any) -> None:
    """`*` on violations, then another filter: the title counts the hidden marks."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await apply_filter(pilot, "reason:violation,platform")
        await pilot.press("asterisk")
        await settle(pilot)
        await apply_filter(pilot, "status:active stock:0")

    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_filter_error_80x24(store: Store, snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash", *"stock:lots", "enter")
        await settle(pilot)

    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=run_before)


def test_quick_filters_80x24(store: Store, snap_compare: Any) -> None:
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_then("f"))


def test_detail_100x30(store: Store, snap_compare: Any) -> None:
    item_id = _timeline_item(store)
    assert snap_compare(
        _app(store), terminal_size=(100, 30), run_before=_then("enter", filter_text=item_id)
    )


def test_detail_80x24(store: Store, snap_compare: Any) -> None:
    """The fields, the SKU and the timeline's newest rows fit 80 columns."""
    item_id = _timeline_item(store)
    assert snap_compare(
        _app(store), terminal_size=(80, 24), run_before=_then("enter", filter_text=item_id)
    )


def test_detail_snapshot_event_80x24(store: Store, snap_compare: Any) -> None:
    item = store.items.get("ml-mx", "MLM100004")
    assert item is not None
    add_timeline(store, item)
    assert snap_compare(
        _app(store),
        terminal_size=(80, 24),
        run_before=_then("enter", "down", "enter", filter_text=item.item_id),
    )


def test_alerts_100x30(store: Store, snap_compare: Any) -> None:
    assert snap_compare(_app(store), terminal_size=(100, 30), run_before=_then("a"))


def test_alerts_80x24(store: Store, snap_compare: Any) -> None:
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_then("a"))


def test_hostile_titles_100x30(tmp_path: Path, snap_compare: Any) -> None:
    """Markup, ANSI escapes, emoji (joined too), 300 CJK characters, RTL, empty, newlines and
    bidi overrides: each drawn literally on one row, none moving a column."""
    store = populate(tmp_path / "hostile.db", hostile_items())
    try:
        assert snap_compare(_app(store), terminal_size=(100, 30), run_before=_then())
    finally:
        store.close()


def test_empty_store_says_what_to_do(tmp_path: Path, snap_compare: Any) -> None:
    store = Store.open(tmp_path / "empty.db")
    try:
        assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_then())
    finally:
        store.close()


# -- NO_COLOR at 80x24 ------------------------------------------------------------------------
# The browser with the ✓ marks and the > cursor is tests/ui/test_app.py::
# test_no_color_browser_80x24; here the other screens and the browser's other states.


def _no_color_case(name: str, store: Store, tmp_path: Path) -> tuple[Store, Any]:
    """(the store to open, run_before) of one NO_COLOR picture."""
    if name == "browser_filtered_with_hidden_marks":

        async def hidden_marks(pilot: Pilot[Any]) -> None:
            await settle(pilot)
            await apply_filter(pilot, "reason:violation,platform")
            await pilot.press("asterisk")
            await settle(pilot)
            await apply_filter(pilot, "status:active stock:0")
            await steady_cursors(pilot)

        return store, hidden_marks
    if name == "filter_error":
        return store, _then("slash", *"stock:lots", "enter")
    if name == "quick_filters":
        return store, _then("f")
    if name == "detail":
        return store, _then("enter", filter_text=_timeline_item(store))
    if name == "event":
        item = store.items.get("ml-mx", "MLM100004")
        assert item is not None
        add_timeline(store, item)
        return store, _then("enter", "down", "enter", filter_text=item.item_id)
    if name == "alerts":
        return store, _then("a")
    if name == "empty_store":
        return Store.open(tmp_path / "empty.db"), _then()
    if name == "help":
        return store, _help()
    if name == "command_palette":
        return store, _palette()
    raise AssertionError(name)


NO_COLOR_CASES = [
    "browser_filtered_with_hidden_marks",
    "filter_error",
    "quick_filters",
    "detail",
    "event",
    "alerts",
    "empty_store",
    "help",
    "command_palette",
]


@pytest.mark.parametrize("name", NO_COLOR_CASES)
def test_no_color_80x24(
    store: Store,
    tmp_path: Path,
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """Without colour the words, ✓, >, ⚠ and the layout carry what colour would. NO_COLOR is
    read when the app is built, so it is set first."""
    monkeypatch.setenv("NO_COLOR", "1")
    opened, run_before = _no_color_case(name, store, tmp_path)
    try:
        app = _app(opened)
        assert app.no_color
        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    finally:
        if opened is not store:
            opened.close()


# -- help (?) and the command palette (ctrl+p) --------------------------------------------------


async def steady_picture(pilot: Pilot[Any]) -> None:
    """Until two pictures in a row are the same: the palette's hits arrive one by one and a
    table sizes its columns when idle."""
    last = ""
    for _ in range(100):
        await settle(pilot)
        await steady_cursors(pilot)
        await pilot.wait_for_scheduled_animations()
        picture = pilot.app.export_screenshot()
        if picture == last:
            return
        last = picture
    raise AssertionError("the screen never stopped changing")


def _help() -> Callable[[Pilot[Any]], Any]:
    """`?` on the browser: its keys as mapped now, with their binding ids."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await steady_picture(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)

    return run_before


def _palette() -> Callable[[Pilot[Any]], Any]:
    """ctrl+p, "items": the namespaced commands that act on the items."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await steady_picture(pilot)
        assert isinstance(pilot.app.screen, CommandPalette)
        await pilot.press(*"items")
        await steady_picture(pilot)

    return run_before


def test_help_80x24(store: Store, snap_compare: Any) -> None:
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_help())


def test_command_palette_80x24(store: Store, snap_compare: Any) -> None:
    assert snap_compare(_app(store), terminal_size=(80, 24), run_before=_palette())
