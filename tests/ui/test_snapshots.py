"""Snapshots (pytest-textual-snapshot) of every console screen, on a fixed clock and fixed
data. Update with `pytest tests/ui/test_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from ui_helpers import add_timeline, apply_filter, clock, hostile_items, populate, settle

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app


def _app(store: Store) -> ShelfApp:
    return make_app(store, clock=clock, sync_on_open=False)


def _then(*keys: str, filter_text: str | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if filter_text is not None:
            await apply_filter(pilot, filter_text)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


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
    row = store.conn.query(
        "SELECT shop, item_id FROM items WHERE reason = 'violation' AND sku_count > 0 LIMIT 1"
    )[0]
    item = store.items.get(row[0], row[1])
    assert item is not None
    add_timeline(store, item)
    assert snap_compare(
        _app(store), terminal_size=(100, 30), run_before=_then("enter", filter_text=item.item_id)
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
