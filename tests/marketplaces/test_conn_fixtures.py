"""Documented success and error envelopes (tests/fixtures/<platform>/*.json, each naming its
platforms.md source) parse into the right items, outcomes and errors, offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from connkit import fake_throttle

from shelf_tui.auth import oauth
from shelf_tui.domain import Action, Item, OutcomeKind, Platform, Reason, Shop, Status
from shelf_tui.marketplaces import (
    AuthExpired,
    Credentials,
    MarketplaceError,
    NotFound,
    QuotaExhausted,
    RateLimited,
    Rejected,
    Transient,
    create,
)
from shelf_tui.marketplaces.connector import Connector

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOW = 1_790_000_000.0
SHOPS = {
    "top": Shop(
        name="tb",
        platform=Platform.TAOBAO,
        gateway="https://gw.invalid/router/rest",
        app_key="12345678",
    ),
    "mercadolibre": Shop(
        name="ml",
        platform=Platform.MERCADOLIBRE,
        site="MLA",
        gateway="https://api.invalid",
        app_key="1",
        seller_id="123456789",
    ),
    "temu": Shop(
        name="tm",
        platform=Platform.TEMU,
        region="us",
        gateway="https://temu.invalid/openapi/router",
        app_key="k",
    ),
}


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert doc["source"], f"{name} must name its source"
    return doc


def client_for(name: str) -> httpx.AsyncClient:
    doc = load(name)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(doc["status"], json=doc["body"], headers=doc["headers"])

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def offline(platform: str, name: str) -> Connector:
    conn = create(
        SHOPS[platform],
        Credentials(app_secret="secret", access_token="token"),
        client=client_for(name),
        throttle=fake_throttle(),
        clock=lambda: NOW,
    )
    assert isinstance(conn, Connector)
    conn.read_attempts = 1
    return conn


# -- TOP --------------------------------------------------------------------------------------


async def test_top_onsale_page_parses_into_items() -> None:
    conn = offline("top", "top/items_onsale_get.json")
    total, items = await conn._page("", None, int(NOW), 1)  # type: ignore[attr-defined]
    assert total == 2
    first = items[0]
    assert (first.item_id, first.status, first.reason, first.stock) == (
        "520000000001",
        Status.ACTIVE,
        Reason.NONE,
        12,
    )
    assert first.price == 89.0 and first.outer_id == "DRESS-01" and first.currency == "CNY"
    assert [s.sku_id for s in first.skus] == ["4100000001", "4100000002"]
    assert first.modified == datetime(2026, 9, 20, 2, 11, 12, tzinfo=UTC)  # GMT+8 -> UTC
    assert first.delisted_at is None  # an on-sale item's delist_time is its planned end


async def test_top_inventory_page_keeps_the_banner() -> None:
    conn = offline("top", "top/items_inventory_get_sold_out.json")
    _, (it,) = await conn._page("sold_out", None, int(NOW), 1)  # type: ignore[attr-defined]
    assert (it.status, it.reason, it.raw_status, it.raw_sub_status) == (
        Status.INACTIVE,
        Reason.SOLD_OUT,
        "instock",
        "sold_out",
    )


async def test_top_empty_page() -> None:
    conn = offline("top", "top/items_onsale_get_empty.json")
    assert await conn._page("", None, int(NOW), 1) == (0, [])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("top/item_update_delisting.json", Action.DELIST),
        ("top/item_update_listing.json", Action.LIST),
    ],
)
async def test_top_listing_and_delisting_succeed(name: str, action: Action) -> None:
    conn = offline("top", name)
    out = await conn.set_status(Item(shop="tb", item_id="520000000001", stock=3), action)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert out.item.status is action.target and out.request_id in ("d1", "l1")


async def test_top_promotion_rule_is_a_skip_with_message_and_end() -> None:
    conn = offline("top", "top/item_promotion_rule_get.json")
    reason = await conn.preflight(Item(shop="tb", item_id="1"), Action.DELIST)
    assert reason == (
        "promotion lock: 商品正在参加聚划算活动，活动期间不允许下架 (until 2026-10-05 00:00:00 GMT+8)"
    )


@pytest.mark.parametrize(
    ("name", "error", "code"),
    [
        ("top/error_27_invalid_session.json", AuthExpired, "27:invalid-sessionkey"),
        (
            "top/error_7_app_access_count.json",
            QuotaExhausted,
            "7:accesscontrol.limited-by-app-access-count",
        ),
        (
            "top/error_7_api_access_count.json",
            RateLimited,
            "7:accesscontrol.limited-by-api-access-count",
        ),
        ("top/error_50_isv_invalid_parameter.json", Rejected, "50:isv.invalid-parameter"),
        ("top/error_50_isp.json", Transient, "50:isp.remote-service-timeout"),
        ("top/error_15_isp.json", Transient, "15:isp.top-remote-connection-timeout"),
        ("top/error_11_ip_whitelist.json", Rejected, "11:isv.permission-ip-whitelist-limit"),
        ("top/error_25_signature.json", Rejected, "25"),
    ],
)
async def test_top_errors_map_to_typed_errors(name: str, error: type, code: str) -> None:
    conn = offline("top", name)
    with pytest.raises(MarketplaceError) as info:
        await conn.call("taobao.item.update.delisting", {"num_iid": "1"})  # type: ignore[attr-defined]
    assert type(info.value) is error
    assert info.value.code == code and info.value.request_id == "err1"
    if isinstance(info.value, QuotaExhausted):
        assert info.value.reset_at == datetime.fromtimestamp(NOW + 31062, UTC)
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 5.0


async def test_top_business_refusal_is_a_failed_outcome() -> None:
    conn = offline("top", "top/error_50_isv_invalid_parameter.json")
    out = await conn.set_status(Item(shop="tb", item_id="1"), Action.DELIST)
    assert (out.kind, out.code) == (OutcomeKind.FAILED, "50:isv.invalid-parameter")
    assert "非法参数" in out.message


# -- Mercado Libre ----------------------------------------------------------------------------


async def test_ml_multiget_parses_items_and_drops_404_entries() -> None:
    conn = offline("mercadolibre", "mercadolibre/multiget.json")
    got = await conn.get_items(["MLA1100000001", "MLA1"])
    (it,) = got.values()
    assert (it.item_id, it.status, it.reason, it.raw_sub_status) == (
        "MLA1100000001",
        Status.INACTIVE,
        Reason.SOLD_OUT,
        "out_of_stock",
    )
    assert (it.outer_id, it.currency, it.price) == ("VES-01", "ARS", 15999.5)
    assert it.skus[0].properties == "COLOR:Rojo" and it.skus[0].outer_id == "VES-01-R"
    assert it.modified == datetime(2026, 9, 20, 10, 0, tzinfo=UTC)


async def test_ml_put_200_is_ok_with_the_item() -> None:
    conn = offline("mercadolibre", "mercadolibre/put_active_200.json")
    out = await conn.set_status(Item(shop="ml", item_id="MLA1100000001"), Action.LIST)
    assert out.kind is OutcomeKind.OK and out.item is not None
    assert out.item.status is Status.ACTIVE and out.item.stock == 3


async def test_ml_400_cause_is_a_failed_outcome_with_the_message() -> None:
    conn = offline("mercadolibre", "mercadolibre/error_400_activate_without_stock.json")
    out = await conn.set_status(Item(shop="ml", item_id="MLA1100000001"), Action.LIST)
    assert (out.kind, out.code) == (OutcomeKind.FAILED, "400:item.status.invalid")
    assert "Is not possible to activate an item without stock." in out.message


async def test_ml_users_me_is_whoami() -> None:
    conn = offline("mercadolibre", "mercadolibre/users_me.json")
    info = await conn.whoami()
    assert (info.seller_id, info.nick, info.site) == ("123456789", "TIENDA_EJEMPLO", "MLA")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("mercadolibre/error_401.json", AuthExpired),
        ("mercadolibre/error_403.json", Rejected),
        ("mercadolibre/error_404.json", NotFound),
        ("mercadolibre/error_429.json", RateLimited),
        ("mercadolibre/error_500.json", Transient),
    ],
)
async def test_ml_errors_map_to_typed_errors(name: str, error: type) -> None:
    conn = offline("mercadolibre", name)
    with pytest.raises(MarketplaceError) as info:
        await conn.call("GET", "/items/MLA1", "GET /items/{id}")  # type: ignore[attr-defined]
    assert type(info.value) is error
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == 7.0  # Retry-After


async def test_ml_token_response_and_invalid_grant() -> None:
    shop = SHOPS["mercadolibre"]
    got = await oauth.refresh(
        shop, "s", "TG-old", client=client_for("mercadolibre/oauth_token.json"), clock=lambda: NOW
    )
    assert got.refresh_token.startswith("TG-5b90") and got.seller_id == "123456789"
    assert got.expires_at == datetime.fromtimestamp(NOW + 21600, UTC)
    assert "offline_access" in got.scopes
    with pytest.raises(AuthExpired) as info:
        await oauth.refresh(
            shop, "s", "TG-old", client=client_for("mercadolibre/oauth_invalid_grant.json")
        )
    assert "invalid_grant" in info.value.message and "TG-old" not in info.value.message


# -- Temu -------------------------------------------------------------------------------------


async def test_temu_goods_list_parses_sub_statuses() -> None:
    conn = offline("temu", "temu/goods_list_query.json")
    total, raws = await conn._query({"goodsSearchType": 1}, 1)  # type: ignore[attr-defined]
    items = [conn.item(g) for g in raws]  # type: ignore[attr-defined]
    assert total == 2
    assert (items[0].status, items[0].reason, items[0].raw_sub_status) == (
        Status.INACTIVE,
        Reason.VIOLATION,
        "3001",
    )
    assert items[0].skus[0].sku_id == "17592352673534"
    assert (items[1].status, items[1].extra["warning"]) == (
        Status.ACTIVE,
        "need to supplement materials",
    )


async def test_temu_sale_status_set_is_ok() -> None:
    conn = offline("temu", "temu/sale_status_set.json")
    out = await conn.set_status(Item(shop="tm", item_id="601099548666279"), Action.DELIST)
    assert out.kind is OutcomeKind.OK and out.item is not None and out.item.raw_sub_status == "3002"


async def test_temu_token_info_is_whoami() -> None:
    conn = offline("temu", "temu/accesstoken_info_get.json")
    info = await conn.whoami()
    assert info.seller_id == "634418210001" and len(info.scopes) == 2
    assert info.expires_at == datetime.fromtimestamp(1797000000, UTC)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("temu/error_3000034.json", AuthExpired),
        ("temu/error_3000032.json", AuthExpired),
        ("temu/error_4000004.json", RateLimited),
        ("temu/error_4000000.json", Transient),
        ("temu/error_150010002.json", Transient),
        ("temu/error_3000001.json", Rejected),
        ("temu/error_5000003.json", Rejected),
        ("temu/error_150010003.json", Rejected),
        ("temu/error_7000000_refused.json", Rejected),
    ],
)
async def test_temu_errors_map_to_typed_errors(name: str, error: type) -> None:
    conn = offline("temu", name)
    with pytest.raises(MarketplaceError) as info:
        await conn.call("bg.local.goods.sale.status.set", {"goodsId": 1, "onsale": 0})  # type: ignore[attr-defined]
    assert type(info.value) is error
    assert info.value.request_id == "us-20260921-1"
    if name.endswith("5000003.json"):
        assert "IP whitelist" in info.value.message


async def test_temu_known_refusal_is_a_failed_outcome_without_read_back() -> None:
    conn = offline("temu", "temu/error_7000000_refused.json")
    out = await conn.set_status(Item(shop="tm", item_id="1"), Action.LIST)
    assert (out.kind, out.code) == (OutcomeKind.FAILED, "7000000")
    assert "compliance" in out.message
