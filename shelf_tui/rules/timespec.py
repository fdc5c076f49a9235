"""Times in rules.toml: durations ("2h"), clock times ("23:00"), local date-times, weekdays,
hours, time zones, and the schedule slots they produce.

Every function here is pure: the instant "now" is always passed in (tests inject Asia/Shanghai
and America/Mexico_City clocks), and every instant returned is timezone-aware UTC. Local times
in rules.toml mean wall-clock time in the rule's zone, because that is how a seller thinks
("delist at 23:00 Beijing time"), and they are converted per shop at planning time.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class SpecError(ValueError):
    """A time value that does not parse; the message says what was expected."""


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{name: i for i, name in enumerate(("周一", "周二", "周三", "周四", "周五", "周六", "周日"))},
    "周天": 6,
}


def parse_duration(text: str) -> int:
    """'90s', '30m', '2h', '1d', '1h30m' -> seconds (> 0)."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        raise SpecError("a duration like 30m, 2h or 1d")
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(compact) or total <= 0:
        raise SpecError(f"a duration like 30m, 2h or 1d, got {text!r}")
    return int(total)


def format_duration(seconds: int) -> str:
    """Seconds -> '2h', '1h30m', '45s' (the inverse of parse_duration, for messages)."""
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def parse_clock(value: object) -> time:
    """'23:00', '9:30', '23:00:00' or a TOML local time -> a wall-clock time."""
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if not isinstance(value, str):
        raise SpecError(f'a time of day like "23:00", got {value!r}')
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
    if not match:
        raise SpecError(f'a time of day like "23:00", got {value!r}')
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise SpecError(f'a time of day between 00:00 and 23:59, got "{value}"')
    return time(hour, minute, second)


def parse_local_datetime(value: object) -> datetime:
    """'2026-11-11 00:00' (or a TOML date-time) -> a naive wall-clock date-time, or an aware
    one when the value carries its own offset (TOML `2026-11-11T00:00:00+08:00`)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str):
        raise SpecError(f'a date and time like "2026-11-11 20:00", got {value!r}')
    text = value.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise SpecError(f'a date and time like "2026-11-11 20:00", got "{value}"')


def parse_weekdays(value: object) -> frozenset[int]:
    """["mon", "fri"], "mon-fri", "sat,sun", "周一-周五" -> weekday numbers (Monday = 0)."""
    if isinstance(value, str):
        pieces: list[object] = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    elif isinstance(value, list):
        pieces = list(value)
    else:
        raise SpecError(f'weekdays like ["mon", "fri"] or "mon-fri", got {value!r}')
    days: set[int] = set()
    for piece in pieces:
        if not isinstance(piece, str):
            raise SpecError(f'weekdays like ["mon", "fri"] or "mon-fri", got {piece!r}')
        lo_text, sep, hi_text = piece.partition("-")
        lo = _weekday(lo_text)
        hi = _weekday(hi_text) if sep else lo
        day = lo
        while True:
            days.add(day)
            if day == hi:
                break
            day = (day + 1) % 7
    if not days:
        raise SpecError("at least one weekday")
    return frozenset(days)


def _weekday(text: str) -> int:
    key = text.strip().lower()
    if key not in _WEEKDAY_ALIASES:
        close = difflib.get_close_matches(key, WEEKDAYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise SpecError(f"a weekday among {', '.join(WEEKDAYS)}, got {text!r}{hint}")
    return _WEEKDAY_ALIASES[key]


def parse_hours(value: object) -> tuple[int, ...]:
    """[9, 12, 21], "9-18", "8,20" -> hours of the day (each fires at HH:00)."""
    pieces: Sequence[object]
    if isinstance(value, int) and not isinstance(value, bool):
        pieces = [value]
    elif isinstance(value, str):
        pieces = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    elif isinstance(value, list):
        pieces = value
    else:
        raise SpecError(f'hours like [9, 21] or "9-18", got {value!r}')
    hours: set[int] = set()
    for piece in pieces:
        if isinstance(piece, int) and not isinstance(piece, bool):
            lo = hi = piece
        elif isinstance(piece, str) and re.fullmatch(r"\d{1,2}(-\d{1,2})?", piece):
            lo_text, _, hi_text = piece.partition("-")
            lo, hi = int(lo_text), int(hi_text or lo_text)
        else:
            raise SpecError(f'hours like [9, 21] or "9-18", got {piece!r}')
        if not (0 <= lo <= 23 and 0 <= hi <= 23) or hi < lo:
            raise SpecError(f"hours between 0 and 23 (a range goes up, like 9-18), got {piece!r}")
        hours.update(range(lo, hi + 1))
    if not hours:
        raise SpecError("at least one hour")
    return tuple(sorted(hours))


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; SpecError (with a suggestion) for an unknown one."""
    try:
        if not name or name != name.strip() or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise SpecError(
            f"an IANA time zone like Asia/Shanghai or America/Mexico_City, got {name!r}{hint}"
        ) from None


def localize(wall: datetime, tz: str) -> datetime:
    """A wall-clock date-time in zone `tz` -> the UTC instant (aware values keep their own
    offset). A wall time skipped by a DST change resolves forward, as clocks do."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return wall.replace(tzinfo=zone(tz)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Wall-clock times on some weekdays: the slots of a daily or hourly schedule."""

    times: tuple[time, ...]
    weekdays: frozenset[int] = frozenset(range(7))

    def _slots_on(self, day: date, tz: str) -> Iterable[datetime]:
        if day.weekday() not in self.weekdays:
            return ()
        return (localize(datetime.combine(day, t), tz) for t in self.times)

    def latest(self, now: datetime, tz: str) -> datetime | None:
        """The newest slot at or before `now`."""
        today = now.astimezone(zone(tz)).date()
        for back in range(0, 9):
            slots = [s for s in self._slots_on(today - timedelta(days=back), tz) if s <= now]
            if slots:
                return max(slots)
        return None

    def following(self, now: datetime, tz: str) -> datetime | None:
        """The first slot strictly after `now`."""
        today = now.astimezone(zone(tz)).date()
        for ahead in range(0, 9):
            slots = [s for s in self._slots_on(today + timedelta(days=ahead), tz) if s > now]
            if slots:
                return min(slots)
        return None


def slot_key(instant: datetime) -> str:
    """How a slot is remembered as fired: its UTC instant to the minute."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def describe(instant: datetime | None, tz: str) -> str:
    """An instant as the seller reads it: wall-clock time in the rule's zone."""
    if instant is None:
        return "never"
    local = instant.astimezone(zone(tz))
    return f"{local:%Y-%m-%d %H:%M} {tz}"
