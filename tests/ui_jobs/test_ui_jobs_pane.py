"""The live job pane against `shelf demo`'s sandbox: a job drawn from start to done with the
sandbox's own change counts, failures with the platform's words, retry, mark failed, open an
item, undo (what cannot be undone said first), cancel, and the resume offer at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobs_ui_helpers import (
    active_ids,
    flow_done,
    jobs_finished,
    open_dialog,
    settle,
    table,
    type_text,
    waited,
)
from textual.widgets import Static

from shelf_tui.cli.console import Demo
from shelf_tui.domain import Action, BulkRequest, ItemState, JobState, Status
from shelf_tui.jobs import owner as owners
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.confirm import ItemListScreen
from shelf_tui.ui.screens.detail import DetailScreen
from shelf_tui.ui.screens.failed_items import FailedItemsScreen
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.services import StoreSync


def pane_of(app: ShelfApp) -> JobsScreen:
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    return screen


def close_on_first_call(demo: Demo, item_id: str) -> None:
    """The seller closes an ML item on the platform just as shelf's delist of it leaves:
    Mercado Libre refuses the change (a real rejection, with its message)."""
    sb = demo.sandbox
    world = sb.world
    roll = world.roll
    seen: list[str] = []

    def rolled(platform: str, app: str, op: str, item: str | None) -> Any:
        if item == item_id and op == "PUT /items/{id}" and not seen:
            seen.append(op)
            sb.set_status(item_id, "closed")
        return roll(platform, app, op, item)

    world.roll = rolled  # type: ignore[method-assign]


async def delist(pilot, ids: list[str], shop: str, reason: str = "out of stock") -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.session.mark(MarkOp("set", tuple((shop, i) for i in ids)))
    await settle(pilot)
    await open_dialog(pilot, "D")
    await type_text(pilot, reason)
    await pilot.press("enter")
    await flow_done(pilot)


async def test_the_pane_shows_a_sandbox_job_progressing_to_done(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 10)
    app = demo_app(rate=6.0)  # ~1.7 s of calls: the pane draws it on the way
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        pane = pane_of(app)
        rebuilt: list[int] = []
        refresh_bindings = pane.refresh_bindings
        pane.refresh_bindings = lambda: (rebuilt.append(1), refresh_bindings())[1]  # type: ignore[method-assign]
        (job,) = demo.store.jobs.all()
        handle = app.jobs.engine.handle(job.id)
        assert handle is not None and not handle.done
        cursor_before = pane.job_list.cursor
        await pilot.press("down", "up")  # keys are answered while the job runs
        assert pane.job_list.cursor == cursor_before and not handle.done
        await jobs_finished(pilot)
        drawn = pane.drawn[job.id]
        assert drawn[-1] == (10, JobState.DONE)
        assert any(0 < done < 10 for done, _ in drawn), drawn  # seen on its way
        assert [d for d, _ in drawn] == sorted(d for d, _ in drawn)  # never backwards
        # Progress redraws two lines; the footer (tens of ms to rebuild) only changes when a
        # key turns on or off (here: when the job ends), not at every refresh.
        assert len(drawn) >= 4 and len(rebuilt) <= 2, (len(drawn), len(rebuilt))
        view = pane.job_list.selected
        assert view is not None and view.job_id == job.id
        changes = demo.sandbox.change_counts()
        assert view.ok == sum(changes.get(i, 0) for i in ids) == 10
        assert all(changes[i] == 1 for i in ids)
        first = view.first_line(96).plain
        assert "10/10" in first and "100%" in first and "done" in first
        assert "ok 10 · already 0 · skipped 0 · failed 0" in view.second_line(96).plain
        # The browser rows followed the job: each changed item shows its new status.
        await pilot.press("escape")
        await settle(pilot)
        shown = {i.item_id: i.status for i in table(app).visible_items() if i.item_id in ids}
        assert shown and set(shown.values()) == {Status.INACTIVE}


async def test_failures_show_the_platform_message_then_mark_open_and_retry(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "ml-mx", 3)
    close_on_first_call(demo, ids[0])
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "ml-mx")
        await jobs_finished(pilot)
        pane = pane_of(app)
        (job,) = demo.store.jobs.all()
        assert (job.ok, job.failed) == (2, 1)
        await settle(pilot)
        assert [r.item_id for r in pane.failure_rows] == [ids[0]]
        said = str(pane.failures.get_row_at(0)[2])
        failed = demo.store.jobs.items(job.id, states=[ItemState.FAILED])[0]
        assert failed.message and failed.message in said and "closed" in said
        assert "Failures 1" in pane.info_lines[2]
        # m: the failed items, marked, in a browser of their own.
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, FailedItemsScreen)
        assert [i.item_id for i in table(app).visible_items()] == [ids[0]]
        assert await app.session.marked_keys() == {"ml-mx": [ids[0]]}
        await pilot.press("escape")
        await pilot.pause()
        # o: the item and its timeline.
        pane.failures.focus()
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.item_id == ids[0]
        await pilot.press("escape")
        await pilot.pause()
        # r: the seller reopened it on the platform; retry after review (the reason stands).
        demo.sandbox.set_status(ids[0], "active")
        app.jobs.dialog_opened.clear()
        await pilot.press("r")
        await waited(app.jobs.dialog_opened.wait())
        dialog = app.jobs.last_dialog
        assert dialog is not None
        await waited(dialog.shown.wait())
        assert app.focused is not None and app.focused.id == "cancel"
        assert not dialog.query("#reason")  # shown, not asked again
        await pilot.press("tab", "enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        retry = demo.store.jobs.all()[0]
        assert retry.parent_id == job.id and retry.reason == job.reason
        assert (retry.total, retry.ok, retry.state) == (1, 1, JobState.DONE)
        assert demo.sandbox.changes(ids[0]) == 1


async def test_undo_from_the_pane_says_first_what_cannot_be_undone(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "ml-mx", 3)
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "ml-mx")
        await jobs_finished(pilot)
        (job,) = demo.store.jobs.all()
        assert job.ok == 3
        # Someone relists one of them on the platform; the next sync sees it.
        demo.sandbox.set_status(ids[2], "active")
        await StoreSync(demo.store, tokens=demo.tokens).sync_shop("ml-mx")
        before = demo.sandbox.change_counts()
        dialog = await open_dialog(pilot, "u")
        text = str(dialog.query_one("#confirm-plan", Static).render())
        assert "2 can be restored" in text and "Cannot be undone 1" in text
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ItemListScreen)
        assert [r.item_id for r in app.screen.rows] == [ids[2]]
        assert "changed since" in app.screen.rows[0].detail
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("down")  # a preset made for undo
        await pilot.press("enter")
        await flow_done(pilot)
        await jobs_finished(pilot)
        undo = demo.store.jobs.all()[0]
        assert undo.parent_id == job.id and undo.action == Action.LIST.value
        assert undo.reason == f"undo of job {job.id}: by mistake"
        assert (undo.total, undo.ok, undo.state) == (2, 2, JobState.DONE)
        after = demo.sandbox.change_counts()
        assert [after[i] - before.get(i, 0) for i in ids] == [1, 1, 0]
        assert pane_of(app).job_list.selected is not None
        assert pane_of(app).job_list.selected.job_id == undo.id  # type: ignore[union-attr]


async def test_escape_from_the_undo_dialog_sends_nothing(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 2)
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        await jobs_finished(pilot)
        before = demo.sandbox.change_counts()
        await open_dialog(pilot, "u")
        await type_text(pilot, "by mistake")
        await pilot.press("escape")
        await flow_done(pilot)
        assert len(demo.store.jobs.all()) == 1
        assert demo.sandbox.change_counts() == before


async def test_cancel_from_the_pane_stops_sending(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 10)
    app = demo_app(rate=4.0)  # slow enough to cancel mid-way
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        (job,) = demo.store.jobs.all()
        handle = app.jobs.engine.handle(job.id)
        assert handle is not None
        await pilot.press("c")
        result = await waited(handle.wait())
        await jobs_finished(pilot)
        assert result.state is JobState.CANCELLED
        changes = demo.sandbox.change_counts()
        assert 0 < sum(changes.values()) < 10 and max(changes.values()) == 1
        final = demo.store.jobs.get(job.id)
        assert final is not None and final.done == 10
        assert final.skipped == 10 - sum(changes.values())
        view = pane_of(app).job_list.selected
        assert view is not None and view.state is JobState.CANCELLED


async def test_a_job_interrupted_by_a_dead_process_is_offered_and_resumed(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    store = demo.store
    ids = active_ids(store, "ml-mx", 4)
    job = store.jobs.create(
        BulkRequest("ml-mx", Action.DELIST, tuple(ids), "out of stock", "seller@old", "user")
    )
    dead = owners.Owner(owners.current().host, 4_000_000, "gone")
    store.jobs.set_state(job.id, JobState.RUNNING, owner=str(dead))
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await waited(app.jobs.started.wait())
        await pilot.pause()
        assert [j.id for j in app.jobs.interrupted_at_start] == [job.id]
        notices = [n.message for n in app._notifications]
        assert any("1 job was interrupted" in m for m in notices), notices
        await pilot.press("J")
        await settle(pilot)
        pane = pane_of(app)
        await pilot.pause()
        first = pane.job_list.rows[0]
        assert (first.job_id, first.state) == (job.id, JobState.INTERRUPTED)
        assert pane.check_action("resume", ()) is True
        await pilot.press("s")
        await flow_done(pilot)
        await jobs_finished(pilot)
        final = store.jobs.get(job.id)
        assert final is not None and (final.state, final.ok) == (JobState.DONE, 4)
        assert all(demo.sandbox.changes(i) == 1 for i in ids)
        assert pane.job_list.rows[0].state is JobState.DONE


async def test_j_toggles_the_pane_from_anywhere(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # detail
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("J")
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen)
        assert "No jobs yet" in pane_of(app).job_list.empty_text
        await pilot.press("J")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)


async def test_quitting_mid_job_leaves_it_resumable(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    ids = active_ids(demo.store, "temu-us", 10)
    app = demo_app(rate=4.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        (job,) = demo.store.jobs.all()
        await pilot.press("q")
    final = demo.store.jobs.get(job.id)
    assert final is not None and final.state is JobState.INTERRUPTED
    sent = demo.sandbox.change_counts()
    assert max(sent.values(), default=0) <= 1
    done = {ji.item_id for ji in demo.store.jobs.items(job.id, states=[ItemState.OK])}
    assert done == {i for i, n in sent.items() if n}


async def test_a_job_paused_for_sign_in_opens_the_sign_in_dialog(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    from shelf_tui.ui.screens.signin import SignInScreen

    ids = active_ids(demo.store, "temu-us", 2)
    demo.sandbox.revoke_token("temu-us")  # the seller revoked the app on the platform
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        await jobs_finished(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        (job,) = demo.store.jobs.all()
        assert job.state is JobState.PAUSED and "sign-in" in job.pause_reason
        assert isinstance(app.screen, SignInScreen) and app.screen.shop_name == "temu-us"
        assert demo.sandbox.change_counts() == {}


async def test_a_job_run_by_another_process_is_followed_from_the_journal(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    """`shelf down` in another terminal: the pane reads its row from the journal."""
    from shelf_tui.auth import connect
    from shelf_tui.jobs import JobEngine

    ids = active_ids(demo.store, "ml-mx", 3)
    other = JobEngine(
        demo.store,
        connect=lambda shop: connect(demo.store, shop, rate=1000.0, tokens=demo.tokens),
        actor="seller@other-terminal",
    )
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        pane = pane_of(app)
        assert pane.job_list.rows == []
        plan = other.plan_keys(Action.DELIST, [("ml-mx", i) for i in ids])
        (job,) = other.submit(plan, "seasonal").jobs
        await waited(other.run(job.id))
        await other.aclose()
        pane.reload()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (row,) = pane.job_list.rows
        assert (row.job_id, row.state, row.ok, row.live) == (job.id, JobState.DONE, 3, False)
        assert row.actor == "seller@other-terminal"


async def test_s_capital_resumes_every_interrupted_job(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    store = demo.store
    dead = owners.Owner(owners.current().host, 4_000_001, "gone")
    jobs = []
    for shop in ("ml-mx", "temu-us"):
        ids = active_ids(store, shop, 2)
        request = BulkRequest(shop, Action.DELIST, tuple(ids), "seasonal", "seller@old", "user")
        job = store.jobs.create(request)
        store.jobs.set_state(job.id, JobState.RUNNING, owner=str(dead))
        jobs.append(job.id)
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await waited(app.jobs.started.wait())
        assert any("2 jobs were interrupted" in n.message for n in app._notifications)
        await pilot.press("J")
        await settle(pilot)
        await pilot.press("S")
        await flow_done(pilot)
        await jobs_finished(pilot)
        for job_id in jobs:
            final = store.jobs.get(job_id)
            assert final is not None and (final.state, final.ok) == (JobState.DONE, 2)
        assert sum(demo.sandbox.change_counts().values()) == 4


async def test_a_running_job_heads_the_pane_with_its_rate_and_eta(
    demo: Demo, demo_app: Callable[..., ShelfApp]
) -> None:
    """Running first: a job finished in another terminal after this one started (a higher
    id) still comes below the running one; the running row shows its rate and ETA."""
    ids = active_ids(demo.store, "temu-us", 10)
    app = demo_app(rate=5.0)  # ~2 s of calls
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await delist(pilot, ids, "temu-us")
        pane = pane_of(app)
        (job,) = demo.store.jobs.all()
        handle = app.jobs.engine.handle(job.id)
        assert handle is not None and not handle.done
        other_ids = active_ids(demo.store, "ml-mx", 1)
        other = demo.store.jobs.create(
            BulkRequest("ml-mx", Action.DELIST, tuple(other_ids), "seasonal", "seller@pc2", "user")
        )
        demo.store.jobs.set_state(other.id, JobState.DONE)
        assert other.id > job.id
        await waited(pane._load().wait())
        shown = None
        async for _ in handle.subscribe():  # each step waits on the job's next snapshot
            await pilot.pause()
            head = pane.job_list.rows[0]
            if head.state is JobState.RUNNING and head.rate > 0 and head.eta is not None:
                shown = head
                break
        assert shown is not None, "the pane never showed the running job's rate and ETA"
        assert shown.job_id == job.id and 0 < shown.done < 10
        assert [r.job_id for r in pane.job_list.rows] == [job.id, other.id]
        line = shown.second_line(96).plain
        assert f"{shown.rate:,.1f}/s" in line and " · ETA " in line
        await jobs_finished(pilot)
        assert [r.job_id for r in pane.job_list.rows] == [other.id, job.id]  # both done now
