"""The title bar at 80 columns: the honest counts on the left stay whole, the console's state
on the right gets what is left, and the two never run together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ui_helpers import (
    FakeSync,
    apply_filter,
    catalog,
    count,
    populate,
    screen_text,
    settle,
    table,
)

from shelf_tui.errors import SignInNeeded
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.widgets.title_bar import GAP, RIGHT_FLOOR, right_room

LONG = "ml-mx: sign-in needed: the platform refused the token; run `shelf login ml-mx` again"


async def test_the_counts_stay_whole_beside_a_long_status_at_80_columns(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    sync = FakeSync(store, fail={"ml-mx": SignInNeeded(LONG)})
    app = app_for(sync=sync)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await settle(pilot)
        await apply_filter(pilot, "reason:violation")
        await pilot.press("asterisk")
        await settle(pilot)
        await apply_filter(pilot, "shop:tb-main")
        summary = table(app).summary()
        hidden = count(store, "reason = 'violation' AND shop <> 'tb-main'")
        assert summary.endswith(f"{hidden} hidden by filter")  # the longest left side
        line = screen_text(app).splitlines()[0]
        # the left side whole, then the gap, then the state, cut with an ellipsis
        assert line.startswith(f" {summary}" + " " * GAP)
        right = line[len(summary) + 1 + GAP :]
        assert right.startswith(f"{app.alert_count} alerts (a) · sync failed: m")
        assert right.endswith("…") and len(line) <= 80


async def test_a_short_count_is_never_glued_to_the_alert_count(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """What the demo showed at 80x24: 'Items 53 of 900' + '90 alerts' read 'of 90090'."""
    sync = FakeSync(store, fail={"ml-mx": SignInNeeded(LONG)})
    app = app_for(sync=sync)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await apply_filter(pilot, "reason:violation")
        line = screen_text(app).splitlines()[0]
        summary = table(app).summary()
        assert line.startswith(f" {summary}  ") and f"{app.alert_count} alerts (a)" in line
        assert line.split(summary)[1].startswith("  ")


@pytest.mark.parametrize(
    ("width", "left", "right", "room"),
    [
        (80, "Items 5", "synced now", GAP + 10 + 1),  # room for all: all of it
        (80, "x" * 70, "y" * 40, GAP + RIGHT_FLOOR),  # the floor, however long the left
        (80, "x" * 40, "y" * 60, 80 - 41),  # what the left leaves
        (80, "x" * 70, "short", GAP + 5 + 1),  # never more than it needs
        (80, "anything", "", 0),
        (20, "x" * 40, "y" * 60, GAP + RIGHT_FLOOR),  # a tiny terminal: the left gives way
    ],
)
def test_right_room(width: int, left: str, right: str, room: int) -> None:
    assert right_room(width, left, right) == room


async def test_thousands_read_with_separators_in_the_title(
    tmp_path: Path, app_for: Callable[..., ShelfApp]
) -> None:
    """'Items 3,214 of 98,120 · 57 marked · 12 hidden by filter', as design.md writes it,
    over a few thousand items, whole on an 80-column screen."""
    big = populate(tmp_path / "big.db", catalog(n=4_800, seed=3))
    try:
        app = app_for(store=big)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await apply_filter(pilot, "stock:>0")
            await pilot.press("asterisk")
            await settle(pilot)
            await apply_filter(pilot, "status:active")
            shown = count(big, "status = 'active'")
            marked = count(big, "stock > 0")
            hidden = count(big, "stock > 0 AND status <> 'active'")
            assert min(shown, marked, hidden) >= 1_000
            summary = f"Items {shown:,} of 4,800 · {marked:,} marked · {hidden:,} hidden by filter"
            assert table(app).summary() == summary
            assert screen_text(app).splitlines()[0].startswith(f" {summary}")
    finally:
        big.close()
