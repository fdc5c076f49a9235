"""Progress for the CLI line and the console pane: <= 10 snapshots a second, the final one at
once, jobs of other processes followed through the store, and the CLI's terminal behaviour."""

from __future__ import annotations

import asyncio
import io
import itertools
import time

import pytest
from jobfakes import FakePlatform, FakeTime, make_items

from shelf_tui.domain import Action, JobState
from shelf_tui.jobs import JobEngine, Progress, Settings, watch
from shelf_tui.jobs.progress import ProgressHub
from shelf_tui.marketplaces.errors import QuotaExhausted
from shelf_tui.store import Store


async def test_publications_are_at_most_ten_a_second_and_the_last_is_final(
    store: Store, ftime: FakeTime
) -> None:
    items = make_items("tb", 1500, start=1000)
    store.items.upsert(items)
    platform = FakePlatform(items, ftime)
    engine = JobEngine(
        store, settings=Settings(read_batch=50), connect=platform.connect(), timer=ftime.timer
    )
    plan = engine.plan_keys(Action.DELIST, [i.key for i in items])
    [job] = engine.submit(plan, "seasonal").jobs
    stamps: list[tuple[float, Progress]] = []
    handle = await engine.start(job.id)
    handle.add_listener(lambda p: stamps.append((time.monotonic(), p)))
    await handle.wait()
    await engine.aclose()
    assert stamps[-1][1].state is JobState.DONE and stamps[-1][1].ok == 1500
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps[:-1])]
    assert len(stamps) >= 3 and all(g >= 0.095 for g in gaps), gaps


async def test_a_slow_subscriber_gets_the_newest_snapshot_not_a_backlog() -> None:
    hub = ProgressHub(Progress(1, "tb", "delist", JobState.RUNNING, total=100), hz=10)
    for k in range(1, 101):
        hub.update(ok=k, final=k == 100, state=JobState.DONE if k == 100 else JobState.RUNNING)
    seen = [p async for p in hub.subscribe()]
    assert [p.ok for p in seen] == [100] and seen[0].finished


async def test_a_publication_while_the_subscriber_holds_a_snapshot_is_not_lost() -> None:
    """The final snapshot published while the subscriber is still busy with the previous
    one (a console redrawing, a CLI writing) still reaches it: the iteration ends instead of
    waiting for a publication that will never come."""
    hub = ProgressHub(Progress(1, "tb", "delist", JobState.RUNNING, total=10), hz=10)
    snaps = hub.subscribe()
    first = await anext(snaps)
    assert first.state is JobState.RUNNING and not first.finished
    hub.update(ok=10, state=JobState.DONE, final=True)  # while `first` is being handled
    last = await asyncio.wait_for(anext(snaps), 10)
    assert last.finished and last.ok == 10
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(snaps), 10)


async def test_a_job_of_another_process_is_followed_through_the_store(
    engine: JobEngine, store: Store, platform: FakePlatform, db_path
) -> None:
    plan = engine.plan_keys(Action.DELIST, [("tb", str(100 + k)) for k in range(20)])
    [job] = engine.submit(plan, "x").jobs
    handle = await engine.start(job.id)
    other = Store.open(db_path)
    try:
        snaps = [p async for p in watch(other, job.id, hz=10)]
    finally:
        other.close()
    await handle.wait()
    assert snaps[-1].state is JobState.DONE and snaps[-1].ok == 20


async def test_paused_jobs_resume_once_their_reset_has_passed(
    engine: JobEngine, store: Store, platform: FakePlatform, ftime: FakeTime
) -> None:
    from datetime import UTC, datetime

    reset = datetime.fromtimestamp(ftime.now + 60, UTC)
    platform.answer("103", QuotaExhausted("quota", reset_at=reset))
    plan = engine.plan_keys(Action.DELIST, [("tb", str(100 + k)) for k in range(8)])
    [job] = engine.submit(plan, "x").jobs
    assert (await engine.run(job.id)).job.state is JobState.PAUSED
    assert await engine.resume_due() == []  # not yet
    ftime.now += 61
    [handle] = await engine.resume_due()
    assert (await handle.wait()).job.state is JobState.DONE


def test_the_cli_progress_line_rewrites_itself_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shelf_tui.cli.bulk import ProgressLine

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setenv("COLUMNS", "80")
    line = ProgressLine()
    line(Progress(7, "tb", "delist", JobState.RUNNING, total=10, ok=3, rate=2.5, eta=2.8))
    line(Progress(7, "tb", "delist", JobState.RUNNING, total=10, ok=4))
    line.close()
    text = err.getvalue()
    assert text.count("\r\x1b[K") == 3 and "\n" not in text
    first = text.split("\r\x1b[K")[1]
    assert first == "job 7 tb delist 3/10 · ETA 3s · 2.5/s · ok 3 already 0 skipped 0 failed 0"
    assert all(len(chunk) <= 79 for chunk in text.split("\r\x1b[K"))


def test_the_cli_progress_line_prints_plain_lines_when_piped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shelf_tui.cli.bulk import ProgressLine

    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    line = ProgressLine(interval=3600)
    for k in range(50):
        line(Progress(7, "tb", "delist", JobState.RUNNING, total=50, ok=k))
    assert err.getvalue().count("\n") == 1 and "\r" not in err.getvalue()


def test_a_terminal_gets_a_y_n_confirmation_showing_the_plan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shelf_tui.cli.bulk import _confirm
    from shelf_tui.errors import UsageError

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    with pytest.raises(UsageError, match="not confirmed: nothing was sent"):
        _confirm(["delist 下架 · 1 shop · 3 items"], "delist 3 items in 1 shop?", yes=False)
    assert "delist 下架 · 1 shop · 3 items" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", Tty("y\n"))
    _confirm(["plan"], "go?", yes=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(UsageError, match="add --yes"):
        _confirm(["plan"], "go?", yes=False)


def test_above_the_threshold_a_terminal_types_the_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As in the console's dialog: above `ui.type_count_above` items a y is not enough, the
    seller types the number (commas allowed); at the threshold a y still is."""
    from shelf_tui.cli.bulk import _confirm
    from shelf_tui.config import Config
    from shelf_tui.errors import UsageError

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    above = Config().ui.type_count_above
    assert above == 500
    for answer, said in (("y\n", "'y' is not 501"), ("\n", "no count typed"), ("500\n", "500")):
        monkeypatch.setattr("sys.stdin", Tty(answer))
        with pytest.raises(UsageError, match="not confirmed") as refused:
            _confirm(["plan"], "delist 501 items?", yes=False, count=501, count_above=above)
        assert said in str(refused.value) and "nothing was sent" in str(refused.value)
    assert "Type the number of items (501) to confirm" in capsys.readouterr().err
    for typed in ("501\n", " 501 \n"):
        monkeypatch.setattr("sys.stdin", Tty(typed))
        _confirm(["plan"], "go?", yes=False, count=501, count_above=above)
    monkeypatch.setattr("sys.stdin", Tty("12,000\n"))
    _confirm(["plan"], "go?", yes=False, count=12_000, count_above=above)
    monkeypatch.setattr("sys.stdin", Tty("y\n"))  # at the threshold: y/N as before
    _confirm(["plan"], "go?", yes=False, count=500, count_above=above)
    assert "[y/N]" in capsys.readouterr().err
    # --yes (and a script without a terminal must give it) never asks
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    _confirm(["plan"], "go?", yes=True, count=10_000, count_above=above)
