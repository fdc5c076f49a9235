"""The connection every repository shares: one lock, one transaction helper, row codecs."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils


class Connection:
    """A sqlite3 connection guarded by a re-entrant lock, so the console's worker threads and
    the asyncio job engine can share one store. `transaction()` nests: only the outermost
    level begins and commits."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn
        self.lock = threading.RLock()
        self.db = sqlite_utils.Database(conn)
        self._depth = 0
        # Read-only opens set query_only (db.connect): such a connection never writes.
        self.readonly = bool(conn.execute("PRAGMA query_only").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.raw
                finally:
                    self._depth -= 1
                return
            self.raw.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.raw
            except BaseException:
                self._depth = 0
                self.raw.execute("ROLLBACK")
                raise
            else:
                self._depth = 0
                self.raw.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            cur = self.raw.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    def scalar(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        with self.lock:
            row = self.raw.execute(sql, params).fetchone()
            return None if row is None else row[0]

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.raw.execute(sql, params)


def dumps(value: Any) -> str | None:
    """Compact JSON for TEXT columns; None stays NULL."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Any:
    if text is None or text == "":
        return None
    return json.loads(text)
