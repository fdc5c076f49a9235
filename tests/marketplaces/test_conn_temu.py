"""The Temu connector against the sandbox over loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from connkit import EXPECTED, FIXED_NOW, Tap, creds_of, json_response, market

from shelf_tui.domain import Action, Item, OutcomeKind, Reason, Status
from shelf_tui.marketplaces import AuthExpired, RateLimited, Rejected, Transient
from shelf_tui.marketplaces.temu import TemuMarketplace
from shelf_tui.sandbox import Clock, Sandbox, ShopSpec

(
    LIVE,
    LIVE_PARTIAL,
    S2002,
    S2005,
    S2006,
    V3001,
    V3001_SERIOUS,
    OFF,
    OFF_ZERO,
    SOLD_OUT,
    HIGH_PRICE,
    S4001,
    S4002,
    S4003,
    S4004,
    DRAFT,
    DELETED,
    DELETED_PRICE,
    LIVE_ZERO,
) = range(19)


def gid(sb: Sandbox, idx: int, shop: str = "temu-us") -> str:
    return str(sb.catalog.shops[shop].id_of(idx))


def temu(sb: Sandbox, name: str = "temu-us", **kw: object) -> TemuMarketplace:
    conn = market(sb, name, **kw)
    assert isinstance(conn, TemuMarketplace)
    return conn


async def collect(conn: TemuMarketplace, since: datetime | None = None) -> list[Item]:
    out: list[Item] = []
    async for page in conn.iter_items(since):
        out.extend(page)
    return out


async def get(conn: TemuMarketplace, sb: Sandbox, idx: int) -> Item:
    return (await conn.get_items([gid(sb, idx)]))[gid(sb, idx)]


def bodies(tap: Tap, kind: str | None = None) -> list[dict[str, object]]:
    out = [json.loads(r.content) for r in tap.requests]
    return [b for b in out if kind is None or b["type"] == kind]


# -- sync -------------------------------------------------------------------------------------


async def test_full_sync_returns_every_goods_with_the_normalized_status(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = temu(sb, client=client)
    items = await collect(conn)
    await client.aclose()
    assert sorted(i.item_id for i in items) == sorted(str(x) for x in sb.ids("temu-us"))
    for it in items:
        assert (it.status, it.reason) == EXPECTED["temu"][sb.state(it.item_id)]
        assert it.raw_sub_status == sb.state(it.item_id)
    by_id = {i.item_id: i for i in items}
    assert by_id[gid(sb, S2002)].extra["warning"] == "need to supplement materials"
    assert by_id[gid(sb, LIVE_PARTIAL)].extra["skus_off"]
    serious = by_id[gid(sb, V3001_SERIOUS)]
    truth = sb.catalog.shops["temu-us"].violation(V3001_SERIOUS)
    assert truth is not None
    assert serious.deadline == datetime.fromtimestamp(truth.deadline_ms / 1000, UTC)
    sent = bodies(tap, "bg.local.goods.list.query")
    assert {b["goodsSearchType"] for b in sent} == {1, 4, 5, 6}
    assert all(b["pageSize"] == 100 for b in sent)
    assert all(len(str(b["timestamp"])) == 10 for b in sent)  # seconds (gotcha 18)


async def test_many_pages() -> None:
    spec = ShopSpec("temu-big", "temu", "Big Mall", 634418210009, region="us", currency="USD")
    with Sandbox(items=720, seed=2, clock=Clock(start=FIXED_NOW), shops=(spec,)) as big:
        client = httpx.AsyncClient(transport=(tap := Tap()))
        conn = temu(big, "temu-big", client=client)
        items = await collect(conn)
        await client.aclose()
        assert len({i.item_id for i in items}) == 720
        pages = [b["pageNo"] for b in bodies(tap) if b["goodsSearchType"] == 1]
        assert max(pages) >= 5  # type: ignore[type-var]


async def test_incremental_sync_asks_for_status_changes_since(sb: Sandbox) -> None:
    sb.set_stock(int(gid(sb, LIVE)), 0, auto=True)
    sb.violate(int(gid(sb, OFF)))
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = temu(sb, client=client)
    since = datetime.fromtimestamp(FIXED_NOW - 10, UTC)
    items = await collect(conn, since=since)
    await client.aclose()
    assert sorted(i.item_id for i in items) == sorted([gid(sb, LIVE), gid(sb, OFF)])
    by_id = {i.item_id: i for i in items}
    assert by_id[gid(sb, LIVE)].reason is Reason.SOLD_OUT
    assert by_id[gid(sb, OFF)].reason is Reason.VIOLATION
    sent = bodies(tap, "bg.local.goods.list.query")
    assert all(b["goodsStatusChangeTimeFrom"] == int((FIXED_NOW - 10) * 1000) for b in sent)


async def test_a_gateway_without_sub_statuses_is_asked_per_sub_status(sb: Sandbox) -> None:
    """§3.5: the connector must work when goods carry no goodsStatus/goodsSubStatus."""

    async def strip(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        doc = json.loads(response.content)
        result = doc.get("result")
        if isinstance(result, dict) and isinstance(result.get("goodsList"), list):
            for goods in result["goodsList"]:
                goods.pop("goodsStatus", None)
                goods.pop("goodsSubStatus", None)
        return json_response(doc)

    conn = temu(sb, client=httpx.AsyncClient(transport=Tap(after=strip)))
    items = await collect(conn)
    assert conn.reports_status is False
    assert sorted(i.item_id for i in items) == sorted(str(x) for x in sb.ids("temu-us"))
    for it in items:
        assert (it.status, it.reason) == EXPECTED["temu"][sb.state(it.item_id)]
    got = await conn.get_items([gid(sb, DRAFT), gid(sb, OFF)])
    assert got[gid(sb, DRAFT)].status is Status.DRAFT
    assert got[gid(sb, OFF)].reason is Reason.SELLER
    await conn.wire.client.aclose()


async def test_get_items_across_search_types(sb: Sandbox) -> None:
    conn = temu(sb)
    wanted = [gid(sb, i) for i in (LIVE, OFF, S4002, DRAFT, DELETED)]
    got = await conn.get_items([*wanted, gid(sb, LIVE, "temu-us-other"), "123"])
    await conn.aclose()
    assert sorted(got) == sorted(wanted)
    assert got[gid(sb, DELETED)].status is Status.DELETED


async def test_whoami_reports_mall_scopes_and_expiry(sb: Sandbox) -> None:
    conn = temu(sb)
    info = await conn.whoami()
    await conn.aclose()
    assert info.seller_id == str(sb.shop("temu-us").seller_id)
    assert "bg.local.goods.sale.status.set" in info.scopes
    expires = sb.credentials("temu-us")["expires_at"]
    assert info.expires_at == datetime.fromtimestamp(expires, UTC)


# -- actions ----------------------------------------------------------------------------------


async def test_delist_and_list_at_goods_level(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = temu(sb, client=client)
    out = await conn.set_status(await get(conn, sb, LIVE), Action.DELIST)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert (out.item.status, out.item.raw_sub_status) == (Status.INACTIVE, "3002")
    assert sb.state(int(gid(sb, LIVE))) == "3002"
    out = await conn.set_status(await get(conn, sb, OFF), Action.LIST)
    assert out.kind is OutcomeKind.OK and sb.state(int(gid(sb, OFF))) == "2001"
    await client.aclose()
    sent = bodies(tap, "bg.local.goods.sale.status.set")
    assert [(b["goodsId"], b["onsale"]) for b in sent] == [
        (int(gid(sb, LIVE)), 0),
        (int(gid(sb, OFF)), 1),
    ]
    assert all("skuIdList" not in b for b in sent)


async def test_sku_level_delist_when_asked(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = temu(sb, client=client)
    goods = await get(conn, sb, LIVE_PARTIAL)
    sku = goods.skus[0].sku_id
    out = await conn.set_sku_status(goods, Action.DELIST, [sku])
    await client.aclose()
    assert out.kind is OutcomeKind.OK
    assert bodies(tap, "bg.local.goods.sale.status.set")[0]["skuIdList"] == [int(sku)]
    assert 0 in sb.catalog.shops["temu-us"].sku_off[LIVE_PARTIAL]


async def test_preflight_refuses_what_temu_cannot_list(sb: Sandbox) -> None:
    conn = temu(sb)
    reasons = {
        idx: await conn.preflight(await get(conn, sb, idx), Action.LIST)
        for idx in (V3001, HIGH_PRICE, S4001, S4004, DRAFT, DELETED, OFF_ZERO, OFF)
    }
    assert "violation" in (reasons[V3001] or "")
    assert "high price" in (reasons[HIGH_PRICE] or "")
    assert "incomplete" in (reasons[S4001] or "") and "incomplete" in (reasons[S4004] or "")
    assert "draft" in (reasons[DRAFT] or "")
    assert "deleted" in (reasons[DELETED] or "")
    assert "no stock" in (reasons[OFF_ZERO] or "")
    assert reasons[OFF] is None
    assert await conn.preflight(await get(conn, sb, DRAFT), Action.DELIST) is not None
    await conn.aclose()


async def test_a_compliance_refusal_fails_the_item(sb: Sandbox) -> None:
    conn = temu(sb)
    out = await conn.set_status(await get(conn, sb, V3001), Action.LIST)
    await conn.aclose()
    assert out.kind is OutcomeKind.FAILED and out.code == "7000000"
    assert "compliance" in out.message
    assert sb.state(int(gid(sb, V3001))) == "3001"


async def test_an_unknown_business_refusal_is_read_back(sb: Sandbox) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response | None:
        if json.loads(request.content)["type"] == "bg.local.goods.sale.status.set":
            return json_response(
                {
                    "success": False,
                    "errorCode": 7000000,
                    "errorMsg": "something new",
                    "requestId": "us-1",
                    "result": None,
                }
            )
        return None

    client = httpx.AsyncClient(transport=Tap(before=refuse))
    conn = temu(sb, client=client)
    assert (await conn.set_status(await get(conn, sb, OFF), Action.DELIST)).kind is (
        OutcomeKind.ALREADY
    )
    failed = await conn.set_status(await get(conn, sb, LIVE), Action.DELIST)
    assert failed.kind is OutcomeKind.FAILED and failed.request_id == "us-1"
    await client.aclose()


# -- errors -----------------------------------------------------------------------------------


async def test_an_expired_token_is_auth_expired(sb: Sandbox) -> None:
    sb.expire_token("temu-us")
    conn = temu(sb)
    with pytest.raises(AuthExpired) as info:
        await conn.whoami()
    await conn.aclose()
    assert info.value.code == "3000034" and "shelf login temu-us" in info.value.message


async def test_a_missing_scope_is_auth_expired(sb: Sandbox) -> None:
    sb.set_scopes("temu-us", ["bg.local.goods.list.query", "bg.open.accesstoken.info.get"])
    conn = temu(sb)
    with pytest.raises(AuthExpired) as info:
        await conn.set_status(Item(shop="temu-us", item_id=gid(sb, LIVE)), Action.DELIST)
    await conn.aclose()
    assert info.value.code == "3000032" and "scope" in info.value.message


async def test_4000004_is_rate_limited(sb: Sandbox) -> None:
    sb.set_faults("rate=1/s")
    conn = temu(sb)
    await conn.set_status(Item(shop="temu-us", item_id=gid(sb, OFF)), Action.DELIST)
    with pytest.raises(RateLimited) as info:
        await conn.set_status(Item(shop="temu-us", item_id=gid(sb, LIVE)), Action.DELIST)
    await conn.aclose()
    assert info.value.code == "4000004" and info.value.retry_after == 1.0


async def test_system_exceptions_are_transient(sb: Sandbox) -> None:
    sb.set_faults("5xx=1")
    conn = temu(sb)
    codes = set()
    for idx in range(12):
        with pytest.raises(Transient) as info:
            await conn.set_status(Item(shop="temu-us", item_id=gid(sb, idx)), Action.DELIST)
        codes.add(info.value.code)
    await conn.aclose()
    assert "4000000" in codes and codes <= {"4000000", "150010002", "150010005"}


async def test_a_wrong_secret_is_a_rejected_signature(sb: Sandbox) -> None:
    conn = temu(sb, creds=creds_of(sb, "temu-us", app_secret="wrong"))
    with pytest.raises(Rejected) as info:
        await conn.whoami()
    await conn.aclose()
    assert info.value.code == "3000001" and "signature" in info.value.message


async def test_an_ip_outside_the_whitelist_is_named(sb: Sandbox) -> None:
    sb.block_ip("temu-us")
    conn = temu(sb)
    with pytest.raises(Rejected) as info:
        await conn.whoami()
    await conn.aclose()
    assert info.value.code == "5000003" and "IP whitelist" in info.value.message


async def test_a_skewed_clock_is_a_rejected_timestamp(sb: Sandbox) -> None:
    conn = temu(sb, clock=lambda: sb.clock.now() - 900)
    with pytest.raises(Rejected) as info:
        await conn.whoami()
    await conn.aclose()
    assert info.value.code == "3000012" and "clock" in info.value.message
