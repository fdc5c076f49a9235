"""Stock rules: delist at a threshold, reason-aware relist with hysteresis, grace, caps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rules_helpers import add_items, ids, journal, local, rules, run_rules, status, sync

from shelf_tui.domain import Action, BulkRequest, JobState, Reason, Status
from shelf_tui.rules import Skip, plan
from shelf_tui.store import Store

ZONES = ["Asia/Shanghai", "America/Mexico_City"]

STOCK = """
[[rule]]
name = "zero-stock"
kind = "stock"
shops = ["tb-main", "ml-mx"]
filter = "price:>=10"
action = "delist"
at_or_below = 0
relist_above = 2
reason = "out of stock"
cap = 50
"""


@pytest.mark.parametrize("zone", ZONES)
def test_delists_items_at_zero_stock_with_the_rule_reason(store: Store, zone: str) -> None:
    now = local(zone, "2026-11-20 09:00")
    add_items(store, "tb-main", 20)
    add_items(store, "ml-mx", 20)
    for item_id in ("3", "7"):
        sync(store, "tb-main", item_id, stock=0)
    sync(store, "ml-mx", "5", stock=0)
    sync(store, "ml-mx", "6", stock=0, price=5.0)  # outside the rule's filter
    result = plan(store, rules(STOCK, store), now)
    assert {(r.shop, r.action, r.item_ids) for r in result.requests} == {
        ("tb-main", Action.DELIST, ("3", "7")),
        ("ml-mx", Action.DELIST, ("5",)),
    }
    for request in result.requests:
        assert request.reason == "rule:zero-stock: out of stock"
        assert request.actor == "rule:zero-stock" and request.source == "rule"
    assert result.get("zero-stock").planned[0].detail == "stock 0 <= 0"


def test_a_threshold_above_zero(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    sync(store, "tb-main", "1", stock=3)
    sync(store, "tb-main", "2", stock=4)
    ruleset = rules(
        STOCK.replace("at_or_below = 0", "at_or_below = 3").replace("= 2", "= 6"), store
    )
    assert ids(plan(store, ruleset, now)) == {"1"}


def test_restock_relists_only_what_the_rule_delisted(store: Store) -> None:
    clock = local("America/Mexico_City", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    ruleset = rules(STOCK, store)
    sync(store, "tb-main", "4", stock=0)
    first = run_rules(store, ruleset, clock)
    assert ids(first, Action.DELIST) == {"4"}
    assert status(store, "tb-main", "4") is Status.INACTIVE
    sync(store, "tb-main", "4", stock=8)
    second = run_rules(store, ruleset, clock + timedelta(minutes=5))
    assert ids(second, Action.LIST) == {"4"}
    (request,) = second.requests
    assert request.reason == "rule:zero-stock: back in stock (was: out of stock)"
    assert status(store, "tb-main", "4") is Status.ACTIVE


def test_no_flapping_across_ten_alternating_syncs(store: Store) -> None:
    """Stock going 0, 1, 0, 1 ... (inside the 0..2 band) makes one delist and no relist; only
    a restock above relist_above brings the item back, once."""
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    ruleset = rules(STOCK, store)
    actions: list[tuple[Action, str]] = []
    for n in range(10):
        sync(store, "tb-main", "2", stock=n % 2)
        sync(store, "tb-main", "3", stock=2 - 2 * (n % 2))  # 2, 0, 2, 0 ...
        result = run_rules(store, ruleset, now + timedelta(minutes=5 * n))
        actions += [(r.action, i) for r in result.requests for i in r.item_ids]
    assert actions == [(Action.DELIST, "2"), (Action.DELIST, "3")]
    assert status(store, "tb-main", "2") is Status.INACTIVE
    sync(store, "tb-main", "2", stock=3)
    result = run_rules(store, ruleset, now + timedelta(hours=1))
    assert [(r.action, r.item_ids) for r in result.requests] == [(Action.LIST, ("2",))]


def test_never_relists_a_seller_delist_or_a_violation(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    earlier = now - timedelta(days=1)
    add_items(store, "tb-main", 10, status=Status.INACTIVE, reason=Reason.SELLER, stock=9)
    # 1: delisted by hand in shelf. 2: delisted by hand outside shelf (no event).
    journal(store, "tb-main", "1", "alice@laptop", "delist", earlier)
    # 3: the rule delisted it, then the seller delisted it by hand as well (their call now).
    journal(store, "tb-main", "3", "rule:zero-stock", "delist", earlier)
    journal(store, "tb-main", "3", "alice@laptop", "delist", earlier + timedelta(hours=1))
    # 4: the rule delisted it, then the platform took it down for a violation.
    journal(store, "tb-main", "4", "rule:zero-stock", "delist", earlier)
    sync(store, "tb-main", "4", reason=Reason.VIOLATION)
    # 5: the rule delisted it, then another rule did (and 9: only another rule, ever: not
    # this rule's business, so not even listed as skipped).
    journal(store, "tb-main", "5", "rule:zero-stock", "delist", earlier)
    journal(store, "tb-main", "5", "rule:night-close", "delist", earlier + timedelta(hours=1))
    journal(store, "tb-main", "9", "rule:night-close", "delist", earlier)
    # 6: ours. 7: sold out on the platform (and restocked). 8: a compliance delist (Temu 3004).
    journal(store, "tb-main", "6", "rule:zero-stock", "delist", earlier)
    sync(store, "tb-main", "7", reason=Reason.SOLD_OUT)
    sync(store, "tb-main", "8", reason=Reason.PLATFORM)
    result = plan(store, rules(STOCK, store), now)
    assert ids(result) == {"6", "7"}
    skipped = {i.item_id: i.skip for i in result.get("zero-stock").skipped}
    assert skipped == {"3": Skip.SELLER, "4": Skip.VIOLATION, "5": Skip.OTHER_RULE}
    assert "alice@laptop" in next(
        i.detail for i in result.get("zero-stock").skipped if i.item_id == "3"
    )


def test_a_relist_outside_shelf_takes_the_item_out_of_the_rules_hands(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 3, status=Status.INACTIVE, reason=Reason.SELLER, stock=9)
    journal(store, "tb-main", "1", "rule:zero-stock", "delist", now - timedelta(hours=3))
    # a sync saw it listed (another tool), then delisted again (the seller, in the backend)
    # (the actions are sync's: shelf_tui/sync.py change_event)
    journal(store, "tb-main", "1", "platform", "relisted", now - timedelta(hours=2), outcome="")
    journal(store, "tb-main", "1", "platform", "delisted", now - timedelta(hours=1), outcome="")
    journal(store, "tb-main", "2", "rule:zero-stock", "delist", now - timedelta(hours=3))
    journal(store, "tb-main", "2", "platform", "delisted", now - timedelta(hours=1), outcome="")
    result = plan(store, rules(STOCK, store), now)
    assert ids(result) == {"2"}  # a platform observation alone never changes who decided


def test_grace_waits_until_the_condition_held_long_enough(store: Store) -> None:
    start = local("America/Mexico_City", "2026-11-20 09:00")
    add_items(store, "ml-mx", 10)
    ruleset = rules(STOCK + 'grace = "2h"\n', store)
    sync(store, "ml-mx", "1", stock=0)
    first = run_rules(store, ruleset, start)
    assert first.requests == []
    (waiting,) = first.get("zero-stock").skipped
    assert waiting.skip is Skip.GRACE and waiting.detail == "stock 0 <= 0 for 0s of 2h"
    assert run_rules(store, ruleset, start + timedelta(minutes=119)).requests == []
    done = run_rules(store, ruleset, start + timedelta(hours=2))
    assert ids(done, Action.DELIST) == {"1"}


def test_a_blip_shorter_than_grace_resets_the_timer(store: Store) -> None:
    start = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    ruleset = rules(STOCK + 'grace = "2h"\n', store)
    sync(store, "tb-main", "1", stock=0)
    run_rules(store, ruleset, start)
    sync(store, "tb-main", "1", stock=5)  # back before the grace ran out
    run_rules(store, ruleset, start + timedelta(minutes=30))
    sync(store, "tb-main", "1", stock=0)
    again = run_rules(store, ruleset, start + timedelta(hours=2))
    assert again.requests == []  # seen again only now: the timer started over
    assert ids(run_rules(store, ruleset, start + timedelta(hours=4))) == {"1"}


def test_check_and_preview_never_advance_grace(store: Store) -> None:
    start = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    ruleset = rules(STOCK + 'grace = "2h"\n', store)
    sync(store, "tb-main", "1", stock=0)
    plan(store, ruleset, start)  # a check: plans, commits nothing
    assert plan(store, ruleset, start + timedelta(hours=3)).requests == []


def test_a_run_over_the_cap_does_nothing_and_says_why(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 100)
    add_items(store, "ml-mx", 100)
    for n in range(11):  # default cap of a 100-item shop: 10
        sync(store, "tb-main", str(n), stock=0)
    sync(store, "ml-mx", "1", stock=0)  # fine on its own, but the rule is refused whole
    ruleset = rules(STOCK.replace("cap = 50\n", ""), store)
    result = plan(store, ruleset, now)
    rp = result.get("zero-stock")
    assert result.requests == [] and rp.requests == []
    assert rp.refused.startswith("would change 11 items in tb-main, over the cap of 10")
    assert rp.skip_counts() == {Skip.CAP: 12}
    assert rp.summary().startswith("refused: ")
    # the seller raises the cap: now it runs
    raised = plan(store, rules(STOCK.replace("cap = 50", "cap = 11"), store), now)
    assert sum(len(r.item_ids) for r in raised.requests) == 12


def test_locked_items_are_skipped_with_the_lock(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 5)
    sync(
        store,
        "tb-main",
        "2",
        stock=0,
        locked_until=now + timedelta(days=1),
        lock_message="下架锁定: 聚划算",
    )
    sync(store, "tb-main", "3", stock=0, locked_until=now - timedelta(days=1))  # expired
    result = plan(store, rules(STOCK, store), now)
    assert ids(result) == {"3"}
    (locked,) = result.get("zero-stock").skipped
    assert locked.skip is Skip.LOCKED and "聚划算" in locked.detail


def test_the_first_rule_in_the_file_wins_a_conflict(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 5)
    sync(store, "tb-main", "1", stock=0)
    text = STOCK + STOCK.replace('"zero-stock"', '"also-zero"')
    result = plan(store, rules(text, store), now)
    assert ids(result) == {"1"}
    assert [r.actor for r in result.requests] == ["rule:zero-stock"]
    (skip,) = result.get("also-zero").skipped
    assert skip.skip is Skip.CONFLICT


def test_a_list_rule_relists_sold_out_items_only(store: Store) -> None:
    now = local("America/Mexico_City", "2026-11-20 09:00")
    add_items(store, "ml-mx", 4, status=Status.INACTIVE, reason=Reason.SOLD_OUT, stock=5)
    sync(store, "ml-mx", "1", reason=Reason.SELLER)
    sync(store, "ml-mx", "2", stock=0)
    text = """
[[rule]]
name = "restock"
kind = "stock"
shops = ["ml-mx"]
action = "list"
relist_above = 0
reason = "restocked"
cap = 10
"""
    result = plan(store, rules(text, store), now)
    assert ids(result) == {"0", "3"}
    assert all(isinstance(r, BulkRequest) and r.action is Action.LIST for r in result.requests)


def test_disabled_rules_are_not_planned_but_can_be_previewed(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 5)
    sync(store, "tb-main", "1", stock=0)
    ruleset = rules(STOCK + "enabled = false\n", store)
    assert plan(store, ruleset, now).rules == []
    assert ids(plan(store, ruleset, now, names=["zero-stock"])) == {"1"}


def test_a_shop_whose_sync_failed_is_left_out(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 5, stock=0)
    add_items(store, "ml-mx", 5)
    sync(store, "ml-mx", "1", stock=0)
    result = plan(store, rules(STOCK, store), now, skip_shops={"tb-main": "sync failed: 500"})
    assert ids(result) == {"1"}
    assert "tb-main: left out: sync failed: 500" in result.get("zero-stock").notes


def test_items_waiting_in_an_unfinished_job_are_not_planned_twice(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 10)
    for item_id in ("1", "2"):
        sync(store, "tb-main", item_id, stock=0)
    ruleset = rules(STOCK, store)
    first = plan(store, ruleset, now)
    (job,) = [store.jobs.create(r) for r in first.requests]
    store.jobs.set_state(job.id, JobState.PAUSED, pause_reason="daily quota used up")
    again = plan(store, ruleset, now + timedelta(minutes=5))
    assert again.requests == []
    assert {i.skip for i in again.get("zero-stock").skipped} == {Skip.IN_JOB}
    store.jobs.set_state(job.id, JobState.CANCELLED)
    assert ids(plan(store, ruleset, now + timedelta(minutes=10))) == {"1", "2"}


def test_the_default_cap_is_200_items_or_ten_percent_whichever_is_smaller(store: Store) -> None:
    from shelf_tui.rules.planner import default_cap

    assert [default_cap(n) for n in (0, 5, 100, 1999, 2000, 5000, 100_000)] == [
        1,
        1,
        10,
        200,
        200,
        200,
        200,
    ]
    # A 3,000-item shop (10% = 300): 201 zero-stock items are over the 200 ceiling.
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 3000)
    for n in range(201):
        sync(store, "tb-main", str(n), stock=0)
    ruleset = rules(STOCK.replace("cap = 50\n", ""), store)
    refused = plan(store, ruleset, now).get("zero-stock")
    assert refused.requests == []
    assert refused.refused.startswith("would change 201 items in tb-main, over the cap of 200")
    sync(store, "tb-main", "200", stock=5)
    assert len(ids(plan(store, ruleset, now))) == 200
