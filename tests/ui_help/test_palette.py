"""The command palette (ctrl+p): namespaced commands that drive the console's own actions,
offered only where and when they apply (item commands on the browser, no mutations in
read-only mode, "jobs: resume interrupted" only when a job is interrupted)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from help_ui_helpers import close_palette, hit_help, hits, palette_search, run_command
from jobs_ui_helpers import active_ids, flow_done, jobs_finished, waited
from textual.command import CommandList, CommandPalette
from ui_helpers import apply_filter, count, settle, table

from shelf_tui.cli.console import Demo
from shelf_tui.config import Config
from shelf_tui.domain import Action, BulkRequest, JobState, Platform, Shop
from shelf_tui.jobs import owner as owners
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.commands import switch_shop
from shelf_tui.ui.screens.alerts import AlertsScreen
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.help import HelpScreen
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen

RESUME = "jobs: resume interrupted"


async def test_mark_all_matching_from_the_palette_marks_what_the_filter_matches(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "status:active")
        assert "marked" not in table(app).summary()
        await run_command(pilot, "items: mark all matching")
        await settle(pilot)
        want = count(store, "status = 'active'")
        assert 0 < want < count(store, "1")
        assert app.session.marks.counts(table(app).view.where).marked == want
        assert f"{want} marked" in table(app).summary()
        assert table(app).is_marked(0) is True


async def test_clear_marks_is_offered_once_something_is_marked(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "items: clear marks" not in await palette_search(pilot, "items: clear marks")
        await close_palette(pilot)
        await pilot.press("space", "space")
        await settle(pilot)
        await run_command(pilot, "items: clear marks")
        await settle(pilot)
        assert app.session.marks.counts(table(app).view.where).marked == 0
        assert table(app).is_marked(0) is False


async def test_quick_filters_and_shop_switch_drive_the_filter_bar(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        browser = app.screen
        assert isinstance(browser, BrowserScreen)
        await run_command(pilot, "items: filter on sale with 0 stock")
        await settle(pilot)
        assert browser.filter_bar.applied == "status:active stock:0"
        await run_command(pilot, "shop: switch to ml-mx")
        await settle(pilot)
        assert browser.filter_bar.applied == "status:active stock:0 shop:ml-mx"
        assert {item.shop for item in table(app).visible_items()} == {"ml-mx"}
        await run_command(pilot, "items: filter delisted for a violation")
        await settle(pilot)
        assert browser.filter_bar.applied == "reason:violation"
        # from another screen, the switch goes back to the browser first
        await pilot.press("J")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        await run_command(pilot, "shop: switch to temu-us")
        await settle(pilot)
        assert app.screen is browser
        assert browser.filter_bar.applied == "reason:violation shop:temu-us"


async def test_hints_name_the_key_as_remapped(app_for: Callable[..., ShelfApp]) -> None:
    app = app_for(config=Config(keymap={"app.jobs": "f2", "items.mark_all": "ctrl+y"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_search(pilot, "jobs: open pane")
        assert hit_help(pilot, "jobs: open pane").startswith("f2 — ")
        await palette_search(pilot, "items: mark all matching")
        assert hit_help(pilot, "items: mark all matching").startswith("^y — ")
        await palette_search(pilot, "rules: open")
        assert hit_help(pilot, "rules: open").startswith("R — ")


def test_switch_shop_replaces_only_the_shop_terms() -> None:
    assert switch_shop("", "a") == "shop:a"
    assert switch_shop("shop:b stock:0 !shop:c dress", "a") == "stock:0 dress shop:a"
    assert switch_shop('"shop: b" x', "a") == '"shop: b" x shop:a'


async def test_item_commands_are_offered_on_the_browser_only(
    app_for: Callable[..., ShelfApp],
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        on_browser = await palette_search(pilot, "items")
        assert "items: mark all matching" in on_browser
        assert "items: delist marked (下架)" in on_browser
        await close_palette(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        found = await palette_search(pilot, "items")
        assert not [name for name in found if name.startswith("items:")], found
        assert "alerts: open" not in await palette_search(pilot, "alerts: open")
        assert "rules: open" in await palette_search(pilot, "rules: open")


@pytest.mark.parametrize("read_only", [False, True])
async def test_read_only_hides_mutations_from_the_palette(
    store: Store, app_for: Callable[..., ShelfApp], read_only: bool
) -> None:
    job = store.jobs.create(
        BulkRequest("tb-main", Action.DELIST, ("6100000",), "seasonal", "seller@old", "user")
    )
    store.jobs.set_state(job.id, JobState.INTERRUPTED, pause_reason="shelf stopped")
    app = app_for(read_only=read_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        found = await palette_search(pilot, "")
        for name in ("items: list marked (上架)", "items: delist marked (下架)", RESUME):
            assert (name in found) is not read_only, name
        # reading commands stay
        for name in ("items: mark all matching", "jobs: open pane", "help: keys"):
            assert name in found


async def test_resume_interrupted_is_not_offered_without_an_interrupted_job(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    job = store.jobs.create(
        BulkRequest("tb-main", Action.DELIST, ("6100000",), "seasonal", "seller@old", "user")
    )
    store.jobs.set_state(job.id, JobState.CANCELLED)
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert RESUME not in await palette_search(pilot, "jobs")
        assert "jobs: open pane" in hits(pilot)


async def test_resume_interrupted_resumes_the_job_a_dead_process_left(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    store = demo.store
    ids = active_ids(store, "ml-mx", 3)
    job = store.jobs.create(
        BulkRequest("ml-mx", Action.DELIST, tuple(ids), "out of stock", "seller@old", "user")
    )
    dead = owners.Owner(owners.current().host, 4_000_002, "gone")
    store.jobs.set_state(job.id, JobState.RUNNING, owner=str(dead))
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await waited(app.jobs.started.wait())  # recovery at start journals it interrupted
        stopped = store.jobs.get(job.id)
        assert stopped is not None and stopped.state is JobState.INTERRUPTED
        await run_command(pilot, RESUME)
        await flow_done(pilot)
        await jobs_finished(pilot)
        final = store.jobs.get(job.id)
        assert final is not None and (final.state, final.ok) == (JobState.DONE, 3)
        assert all(demo.sandbox.changes(i) == 1 for i in ids)
        # nothing left to resume: no longer offered
        assert RESUME not in await palette_search(pilot, "jobs")


async def test_on_a_dialog_only_help_is_offered(app_for: Callable[..., ShelfApp]) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, QuickFilterScreen)
        found = await palette_search(pilot, ":")
        assert [n for n in found if n.split(":")[0] in {"items", "shop", "jobs", "rules"}] == []
        await run_command(pilot, "help: keys")
        assert isinstance(app.screen, HelpScreen)
        assert isinstance(app.screen.below, QuickFilterScreen)


async def test_shop_names_are_shown_literally(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    store.shops.add(Shop("[bold]x[/]", Platform.TEMU))
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        found = await palette_search(pilot, "shop: sign in")
        assert "shop: sign in [bold]x[/]" in found
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        prompts = [str(o.prompt) for o in palette.query_one(CommandList).options]
        assert any("shop: sign in [bold]x[/]" in p for p in prompts), prompts


async def test_hints_name_the_key_of_the_screen_the_palette_was_opened_over(
    app_for: Callable[..., ShelfApp],
) -> None:
    """On the shops screen `a` adds a shop: the palette does not teach `a` for the alerts
    there."""
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette_search(pilot, "alerts: open")
        assert hit_help(pilot, "alerts: open").startswith("a — ")
        await close_palette(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert type(app.screen).__name__ == "ShopsScreen"
        await palette_search(pilot, "alerts: open")
        assert not hit_help(pilot, "alerts: open").startswith("a — ")
