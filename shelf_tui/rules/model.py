"""What a rule is, once rules.toml has been validated: plain frozen dataclasses, no I/O.

A rule has the fields every kind shares (name, shops, filter, action, reason, enabled, cap,
grace) and one `spec` holding what its kind needs. The planner dispatches on the spec's type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time

from shelf_tui.domain import Action
from shelf_tui.rules.timespec import Recurrence


class Kind(enum.StrEnum):
    SCHEDULE = "schedule"
    STOCK = "stock"
    CAMPAIGN = "campaign"
    PRICE = "price"


ALL_SHOPS = "*"
#: The default cap: at most this many items per shop per run...
DEFAULT_CAP_ITEMS = 200
#: ...and at most this share of the shop's catalog, whichever is smaller.
DEFAULT_CAP_SHARE = 0.10
#: How late a run may still fire a schedule slot it missed (cron down, laptop asleep).
DEFAULT_CATCH_UP = 3600


@dataclass(frozen=True, slots=True)
class StockSpec:
    """Delist at stock <= at_or_below; relist (reason-aware) above relist_above. The gap
    between the two is the hysteresis that keeps an item from flapping."""

    at_or_below: int | None
    relist_above: int | None


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A one-off instant (`at`) or a recurrence (daily times / hours on some weekdays).

    With `until`, each slot opens a window: the action at the slot, its inverse at the next
    `until` wall time (delist at 23:00 until 08:00 = the shop closes overnight, every night).
    """

    at: datetime | None
    recurrence: Recurrence | None
    timezone: str | None
    catch_up: int = DEFAULT_CATCH_UP
    until: time | None = None


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """A window: the rule's action at `start`, its inverse at `end`."""

    start: datetime
    end: datetime
    timezone: str | None
    catch_up: int = DEFAULT_CATCH_UP


@dataclass(frozen=True, slots=True)
class Band:
    """A price range as written in rules.toml ("10..50" inclusive, "<1", ">=100"); None =
    open on that side."""

    low: float | None
    high: float | None
    text: str
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, price: float) -> bool:
        if self.low is not None and (
            price < self.low or (price == self.low and not self.low_inclusive)
        ):
            return False
        return not (
            self.high is not None
            and (price > self.high or (price == self.high and not self.high_inclusive))
        )


@dataclass(frozen=True, slots=True)
class PriceSpec:
    """Act when the price is inside the band (or outside it, with `outside`); with `restore`,
    undo what this rule did once the price comes back."""

    band: Band
    outside: bool = False
    restore: bool = True

    def holds(self, price: float) -> bool:
        return self.band.contains(price) != self.outside


Spec = StockSpec | ScheduleSpec | CampaignSpec | PriceSpec


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated `[[rule]]` of rules.toml."""

    name: str
    kind: Kind
    shops: tuple[str, ...]
    action: Action
    reason: str
    spec: Spec
    filter: str = ""
    items: tuple[str, ...] = ()
    enabled: bool = True
    cap: int | None = None
    grace: int = 0
    undo_reason: str = ""
    include_seller_delisted: bool = False
    line: int = 0

    @property
    def actor(self) -> str:
        """Who the timeline says did it."""
        return f"rule:{self.name}"

    @property
    def all_shops(self) -> bool:
        return ALL_SHOPS in self.shops

    def request_reason(self, action: Action) -> str:
        """The BulkRequest reason: `rule:NAME: text` (the inverse action has its own text)."""
        text = self.reason if action is self.action else self.undo_reason or _default_undo(self)
        return f"{self.actor}: {text}"

    def resolve_shops(self, known: list[str]) -> list[str]:
        if self.all_shops:
            return list(known)
        return [s for s in self.shops if s in known]


def _default_undo(rule: Rule) -> str:
    if rule.kind is Kind.STOCK:
        return f"back in stock (was: {rule.reason})"
    if rule.kind is Kind.CAMPAIGN:
        return f"campaign ended ({rule.reason})"
    if isinstance(rule.spec, ScheduleSpec):
        return f"window ended ({rule.reason})"
    if isinstance(rule.spec, PriceSpec):
        where = "inside" if rule.spec.outside else "outside"
        return f"price back {where} {rule.spec.band.text} (was: {rule.reason})"
    return rule.reason


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules of one rules.toml, in file order (earlier rules win conflicts)."""

    rules: tuple[Rule, ...] = ()
    path: str = "rules.toml"

    def get(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def names(self) -> list[str]:
        return [r.name for r in self.rules]
