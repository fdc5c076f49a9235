"""What the engine writes for each call and each outcome: pure functions, no I/O.

Kept apart from the runner so the evidence a seller may hand to a platform in an appeal
(seed 003) reads in one place: the call rows of `shelf jobs ID --csv`, the timeline event with
the pre-delist snapshot, and the item row the browser shows afterwards.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from shelf_tui.domain import Action, Item, Outcome, OutcomeKind, Reason, Status
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MarketplaceError,
    QuotaExhausted,
    RateLimited,
    Rejected,
)
from shelf_tui.store import Event
from shelf_tui.store.jobs import Job, JobCall, JobItem, item_snapshot

CANCELLED_BEFORE_SENDING = "cancelled before sending"
NOT_FOUND = "not found on the platform: deleted, or not this shop's item"

_ERROR_KINDS: dict[type[MarketplaceError], str] = {
    RateLimited: "rate_limited",
    QuotaExhausted: "quota",
    AuthExpired: "sign_in",
}


def message_of(exc: BaseException) -> str:
    """A one-line message for an error (the platform's own words for a MarketplaceError)."""
    if isinstance(exc, MarketplaceError):
        return exc.message
    return " ".join(str(exc).split()) or type(exc).__name__


def call_record(
    job_id: int,
    item_id: str,
    *,
    at: float,
    call: str,
    attempt: int,
    ms: int | None,
    result: Outcome | BaseException | None = None,
    target: Status | None = None,
    found: Item | None = None,
) -> JobCall:
    """One row of the evidence trail. `result` is the Outcome or the error of a set_status;
    a read-back passes `found` (the item as read, None when the platform has no such item)."""
    if call == "read_back" and result is None:
        if found is None:
            outcome, message = "not_found", NOT_FOUND
        else:
            outcome = "applied" if found.status is target else "unchanged"
            message = f"{found.status.value} {found.raw_status}".strip()
        return JobCall(job_id, item_id, at, attempt, call, outcome, "", message, "", ms)
    if isinstance(result, Outcome):
        return JobCall(
            job_id, item_id, at, attempt, call, result.kind.value, result.code,
            result.message, result.request_id, ms,
        )  # fmt: skip
    if isinstance(result, MarketplaceError):
        kind = _ERROR_KINDS.get(type(result))
        if kind is None:
            kind = "rejected" if isinstance(result, Rejected) else "transient"
        return JobCall(
            job_id, item_id, at, attempt, call, kind, result.code, result.message,
            result.request_id, ms,
        )  # fmt: skip
    message = message_of(result) if result is not None else ""
    return JobCall(job_id, item_id, at, attempt, call, "error", "", message, "", ms)


def abandoned_record(job_id: int, item_id: str, *, at: float, attempt: int) -> JobCall:
    return JobCall(
        job_id, item_id, at, attempt, "set_status", "abandoned", "",
        "no answer before the job stopped; read back before any resend", "", None,
    )  # fmt: skip


def stored_row(
    action: Action, outcome: Outcome, fresh: Item | None, known: Item | None, now: datetime
) -> Item | None:
    """The item row to store with an outcome: the store's row with the state fields the
    platform just told (lock windows, deadlines and titles stay as sync wrote them). An `ok`
    without a fresh item in the target state gets the state the action leads to."""
    target = action.target
    base = known or fresh
    if base is None:
        return None
    if outcome.kind is OutcomeKind.OK and (fresh is None or fresh.status is not target):
        return dataclasses.replace(
            base,
            status=target,
            reason=Reason.SELLER if action is Action.DELIST else Reason.NONE,
            modified=now,
            listed_at=now if target is Status.ACTIVE else base.listed_at,
            delisted_at=now if target is Status.INACTIVE else base.delisted_at,
        )
    if fresh is None or known is None:
        return fresh
    return dataclasses.replace(
        known,
        status=fresh.status,
        reason=fresh.reason,
        raw_status=fresh.raw_status or known.raw_status,
        raw_sub_status=fresh.raw_sub_status,
        stock=fresh.stock,
        modified=fresh.modified or known.modified,
        listed_at=fresh.listed_at or known.listed_at,
        delisted_at=fresh.delisted_at or known.delisted_at,
    )


def outcome_event(
    job: Job,
    ji: JobItem,
    outcome: Outcome,
    row: Item | None,
    known: Item | None,
    *,
    at: int,
) -> Event:
    """The item's one timeline event for its final outcome: who, why, what the platform said,
    before/after, and for a delist (or close) the item as the store knew it when the job was
    journaled: the evidence for an appeal."""
    action = Action(job.action)
    snapshot = None
    if action is not Action.LIST:
        snapshot = ji.snapshot or (item_snapshot(known) if known is not None else None)
    return Event(
        shop=job.shop,
        actor=job.actor,
        action=job.action,
        item_id=ji.item_id,
        reason=ji.reason or job.reason,
        job_id=job.id,
        outcome=outcome.kind.value,
        code=outcome.code,
        message=outcome.message,
        request_id=outcome.request_id,
        before={"status": ji.prev_status, "reason": ji.prev_reason},
        after={"status": row.status.value, "reason": row.reason.value} if row else None,
        snapshot=snapshot,
        at=at,
    )
