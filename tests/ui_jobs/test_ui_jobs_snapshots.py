"""Snapshots (pytest-textual-snapshot) of the confirm dialog and the job pane at 80x24 and
100x30, and at 80x24 of the blocked-items list, a job's failed items, the CSV export and a
refused CSV import; each also with NO_COLOR (issue 10). On a fixed clock and a fixed store
(jobs in every state, a failure with the platform's words). Update with
`pytest tests/ui_jobs/test_ui_jobs_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from jobs_ui_helpers import (
    clock,
    flow_done,
    open_dialog,
    settle,
    type_text,
    waited,
    workers_done,
)
from rendered import runs_with, screen_text
from textual.pilot import Pilot
from textual.widgets import Input

from shelf_tui.config import Config, UiConfig
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.confirm import ConfirmScreen, ItemListScreen
from shelf_tui.ui.screens.csv_dialog import CsvExportScreen, CsvImportScreen
from shelf_tui.ui.screens.failed_items import FailedItemsScreen
from shelf_tui.ui.screens.jobs import JobsScreen

SIZES = [(80, 24), (100, 30)]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


async def steady_cursors(pilot: Pilot[Any]) -> None:
    """A blinking cursor is on or off depending on when the picture is taken: hold it on."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def steady_picture(pilot: Pilot[Any]) -> None:
    """Until two pictures in a row are the same (the failures table sizes its columns when
    idle: screenshots/generate.py once caught it half done)."""
    last = ""
    for _ in range(100):
        await workers_done(pilot)
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        picture = pilot.app.export_screenshot()
        if picture == last:
            return
        last = picture
    raise AssertionError("the screen never stopped changing")


def _app(store: Store) -> ShelfApp:
    return make_app(store, clock=clock, sync_on_open=False)


def confirm_case(store: Store) -> RunBefore:
    """List 上架 over two shops' marks with a filter hiding one shop."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        keys = [
            (r[0], r[1])
            for r in store.conn.query(
                "SELECT shop, item_id FROM items WHERE shop != 'temu-us' ORDER BY shop, item_id"
            )
        ]
        app.session.mark(MarkOp("set", tuple(keys)))
        await pilot.press("slash", *"shop:tb-main", "enter")
        await settle(pilot)
        app.clear_notifications()
        await open_dialog(pilot, "L")
        await steady_cursors(pilot)
        assert isinstance(app.screen, ConfirmScreen)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_confirm_dialog(snap_store: Store, snap_compare: Any, size: tuple[int, int]) -> None:
    """List 上架 over two shops' marks with a filter hiding one shop: per-shop counts in the
    shops' accents, the hidden marks, blocked reasons counted, the reason focused."""
    assert snap_compare(_app(snap_store), terminal_size=size, run_before=confirm_case(snap_store))


def pane_case(size: tuple[int, int]) -> RunBefore:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        app.clear_notifications()
        await pilot.press("J")
        await settle(pilot)
        if size == (100, 30):
            await pilot.press("end")
        await workers_done(pilot)  # the list, then the selected job's failures, are read
        await steady_picture(pilot)
        assert isinstance(app.screen, JobsScreen)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "100x30"])
def test_jobs_pane(snap_store: Store, snap_compare: Any, size: tuple[int, int]) -> None:
    """Interrupted and paused jobs first, then the finished ones; at 100x30 the done job with
    its failure is selected."""
    assert snap_compare(_app(snap_store), terminal_size=size, run_before=pane_case(size))


# -- the other job and CSV dialogs at 80x24 -----------------------------------------------------


def blocked_case(store: Store) -> RunBefore:
    """ctrl+o in the List dialog: the items that will not change, and why."""
    confirm = confirm_case(store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await confirm(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ItemListScreen)

    return run_before


def failed_items_case(store: Store) -> RunBefore:
    """m on the done job with a failure: its failed items, marked, in a browser of their own."""
    pane = pane_case((100, 30))

    async def run_before(pilot: Pilot[Any]) -> None:
        await pane(pilot)
        await pilot.press("end")
        await workers_done(pilot)
        await pilot.press("m")
        await workers_done(pilot)
        await settle(pilot)
        assert isinstance(pilot.app.screen, FailedItemsScreen)
        pilot.app.clear_notifications()  # "Marked 1 failed items…" times out: not pictured
        await steady_picture(pilot)

    return run_before


def csv_export_case(store: Store) -> RunBefore:
    """e with marks: the marked items or the filter's, to a file named by the date."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        app.clear_notifications()
        keys = [(r[0], r[1]) for r in store.conn.query("SELECT shop, item_id FROM items")]
        app.session.mark(MarkOp("set", tuple(keys[:5])))
        await settle(pilot)
        await pilot.press("e")
        await workers_done(pilot)
        await settle(pilot)
        assert isinstance(app.screen, CsvExportScreen)
        await steady_cursors(pilot)

    return run_before


def csv_import_case(store: Store) -> RunBefore:
    """i on a CSV with bad rows: every one listed with its line and why, nothing marked."""
    path = Path.home() / "delist.csv"  # HOME is the test's (root conftest): shown as ~/
    path.write_text(
        "item_id,reason\n"
        "61000000,out of stock\n"
        "999999999,typo\n"
        "61000003,\n"
        "61000000,again\n"
        "6.10000000001E+7,excel\n"
        "MLM2000001,ok\n",
        encoding="utf-8",
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, ShelfApp)
        await settle(pilot)
        await waited(app.jobs.started.wait())
        app.clear_notifications()
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CsvImportScreen)
        screen.read_done.clear()
        await pilot.press(*"~/delist.csv", "enter")
        await waited(screen.read_done.wait())
        await settle(pilot)
        assert screen.refusals
        await steady_cursors(pilot)

    return run_before


CASES: dict[str, Callable[[Store], RunBefore]] = {
    "confirm": confirm_case,
    "jobs_pane": lambda store: pane_case((80, 24)),
    "blocked_items": blocked_case,
    "failed_items": failed_items_case,
    "csv_export": csv_export_case,
    "csv_import_refused": csv_import_case,
}


@pytest.mark.parametrize(
    "name", ["blocked_items", "failed_items", "csv_export", "csv_import_refused"]
)
def test_dialog_80x24(snap_store: Store, snap_compare: Any, name: str) -> None:
    run_before = CASES[name](snap_store)
    assert snap_compare(_app(snap_store), terminal_size=(80, 24), run_before=run_before)


NO_COLOR_CASES = [
    "confirm",
    "jobs_pane",
    "blocked_items",
    "failed_items",
    "csv_export",
    "csv_import_refused",
]


@pytest.mark.parametrize("name", NO_COLOR_CASES)
def test_no_color_80x24(
    snap_store: Store, snap_compare: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Without colour: the counts' words, ⚠, the focused button and the job states' words
    carry what the accents and colours would. NO_COLOR is read when the app is built."""
    monkeypatch.setenv("NO_COLOR", "1")
    run_before = CASES[name](snap_store)
    app = _app(snap_store)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# -- what the pictures promise, read off the screen ---------------------------------------------


async def test_confirm_button_says_what_will_be_sent_and_the_count_is_the_jobs_total(
    snap_store: Store,
) -> None:
    """12 marked, 2 will change (6 already on sale, 4 blocked): the button says "List 2 of
    12"; above the threshold the count to type is the job's 12, and the prompt says so."""
    app = make_app(
        snap_store, clock=clock, sync_on_open=False, config=Config(ui=UiConfig(type_count_above=5))
    )
    before = {j.id for j in snap_store.jobs.all()}
    async with app.run_test(size=(80, 24)) as pilot:
        await confirm_case(snap_store)(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        plan = screen.request.plan
        assert (plan.total, plan.change, plan.blocked) == (12, 2, 4)
        text = screen_text(app)
        assert "List 2 of 12" in text
        assert "Blocked 4 (not sent; they end as skipped)" in text
        assert "Type 12, the job's total (sent or not), to confirm:" in text
        await type_text(pilot, "promotion ended")
        await pilot.press("enter")
        await pilot.press("2", "enter")  # the number on the button is not the job's total
        assert app.screen is screen and "2 is not 12: type the job's total" in screen_text(app)
        assert {j.id for j in snap_store.jobs.all()} == before  # nothing journaled
        count = screen.query_one("#count", Input)
        count.value = ""
        await pilot.press("1", "2", "enter")
        await flow_done(pilot)
    new = [j for j in snap_store.jobs.all() if j.id not in before]
    assert sorted(j.total for j in new) == [6, 6]  # every item journaled, shop by shop


async def test_refused_csv_rows_show_why_whole(snap_store: Store) -> None:
    app = _app(snap_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await csv_import_case(snap_store)(pilot)
        text = " ".join(line.strip(" │") for line in screen_text(app).splitlines())
        assert "as far as the store knows (run `shelf sync ml-mx tb-main temu-us`?)" in text
        assert "format the id column as Text and export again" in text


async def test_job_pane_shows_the_failure_code_whole(snap_store: Store) -> None:
    app = _app(snap_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pane_case((100, 30))(pilot)
        text = screen_text(app)
        assert "isv.item-delist-locked" in text and "活动期间禁止下架 (618大促) · 0bb1f2e5" in text


async def test_without_colour_the_refused_csv_headline_is_bold_and_bright(
    snap_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(snap_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await csv_import_case(snap_store)(pilot)
        assert app.no_color
        found = runs_with(app, "Refused: 3 bad rows")
        assert found and all(r.bold and r.luminance >= 180 for r in found), found
