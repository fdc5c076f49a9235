"""What the rules and report screens read and write, off the UI thread.

Planning a rule over 500,000 items takes about two seconds, and the report groups the whole
catalog: neither may run on the event loop (keys would wait) nor on the browser's loader
thread (its pages would wait). So these screens read through a read-only connection of their
own (`Reader`), from worker threads. Writes go through the console's main store: rules.toml
edits (`rules.set_enabled`) and, when a rule is applied, the jobs and the run record in ONE
transaction under the same run lock `shelf rules run` holds (`apply_rule`), so a cron run and
the console can never fire the same rule at once or journal the same items twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shelf_tui.domain import BulkRequest
from shelf_tui.rules import Plan, RuleBook, RulePlan, RunLock, commit
from shelf_tui.rules.state import RuleState
from shelf_tui.store import Store
from shelf_tui.ui.session import Session

if TYPE_CHECKING:
    from shelf_tui.paths import Paths
    from shelf_tui.store.jobs import Job

#: The lock file `shelf rules run` holds (cli/automation.py LOCK_NAME), in the data dir.
LOCK_NAME = "rules-run.lock"


@dataclass(frozen=True, slots=True)
class RulesPlace:
    """Where this console's rules live: rules.toml and the run lock."""

    rules_file: Path
    lock_file: Path

    @classmethod
    def from_paths(cls, paths: Paths) -> RulesPlace:
        return cls(paths.rules_file, paths.lock_dir / LOCK_NAME)


class Reader:
    """A screen's own read-only connection, opened on first use, closed with the screen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open(self.path, readonly=True)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def read_only(session: Session) -> bool:
    """Read-only mode, from --read-only or config.toml: nothing is applied or toggled."""
    return session.read_only or session.config.read_only


def book(place: RulesPlace, reader: Reader, clock: Callable[[], datetime]) -> RuleBook:
    return RuleBook(place.rules_file, reader.get(), clock=clock)


def short_path(path: Path | str) -> str:
    """A path as the seller reads it: the home directory as `~` (fits 80 columns better)."""
    text = str(path)
    try:
        home = str(Path.home())
    except RuntimeError:  # no home directory at all
        return text
    if home not in ("", "/") and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def short_lines(text: str, path: Path) -> str:
    """A message naming `path` (RulesError's `path:LINE: ...`), with the path shortened."""
    return text.replace(str(path), short_path(path))


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime_ns, size) of rules.toml, None when missing: the screen reloads when it moves."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def only(plan: Plan, name: str) -> Plan:
    """The plan cut down to one rule: what applying that rule sends and records."""
    return Plan(at=plan.at, rules=[plan.get(name)])


def last_run_of(store: Store, name: str) -> int | None:
    """When `name` last ran (epoch; a CLI or console run), to tell a stale preview."""
    record = RuleState(store.conn).runs().get(name)
    return record.last_run_at if record else None


class Stale(Exception):
    """The rule ran, or rules.toml changed it, since the preview: preview again."""


def apply_rule(
    store: Store,
    place: RulesPlace,
    plan: Plan,
    rule_plan: RulePlan,
    submit: Callable[[list[BulkRequest]], Sequence[Job]],
    *,
    ran_at_preview: int | None,
) -> list[Job]:
    """Journal `rule_plan`'s requests (one job per BulkRequest, through `submit`) and record
    the run, in ONE transaction under the rules run lock. Raises `rules.Busy` while `shelf
    rules run` runs, `Stale` when the rule ran or was edited since the preview (its items
    may already be on their way), `RulesError` when rules.toml is broken now."""
    name = rule_plan.name
    with RunLock(place.lock_file, what="shelf rules run"):
        ruleset = RuleBook(place.rules_file, store).load()
        try:
            now = ruleset.get(name)
        except KeyError:
            raise Stale(f"{name} is no longer in rules.toml") from None
        if not now.enabled:
            raise Stale(f"{name} was disabled in rules.toml")
        if replace(now, line=0) != replace(rule_plan.rule, line=0):
            raise Stale(f"{name} was edited in rules.toml since the preview")
        if last_run_of(store, name) != ran_at_preview:
            raise Stale(f"{name} ran since the preview")
        with store.conn.transaction():
            jobs = list(submit(list(rule_plan.requests))) if rule_plan.requests else []
            commit(store, only(plan, name), ruleset, applied={name})
    return jobs
