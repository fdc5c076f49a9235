"""A job running in this process, as the console and the CLI hold it; what `submit` returns;
and the stand-in connector a cancel uses when the shop cannot be reached."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shelf_tui.domain import Action, Item, Outcome
from shelf_tui.jobs.progress import Progress, ProgressHub
from shelf_tui.jobs.runner import Runner, RunResult
from shelf_tui.marketplaces.base import Capabilities, Marketplace, SellerInfo
from shelf_tui.store.jobs import Job

Listener = Callable[[Progress], None]


class JobHandle:
    """A job running in this process: its progress, and how to stop or await it."""

    def __init__(self, job_id: int, hub: ProgressHub) -> None:
        self.job_id = job_id
        self.hub = hub
        self.runner: Runner | None = None
        self.task: asyncio.Future[RunResult] | None = None
        self._cancel = False
        self._interrupt = False

    @property
    def progress(self) -> Progress:
        return self.hub.latest

    def subscribe(self) -> AsyncIterator[Progress]:
        """Snapshots (newest only, <= hz a second) until the run ends."""
        return self.hub.subscribe()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        return self.hub.add_listener(listener)

    def cancel(self) -> None:
        """Stop sending at once; in-flight calls finish; returns immediately."""
        self._cancel = True
        if self.runner is not None:
            self.runner.cancel()

    def interrupt(self) -> None:
        """Stop sending and leave the job `interrupted` for a later resume (a hang-up)."""
        self._interrupt = True
        if self.runner is not None:
            self.runner.interrupt()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    async def wait(self) -> RunResult:
        assert self.task is not None
        return await asyncio.shield(self.task)


class Offline(Marketplace):
    """Stands in when a shop cannot be reached while cancelling: every read fails with the
    reason, so a cancelled job still ends (its unanswered items say "check the item")."""

    capabilities = Capabilities()

    def __init__(self, error: Exception) -> None:
        self._error = error

    def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        raise self._error

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        raise self._error

    async def preflight(self, item: Item, action: Action) -> str | None:
        raise self._error

    async def set_status(self, item: Item, action: Action) -> Outcome:
        raise self._error

    async def whoami(self) -> SellerInfo:
        raise self._error


@dataclass(frozen=True, slots=True)
class Submission:
    """What `submit` journaled: the jobs, one per shop."""

    jobs: tuple[Job, ...]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(j.id for j in self.jobs)
