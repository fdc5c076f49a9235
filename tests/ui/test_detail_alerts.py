"""Item detail with its timeline and snapshot; the alerts view and its count."""

from __future__ import annotations

from collections.abc import Callable

from ui_helpers import NOW, add_timeline, apply_filter, count, reference, screen_text, settle, table

from shelf_tui.domain import Reason
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.detail import DetailScreen
from shelf_tui.ui.screens.event import EventScreen


def _violation_with_skus(store: Store) -> tuple[str, str]:
    rows = store.conn.query(
        "SELECT shop, item_id FROM items WHERE reason = 'violation' AND sku_count > 0 "
        "AND deadline IS NOT NULL ORDER BY item_id LIMIT 1"
    )
    return rows[0][0], rows[0][1]


async def test_enter_opens_every_field_and_the_timeline_newest_first(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    shop, item_id = _violation_with_skus(store)
    item = store.items.get(shop, item_id)
    assert item is not None
    add_timeline(store, item)
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await apply_filter(pilot, item_id)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.item == item
        text = screen_text(app)
        assert f"Item {shop} · {item_id}" in text
        assert "inactive · violation" in text
        assert "instock / violation_off_shelf" in text  # the platform's own words
        assert f"{item.skus[0].sku_id}" in text and "颜色:红色;尺码:M" in text
        assert "deadline" in text and ("left" in text or "overdue" in text)
        timeline = screen.query_one("#timeline")
        actions = [str(timeline.get_row_at(r)[2]) for r in range(timeline.row_count)]
        assert actions == ["list", "delist", "sync"]
        failed = timeline.get_row_at(0)
        assert str(failed[3]) == "failed"
        assert (
            str(failed[5])
            == "isv.item-is-delete:invalid-numIid-or-iid · 商品已被删除 [bold]x[/] · req-3c4d"
        )
        assert str(timeline.get_row_at(1)[6]) == "snapshot"

        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EventScreen)
        shown = screen_text(app)
        assert "IP complaint (TRO)" in shown and "req-1a2b" in shown
        assert "snapshot before the change" in shown
        assert '"stock": 12' in shown and '"status": "active"' in shown
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "browser"


async def test_alerts_list_platform_takedowns_and_locks_soonest_deadline_first(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    where = f"reason IN ('violation', 'platform') OR (locked_until IS NOT NULL AND locked_until > {NOW})"
    expected = reference(store, where, "IFNULL(deadline, 253402300799) ASC, rowid ASC")
    app = app_for()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert f"{len(expected)} alerts (a)" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.id == "alerts"
        t = table(app)
        assert [i.key for i in t.visible_items()] == expected
        text = screen_text(app)
        assert f"Alerts {len(expected)} · taken down or locked · soonest deadline first" in text
        overdue = count(store, f"deadline IS NOT NULL AND deadline <= {NOW} AND ({where})")
        assert overdue > 0
        first = t.visible_items()[0]
        assert first.deadline is not None and first.reason in (Reason.VIOLATION, Reason.PLATFORM)
        assert "overdue 2h 0m" in text.splitlines()[2]
        assert "1h 1m left" in text and "20h 2m left" in text and "2d 22h left" in text
        # enter opens the detail, escape comes back to the alerts
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.item == first
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen.id == "browser"


async def test_alerts_mark_the_same_items_as_the_browser(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """Marks are by item: marked in alerts, they show marked in the browser too."""
    app = app_for()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        first = table(app).visible_items()[0]
        await pilot.press("space", "escape")
        await settle(pilot)
        browser = table(app)
        position = reference(store, "1").index(first.key)
        assert browser.is_marked(position) is True
        assert browser.summary() == "Items 60 · 1 marked"
