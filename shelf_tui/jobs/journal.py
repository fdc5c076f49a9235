"""The engine's door to SQLite: one thread, off the event loop, with group commit.

Why a thread: a write can wait for the database lock (a sync in another process holds it for
seconds during a big upsert); on the event loop that wait would freeze the console and stall
every in-flight call. Why group commit: each journal step must be committed before the engine
moves on (mark_sending before the call leaves), and committing steps that are pending together
in one transaction keeps the cost per item flat when many calls finish at once.

Every step is still its own unit: a batch runs inside one transaction, and if any step raises,
the batch is rolled back and each step re-run alone, so one bad step fails only its caller.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from shelf_tui import logs
from shelf_tui.store import Store

T = TypeVar("T")

_STOP = object()
_log = logs.get("jobs.journal")


class Journal:
    """Runs store functions on a private thread; `await journal.run(fn, *args)`."""

    def __init__(self, store: Store, *, max_batch: int = 256) -> None:
        self._store = store
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.steps = 0

    def start(self) -> Journal:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="shelf-journal", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Finish pending steps and stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` on the journal thread (inside a transaction it shares with
        other pending steps) and return its result once committed."""
        if self._thread is None:
            self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, args, kwargs, loop, future))
        return await future

    # -- the thread --------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._run_batch(batch)
            if stop:
                return

    def _run_batch(self, batch: list[Any]) -> None:
        self.batches += 1
        self.steps += len(batch)
        results: list[tuple[bool, Any]] = []
        if len(batch) > 1:
            try:
                with self._store.conn.transaction():
                    for fn, args, kwargs, _, _ in batch:
                        results.append((True, fn(*args, **kwargs)))
            except BaseException:
                results = []
        if not results:
            for fn, args, kwargs, _, _ in batch:
                try:
                    results.append((True, fn(*args, **kwargs)))
                except BaseException as exc:
                    _log.warning("journal step %s failed: %r", getattr(fn, "__name__", fn), exc)
                    results.append((False, exc))
        for (ok, value), (_, _, _, loop, future) in zip(results, batch, strict=True):
            loop.call_soon_threadsafe(_resolve, future, ok, value)


def _resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
