"""A rules plan: the BulkRequests the rules would hand to the job engine, and why.

Every item a rule looked at and chose to act on, or chose not to, is a `PlanItem`, so the
console can preview a rule item by item and `shelf rules check` can say what it skipped and
why (cap, grace pending, seller-delisted, violation, no stock to list, locked...).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shelf_tui.domain import Action, BulkRequest
from shelf_tui.rules.model import Rule


class Skip(enum.StrEnum):
    """Why a rule leaves an item alone this run."""

    CAP = "cap"
    GRACE = "grace"
    SELLER = "seller"
    OTHER_RULE = "other_rule"
    VIOLATION = "violation"
    PLATFORM = "platform"
    NOT_OURS = "not_ours"
    NO_STOCK = "no_stock"
    LOCKED = "locked"
    CONFLICT = "conflict"
    IN_JOB = "in_job"

    @property
    def label(self) -> str:
        return _SKIP_LABELS[self]


_SKIP_LABELS = {
    Skip.CAP: "over the cap",
    Skip.GRACE: "grace pending",
    Skip.SELLER: "delisted by the seller by hand",
    Skip.OTHER_RULE: "delisted by another rule",
    Skip.VIOLATION: "violation delist",
    Skip.PLATFORM: "delisted by the platform",
    Skip.NOT_OURS: "not delisted by this rule",
    Skip.NO_STOCK: "no stock to list",
    Skip.LOCKED: "promotion lock",
    Skip.CONFLICT: "an earlier rule acts on it",
    Skip.IN_JOB: "waiting in an unfinished job",
}


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One item a rule considered: planned (`skip` is None) or skipped, with the detail."""

    shop: str
    item_id: str
    title: str
    action: Action
    detail: str
    skip: Skip | None = None

    @property
    def planned(self) -> bool:
        return self.skip is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "shop": self.shop,
            "item_id": self.item_id,
            "title": self.title,
            "action": self.action.value,
            "planned": self.planned,
            "skip": self.skip.value if self.skip else None,
            "detail": self.detail,
        }


#: (shop, item_id, action) -> epoch second the condition was first seen holding.
Holding = dict[tuple[str, str, str], int]


@dataclass
class RulePlan:
    """What one rule would do this run."""

    rule: Rule
    items: list[PlanItem] = field(default_factory=list)
    requests: list[BulkRequest] = field(default_factory=list)
    refused: str = ""
    notes: list[str] = field(default_factory=list)
    # What a run commits (rules/state.py): grace observations for the shops evaluated, and
    # the slots to mark fired once the requests have been handed to the job engine.
    holding: Holding = field(default_factory=dict)
    shops: list[str] = field(default_factory=list)
    slots: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def planned(self) -> list[PlanItem]:
        return [i for i in self.items if i.planned]

    @property
    def skipped(self) -> list[PlanItem]:
        return [i for i in self.items if not i.planned]

    @property
    def total(self) -> int:
        """Items the rule's requests hold (what would be sent)."""
        return sum(len(r.item_ids) for r in self.requests)

    def skip_counts(self) -> dict[Skip, int]:
        counts = Counter(i.skip for i in self.items if i.skip is not None)
        return dict(counts.most_common())

    def summary(self) -> str:
        """One line: what the rule would do (the rules screen's and the log's line)."""
        if self.refused:
            return f"refused: {self.refused}"
        parts = [f"{r.action.value} {len(r.item_ids)} in {r.shop}" for r in self.requests]
        text = ", ".join(parts) if parts else "nothing to do"
        skips = self.skip_counts()
        if skips:
            text += "; skipped " + ", ".join(f"{n} {s.label}" for s, n in skips.items())
        return text

    def explain(self, *, examples: int = 3) -> list[str]:
        """Lines for `shelf rules check`: the summary, notes, then each skip reason with a few
        examples (the console shows every item)."""
        out = [f"{self.rule.name} ({self.rule.kind}, {self.rule.action.value}): {self.summary()}"]
        out.extend(f"  {note}" for note in self.notes)
        for request in self.requests:
            out.append(
                f"  {request.action.value} {len(request.item_ids)} in {request.shop}: "
                f"{request.reason}"
            )
            for item in [i for i in self.planned if i.shop == request.shop][:examples]:
                out.append(f"    {item.item_id} {item.title[:40]!r}: {item.detail}")
        for skip, count in self.skip_counts().items():
            out.append(f"  skipped {count} ({skip.label})")
            for item in [i for i in self.skipped if i.skip is skip][:examples]:
                out.append(f"    {item.shop}/{item.item_id}: {item.detail}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "kind": self.rule.kind.value,
            "enabled": self.rule.enabled,
            "summary": self.summary(),
            "refused": self.refused,
            "notes": list(self.notes),
            "requests": [
                {
                    "shop": r.shop,
                    "action": r.action.value,
                    "count": len(r.item_ids),
                    "reason": r.reason,
                    "actor": r.actor,
                    "source": r.source,
                    "item_ids": list(r.item_ids),
                }
                for r in self.requests
            ],
            "skipped": {s.value: n for s, n in self.skip_counts().items()},
            "items": [i.as_dict() for i in self.items],
        }


@dataclass
class Plan:
    """Every rule's plan for one instant, in rules.toml order."""

    at: datetime
    rules: list[RulePlan] = field(default_factory=list)

    @property
    def requests(self) -> list[BulkRequest]:
        return [r for rp in self.rules for r in rp.requests]

    @property
    def total(self) -> int:
        return sum(rp.total for rp in self.rules)

    def get(self, name: str) -> RulePlan:
        for rp in self.rules:
            if rp.rule.name == name:
                return rp
        raise KeyError(name)

    def explain(self, *, examples: int = 3) -> list[str]:
        lines: list[str] = []
        for rp in self.rules:
            lines.extend(rp.explain(examples=examples))
        return lines
