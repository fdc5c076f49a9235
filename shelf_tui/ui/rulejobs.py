"""How an applied rule's jobs reach the job engine from the console.

`submit` journals the rule's BulkRequests as they are (one job each: reason `rule:NAME: text`,
actor `rule:NAME`, source `rule`); it runs in a worker thread inside the transaction that also
records the rule's run (ui/rulesio.py `apply_rule`). `start` then runs the jobs: shops side by
side, one job at a time per shop, as `shelf rules run --apply` does, on a thread with its own
event loop so the console never waits on a marketplace; every finished job tells the session
the store changed, so the browser and the rules screen re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from shelf_tui import logs
from shelf_tui.domain import BulkRequest
from shelf_tui.jobs import JobEngine
from shelf_tui.store.jobs import Job
from shelf_tui.ui.session import Session

if TYPE_CHECKING:
    from shelf_tui.marketplaces.base import Marketplace

log = logs.get("ui.rules")


def _connect(session: Session) -> Callable[[str], AbstractAsyncContextManager[Marketplace]]:
    """Connectors with the same token store and rates as the console's sync (the demo keeps
    its tokens in memory, a seller's console in the OS keyring)."""
    tokens = getattr(session.sync, "tokens", None)
    rates = dict(session.config.rates)
    store = session.store

    def connect(shop: str) -> AbstractAsyncContextManager[Marketplace]:
        from shelf_tui import auth

        return auth.connect(store, shop, rates=rates, tokens=tokens)

    return connect


class RuleJobs:
    """The console's door to the engine for rule jobs."""

    def __init__(self, app: Any, session: Session, engine: JobEngine | None = None) -> None:
        self.app = app
        self.session = session
        self.engine = engine or JobEngine.from_config(
            session.store,
            session.config,
            read_only=session.read_only,
            connect=_connect(session),
        )

    def submit(self, requests: list[BulkRequest]) -> list[Job]:
        """Journal the requests (call inside the caller's transaction)."""
        return list(self.engine.submit_requests(requests, note="rule applied in the console").jobs)

    async def start(self, jobs: Sequence[Job]) -> None:
        """Run the jobs in the background; returns at once."""
        if not jobs:
            return
        ids = [job.id for job in jobs]
        shops: dict[str, list[int]] = {}
        for job in jobs:
            shops.setdefault(job.shop, []).append(job.id)
        thread = threading.Thread(
            target=self._run, args=(list(shops.values()),), name=f"rule-jobs-{ids[0]}", daemon=True
        )
        thread.start()

    def _run(self, per_shop: list[list[int]]) -> None:
        engine = self.engine

        async def one_shop(job_ids: list[int]) -> None:
            for job_id in job_ids:
                try:
                    await engine.run(job_id)
                except Exception as exc:  # a job that cannot start stays journaled
                    log.warning("rule job %s did not run: %s", job_id, exc)
                self._changed()

        async def main() -> None:
            try:
                await asyncio.gather(*(one_shop(ids) for ids in per_shop))
            finally:
                await engine.aclose()

        asyncio.run(main())

    def _changed(self) -> None:
        # When the app has gone, the jobs stay journaled and resume picks them up.
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self.session.data_changed)


def jobs_door(app: Any, session: Session) -> RuleJobs:
    return RuleJobs(app, session)
