"""rules.toml -> a validated RuleSet, or ONE clear message naming the line and the field.

tomllib gives no line numbers for values, so the text is scanned alongside: the n-th
`[[rule]]` header is the n-th rule, and a key's line is the first `key =` inside that block.
A bad file never produces a plan (and so never a job): every problem is collected, the first
is the error's message, and `shelf rules check` lists them all.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shelf_tui.domain import Action
from shelf_tui.errors import ShelfError
from shelf_tui.rules.model import (
    ALL_SHOPS,
    DEFAULT_CATCH_UP,
    Band,
    CampaignSpec,
    Kind,
    PriceSpec,
    Rule,
    RuleSet,
    ScheduleSpec,
    Spec,
    StockSpec,
)
from shelf_tui.rules.timespec import (
    Recurrence,
    SpecError,
    localize,
    parse_clock,
    parse_duration,
    parse_hours,
    parse_local_datetime,
    parse_weekdays,
    zone,
)
from shelf_tui.store.filters import FilterError, compile_filter, parse

COMMON_KEYS = (
    "name",
    "kind",
    "shops",
    "filter",
    "items",
    "action",
    "reason",
    "undo_reason",
    "enabled",
    "cap",
    "grace",
)
KIND_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.STOCK: ("at_or_below", "relist_above"),
    Kind.SCHEDULE: (
        "at",
        "daily",
        "hours",
        "weekdays",
        "until",
        "timezone",
        "catch_up",
        "include_seller_delisted",
    ),
    Kind.CAMPAIGN: ("start", "end", "timezone", "catch_up", "include_seller_delisted"),
    Kind.PRICE: ("band", "outside", "restore"),
}
_NAME = re.compile(r"[^\s:\"'\\/\x00-\x1f]{1,64}")
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_BAND = re.compile(rf"^\s*(>=|<=|>|<)?\s*{_NUMBER}\s*(?:\.\.\s*{_NUMBER})?\s*$")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str


class RulesError(ShelfError):
    """rules.toml is not valid. Nothing was planned and nothing was sent (exit 2)."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        first = self.format(problems[0])
        more = len(problems) - 1
        tail = f" (and {more} more problem{'s' * (more > 1)}: `shelf rules check`)" if more else ""
        super().__init__(first + tail)

    def format(self, problem: Problem) -> str:
        where = f"{self.path}:{problem.line}" if problem.line else self.path
        return f"{where}: {problem.message}"

    def lines(self) -> list[str]:
        return [self.format(p) for p in self.problems]


class _Invalid(Exception):
    """One problem inside one rule: raised by the field checks, caught per rule."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class Locator:
    """Line numbers for `[[rule]]` blocks and their keys, found by scanning the text."""

    _HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: list[tuple[int, int]] = []
        start: int | None = None
        for i, line in enumerate(self.lines):
            if self._TABLE.match(line):
                if start is not None:
                    self.blocks.append((start, i))
                    start = None
                if self._HEADER.match(line):
                    start = i
        if start is not None:
            self.blocks.append((start, len(self.lines)))

    def rule_line(self, index: int) -> int:
        return self.blocks[index][0] + 1 if index < len(self.blocks) else 0

    def key_line(self, index: int, key: str) -> int:
        if index >= len(self.blocks):
            return 0
        start, end = self.blocks[index]
        for i in range(start + 1, end):
            match = self._KEY.match(self.lines[i])
            if match and match.group(1).strip('"') == key:
                return i + 1
        return start + 1

    def top_key_line(self, key: str) -> int:
        for i, line in enumerate(self.lines):
            if self._TABLE.match(line):
                if line.strip().strip("[]").strip() == key:
                    return i + 1
                break
            match = self._KEY.match(line)
            if match and match.group(1).strip('"') == key:
                return i + 1
        for i, line in enumerate(self.lines):
            if line.strip().strip("[]").strip() == key:
                return i + 1
        return 0


def load_file(path: Path, known_shops: Collection[str] | None = None) -> RuleSet:
    """Read and validate rules.toml. A missing file is an empty rule set."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RuleSet((), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise RulesError(str(path), [Problem(0, f"cannot read: {reason}")]) from None
    return load_text(text, str(path), known_shops)


def load_text(
    text: str, path: str = "rules.toml", known_shops: Collection[str] | None = None
) -> RuleSet:
    """Validate rules.toml text. `known_shops` (the store's shop names), when given, makes an
    unknown shop in `shops` or in a `shop:` filter term an error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else 0
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise RulesError(path, [Problem(line, f"not valid TOML: {message}")]) from None
    where = Locator(text)
    problems: list[Problem] = []
    for key in data:
        if key != "rule":
            problems.append(
                Problem(
                    where.top_key_line(key),
                    f"unknown key {key!r}: rules.toml holds [[rule]] tables only",
                )
            )
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        problems.append(Problem(where.top_key_line("rule"), "rules are [[rule]] tables"))
        raise RulesError(path, problems)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rules):
        label = f"rule #{index + 1}"
        try:
            rule = _rule(raw, index, where, known_shops)
        except _Invalid as bad:
            name = raw.get("name")
            if isinstance(name, str) and name:
                label = f"rule {name!r}".replace("'", '"')
            line = where.key_line(index, bad.key) if bad.key else where.rule_line(index)
            problems.append(Problem(line, f"{label}: {bad.message}"))
            continue
        if rule.name in seen:
            problems.append(
                Problem(
                    where.key_line(index, "name"),
                    f'rule "{rule.name}": the name is already used by the rule at line '
                    f"{seen[rule.name]} (names must be unique: the timeline says rule:NAME)",
                )
            )
            continue
        seen[rule.name] = rule.line
        rules.append(rule)
    if problems:
        raise RulesError(path, problems)
    return RuleSet(tuple(rules), path)


# -- one rule ----------------------------------------------------------------------------


def _choices(value: str, options: Collection[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{', '.join(options)}{hint}"


def _string(raw: Mapping[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
    if key not in raw:
        if required:
            raise _Invalid("", f'{key} is required, e.g. {key} = "..."')
        return default
    value = raw[key]
    if not isinstance(value, str):
        raise _Invalid(key, f"{key} must be a string in quotes, got {value!r}")
    if required and not value.strip():
        raise _Invalid(key, f"{key} must not be empty")
    return value.strip()


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise _Invalid(key, f"{key} must be true or false, got {value!r}")
    return value


def _int(raw: Mapping[str, Any], key: str, *, minimum: int) -> int | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(key, f"{key} must be a whole number, got {value!r}")
    if value < minimum:
        raise _Invalid(key, f"{key} must be {minimum} or more, got {value}")
    return value


def _duration(raw: Mapping[str, Any], key: str, default: int) -> int:
    if key not in raw:
        return default
    value = raw[key]
    if not isinstance(value, str):
        raise _Invalid(key, f'{key} must be a duration in quotes like "2h", got {value!r}')
    try:
        return parse_duration(value)
    except SpecError as exc:
        raise _Invalid(key, f"{key}: expected {exc}") from None


def _spec_value(key: str, parse_fn: Any, value: Any) -> Any:
    try:
        return parse_fn(value)
    except SpecError as exc:
        raise _Invalid(key, f"{key}: expected {exc}") from None


def _rule(
    raw: Mapping[str, Any], index: int, where: Locator, known: Collection[str] | None
) -> Rule:
    name = _string(raw, "name", required=True)
    if not _NAME.fullmatch(name):
        raise _Invalid(
            "name",
            f"name {name!r} must be 1-64 characters without spaces, colons, quotes or slashes "
            "(it becomes the actor rule:NAME)",
        )
    kind_text = _string(raw, "kind", required=True)
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise _Invalid(
            "kind", f'kind "{kind_text}" is not one of {_choices(kind_text, list(Kind))}'
        ) from None
    allowed = set(COMMON_KEYS) | set(KIND_KEYS[kind])
    for key in raw:
        if key not in allowed:
            other = [k.value for k, keys in KIND_KEYS.items() if key in keys]
            hint = (
                f" (it belongs to {' and '.join(other)} rules)"
                if other
                else f" (known: {_choices(key, sorted(allowed))})"
            )
            raise _Invalid(key, f"unknown key {key!r} for a {kind} rule{hint}")
    shops = _shops(raw, known)
    flt = _string(raw, "filter")
    try:
        compile_filter(parse(flt), now=0, known_shops=known)
    except FilterError as exc:
        raise _Invalid("filter", f"filter: {exc}") from None
    items = _items(raw)
    action = _action(raw, kind)
    reason = _string(raw, "reason", required=True)
    grace = _duration(raw, "grace", 0)
    if grace and kind in (Kind.SCHEDULE, Kind.CAMPAIGN):
        raise _Invalid(
            "grace",
            f"grace applies to stock and price rules (a condition seen across syncs); a {kind} "
            "acts at its time: move the time instead",
        )
    include_seller = _bool(raw, "include_seller_delisted", False)
    if include_seller and action is not Action.LIST:
        raise _Invalid(
            "include_seller_delisted",
            "include_seller_delisted only applies to rules whose action is list",
        )
    spec = _spec(kind, raw, action)
    return Rule(
        name=name,
        kind=kind,
        shops=shops,
        action=action,
        reason=reason,
        spec=spec,
        filter=flt,
        items=items,
        enabled=_bool(raw, "enabled", True),
        cap=_int(raw, "cap", minimum=1),
        grace=grace,
        undo_reason=_string(raw, "undo_reason"),
        include_seller_delisted=include_seller,
        line=where.rule_line(index),
    )


def _shops(raw: Mapping[str, Any], known: Collection[str] | None) -> tuple[str, ...]:
    if "shops" not in raw:
        raise _Invalid("", 'shops is required: a list of shop names, or "*" for all shops')
    value = raw["shops"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _Invalid("shops", 'shops must be a list of shop names, or "*" for all shops')
    if ALL_SHOPS in names:
        return (ALL_SHOPS,)
    for shop in names:
        if known is not None and shop not in known:
            listed = ", ".join(sorted(known)) or "none yet: `shelf shop add`"
            close = difflib.get_close_matches(shop, list(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise _Invalid("shops", f'unknown shop "{shop}" ({hint}known: {listed})')
    return tuple(dict.fromkeys(names))


def _items(raw: Mapping[str, Any]) -> tuple[str, ...]:
    if "items" not in raw:
        return ()
    value = raw["items"]
    if not isinstance(value, list) or not value:
        raise _Invalid("items", 'items must be a non-empty list of item ids, e.g. ["123", "456"]')
    ids: list[str] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int) or not str(v).strip():
            raise _Invalid("items", f"items: {v!r} is not an item id")
        ids.append(str(v).strip())
    return tuple(dict.fromkeys(ids))


def _action(raw: Mapping[str, Any], kind: Kind) -> Action:
    defaults = {Kind.STOCK: "delist", Kind.CAMPAIGN: "list"}
    if "action" not in raw and kind not in defaults:
        raise _Invalid("", 'action is required: "list" (上架) or "delist" (下架)')
    text = _string(raw, "action", default=defaults.get(kind, ""))
    if text == Action.CLOSE.value:
        raise _Invalid(
            "action",
            'action "close" is not allowed in rules: closing is final on Mercado Libre; use '
            '"delist"',
        )
    if text not in (Action.LIST.value, Action.DELIST.value):
        raise _Invalid(
            "action", f'action "{text}" is not one of {_choices(text, ["list", "delist"])}'
        )
    return Action(text)


def _timezone(raw: Mapping[str, Any]) -> str | None:
    if "timezone" not in raw:
        return None
    value = raw["timezone"]
    if not isinstance(value, str):
        raise _Invalid(
            "timezone", f'timezone must be a name in quotes like "Asia/Shanghai", got {value!r}'
        )
    _spec_value("timezone", zone, value)
    return value


def _spec(kind: Kind, raw: Mapping[str, Any], action: Action) -> Spec:
    if kind is Kind.STOCK:
        return _stock(raw, action)
    if kind is Kind.SCHEDULE:
        return _schedule(raw)
    if kind is Kind.CAMPAIGN:
        return _campaign(raw)
    return _price(raw)


def _stock(raw: Mapping[str, Any], action: Action) -> StockSpec:
    below = _int(raw, "at_or_below", minimum=0)
    above = _int(raw, "relist_above", minimum=0)
    if action is Action.LIST:
        if below is not None:
            raise _Invalid(
                "at_or_below",
                'at_or_below belongs to action = "delist" (a list rule only relists above '
                "relist_above)",
            )
        if above is None:
            raise _Invalid("", 'a stock rule with action = "list" needs relist_above')
        return StockSpec(None, above)
    below = 0 if below is None else below
    if above is not None and above <= below:
        raise _Invalid(
            "relist_above",
            f"relist_above ({above}) must be greater than at_or_below ({below}): the gap "
            "between them is what stops an item from flapping",
        )
    return StockSpec(below, above)


def _schedule(raw: Mapping[str, Any]) -> ScheduleSpec:
    forms = [k for k in ("at", "daily", "hours") if k in raw]
    if len(forms) != 1:
        raise _Invalid(
            forms[1] if len(forms) > 1 else "",
            'a schedule needs exactly one of at = "2026-11-11 20:00" (once), daily = "23:00" '
            "or hours = [9, 21]" + (f" (found {', '.join(forms)})" if forms else ""),
        )
    tz = _timezone(raw)
    at = None
    recurrence = None
    if "at" in raw:
        if "weekdays" in raw:
            raise _Invalid("weekdays", "weekdays go with daily or hours, not with a one-off at")
        if "until" in raw:
            raise _Invalid(
                "until",
                'a one-off window is a campaign: kind = "campaign" with start and end',
            )
        at = _spec_value("at", parse_local_datetime, raw["at"])
    else:
        weekdays = (
            _spec_value("weekdays", parse_weekdays, raw["weekdays"])
            if "weekdays" in raw
            else frozenset(range(7))
        )
        if "daily" in raw:
            value = raw["daily"]
            values = value if isinstance(value, list) else [value]
            if not values:
                raise _Invalid("daily", 'daily needs at least one time, e.g. daily = "23:00"')
            times = tuple(sorted({_spec_value("daily", parse_clock, v) for v in values}))
        else:
            hours = _spec_value("hours", parse_hours, raw["hours"])
            times = tuple(parse_clock(f"{h}:00") for h in hours)
        recurrence = Recurrence(times, weekdays)
    until = _spec_value("until", parse_clock, raw["until"]) if "until" in raw else None
    if until is not None and recurrence is not None and until in recurrence.times:
        raise _Invalid("until", "until must differ from the rule's own times")
    catch_up = _duration(raw, "catch_up", DEFAULT_CATCH_UP)
    return ScheduleSpec(at, recurrence, tz, catch_up, until)


def _campaign(raw: Mapping[str, Any]) -> CampaignSpec:
    for key in ("start", "end"):
        if key not in raw:
            raise _Invalid("", f'a campaign needs {key} = "2026-11-11 00:00"')
    start = _spec_value("start", parse_local_datetime, raw["start"])
    end = _spec_value("end", parse_local_datetime, raw["end"])
    tz = _timezone(raw)
    probe = tz or "UTC"
    if localize(end, probe) <= localize(start, probe):
        raise _Invalid("end", f"end ({raw['end']}) must be after start ({raw['start']})")
    return CampaignSpec(start, end, tz, _duration(raw, "catch_up", DEFAULT_CATCH_UP))


def _price(raw: Mapping[str, Any]) -> PriceSpec:
    if "band" not in raw:
        raise _Invalid("", 'a price rule needs band = "10..50" (or "<1", ">=100")')
    value = raw["band"]
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    match = _BAND.match(text) if isinstance(text, str) else None
    if match is None:
        raise _Invalid(
            "band", f'band must be a price range like "10..50", "<1" or ">=100", got {value!r}'
        )
    op, first, second = match.groups()
    try:
        lo_v = float(first)
        hi_v = float(second) if second is not None else None
    except ValueError:
        raise _Invalid("band", f"band: {value!r} has a number that does not parse") from None
    if second is not None:
        if op:
            raise _Invalid(
                "band", f'band is either a range "10..50" or a bound "<1", got {value!r}'
            )
        if hi_v is not None and hi_v < lo_v:
            raise _Invalid("band", f"band {value!r}: the low end comes first")
        band = Band(lo_v, hi_v, text.strip())
    elif op in (">", ">="):
        band = Band(lo_v, None, text.strip(), low_inclusive=op == ">=")
    elif op in ("<", "<="):
        band = Band(None, lo_v, text.strip(), high_inclusive=op == "<=")
    else:
        band = Band(lo_v, lo_v, text.strip())
    return PriceSpec(band, _bool(raw, "outside", False), _bool(raw, "restore", True))
