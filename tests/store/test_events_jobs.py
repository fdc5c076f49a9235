"""The timeline is append-only; a job and its items are journaled atomically."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shelf_tui.domain import (
    Action,
    BulkRequest,
    Item,
    ItemState,
    JobState,
    Outcome,
    Platform,
    Reason,
    Shop,
    Status,
)
from shelf_tui.store import Event, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "shelf.db")
    s.shops.add(Shop("tb", Platform.TAOBAO))
    s.items.upsert([Item("tb", str(i), status=Status.ACTIVE) for i in range(200)])
    return s


def test_events_api_has_no_way_to_change_history(store: Store) -> None:
    public = {name for name in dir(store.events) if not name.startswith("_")}
    assert not {
        n for n in public if any(w in n for w in ("update", "delete", "edit", "remove", "set"))
    }


def test_events_cannot_be_updated_or_deleted_even_with_raw_sql(store: Store) -> None:
    event_id = store.events.append(
        Event(shop="tb", item_id="1", actor="me@host", action="delist", reason="r")
    )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE events SET reason = 'forged' WHERE id = ?", (event_id,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
    with pytest.raises(ValueError, match="still exists"):
        store.events.purge_shop("tb")
    (ev,) = store.events.for_item("tb", "1")
    assert ev.reason == "r" and ev.actor == "me@host"


def test_timeline_is_newest_first_with_snapshot(store: Store) -> None:
    store.events.append(Event(shop="tb", item_id="1", actor="platform", action="sync", at=100))
    store.events.append(
        Event(
            shop="tb",
            item_id="1",
            actor="a@b",
            action="delist",
            at=200,
            snapshot={"title": "旧标题", "stock": 3},
        )
    )
    timeline = store.events.for_item("tb", "1")
    assert [e.action for e in timeline] == ["delist", "sync"]
    assert timeline[0].snapshot == {"title": "旧标题", "stock": 3}


def _request(n: int) -> BulkRequest:
    return BulkRequest(
        "tb", Action.DELIST, tuple(str(i) for i in range(n)), "out of stock", "me@host"
    )


def test_job_and_items_are_created_together(store: Store) -> None:
    job = store.jobs.create(_request(150))
    assert job.total == 150 and job.queued == 150 and job.state is JobState.QUEUED
    items = store.jobs.items(job.id)
    assert [i.item_id for i in items] == [str(i) for i in range(150)]
    assert all(i.prev_status == "active" and i.state is ItemState.QUEUED for i in items)


def test_a_failure_midway_leaves_neither_job_nor_items(store: Store) -> None:
    store.conn.execute(
        "CREATE TEMP TRIGGER boom BEFORE INSERT ON job_items WHEN new.seq = 100 "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        store.jobs.create(_request(150))
    assert store.conn.scalar("SELECT count(*) FROM jobs") == 0
    assert store.conn.scalar("SELECT count(*) FROM job_items") == 0


def test_item_steps_keep_counters_and_timeline_in_step(store: Store) -> None:
    job = store.jobs.create(_request(3))
    assert store.jobs.claim(job.id, "host:1")
    assert not store.jobs.claim(job.id, "host:2")  # two processes never run one job
    store.jobs.mark_sending(job.id, "0")
    assert store.jobs.get(job.id).sending == 1  # type: ignore[union-attr]
    delisted = Item("tb", "0", status=Status.INACTIVE, reason=Reason.SELLER)
    store.jobs.finish_item(
        job.id,
        "0",
        Outcome.ok(item=delisted, request_id="req-1"),
        event=Event(
            shop="tb", item_id="0", actor="me@host", action="delist", job_id=job.id, outcome="ok"
        ),
    )
    store.jobs.mark_sending(job.id, "1")
    store.jobs.finish_item(job.id, "1", Outcome.failed("isv.item-locked", "下架锁定"))
    j = store.jobs.get(job.id)
    assert j is not None
    assert (j.queued, j.sending, j.ok, j.failed, j.done) == (1, 0, 1, 1, 2)
    assert store.items.get("tb", "0").status is Status.INACTIVE  # type: ignore[union-attr]
    assert [e.outcome for e in store.events.for_job(job.id)] == ["ok"]
    failed = store.jobs.items(job.id, states=[ItemState.FAILED])
    assert failed[0].message == "下架锁定" and failed[0].code == "isv.item-locked"


def test_running_jobs_of_a_dead_owner_become_interrupted(store: Store) -> None:
    job = store.jobs.create(_request(2))
    store.jobs.claim(job.id, "otherhost:999")
    stale = store.jobs.running_owned_by_others("thishost:")
    assert [j.id for j in stale] == [job.id]
    store.jobs.mark_interrupted([job.id])
    assert store.jobs.get(job.id).state is JobState.INTERRUPTED  # type: ignore[union-attr]
    assert store.jobs.all()[0].id == job.id
