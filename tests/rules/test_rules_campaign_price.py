"""Campaign windows (the action at the start, the inverse at the end, promotion locks kept)
and price bands (act when the price enters the band, undo when it leaves)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rules_helpers import add_items, ids, journal, local, rules, run_rules, status, sync

from shelf_tui.domain import Action, Reason, Status
from shelf_tui.rules import Skip, plan
from shelf_tui.store import Store

ZONES = ["Asia/Shanghai", "America/Mexico_City"]

CAMPAIGN = """
[[rule]]
name = "double-11"
kind = "campaign"
shops = ["tb-main"]
filter = "双11"
action = "list"
start = "2026-11-11 00:00"
end = "2026-11-12 00:00"
timezone = "{zone}"
include_seller_delisted = true
reason = "双11 campaign"
cap = 100
"""


@pytest.mark.parametrize("zone", ZONES)
def test_a_campaign_lists_at_the_start_and_delists_at_the_end(store: Store, zone: str) -> None:
    add_items(store, "tb-main", 4, title="双11 礼盒", status=Status.INACTIVE, reason=Reason.SELLER)
    add_items(store, "tb-main", 2, start=10, title="other", status=Status.INACTIVE)
    ruleset = rules(CAMPAIGN.format(zone=zone), store)
    early = run_rules(store, ruleset, local(zone, "2026-11-10 23:55"))
    assert early.requests == []
    assert early.get("double-11").notes[0].startswith(f"starts 2026-11-11 00:00 {zone}")
    start = run_rules(store, ruleset, local(zone, "2026-11-11 00:00"))
    assert ids(start, Action.LIST) == {"0", "1", "2", "3"}
    assert start.requests[0].reason == "rule:double-11: 双11 campaign"
    assert run_rules(store, ruleset, local(zone, "2026-11-11 12:00")).requests == []
    # a promotion lock on one item (the platform forbids delisting it until 13th)
    sync(
        store, "tb-main", "2", locked_until=local(zone, "2026-11-13 00:00"), lock_message="下架锁定"
    )
    end = run_rules(store, ruleset, local(zone, "2026-11-12 00:04"))
    assert ids(end, Action.DELIST) == {"0", "1", "3"}
    assert end.requests[0].reason == "rule:double-11: campaign ended (双11 campaign)"
    (locked,) = end.get("double-11").skipped
    assert locked.item_id == "2" and locked.skip is Skip.LOCKED
    assert run_rules(store, ruleset, local(zone, "2026-11-12 00:09")).requests == []
    assert status(store, "tb-main", "10") is Status.INACTIVE


def test_a_late_start_still_lists_inside_the_window(store: Store) -> None:
    add_items(store, "tb-main", 2, title="双11", status=Status.INACTIVE, reason=Reason.SELLER)
    ruleset = rules(CAMPAIGN.format(zone="Asia/Shanghai"), store)
    late = plan(store, ruleset, local("Asia/Shanghai", "2026-11-11 15:00"))
    assert ids(late) == {"0", "1"}


def test_a_campaign_added_long_after_its_end_does_nothing(store: Store) -> None:
    add_items(store, "tb-main", 2, title="双11")
    ruleset = rules(CAMPAIGN.format(zone="Asia/Shanghai"), store)
    result = plan(store, ruleset, local("Asia/Shanghai", "2026-11-20 09:00"))
    assert result.requests == []
    assert "never started the campaign" in result.get("double-11").notes[0]


def test_a_delist_window_relists_only_what_it_delisted(store: Store) -> None:
    """A closure (春节 holiday): delist at the start, relist at the end, and nothing the seller
    took down by hand in between comes back."""
    zone = "Asia/Shanghai"
    add_items(store, "tb-main", 3)
    text = """
[[rule]]
name = "spring-festival"
kind = "campaign"
shops = ["tb-main"]
action = "delist"
start = "2027-02-05 00:00"
end = "2027-02-12 00:00"
reason = "春节 closed"
cap = 100
"""
    ruleset = rules(text, store)  # no timezone: Taobao's Asia/Shanghai
    assert ids(run_rules(store, ruleset, local(zone, "2027-02-05 00:01"))) == {"0", "1", "2"}
    journal(store, "tb-main", "1", "alice@laptop", "delist", local(zone, "2027-02-07 10:00"))
    end = run_rules(store, ruleset, local(zone, "2027-02-12 00:01"))
    assert ids(end, Action.LIST) == {"0", "2"}


PRICE = """
[[rule]]
name = "price-typo-guard"
kind = "price"
shops = ["ml-mx"]
action = "delist"
band = "<1"
reason = "price below 1: probably a typo"
cap = 100
"""


@pytest.mark.parametrize("zone", ZONES)
def test_a_price_in_the_band_delists_and_fixing_it_relists(store: Store, zone: str) -> None:
    now = local(zone, "2026-11-20 09:00")
    add_items(store, "ml-mx", 5)
    sync(store, "ml-mx", "1", price=0.5)
    sync(store, "ml-mx", "2", price=1.0)  # the band is strictly below 1
    ruleset = rules(PRICE, store)
    first = run_rules(store, ruleset, now)
    assert ids(first, Action.DELIST) == {"1"}
    assert first.get("price-typo-guard").planned[0].detail == "price 0.5 in <1"
    sync(store, "ml-mx", "1", price=12.0)
    fixed = run_rules(store, ruleset, now + timedelta(minutes=5))
    assert ids(fixed, Action.LIST) == {"1"}
    assert fixed.requests[0].reason.startswith("rule:price-typo-guard: price back outside <1")


def test_price_restore_never_relists_what_the_seller_delisted(store: Store) -> None:
    now = local("America/Mexico_City", "2026-11-20 09:00")
    add_items(store, "ml-mx", 3, price=0.1)
    ruleset = rules(PRICE, store)
    run_rules(store, ruleset, now)
    journal(store, "ml-mx", "0", "carla@mx", "delist", now + timedelta(minutes=1))
    sync(store, "ml-mx", "0", price=9.0)
    sync(store, "ml-mx", "1", price=9.0, reason=Reason.VIOLATION)
    sync(store, "ml-mx", "2", price=9.0)
    result = plan(store, ruleset, now + timedelta(minutes=5))
    assert ids(result) == {"2"}
    assert {i.item_id: i.skip for i in result.get("price-typo-guard").skipped} == {
        "0": Skip.SELLER,
        "1": Skip.VIOLATION,
    }


def test_a_band_with_outside_and_a_list_rule_that_takes_back_only_its_own(store: Store) -> None:
    """list while the price is inside 10..50 (a price-matched promotion), delist what it
    listed once the price leaves the band; sold-out items with stock count as listable."""
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "temu-us", 3, status=Status.INACTIVE, reason=Reason.SOLD_OUT, price=30.0)
    add_items(store, "temu-us", 1, start=9, price=80.0)  # listed by the seller, out of band
    text = """
[[rule]]
name = "promo-band"
kind = "price"
shops = ["temu-us"]
action = "list"
band = "10..50"
reason = "price in the promotion band"
cap = 100
"""
    ruleset = rules(text, store)
    assert ids(run_rules(store, ruleset, now)) == {"0", "1", "2"}
    sync(store, "temu-us", "1", price=60.0)
    back = run_rules(store, ruleset, now + timedelta(minutes=5))
    assert [(r.action, r.item_ids) for r in back.requests] == [(Action.DELIST, ("1",))]
    outside = rules(PRICE.replace('band = "<1"', 'band = "1..100"\noutside = true'), store)
    add_items(store, "ml-mx", 2, price=150.0)
    assert ids(plan(store, outside, now)) == {"0", "1"}
