"""CSV in the console: an import marks the listed items only when every row checks out (one
refusal lists every bad row, nothing is marked), then L/D act on them as usual; an export
writes the marks or the current filter with the columns of `shelf items --csv`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from jobs_ui_helpers import active_ids, counts, open_dialog, settle, table, waited
from textual.widgets import Input, Static

from shelf_tui.cli.console import Demo
from shelf_tui.jobs.csvio import ITEM_FIELDS
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.csv_dialog import CsvExportScreen, CsvImportScreen


async def import_file(pilot, path: Path) -> CsvImportScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await pilot.press("i")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, CsvImportScreen)
    screen.query_one("#csv-path", Input).value = str(path)
    screen.read_done.clear()
    await pilot.press("enter")
    await waited(screen.read_done.wait())
    await pilot.pause()
    return screen


def result_of(screen: CsvImportScreen | CsvExportScreen) -> str:
    return str(screen.query_one("#csv-result", Static).render())


async def test_an_import_with_bad_rows_refuses_them_all_and_marks_nothing(
    demo: Demo, demo_app: Callable[..., ShelfApp], tmp_path: Path
) -> None:
    good = active_ids(demo.store, "tb-main", 2)
    other = active_ids(demo.store, "ml-mx", 1)[0]
    path = tmp_path / "delist.csv"
    path.write_text(
        "item_id,reason\n"
        f"{good[0]},out of stock\n"
        "999999999,typo\n"  # line 3: no shop has it
        f"{good[1]},\n"
        f"{good[0]},again\n"  # line 5: a duplicate
        "6.00000000001E+11,excel\n"  # line 6: Excel ate the digits
        f"{other},ml\n",
        encoding="utf-8",
    )
    app = demo_app()
    before = counts(demo.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await import_file(pilot, path)
        assert app.screen is screen  # stays open: the seller fixes the file
        assert "Refused: 3 bad rows" in result_of(screen) and "nothing was marked" in result_of(
            screen
        )
        assert [(r.line, r.item_id) for r in screen.refusals] == [
            (3, "999999999"),
            (5, good[0]),
            (6, "6.00000000001E+11"),
        ]
        assert "duplicate" in screen.refusals[1].why
        assert "Excel" in screen.refusals[2].why
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert await app.session.marked_keys() == {}
        assert table(app).mark_counts is None or table(app).mark_counts.marked == 0
    assert counts(demo.store) == before


async def test_an_unreadable_file_is_one_line_and_marks_nothing(
    demo: Demo, demo_app: Callable[..., ShelfApp], tmp_path: Path
) -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await import_file(pilot, tmp_path / "missing.csv")
        assert "cannot read" in result_of(screen)
        headerless = tmp_path / "ids.csv"
        headerless.write_text("600000000000\n600000000013\n", encoding="utf-8")
        screen.query_one("#csv-path", Input).value = str(headerless)
        screen.read_done.clear()
        await pilot.press("enter")
        await waited(screen.read_done.wait())
        assert "names no id column" in result_of(screen)
        await pilot.press("escape")
        assert await app.session.marked_keys() == {}


async def test_a_gb18030_tab_file_over_two_shops_marks_its_items_for_l_and_d(
    demo: Demo, demo_app: Callable[..., ShelfApp], tmp_path: Path
) -> None:
    tb = active_ids(demo.store, "tb-main", 2)
    temu = active_ids(demo.store, "temu-us", 1)
    path = tmp_path / "下架清单.csv"
    rows = ["商品ID\t原因", *(f"{i}\t缺货" for i in [*tb, *temu])]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await import_file(pilot, path)
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert await app.session.marked_keys() == {"tb-main": sorted(tb), "temu-us": temu}
        notices = [n.message for n in app._notifications]
        assert any("Marked 3 items" in m and "tb-main 2, temu-us 1" in m for m in notices)
        dialog = await open_dialog(pilot, "D")
        assert "2 shops · 3 items" in str(dialog.query_one("#confirm-plan", Static).render())
        await pilot.press("escape")


async def test_export_writes_the_marks(
    demo: Demo, demo_app: Callable[..., ShelfApp], tmp_path: Path
) -> None:
    ids = active_ids(demo.store, "ml-mx", 3)
    out = tmp_path / "marked.csv"
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("ml-mx", i) for i in ids)))
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CsvExportScreen) and screen.scope == "marks"
        path_input = screen.query_one("#csv-path", Input)
        assert path_input.value.startswith("shelf-marked-") and path_input.value.endswith(".csv")
        path_input.value = str(out)
        await pilot.press("enter")
        await waited(screen.write_done.wait())
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        notices = [n.message for n in app._notifications]
        assert f"Wrote 3 marked items to {out}" in notices
    text = out.read_bytes().decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert tuple(records[0]) == ITEM_FIELDS
    assert sorted(r["item_id"] for r in records) == sorted(ids)
    assert {r["shop"] for r in records} == {"ml-mx"}


async def test_export_of_the_filter_asks_before_replacing_a_file(
    demo: Demo, demo_app: Callable[..., ShelfApp], tmp_path: Path
) -> None:
    out = tmp_path / "active.csv"
    out.write_text("keep me\n", encoding="utf-8")
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status:inactive", "enter")
        await settle(pilot)
        total = table(app).total
        assert total
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CsvExportScreen) and screen.scope == "filter"
        screen.query_one("#csv-path", Input).value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        assert "exists: press enter again" in result_of(screen)
        assert out.read_text(encoding="utf-8") == "keep me\n"
        await pilot.press("enter")
        await waited(screen.write_done.wait())
    records = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(records) == total and {r["status"] for r in records} == {"inactive"}
