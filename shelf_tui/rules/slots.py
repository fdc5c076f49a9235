"""When a schedule or campaign rule is due, in one shop's zone, given the slots it has fired.

A slot fires once: the run that acts on it records it (rules/state.py), so `shelf rules run`
every five minutes from cron fires a daily rule exactly once a day. A run that comes late
(cron was down, the laptop slept) still fires a slot within `catch_up` of it; later than that
the slot is reported as missed rather than acted on hours after the seller expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shelf_tui.rules.model import CampaignSpec, ScheduleSpec
from shelf_tui.rules.timespec import describe, format_duration, localize, slot_key, zone


@dataclass(frozen=True, slots=True)
class Due:
    """The verdict for one shop: the slot to fire now (if any), what to say, and the next
    instant the rule will be due (None = never again)."""

    slot: str | None
    role: str  # "at" (schedule) / "start" / "end" (campaign); "" when not due
    note: str
    next_at: datetime | None


def schedule_due(
    spec: ScheduleSpec,
    tz: str,
    now: datetime,
    fired: set[str],
    last_run: datetime | None = None,
) -> Due:
    """`last_run`: the rule's previous run. A recurring slot is reported missed only when the
    rule was running before it (cron stopped, the box slept), not on a rule's first run; a
    one-off slot in the past is always reported (it will never fire)."""
    if spec.at is not None:
        instant = localize(spec.at, tz)
        latest = instant if instant <= now else None
        following = instant if instant > now else None
    else:
        assert spec.recurrence is not None
        latest = spec.recurrence.latest(now, tz)
        following = spec.recurrence.following(now, tz)
    upcoming = f"next {describe(following, tz)}" if following else "no further slot"
    if latest is None:
        return Due(None, "", upcoming, following)
    key = slot_key(latest)
    if spec.until is not None:
        return _window(spec, tz, now, fired, latest, following, last_run)
    if key in fired:
        return Due(None, "", f"fired {describe(latest, tz)}; {upcoming}", following)
    late = now - latest
    if late > timedelta(seconds=spec.catch_up):
        if spec.at is None and (last_run is None or last_run >= latest):
            return Due(None, "", upcoming, following)
        return Due(None, "", f"{_missed(latest, late, spec.catch_up, tz)}; {upcoming}", following)
    return Due(key, "at", f"due: slot {describe(latest, tz)}", following)


def _window(
    spec: ScheduleSpec,
    tz: str,
    now: datetime,
    fired: set[str],
    start: datetime,
    following: datetime | None,
    last_run: datetime | None,
) -> Due:
    """A recurring window (`until`): inside it the start may still fire, however late (the
    shop should be closed now); after it, the end fires once."""
    assert spec.until is not None
    wall = start.astimezone(zone(tz))
    end = localize(datetime.combine(wall.date(), spec.until), tz)
    if end <= start:
        end = localize(datetime.combine(wall.date() + timedelta(days=1), spec.until), tz)
    start_key = slot_key(start)
    upcoming = f"next {describe(following, tz)}" if following else "no further slot"
    if now < end:
        if start_key in fired:
            return Due(
                None,
                "",
                f"in the window since {describe(start, tz)}; ends {describe(end, tz)}",
                end,
            )
        return Due(
            start_key, "at", f"due: slot {describe(start, tz)} (until {describe(end, tz)})", end
        )
    end_key = "end@" + slot_key(end)
    if end_key in fired:
        return Due(None, "", f"window ended {describe(end, tz)}; {upcoming}", following)
    late = now - end
    if start_key in fired or late <= timedelta(seconds=spec.catch_up):
        return Due(end_key, "end", f"due: window end {describe(end, tz)}", following)
    if last_run is None or last_run >= end:
        return Due(None, "", upcoming, following)
    return Due(None, "", f"{_missed(end, late, spec.catch_up, tz)}; {upcoming}", following)


def _missed(slot: datetime, late: timedelta, catch_up: int, tz: str) -> str:
    return (
        f"missed {describe(slot, tz)} ({format_duration(int(late.total_seconds()))} late, "
        f"catch_up {format_duration(catch_up)})"
    )


def campaign_due(spec: CampaignSpec, tz: str, now: datetime, fired: set[str]) -> Due:
    start = localize(spec.start, tz)
    end = localize(spec.end, tz)
    start_key = "start@" + slot_key(start)
    end_key = "end@" + slot_key(end)
    window = f"{describe(start, tz)} to {describe(end, tz)}"
    if now < start:
        return Due(None, "", f"starts {describe(start, tz)} (window {window})", start)
    if now < end:
        if start_key in fired:
            return Due(None, "", f"running; started; ends {describe(end, tz)}", end)
        return Due(start_key, "start", f"due: campaign start (window {window})", end)
    if end_key in fired:
        return Due(None, "", f"ended {describe(end, tz)}", None)
    late = now - end
    if start_key in fired or late <= timedelta(seconds=spec.catch_up):
        return Due(end_key, "end", f"due: campaign end (window {window})", None)
    return Due(
        None,
        "",
        f"missed the end {describe(end, tz)} ({format_duration(int(late.total_seconds()))} late, "
        "and this rule never started the campaign)",
        None,
    )
