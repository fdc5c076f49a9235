"""Reason-aware relisting: may this rule put this inactive item back on sale?

The commonest complaint about other tools' auto-relist is that it undoes the seller's own
decisions. So a rule relists an item only when

- its last journaled delist was made by this same rule (actor `rule:NAME`), or
- the platform took it down for being sold out (reason sold_out) and nobody has decided
  otherwise since;

never an item the seller delisted by hand, another rule's delist, a violation delist (it must
be fixed and appealed first; Temu refuses 3001 anyway, gotcha 20) or any other platform delist.

"Journaled" means an event by a person or a rule. Events with actor `platform` are what a
sync observed; they do not say who decided, so they never make an item ours, but a platform
`list` after our delist means the item left our hands (someone listed it outside shelf).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from shelf_tui.domain import Reason
from shelf_tui.store import Store

PLATFORM_ACTOR = "platform"
STATE_ACTIONS = ("list", "delist")
#: What a sync calls the changes it saw (shelf_tui/sync.py `change_event`).
SEEN_LISTED = ("list", "relisted")
SEEN_DELISTED = ("delist", "delisted", "sold_out", "platform_delist")


class Verdict(enum.StrEnum):
    OURS = "ours"  # delisted by this rule
    SOLD_OUT = "sold_out"  # the platform's sold-out delist
    SELLER = "seller"  # a person delisted it (in shelf, or outside it)
    OTHER_RULE = "other_rule"
    VIOLATION = "violation"
    PLATFORM = "platform"  # another platform delist (compliance, high price, ...)
    UNKNOWN = "unknown"  # not journaled and not sold out: not ours to decide


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    detail: str

    @property
    def allowed(self) -> bool:
        return self.verdict in (Verdict.OURS, Verdict.SOLD_OUT)


@dataclass(frozen=True, slots=True)
class _Last:
    actor: str
    action: str
    at: int
    id: int


def _newest(
    store: Store,
    shop: str,
    item_ids: Sequence[str],
    *,
    platform: bool,
    actions: Sequence[str] = STATE_ACTIONS,
) -> dict[str, _Last]:
    """The newest of `actions` per item: by the platform (what syncs saw) or by anyone else
    (decisions). Failed and skipped attempts changed nothing, so they do not count."""
    out: dict[str, _Last] = {}
    op = "=" if platform else "!="
    wanted = ",".join("?" * len(actions))
    for start in range(0, len(item_ids), 400):
        chunk = list(item_ids[start : start + 400])
        rows = store.conn.query(
            "SELECT item_id, actor, action, at, id FROM events WHERE id IN ("
            "SELECT max(id) FROM events WHERE shop = ? AND item_id IN "
            f"({','.join('?' * len(chunk))}) AND action IN ({wanted}) "
            f"AND actor {op} ? AND outcome NOT IN ('failed', 'skipped') GROUP BY item_id)",
            (shop, *chunk, *actions, PLATFORM_ACTOR),
        )
        for row in rows:
            out[row[0]] = _Last(row[1], row[2], int(row[3]), int(row[4]))
    return out


def decide(
    store: Store,
    shop: str,
    items: Sequence[tuple[str, Reason]],
    actor: str,
    *,
    include_seller: bool = False,
) -> dict[str, Decision]:
    """Who decides about each (item_id, current reason) of one shop, for rule `actor`.

    `include_seller` (schedule and campaign rules that list, opt-in) also allows items a
    person delisted: the seller's own schedule is the decision.
    """
    ids = [i for i, _ in items]
    decided = _newest(store, shop, ids, platform=False)
    relisted = _newest(store, shop, ids, platform=True, actions=SEEN_LISTED)
    out: dict[str, Decision] = {}
    for item_id, reason in items:
        out[item_id] = _one(reason, decided.get(item_id), relisted.get(item_id), actor)
        if include_seller and out[item_id].verdict in (Verdict.SELLER, Verdict.UNKNOWN):
            out[item_id] = Decision(Verdict.OURS, "listed on the seller's schedule")
    return out


def _one(reason: Reason, last: _Last | None, relisted: _Last | None, actor: str) -> Decision:
    if reason is Reason.VIOLATION:
        return Decision(Verdict.VIOLATION, "delisted for a violation: fix and appeal first")
    if reason is Reason.PLATFORM:
        return Decision(Verdict.PLATFORM, "delisted by the platform (not for stock)")
    relisted_outside = last is not None and relisted is not None and relisted.id > last.id
    if last is not None and last.action == "delist" and not relisted_outside:
        if last.actor == actor:
            return Decision(Verdict.OURS, f"delisted by {actor}")
        if last.actor.startswith("rule:"):
            return Decision(Verdict.OTHER_RULE, f"delisted by {last.actor}")
        return Decision(Verdict.SELLER, f"delisted by hand by {last.actor}")
    if reason is Reason.SOLD_OUT:
        return Decision(Verdict.SOLD_OUT, "sold out (delisted by the platform)")
    if reason is Reason.SELLER:
        return Decision(Verdict.SELLER, "delisted by the seller outside shelf")
    return Decision(
        Verdict.UNKNOWN, f"delisted ({reason.value or 'no reason given'}), not by this rule"
    )


def listed_by(store: Store, shop: str, item_ids: Sequence[str], actor: str) -> set[str]:
    """Items whose last journaled list/delist is a list by `actor`, with no delist seen since:
    what a price rule that lists may take back down when the price leaves its band."""
    decided = _newest(store, shop, item_ids, platform=False)
    delisted = _newest(store, shop, item_ids, platform=True, actions=SEEN_DELISTED)
    out = set()
    for item_id, last in decided.items():
        seen = delisted.get(item_id)
        if last.action == "list" and last.actor == actor and not (seen and seen.id > last.id):
            out.add(item_id)
    return out
