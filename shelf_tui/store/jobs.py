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

from shelf_tui.domain import BulkRequest, Item, ItemState, JobState, Outcome, to_epoch
from shelf_tui.store.base import Connection, dumps, loads
from shelf_tui.store.events import EVENT_INSERT_SQL, Event
from shelf_tui.store.items import UPSERT_SQL, Items, item_to_row


def item_snapshot(item: Item) -> dict[str, Any]:
    """The item as the store knows it, as plain JSON values (an event's `snapshot`)."""
    return {
        "shop": item.shop,
        "item_id": item.item_id,
        "title": item.title,
        "outer_id": item.outer_id,
        "status": item.status.value,
        "reason": item.reason.value,
        "stock": item.stock,
        "price": item.price,
        "currency": item.currency,
        "raw_status": item.raw_status,
        "raw_sub_status": item.raw_sub_status,
        "skus": [
            {"sku_id": s.sku_id, "properties": s.properties, "stock": s.stock, "price": s.price}
            for s in item.skus
        ],
        "locked_until": to_epoch(item.locked_until),
        "lock_message": item.lock_message,
        "deadline": to_epoch(item.deadline),
        "modified": to_epoch(item.modified),
        "listed_at": to_epoch(item.listed_at),
        "delisted_at": to_epoch(item.delisted_at),
        "synced_at": to_epoch(item.synced_at),
        "url": item.url,
    }


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
    cancel_requested: bool = False

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
            "cancel_requested": self.cancel_requested,
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
    reason: str = ""
    snapshot: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class JobCall:
    """One call a job made for an item (a state change or a read-back) and what the platform
    answered: the evidence trail, one row per attempt."""

    job_id: int
    item_id: str
    at: float
    attempt: int
    call: str
    outcome: str
    code: str = ""
    message: str = ""
    request_id: str = ""
    ms: int | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.job_id,
            self.item_id,
            self.at,
            self.attempt,
            self.call,
            self.outcome,
            self.code,
            self.message,
            self.request_id,
            self.ms,
        )


_CALL_COLS = "job_id, item_id, at, attempt, call, outcome, code, message, request_id, ms"
CALL_INSERT_SQL = f"INSERT INTO job_calls ({_CALL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

_JOB_COLS = (
    "id, shop, action, reason, actor, source, parent_id, state, pause_reason, resume_at, owner, "
    "heartbeat, created_at, started_at, finished_at, total, queued, sending, ok, already, "
    "skipped, failed, note, cancel_requested"
)
_ITEM_COLS = (
    "job_id, seq, shop, item_id, state, attempts, prev_status, prev_reason, code, message, "
    "request_id, updated_at, reason, snapshot"
)
#: A fenced step only happens while `owner` still runs the job and nobody asked to cancel it:
#: a process that lost the job (or was told to stop) can never send or record another call.
_OWNED = (
    "EXISTS (SELECT 1 FROM jobs WHERE jobs.id = job_items.job_id AND jobs.owner = ? "
    "AND jobs.state = 'running'{extra})"
)


def _job(row: Sequence[Any]) -> Job:
    values = list(row)
    values[7] = JobState(values[7])
    values[23] = bool(values[23])
    return Job(*values)


def _job_item(row: Sequence[Any]) -> JobItem:
    values = list(row)
    values[4] = ItemState(values[4])
    values[13] = loads(values[13])
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
        item_reasons: Mapping[str, str] | None = None,
        snapshots: bool = False,
    ) -> Job:
        """Journal a job and ALL its items in one transaction: either both exist or neither.

        `prev` maps item id -> (status, reason) before the job, what undo restores; when it is
        not given it is read from the store inside the same transaction. `item_reasons` gives
        per-item reasons (a CSV's reason column) that override the job's; `snapshots` keeps
        each item's row as the store knows it now (the evidence before a delist).
        """
        now = int(time.time()) if now is None else now
        reasons = item_reasons or {}
        with self._c.transaction() as raw:
            known: dict[str, Item] = {}
            if prev is None or snapshots:
                known = self._items.get_many(request.shop, request.item_ids)
            if prev is None:
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
                "updated_at, reason, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        job_id,
                        seq,
                        request.shop,
                        item_id,
                        *prev.get(item_id, ("", "")),
                        now,
                        reasons.get(item_id, ""),
                        dumps(item_snapshot(known[item_id]))
                        if snapshots and item_id in known
                        else None,
                    )
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

    def heartbeat(self, job_id: int, owner: str, *, now: int | None = None) -> bool:
        """Say the owner is alive; False when the job is no longer this owner's."""
        now = int(time.time()) if now is None else now
        with self._c.transaction() as raw:
            cur = raw.execute(
                "UPDATE jobs SET heartbeat = ? WHERE id = ? AND owner = ? AND state = 'running'",
                (now, job_id, owner),
            )
            return cur.rowcount == 1

    def mark_sending(
        self, job_id: int, item_id: str, *, owner: str | None = None, now: int | None = None
    ) -> bool:
        """Committed BEFORE the call leaves: an item found in `sending` after a crash may or
        may not have been changed, so it is read back from the platform before any resend.

        With `owner` the step is fenced: it only happens for a pending item while `owner`
        still runs the job and no cancel was requested; False means "do not send"."""
        now = int(time.time()) if now is None else now
        sql = (
            "UPDATE job_items SET state = 'sending', attempts = attempts + 1, updated_at = ? "
            "WHERE job_id = ? AND item_id = ?"
        )
        params: list[Any] = [now, job_id, item_id]
        if owner is not None:
            sql += " AND state IN ('queued', 'sending') AND " + _OWNED.format(
                extra=" AND jobs.cancel_requested = 0"
            )
            params.append(owner)
        with self._c.transaction() as raw:
            return raw.execute(sql, params).rowcount == 1

    def requeue(
        self,
        job_id: int,
        item_ids: Sequence[str],
        *,
        owner: str | None = None,
        now: int | None = None,
    ) -> None:
        """Put items back to `queued` (a sending item read back as unchanged, a call refused
        before it could apply: rate limit, sign-in, quota)."""
        now = int(time.time()) if now is None else now
        sql = (
            "UPDATE job_items SET state = 'queued', updated_at = ? "
            "WHERE job_id = ? AND item_id = ? AND state IN ('queued', 'sending')"
        )
        if owner is not None:
            sql += " AND " + _OWNED.format(extra="")
        with self._c.transaction() as raw:
            raw.executemany(
                sql,
                [(now, job_id, i, *((owner,) if owner is not None else ())) for i in item_ids],
            )

    def finish_item(
        self,
        job_id: int,
        item_id: str,
        outcome: Outcome,
        *,
        event: Event | None = None,
        calls: Sequence[JobCall] = (),
        owner: str | None = None,
        now: int | None = None,
    ) -> bool:
        """Record an item's final outcome, its timeline event, its calls and its new row state
        in ONE transaction: the journal, the timeline and the browser never disagree.

        An item that already has a final outcome keeps it (False, nothing written), so no item
        ever gets two outcome events; with `owner` the step is also fenced to the job's owner.
        """
        now = int(time.time()) if now is None else now
        sql = (
            "UPDATE job_items SET state = ?, code = ?, message = ?, request_id = ?, "
            "updated_at = ? WHERE job_id = ? AND item_id = ? AND state IN ('queued', 'sending')"
        )
        params: list[Any] = [
            outcome.kind.value,
            outcome.code,
            outcome.message,
            outcome.request_id,
            now,
            job_id,
            item_id,
        ]
        if owner is not None:
            sql += " AND " + _OWNED.format(extra="")
            params.append(owner)
        with self._c.transaction() as raw:
            if raw.execute(sql, params).rowcount != 1:
                return False
            if calls:
                raw.executemany(CALL_INSERT_SQL, [c.row() for c in calls])
            if event is not None:
                raw.execute(EVENT_INSERT_SQL, event.row())
            if outcome.item is not None:
                raw.execute(UPSERT_SQL, item_to_row(outcome.item))
            return True

    def record_calls(self, calls: Sequence[JobCall]) -> None:
        """Append calls that did not end an item (a transient failure before a retry)."""
        if calls:
            with self._c.transaction() as raw:
                raw.executemany(CALL_INSERT_SQL, [c.row() for c in calls])

    def calls(self, job_id: int, item_id: str | None = None) -> list[JobCall]:
        """A job's calls in the order they were made (per item when `item_id` is given)."""
        clause, params = "job_id = ?", [job_id]
        if item_id is not None:
            clause += " AND item_id = ?"
            params.append(item_id)  # type: ignore[arg-type]
        rows = self._c.query(
            f"SELECT {_CALL_COLS} FROM job_calls WHERE {clause} ORDER BY id", params
        )
        return [JobCall(*r) for r in rows]

    def release(
        self,
        job_id: int,
        owner: str,
        state: JobState,
        *,
        pause_reason: str = "",
        resume_at: int | None = None,
        now: int | None = None,
    ) -> bool:
        """The owner hands a job back (paused, done, cancelled, interrupted); False when the
        job is no longer this owner's (someone took it over)."""
        now = int(time.time()) if now is None else now
        sets = "state = ?, pause_reason = ?, resume_at = ?, heartbeat = ?"
        params: list[Any] = [state.value, pause_reason, resume_at, now]
        if state.final:
            sets += ", finished_at = ?, cancel_requested = 0"
            params.append(now)
        with self._c.transaction() as raw:
            cur = raw.execute(
                f"UPDATE jobs SET {sets} WHERE id = ? AND owner = ? AND state = 'running'",
                (*params, job_id, owner),
            )
            return cur.rowcount == 1

    def request_cancel(self, job_id: int) -> bool:
        """Ask the process running a job to stop sending (`shelf jobs cancel` from another
        process); False when the job is not running."""
        with self._c.transaction() as raw:
            cur = raw.execute(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state = 'running'",
                (job_id,),
            )
            return cur.rowcount == 1

    def cancel_requested(self, job_id: int) -> bool:
        return bool(self._c.scalar("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,)))

    def item(self, job_id: int, item_id: str) -> JobItem | None:
        rows = self._c.query(
            f"SELECT {_ITEM_COLS} FROM job_items WHERE job_id = ? AND item_id = ?",
            (job_id, item_id),
        )
        return _job_item(rows[0]) if rows else None

    def latest_for_items(self, shop: str, item_ids: Sequence[str]) -> dict[str, JobItem]:
        """The newest job step of each item (undo: "changed since by job N")."""
        out: dict[str, JobItem] = {}
        ids = list(dict.fromkeys(item_ids))
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            rows = self._c.query(
                f"SELECT {_ITEM_COLS} FROM job_items WHERE shop = ? AND item_id IN "
                f"({','.join('?' * len(chunk))}) AND state IN ('ok', 'sending') "
                "ORDER BY job_id",
                (shop, *chunk),
            )
            for row in rows:
                ji = _job_item(row)
                out[ji.item_id] = ji
        return out

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
