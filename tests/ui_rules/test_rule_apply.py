"""Applying a previewed rule: through the confirm dialog (one per action, the rule's reason
fixed, Cancel focused), one job per BulkRequest with reason `rule:NAME: ...`, actor
`rule:NAME` and source `rule`, the rule's run recorded by `commit`; refused while `shelf rules
run` holds the lock, and planned again when the rule ran or a sync finished since."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules_ui_helpers import NOW_DT, FakePlatform, clock, screen_text, settle
from textual.widgets import Button

from shelf_tui.jobs import JobEngine
from shelf_tui.paths import Paths
from shelf_tui.rules import RuleBook, RunLock
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.rulesio import RulesPlace
from shelf_tui.ui.screens.confirm import ConfirmScreen
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.screens.rule_preview import RulePreviewScreen


async def open_zero_stock(pilot: Any, app: ShelfApp) -> RulePreviewScreen:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, RulePreviewScreen)
    return app.screen


async def confirm(pilot: Any, app: ShelfApp) -> None:
    """Move to the dialog's action button with tab, as a seller would, and press enter."""
    assert isinstance(app.screen, ConfirmScreen)
    for _ in range(6):
        if app.focused is not None and app.focused.id == "confirm":
            break
        await pilot.press("tab")
    assert isinstance(app.focused, Button) and app.focused.id == "confirm"
    await pilot.press("enter")
    await settle(pilot)


def dialog_text(app: ShelfApp) -> str:
    return " ".join(screen_text(app).split())


async def test_apply_makes_one_job_per_request_with_the_rules_reason_and_records_the_run(
    app_for: Callable[..., ShelfApp], store: Store, home: Paths
) -> None:
    expected = RuleBook(home.rules_file, store, clock=clock).preview().get("zero-stock")
    world = FakePlatform(store)
    engine = JobEngine(store, connect=world.connect, actor="lin@shop-box")
    app = app_for(jobs=engine)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await open_zero_stock(pilot, app)
        assert "Apply" in screen_text(app).splitlines()[-1]

        # Cancel is focused: enter cancels and nothing is written
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.focused is not None and app.focused.id == "cancel"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is preview
        assert store.jobs.all() == []
        assert RuleBook(home.rules_file, store).statuses()[0].last_run_at is None

        # one dialog per action, each with the rule's own reason; both confirmed
        await pilot.press("A")
        await settle(pilot)
        text = dialog_text(app)
        assert "Rule zero-stock: delist 下架" in text and "Step 1 of 2" in text
        assert "Reason: rule:zero-stock: out of stock" in text
        assert "tb-main 4" in text and "ml-mx 1" in text
        await confirm(pilot, app)
        text = dialog_text(app)
        assert "Rule zero-stock: list 上架" in text
        assert "Reason: rule:zero-stock: back in stock (was: out of stock)" in text
        await confirm(pilot, app)

        jobs = store.jobs.all()
        assert sorted((j.shop, j.action, j.total) for j in jobs) == sorted(
            (r.shop, r.action.value, len(r.item_ids)) for r in expected.requests
        )
        for job in jobs:
            (request,) = [
                r for r in expected.requests if (r.shop, r.action.value) == (job.shop, job.action)
            ]
            assert job.reason == request.reason and job.reason.startswith("rule:zero-stock: ")
            assert (job.actor, job.source) == ("rule:zero-stock", "rule")
            assert sorted(ji.item_id for ji in store.jobs.items(job.id)) == sorted(request.item_ids)
        for job in jobs:  # the console's engine runs them
            handle = engine.handle(job.id)
            assert handle is not None
            await handle.wait()
        await settle(pilot)
        assert sorted(world.calls) == sorted(
            (r.shop, i, r.action.value) for r in expected.requests for i in r.item_ids
        )
        (event,) = [e for e in store.events.for_item("tb-main", "tb-0") if e.job_id]
        assert (event.actor, event.reason, event.outcome) == (
            "rule:zero-stock",
            "rule:zero-stock: out of stock",
            "ok",
        )
        # book.commit recorded the run; the job pane shows the new jobs
        zero = RuleBook(home.rules_file, store).statuses()[0]
        assert zero.last_run_at == NOW_DT and zero.last_applied_at == NOW_DT
        assert zero.last_sent == 6
        assert zero.last_note == "delist 4 in tb-main, list 1 in tb-main, delist 1 in ml-mx; " + (
            "skipped 1 promotion lock, 1 delisted by the seller by hand, 1 violation delist"
        )
        assert isinstance(app.screen, JobsScreen)
        # back from the pane the preview is planned again: the jobs are done, nothing waits
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is preview
        assert "Nothing to send now." in dialog_text(app)
        assert "waiting in an unfinished job" not in dialog_text(app)
        # only zero-stock's run was recorded
        others = RuleBook(home.rules_file, store).statuses()[1:]
        assert all(st.last_run_at is None for st in others)


async def test_a_second_press_opens_one_dialog(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    engine = JobEngine(store, connect=FakePlatform(store).connect)
    app = app_for(jobs=engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_zero_stock(pilot, app)
        await pilot.press("A", "A")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert sum(isinstance(s, ConfirmScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RulePreviewScreen)
        assert store.jobs.all() == []


async def test_apply_is_refused_while_a_cron_run_holds_the_lock(
    app_for: Callable[..., ShelfApp], store: Store, home: Paths
) -> None:
    engine = JobEngine(store, connect=FakePlatform(store).connect)
    app = app_for(jobs=engine)
    lock = RunLock(RulesPlace.from_paths(home).lock_file).acquire()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            preview = await open_zero_stock(pilot, app)
            await pilot.press("A")
            await settle(pilot)
            await confirm(pilot, app)
            await confirm(pilot, app)
            assert app.screen is preview
            assert store.jobs.all() == []
            assert RuleBook(home.rules_file, store).statuses()[0].last_run_at is None
            assert any(
                "another `shelf rules run` is still running" in n.message
                for n in app._notifications
            )
    finally:
        lock.release()


async def test_a_run_since_the_preview_makes_it_plan_again(
    app_for: Callable[..., ShelfApp], store: Store, home: Paths
) -> None:
    """cron applied the rule while the seller looked at the preview: its items may be on
    their way, so nothing is journaled and the preview is planned again."""
    engine = JobEngine(store, connect=FakePlatform(store).connect)
    app = app_for(jobs=engine)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await open_zero_stock(pilot, app)
        book = RuleBook(home.rules_file, store, clock=clock)
        book.commit(book.preview(), applied={"zero-stock"})
        await pilot.press("A")
        await settle(pilot)
        await confirm(pilot, app)
        await confirm(pilot, app)
        assert app.screen is preview
        assert store.jobs.all() == []
        assert any("zero-stock ran since the preview" in n.message for n in app._notifications)


async def test_a_sync_since_the_preview_makes_it_plan_again(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    engine = JobEngine(store, connect=FakePlatform(store).connect)
    app = app_for(jobs=engine)
    async with app.run_test(size=(100, 30)) as pilot:
        preview = await open_zero_stock(pilot, app)
        app.last_sync = app.session.now()  # what the end of a sync leaves
        await pilot.press("A")
        await settle(pilot)
        assert app.screen is preview  # no dialog: planned again instead
        assert any("synced since this preview" in n.message for n in app._notifications)
        assert store.jobs.all() == []
