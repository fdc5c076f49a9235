"""`shelf report`'s core: counts by status and reason, what changed and who did it, new
violation delists soonest deadline first, jobs that failed or wait, the last report time, and
the 30-day list/delist activity the console charts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rules_helpers import add_items, journal, local, sync

from shelf_tui.domain import Action, BulkRequest, JobState, Reason, Status
from shelf_tui.rules.report import build, daily_activity, last_reported, mark_reported
from shelf_tui.store import Store


def test_counts_changes_violations_and_jobs(store: Store) -> None:
    now = local("Asia/Shanghai", "2026-11-20 09:00")
    yesterday = now - timedelta(hours=20)
    add_items(store, "tb-main", 6)
    sync(store, "tb-main", "1", status=Status.INACTIVE, reason=Reason.SOLD_OUT)
    for item_id, hours in (("2", 30), ("3", 5)):
        sync(
            store,
            "tb-main",
            item_id,
            status=Status.INACTIVE,
            reason=Reason.VIOLATION,
            deadline=now + timedelta(hours=hours),
            delisted_at=now - timedelta(hours=2),
        )
    sync(  # an old violation, overdue: counted, but not new
        store,
        "tb-main",
        "4",
        status=Status.INACTIVE,
        reason=Reason.VIOLATION,
        deadline=now - timedelta(days=1),
        delisted_at=now - timedelta(days=5),
    )
    journal(store, "tb-main", "1", "platform", "sold_out", yesterday, outcome="")
    for item_id in ("2", "3"):
        journal(
            store,
            "tb-main",
            item_id,
            "platform",
            "platform_delist",
            yesterday,
            outcome="",
            message="delisted by the platform: 虚假交易",
        )
    journal(store, "tb-main", "5", "rule:zero-stock", "delist", yesterday)
    journal(store, "tb-main", "0", "alice@laptop", "delist", yesterday, outcome="failed")
    journal(store, "tb-main", "0", "alice@laptop", "delist", now - timedelta(days=3))  # too old
    paused = store.jobs.create(
        BulkRequest("tb-main", Action.DELIST, ("0",), "promo over", "alice@laptop")
    )
    store.jobs.set_state(paused.id, JobState.PAUSED, pause_reason="daily quota used up")
    report = build(store, now, tz="Asia/Shanghai", shops=["tb-main"])
    assert report.since == now - timedelta(hours=24) and report.since_source == "24 h"
    (tb,) = report.shops
    assert tb.total == 6 and tb.by_status == {"active": 2, "inactive": 4}
    assert tb.by_reason["inactive"] == {"violation": 3, "sold_out": 1}
    assert [(c.actor, c.action, c.outcome, c.count) for c in report.changes] == [
        ("alice@laptop", "delist", "failed", 1),
        ("rule:zero-stock", "delist", "ok", 1),
        ("platform", "platform_delist", "", 2),
        ("platform", "sold_out", "", 1),
    ]
    assert [v.item_id for v in report.violations] == ["3", "2"]  # soonest deadline first
    assert report.violations[0].message == "delisted by the platform: 虚假交易"
    assert (report.open_violations, report.overdue_violations) == (3, 1)
    assert [j.id for j in report.jobs] == [paused.id]
    text = report.to_text()
    assert "inactive 4 (violation 3, sold_out 1)" in text
    assert "rule:zero-stock" in text and "delist 1 ok" in text
    assert "tb-main/3 'item 3': deadline 2026-11-20 14:00 Asia/Shanghai" in text
    assert "open violation delists: 3 (1 overdue)" in text
    assert f"#{paused.id} tb-main delist paused: daily quota used up" in text
    data = report.as_dict()
    assert data["violations"][0]["deadline"] == "2026-11-20T06:00:00Z"
    assert data["jobs"][0]["pause_reason"] == "daily quota used up"


def test_the_next_report_starts_where_the_last_one_ended(store: Store) -> None:
    first = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    assert last_reported(store) is None
    mark_reported(store, first)
    assert last_reported(store) == first
    add_items(store, "ml-mx", 1)
    journal(store, "ml-mx", "0", "platform", "stock_zero", first - timedelta(minutes=1), outcome="")
    journal(store, "ml-mx", "0", "platform", "restocked", first + timedelta(hours=1), outcome="")
    report = build(store, first + timedelta(hours=2))
    assert report.since_source == "the last report"
    assert [c.action for c in report.changes] == ["restocked"]


def test_daily_activity_buckets_by_local_day_and_who(store: Store) -> None:
    now = local("America/Mexico_City", "2026-11-20 12:00")
    add_items(store, "ml-mx", 3)
    # 23:30 local on the 19th is 05:30 UTC on the 20th: it belongs to the 19th in Mexico City
    late = local("America/Mexico_City", "2026-11-19 23:30")
    journal(store, "ml-mx", "0", "rule:zero-stock", "delist", late)
    journal(store, "ml-mx", "1", "carla@mx", "list", now - timedelta(hours=1))
    journal(store, "ml-mx", "1", "carla@mx", "list", now - timedelta(hours=1), outcome="failed")
    journal(store, "ml-mx", "2", "platform", "sold_out", now - timedelta(hours=2), outcome="")
    journal(store, "ml-mx", "2", "platform", "relisted", now - timedelta(days=40), outcome="")
    days = daily_activity(store, now, days=30, tz="America/Mexico_City")
    assert len(days) == 30 and days[-1].day == date(2026, 11, 20)
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 11, 19)].delist_rule == 1
    today = by_day[date(2026, 11, 20)]
    assert (today.list_user, today.delist_platform, today.listed, today.delisted) == (1, 1, 1, 1)
    assert sum(d.listed + d.delisted for d in days) == 3
    utc = {d.day: d for d in daily_activity(store, now, days=30, tz="UTC")}
    assert utc[date(2026, 11, 20)].delist_rule == 1


def test_jobs_that_failed_since_the_last_report_are_listed_beside_the_waiting_ones(
    store: Store,
) -> None:
    """ "Failed or paused jobs": a finished job with failures since the report's start is
    listed (done or cancelled), a clean one is not, nor one whose failures are older."""
    from shelf_tui.domain import Outcome

    now = local("Asia/Shanghai", "2026-11-20 09:00")
    add_items(store, "tb-main", 8)

    def finished(ids: tuple[str, ...], failed: set[str], state: JobState, at: datetime) -> int:
        job = store.jobs.create(BulkRequest("tb-main", Action.DELIST, ids, "clearance", "bob@shop"))
        stamp = int(at.timestamp())
        for item_id in ids:
            outcome = (
                Outcome.failed("isv.item-delist-lock", "活动期间禁止下架")
                if item_id in failed
                else Outcome.ok()
            )
            store.jobs.finish_item(job.id, item_id, outcome, now=stamp)
        store.jobs.set_state(job.id, state, now=stamp)
        return job.id

    failed_recent = finished(("0", "1"), {"1"}, JobState.DONE, now - timedelta(hours=3))
    clean_recent = finished(("2", "3"), set(), JobState.DONE, now - timedelta(hours=2))
    failed_old = finished(("4",), {"4"}, JobState.DONE, now - timedelta(days=3))
    cancelled = finished(("5", "6"), {"5"}, JobState.CANCELLED, now - timedelta(hours=1))
    report = build(store, now, tz="Asia/Shanghai")
    listed = [j.id for j in report.jobs]
    assert sorted(listed) == sorted([failed_recent, cancelled])
    assert clean_recent not in listed and failed_old not in listed
    text = report.to_text()
    assert f"#{failed_recent} tb-main delist done (ok 1, failed 1, of 2; clearance)" in text
    assert f"#{cancelled} tb-main delist cancelled (ok 1, failed 1, of 2; clearance)" in text
    assert sorted(j["id"] for j in report.as_dict()["jobs"]) == sorted(listed)
    week = build(store, now, tz="Asia/Shanghai", since=now - timedelta(days=7))
    assert failed_old in [j.id for j in week.jobs]
