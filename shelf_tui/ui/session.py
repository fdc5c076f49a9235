"""What every screen of one console shares: the store, the browser's own reading connection
and its loader thread, the marks, the clock, the data generation.

The browser reads through a second connection to the same file (WAL: readers never wait for a
writer), so a sync writing thousands of rows on the main connection never holds up a page.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shelf_tui.config import Config
from shelf_tui.store import Sql, Store, compile_filter
from shelf_tui.ui.loader import DETAIL, MARKS, Loader, Task
from shelf_tui.ui.marks import MarkOp, MarkStore
from shelf_tui.ui.rows import BrowseItems
from shelf_tui.ui.services import Clock, SyncService

T = TypeVar("T")

#: Items the platform took down or locked: the alerts view and the count in the header.
ALERTS_FILTERS = ("reason:violation,platform", "locked:yes")


@dataclass
class Session:
    store: Store
    reader: Store
    clock: Clock
    config: Config
    read_only: bool = False
    sync: SyncService | None = None
    generation: int = 0
    mark_seq: int = 0
    loader: Loader | None = None
    _marks: MarkStore | None = None
    _listeners: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)

    @classmethod
    def open(
        cls,
        store: Store,
        *,
        clock: Clock,
        config: Config,
        read_only: bool = False,
        sync: SyncService | None = None,
    ) -> Session:
        reader = Store.open(store.path)
        return cls(store, reader, clock, config, read_only, sync)

    def start(self, loader: Loader) -> None:
        self.loader = loader
        self._marks = MarkStore(self.reader)
        self.items = BrowseItems(self.reader)
        loader.start()

    def close(self) -> None:
        if self.loader is not None:
            self.loader.stop()
        self.reader.close()

    @property
    def marks(self) -> MarkStore:
        """The loader-side mark set (use only inside loader tasks)."""
        assert self._marks is not None
        return self._marks

    def now(self) -> int:
        return int(self.clock().timestamp())

    def compile(self, text: str) -> Sql:
        """A filter at the console's current instant (FilterError on bad syntax)."""
        return compile_filter(text, now=self.now())

    def alerts_where(self) -> Sql:
        first, second = (self.compile(t) for t in ALERTS_FILTERS)
        return Sql(f"({first.where}) OR ({second.where})", first.params + second.params)

    def submit(self, task: Task) -> None:
        assert self.loader is not None
        self.loader.submit(task)

    async def run(self, fn: Callable[[], T], priority: int = DETAIL) -> T:
        """Run `fn` on the loader thread (after every queued mark change) and await it."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.submit(
            Task(fn, future.set_result, priority, failed=future.set_exception, interruptible=False)
        )
        return await future

    async def marked_keys(self) -> dict[str, list[str]]:
        """Every marked item as {shop: [item_id, ...]}: what a bulk action acts on (one job
        per shop). Resolves `*` predicates against the store as it is now."""
        return await self.run(self.marks.keys)

    def interrupt(self, predicate: Callable[[Task], bool]) -> None:
        """Stop the running read if nobody waits for it any more (see loader.py)."""
        if self.loader is not None:
            self.loader.interrupt_if(predicate)

    def mark(self, op: MarkOp, origin: Any = None) -> int:
        """Queue a change of the marks; returns its sequence number. Every listening table
        but `origin` (which patched itself) is told, to patch what it can know."""
        self.mark_seq += 1
        seq = self.mark_seq
        marks = self.marks

        def run() -> int:
            marks.apply(op, seq)
            return seq

        self.submit(Task(run, None, priority=MARKS, interruptible=False))
        for listener in list(self._listeners):
            listener.marks_changed(op, seq, listener is origin)
        return seq

    def listen(self, listener: Any) -> None:
        """Register an object with `data_changed()` and `marks_changed(op, seq, own)` methods
        (the tables)."""
        self._listeners.add(listener)

    def data_changed(self) -> None:
        """The store changed under us (a sync, a job): every table re-reads in place."""
        self.generation += 1
        for listener in list(self._listeners):
            listener.data_changed()
