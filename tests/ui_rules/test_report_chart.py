"""The report (`I`): the 30-day list/delist chart read back off the screen matches
`daily_activity` cell for cell (you █, rules ▒, platform ░; listings above the axis, delistings
below), scales to the busiest day with every non-empty day visible, gives a day's exact
numbers under the cursor, and shows `shelf report`'s text without moving its mark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rules_ui_helpers import NOW, NOW_DT, screen_text, settle

from shelf_tui.rules import DayActivity, daily_activity
from shelf_tui.rules.report import LAST_KEY
from shelf_tui.store import Event, Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.report import ReportScreen
from shelf_tui.ui.widgets.chart import ActivityChart, geometry, split_cells, stack

SERIES = (("user", "█"), ("rule", "▒"), ("platform", "░"))


def bars(app: ShelfApp) -> list[tuple[str, str]]:
    """Each day's column as drawn: (glyphs above the axis from the axis up, below from the
    axis down), found from the axis corner `┼` and the chart's slot width."""
    chart = app.screen.query_one(ActivityChart)
    lines = screen_text(app).splitlines()
    (axis,) = [n for n, line in enumerate(lines) if "┼" in line]
    corner = lines[axis].index("┼")
    slot = geometry(chart.size.width, len(chart.days), chart.unit * chart.rows).slot
    out = []
    for day in range(len(chart.days)):
        x = corner + 1 + day * slot

        def cell(n: int, x: int = x) -> str:
            line = lines[n]
            return line[x] if x < len(line) else " "

        up = "".join(cell(axis - k) for k in range(1, chart.rows + 1)).rstrip()
        down = "".join(cell(axis + k) for k in range(1, chart.rows + 1)).rstrip()
        out.append((up, down))
    return out


def expected_cells(day: DayActivity, kind: str) -> str:
    return "".join(glyph * int(getattr(day, f"{kind}_{key}")) for key, glyph in SERIES)


async def open_report(pilot: Any, app: ShelfApp) -> ReportScreen:
    await settle(pilot)
    await pilot.press("I")
    await settle(pilot)
    assert isinstance(app.screen, ReportScreen)
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_bars_match_daily_activity_cell_for_cell(
    app_for: Callable[..., ShelfApp], store: Store, size: tuple[int, int]
) -> None:
    days = daily_activity(store, NOW_DT, days=30)
    assert sum(d.listed + d.delisted for d in days) == 23  # seeded (helpers.ACTIVITY + timeline)
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await open_report(pilot, app)
        chart = app.screen.query_one(ActivityChart)
        assert chart.unit == 1  # the busiest day (4) fits: one cell per event
        drawn = bars(app)
        assert len(drawn) == 30
        for day, (up, down) in zip(days, drawn, strict=True):
            assert up == expected_cells(day, "list"), day
            assert down == expected_cells(day, "delist"), day
        text = screen_text(app)
        assert "one cell = 1 event" in text and "█ you  ▒ rules  ░ platform" in text
        assert "10-27" in text and "11-24" in text  # dates under the columns


async def test_the_cursor_day_and_the_span_have_exact_numbers(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    days = daily_activity(store, NOW_DT, days=30)
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_report(pilot, app)
        lines = screen_text(app).splitlines()
        today = next(line for line in lines if "2026-11-24 Tue today" in line)
        assert today.split()[3:] == ["0", "0", "0", "0", "4", "2", "1", "1"]
        span = next(line for line in lines if line.lstrip().startswith("last 30 days"))
        listed = [sum(getattr(d, f"list_{k}") for d in days) for k, _ in SERIES]
        delisted = [sum(getattr(d, f"delist_{k}") for d in days) for k, _ in SERIES]
        assert span.split()[3:] == [
            str(n) for n in (sum(listed), *listed, sum(delisted), *delisted)
        ]
        # a week back: rule:nightly listed 4 and delisted 4
        await pilot.press(*["left"] * 7)
        await settle(pilot)
        lines = screen_text(app).splitlines()
        week = next(line for line in lines if line.lstrip().startswith("2026-11-17"))
        assert week.split()[2:] == ["4", "0", "4", "0", "4", "0", "4", "0"]
        marker = next(line for line in lines if line.strip().startswith("^"))
        axis = next(line for line in lines if "┼" in line)
        assert marker.index("^") == axis.index("┼") + 1 + 22 * 2  # day 22 of 30, 2 cells each


async def test_a_busy_day_scales_the_chart_and_a_quiet_one_still_shows(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    store.events.append_many(
        [
            Event(
                shop="tb-main",
                item_id=f"tb-{n % 30}",
                actor="rule:zero-stock",
                action="delist",
                outcome="ok",
                at=NOW - 2 * 86400 - n,
            )
            for n in range(40)
        ]
    )
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_report(pilot, app)
        chart = app.screen.query_one(ActivityChart)
        assert chart.rows == 5 and chart.unit == 8  # 40 in 5 cells
        drawn = bars(app)
        assert drawn[27][1] == "▒" * 5  # 2 days ago: the busiest day, full height
        assert drawn[29] == ("", "█▒░")  # today's 2+1+1 would be one cell: one per series
        assert drawn[28][0] == "█▒"  # yesterday's 3 + 1 listings
        assert "one cell = 8 events" in screen_text(app)


def test_split_cells_keeps_proportions_and_shows_every_series() -> None:
    assert split_cells([8, 0, 0], 5) == [5, 0, 0]
    assert split_cells([30, 10, 0], 4) == [3, 1, 0]
    assert split_cells([100, 1, 1], 3) == [1, 1, 1]  # a lone platform delist is never lost
    assert split_cells([0, 0, 0], 5) == [0, 0, 0]
    for values in ([3, 5, 7], [1, 1, 50], [9, 0, 2], [1, 0, 0]):
        for cells in range(0, 9):
            got = split_cells(values, cells)
            assert sum(got) == cells
            if cells >= sum(1 for v in values if v):
                assert all(n > 0 for n, v in zip(got, values, strict=True) if v)


def test_stack_rounds_a_day_up_to_at_least_one_cell() -> None:
    day = DayActivity(NOW_DT.date(), delist_platform=1)
    assert stack(day, "delist", 100, 5) == ["░"]
    assert stack(day, "list", 100, 5) == []
    big = DayActivity(NOW_DT.date(), list_user=500, list_rule=500)
    assert stack(big, "list", 200, 5) == ["█"] * 3 + ["▒"] * 2


async def test_the_report_text_follows_and_viewing_it_moves_no_mark(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_report(pilot, app)
        body = screen.query_one("#report-text")
        await pilot.press("end")  # scroll the page down to the text
        await settle(pilot)
        text = screen_text(app)
        assert "shelf report · 2026-11-24 08:00 UTC" in text or body.region.y >= 0
        report = str(body.render())
        assert "tb-main (Taobao): 35 items" in report
        assert "active 29 · inactive 6 (sold_out 3, seller 2, violation 1)" in report
        assert "lin@shop-box" in report and "What changed, and who did it" in report
        assert "Report · changes since 2026-11-23 08:00 UTC (24 h)" in screen_text(app)
    assert store.conn.scalar("SELECT count(*) FROM meta WHERE key = ?", (LAST_KEY,)) == 0


async def test_new_events_redraw_the_chart(app_for: Callable[..., ShelfApp], store: Store) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_report(pilot, app)
        assert bars(app)[29] == ("", "██▒░")
        store.events.append(
            Event(
                shop="tb-main",
                item_id="tb-9",
                actor="lin@shop-box",
                action="list",
                outcome="ok",
                at=NOW - 60,
            )
        )
        app.session.data_changed()  # what a sync or a finished job does
        await settle(pilot)
        assert bars(app)[29] == ("█", "██▒░")
