"""What a seller would complain about in the pictures (issue 10), asserted on what the screen
shows: without colour the alarms are bold and bright (not NO_COLOR's dark grey for red), the
timeline's "platform said" gets the width the other columns leave, and the browser's footer
ends with `q Quit` at 100 columns."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rendered import Run, reddish, runs, runs_with
from ui_helpers import add_timeline, apply_filter, screen_text, settle

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.detail import DetailScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen

#: Bright enough to read on black: NO_COLOR used to draw red as #595959 or darker.
BRIGHT = 180


def _alarms(shown: list[Run]) -> tuple[list[Run], list[Run]]:
    """(the reason cells of taken-down items, the deadlines inside 24 hours) in the table."""
    reasons = [r for r in shown if r.row > 2 and r.text.strip() in ("violation", "platform")]
    urgent = [r for r in shown if r.row > 2 and r.text.strip() in ("20h", "late")]
    return reasons, urgent


def _violation_with_deadline(store: Store) -> tuple[str, str]:
    """(shop, item id) of a takedown with a deadline and SKUs."""
    row = store.conn.query(
        "SELECT shop, item_id FROM items WHERE reason = 'violation' AND deadline IS NOT NULL "
        "AND sku_count > 0 ORDER BY item_id LIMIT 1"
    )
    return str(row[0][0]), str(row[0][1])


async def test_without_colour_the_alarms_are_bold_and_bright(
    store: Store, app_for: Callable[..., ShelfApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _, item_id = _violation_with_deadline(store)
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        reasons, urgent = _alarms(runs(app))
        assert reasons and urgent
        for run in reasons:
            assert run.bold and run.luminance >= BRIGHT, run
        for run in urgent:  # reversed: dark letters on a light cell
            assert run.bold and run.background_luminance >= BRIGHT, run
            assert run.luminance < run.background_luminance - 100, run

        await pilot.press("slash", *"stock:lots", "enter")
        await settle(pilot)
        (error,) = runs_with(app, "stock:lots: a number")
        assert error.bold and error.luminance >= BRIGHT

        await pilot.press("escape")
        await apply_filter(pilot, item_id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        for words in ("inactive · violation", " left"):
            (run,) = [r for r in runs_with(app, words) if r.col > 10]
            assert run.bold and run.luminance >= BRIGHT, run


async def test_in_colour_the_alarms_stay_red(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.no_color
        reasons, urgent = _alarms(runs(app))
        assert reasons and urgent
        assert all(r.reddish and r.bold for r in reasons)
        assert all(reddish(r.background) and r.bold for r in urgent)  # reversed


def _said_block(text: str) -> tuple[str, str]:
    """(the header row of the timeline, the newest event's "platform said" lines joined)."""
    lines = text.splitlines()
    head = next(n for n, line in enumerate(lines) if "platform said" in line)
    x = lines[head].index("platform said")
    said = [lines[head + 1][x:].strip()]
    for line in lines[head + 2 :]:
        if line[:x].strip():  # the next event
            break
        said.append(line[x:].strip())
    return lines[head], "".join(said)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 30)], ids=str)
async def test_the_timeline_gives_platform_said_the_rest_of_the_width(
    store: Store, app_for: Callable[..., ShelfApp], size: tuple[int, int]
) -> None:
    shop, item_id = _violation_with_deadline(store)
    item = store.items.get(shop, item_id)
    assert item is not None
    add_timeline(store, item)
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await apply_filter(pilot, item_id)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        table = screen.query_one("#timeline")
        used = sum(c.get_render_width(table) for c in table.columns.values())
        assert used <= table.size.width  # nothing scrolls off to the right
        header, said = _said_block(screen_text(app))
        assert header.rstrip().endswith("platform said") or "platform said " in header
        assert "isv.item-is-delete:invalid-numIid-or-iid" in said  # the code, whole
        text = screen_text(app)
        if size[0] >= 100:
            assert said.endswith("req-3c4d")  # all the platform said
        if size[0] >= 120:  # room for the year and the snapshot column
            assert "2026-11-24 07:00" in text and "snapshot" in text
        else:
            assert "11-24 07:00" in text and "2026-11-24" not in text.split("Timeline")[1]

        # Narrower: the columns are sized again, the cursor stays on its event.
        await pilot.press("down")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.cursor_row == 1
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= 80


async def test_the_browser_footer_ends_with_quit_at_100_columns(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert footer.rstrip().endswith("q Quit"), footer
        assert "Quick filters" not in footer
        await pilot.press("f")  # still bound: the filter bar says so, and ? lists it
        await pilot.pause()
        assert isinstance(app.screen, QuickFilterScreen)
