"""The timeline: append-only events per item (when, who, what, why, what the platform said).

This API offers no way to change or remove an event, and triggers in the schema refuse UPDATE
and DELETE from any other path too; the only exception is erasing a removed shop's history
when the seller explicitly asks (`purge_shop`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shelf_tui.store.base import Connection, dumps, loads

_COLUMNS = (
    "at",
    "shop",
    "item_id",
    "actor",
    "action",
    "reason",
    "job_id",
    "outcome",
    "code",
    "message",
    "request_id",
    "before",
    "after",
    "snapshot",
)
EVENT_INSERT_SQL = (
    f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
)


@dataclass(frozen=True, slots=True)
class Event:
    """One line of an item's timeline.

    `actor` is `user@host`, `rule:NAME` or `platform`. `before`/`after` hold the fields that
    changed; `snapshot` is the whole item before a delist (seed 003: evidence for appeals).
    """

    shop: str
    actor: str
    action: str
    item_id: str = ""
    reason: str = ""
    job_id: int | None = None
    outcome: str = ""
    code: str = ""
    message: str = ""
    request_id: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    snapshot: Mapping[str, Any] | None = None
    at: int = field(default_factory=lambda: int(time.time()))
    id: int | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.at,
            self.shop,
            self.item_id,
            self.actor,
            self.action,
            self.reason,
            self.job_id,
            self.outcome,
            self.code,
            self.message,
            self.request_id,
            dumps(dict(self.before)) if self.before is not None else None,
            dumps(dict(self.after)) if self.after is not None else None,
            dumps(dict(self.snapshot)) if self.snapshot is not None else None,
        )


def _event(row: Sequence[Any]) -> Event:
    return Event(
        id=row[0],
        at=row[1],
        shop=row[2],
        item_id=row[3],
        actor=row[4],
        action=row[5],
        reason=row[6],
        job_id=row[7],
        outcome=row[8],
        code=row[9],
        message=row[10],
        request_id=row[11],
        before=loads(row[12]),
        after=loads(row[13]),
        snapshot=loads(row[14]),
    )


_SELECT = "id, " + ", ".join(_COLUMNS)


class Events:
    """The `events` table: append and read, nothing else."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def append(self, event: Event) -> int:
        with self._c.transaction() as raw:
            cur = raw.execute(EVENT_INSERT_SQL, event.row())
            return int(cur.lastrowid or 0)

    def append_many(self, events: Iterable[Event]) -> int:
        rows = [e.row() for e in events]
        if not rows:
            return 0
        with self._c.transaction() as raw:
            raw.executemany(EVENT_INSERT_SQL, rows)
        return len(rows)

    def for_item(self, shop: str, item_id: str, limit: int = 500) -> list[Event]:
        """The item's timeline, newest first."""
        rows = self._c.query(
            f"SELECT {_SELECT} FROM events WHERE shop = ? AND item_id = ? ORDER BY id DESC LIMIT ?",
            (shop, item_id, limit),
        )
        return [_event(r) for r in rows]

    def for_job(self, job_id: int) -> list[Event]:
        rows = self._c.query(
            f"SELECT {_SELECT} FROM events WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [_event(r) for r in rows]

    def since(
        self,
        at: int,
        *,
        shop: str | None = None,
        actions: Sequence[str] | None = None,
        limit: int = 100_000,
    ) -> list[Event]:
        clause = "at >= ?"
        params: list[Any] = [at]
        if shop is not None:
            clause += " AND shop = ?"
            params.append(shop)
        if actions:
            clause += f" AND action IN ({','.join('?' * len(actions))})"
            params.extend(actions)
        rows = self._c.query(
            f"SELECT {_SELECT} FROM events WHERE {clause} ORDER BY id LIMIT ?", (*params, limit)
        )
        return [_event(r) for r in rows]

    def last_for_items(
        self, shop: str, item_ids: Sequence[str], actions: Sequence[str]
    ) -> dict[str, Event]:
        """The newest event of the given actions for each item (e.g. who last delisted it:
        reason-aware relisting)."""
        out: dict[str, Event] = {}
        ids = list(dict.fromkeys(item_ids))
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            rows = self._c.query(
                f"SELECT {_SELECT} FROM events WHERE id IN ("
                f"SELECT max(id) FROM events WHERE shop = ? AND item_id IN "
                f"({','.join('?' * len(chunk))}) AND action IN ({','.join('?' * len(actions))}) "
                "GROUP BY item_id)",
                (shop, *chunk, *actions),
            )
            for row in rows:
                ev = _event(row)
                out[ev.item_id] = ev
        return out

    def count(self, shop: str | None = None) -> int:
        if shop is None:
            return int(self._c.scalar("SELECT count(*) FROM events"))
        return int(self._c.scalar("SELECT count(*) FROM events WHERE shop = ?", (shop,)))

    def purge_shop(self, shop: str) -> int:
        """Erase a shop's history. Only for a removed shop, only when the seller asked."""
        with self._c.transaction() as raw:
            if raw.execute("SELECT 1 FROM shops WHERE name = ?", (shop,)).fetchone():
                raise ValueError(
                    f"shop {shop!r} still exists: remove it before erasing its history"
                )
            raw.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('purge_shop', ?)", (shop,))
            cur = raw.execute("DELETE FROM events WHERE shop = ?", (shop,))
            raw.execute("DELETE FROM meta WHERE key = 'purge_shop'")
            return cur.rowcount
