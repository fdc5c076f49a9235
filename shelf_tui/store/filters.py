"""The filter language: one grammar for the filter bar, `--all-matching` and rules.

    status:inactive reason:violation       every term must hold
    status:inactive,review                 several values with commas (any of them)
    !reason:seller                         `!` negates a term
    shop:tb-main platform:temu             shop name, platform
    stock:0  stock:>0  stock:<=5           numbers with = > >= < <= (and lo..hi)
    price:>=100                            same for the price
    modified:<7d  modified:>=2026-11-01    age (s m h d w), or an absolute date/time (UTC)
    deadline:<24h  deadline:yes            rectification deadline within 24 h (overdue too)
    locked:yes                             under a promotion lock now
    "red dress"  MLM123  !耳机              any other word: title, outer id or item id

It compiles to ONE parameterized SQL WHERE clause over the `items` table: values are always
bound parameters, never pasted. A syntax error names the term and what was expected.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shelf_tui.domain import Platform, Reason, Status


class FilterError(ValueError):
    """A filter that does not parse. The message names the term and what was expected."""

    def __init__(self, term: str, expected: str) -> None:
        self.term = term
        self.expected = expected
        super().__init__(f"in {term!r}: {expected}")


FIELDS = (
    "status",
    "reason",
    "shop",
    "platform",
    "stock",
    "price",
    "modified",
    "deadline",
    "locked",
)
REASON_WORDS = {r.value for r in Reason if r.value} | {"none"}
_CMP = re.compile(r"^(>=|<=|!=|=|>|<)?(.*)$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed term. `field` is '' for free text."""

    field: str
    values: tuple[str, ...]
    negated: bool = False
    source: str = ""


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: the conjunction of its terms. Empty means everything."""

    terms: tuple[Term, ...] = ()
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fields(self) -> set[str]:
        return {t.field for t in self.terms}

    def shops(self) -> set[str] | None:
        """Shop names a positive `shop:` term restricts to (None = no restriction)."""
        result: set[str] | None = None
        for t in self.terms:
            if t.field == "shop" and not t.negated:
                names = set(t.values)
                result = names if result is None else result & names
        return result


@dataclass(frozen=True, slots=True)
class Sql:
    """A WHERE clause (without the keyword) and its bound parameters."""

    where: str = "1"
    params: tuple[Any, ...] = field(default_factory=tuple)
    #: True when an index cannot narrow this filter (text, negations, price or stock ranges).
    #: SQLite's planner then tends to walk a large index range with one random row lookup per
    #: entry (seconds at 1M rows); one sequential scan is ~0.2-0.3 s whatever matches.
    scan: bool = False

    @property
    def table(self) -> str:
        """The FROM target for this filter."""
        return "items NOT INDEXED" if self.scan else "items"

    def and_(self, other: Sql) -> Sql:
        if self.where == "1":
            return other
        if other.where == "1":
            return self
        return Sql(
            f"({self.where}) AND ({other.where})",
            self.params + other.params,
            self.scan or other.scan,
        )


def _split(text: str) -> list[str]:
    """Split on whitespace, keeping "double quoted phrases" (and `!"..."`) whole."""
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        in_quote = False
        while i < n and (in_quote or not text[i].isspace()):
            if text[i] == '"':
                in_quote = not in_quote
            i += 1
        if in_quote:
            raise FilterError(text[start:], "a closing double quote")
        tokens.append(text[start:i])
    return tokens


def parse(text: str) -> Filter:
    """Parse filter text. Raises FilterError naming the bad term."""
    terms: list[Term] = []
    for token in _split(text):
        raw = token
        negated = False
        while token.startswith("!"):
            negated = not negated
            token = token[1:]
        if not token:
            raise FilterError(raw, "a term after '!'")
        name, sep, rest = token.partition(":")
        if sep and not name.startswith('"') and re.fullmatch(r"[A-Za-z_]+", name):
            key = name.lower()
            if key not in FIELDS:
                close = difflib.get_close_matches(key, FIELDS, n=1)
                hint = f" (did you mean {close[0]}:?)" if close else ""
                raise FilterError(
                    raw, f"a field among {', '.join(FIELDS)}{hint}; quote text that has a colon"
                )
            values = tuple(v.strip() for v in rest.split(","))
            if not rest or any(not v for v in values):
                raise FilterError(raw, f"a value after '{key}:'")
            term = Term(key, values, negated, raw)
            _validate(term)
            terms.append(term)
        else:
            word = token
            if word.startswith('"'):
                if len(word) < 2 or not word.endswith('"'):
                    raise FilterError(raw, "text in double quotes")
                word = word[1:-1]
            if not word:
                raise FilterError(raw, "some text between the quotes")
            terms.append(Term("", (word,), negated, raw))
    return Filter(tuple(terms), text.strip())


def _validate(term: Term) -> None:
    key = term.field
    for value in term.values:
        if key == "status":
            if value.lower() not in {s.value for s in Status}:
                raise FilterError(
                    term.source, f"a status among {', '.join(s.value for s in Status)}"
                )
        elif key == "reason":
            if value.lower() not in REASON_WORDS:
                raise FilterError(term.source, f"a reason among {', '.join(sorted(REASON_WORDS))}")
        elif key == "platform":
            if value.lower() not in {p.value for p in Platform} | {"top"}:
                raise FilterError(
                    term.source, "a platform among taobao, tmall, top, mercadolibre, temu"
                )
        elif key in ("stock", "price"):
            _number_condition(term, value)
        elif key in ("modified", "deadline"):
            if key == "deadline" and value.lower() in _YES | _NO:
                continue
            _time_condition(term, value, now=0)
        elif key == "locked" and value.lower() not in _YES | _NO:
            raise FilterError(term.source, "locked:yes or locked:no")


def _as_number(term: Term, text: str, integer: bool) -> float:
    try:
        number = float(text)
    except ValueError:
        raise FilterError(term.source, f"a number after '{term.field}:', got {text!r}") from None
    if integer and not number.is_integer():
        raise FilterError(term.source, f"a whole number after '{term.field}:'")
    return number


def _number_condition(term: Term, value: str) -> tuple[str, tuple[Any, ...]]:
    column = term.field
    integer = column == "stock"
    if column == "stock" and value in ("0", "=0"):
        # A literal, not a parameter, so the partial index `items_stock0` applies; the
        # text is a fixed string of ours, never the user's.
        return "stock = 0", ()
    if ".." in value:
        lo_text, _, hi_text = value.partition("..")
        lo = _as_number(term, lo_text, integer)
        hi = _as_number(term, hi_text, integer)
        return f"{column} BETWEEN ? AND ?", (lo, hi)
    match = _CMP.match(value)
    assert match is not None
    op = match.group(1) or "="
    number = _as_number(term, match.group(2), integer)
    return f"{column} {op} ?", (number,)


def _parse_instant(term: Term, text: str) -> int | None:
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    return None


def _time_condition(term: Term, value: str, now: int) -> tuple[str, tuple[Any, ...]]:
    """`modified:<7d` = changed less than 7 days ago; `deadline:<24h` = due within 24 h
    (overdue included); absolute dates compare the instant itself."""
    column = term.field
    match = _CMP.match(value)
    assert match is not None
    op = match.group(1) or "="
    rest = match.group(2)
    duration = _DURATION.match(rest.lower())
    if duration:
        seconds = int(float(duration.group(1)) * _UNITS[duration.group(2)])
        if op in ("=", "!="):
            raise FilterError(term.source, f"'<' or '>' before a duration, e.g. {column}:<7d")
        if column == "modified":
            # Age less than N <=> the instant is after now - N.
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
            return f"modified {flipped} ?", (now - seconds,)
        return f"deadline IS NOT NULL AND deadline {op} ?", (now + seconds,)
    instant = _parse_instant(term, rest)
    if instant is None:
        raise FilterError(
            term.source,
            f"a duration like <7d or <24h, or a date like >=2026-11-01, after '{column}:'",
        )
    if column == "deadline":
        return f"deadline IS NOT NULL AND deadline {op} ?", (instant,)
    return f"modified {op} ?", (instant,)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _term_sql(term: Term, now: int, known_shops: Collection[str] | None) -> tuple[str, list[Any]]:
    key = term.field
    params: list[Any] = []
    if key == "":
        pattern = _like(term.values[0])
        # likelihood(): tell the planner a substring match is rare, so it scans the table
        # once (~0.2 s at 1M rows) instead of walking the sort index with a row lookup per
        # entry (seconds when the word matches nothing).
        return (
            "likelihood((title LIKE ? ESCAPE '\\' OR outer_id LIKE ? ESCAPE '\\' "
            "OR item_id LIKE ? ESCAPE '\\'), 0.001)",
            [pattern, pattern, pattern],
        )
    values = [v.lower() for v in term.values] if key not in ("shop",) else list(term.values)
    if key == "status":
        return f"status IN ({','.join('?' * len(values))})", values
    if key == "reason":
        mapped = ["" if v == "none" else v for v in values]
        return f"reason IN ({','.join('?' * len(mapped))})", mapped
    if key == "shop":
        if known_shops is not None:
            for name in values:
                if name not in known_shops:
                    close = difflib.get_close_matches(name, list(known_shops), n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    raise FilterError(term.source, f"a known shop, not {name!r}{hint}")
        return f"shop IN ({','.join('?' * len(values))})", values
    if key == "platform":
        expanded: list[str] = []
        for v in values:
            expanded.extend(["taobao", "tmall"] if v == "top" else [v])
        return (
            f"shop IN (SELECT name FROM shops WHERE platform IN ({','.join('?' * len(expanded))}))",
            expanded,
        )
    if key == "locked":
        parts = []
        for v in values:
            if v in _YES:
                parts.append("(locked_until IS NOT NULL AND locked_until > ?)")
            else:
                parts.append("(locked_until IS NULL OR locked_until <= ?)")
            params.append(now)
        return " OR ".join(parts), params
    parts = []
    for v in term.values:
        if key in ("stock", "price"):
            clause, bound = _number_condition(term, v)
        elif key == "deadline" and v.lower() in _YES | _NO:
            clause = "deadline IS NOT NULL" if v.lower() in _YES else "deadline IS NULL"
            bound = ()
        else:
            clause, bound = _time_condition(term, v, now)
        parts.append(f"({clause})")
        params.extend(bound)
    return " OR ".join(parts), params


def compile_filter(
    flt: Filter | str | None,
    *,
    now: int,
    known_shops: Collection[str] | None = None,
) -> Sql:
    """The WHERE clause for a filter at instant `now` (epoch seconds).

    `known_shops`, when given, turns an unknown `shop:` name into a FilterError (rules and the
    command line want that; the filter bar offers completion instead).
    """
    if flt is None:
        return Sql()
    if isinstance(flt, str):
        flt = parse(flt)
    clauses: list[str] = []
    params: list[Any] = []
    scan = False
    for term in flt.terms:
        scan = scan or _needs_scan(term)
        clause, bound = _term_sql(term, now, known_shops)
        if term.negated and term.field in ("deadline", "locked"):
            # COALESCE: a NULL (no deadline, say) means "does not hold", so the negation holds.
            clauses.append(f"NOT COALESCE(({clause}), 0)")
        elif term.negated:
            # The other columns are NOT NULL: a plain NOT keeps the planner's index choices.
            clauses.append(f"NOT ({clause})")
        else:
            clauses.append(f"({clause})")
        params.extend(bound)
    if not clauses:
        return Sql()
    return Sql(" AND ".join(clauses), tuple(params), scan)


def _needs_scan(term: Term) -> bool:
    """Terms no index can narrow (see Sql.scan). Status, reason, shop, platform, stock:0,
    modified, deadline and locked have indexes; the rest are answered by one scan."""
    if term.negated and term.field not in ("deadline", "locked"):
        return True
    if term.field in ("", "price"):
        return True
    return term.field == "stock" and any(v not in ("0", "=0") for v in term.values)


def combine(texts: Iterable[str]) -> str:
    """Join several filter texts into one (all must hold)."""
    return " ".join(t.strip() for t in texts if t and t.strip())
