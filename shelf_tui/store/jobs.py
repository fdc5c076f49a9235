"""The job journal: a job and all its items written in one transaction before the first call;
each item then moves queued -> sending -> ok/already/skipped/failed, each step committed.

The per-job counters are maintained by a trigger in the same statement as the item's state
change, so they can never disagree with the rows, even after `kill -9`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shelf_tui.domain import BulkRequest, ItemState, JobState, Outcome
from shelf_tui.store.base import Connection
from shelf_tui.store.events import EVENT_INSERT_SQL, Event
from shelf_tui.store.items import UPSERT_SQL, Items, item_to_row


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    shop: str
    action: str
    reason: str
    actor: str
    source: str
    parent_id: int | None
    state: JobState
    pause_reason: str
    resume_at: int | None
    owner: str
    heartbeat: int | None
    created_at: int
    started_at: int | None
    finished_at: int | None
    total: int
    queued: int
    sending: int
    ok: int
    already: int
    skipped: int
    failed: int
    note: str

    @property
    def done(self) -> int:
        return self.ok + self.already + self.skipped + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "shop": self.shop,
            "action": self.action,
            "reason": self.reason,
            "actor": self.actor,
            "source": self.source,
            "parent_id": self.parent_id,
            "state": self.state.value,
            "pause_reason": self.pause_reason,
            "total": self.total,
            "done": self.done,
            "queued": self.queued,
            "sending": self.sending,
            "ok": self.ok,
            "already": self.already,
            "skipped": self.skipped,
            "failed": self.failed,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


@dataclass(frozen=True, slots=True)
class JobItem:
    job_id: int
    seq: int
    shop: str
    item_id: str
    state: ItemState
    attempts: int
    prev_status: str
    prev_reason: str
    code: str
    message: str
    request_id: str
    updated_at: int | None


_JOB_COLS = (
    "id, shop, action, reason, actor, source, parent_id, state, pause_reason, resume_at, owner, "
    "heartbeat, created_at, started_at, finished_at, total, queued, sending, ok, already, "
    "skipped, failed, note"
)
_ITEM_COLS = (
    "job_id, seq, shop, item_id, state, attempts, prev_status, prev_reason, code, message, "
    "request_id, updated_at"
)


def _job(row: Sequence[Any]) -> Job:
    values = list(row)
    values[7] = JobState(values[7])
    return Job(*values)


def _job_item(row: Sequence[Any]) -> JobItem:
    values = list(row)
    values[4] = ItemState(values[4])
    return JobItem(*values)


class Jobs:
    """The `jobs` and `job_items` tables."""

    def __init__(self, conn: Connection, items: Items) -> None:
        self._c = conn
        self._items = items

    def create(
        self,
        request: BulkRequest,
        *,
        prev: Mapping[str, tuple[str, str]] | None = None,
        parent_id: int | None = None,
        state: JobState = JobState.QUEUED,
        note: str = "",
        now: int | None = None,
    ) -> Job:
        """Journal a job and ALL its items in one transaction: either both exist or neither.

        `prev` maps item id -> (status, reason) before the job, what undo restores; when it is
        not given it is read from the store inside the same transaction.
        """
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            if prev is None:
                known = self._items.get_many(request.shop, request.item_ids)
                prev = {k: (v.status.value, v.reason.value) for k, v in known.items()}
            cur = raw.execute(
                "INSERT INTO jobs (shop, action, reason, actor, source, parent_id, state, "
                "created_at, total, queued, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.shop,
                    request.action.value,
                    request.reason,
                    request.actor,
                    request.source,
                    parent_id,
                    state.value,
                    now,
                    len(request.item_ids),
                    len(request.item_ids),
                    note,
                ),
            )
            job_id = int(cur.lastrowid or 0)
            raw.executemany(
                "INSERT INTO job_items (job_id, seq, shop, item_id, prev_status, prev_reason, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (job_id, seq, request.shop, item_id, *prev.get(item_id, ("", "")), now)
                    for seq, item_id in enumerate(request.item_ids)
                ),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: int) -> Job | None:
        rows = self._c.query(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def all(
        self,
        *,
        states: Iterable[JobState] | None = None,
        shop: str | None = None,
        limit: int = 200,
    ) -> list[Job]:
        """Jobs, the ones that still need attention first, then newest first."""
        clauses = ["1"]
        params: list[Any] = []
        if states is not None:
            wanted = [s.value for s in states]
            clauses.append(f"state IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if shop is not None:
            clauses.append("shop = ?")
            params.append(shop)
        rows = self._c.query(
            f"SELECT {_JOB_COLS} FROM jobs WHERE {' AND '.join(clauses)} ORDER BY "
            "CASE state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 WHEN 'interrupted' THEN 2 "
            "WHEN 'queued' THEN 3 ELSE 4 END, id DESC LIMIT ?",
            (*params, limit),
        )
        return [_job(r) for r in rows]

    def items(
        self,
        job_id: int,
        *,
        states: Iterable[ItemState] | None = None,
        limit: int = -1,
        after_seq: int = -1,
    ) -> list[JobItem]:
        clause = "job_id = ? AND seq > ?"
        params: list[Any] = [job_id, after_seq]
        if states is not None:
            wanted = [s.value for s in states]
            clause += f" AND state IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        rows = self._c.query(
            f"SELECT {_ITEM_COLS} FROM job_items WHERE {clause} ORDER BY seq LIMIT ?",
            (*params, limit),
        )
        return [_job_item(r) for r in rows]

    def set_state(
        self,
        job_id: int,
        state: JobState,
        *,
        pause_reason: str = "",
        resume_at: int | None = None,
        owner: str | None = None,
        now: int | None = None,
    ) -> None:
        now = int(time.time()) if now is None else now
        sets = ["state = ?", "pause_reason = ?", "resume_at = ?", "heartbeat = ?"]
        params: list[Any] = [state.value, pause_reason, resume_at, now]
        if owner is not None:
            sets.append("owner = ?")
            params.append(owner)
        if state is JobState.RUNNING:
            sets.append("started_at = COALESCE(started_at, ?)")
            params.append(now)
        if state.final:
            sets.append("finished_at = ?")
            params.append(now)
        with self._c.transaction() as raw:
            raw.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*params, job_id))

    def claim(self, job_id: int, owner: str, *, now: int | None = None) -> bool:
        """Atomically take a resumable job for this process; False if someone else holds it
        or it is finished. Two shelf processes can never run the same job."""
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            cur = raw.execute(
                "UPDATE jobs SET state = 'running', owner = ?, heartbeat = ?, pause_reason = '', "
                "resume_at = NULL, started_at = COALESCE(started_at, ?) "
                "WHERE id = ? AND state IN ('queued', 'paused', 'interrupted')",
                (owner, now, now, job_id),
            )
            return cur.rowcount == 1

    def heartbeat(self, job_id: int, owner: str, *, now: int | None = None) -> None:
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            raw.execute(
                "UPDATE jobs SET heartbeat = ? WHERE id = ? AND owner = ?", (now, job_id, owner)
            )

    def mark_sending(self, job_id: int, item_id: str, *, now: int | None = None) -> None:
        """Committed BEFORE the call leaves: an item found in `sending` after a crash may or
        may not have been changed, so it is read back from the platform before any resend."""
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            raw.execute(
                "UPDATE job_items SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                "WHERE job_id = ? AND item_id = ?",
                (now, job_id, item_id),
            )

    def requeue(self, job_id: int, item_ids: Sequence[str], *, now: int | None = None) -> None:
        """Put items back to `queued` (a sending item read back as unchanged, a transient
        failure to retry)."""
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            raw.executemany(
                "UPDATE job_items SET state = 'queued', updated_at = ? "
                "WHERE job_id = ? AND item_id = ?",
                [(now, job_id, i) for i in item_ids],
            )

    def finish_item(
        self,
        job_id: int,
        item_id: str,
        outcome: Outcome,
        *,
        event: Event | None = None,
        now: int | None = None,
    ) -> None:
        """Record an item's final outcome, its timeline event and its new row state in ONE
        transaction: the journal, the timeline and the browser never disagree."""
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            raw.execute(
                "UPDATE job_items SET state = ?, code = ?, message = ?, request_id = ?, "
                "updated_at = ? WHERE job_id = ? AND item_id = ?",
                (
                    outcome.kind.value,
                    outcome.code,
                    outcome.message,
                    outcome.request_id,
                    now,
                    job_id,
                    item_id,
                ),
            )
            if event is not None:
                raw.execute(EVENT_INSERT_SQL, event.row())
            if outcome.item is not None:
                raw.execute(UPSERT_SQL, item_to_row(outcome.item))

    def running_owned_by_others(self, owner_prefix: str) -> list[Job]:
        rows = self._c.query(
            f"SELECT {_JOB_COLS} FROM jobs WHERE state = 'running' AND owner NOT LIKE ?",
            (owner_prefix + "%",),
        )
        return [_job(r) for r in rows]

    def mark_interrupted(self, job_ids: Sequence[int], *, now: int | None = None) -> None:
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            raw.executemany(
                "UPDATE jobs SET state = 'interrupted', heartbeat = ? "
                "WHERE id = ? AND state = 'running'",
                [(now, j) for j in job_ids],
            )
