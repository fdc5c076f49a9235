"""Marks: by (shop, item id), surviving refresh, sort, filter and resync; `*` as a predicate;
honest counts of marks the filter hides."""

from __future__ import annotations

from collections.abc import Callable

from ui_helpers import (
    FakeSync,
    all_rows,
    apply_filter,
    count,
    reference,
    restock_and_touch,
    settle,
    table,
)

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp


def grouped(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for shop, item_id in sorted(keys):
        out.setdefault(shop, []).append(item_id)
    return out


async def test_space_marks_the_cursor_row_and_moves_down(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = reference(store, "1")
        await pilot.press("space", "space", "down", "space")
        await settle(pilot)
        t = table(app)
        assert t.cursor == 4
        assert [t.is_marked(i) for i in range(5)] == [True, True, False, True, False]
        assert await app.session.marked_keys() == grouped([rows[0], rows[1], rows[3]])
        assert t.summary() == "Items 60 · 3 marked"
        # space on a marked row unmarks it
        await pilot.press("up", "space")
        await settle(pilot)
        assert await app.session.marked_keys() == grouped([rows[0], rows[1]])


async def test_v_marks_the_range_between_two_presses(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for(block=6)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = reference(store, "1")
        await pilot.press(*["down"] * 3, "v", *["down"] * 14, "v")
        await settle(pilot)
        assert await app.session.marked_keys() == grouped(rows[3:18])
        assert table(app).summary() == "Items 60 · 15 marked"
        # upwards works too, and adds to what is marked
        await pilot.press("end")
        await settle(pilot)
        await pilot.press("v", "up", "up", "v")
        await settle(pilot)
        assert await app.session.marked_keys() == grouped(rows[3:18] + rows[57:60])


async def test_star_then_a_filter_change_reports_the_hidden_marks(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """`*` on reason:violation, then shop:tb-main: '… N marked · M hidden by filter' with
    N and M from reference SQL, and the marks are a predicate, not a list of rows."""
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "reason:violation")
        await pilot.press("asterisk")
        await settle(pilot)
        violations = count(store, "reason = 'violation'")
        assert table(app).summary() == f"Items {violations} of 60 · {violations} marked"
        await apply_filter(pilot, "shop:tb-main")
        hidden = count(store, "reason = 'violation' AND shop <> 'tb-main'")
        shown = count(store, "shop = 'tb-main'")
        assert hidden > 0
        assert table(app).summary() == (
            f"Items {shown} of 60 · {violations} marked · {hidden} hidden by filter"
        )
        # the visible violation rows of tb-main are drawn marked, the others not
        t = table(app)
        for index, item in enumerate(t.visible_items()):
            assert t.is_marked(index) is (item.reason.value == "violation")
        # a predicate: an item that becomes a violation later is marked too
        target = store.items.get(
            "tb-main", reference(store, "shop = 'tb-main' AND reason <> 'violation'")[0][1]
        )
        assert target is not None
        from dataclasses import replace

        from shelf_tui.domain import Reason, Status

        store.items.upsert([replace(target, status=Status.INACTIVE, reason=Reason.VIOLATION)])
        app.session.data_changed()
        await settle(pilot)
        assert target.key in [
            (s, i) for s, ids in (await app.session.marked_keys()).items() for i in ids
        ]
        assert (
            table(app).mark_counts is not None and table(app).mark_counts.marked == violations + 1
        )


async def test_marks_survive_a_resync_and_the_cursor_stays_on_its_item(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    sync = FakeSync(store, restock_and_touch)
    app = app_for(sync=sync, block=8)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = reference(store, "1")
        await pilot.press("space", "down", "space", *["down"] * 20, "space", "up")
        await settle(pilot)
        marked = grouped([rows[0], rows[2], rows[23]])
        assert await app.session.marked_keys() == marked
        t = table(app)
        cursor_key = t.cursor_item.key if t.cursor_item else None
        assert cursor_key == rows[23]
        screen_row = t.cursor - int(t.scroll_y)
        stock_before = {i.key: i.stock for i in t.visible_items()}

        await pilot.press("r")
        await app.workers.wait_for_complete()
        await settle(pilot)

        assert sync.calls == ["tb-main", "ml-mx", "temu-us"]
        assert await app.session.marked_keys() == marked
        assert t.cursor_item is not None and t.cursor_item.key == cursor_key
        # the cursor keeps its place on screen when the item moved (as far as scrolling can)
        assert int(t.scroll_y) == max(0, t.cursor - screen_row)
        new_rows = reference(store, "1")
        assert t.cursor == new_rows.index(cursor_key)
        # rows changed in place: new stock drawn, marks drawn on the same items
        for index, item in enumerate(t.visible_items(), start=int(t.scroll_y)):
            if item.key in stock_before:
                assert item.stock == stock_before[item.key] + 7
            assert t.is_marked(index) is (item.key in {rows[0], rows[2], rows[23]})
        assert t.summary() == "Items 63 · 3 marked"


async def test_marks_survive_sort_and_filter_changes_and_u_clears(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rows = reference(store, "1")
        await pilot.press("space", "space", "space")
        await pilot.press("s", "S")
        await apply_filter(pilot, "status:active,inactive")
        await apply_filter(pilot, "")
        await settle(pilot)
        assert await app.session.marked_keys() == grouped(rows[:3])
        t = table(app)
        order = await all_rows(pilot)
        assert order == reference(store, "1", "shop DESC, item_id DESC")
        assert [order[i] for i in range(60) if t.is_marked(i)] == sorted(rows[:3], reverse=True)
        await pilot.press("u")
        await settle(pilot)
        assert await app.session.marked_keys() == {}
        assert t.summary() == "Items 60"
        assert not any(t.is_marked(i) for i in range(min(60, t.size.height)))
