"""Will an action change an item, is it already done, or is it blocked, and why.

One set of rules for two uses: the plan (from what the store knows, before anything is sent)
and the engine (from the platform's fresh answer, right before the call). Promotion locks are
judged here only for the plan: a lock's kind decides what it blocks (a delist lock, a stock
lock...), which the connector's preflight knows from the platform and the store does not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from shelf_tui.domain import Action, Item, Platform, Reason, Status

#: Temu sub-statuses that are compliance delists: listing is refused until rectified (gotcha 20).
TEMU_COMPLIANCE = frozenset({"3001", "3004"})


class Verdict(enum.StrEnum):
    CHANGE = "change"
    ALREADY = "already"
    BLOCKED = "blocked"


class Block(enum.StrEnum):
    """Why an item cannot take the action; the value is what the dialog counts by."""

    LOCKED = "promotion lock"
    NO_STOCK = "no stock to list"
    CLOSED = "closed (final on Mercado Libre)"
    COMPLIANCE = "Temu compliance delist"
    VIOLATION = "violation delist"
    DRAFT = "draft / incomplete"
    REVIEW = "under review"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    block: Block | None = None
    detail: str = ""


CHANGE = Judgement(Verdict.CHANGE)


def _lock(item: Item, now: datetime) -> Judgement | None:
    if item.locked_until is not None and item.locked_until > now:
        until = item.locked_until.strftime("%Y-%m-%d %H:%M UTC")
        message = item.lock_message or "a promotion rule locks this item"
        return Judgement(Verdict.BLOCKED, Block.LOCKED, f"{message} (until {until})")
    return None


def judge(
    item: Item,
    action: Action,
    platform: Platform,
    now: datetime,
    *,
    locks: bool = True,
) -> Judgement:
    """What `action` would do to `item`. `locks=False` leaves promotion locks to the
    connector's preflight (the engine, which has the platform's own rule list)."""
    target = action.target
    if item.status is target:
        return Judgement(Verdict.ALREADY, detail=f"already {target.value}")
    if action is Action.DELIST:
        if item.status is not Status.ACTIVE:
            return Judgement(Verdict.ALREADY, detail=f"not on sale ({item.status.value})")
        return (_lock(item, now) if locks else None) or CHANGE
    if action is Action.CLOSE:
        if item.status is Status.DELETED:
            return Judgement(Verdict.BLOCKED, Block.DELETED, "deleted on the platform")
        return CHANGE
    return _judge_list(item, platform, now, locks)


def _judge_list(item: Item, platform: Platform, now: datetime, locks: bool) -> Judgement:
    status = item.status
    if status is Status.CLOSED:
        return Judgement(
            Verdict.BLOCKED,
            Block.CLOSED,
            "closed is final: relist it on Mercado Libre as a new item",
        )
    if status is Status.DELETED:
        return Judgement(Verdict.BLOCKED, Block.DELETED, "deleted on the platform")
    if status is Status.DRAFT:
        return Judgement(
            Verdict.BLOCKED, Block.DRAFT, "draft or incomplete: finish it on the platform first"
        )
    if status is Status.REVIEW:
        return Judgement(
            Verdict.BLOCKED, Block.REVIEW, "the platform is reviewing it; wait for the review"
        )
    if platform is Platform.TEMU and (
        item.raw_sub_status in TEMU_COMPLIANCE or item.reason is Reason.VIOLATION
    ):
        code = item.raw_sub_status or "3001"
        return Judgement(
            Verdict.BLOCKED,
            Block.COMPLIANCE,
            f"delisted by Temu for compliance ({code}): rectify it before listing",
        )
    if item.reason is Reason.VIOLATION:
        deadline = (
            f"; rectify by {item.deadline.strftime('%Y-%m-%d %H:%M UTC')}" if item.deadline else ""
        )
        return Judgement(
            Verdict.BLOCKED,
            Block.VIOLATION,
            f"delisted by the platform for a violation{deadline}",
        )
    if locks:
        locked = _lock(item, now)
        if locked is not None:
            return locked
    if item.stock <= 0:
        return Judgement(Verdict.BLOCKED, Block.NO_STOCK, "no stock: restock before listing")
    return CHANGE
