"""`shelf report`: seed 001's 日巡检 (daily inspection) and 周复盘 (weekly review).

Per shop: counts by status and reason; what changed since the last report and who did it (the
events timeline: people, rules, and what syncs saw the platform do); new violation delists with
their rectification deadlines, soonest first; jobs that failed or wait paused. Plus
`daily_activity`, the list/delist counts per day the console charts over 30 days.

Reads the store only, except `mark_reported`, which remembers when the last report ran (meta
key `report_last_at`), so "since the last report" means what it says. No Textual here: the
console renders these dataclasses itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shelf_tui.domain import JobState, from_epoch, to_epoch
from shelf_tui.rules.timespec import zone
from shelf_tui.store import Store
from shelf_tui.store.jobs import Job

LAST_KEY = "report_last_at"
DEFAULT_SINCE = timedelta(hours=24)
#: Event actions meaning "went on sale" / "came off sale", whoever did it (jobs use list and
#: delist; syncs name what they saw: shelf_tui/sync.py change_event).
LIST_ACTIONS = ("list", "relisted")
DELIST_ACTIONS = ("delist", "delisted", "sold_out", "platform_delist", "close")


@dataclass(frozen=True, slots=True)
class ShopCounts:
    shop: str
    platform: str
    total: int
    by_status: dict[str, int]
    #: status -> reason -> count (reason "" for active items)
    by_reason: dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class Change:
    """Events since the report's start, per shop, who (actor), what (action) and outcome."""

    shop: str
    actor: str
    action: str
    outcome: str
    count: int


@dataclass(frozen=True, slots=True)
class Violation:
    shop: str
    item_id: str
    title: str
    deadline: datetime | None
    delisted_at: datetime | None
    message: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class DayActivity:
    """List and delist events of one local day, by who did them (the 30-day chart)."""

    day: date
    list_user: int = 0
    list_rule: int = 0
    list_platform: int = 0
    delist_user: int = 0
    delist_rule: int = 0
    delist_platform: int = 0

    @property
    def listed(self) -> int:
        return self.list_user + self.list_rule + self.list_platform

    @property
    def delisted(self) -> int:
        return self.delist_user + self.delist_rule + self.delist_platform


@dataclass
class Report:
    generated_at: datetime
    since: datetime
    since_source: str
    tz: str
    shops: list[ShopCounts] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    open_violations: int = 0
    overdue_violations: int = 0
    jobs: list[Job] = field(default_factory=list)

    def when(self, instant: datetime | None) -> str:
        if instant is None:
            return "-"
        return f"{instant.astimezone(zone(self.tz)):%Y-%m-%d %H:%M} {self.tz}"

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {
            "generated_at": iso(self.generated_at),
            "since": iso(self.since),
            "since_source": self.since_source,
            "shops": [
                {
                    "shop": s.shop,
                    "platform": s.platform,
                    "total": s.total,
                    "status": s.by_status,
                    "reasons": s.by_reason,
                }
                for s in self.shops
            ],
            "changes": [
                {
                    "shop": c.shop,
                    "actor": c.actor,
                    "action": c.action,
                    "outcome": c.outcome,
                    "count": c.count,
                }
                for c in self.changes
            ],
            "violations": [
                {
                    "shop": v.shop,
                    "item_id": v.item_id,
                    "title": v.title,
                    "deadline": iso(v.deadline),
                    "delisted_at": iso(v.delisted_at),
                    "message": v.message,
                    "overdue": v.overdue,
                }
                for v in self.violations
            ],
            "open_violations": self.open_violations,
            "overdue_violations": self.overdue_violations,
            "jobs": [{**j.as_dict(), "pause_reason": j.pause_reason} for j in self.jobs],
        }

    def to_text(self) -> str:
        out = [
            f"shelf report · {self.when(self.generated_at)} · changes since "
            f"{self.when(self.since)} ({self.since_source})",
            "",
        ]
        if not self.shops:
            out.append("no shops yet: `shelf shop add`")
        for s in self.shops:
            out.append(f"{s.shop} ({s.platform}): {s.total:,} items")
            parts = []
            for status, count in s.by_status.items():
                reasons = {r: n for r, n in s.by_reason.get(status, {}).items() if r}
                detail = (
                    " (" + ", ".join(f"{r} {n:,}" for r, n in reasons.items()) + ")"
                    if reasons
                    else ""
                )
                parts.append(f"{status} {count:,}{detail}")
            out.append("  " + " · ".join(parts) if parts else "  (empty)")
        out += ["", "What changed, and who did it"]
        if not self.changes:
            out.append("  nothing")
        current: tuple[str, str] | None = None
        line: list[str] = []
        for c in self.changes:
            if (c.shop, c.actor) != current:
                if line:
                    out.append(", ".join(line))
                current = (c.shop, c.actor)
                line = [f"  {c.shop:<12} {c.actor:<22} "]
            what = f"{c.action} {c.count:,}" + (f" {c.outcome}" if c.outcome else "")
            if line[-1].endswith(" "):
                line[-1] += what
            else:
                line.append(what)
        if line:
            out.append(", ".join(line))
        out += ["", "New violation delists (soonest deadline first)"]
        if not self.violations:
            out.append("  none")
        for v in self.violations:
            due = "no deadline given" if v.deadline is None else f"deadline {self.when(v.deadline)}"
            flag = " OVERDUE" if v.overdue else ""
            title = "".join(ch if ch.isprintable() else "?" for ch in v.title)[:40]
            out.append(f"  {v.shop}/{v.item_id} {title!r}: {due}{flag}")
            if v.message:
                out.append(f"      {v.message}")
        out.append(
            f"  open violation delists: {self.open_violations:,} "
            f"({self.overdue_violations:,} overdue)"
        )
        out += ["", "Jobs that failed or wait"]
        if not self.jobs:
            out.append("  none")
        for j in self.jobs:
            state = j.state.value
            why = f": {j.pause_reason}" if j.pause_reason else ""
            out.append(
                f"  #{j.id} {j.shop} {j.action} {state}{why} (ok {j.ok:,}, failed {j.failed:,}, "
                f"of {j.total:,}; {j.reason}) `shelf jobs {j.id}`"
            )
        return "\n".join(out)


def last_reported(store: Store) -> datetime | None:
    value = store.conn.scalar("SELECT value FROM meta WHERE key = ?", (LAST_KEY,))
    return from_epoch(int(value)) if value else None


def mark_reported(store: Store, at: datetime) -> None:
    with store.conn.transaction() as raw:
        raw.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (LAST_KEY, str(to_epoch(at)))
        )


def build(
    store: Store,
    now: datetime,
    *,
    since: datetime | None = None,
    tz: str = "UTC",
    shops: list[str] | None = None,
) -> Report:
    """The report at `now` for changes since `since` (default: the last report, else 24 h)."""
    zone(tz)  # a bad zone fails before any work
    if since is not None:
        source = "as asked"
    else:
        last = last_reported(store)
        since, source = (last, "the last report") if last else (now - DEFAULT_SINCE, "24 h")
    report = Report(generated_at=now, since=since, since_source=source, tz=tz)
    known = {s.name: s for s in store.shops.all()}
    names = [n for n in (shops or list(known)) if n in known]
    at = int(since.timestamp())
    epoch = int(now.timestamp())
    for name in names:
        rows = store.conn.query(
            "SELECT status, reason, count(*) FROM items WHERE shop = ? GROUP BY status, reason "
            "ORDER BY count(*) DESC",
            (name,),
        )
        by_status: dict[str, int] = {}
        by_reason: dict[str, dict[str, int]] = {}
        for status, reason, count in rows:
            by_status[status] = by_status.get(status, 0) + int(count)
            by_reason.setdefault(status, {})[reason] = int(count)
        ordered = dict(sorted(by_status.items(), key=lambda kv: -kv[1]))
        report.shops.append(
            ShopCounts(name, known[name].platform.label, sum(ordered.values()), ordered, by_reason)
        )
    if names:
        marks = ",".join("?" * len(names))
        for shop, actor, action, outcome, count in store.conn.query(
            f"SELECT shop, actor, action, outcome, count(*) FROM events WHERE at >= ? "
            f"AND shop IN ({marks}) GROUP BY shop, actor, action, outcome "
            "ORDER BY shop, actor = 'platform', actor, count(*) DESC",
            (at, *names),
        ):
            report.changes.append(Change(shop, actor, action, outcome, int(count)))
        _violations(store, report, names, at, epoch)
    report.jobs = _jobs(store, names, at)
    return report


def _violations(store: Store, report: Report, names: list[str], at: int, now: int) -> None:
    marks = ",".join("?" * len(names))
    base = f"shop IN ({marks}) AND status = 'inactive' AND reason = 'violation'"
    report.open_violations = int(
        store.conn.scalar(f"SELECT count(*) FROM items WHERE {base}", names)
    )
    report.overdue_violations = int(
        store.conn.scalar(
            f"SELECT count(*) FROM items WHERE {base} AND deadline IS NOT NULL AND deadline < ?",
            (*names, now),
        )
    )
    rows = store.conn.query(
        "SELECT i.shop, i.item_id, i.title, i.deadline, i.delisted_at, "
        "(SELECT message FROM events e WHERE e.shop = i.shop AND e.item_id = i.item_id "
        " AND e.action = 'platform_delist' ORDER BY e.id DESC LIMIT 1) "
        f"FROM items i WHERE i.shop IN ({marks}) AND i.status = 'inactive' "
        "AND i.reason = 'violation' AND ("
        "COALESCE(i.delisted_at, 0) >= ? OR EXISTS (SELECT 1 FROM events e WHERE "
        "e.shop = i.shop AND e.item_id = i.item_id AND e.action = 'platform_delist' "
        "AND e.at >= ?)) ORDER BY i.deadline IS NULL, i.deadline, i.shop, i.item_id",
        (*names, at, at),
    )
    for shop, item_id, title, deadline, delisted_at, message in rows:
        report.violations.append(
            Violation(
                shop,
                item_id,
                title,
                from_epoch(deadline),
                from_epoch(delisted_at),
                message or "",
                deadline is not None and deadline < now,
            )
        )


def _jobs(store: Store, names: list[str], at: int) -> list[Job]:
    waiting = store.jobs.all(states=[JobState.PAUSED, JobState.INTERRUPTED], limit=1000)
    finished = [
        j
        for j in store.jobs.all(states=[JobState.DONE, JobState.CANCELLED], limit=1000)
        if j.failed and (j.finished_at or j.created_at) >= at
    ]
    return [j for j in waiting + finished if j.shop in names]


def daily_activity(
    store: Store, now: datetime, *, days: int = 30, tz: str = "UTC", shops: list[str] | None = None
) -> list[DayActivity]:
    """List and delist events per local day for the last `days` days (oldest first, every
    day present, zeros included), split by who: people, rules, the platform (seen by sync).
    Only changes that happened count: job events that ended ok, and sync observations."""
    where = zone(tz)
    today = now.astimezone(where).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), where).astimezone(UTC)
    actions = LIST_ACTIONS + DELIST_ACTIONS
    params: list[Any] = [int(start.timestamp()), *actions]
    clause = ""
    if shops is not None:
        clause = f" AND shop IN ({','.join('?' * len(shops))})"
        params.extend(shops)
    rows = store.conn.query(
        "SELECT at / 900 * 900, CASE WHEN actor = 'platform' THEN 'platform' "
        "WHEN actor LIKE 'rule:%' THEN 'rule' ELSE 'user' END, action, count(*) FROM events "
        f"WHERE at >= ? AND action IN ({','.join('?' * len(actions))}) "
        f"AND outcome IN ('ok', ''){clause} GROUP BY 1, 2, 3",
        params,
    )
    counts: dict[date, dict[str, int]] = {first + timedelta(days=n): {} for n in range(days)}
    for bucket, who, action, count in rows:
        day = datetime.fromtimestamp(int(bucket), UTC).astimezone(where).date()
        if day not in counts:
            continue
        kind = "list" if action in LIST_ACTIONS else "delist"
        key = f"{kind}_{who}"
        counts[day][key] = counts[day].get(key, 0) + int(count)
    return [DayActivity(day, **values) for day, values in counts.items()]
