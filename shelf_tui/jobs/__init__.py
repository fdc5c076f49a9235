"""Bulk jobs: plan -> journal -> run -> outcome; resume, cancel, retry, undo (design.md, "Jobs").

The API the CLI and the console share (see engine.py for a walk-through):

- `JobEngine(store, ...)` / `JobEngine.from_config(store, config)`
- planning: `plan_keys`, `plan_filter`, `resolve_ids` -> `Plan` (per-shop `ShopPlan`s of
  `PlanItem`s with a `Verdict` and, when blocked, a `Block` and its detail), `hidden_count`
- journaling: `engine.submit(plan, reason)` -> one job per shop
- running: `await engine.start(job_id)` -> `JobHandle` (`subscribe()`, `progress`, `cancel()`,
  `wait()` -> `RunResult`); `engine.add_listener(cb)` for every job's `Progress`
- control: `await engine.cancel(id)`, `engine.retry_failed(id)`, `engine.undo_plan(id)`,
  `engine.undo(id, reason)`, `engine.recover()`, `engine.resumable()`, `await engine.resume_due()`
- CSV: `csvio.read_ids`, `csvio.write_items`, `csvio.write_evidence`
"""

from shelf_tui.jobs.engine import (
    Connect,
    JobEngine,
    default_actor,
    default_connect,
    settings_from_config,
)
from shelf_tui.jobs.errors import JobBusy, Refused, UnknownJob
from shelf_tui.jobs.handle import JobHandle, Submission
from shelf_tui.jobs.plan import (
    IdRow,
    Plan,
    PlanItem,
    Refusal,
    ShopPlan,
    hidden_count,
    plan_filter,
    plan_keys,
    resolve_ids,
)
from shelf_tui.jobs.progress import Failure, Progress, ProgressHub, watch
from shelf_tui.jobs.runner import RunResult, Settings
from shelf_tui.jobs.timing import Timer
from shelf_tui.jobs.undo import UndoPlan
from shelf_tui.jobs.verdicts import Block, Verdict, judge

__all__ = [
    "Block",
    "Connect",
    "Failure",
    "IdRow",
    "JobBusy",
    "JobEngine",
    "JobHandle",
    "Plan",
    "PlanItem",
    "Progress",
    "ProgressHub",
    "Refusal",
    "Refused",
    "RunResult",
    "Settings",
    "ShopPlan",
    "Submission",
    "Timer",
    "UndoPlan",
    "UnknownJob",
    "Verdict",
    "default_actor",
    "default_connect",
    "hidden_count",
    "judge",
    "plan_filter",
    "plan_keys",
    "resolve_ids",
    "settings_from_config",
    "watch",
]
