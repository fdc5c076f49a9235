"""The rules screen (`R`): the rules with kind, shops, on/off, last run and next due from the
injected clock; `space` rewrites rules.toml (comments kept); a bad rules.toml shows each
problem with its line and nothing can be previewed or applied; read-only refuses the toggle."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rules_ui_helpers import NOW_DT, screen_text, settle
from textual.binding import Binding

from shelf_tui.config import Config
from shelf_tui.paths import Paths
from shelf_tui.rules import RuleBook, RulesError
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.rulesio import short_lines
from shelf_tui.ui.screens.report import ReportScreen
from shelf_tui.ui.screens.rule_preview import RulePreviewScreen
from shelf_tui.ui.screens.rules import RulesScreen
from shelf_tui.ui.widgets.chart import ActivityChart
from shelf_tui.ui.widgets.plan_list import PlanList

BAD = """\
[[rule]]
name = "zero-stock"
kind = "stok"
shops = ["tb-main"]
reason = "out of stock"

[[rule]]
name = "nightly"
kind = "schedule"
shops = ["tb-nope"]
action = "delist"
daily = "25:00"
reason = "night"

[[rule]]
name = "cheap"
kind = "price"
shops = ["tb-main"]
filter = "price:>>3"
action = "delist"
band = "<1"
reason = "typo"
"""


def rows(app: ShelfApp) -> dict[str, str]:
    """The rule rows as drawn, by rule name (the second cell)."""
    out = {}
    for line in screen_text(app).splitlines():
        cells = line.split()
        if len(cells) >= 2 and cells[0] in ("on", "off"):
            out[cells[1]] = line
    return out


async def open_rules(pilot: object, app: ShelfApp) -> RulesScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("R")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, RulesScreen)
    return app.screen


@pytest.mark.parametrize(
    ("hours", "nightly", "campaign"),
    [(0, "off · in 7h", "in 17d 8h"), (6, "off · in 1h", "in 17d 2h")],
)
async def test_the_list_shows_each_rule_with_next_due_from_the_clock(
    app_for: Callable[..., ShelfApp], hours: int, nightly: str, campaign: str
) -> None:
    """nightly fires at 23:00 Shanghai (15:00 UTC): 7 h after 08:00 UTC, 1 h after 14:00;
    the campaign starts 2026-12-12 00:00 Shanghai."""
    now = NOW_DT + timedelta(hours=hours)
    app = app_for(clock=lambda: now)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        shown = rows(app)
        assert list(shown) == ["zero-stock", "nightly", "price-typo", "double-11"]
        assert shown["zero-stock"].split()[:4] == ["on", "zero-stock", "stock", "tb-main,ml-mx"]
        assert "every sync" in shown["zero-stock"] and shown["zero-stock"].endswith("never")
        assert nightly in shown["nightly"] and shown["nightly"].split()[0] == "off"
        assert campaign in shown["double-11"]
        assert screen_text(app).splitlines()[0].startswith(" Rules 4 · 3 on ")
        assert "file ~/shelf/config/rules.toml:2" in " ".join(screen_text(app).split())
        # the panel under the list says what the highlighted rule does, and what it would
        # do now (planned in the background)
        text = screen_text(app)
        assert "delist at stock <= 0, relist above 2" in text
        flat = " ".join(text.split())
        assert "now delist 4 in tb-main, list 1 in tb-main, delist 1 in ml-mx" in flat


async def test_last_run_comes_from_the_rule_state(
    app_for: Callable[..., ShelfApp], store: Store, home: Paths
) -> None:
    """A run two hours ago (as `shelf rules run` records it) shows as '2h ago' and in full."""
    earlier = NOW_DT - timedelta(hours=2)
    book = RuleBook(home.rules_file, store, clock=lambda: earlier)
    book.commit(book.preview(), applied={"zero-stock"})
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        assert rows(app)["zero-stock"].endswith("2h ago")
        assert rows(app)["nightly"].endswith("never")  # disabled: not run
        flat = " ".join(screen_text(app).split())
        assert "last run 2026-11-24 06:00 UTC · 2h ago: delist 4 in tb-main" in flat
        assert "applied 2026-11-24 06:00 UTC · 2h ago, 6 item(s) sent" in flat


async def test_space_rewrites_only_the_enabled_line_and_keeps_the_comments(
    app_for: Callable[..., ShelfApp], home: Paths
) -> None:
    original = home.rules_file.read_text(encoding="utf-8")
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        await pilot.press("space")
        await settle(pilot)
        edited = home.rules_file.read_text(encoding="utf-8")
        assert edited == original.replace(
            "enabled = true               # keep this comment",
            "enabled = false               # keep this comment",
        )
        assert rows(app)["zero-stock"].split()[0] == "off"
        assert "Rules 4 · 2 on" in screen_text(app)
        # `e` flips it back: the file is byte for byte what it was
        await pilot.press("e")
        await settle(pilot)
        assert home.rules_file.read_text(encoding="utf-8") == original
        assert rows(app)["zero-stock"].split()[0] == "on"
        # the cursor stays on its rule; on the disabled one, space turns it on
        await pilot.press("down", "space")
        await settle(pilot)
        assert rows(app)["nightly"].split()[0] == "on"
        assert (
            "enabled = true\n"
            in home.rules_file.read_text(encoding="utf-8")
            .split('name = "nightly"')[1]
            .split("[[rule]]")[0]
        )
        assert "# The console tests' rules" in home.rules_file.read_text(encoding="utf-8")


async def test_read_only_refuses_the_toggle_and_hides_it(
    app_for: Callable[..., ShelfApp], home: Paths
) -> None:
    original = home.rules_file.read_bytes()
    app = app_for(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        footer = screen_text(app).splitlines()[-1]
        assert "On/off" not in footer and "Preview" in footer
        await pilot.press("space", "e")
        await settle(pilot)
        assert home.rules_file.read_bytes() == original
        assert rows(app)["zero-stock"].split()[0] == "on"


async def test_a_bad_rules_toml_shows_every_problem_with_its_line_and_starts_nothing(
    app_for: Callable[..., ShelfApp], home: Paths, store: Store
) -> None:
    home.rules_file.write_text(BAD, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        RuleBook(home.rules_file, store).load()
    expected = [short_lines(line, home.rules_file) for line in caught.value.lines()]
    assert len(expected) >= 3
    assert all(line.startswith("~/shelf/config/rules.toml:") for line in expected)
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_rules(pilot, app)
        text = screen_text(app)
        flat = "".join(text.split())  # long problems wrap (and fold a long path) at 80 columns
        for line in expected:
            assert "".join(line.split()) in flat
        assert f"rules.toml has {len(expected)} problems" in text.splitlines()[0]
        assert not rows(app)  # no rule list
        footer = text.splitlines()[-1]
        assert "Preview" not in footer and "On/off" not in footer and "Reload" in footer
        await pilot.press("enter", "space", "A", "e")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        assert store.jobs.all() == []
        assert home.rules_file.read_text(encoding="utf-8") == BAD
        # fixed in an editor: `l` reloads, and the list is back
        Path(home.rules_file).write_text(
            BAD.replace('"stok"', '"stock"')
            .replace('"tb-nope"', '"tb-main"')
            .replace('"25:00"', '"23:00"')
            .replace("price:>>3", "price:>3"),
            encoding="utf-8",
        )
        await pilot.press("l")
        await settle(pilot)
        assert list(rows(app)) == ["zero-stock", "nightly", "cheap"]


async def test_an_edit_on_disk_is_picked_up_without_a_key(
    app_for: Callable[..., ShelfApp], home: Paths
) -> None:
    """The screen watches rules.toml (a stat every 2 s); called directly here, no sleeping."""
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_rules(pilot, app)
        text = home.rules_file.read_text(encoding="utf-8")
        home.rules_file.write_text(text.replace('name = "nightly"', 'name = "late"'), "utf-8")
        screen._watch_file()
        await settle(pilot)
        assert "late" in rows(app) and "nightly" not in rows(app)


async def test_no_rules_file_says_where_to_write_it(
    app_for: Callable[..., ShelfApp], home: Paths
) -> None:
    home.rules_file.unlink()
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        text = " ".join(screen_text(app).split())
        assert "No rules yet. Write" in text and "rules.toml" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)


async def test_enter_opens_the_preview_and_esc_comes_back(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RulePreviewScreen)
        assert app.screen.rule_name == "price-typo"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        await pilot.press("R")  # already there: not pushed twice
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "browser"


async def test_keys_answer_while_a_rule_is_planned(
    app_for: Callable[..., ShelfApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning runs in a worker thread: held at a gate (as 500,000 items hold it for two
    seconds), the preview still says so and esc still leaves at once."""
    gate = threading.Event()
    started = threading.Event()
    real = RuleBook.preview

    def slow(self: RuleBook, names: Any = None) -> Any:
        started.set()
        gate.wait(30)
        return real(self, names)

    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_rules(pilot, app)
        monkeypatch.setattr(RuleBook, "preview", slow)
        await pilot.press("enter")
        await asyncio.to_thread(started.wait, 30)
        await pilot.pause()
        assert isinstance(app.screen, RulePreviewScreen)
        assert "planning…" in screen_text(app).splitlines()[0]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RulesScreen)  # while the planner is still held
        gate.set()
        await settle(pilot)


async def test_bindings_are_remapped_by_id_from_config(
    app_for: Callable[..., ShelfApp], home: Paths
) -> None:
    original = home.rules_file.read_text(encoding="utf-8")
    config = Config(keymap={"app.rules": "f2", "rules.toggle": "t", "app.report": "f3"})
    app = app_for(config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert app.screen.id == "browser"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        await pilot.press("space")
        await settle(pilot)
        assert home.rules_file.read_text(encoding="utf-8") == original
        await pilot.press("t")
        await settle(pilot)
        assert "enabled = false" in home.rules_file.read_text(encoding="utf-8")
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen.id == "report"


def test_every_binding_here_has_a_unique_id() -> None:
    """config.toml's [keymap] remaps by id: mine are all there, none shared with the rest of
    the console."""
    mine = [RulesScreen, RulePreviewScreen, ReportScreen, PlanList, ActivityChart]
    ids = [b.id for owner in mine for b in owner.BINDINGS if isinstance(b, Binding)]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(
        len(owner.BINDINGS) == len([b for b in owner.BINDINGS if isinstance(b, Binding)])
        for owner in mine
    )
    app_ids = {b.id for b in ShelfApp.BINDINGS if isinstance(b, Binding)}
    assert {"app.rules", "app.report"} <= app_ids
    assert not set(ids) & app_ids
