"""Schedule rules: one-off, daily and weekday/hour slots in the rule's (or the shop's) zone,
fired exactly once from a cron run every five minutes; recurring windows with `until`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rules_helpers import add_items, ids, journal, local, rules, run_rules, status, sync

from shelf_tui.domain import Action, Reason, Status
from shelf_tui.rules import Skip, plan
from shelf_tui.store import Store

NIGHTLY = """
[[rule]]
name = "nightly"
kind = "schedule"
shops = ["tb-main"]
items = ["1", "2"]
action = "delist"
daily = "23:00"
timezone = "{zone}"
reason = "closed at night"
cap = 100
"""


def wall(now: datetime, zone: str) -> str:
    return now.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def every_five_minutes(start: datetime, hours: float) -> list[datetime]:
    return [start + timedelta(minutes=5 * n) for n in range(int(hours * 12))]


@pytest.mark.parametrize(("zone", "utc_hour"), [("Asia/Shanghai", 15), ("America/Mexico_City", 5)])
def test_a_daily_slot_fires_once_a_day_from_a_five_minute_cron(
    store: Store, zone: str, utc_hour: int
) -> None:
    add_items(store, "tb-main", 5)
    ruleset = rules(NIGHTLY.format(zone=zone), store)
    fired: list[datetime] = []
    for now in every_five_minutes(local(zone, "2026-11-20 06:00"), 48):
        if wall(now, zone) == "08:00":
            for item_id in ("1", "2"):  # the seller puts them back each morning
                sync(store, "tb-main", item_id, status=Status.ACTIVE, reason=Reason.NONE)
        result = run_rules(store, ruleset, now)
        if result.requests:
            assert ids(result, Action.DELIST) == {"1", "2"}
            fired.append(now)
    assert fired == [local(zone, "2026-11-20 23:00"), local(zone, "2026-11-21 23:00")]
    assert {f.astimezone(UTC).hour for f in fired} == {utc_hour}


def test_without_a_timezone_each_shop_uses_its_platform_zone(store: Store) -> None:
    add_items(store, "tb-main", 3)
    add_items(store, "ml-mx", 3)
    text = NIGHTLY.replace('timezone = "{zone}"\n', "").replace('["tb-main"]', '"*"')
    ruleset = rules(text, store)
    at_15_utc = datetime(2026, 11, 20, 15, 1, tzinfo=UTC)  # 23:01 in Shanghai
    assert {r.shop for r in plan(store, ruleset, at_15_utc).requests} == {"tb-main"}
    at_23_utc = datetime(2026, 11, 20, 23, 1, tzinfo=UTC)  # ML and Temu: UTC
    assert {r.shop for r in plan(store, ruleset, at_23_utc).requests} == {"ml-mx"}


def test_weekdays_and_hours(store: Store) -> None:
    add_items(store, "ml-mx", 3)
    text = """
[[rule]]
name = "office"
kind = "schedule"
shops = ["ml-mx"]
action = "delist"
hours = [9, 21]
weekdays = "mon-fri"
timezone = "America/Mexico_City"
reason = "office"
cap = 100
"""
    ruleset = rules(text, store)
    friday = local("America/Mexico_City", "2026-11-20 21:02")
    assert friday.astimezone(ZoneInfo("America/Mexico_City")).weekday() == 4
    assert len(ids(plan(store, ruleset, friday))) == 3
    run_rules(store, ruleset, friday - timedelta(hours=1), apply=False)  # cron ran, then stopped
    saturday = local("America/Mexico_City", "2026-11-21 09:02")
    quiet = plan(store, ruleset, saturday).get("office")
    assert quiet.requests == []
    assert quiet.notes == [
        "missed 2026-11-20 21:00 America/Mexico_City (12h2m late, catch_up 1h); "
        "next 2026-11-23 09:00 America/Mexico_City"
    ]


def test_a_one_off_slot_fires_once_and_a_late_run_says_it_missed_it(store: Store) -> None:
    add_items(store, "tb-main", 3, status=Status.INACTIVE, reason=Reason.SELLER)
    text = """
[[rule]]
name = "launch"
kind = "schedule"
shops = ["tb-main"]
action = "list"
at = "2026-11-11 20:00"
timezone = "Asia/Shanghai"
include_seller_delisted = true
reason = "launch"
cap = 100
"""
    ruleset = rules(text, store)
    before = run_rules(store, ruleset, local("Asia/Shanghai", "2026-11-11 19:55"))
    assert before.requests == []
    assert before.get("launch").notes == ["next 2026-11-11 20:00 Asia/Shanghai"]
    # a dry run (rules run without --apply) does not use the slot up
    dry = run_rules(store, ruleset, local("Asia/Shanghai", "2026-11-11 20:00"), apply=False)
    assert len(ids(dry)) == 3
    on_time = run_rules(store, ruleset, local("Asia/Shanghai", "2026-11-11 20:03"))
    assert ids(on_time, Action.LIST) == {"0", "1", "2"}
    assert on_time.requests[0].reason == "rule:launch: launch"
    after = run_rules(store, ruleset, local("Asia/Shanghai", "2026-11-11 20:08"))
    assert after.requests == []
    assert after.get("launch").notes == ["fired 2026-11-11 20:00 Asia/Shanghai; no further slot"]
    late = plan(
        store,
        rules(text.replace('"launch"', '"launch2"', 1), store),
        local("Asia/Shanghai", "2026-11-11 21:30"),
    )
    assert late.requests == []
    assert late.rules[0].notes[0].startswith("missed 2026-11-11 20:00 Asia/Shanghai (1h30m late")


def test_a_scheduled_list_respects_the_sellers_delists_unless_told(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 08:01")
    add_items(store, "tb-main", 4, status=Status.INACTIVE, reason=Reason.SELLER)
    journal(store, "tb-main", "0", "rule:morning", "delist", now - timedelta(hours=9))
    journal(store, "tb-main", "1", "bob@shop", "delist", now - timedelta(hours=9))
    sync(store, "tb-main", "2", reason=Reason.VIOLATION)
    sync(store, "tb-main", "3", reason=Reason.SOLD_OUT, stock=0)
    text = """
[[rule]]
name = "morning"
kind = "schedule"
shops = ["tb-main"]
action = "list"
daily = "08:00"
reason = "morning"
cap = 100
"""
    strict = plan(store, rules(text, store), now)
    assert ids(strict) == {"0"}
    assert {i.item_id: i.skip for i in strict.get("morning").skipped} == {"3": Skip.NO_STOCK}
    loose = plan(store, rules(text + "include_seller_delisted = true\n", store), now)
    assert ids(loose) == {"0", "1"}
    assert {i.item_id: i.skip for i in loose.get("morning").skipped} == {
        "2": Skip.VIOLATION,
        "3": Skip.NO_STOCK,
    }


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Mexico_City"])
def test_a_nightly_window_closes_and_reopens_only_what_it_closed(store: Store, zone: str) -> None:
    add_items(store, "tb-main", 4, title="鲜花 bouquet")
    sync(store, "tb-main", "3", status=Status.INACTIVE, reason=Reason.SELLER)  # seller's own
    text = f"""
[[rule]]
name = "night-close"
kind = "schedule"
shops = ["tb-main"]
filter = "鲜花"
action = "delist"
daily = "22:00"
until = "08:00"
timezone = "{zone}"
reason = "no overnight delivery"
cap = 100
"""
    ruleset = rules(text, store)
    log: list[tuple[str, Action, frozenset[str]]] = []
    for now in every_five_minutes(local(zone, "2026-11-20 12:00"), 24):
        result = run_rules(store, ruleset, now)
        for r in result.requests:
            log.append((wall(now, zone), r.action, frozenset(r.item_ids)))
    assert log == [
        ("22:00", Action.DELIST, frozenset({"0", "1", "2"})),
        ("08:00", Action.LIST, frozenset({"0", "1", "2"})),
    ]
    assert status(store, "tb-main", "3") is Status.INACTIVE
    (again,) = plan(store, ruleset, local(zone, "2026-11-21 22:00")).requests
    assert again.action is Action.DELIST and set(again.item_ids) == {"0", "1", "2"}
