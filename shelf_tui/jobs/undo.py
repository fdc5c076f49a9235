"""Undo: a new job that restores each item a job changed to its previous status, and, said
up front, the items that cannot be restored and why.

What undo will not do, item by item: reopen an ML item that was closed (closed is final),
list a Temu compliance delist (3001/3004), or overwrite a change made since by someone else
(another job, a rule, the seller on the platform, the platform itself): the timeline says who.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shelf_tui.domain import Action, ItemState, JobState, Platform, Status, from_epoch
from shelf_tui.jobs.plan import Plan, Refusal, plan_keys
from shelf_tui.store import Store
from shelf_tui.store.jobs import Job

_CLOSED_FINAL = (
    "closed on Mercado Libre: closing is final, the item cannot be reopened (relist it as a "
    "new item on the platform)"
)


@dataclass(frozen=True, slots=True)
class UndoPlan:
    """`plan` restores the restorable items (None when none is); `cannot` says which items
    will not be restored and why."""

    job: Job
    action: Action | None
    plan: Plan | None
    cannot: tuple[Refusal, ...]

    @property
    def restorable(self) -> int:
        return self.plan.total if self.plan is not None else 0

    def summary_lines(self) -> list[str]:
        lines = [
            f"undo job {self.job.id} ({self.job.action} on {self.job.shop}): "
            f"{self.restorable:,} item(s) to restore"
            + (f" with {self.action.label}" if self.action and self.restorable else "")
            + f", {len(self.cannot):,} cannot be undone"
        ]
        if self.plan is not None:
            lines.extend(self.plan.summary_lines()[1:])
        if self.cannot:
            lines.append("cannot be undone:")
            lines.extend(f"  {r.item_id}  {r.why}" for r in self.cannot)
        return lines


@dataclass(frozen=True, slots=True)
class _Change:
    job_id: int | None
    actor: str
    action: str
    outcome: str
    at: int


def _latest_changes(store: Store, shop: str, ids: Sequence[str]) -> dict[str, _Change]:
    """The newest timeline event of each item that may have changed it (outcomes already,
    skipped and failed changed nothing)."""
    out: dict[str, _Change] = {}
    for start in range(0, len(ids), 400):
        chunk = list(ids[start : start + 400])
        rows = store.conn.query(
            "SELECT item_id, job_id, actor, action, outcome, at FROM events WHERE id IN ("
            "SELECT max(id) FROM events WHERE shop = ? AND item_id IN "
            f"({','.join('?' * len(chunk))}) AND outcome NOT IN ('already', 'skipped', 'failed') "
            "GROUP BY item_id)",
            (shop, *chunk),
        )
        for r in rows:
            out[r[0]] = _Change(r[1], r[2], r[3], r[4], r[5])
    return out


def _who(ev: _Change) -> str:
    when = from_epoch(ev.at)
    stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when else "?"
    by = f"job {ev.job_id} by {ev.actor}" if ev.job_id else ev.actor
    return f"{ev.action} {ev.outcome}".strip() + f" ({by}, {stamp})"


def plan_undo(store: Store, job_id: int, *, now: datetime | None = None) -> UndoPlan:
    """Work out what undoing job `job_id` would do, from the journal and the store."""
    job = store.jobs.get(job_id)
    if job is None:
        raise KeyError(job_id)
    action = Action(job.action)
    inverse = action.inverse
    changed = store.jobs.items(job_id, states=[ItemState.OK])
    shop = store.shops.find(job.shop)
    if inverse is None:
        return UndoPlan(
            job, None, None, tuple(Refusal(ji.item_id, _CLOSED_FINAL) for ji in changed)
        )
    ids = [ji.item_id for ji in changed]
    known = store.items.get_many(job.shop, ids)
    latest = _latest_changes(store, job.shop, ids)
    cannot: list[Refusal] = []
    keys: list[tuple[str, str]] = []
    for ji in changed:
        item = known.get(ji.item_id)
        if item is None:
            cannot.append(Refusal(ji.item_id, "no longer in the store (deleted on the platform?)"))
            continue
        ev = latest.get(ji.item_id)
        mine = ev is not None and ev.job_id == job_id
        if item.status is Status.CLOSED:
            cannot.append(Refusal(ji.item_id, _CLOSED_FINAL))
        elif ev is not None and not mine:
            cannot.append(
                Refusal(ji.item_id, f"changed since by someone else: {_who(ev)}; left as it is")
            )
        elif item.status is not action.target:
            cannot.append(
                Refusal(
                    ji.item_id,
                    f"changed since by someone else: now {item.status.value}"
                    + (f" ({item.reason.value})" if item.reason.value else "")
                    + " as of the last sync; left as it is",
                )
            )
        elif ji.prev_status and ji.prev_status != inverse.target.value:
            cannot.append(
                Refusal(
                    ji.item_id,
                    f"was {ji.prev_status} before job {job_id}; {inverse.value}ing would not "
                    "restore that",
                )
            )
        elif (
            shop is not None
            and shop.platform is Platform.TEMU
            and inverse is Action.LIST
            and item.raw_sub_status in ("3001", "3004")
        ):
            cannot.append(
                Refusal(
                    ji.item_id,
                    f"Temu compliance delist ({item.raw_sub_status}): Temu refuses to list it "
                    "until it is rectified",
                )
            )
        else:
            keys.append((job.shop, ji.item_id))
    source = f"undo of job {job_id}"
    plan = plan_keys(store, inverse, keys, now=now, source=source) if keys else None
    return UndoPlan(job, inverse, plan, tuple(cannot))


def undo_refusal(job: Job) -> str | None:
    """Why a job cannot be undone right now at all (None if it can)."""
    if job.state in (JobState.RUNNING, JobState.QUEUED):
        return f"job {job.id} is {job.state.value}: cancel it or let it finish before undoing"
    return None
