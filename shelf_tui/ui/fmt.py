"""How numbers and times read in the console. Pure functions of their inputs (the clock is
passed in), so snapshots are deterministic."""

from __future__ import annotations

from datetime import UTC, datetime

from shelf_tui.domain import Reason, Status


def count(n: int) -> str:
    return f"{n:,}"


def price(value: float, currency: str = "") -> str:
    text = f"{value:,.2f}"
    return f"{text} {currency}" if currency else text


def age(then: int | None, now: int) -> str:
    """'5m ago', '3h ago', '2d ago', '6w ago', '2y ago'; '-' when unknown."""
    if not then:
        return "-"
    seconds = now - then
    if abs(seconds) < 60:
        return "now"
    span = _rough(abs(seconds))
    return f"{span} ago" if seconds > 0 else f"in {span}"


def _rough(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 14 * 86400:
        return f"{seconds // 86400}d"
    if seconds < 365 * 86400:
        return f"{seconds // (7 * 86400)}w"
    return f"{seconds // (365 * 86400)}y"


def due_short(deadline: int | None, now: int) -> str:
    """A rectification deadline in at most 5 cells: '2d5h', '23h', '45m', 'late'."""
    if deadline is None:
        return ""
    left = deadline - now
    if left <= 0:
        return "late"
    if left >= 2 * 86400:
        days, rest = divmod(left, 86400)
        return f"{days}d{rest // 3600}h" if days < 10 else f"{days}d"
    if left >= 3600:
        return f"{left // 3600}h"
    return f"{max(1, left // 60)}m"


def due_long(deadline: int | None, now: int) -> str:
    """'23h 10m left', '2d 5h left', 'overdue 3h 2m'."""
    if deadline is None:
        return ""
    left = deadline - now
    span = _span(abs(left))
    return f"{span} left" if left > 0 else f"overdue {span}"


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def stamp(when: datetime | None, now: int) -> str:
    """'2026-11-20 14:05 UTC · 3d ago', '-' when unknown."""
    if when is None:
        return "-"
    epoch = int(when.timestamp())
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC · {age(epoch, now)}"


def minute(epoch: int) -> str:
    """'2026-11-20 14:05' (UTC): a timeline row's time."""
    return f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M}"


def stamp_epoch(epoch: int | None, now: int) -> str:
    if epoch is None:
        return "-"
    return stamp(datetime.fromtimestamp(epoch, UTC), now)


def state_words(status: Status, reason: Reason) -> str:
    """'inactive · violation', 'active': readable without colour (NO_COLOR)."""
    return f"{status.value} · {reason.value}" if reason.value else status.value


def tag(status: Status, reason: Reason) -> str:
    """The colour class of a status: seed 001's red (the platform took it down) and grey
    (the seller did) tags, plus amber for what needs stock and green for on sale."""
    if reason in (Reason.VIOLATION, Reason.PLATFORM):
        return "violation"
    if status is Status.ACTIVE:
        return "active"
    if reason is Reason.SOLD_OUT:
        return "soldout"
    if status is Status.REVIEW:
        return "review"
    if status in (Status.CLOSED, Status.DELETED, Status.DRAFT):
        return "muted"
    return "seller"
