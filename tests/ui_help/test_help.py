"""Help on `?`: the keys of the screen it was pressed on (its focused widget chain and the
app's), each with its key as mapped now and its binding id; read-only hides what changes
shops; esc, q and ? close it; it scrolls at 80x24; text is drawn literally."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pytest
from help_ui_helpers import group_of, open_help, rows_by_id
from rules_ui_helpers import settle as settle_workers
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from ui_helpers import screen_text, settle, table

from shelf_tui.config import Config
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.help import HelpScreen, render_groups
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen
from shelf_tui.ui.screens.rules import RulesScreen
from shelf_tui.ui.widgets.item_table import ItemTable

MUTATING_JOB_KEYS = ("jobs.retry", "jobs.cancel", "jobs.undo", "jobs.resume", "jobs.resume_all")


async def test_help_on_the_browser_lists_its_keys_with_their_ids(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        help_screen = await open_help(pilot)
        assert help_screen.below is app.screen_stack[-2]
        assert isinstance(help_screen.below, BrowserScreen)
        assert [g.title for g in help_screen.groups] == ["Browser", "Item table", "Everywhere"]
        rows = rows_by_id(help_screen)
        # every binding of the screen, its focused table and the app (no key collides here)
        declared = {b.id for owner in (BrowserScreen, ItemTable, ShelfApp) for b in owner.BINDINGS}
        assert set(rows) == declared
        # the screen's, the focused table's and the app's, each under where it is bound
        assert group_of(help_screen, "items.delist") == "Browser"
        assert group_of(help_screen, "items.mark_all") == "Item table"
        assert group_of(help_screen, "app.jobs") == "Everywhere"
        assert rows["items.filter"].keys == ("/",)
        assert rows["items.mark_all"].keys == ("*",)
        assert rows["app.sync"].keys == ("r", "^r")
        assert rows["items.delist"].description == "Delist"
        assert rows["app.help"].keys == ("?",)
        # Textual's own keys are listed too, without an id (not remappable by one)
        assert any(
            r.keys == ("^p",) and not r.binding_id for g in help_screen.groups for r in g.rows
        )
        shown = screen_text(app)
        assert "Keys: Browser" in shown
        for line in ("/              Filter", "items.filter", "items.quick_filter", "items.delist"):
            assert line in shown, line


async def test_help_on_the_job_pane_lists_its_verbs_and_dims_what_does_not_apply(
    jobs_store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for(store=jobs_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle_workers(pilot)
        pane = app.screen
        assert isinstance(pane, JobsScreen)
        selected = pane.job_list.selected
        assert selected is not None
        help_screen = await open_help(pilot)
        assert help_screen.below is pane
        assert [g.title for g in help_screen.groups] == ["Jobs", "Job list", "Everywhere"]
        rows = rows_by_id(help_screen)
        for binding_id in (*MUTATING_JOB_KEYS, "jobs.back", "jobs.mark_failed", "jobs.open_item"):
            assert binding_id in rows, binding_id
        assert group_of(help_screen, "jobs.up") == "Job list"
        # `r` is the pane's retry here, so the app's sync is reached by ctrl+r only
        assert rows["jobs.retry"].keys == ("r",)
        assert rows["app.sync"].keys == ("^r",)
        # enabled exactly as the pane's own check says (the footer dims the same ones)
        verbs = {"jobs.resume": "resume", "jobs.undo": "undo", "jobs.retry": "retry"}
        for binding_id, action in verbs.items():
            assert rows[binding_id].enabled is bool(pane.check_action(action, ()))
        assert selected.state.resumable and not selected.failed
        assert rows["jobs.resume"].enabled and not rows["jobs.retry"].enabled
        lines = help_screen.text.splitlines()
        (retry,) = [line for line in lines if line.endswith("jobs.retry")]
        (resume,) = [line for line in lines if line.endswith("jobs.resume")]
        assert "Retry (not now)" in retry and "(not now)" not in resume


async def test_help_on_the_rules_screen(rules_app: Callable[..., ShelfApp]) -> None:
    app = rules_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_workers(pilot)
        await pilot.press("R")
        await settle_workers(pilot)
        assert isinstance(app.screen, RulesScreen)
        help_screen = await open_help(pilot)
        rows = rows_by_id(help_screen)
        assert help_screen.groups[0].title == "Rules"
        for binding_id in ("rules.back", "rules.preview", "rules.toggle", "rules.reload"):
            assert group_of(help_screen, binding_id) == "Rules"
        assert rows["rules.toggle"].keys == ("space", "e")
        assert rows["rules.reload"].keys == ("l", "f5")
        assert "rules.toggle" in screen_text(app)


async def test_a_remapped_key_shows_its_new_key(app_for: Callable[..., ShelfApp]) -> None:
    config = Config(keymap={"app.jobs": "f2", "items.quick_filter": "ctrl+y", "app.shops": "f3"})
    app = app_for(config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        rows = rows_by_id(await open_help(pilot))
        assert rows["app.jobs"].keys == ("f2",)
        assert rows["items.quick_filter"].keys == ("^y",)
        # app.shops declares key_display "^s" for its default key: help shows the real one
        assert rows["app.shops"].keys == ("f3",)
        assert rows["items.filter"].keys == ("/",)  # not remapped: as before
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f2")  # and the key in help is the key that works
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)


@pytest.mark.parametrize("read_only", [False, True])
async def test_read_only_hides_the_keys_that_change_shops(
    app_for: Callable[..., ShelfApp], read_only: bool
) -> None:
    app = app_for(read_only=read_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        help_screen = await open_help(pilot)
        rows = rows_by_id(help_screen)
        for binding_id in ("items.list", "items.delist"):
            assert (binding_id in rows) is not read_only
        assert ("items.delist" in help_screen.text) is not read_only
        assert "items.mark" in rows and "items.export_csv" in rows  # reading keys stay
        hint = "read-only: keys that change shops are hidden"
        assert (hint in help_screen.query_one("#help-hint", Static).render().plain) is read_only


async def test_read_only_hides_job_and_rule_verbs(
    jobs_store: Store, app_for: Callable[..., ShelfApp], rules_app: Callable[..., ShelfApp]
) -> None:
    app = app_for(store=jobs_store, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle_workers(pilot)
        assert isinstance(app.screen, JobsScreen)
        rows = rows_by_id(await open_help(pilot))
        assert not set(MUTATING_JOB_KEYS) & set(rows)
        assert {"jobs.back", "jobs.mark_failed", "jobs.open_item"} <= set(rows)
    app = rules_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_workers(pilot)
        await pilot.press("R")
        await settle_workers(pilot)
        rows = rows_by_id(await open_help(pilot))
        assert "rules.toggle" not in rows
        assert {"rules.preview", "rules.reload", "rules.back"} <= set(rows)


@pytest.mark.parametrize("key", ["escape", "q", "question_mark"])
async def test_esc_q_and_question_mark_close_help(
    app_for: Callable[..., ShelfApp], key: str
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_help(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert app.return_code is None  # q closed help, it did not quit
        await pilot.press("space")  # the table has the keys again
        await settle(pilot)
        assert table(app).is_marked(0) is True


async def test_help_scrolls_by_keyboard_at_80x24(app_for: Callable[..., ShelfApp]) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        help_screen = await open_help(pilot)
        scroll = help_screen.query_one("#help-scroll", VerticalScroll)
        assert scroll.has_focus
        assert scroll.max_scroll_y > 0
        assert "app.help" not in screen_text(app)  # the app's keys come last, below the fold
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        assert "app.help" in screen_text(app)
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0


async def test_question_mark_in_the_filter_bar_types_a_question_mark(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "d", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert app.screen.filter_bar.input.value == "d?"


async def test_help_on_a_dialog_lists_what_reaches_past_it(
    app_for: Callable[..., ShelfApp],
) -> None:
    """On the quick filter menu (modal) the app's keys do not reach, except priority ones."""
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, QuickFilterScreen)
        help_screen = await open_help(pilot)
        rows = rows_by_id(help_screen)
        assert {"quick.close", "quick.1", "quick.0", "app.help"} <= set(rows)
        assert "app.jobs" not in rows and "app.quit" not in rows
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QuickFilterScreen)


class _Hostile(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "noop", "[bold red]styled?[/] \x1b[31mred", id="test.x"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("below")

    def action_noop(self) -> None:
        pass


class _Probe(App[None]):
    def on_mount(self) -> None:
        self.push_screen(_Hostile())


async def test_help_draws_descriptions_literally() -> None:
    app = _Probe()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        below = app.screen
        await app.push_screen(HelpScreen(below))
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        (row,) = [r for g in help_screen.groups for r in g.rows if r.binding_id == "test.x"]
        assert row.description == "[bold red]styled?[/] \\x1b[31mred"
        shown = screen_text(app)
        assert "[bold red]styled?[/] \\x1b[31mred" in shown
        rendered = render_groups(help_screen.groups)
        assert not [s for s in rendered.spans if "red" in str(s.style)]
