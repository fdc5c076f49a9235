"""The loader thread: most urgent first, duplicates dropped, stale work skipped, and a slow
count interrupted for rows the seller is waiting to see, then run again."""

from __future__ import annotations

import queue
import sqlite3
import threading
from typing import Any

from shelf_tui.ui.loader import BACKGROUND, COUNT, PREFETCH, VISIBLE, Finished, Loader, Task


class Owner:
    """Stands in for the app: collects Finished messages for the test to dispatch."""

    def __init__(self) -> None:
        self.messages: queue.Queue[Finished] = queue.Queue()

    def post_message(self, message: Finished) -> bool:
        self.messages.put(message)
        return True


def drain(loader: Loader, owner: Owner, n: int) -> None:
    for _ in range(n):
        loader.dispatch(owner.messages.get(timeout=10))


async def test_most_urgent_first_duplicates_replaced_stale_skipped() -> None:
    owner = Owner()
    loader = Loader(owner, interrupt=lambda: None)  # type: ignore[arg-type]
    loader.start()
    gate = threading.Event()
    ran: list[str] = []
    done: list[Any] = []
    try:
        loader.submit(Task(lambda: gate.wait(10), priority=VISIBLE, interruptible=False))
        loader.submit(Task(lambda: ran.append("prefetch"), priority=PREFETCH))
        loader.submit(Task(lambda: ran.append("old count"), done.append, COUNT, key="count"))
        loader.submit(Task(lambda: ran.append("background"), priority=BACKGROUND))
        loader.submit(Task(lambda: ran.append("rows"), priority=VISIBLE))
        loader.submit(Task(lambda: ran.append("new count") or 7, done.append, COUNT, key="count"))
        loader.submit(Task(lambda: ran.append("stale"), done.append, COUNT, stale=lambda: True))
        assert loader.pending("count") and not loader.idle
        gate.set()
        drain(loader, owner, 6)
        assert ran == ["rows", "new count", "prefetch", "background"]
        assert done == [7]
        assert loader.idle and not loader.pending("count")
        await loader.wait_idle()
    finally:
        loader.stop()


def _slow_then_fast(conn: sqlite3.Connection, attempts: list[int]) -> int:
    attempts.append(1)
    limit = 10**9 if len(attempts) == 1 else 1000
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT count(*) FROM n"
    return int(conn.execute(sql, (limit,)).fetchone()[0])


async def test_a_running_count_steps_aside_for_rows_and_runs_again() -> None:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    owner = Owner()
    loader = Loader(owner, interrupt=conn.interrupt)  # type: ignore[arg-type]
    loader.start()
    attempts: list[int] = []
    order: list[str] = []
    started = threading.Event()  # set from inside SQLite: the statement is running

    def progress() -> int:
        started.set()
        return 0

    conn.set_progress_handler(progress, 1000)

    def count() -> int:
        return _slow_then_fast(conn, attempts)

    try:
        loader.submit(Task(count, lambda n: order.append(f"count {n}"), COUNT, key="count"))
        assert started.wait(10)
        urgent = Task(lambda: "rows", order.append, VISIBLE, urgent=True)
        loader.submit(urgent)
        drain(loader, owner, 3)  # the interrupted count, the rows, the count again
        assert order == ["rows", "count 1000"]
        assert len(attempts) == 2
        assert loader.idle
    finally:
        loader.stop()
        conn.close()
