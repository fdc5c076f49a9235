"""The local SQLite store: shops, items, the events timeline and the job journal.

store = Store.open(paths.db_file)
store.items.upsert(items)
store.items.count("status:inactive reason:violation")
store.events.append(Event(...))
job = store.jobs.create(BulkRequest(...))
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from shelf_tui.store.base import Connection
from shelf_tui.store.db import StoreError, connect
from shelf_tui.store.events import Event, Events
from shelf_tui.store.filters import Filter, FilterError, Sql, compile_filter, parse
from shelf_tui.store.items import Cursor, Items, Page, Sort
from shelf_tui.store.jobs import Job, JobItem, Jobs
from shelf_tui.store.schema import SCHEMA_VERSION
from shelf_tui.store.shops import ShopExists, Shops, UnknownShop

__all__ = [
    "SCHEMA_VERSION",
    "Cursor",
    "Event",
    "Filter",
    "FilterError",
    "Job",
    "JobItem",
    "Page",
    "ShopExists",
    "Sort",
    "Sql",
    "Store",
    "StoreError",
    "UnknownShop",
    "compile_filter",
    "parse",
]


class Store:
    """One open shelf.db and its repositories."""

    def __init__(self, path: Path, conn: Connection) -> None:
        self.path = path
        self.conn = conn
        self.shops = Shops(conn)
        self.items = Items(conn)
        self.events = Events(conn)
        self.jobs = Jobs(conn, self.items)

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Store:
        """Open or create the database (created 0600, migrated). Raises StoreError with a
        one-line reason for a newer-schema or damaged file, which is left untouched."""
        return cls(path, Connection(connect(path, readonly=readonly)))

    @property
    def schema_version(self) -> int:
        return int(self.conn.scalar("PRAGMA user_version"))

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    def close(self) -> None:
        with self.conn.lock:
            self.conn.raw.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
