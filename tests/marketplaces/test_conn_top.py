"""The TOP connector against the sandbox over loopback: every method, every error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from connkit import EXPECTED, FIXED_NOW, Tap, creds_of, form_of, json_response, market, shop_of

from shelf_tui.domain import Action, Item, OutcomeKind, Reason, Status
from shelf_tui.marketplaces import (
    AuthExpired,
    NotFound,
    QuotaExhausted,
    RateLimited,
    Rejected,
    Transient,
)
from shelf_tui.marketplaces.top import BANNERS, TopMarketplace
from shelf_tui.sandbox import Sandbox

ONSALE, ONSALE_SKU, LOCK_NOW, LOCK_FUTURE, LOCK_PAST, LOCK_STOCK, FLASH_ON = range(7)
OFF, OFF_ZERO, OFF_ZERO_SKU, FLASH_OFF, REGULAR, SOLD_OUT, SOLD_OUT_SKU = range(7, 14)
VIOLATION, VIOLATION_SERIOUS, NEVER, ONSALE_ZERO = range(14, 18)


def tid(sb: Sandbox, idx: int, shop: str = "tb-main") -> str:
    return str(sb.catalog.shops[shop].id_of(idx))


async def collect(conn: TopMarketplace, since: datetime | None = None) -> list[Item]:
    out: list[Item] = []
    async for page in conn.iter_items(since):
        out.extend(page)
    return out


def top(sb: Sandbox, name: str = "tb-main", **kw: object) -> TopMarketplace:
    conn = market(sb, name, **kw)
    assert isinstance(conn, TopMarketplace)
    return conn


async def item(conn: TopMarketplace, sb: Sandbox, idx: int, shop: str = "tb-main") -> Item:
    return (await conn.get_items([tid(sb, idx, shop)]))[tid(sb, idx, shop)]


# -- sync -------------------------------------------------------------------------------------


async def test_full_sync_returns_every_item_with_the_normalized_status(sb: Sandbox) -> None:
    conn = top(sb)
    items = await collect(conn)
    await conn.aclose()
    assert sorted(i.item_id for i in items) == sorted(str(x) for x in sb.ids("tb-main"))
    for it in items:
        state = sb.state(it.item_id)
        assert (it.status, it.reason) == EXPECTED["taobao"][state], (it.item_id, state)
        assert it.raw_status == ("onsale" if state == "onsale" else "instock")
        assert it.raw_sub_status == ("" if state == "onsale" else state)
        assert it.currency == "CNY"
        assert it.modified is not None
    by_id = {i.item_id: i for i in items}
    violation = by_id[tid(sb, VIOLATION_SERIOUS)]
    truth = sb.catalog.shops["tb-main"].violation(VIOLATION_SERIOUS)
    assert truth is not None and truth.severity == "serious"
    assert violation.deadline == datetime.fromtimestamp(truth.deadline_ms // 1000, UTC)
    assert violation.extra["violation"]["severity"] == "serious"
    sku_item = by_id[tid(sb, ONSALE_SKU)]
    assert len(sku_item.skus) == 3 and sum(s.stock for s in sku_item.skus) == sku_item.stock
    assert by_id[tid(sb, FLASH_OFF)].extra["second_kill"]


async def test_inventory_is_queried_per_banner_explicitly(sb: Sandbox) -> None:
    """Gotcha 4: the default banner hides sold_out and violation_off_shelf."""
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = top(sb, client=client)
    await collect(conn)
    await client.aclose()
    forms = [form_of(r) for r in tap.requests]
    banners = {f.get("banner") for f in forms if f["method"] == "taobao.items.inventory.get"}
    assert banners == set(BANNERS)
    assert any(f["method"] == "taobao.items.onsale.get" for f in forms)


async def test_incremental_sync_returns_exactly_what_changed(sb: Sandbox) -> None:
    sb.set_stock(int(tid(sb, ONSALE)), 3)
    sb.violate(int(tid(sb, OFF)), severity="serious")
    conn = top(sb)
    items = await collect(conn, since=datetime.fromtimestamp(FIXED_NOW - 10, UTC))
    await conn.aclose()
    assert sorted(i.item_id for i in items) == sorted([tid(sb, ONSALE), tid(sb, OFF)])
    by_id = {i.item_id: i for i in items}
    assert by_id[tid(sb, ONSALE)].stock == 3
    delisted = by_id[tid(sb, OFF)]
    assert (delisted.status, delisted.reason) == (Status.INACTIVE, Reason.VIOLATION)
    assert delisted.deadline == datetime.fromtimestamp(FIXED_NOW + 24 * 3600, UTC)


async def test_a_source_above_the_page_cap_is_sliced_by_modified_windows(sb: Sandbox) -> None:
    """Gotcha 5, with caps lowered on both sides to keep it small."""
    sb.set_limits(top_onsale_max_records=10, top_inventory_max_page_no=1)
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = top(sb, client=client)
    conn.page_size = 5
    conn.onsale_max_records = 10
    conn.inventory_max_page_no = 1
    items = await collect(conn)
    await client.aclose()
    ids = [i.item_id for i in items]
    assert sorted(set(ids)) == sorted(str(x) for x in sb.ids("tb-main"))
    sliced = [form_of(r) for r in tap.requests if "start_modified" in form_of(r)]
    assert sliced, "no window was sliced"
    refused = [e for e in sb.log(platform="taobao") if e.outcome.startswith("41")]
    assert refused == []  # the connector never asked past a cap it knew


async def test_a_stricter_cap_than_assumed_is_learnt_and_sliced(sb: Sandbox) -> None:
    """The doc gives 20,000 and 100,000 (§1.5): a 41 on page_no halves the window."""
    sb.set_limits(top_onsale_max_records=10)
    conn = top(sb)
    conn.page_size = 5
    items = await collect(conn)
    await conn.aclose()
    assert sorted({i.item_id for i in items}) == sorted(str(x) for x in sb.ids("tb-main"))
    assert conn.onsale_max_records == 10


@pytest.mark.slow
async def test_more_than_20000_on_sale_items_cross_the_real_cap() -> None:
    """The real §1.5 cap: > 20,000 on-sale items come through modified slices."""
    from shelf_tui.sandbox import Clock, ShopSpec

    spec = ShopSpec("tb-big", "taobao", "大店", 2200000009)
    with Sandbox(items=40_000, seed=3, clock=Clock(start=FIXED_NOW), shops=(spec,)) as big:
        onsale = len(big.ids("tb-big", "onsale"))
        assert onsale > 20_000
        conn = top(big, "tb-big")
        items = await collect(conn)
        await conn.aclose()
        assert len({i.item_id for i in items}) == 40_000
        assert sum(i.status is Status.ACTIVE for i in items) == onsale
        assert not [e for e in big.log(platform="taobao") if e.outcome.startswith("41")]


async def test_get_items_reads_back_and_omits_other_sellers(sb: Sandbox) -> None:
    conn = top(sb)
    ids = [tid(sb, i) for i in (ONSALE, OFF, REGULAR, SOLD_OUT, VIOLATION, NEVER, OFF_ZERO)]
    other = tid(sb, ONSALE, "tb-other")
    got = await conn.get_items([*ids, other, "999"])
    await conn.aclose()
    assert set(got) == set(ids)
    for idx in (ONSALE, OFF, REGULAR, SOLD_OUT, VIOLATION, NEVER):
        it = got[tid(sb, idx)]
        assert (it.status, it.reason) == EXPECTED["taobao"][sb.state(it.item_id)]
    assert got[tid(sb, OFF_ZERO)].status is Status.INACTIVE  # banner inferred, status exact


async def test_whoami_proves_the_session_and_names_the_seller(sb: Sandbox) -> None:
    conn = top(sb)
    info = await conn.whoami()
    await conn.aclose()
    assert info.nick == sb.shop("tb-main").nick


# -- actions ----------------------------------------------------------------------------------


async def test_delist_and_list_with_num_as_current_stock(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = top(sb, client=client)
    off = await item(conn, sb, OFF)
    out = await conn.set_status(off, Action.LIST)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert out.item.status is Status.ACTIVE
    listing = [form_of(r) for r in tap.requests if form_of(r)["method"].endswith("listing")]
    assert listing[-1]["method"] == "taobao.item.update.listing"
    assert listing[-1]["num"] == str(off.stock) == "10"  # gotcha 1
    assert sb.state(int(off.item_id)) == "onsale"
    out = await conn.set_status(await item(conn, sb, ONSALE), Action.DELIST)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert (out.item.status, out.item.reason) == (Status.INACTIVE, Reason.SELLER)
    assert out.request_id
    assert sb.state(int(tid(sb, ONSALE))) == "off_shelf"
    await client.aclose()


async def test_tmall_shops_use_the_tmall_split_methods(sb: Sandbox) -> None:
    conn = top(sb, "tm-flagship")
    target = await item(conn, sb, ONSALE, "tm-flagship")
    assert (await conn.set_status(target, Action.DELIST)).kind is OutcomeKind.OK
    assert (await conn.set_status(target, Action.LIST)).kind is OutcomeKind.OK
    await conn.aclose()
    ops = [e.op for e in sb.log(platform="taobao") if "update" in e.op]
    assert ops == ["taobao.item.update.delisting.tmall", "taobao.item.update.listing.tmall"]


async def test_already_in_that_state_is_already_not_a_failure(sb: Sandbox) -> None:
    conn = top(sb)
    assert (await conn.set_status(await item(conn, sb, OFF), Action.DELIST)).kind is (
        OutcomeKind.ALREADY
    )
    assert (await conn.set_status(await item(conn, sb, ONSALE), Action.LIST)).kind is (
        OutcomeKind.ALREADY
    )
    await conn.aclose()


async def test_preflight_skips_with_the_promotion_rule_and_caches_it(sb: Sandbox) -> None:
    conn = top(sb)
    locked = await item(conn, sb, LOCK_NOW)
    reason = await conn.preflight(locked, Action.DELIST)
    assert reason is not None and "聚划算" in reason and "GMT+8" in reason
    assert await conn.preflight(locked, Action.DELIST) == reason
    calls = [e for e in sb.log(platform="taobao") if e.op == "taobao.item.promotion.rule.get"]
    assert len(calls) == 1  # cached per connector run
    lock = conn.known_lock(locked.item_id)
    assert lock is not None and lock[0] is not None and lock[0].timestamp() > FIXED_NOW
    for idx in (LOCK_FUTURE, LOCK_PAST, LOCK_STOCK, ONSALE):
        assert await conn.preflight(await item(conn, sb, idx), Action.DELIST) is None
    await conn.aclose()


async def test_preflight_refuses_what_top_would_refuse_to_list(sb: Sandbox) -> None:
    conn = top(sb)
    assert "no stock" in (await conn.preflight(await item(conn, sb, OFF_ZERO), Action.LIST) or "")
    assert "no stock" in (
        await conn.preflight(await item(conn, sb, OFF_ZERO_SKU), Action.LIST) or ""
    )
    assert "violation" in (await conn.preflight(await item(conn, sb, VIOLATION), Action.LIST) or "")
    assert "秒杀" in (await conn.preflight(await item(conn, sb, FLASH_OFF), Action.LIST) or "")
    assert await conn.preflight(await item(conn, sb, OFF), Action.LIST) is None
    assert await conn.preflight(await item(conn, sb, ONSALE), Action.CLOSE) is not None
    assert (await conn.set_status(await item(conn, sb, OFF_ZERO), Action.LIST)).kind is (
        OutcomeKind.SKIPPED
    )
    await conn.aclose()
    assert sb.changes(int(tid(sb, OFF_ZERO))) == 0


async def test_business_refusals_fail_the_item_with_the_platforms_words(sb: Sandbox) -> None:
    conn = top(sb)
    locked = await conn.set_status(await item(conn, sb, LOCK_NOW), Action.DELIST)
    assert locked.kind is OutcomeKind.FAILED
    assert "ITEM_PROMOTION_LOCKED" in locked.code and "聚划算" in locked.message
    flash = await conn.set_status(await item(conn, sb, FLASH_OFF), Action.LIST)
    assert flash.kind is OutcomeKind.FAILED and "ITEM_SECOND_KILL" in flash.code
    gone = Item(shop="tb-main", item_id=tid(sb, ONSALE, "tb-other"), stock=1)
    missing = await conn.set_status(gone, Action.DELIST)
    assert missing.kind is OutcomeKind.FAILED and "item-not-exist" in missing.code
    await conn.aclose()


async def test_an_unknown_refusal_is_read_back(sb: Sandbox) -> None:
    """Unknown isv wording: already in the target state -> already; otherwise failed."""

    async def refuse(request: httpx.Request) -> httpx.Response | None:
        if form_of(request)["method"] == "taobao.item.update.delisting":
            return json_response(
                {
                    "error_response": {
                        "code": 15,
                        "msg": "Remote service error",
                        "sub_code": "isv.item-delisting-service-error:SOMETHING_NEW",
                        "sub_msg": "新的错误",
                        "request_id": "r1",
                    }
                }
            )
        return None

    client = httpx.AsyncClient(transport=Tap(before=refuse))
    conn = top(sb, client=client)
    off = await item(conn, sb, OFF)
    assert (await conn.set_status(off, Action.DELIST)).kind is OutcomeKind.ALREADY
    live = await conn.set_status(await item(conn, sb, ONSALE), Action.DELIST)
    assert live.kind is OutcomeKind.FAILED and "SOMETHING_NEW" in live.code
    assert live.message and "新的错误" in live.message and live.request_id == "r1"
    await client.aclose()


# -- error mappings ---------------------------------------------------------------------------


async def test_expired_session_is_auth_expired(sb: Sandbox) -> None:
    sb.expire_token("tb-main")
    conn = top(sb)
    with pytest.raises(AuthExpired) as info:
        await collect(conn)
    await conn.aclose()
    assert info.value.code == "27:invalid-sessionkey"
    assert "shelf login tb-main" in info.value.message
    assert sb.credentials("tb-main")["access_token"] not in str(info.value)
    assert info.value.exit_code == 3


async def test_missing_session_is_auth_expired(sb: Sandbox) -> None:
    conn = top(sb, creds=creds_of(sb, "tb-main", access_token=""))
    with pytest.raises(AuthExpired) as info:
        await conn.get_items([tid(sb, ONSALE)])
    await conn.aclose()
    assert info.value.code == "26"


async def test_a_wrong_secret_is_a_rejected_signature(sb: Sandbox) -> None:
    conn = top(sb, creds=creds_of(sb, "tb-main", app_secret="wrong"))
    with pytest.raises(Rejected) as info:
        await conn.get_items([tid(sb, ONSALE)])
    await conn.aclose()
    assert info.value.code.startswith("25") and "signature" in info.value.message


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
async def test_every_sign_method_is_accepted(sb: Sandbox, sign_method: str) -> None:
    conn = top(sb, shop=shop_of(sb, "tb-main", sign_method=sign_method))
    assert tid(sb, ONSALE) in await conn.get_items([tid(sb, ONSALE)])
    await conn.aclose()


async def test_a_skewed_clock_is_a_rejected_timestamp(sb: Sandbox) -> None:
    conn = top(sb, clock=lambda: sb.clock.now() + 3600)
    with pytest.raises(Rejected) as info:
        await conn.get_items([tid(sb, ONSALE)])
    await conn.aclose()
    assert "clock" in info.value.message


async def test_the_daily_quota_is_quota_exhausted_until_gmt8_midnight(sb: Sandbox) -> None:
    sb.set_faults("quota=1/day")
    conn = top(sb)
    await conn.get_items([tid(sb, ONSALE)])
    with pytest.raises(QuotaExhausted) as info:
        await conn.set_status(await item(conn, sb, ONSALE), Action.DELIST)
    await conn.aclose()
    midnight = (int((FIXED_NOW + 8 * 3600) // 86400) + 1) * 86400 - 8 * 3600
    assert info.value.reset_at == datetime.fromtimestamp(midnight, UTC)


async def test_a_ban_is_rate_limited_with_its_seconds_and_holds_the_bucket(sb: Sandbox) -> None:
    conn = top(sb)
    target = await item(conn, sb, ONSALE)
    sb.set_faults("method_rate=1/s")
    await conn.set_status(await item(conn, sb, OFF), Action.DELIST)
    with pytest.raises(RateLimited) as info:
        await conn.set_status(target, Action.DELIST)
    assert info.value.retry_after == 1.0
    assert "limited-by-app-api-access-count" in info.value.code
    assert conn.throttle.blocked_until > conn.throttle._clock()  # the whole shop waits
    await conn.aclose()


async def test_reads_wait_out_bans_and_retry_transient_failures(sb: Sandbox) -> None:
    sb.set_faults("429=0.4,5xx=0.2")
    conn = top(sb)
    conn.read_attempts = 30
    items = await collect(conn)
    await conn.aclose()
    assert len({i.item_id for i in items}) == 60
    faults = {e.fault for e in sb.log(platform="taobao")}
    assert {"429", "5xx"} <= faults
    assert conn.throttle.fake.slept  # type: ignore[attr-defined]


async def test_backend_failures_are_transient(sb: Sandbox) -> None:
    sb.set_faults("5xx=1")
    conn = top(sb)
    kinds = set()
    for idx in range(8):
        with pytest.raises(Transient) as info:
            await conn.set_status(Item(shop="tb-main", item_id=tid(sb, idx)), Action.DELIST)
        kinds.add(info.value.code)
    await conn.aclose()
    assert any(k.startswith("15:isp.") for k in kinds) and any(k in ("502", "503") for k in kinds)


async def test_a_lost_answer_is_transient(sb: Sandbox) -> None:
    sb.set_faults("timeout=1,timeout_hold=5s")
    client = httpx.AsyncClient(timeout=0.3)
    conn = top(sb, client=client)
    with pytest.raises(Transient) as info:
        await conn.set_status(Item(shop="tb-main", item_id=tid(sb, ONSALE)), Action.DELIST)
    await client.aclose()
    assert info.value.code == "timeout" and "may or may not" in info.value.message


async def test_not_found_on_reads(sb: Sandbox) -> None:
    conn = top(sb)
    with pytest.raises(NotFound):
        await conn.promotion_rules(tid(sb, ONSALE, "tb-other"))
    await conn.aclose()


async def test_the_cap_of_every_isv_on_one_api_is_rate_limited(sb: Sandbox) -> None:
    """§1.7 limited-by-api-access-count: another app spent the API's capacity."""
    conn = top(sb)
    target = await item(conn, sb, ONSALE)
    sb.set_faults("api_rate=1/s")
    neighbour = top(sb, "tb-other")
    theirs = await item(neighbour, sb, ONSALE, "tb-other")
    assert (await neighbour.set_status(theirs, Action.DELIST)).kind is OutcomeKind.OK
    await neighbour.aclose()
    with pytest.raises(RateLimited) as info:
        await conn.set_status(target, Action.DELIST)
    await conn.aclose()
    assert info.value.code == "7:accesscontrol.limited-by-api-access-count"
    assert info.value.retry_after == 1.0
    assert sb.state(int(target.item_id)) == "onsale"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page_size": "201"}, "41:isv.invalid-parameter:page_size"),
        ({"fields": ""}, "40:isv.missing-parameter:fields"),
    ],
)
async def test_missing_and_invalid_arguments_are_rejected(
    sb: Sandbox, params: dict[str, str], code: str
) -> None:
    conn = top(sb)
    with pytest.raises(Rejected) as info:
        await conn.call("taobao.items.onsale.get", {"fields": "num_iid", **params})
    await conn.aclose()
    assert info.value.code == code
