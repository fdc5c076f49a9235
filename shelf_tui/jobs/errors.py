"""The engine's refusals, each one line with the exit code of design.md."""

from __future__ import annotations

from collections.abc import Sequence

from shelf_tui.errors import EXIT_REFUSED, ShelfError, UsageError
from shelf_tui.jobs.plan import Refusal


class JobBusy(ShelfError):
    """The job is running in another live process (two processes never run one job)."""

    exit_code = EXIT_REFUSED


class UnknownJob(ShelfError):
    exit_code = EXIT_REFUSED

    def __init__(self, job_id: int) -> None:
        super().__init__(f"no job {job_id} (see `shelf jobs`)")


class Refused(UsageError):
    """The selection has ids that cannot be acted on; nothing was journaled or sent."""

    def __init__(self, refusals: Sequence[Refusal], what: str = "the selection") -> None:
        self.refusals = tuple(refusals)
        n = len(self.refusals)
        super().__init__(
            f"refused: {n} problem{'s' if n != 1 else ''} in {what} (listed above); "
            "nothing was sent"
        )
