"""The job engine against a scripted platform: journal, outcomes, retries, pauses, cancel."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from jobfakes import APPLIED_TIMEOUT, HANG, FakePlatform, FakeTime

from shelf_tui.domain import Action, ItemState, JobState, Outcome, Status
from shelf_tui.errors import ReadOnlyError
from shelf_tui.jobs import JobEngine, Settings
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MalformedResponse,
    QuotaExhausted,
    RateLimited,
    Rejected,
    Transient,
)
from shelf_tui.store import Store


def ids(*numbers: int) -> list[tuple[str, str]]:
    return [("tb", str(n)) for n in numbers]


async def delist(engine: JobEngine, keys: list[tuple[str, str]], reason: str = "out of stock"):
    plan = engine.plan_keys(Action.DELIST, keys)
    sub = engine.submit(plan, reason)
    results = [await engine.run(j.id) for j in sub.jobs]
    return results


def one_event_per_item(store: Store, job_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ev in store.events.for_job(job_id):
        counts[ev.item_id] = counts.get(ev.item_id, 0) + 1
    return counts


async def test_a_clean_delist_changes_each_item_once_and_journals_one_event_each(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    keys = ids(*range(100, 120))
    [result] = await delist(engine, keys)
    job = result.job
    assert job.state is JobState.DONE
    assert (job.ok, job.already, job.skipped, job.failed) == (20, 0, 0, 0)
    assert all(platform.changes[i] == 1 for _, i in keys)
    assert all(store.items.get("tb", i).status is Status.INACTIVE for _, i in keys)  # type: ignore[union-attr]
    assert set(one_event_per_item(store, job.id).values()) == {1}
    ev = store.events.for_item("tb", "105")[0]
    assert (ev.actor, ev.action, ev.reason, ev.outcome) == (
        "seller@box",
        "delist",
        "out of stock",
        "ok",
    )
    assert ev.request_id.startswith("req-105")
    # Seed 003's evidence: the item as the store knew it before the delist.
    assert ev.snapshot is not None and ev.snapshot["status"] == "active"
    assert ev.snapshot["title"] == "tb item 5"
    assert ev.before == {"status": "active", "reason": ""}
    assert ev.after == {"status": "inactive", "reason": "seller"}


async def test_job_and_all_items_are_journaled_before_the_first_call(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    seen: list[tuple[int, int]] = []

    def on_call(call) -> None:
        if not seen:
            job = store.jobs.all()[0]
            seen.append((job.total, len(store.jobs.items(job.id))))

    platform.on_call = on_call
    await delist(engine, ids(*range(100, 112)))
    assert seen == [(12, 12)]


async def test_each_item_is_committed_as_sending_before_its_call_leaves(
    engine: JobEngine, store: Store, platform: FakePlatform, db_path
) -> None:
    states: list[str] = []
    other = Store.open(db_path)  # another connection: sees only what was committed

    def on_call(call) -> None:
        if call.op == "set_status":
            job = other.jobs.all()[0]
            states.append(other.jobs.item(job.id, call.item_id).state.value)  # type: ignore[union-attr]

    platform.on_call = on_call
    try:
        await delist(engine, ids(*range(100, 110)))
    finally:
        other.close()
    assert states == ["sending"] * 10


async def test_multi_shop_marks_become_one_job_per_shop_never_crossing_tokens(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    keys = [("tb", "100"), ("ml", "100"), ("tb", "101"), ("ml", "101")]
    plan = engine.plan_keys(Action.DELIST, keys)
    assert [(s.shop, s.item_ids) for s in plan.shops] == [
        ("tb", ("100", "101")),
        ("ml", ("100", "101")),
    ]
    sub = engine.submit(plan, "TRO complaint")
    assert [j.shop for j in sub.jobs] == ["tb", "ml"]
    for job in sub.jobs:
        await engine.run(job.id)
    # FakeMarket asserts every item it is given belongs to its own shop; and each shop's
    # calls went through that shop's connector only.
    by_shop = {(c.shop, c.item_id) for c in platform.calls if c.op == "set_status"}
    assert by_shop == set(keys)
    assert platform.connects == ["tb", "ml"]


async def test_already_and_blocked_items_end_without_a_call(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    # 100 is already delisted on the platform (the store does not know yet); 101 is closed.
    platform.apply("tb", "100", Action.DELIST)
    platform.changes.clear()
    platform.items[("tb", "101")] = platform.items[("tb", "101")].__class__(
        **{**{f: getattr(platform.items[("tb", "101")], f) for f in ("shop", "item_id", "title")}},
        status=Status.CLOSED,
    )
    platform.skip["102"] = "promotion lock: 下架锁定 (until 2025-07-01 GMT+8)"
    [result] = await delist(engine, ids(100, 101, 102, 103))
    job = result.job
    assert (job.ok, job.already, job.skipped, job.failed) == (1, 2, 1, 0)
    assert [c.item_id for c in platform.calls if c.op == "set_status"] == ["103"]
    skipped = store.jobs.items(job.id, states=[ItemState.SKIPPED])
    assert skipped[0].message.startswith("promotion lock: 下架锁定")


async def test_transient_failures_back_off_read_back_and_resend_only_if_not_applied(
    engine: JobEngine, store: Store, platform: FakePlatform, ftime: FakeTime
) -> None:
    platform.answer("100", Transient("502 bad gateway"))  # not applied: resent once
    platform.answer("101", APPLIED_TIMEOUT)  # applied, answer lost: never resent
    platform.answer("102", MalformedResponse("truncated body"))
    [result] = await delist(engine, ids(100, 101, 102, 103))
    assert result.job.ok == 4
    assert platform.sent("100") == 2 and platform.changes["100"] == 1
    assert platform.sent("101") == 1 and platform.changes["101"] == 1
    assert platform.sent("102") == 2 and platform.changes["102"] == 1
    ji = store.jobs.item(result.job.id, "101")
    assert ji is not None and "read-back confirms" in ji.message
    # Each retry waited a jittered backoff in [base/2, base] before the read-back.
    assert len(ftime.sleeps) == 3 and all(0.25 <= s <= 0.5 for s in ftime.sleeps)
    # The evidence trail shows every call, the lost answers and the read-backs.
    trail = [(c.call, c.outcome) for c in store.jobs.calls(result.job.id, "101")]
    assert trail == [("set_status", "transient"), ("read_back", "applied")]


async def test_transient_gives_up_after_max_attempts_with_the_last_error(
    engine: JobEngine, store: Store, platform: FakePlatform, ftime: FakeTime
) -> None:
    platform.answer("100", *[Transient("503 service unavailable", code="503")] * 4)
    [result] = await delist(engine, ids(100, 101))
    failed = store.jobs.items(result.job.id, states=[ItemState.FAILED])
    assert [f.item_id for f in failed] == ["100"]
    assert failed[0].code == "503" and "gave up after 4 attempts" in failed[0].message
    assert platform.sent("100") == 4 and platform.changes["100"] == 0
    # Exponential: 0.5, 1, 2 (each jittered into its upper half), no wait after the last.
    assert len(ftime.sleeps) == 3
    assert all(b / 2 <= s <= b for s, b in zip(ftime.sleeps, (0.5, 1.0, 2.0), strict=True))
    assert result.job.state is JobState.DONE


async def test_a_rate_limit_holds_every_worker_for_the_whole_ban(
    engine: JobEngine, platform: FakePlatform, ftime: FakeTime
) -> None:
    banned_at: list[float] = []

    def on_call(call) -> None:
        if call.op == "set_status" and call.item_id == "102" and not banned_at:
            banned_at.append(ftime.mono)

    platform.on_call = on_call
    platform.answer("102", RateLimited("This ban will last for 7 more seconds", retry_after=7))
    [result] = await delist(engine, ids(*range(100, 110)))
    assert result.job.ok == 10 and platform.changes["102"] == 1
    later = [c for c in platform.calls if c.op == "set_status" and c.at > banned_at[0]]
    assert later, "calls continued after the ban"
    assert all(c.at >= banned_at[0] + 7 for c in later)
    assert any(s >= 7 for s in ftime.sleeps)


async def test_quota_exhausted_pauses_the_whole_job_and_resume_finishes_it(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    reset = datetime(2025, 6, 16, 16, 0, tzinfo=UTC)
    platform.answer("105", QuotaExhausted("App Call Limited", reset_at=reset))
    keys = ids(*range(100, 120))
    [paused] = await delist(engine, keys)
    job = paused.job
    assert job.state is JobState.PAUSED and job.resume_at == int(reset.timestamp())
    assert "quota" in job.pause_reason and f"shelf jobs resume {job.id}" in job.pause_reason
    sent_before = len([c for c in platform.calls if c.op == "set_status"])
    assert job.done < 20 and store.jobs.item(job.id, "105").state is ItemState.QUEUED  # type: ignore[union-attr]
    # Nothing but in-flight calls left after the quota answer (concurrency 3).
    assert sent_before <= 6 + 3
    result = await engine.run(job.id)
    assert result.job.state is JobState.DONE and result.job.ok == 20
    assert all(platform.changes[i] == 1 for _, i in keys)
    assert set(one_event_per_item(store, job.id).values()) == {1}


async def test_auth_expired_pauses_for_sign_in_and_resumes_without_resending(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    platform.answer("103", AuthExpired("27 Invalid session", code="27"))
    keys = ids(*range(100, 115))
    [paused] = await delist(engine, keys)
    assert paused.sign_in_needed and paused.job.state is JobState.PAUSED
    assert "shelf login tb" in paused.job.pause_reason
    result = await engine.run(paused.job.id)
    assert result.job.ok == 15 and not result.sign_in_needed
    assert max(platform.changes.values()) == 1


async def test_a_rejection_fails_the_item_with_the_platforms_code_and_message(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    platform.answer(
        "100",
        Outcome.failed(
            "isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED", "商品处于下架锁定期", "rq-1"
        ),
    )
    platform.answer(
        "101",
        Rejected(
            "item.status.invalid: closed items cannot be paused",
            code="400:item.status.invalid",
            request_id="rq-2",
        ),
    )
    [result] = await delist(engine, ids(100, 101, 102))
    failed = {f.item_id: f for f in store.jobs.items(result.job.id, states=[ItemState.FAILED])}
    assert failed["100"].message == "商品处于下架锁定期" and failed["100"].request_id == "rq-1"
    assert failed["101"].code == "400:item.status.invalid"
    assert platform.sent("100") == 1 and platform.sent("101") == 1  # never retried
    assert result.job.ok == 1


async def test_cancel_stops_new_calls_lets_in_flight_finish_and_skips_the_rest(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    plan = engine.plan_keys(Action.DELIST, ids(*range(100, 120)))
    [job] = engine.submit(plan, "seasonal").jobs
    handle = await engine.start(job.id)

    def on_call(call) -> None:
        if call.op == "set_status" and call.item_id == "104":
            handle.cancel()

    platform.on_call = on_call
    result = await handle.wait()
    row = result.job
    assert row.state is JobState.CANCELLED
    sent = [c.item_id for c in platform.calls if c.op == "set_status"]
    assert "104" in sent and len(sent) <= 5 + 3  # in-flight ones finish, nothing new leaves
    assert row.ok == len(sent) and row.skipped == 20 - len(sent) and row.done == 20
    skipped = store.jobs.items(row.id, states=[ItemState.SKIPPED])
    assert {s.message for s in skipped} == {"cancelled before sending"}
    assert set(one_event_per_item(store, row.id).values()) == {1}


async def test_cancel_asked_from_another_process_is_honoured_through_the_database(
    engine: JobEngine, store: Store, platform: FakePlatform, db_path
) -> None:
    plan = engine.plan_keys(Action.DELIST, ids(*range(100, 120)))
    [job] = engine.submit(plan, "seasonal").jobs
    other = Store.open(db_path)
    asked_after: list[int] = []

    def on_call(call) -> None:
        if call.op == "set_status" and not asked_after and len(platform.calls) > 8:
            assert other.jobs.request_cancel(job.id)  # `shelf jobs cancel` in another process
            asked_after.append(sum(1 for c in platform.calls if c.op == "set_status"))

    platform.on_call = on_call
    try:
        result = await engine.run(job.id)
    finally:
        other.close()
    sent = sum(1 for c in platform.calls if c.op == "set_status")
    # Fenced mark_sending: only calls already marked when the flag committed may follow.
    assert sent - asked_after[0] <= 3 - 1
    assert result.job.state is JobState.CANCELLED and result.job.done == 20
    assert not result.job.cancel_requested


async def test_retry_failed_is_a_new_job_over_the_failed_items(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    platform.answer("101", Outcome.failed("15", "Remote service error"))
    platform.answer("103", Outcome.failed("15", "Remote service error"))
    [first] = await delist(engine, ids(100, 101, 102, 103), reason="IP complaint (TRO)")
    retry = engine.retry_failed(first.job.id)
    assert retry is not None and retry.parent_id == first.job.id
    assert [i.item_id for i in store.jobs.items(retry.id)] == ["101", "103"]
    assert retry.reason == "IP complaint (TRO)"
    assert engine.failed_keys(first.job.id) == [("tb", "101"), ("tb", "103")]
    result = await engine.run(retry.id)
    assert result.job.ok == 2
    assert engine.retry_failed(retry.id) is None


async def test_undo_restores_what_changed_and_says_what_cannot_be_undone(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    [done] = await delist(engine, ids(100, 101, 102, 103))
    job_id = done.job.id
    # 101 was relisted by someone else since (a later job); 102 changed on the platform
    # as the last sync saw it.
    plan = engine.plan_keys(Action.LIST, ids(101))
    [other] = engine.submit(plan, "restocked").jobs
    await engine.run(other.id)
    store.items.set_state(
        "tb", "102", status=Status.CLOSED, reason=store.items.get("tb", "102").reason
    )  # type: ignore[union-attr]
    undo = engine.undo_plan(job_id)
    cannot = {r.item_id: r.why for r in undo.cannot}
    assert "changed since by someone else" in cannot["101"] and f"job {other.id}" in cannot["101"]
    assert "closing is final" in cannot["102"]
    assert undo.plan is not None and undo.plan.shops[0].item_ids == ("100", "103")
    new, _ = engine.undo(job_id)
    assert new is not None and new.parent_id == job_id and new.action == "list"
    result = await engine.run(new.id)
    assert result.job.ok == 2
    assert platform.status("tb", "100") is Status.ACTIVE
    assert platform.status("tb", "103") is Status.ACTIVE


async def test_read_only_is_refused_by_the_core_and_nothing_is_journaled(
    store: Store, platform: FakePlatform, ftime: FakeTime
) -> None:
    engine = JobEngine(store, connect=platform.connect(), read_only=True, timer=ftime.timer)
    plan = engine.plan_keys(Action.DELIST, ids(100, 101))  # planning is allowed
    assert plan.change == 2
    with pytest.raises(ReadOnlyError, match="read-only mode is on"):
        engine.submit(plan, "x")
    assert store.jobs.all() == []
    writable = JobEngine(store, connect=platform.connect(), timer=ftime.timer)
    [job] = writable.submit(plan, "x").jobs
    with pytest.raises(ReadOnlyError):
        await engine.start(job.id)
    with pytest.raises(ReadOnlyError):
        await engine.cancel(job.id)
    with pytest.raises(ReadOnlyError):
        engine.retry_failed(job.id)
    assert platform.calls == []


async def test_progress_stream_ends_with_the_final_counts(
    engine: JobEngine, platform: FakePlatform
) -> None:
    plan = engine.plan_keys(Action.DELIST, ids(*range(100, 120)))
    [job] = engine.submit(plan, "clearance").jobs
    seen = []
    engine.add_listener(seen.append)
    handle = await engine.start(job.id)
    snaps = [p async for p in handle.subscribe()]
    await handle.wait()
    last = snaps[-1]
    assert last.state is JobState.DONE and last.ok == 20 and last.done == last.total == 20
    assert seen[-1] == last
    assert all(a.done <= b.done for a, b in itertools.pairwise(snaps))


async def test_a_lock_in_the_store_is_counted_as_blocked_in_the_plan(
    store: Store, engine: JobEngine
) -> None:
    item = store.items.get("tb", "100")
    assert item is not None
    locked = item.__class__(
        **{
            **{
                f: getattr(item, f)
                for f in item.__slots__
                if f not in ("locked_until", "lock_message")
            }
        },  # type: ignore[attr-defined]
        locked_until=datetime.now(UTC) + timedelta(days=2),
        lock_message="下架锁定规则: 618 campaign",
    )
    store.items.upsert([locked])
    plan = engine.plan_keys(Action.DELIST, ids(100, 101))
    shop = plan.shops[0]
    assert (shop.change, shop.blocked) == (1, 1)
    assert [b.value for b in shop.blocked_counts] == ["promotion lock"]
    assert "618 campaign" in shop.blocked_items()[0].detail


async def test_a_ban_too_long_to_sit_through_pauses_and_abandons_stuck_calls(
    store: Store, platform: FakePlatform, ftime: FakeTime
) -> None:
    """A daily quota in disguise (ML 429 / Temu 4000004 with hours to wait) pauses the job
    until the ban ends; a call stuck behind it is abandoned after the grace period and its
    item read back at resume, never blindly resent."""
    engine = JobEngine(
        store,
        settings=Settings(concurrency=2, read_batch=5, stop_grace=0.01),
        connect=platform.connect(),
        timer=ftime.timer,
    )
    platform.answer("101", HANG)
    platform.answer("102", RateLimited("429 Retry-After: 7200", retry_after=7200))
    [paused] = await delist(engine, ids(*range(100, 106)))
    job = paused.job
    assert (
        job.state is JobState.PAUSED
        and "rate-limited by the platform for 7200 s" in job.pause_reason
    )
    assert job.resume_at == int(ftime.now + 7200)
    assert not any(s >= 7200 for s in ftime.sleeps)  # the process did not sit through it
    assert store.jobs.item(job.id, "101").state is ItemState.SENDING  # type: ignore[union-attr]
    assert store.jobs.item(job.id, "102").state is ItemState.QUEUED  # type: ignore[union-attr]
    calls = [c.outcome for c in store.jobs.calls(job.id, "101")]
    assert calls == ["abandoned"]
    result = await engine.run(job.id)
    assert result.job.state is JobState.DONE and result.job.ok == 6
    assert max(platform.changes.values()) == 1


def test_hidden_count_is_the_marked_items_the_filter_hides(
    store: Store, platform: FakePlatform
) -> None:
    from shelf_tui.jobs import hidden_count

    store.items.set_state(
        "tb", "101", status=Status.INACTIVE, reason=store.items.get("tb", "101").reason
    )  # type: ignore[union-attr]
    marked = [("tb", "100"), ("tb", "101"), ("ml", "100")]
    assert hidden_count(store, marked, "status:active") == 1
    assert hidden_count(store, marked, "shop:tb") == 1
    assert hidden_count(store, marked, "") == 0


async def test_the_async_doors_give_the_same_results(
    engine: JobEngine, platform: FakePlatform
) -> None:
    plan = await engine.aplan_keys(Action.DELIST, ids(100, 101))
    sub = await engine.asubmit(plan, "x")
    result = await engine.run(sub.jobs[0].id)
    assert result.job.ok == 2
    undo = await engine.aundo_plan(sub.jobs[0].id)
    assert undo.restorable == 2


async def test_a_preflight_refusal_fails_that_item_without_pausing_the_job(
    engine: JobEngine, store: Store, platform: FakePlatform
) -> None:
    from shelf_tui.marketplaces.errors import NotFound

    platform.skip["101"] = NotFound("isv.item-not-exist: 商品不存在", code="15:isv.item-not-exist")
    [result] = await delist(engine, ids(100, 101, 102))
    assert result.job.state is JobState.DONE and (result.job.ok, result.job.failed) == (2, 1)
    failed = store.jobs.item(result.job.id, "101")
    assert failed is not None and failed.code == "15:isv.item-not-exist"
    assert platform.sent("101") == 0


async def test_every_blocked_reason_is_counted_and_listed_item_by_item_then_never_sent(
    store: Store, engine: JobEngine, platform: FakePlatform
) -> None:
    """A list (上架) plan's preflight from the store: each blocked reason the dialog counts
    (promotion lock, no stock to list, ML closed, Temu compliance delist, violation), each
    item with its own words; the job then sends nothing for them (they end skipped)."""
    from dataclasses import replace

    from shelf_tui.domain import Platform, Reason, Shop
    from shelf_tui.jobs.verdicts import Block

    store.shops.add(Shop("temu", Platform.TEMU, region="US"))
    soon = datetime.now(UTC) + timedelta(days=2)
    off = {"status": Status.INACTIVE, "reason": Reason.SELLER}
    rows = {
        ("tb", "100"): {**off},  # will change
        ("tb", "101"): {},  # already on sale
        ("tb", "102"): {**off, "locked_until": soon, "lock_message": "上架锁定: 预售"},
        ("tb", "103"): {**off, "stock": 0},
        ("tb", "104"): {**off, "reason": Reason.VIOLATION, "deadline": soon},
        ("ml", "100"): {"status": Status.CLOSED, "reason": Reason.SELLER},
        ("temu", "300"): {**off, "reason": Reason.VIOLATION, "raw_sub_status": "3001"},
    }
    temu = replace(platform.items[("ml", "101")], shop="temu", item_id="300")
    platform.items[("temu", "300")] = temu
    store.items.upsert([temu])
    changed = []
    for key, fields in rows.items():
        item = replace(platform.items[key], **fields)  # type: ignore[arg-type]
        platform.items[key] = item
        changed.append(item)
    store.items.upsert(changed)

    plan = engine.plan_keys(Action.LIST, list(rows))
    assert (plan.change, plan.already, plan.blocked) == (1, 1, 5)
    assert plan.blocked_counts == {
        Block.LOCKED: 1,
        Block.NO_STOCK: 1,
        Block.VIOLATION: 1,
        Block.CLOSED: 1,
        Block.COMPLIANCE: 1,
    }
    why = {(i.shop, i.item_id): (i.block, i.detail) for s in plan.shops for i in s.blocked_items()}
    assert why[("tb", "102")][0] is Block.LOCKED and "上架锁定: 预售" in why[("tb", "102")][1]
    assert why[("tb", "103")][0] is Block.NO_STOCK
    assert why[("tb", "104")][0] is Block.VIOLATION and "rectify by" in why[("tb", "104")][1]
    assert why[("ml", "100")][0] is Block.CLOSED and "closed is final" in why[("ml", "100")][1]
    assert why[("temu", "300")] == (
        Block.COMPLIANCE,
        "delisted by Temu for compliance (3001): rectify it before listing",
    )
    text = "\n".join(plan.summary_lines())
    assert "tb  " in text and "1 will change · 1 already active · 3 blocked" in text
    assert "temu  " in text and "1 Temu compliance delist" in text
    assert "1 closed (final on Mercado Libre)" in text

    # The engine asks the platform about locks right before the call (the store's copy may be
    # stale, and only the platform knows what a lock blocks): here it confirms this one.
    platform.skip["102"] = "promotion lock: 上架锁定: 预售"
    sub = engine.submit(plan, "restocked")
    for job in sub.jobs:
        await engine.run(job.id)
    sent = [(c.shop, c.item_id) for c in platform.calls if c.op == "set_status"]
    assert sent == [("tb", "100")]
    skipped = {
        (j.shop, ji.item_id)
        for j in sub.jobs
        for ji in store.jobs.items(j.id, states=[ItemState.SKIPPED])
    }
    assert skipped == {k for k in why}


async def test_undo_says_up_front_that_a_temu_compliance_delist_cannot_be_listed(
    store: Store, engine: JobEngine, platform: FakePlatform
) -> None:
    from dataclasses import replace

    from shelf_tui.domain import Platform, Reason, Shop

    store.shops.add(Shop("temu", Platform.TEMU, region="US"))
    items = [
        replace(platform.items[("tb", str(100 + k))], shop="temu", item_id=str(300 + k))
        for k in range(3)
    ]
    store.items.upsert(items)
    platform.items.update({i.key: i for i in items})
    [done] = await delist(engine, [("temu", i.item_id) for i in items])
    assert done.job.ok == 3
    # Since: Temu took 301 down for compliance (3001) on top of the seller's delist.
    store.items.upsert(
        [
            replace(
                store.items.get("temu", "301"),  # type: ignore[type-var]
                reason=Reason.VIOLATION,
                raw_sub_status="3001",
            )
        ]
    )
    undo = engine.undo_plan(done.job.id)
    assert [(r.item_id, r.why) for r in undo.cannot] == [
        ("301", "Temu compliance delist (3001): Temu refuses to list it until it is rectified")
    ]
    assert undo.plan is not None and undo.plan.shops[0].item_ids == ("300", "302")
    lines = undo.summary_lines()
    assert lines[0].startswith(f"undo job {done.job.id} (delist on temu): 2 item(s) to restore")
    assert lines[0].endswith("1 cannot be undone")
    assert "  301  Temu compliance delist (3001)" in "\n".join(lines)
    before = platform.sent("301")
    new, _ = engine.undo(done.job.id)
    assert new is not None
    result = await engine.run(new.id)
    assert result.job.ok == 2 and platform.sent("301") == before
    assert [i.item_id for i in store.jobs.items(new.id)] == ["300", "302"]


async def test_calls_run_concurrently_but_never_more_than_the_bound(
    engine: JobEngine, platform: FakePlatform, settings: Settings
) -> None:
    """Bounded concurrency: with 3 workers, 3 state changes are in flight together (each
    call is held until the third arrives), and never a 4th beside them."""
    import asyncio

    bound = settings.concurrency
    assert bound == 3
    in_flight = 0
    peak = 0
    together = asyncio.Event()

    async def on_call(call: object) -> None:
        nonlocal in_flight, peak
        if getattr(call, "op", "") != "set_status":
            return
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            if in_flight >= bound:
                for _ in range(20):  # room for a 4th call to arrive, were one allowed
                    await asyncio.sleep(0)
                together.set()
            await asyncio.wait_for(together.wait(), 30)
        finally:
            in_flight -= 1

    platform.on_call = on_call
    [result] = await delist(engine, ids(*range(100, 120)))
    assert result.job.ok == 20 and together.is_set()
    assert peak == bound
