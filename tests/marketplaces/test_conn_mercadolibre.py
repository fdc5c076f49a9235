"""The Mercado Libre connector against the sandbox over loopback."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from connkit import EXPECTED, FIXED_NOW, Tap, creds_of, json_response, market

from shelf_tui.domain import Action, Item, OutcomeKind, Reason, Status
from shelf_tui.marketplaces import AuthExpired, Credentials, RateLimited, Transient
from shelf_tui.marketplaces.mercadolibre import MercadoLibreMarketplace
from shelf_tui.sandbox import Clock, Sandbox, ShopSpec

(
    ACTIVE,
    ACTIVE_VAR,
    ACTIVE_ZERO,
    PAUSED,
    PAUSED_ZERO,
    OOS,
    OOS_VAR,
    MODERATION,
    FORBIDDEN,
    HELD,
    WFP,
    SUSPENDED,
    FREEZED,
    CLOSED,
    UNDER_REVIEW,
) = range(15)


def mid(sb: Sandbox, idx: int, shop: str = "ml-mx") -> str:
    return f"MLM{sb.catalog.shops[shop].id_of(idx)}"


def ml(sb: Sandbox, name: str = "ml-mx", **kw: object) -> MercadoLibreMarketplace:
    conn = market(sb, name, **kw)
    assert isinstance(conn, MercadoLibreMarketplace)
    return conn


async def collect(conn: MercadoLibreMarketplace, since: datetime | None = None) -> list[Item]:
    out: list[Item] = []
    async for page in conn.iter_items(since):
        out.extend(page)
    return out


async def get(conn: MercadoLibreMarketplace, sb: Sandbox, idx: int) -> Item:
    return (await conn.get_items([mid(sb, idx)]))[mid(sb, idx)]


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


# -- sync -------------------------------------------------------------------------------------


async def test_full_sync_scans_and_multigets_every_item(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = ml(sb, client=client)
    items = await collect(conn)
    await client.aclose()
    assert sorted(i.item_id for i in items) == sorted(str(x) for x in sb.ids("ml-mx"))
    for it in items:
        assert (it.status, it.reason) == EXPECTED["mercadolibre"][sb.state(it.item_id)]
        assert it.currency == "MXN"
        assert it.modified is not None
    searches = [query(r) for r in tap.requests if r.url.path.endswith("/items/search")]
    assert searches and all(
        q["search_type"] == ["scan"] and q["limit"] == ["100"] for q in searches
    )
    multigets = [query(r)["ids"][0].split(",") for r in tap.requests if r.url.path == "/items"]
    assert multigets and max(len(ids) for ids in multigets) == 20
    assert all(r.headers["authorization"].startswith("Bearer ") for r in tap.requests)
    by_id = {i.item_id: i for i in items}
    assert by_id[mid(sb, FORBIDDEN)].raw_sub_status == "forbidden"
    assert by_id[mid(sb, MODERATION)].raw_sub_status == "moderation_penalty"
    assert len(by_id[mid(sb, ACTIVE_VAR)].skus) == 3


async def test_more_than_1000_items_come_through_the_scan() -> None:
    """Gotcha 14: offset paging stops silently at 1,000; scan + scroll does not."""
    spec = ShopSpec("ml-big", "mercadolibre", "BIG", 1500000009, site="MLM", currency="MXN")
    with Sandbox(items=1_450, seed=5, clock=Clock(start=FIXED_NOW), shops=(spec,)) as big:
        conn = ml(big, "ml-big")
        items = await collect(conn)
        await conn.aclose()
        assert len({i.item_id for i in items}) == 1_450


async def test_an_expired_scroll_is_scanned_again(sb: Sandbox) -> None:
    sb.set_limits(ml_scroll_ttl=60)
    seen: list[str] = []

    async def age(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/items/search"):
            seen.append(str(response.status_code))
            if len(seen) == 1:
                sb.advance(120)  # the scroll expires before the next page is asked for
        return response

    client = httpx.AsyncClient(transport=Tap(after=age))
    conn = ml(sb, client=client)
    conn.scan_limit = 20  # three scroll pages for 60 items
    items = await collect(conn)
    await client.aclose()
    assert "400" in seen
    assert len({i.item_id for i in items}) == 60


async def test_incremental_sync_reads_newest_first_and_stops(sb: Sandbox) -> None:
    sb.set_stock(mid(sb, ACTIVE), 0, auto=True)
    sb.set_status(mid(sb, PAUSED), "active")
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = ml(sb, client=client)
    items = await collect(conn, since=datetime.fromtimestamp(FIXED_NOW - 10, UTC))
    await client.aclose()
    assert sorted(i.item_id for i in items) == sorted([mid(sb, ACTIVE), mid(sb, PAUSED)])
    by_id = {i.item_id: i for i in items}
    assert (by_id[mid(sb, ACTIVE)].status, by_id[mid(sb, ACTIVE)].reason) == (
        Status.INACTIVE,
        Reason.SOLD_OUT,
    )
    searches = [query(r) for r in tap.requests if r.url.path.endswith("/items/search")]
    assert searches == [
        {"orders": ["last_updated_desc"], "offset": ["0"], "limit": ["50"]}
    ]  # one page was enough: no scan


async def test_incremental_beyond_the_offset_window_falls_back_to_the_scan(sb: Sandbox) -> None:
    sb.set_limits(ml_offset_window=10)
    for idx in range(15, 30):
        sb.set_price(mid(sb, idx), "99.90")
    conn = ml(sb)
    conn.offset_window = 10
    items = await collect(conn, since=datetime.fromtimestamp(FIXED_NOW - 10, UTC))
    await conn.aclose()
    ids = {i.item_id for i in items}
    assert {mid(sb, i) for i in range(15, 30)} <= ids
    assert len(ids) == 60  # the scan returned everything; the sync keeps only real changes


async def test_get_items_omits_unknown_and_other_sellers(sb: Sandbox) -> None:
    conn = ml(sb)
    got = await conn.get_items([mid(sb, ACTIVE), mid(sb, ACTIVE, "ml-mx-other"), "MLM1"])
    await conn.aclose()
    assert list(got) == [mid(sb, ACTIVE)]


async def test_whoami(sb: Sandbox) -> None:
    conn = ml(sb)
    info = await conn.whoami()
    await conn.aclose()
    assert (info.seller_id, info.nick, info.site) == ("1500000001", "SANDBOX_MX", "MLM")


# -- actions ----------------------------------------------------------------------------------


async def test_delist_pauses_list_activates_close_only_when_asked(sb: Sandbox) -> None:
    client = httpx.AsyncClient(transport=(tap := Tap()))
    conn = ml(sb, client=client)
    out = await conn.set_status(await get(conn, sb, ACTIVE), Action.DELIST)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert (out.item.status, out.item.reason) == (Status.INACTIVE, Reason.SELLER)
    assert sb.state(mid(sb, ACTIVE)) == "paused"
    out = await conn.set_status(await get(conn, sb, PAUSED), Action.LIST)
    assert out.kind is OutcomeKind.OK and sb.state(mid(sb, PAUSED)) == "active"
    out = await conn.set_status(await get(conn, sb, ACTIVE_VAR), Action.CLOSE)
    assert out.kind is OutcomeKind.OK and sb.state(mid(sb, ACTIVE_VAR)) == "closed"
    await client.aclose()
    bodies = [json.loads(r.content) for r in tap.requests if r.method == "PUT"]
    assert bodies == [{"status": "paused"}, {"status": "active"}, {"status": "closed"}]


async def test_preflight_knows_ml_refusals(sb: Sandbox) -> None:
    conn = ml(sb)
    closed = await get(conn, sb, CLOSED)
    for action in (Action.LIST, Action.DELIST):
        assert "closed is final" in (await conn.preflight(closed, action) or "")
    assert "no stock" in (await conn.preflight(await get(conn, sb, PAUSED_ZERO), Action.LIST) or "")
    assert "moderation" in (await conn.preflight(await get(conn, sb, FORBIDDEN), Action.LIST) or "")
    assert "review" in (
        await conn.preflight(await get(conn, sb, UNDER_REVIEW), Action.DELIST) or ""
    )
    for idx in (PAUSED, WFP, MODERATION):
        assert await conn.preflight(await get(conn, sb, idx), Action.LIST) is None
    await conn.aclose()


async def test_400_causes_fail_the_item_with_their_messages(sb: Sandbox) -> None:
    conn = ml(sb)
    no_stock = await conn.set_status(await get(conn, sb, PAUSED_ZERO), Action.LIST)
    assert no_stock.kind is OutcomeKind.FAILED
    assert no_stock.code == "400:item.status.invalid"
    assert "without stock" in no_stock.message
    closed = await conn.set_status(await get(conn, sb, CLOSED), Action.LIST)
    assert closed.code == "400:item.status.closed"
    foreign = Item(shop="ml-mx", item_id=mid(sb, ACTIVE, "ml-mx-other"))
    assert (await conn.set_status(foreign, Action.DELIST)).code.startswith("403")
    missing = await conn.set_status(Item(shop="ml-mx", item_id="MLM1"), Action.DELIST)
    assert missing.kind is OutcomeKind.FAILED and missing.code.startswith("404")
    await conn.aclose()


async def test_an_unknown_400_is_read_back(sb: Sandbox) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            body = {
                "message": "Validation error",
                "error": "validation_error",
                "status": 400,
                "cause": [{"code": "item.something.new", "message": "nuevo"}],
            }
            return json_response(body, 400)
        return None

    client = httpx.AsyncClient(transport=Tap(before=refuse))
    conn = ml(sb, client=client)
    assert (await conn.set_status(await get(conn, sb, PAUSED), Action.DELIST)).kind is (
        OutcomeKind.ALREADY
    )
    failed = await conn.set_status(await get(conn, sb, ACTIVE), Action.DELIST)
    assert failed.kind is OutcomeKind.FAILED and failed.message.startswith("mercadolibre")
    assert "nuevo" in failed.message
    await client.aclose()


# -- tokens and errors ------------------------------------------------------------------------


async def test_401_without_a_refresher_is_auth_expired(sb: Sandbox) -> None:
    sb.expire_token("ml-mx")
    conn = ml(sb)
    with pytest.raises(AuthExpired) as info:
        await conn.whoami()
    await conn.aclose()
    assert "shelf login ml-mx" in info.value.message
    assert info.value.exit_code == 3


async def test_twenty_concurrent_401s_refresh_once(sb: Sandbox) -> None:
    calls = 0
    fresh = sb.issue_token("ml-mx")

    async def refresher(stale: Credentials) -> Credentials:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)  # let every request hit its 401 meanwhile
        return stale.with_tokens(fresh["access_token"], fresh["refresh_token"])

    conn = ml(sb, refresher=refresher)
    sb.expire_token(sb.credentials("ml-mx")["access_token"])
    results = await asyncio.gather(*(conn.get_items([mid(sb, i)]) for i in range(20)))
    await conn.aclose()
    assert calls == 1 and conn.refreshes == 1
    assert all(len(r) == 1 for r in results)


async def test_a_token_known_to_expire_is_refreshed_before_use(sb: Sandbox) -> None:
    fresh = sb.issue_token("ml-mx")
    calls = []

    async def refresher(stale: Credentials) -> Credentials:
        calls.append(stale.expires_at)
        return stale.with_tokens(fresh["access_token"], fresh["refresh_token"])

    soon = datetime.fromtimestamp(FIXED_NOW, UTC) + timedelta(seconds=30)
    conn = ml(sb, refresher=refresher, creds=creds_of(sb, "ml-mx", expires_at=soon))
    await conn.whoami()
    await conn.aclose()
    assert calls == [soon]
    assert not [e for e in sb.log(platform="mercadolibre") if e.outcome == "401"]


async def test_429_is_rate_limited_with_retry_after(sb: Sandbox) -> None:
    conn = ml(sb)
    target, first = await get(conn, sb, ACTIVE), await get(conn, sb, PAUSED)
    sb.set_faults("rate=1/s")
    await conn.set_status(first, Action.DELIST)  # spends the one token
    with pytest.raises(RateLimited) as info:
        await conn.set_status(target, Action.DELIST)
    await conn.aclose()
    assert info.value.retry_after == 1.0 and info.value.code.startswith("429")


async def test_5xx_is_transient(sb: Sandbox) -> None:
    sb.set_faults("5xx=1")
    conn = ml(sb)
    with pytest.raises(Transient):
        await conn.set_status(Item(shop="ml-mx", item_id=mid(sb, ACTIVE)), Action.DELIST)
    await conn.aclose()
    assert sb.state(mid(sb, ACTIVE)) == "active"
