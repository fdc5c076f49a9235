"""What rules remember between runs (schema migration 3): grace timers, fired slots, last runs.

Kept apart from the planner so planning stays a read: `rules check` and the console's preview
never write; only `rules run` (and an apply from the console) commits what a plan observed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from shelf_tui.store.base import Connection

#: (shop, item_id, action) -> the epoch second the rule's condition was first seen holding.
Pending = dict[tuple[str, str, str], int]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A rule's last run (any `rules run`) and last apply (jobs were created)."""

    rule: str
    last_run_at: int | None
    last_applied_at: int | None
    last_sent: int
    last_note: str


class RuleState:
    """The rule_pending, rule_slots and rule_runs tables."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    # -- reads ------------------------------------------------------------------------------

    def pending(self, rule: str) -> Pending:
        rows = self._c.query(
            "SELECT shop, item_id, action, since FROM rule_pending WHERE rule = ?", (rule,)
        )
        return {(r[0], r[1], r[2]): int(r[3]) for r in rows}

    def fired(self, rule: str) -> set[tuple[str, str]]:
        """(shop, slot) pairs this rule has fired."""
        rows = self._c.query("SELECT shop, slot FROM rule_slots WHERE rule = ?", (rule,))
        return {(r[0], r[1]) for r in rows}

    def runs(self) -> dict[str, RunRecord]:
        rows = self._c.query(
            "SELECT rule, last_run_at, last_applied_at, last_sent, last_note FROM rule_runs"
        )
        return {r[0]: RunRecord(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows}

    # -- writes -----------------------------------------------------------------------------

    def observe(
        self, rule: str, shops: Collection[str], holding: Mapping[tuple[str, str, str], int]
    ) -> None:
        """Replace the rule's grace timers for `shops` with what this run saw holding: a timer
        whose condition stopped holding is dropped (the next blip starts from zero)."""
        with self._c.transaction() as raw:
            raw.executemany(
                "DELETE FROM rule_pending WHERE rule = ? AND shop = ?", [(rule, s) for s in shops]
            )
            raw.executemany(
                "INSERT INTO rule_pending (rule, shop, item_id, action, since) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (rule, shop, item, action, since)
                    for (shop, item, action), since in holding.items()
                ],
            )

    def mark_fired(self, rule: str, slots: Iterable[tuple[str, str]], at: int) -> None:
        with self._c.transaction() as raw:
            raw.executemany(
                "INSERT OR IGNORE INTO rule_slots (rule, shop, slot, fired_at) VALUES (?, ?, ?, ?)",
                [(rule, shop, slot, at) for shop, slot in slots],
            )

    def record_run(self, rule: str, at: int, *, applied: bool, sent: int, note: str) -> None:
        with self._c.transaction() as raw:
            raw.execute(
                "INSERT INTO rule_runs (rule, last_run_at, last_applied_at, last_sent, last_note) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(rule) DO UPDATE SET "
                "last_run_at = excluded.last_run_at, "
                "last_applied_at = COALESCE(excluded.last_applied_at, rule_runs.last_applied_at), "
                "last_sent = CASE WHEN excluded.last_applied_at IS NULL THEN rule_runs.last_sent "
                "ELSE excluded.last_sent END, last_note = excluded.last_note",
                (rule, at, at if applied else None, sent, note),
            )

    def forget_others(self, keep: Collection[str]) -> None:
        """Drop grace timers of rules no longer in rules.toml (renamed or removed), so a rule
        re-added later starts its grace afresh. Fired slots and run records stay: history."""
        names = list(keep)
        with self._c.transaction() as raw:
            if names:
                raw.execute(
                    f"DELETE FROM rule_pending WHERE rule NOT IN ({','.join('?' * len(names))})",
                    names,
                )
            else:
                raw.execute("DELETE FROM rule_pending")
