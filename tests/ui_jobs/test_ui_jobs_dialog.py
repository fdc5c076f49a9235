"""The confirm dialog, driven by keys against `shelf demo` (sandbox, real connectors): it
reviews the plan, requires a reason, never confirms by accident, and queues exactly one job
per shop however often the keys are pressed."""

from __future__ import annotations

from collections.abc import Callable

from jobs_ui_helpers import (
    active_ids,
    counts,
    flow_done,
    jobs_finished,
    open_dialog,
    settle,
    table,
    type_text,
)
from textual.widgets import Input, Static

from shelf_tui.cli.console import Demo
from shelf_tui.config import Config, UiConfig
from shelf_tui.domain import Action, JobState
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.jobs_service import SelectionSource
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.confirm import (
    GUARD_SECONDS,
    ConfirmScreen,
    ItemListScreen,
    reason_text,
)
from shelf_tui.ui.screens.item_actions import table_selection
from shelf_tui.ui.screens.jobs import JobsScreen


def hint(screen: ConfirmScreen) -> str:
    return str(screen.query_one("#confirm-hint", Static).render())


def plan_lines(screen: ConfirmScreen) -> str:
    return str(screen.query_one("#confirm-plan", Static).render())


async def test_enter_on_an_empty_reason_does_nothing(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    app = demo_app()
    before = counts(demo.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        assert isinstance(app.focused, Input) and app.focused.id == "reason"
        for attempt in ("", "   ", "other", "other:  "):
            app.focused.value = attempt
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is screen and not screen.done, attempt
            assert "reason is required" in hint(screen)
        # Tabbing to the action button and pressing it with no reason does not confirm either.
        app.focused.value = ""
        screen.query_one("#confirm").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and not screen.done
        assert counts(demo.store) == before


async def test_escape_writes_nothing(demo: Demo, demo_app: Callable[..., ShelfApp]) -> None:
    ids = active_ids(demo.store, "tb-main", 3)
    app = demo_app()
    before = counts(demo.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("tb-main", i) for i in ids)))
        await settle(pilot)
        await open_dialog(pilot, "D")
        await type_text(pilot, "out of stock")
        await pilot.press("escape")
        await flow_done(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert counts(demo.store) == before  # no job, no job item, no event
        assert await app.session.marked_keys() == {"tb-main": sorted(ids)}  # marks kept
    assert demo.sandbox.change_counts() == {}


async def test_cancel_is_the_default_button(demo: Demo, demo_app: Callable[..., ShelfApp]) -> None:
    """Tab from the reason lands on Cancel, and enter there writes nothing."""
    app = demo_app()
    before = counts(demo.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_dialog(pilot, "D")
        await type_text(pilot, "seasonal")
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("enter")
        await flow_done(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert counts(demo.store) == before


async def test_double_d_creates_exactly_one_job(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    """D D (a double press, a key repeat): one dialog, the second D is not the reason's first
    letter, one job. The console's clock stands still here: every repeat is "at once"
    whatever the load on the test machine."""
    app = demo_app()
    app.jobs.monotonic = lambda: 100.0
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        target = table(app).cursor_item
        assert target is not None
        screen = await open_dialog(pilot, "D", "D")
        await pilot.press("D", "D")  # the key still repeating once the dialog is up
        reason = screen.query_one("#reason", Input)
        assert reason.value == ""
        assert sum(isinstance(s, ConfirmScreen) for s in app.screen_stack) == 1
        await type_text(pilot, "TRO: Disney")  # once another key came, D is text again
        assert reason.value == "TRO: Disney"
        await pilot.press("enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        jobs = demo.store.jobs.all()
        assert len(jobs) == 1
        assert jobs[0].reason == "TRO: Disney" and jobs[0].total == 1
        assert demo.store.jobs.items(jobs[0].id)[0].item_id == target.item_id


async def test_a_d_typed_after_the_repeat_window_is_text(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    now = [100.0]
    app = demo_app()
    app.jobs.monotonic = lambda: now[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        now[0] += GUARD_SECONDS / 2
        await pilot.press("D")  # still repeating
        now[0] += GUARD_SECONDS * 2
        await pilot.press("D", "e", "a", "d")  # a deliberate D, long after
        assert screen.query_one("#reason", Input).value == "Dead"
        await pilot.press("escape")
        await flow_done(pilot)
    assert counts(demo.store)[0] == 0


async def test_d_then_enter_enter_creates_exactly_one_job(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "ml-mx", 2)
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("ml-mx", i) for i in ids)))
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        await pilot.press("enter", "enter")  # empty reason: nothing
        assert app.screen is screen and counts(demo.store)[0] == 0
        await type_text(pilot, "clearance")
        await pilot.press("enter", "enter", "enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        assert [j.total for j in demo.store.jobs.all()] == [2]
        assert all(demo.sandbox.changes(i) == 1 for i in ids)


async def test_one_job_per_shop_and_the_plan_names_each_shop(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    marked = {shop: active_ids(demo.store, shop, 2) for shop in ("tb-main", "temu-us")}
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        keys = tuple((shop, i) for shop, ids in marked.items() for i in ids)
        app.session.mark(MarkOp("set", keys))
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        text = plan_lines(screen)
        assert "2 shops · 4 items" in text
        assert "tb-main" in text and "temu-us" in text and "2 will change" in text
        await type_text(pilot, "IP complaint (TRO)")
        await pilot.press("enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        jobs = sorted(demo.store.jobs.all(), key=lambda j: j.shop)
        assert [(j.shop, j.total, j.state) for j in jobs] == [
            ("tb-main", 2, JobState.DONE),
            ("temu-us", 2, JobState.DONE),
        ]
        for job in jobs:  # no item was sent with another shop's token
            assert {ji.item_id for ji in demo.store.jobs.items(job.id)} == set(marked[job.shop])
        assert isinstance(app.screen, JobsScreen)
        assert await app.session.marked_keys() == {}  # acted on: the marks are cleared


async def test_hidden_marks_and_blocked_items_are_counted_and_listed(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    store = demo.store
    inactive = [
        r[0]
        for r in store.conn.query(
            "SELECT item_id FROM items WHERE shop = 'tb-main' AND status = 'inactive' "
            "AND stock = 0 ORDER BY item_id LIMIT 2"
        )
    ]
    active = active_ids(store, "tb-main", 1)
    assert len(inactive) == 2
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("tb-main", i) for i in [*inactive, *active])))
        await pilot.press("slash", *"status:inactive", "enter")  # hides the active one
        await settle(pilot)
        screen = await open_dialog(pilot, "L")
        text = plan_lines(screen)
        assert "1 marked item is hidden by the current filter" in text
        assert "Blocked 2" in text and "no stock to list 2" in text
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ItemListScreen)
        assert sorted(r.item_id for r in app.screen.rows) == sorted(inactive)
        assert {r.why for r in app.screen.rows} == {"no stock to list"}
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await flow_done(pilot)
    assert counts(store)[0] == 0


async def test_presets_cycle_with_the_arrows(demo: Demo, demo_app: Callable[..., ShelfApp]) -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        reason = screen.query_one("#reason", Input)
        await pilot.press("down")
        assert reason.value == "out of stock"
        await pilot.press("down", "down", "down")
        assert reason.value == "IP complaint (TRO)"
        await pilot.press("up")
        assert reason.value == "compliance fix"
        await pilot.press("up", "up", "up")  # wraps to the last preset, which wants words
        assert reason.value == "other: " and reason_text(reason.value) == ""
        await type_text(pilot, "supplier recall")
        assert reason_text(reason.value) == "other: supplier recall"
        await pilot.press("escape")
        await flow_done(pilot)


async def test_above_the_threshold_the_count_must_be_typed(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 4)
    app = demo_app(config=Config(ui=UiConfig(type_count_above=3)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("temu-us", i) for i in ids)))
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        await type_text(pilot, "price change")
        await pilot.press("enter")
        assert app.focused is not None and app.focused.id == "count"  # asks for the count
        await pilot.press("enter")
        assert app.screen is screen and "Type 4" in hint(screen)
        await pilot.press("3", "enter")
        assert app.screen is screen and "3 is not 4" in hint(screen)
        screen.query_one("#confirm").focus()
        await pilot.press("enter")  # the button does not skip the count either
        assert app.screen is screen and counts(demo.store)[0] == 0
        count = screen.query_one("#count", Input)
        count.value = ""
        count.focus()
        await pilot.press("4", "enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        assert [j.total for j in demo.store.jobs.all()] == [4]


async def test_at_the_threshold_no_count_is_asked(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 3)
    app = demo_app(config=Config(ui=UiConfig(type_count_above=3)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("temu-us", i) for i in ids)))
        await settle(pilot)
        screen = await open_dialog(pilot, "D")
        assert not screen.query("#count")
        await type_text(pilot, "seasonal")
        await pilot.press("enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        assert [j.total for j in demo.store.jobs.all()] == [3]


async def test_read_only_hides_and_refuses(demo: Demo, demo_app: Callable[..., ShelfApp]) -> None:
    app = demo_app(read_only=True)
    before = counts(demo.store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        shown = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
        assert "L" not in shown and "D" not in shown and "J" in shown
        assert app.screen.check_action("delist_items", ()) is False
        await pilot.press("D", "L")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        app.jobs.request(Action.DELIST, table_selection_of(app))
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("enter")  # the detail hides them too
        await settle(pilot)
        assert app.screen.check_action("list_items", ()) is False
        await pilot.press("J")
        await pilot.pause()
        pane = app.screen
        assert isinstance(pane, JobsScreen)
        for action in ("retry", "cancel_job", "undo", "resume"):
            assert pane.check_action(action, ()) is False, action
    assert counts(demo.store) == before


def table_selection_of(app: ShelfApp) -> SelectionSource:
    return table_selection(app.session, table(app))


async def test_in_the_detail_d_acts_on_that_item_not_the_marks(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    from shelf_tui.ui.screens.detail import DetailScreen

    marked = active_ids(demo.store, "tb-main", 3)
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.session.mark(MarkOp("set", tuple(("tb-main", i) for i in marked)))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.item_id not in marked
        screen = await open_dialog(pilot, "D")
        text = plan_lines(screen)
        assert "1 shop · 1 item" in text and detail.item_id in text  # named, one item
        await pilot.press("escape")
        await flow_done(pilot)
        assert app.screen is detail
        assert await app.session.marked_keys() == {"tb-main": sorted(marked)}
