"""Recovery: dead owners, read-back before resend, one owner per job, a busy database."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from jobfakes import FakePlatform, FakeTime

from shelf_tui.domain import Action, ItemState, JobState
from shelf_tui.jobs import JobBusy, JobEngine
from shelf_tui.jobs import owner as owners
from shelf_tui.jobs.journal import Journal
from shelf_tui.store import Store


def journal_items(engine: JobEngine, n: int) -> int:
    plan = engine.plan_keys(Action.DELIST, [("tb", str(100 + k)) for k in range(n)])
    return engine.submit(plan, "compliance fix").jobs[0].id


def crash_midway(store: Store, platform: FakePlatform, job_id: int) -> None:
    """What a SIGKILL leaves: a job `running` for a dead owner, items 100-103 `sending`
    (100 and 101 applied on the platform before the process died, 102 and 103 not)."""
    dead = f"{owners.current().host}:999999999:12345"
    assert store.jobs.claim(job_id, dead)
    for i in ("100", "101", "102", "103"):
        store.jobs.mark_sending(job_id, i)
    platform.apply("tb", "100", Action.DELIST)
    platform.apply("tb", "101", Action.DELIST)


async def test_a_dead_owners_job_is_interrupted_and_resumed_acting_on_each_item_once(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    job_id = journal_items(engine, 10)
    crash_midway(store, platform, job_id)
    interrupted = engine.recover()
    assert [j.id for j in interrupted] == [job_id]
    assert store.jobs.get(job_id).state is JobState.INTERRUPTED  # type: ignore[union-attr]
    assert [j.id for j in engine.resumable()] == [job_id]
    result = await engine.run(job_id)
    assert result.job.state is JobState.DONE and result.job.ok == 10
    # Applied before the crash: read back, never resent.
    assert platform.sent("100") == 0 and platform.sent("101") == 0
    assert platform.sent("102") == 1 and platform.sent("103") == 1
    assert all(n == 1 for n in platform.changes.values()) and len(platform.changes) == 10
    msg = store.jobs.item(job_id, "100").message  # type: ignore[union-attr]
    assert "confirmed by read-back" in msg
    # The read-back happened before any set_status of this run.
    first_send = next(k for k, c in enumerate(platform.calls) if c.op == "set_status")
    reads = [c.item_id for c in platform.calls[:first_send] if c.op == "get_items"]
    assert {"100", "101", "102", "103"} <= set(reads)
    events = store.events.for_job(job_id)
    assert sorted(e.item_id for e in events) == [str(100 + k) for k in range(10)]


def test_owner_identity_tells_a_reused_pid_from_the_live_owner() -> None:
    me = owners.current()
    assert owners.is_alive(str(me), None, 0)
    # Same pid, another start time: the pid was reused, the owner is gone.
    assert not owners.is_alive(f"{me.host}:{me.pid}:1", None, 0)
    assert not owners.is_alive(f"{me.host}:999999999:1", None, 0)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        start = owners.process_start(child.pid)
        assert start is not None
        assert owners.is_alive(f"{me.host}:{child.pid}:{start}", None, 0)
        assert not owners.is_alive(f"{me.host}:{child.pid}:{start}0", None, 0)
    finally:
        child.communicate(b"")
    # Another host: only a fresh heartbeat keeps it alive.
    assert owners.is_alive("elsewhere:1:1", 1000, 1000 + 60)
    assert not owners.is_alive("elsewhere:1:1", 1000, 1000 + owners.STALE_AFTER + 1)


async def test_a_job_run_by_a_live_process_is_neither_interrupted_nor_run_twice(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    job_id = journal_items(engine, 3)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        live = f"{owners.current().host}:{child.pid}:{owners.process_start(child.pid)}"
        assert store.jobs.claim(job_id, live)
        assert engine.recover() == []
        with pytest.raises(JobBusy, match=f"process {child.pid}"):
            await engine.start(job_id)
    finally:
        child.communicate(b"")
    # Once that process is gone the job is offered for resume.
    assert [j.id for j in engine.recover()] == [job_id]
    assert platform.calls == []


async def test_two_engines_on_one_database_never_run_the_same_job(
    engine: JobEngine, store: Store, platform: FakePlatform, db_path, ftime: FakeTime
) -> None:
    job_id = journal_items(engine, 5)
    gate = asyncio.Event()

    async def on_call(call) -> None:
        await gate.wait()

    platform.on_call = on_call
    handle = await engine.start(job_id)
    other_store = Store.open(db_path)
    try:
        other = JobEngine(other_store, connect=platform.connect(), timer=ftime.timer)
        with pytest.raises(JobBusy):
            await other.start(job_id)
        gate.set()
        result = await handle.wait()
    finally:
        other_store.close()
    assert result.job.ok == 5 and max(platform.changes.values()) == 1


async def test_cancelling_an_interrupted_job_reads_back_and_skips_the_rest(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    job_id = journal_items(engine, 8)
    crash_midway(store, platform, job_id)
    engine.recover()
    job = await engine.cancel(job_id)
    assert job.state is JobState.CANCELLED
    assert platform.sent("102") == 0  # cancel never sends
    states = {ji.item_id: (ji.state, ji.message) for ji in store.jobs.items(job_id)}
    assert states["100"][0] is ItemState.OK and "before the cancel" in states["100"][1]
    assert states["102"] == (ItemState.SKIPPED, "cancelled before sending (read back: unchanged)")
    assert states["107"] == (ItemState.SKIPPED, "cancelled before sending")
    assert len(store.events.for_job(job_id)) == 8


async def test_a_locked_database_never_freezes_the_event_loop(
    engine: JobEngine, store: Store, platform: FakePlatform, db_path
) -> None:
    """A sync in another process holding the write lock stalls the job, not the console."""
    job_id = journal_items(engine, 5)
    blocker = Store.open(db_path)
    blocker.conn.raw.execute("BEGIN IMMEDIATE")
    released = False
    try:
        task = asyncio.ensure_future(engine.run(job_id))
        ticks = 0
        while ticks < 200:  # the loop keeps turning while the journal waits for the lock
            await asyncio.sleep(0)
            ticks += 1
        assert not task.done()
        blocker.conn.raw.execute("ROLLBACK")
        released = True
        result = await task
    finally:
        if not released:
            blocker.conn.raw.execute("ROLLBACK")
        blocker.close()
    assert result.job.ok == 5


async def test_the_journal_commits_pending_steps_together(store: Store) -> None:
    journal = Journal(store).start()
    try:
        results = await asyncio.gather(*(journal.run(lambda k=k: k * 2) for k in range(100)))
    finally:
        journal.close()
    assert results == [k * 2 for k in range(100)]
    assert journal.steps == 100 and journal.batches < 100
