"""Temu router: envelope codes of §3.7, goods queries of §3.5, sale status rules of §3.6."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sandbox_client import TemuClient, temu_sign

from shelf_tui.sandbox import Sandbox

(
    A2001,
    A2001_PARTIAL,
    A2002,
    A2005,
    A2006,
    V3001,
    V3001_SERIOUS,
    S3002,
    S3002_ZERO,
    S3003,
    S3004,
    I4001,
    I4002,
    I4003,
    I4004,
    D5001,
    X6001,
    X6002,
    A2001_ZERO,
) = range(19)
LIST = "bg.local.goods.list.query"
SET = "bg.local.goods.sale.status.set"


def gid(sb: Sandbox, idx: int, shop: str = "temu-us") -> int:
    return sb.catalog.shops[shop].id_of(idx)


def code(data: dict[str, Any]) -> int:
    assert data["success"] is (data["errorCode"] == 1000000)
    assert data["requestId"].startswith("us-")
    result: int = data["errorCode"]
    return result


# -- gateway -----------------------------------------------------------------------------------


def test_success_envelope(temu: TemuClient) -> None:
    data = temu.call("bg.open.accesstoken.info.get")
    assert code(data) == 1000000
    assert data["errorMsg"] == ""
    result = data["result"]
    assert result["mallId"] == temu.sb.shop("temu-us").seller_id
    assert LIST in result["apiScopeList"]
    assert result["expiredTime"] > temu.sb.clock.now()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": None}, 3000002),
        ({"type": "bg.nothing"}, 3000003),
        ({"app_key": None}, 3000019),
        ({"app_key": "0" * 32}, 3000020),
        ({"timestamp": None}, 3000010),
        ({"timestamp": "soon"}, 3000011),
        ({"timestamp": 1790000000000}, 3000011),  # milliseconds are not seconds (gotcha 18)
        ({"data_type": "XML"}, 3000013),
        ({"access_token": None}, 3000030),
        ({"access_token": "nope"}, 3000031),
    ],
)
def test_gateway_error_codes(temu: TemuClient, change: dict[str, Any], expected: int) -> None:
    body = temu.body(LIST, pageNo=1, pageSize=1, goodsSearchType=1)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    assert code(temu.send(body)) == expected


def test_stale_timestamp_is_3000012(temu: TemuClient) -> None:
    body = temu.body(LIST, pageNo=1, pageSize=1, goodsSearchType=1)
    body["timestamp"] = int(temu.sb.clock.now()) - 301
    assert code(temu.send(body)) == 3000012
    body["timestamp"] = int(temu.sb.clock.now()) - 299
    assert code(temu.send(body)) == 1000000


def test_wrong_and_missing_sign(temu: TemuClient) -> None:
    body = temu.body(LIST, pageNo=1, pageSize=1, goodsSearchType=1)
    assert code(temu.send(dict(body), secret="x" * 40)) == 3000001
    assert code(temu.send(dict(body), sign=False)) == 3000040


def test_sign_covers_nested_values_in_the_order_sent(temu: TemuClient, http: httpx.Client) -> None:
    sb = temu.sb
    body = temu.body(
        LIST,
        pageNo=1,
        pageSize=5,
        goodsSearchType=1,
        goodsIdList=[gid(sb, A2001), gid(sb, S3002)],
        searchText="",
    )
    body["sign"] = temu_sign(body, temu.creds["app_secret"])
    resp = http.post(sb.info["temu"], content=json.dumps(body).encode())
    assert resp.json()["errorCode"] == 1000000
    tampered = json.dumps({**body, "goodsIdList": [gid(sb, S3002), gid(sb, A2001)]}).encode()
    assert http.post(sb.info["temu"], content=tampered).json()["errorCode"] == 3000001


def test_bad_bodies_are_3000000(temu: TemuClient, http: httpx.Client) -> None:
    assert http.post(temu.sb.info["temu"], content=b"{not json").json()["errorCode"] == 3000000
    assert http.post(temu.sb.info["temu"], content=b"[1]").json()["errorCode"] == 3000000
    assert http.get(temu.sb.info["temu"]).json()["errorCode"] == 3000000


def test_token_of_another_app_is_3000033_and_expired_is_3000034(
    sb: Sandbox, temu: TemuClient
) -> None:
    temu.token = sb.credentials("temu-us-other")["access_token"]
    assert code(temu.call("bg.open.accesstoken.info.get")) == 3000033
    temu.token = sb.credentials("temu-us")["access_token"]
    sb.expire_token("temu-us")
    data = temu.call("bg.open.accesstoken.info.get")
    assert code(data) == 3000034
    assert "expired" in data["errorMsg"]


def test_token_lifetime_runs_out_on_the_clock(sb: Sandbox, temu: TemuClient) -> None:
    sb.advance(90 * 86400)
    assert code(temu.call("bg.open.accesstoken.info.get")) == 3000034


def test_missing_scope_is_3000032(sb: Sandbox, temu: TemuClient) -> None:
    sb.set_scopes("temu-us", [LIST, "bg.open.accesstoken.info.get"])
    assert code(temu.call(SET, goodsId=gid(sb, A2001), onsale=0)) == 3000032
    assert code(temu.call(LIST, pageNo=1, pageSize=1, goodsSearchType=1)) == 1000000


def test_ip_whitelist_is_5000003(sb: Sandbox, temu: TemuClient) -> None:
    sb.block_ip("temu-us")
    assert code(temu.call("bg.open.accesstoken.info.get")) == 5000003
    sb.block_ip("temu-us", False)
    assert code(temu.call("bg.open.accesstoken.info.get")) == 1000000


# -- goods list --------------------------------------------------------------------------------


def test_list_query_result_shape(temu: TemuClient) -> None:
    sb = temu.sb
    result = temu.call(LIST, pageNo=1, pageSize=3, goodsSearchType=1)["result"]
    assert result["pageNo"] == 1
    listed = [
        i
        for s in ("2001", "2002", "2005", "2006", "3001", "3002", "3003", "3004")
        for i in sb.ids("temu-us", s)
    ]
    assert result["total"] == len(listed)
    goods = result["goodsList"][0]
    assert {
        "goodsId",
        "goodsName",
        "outGoodsSn",
        "catId",
        "price",
        "currency",
        "quantity",
        "skuInfoList",
        "goodsStatus",
        "goodsSubStatus",
        "goodsStatusChangeTime",
        "crtTime",
    } <= goods.keys()
    assert goods["goodsStatus"] == goods["goodsSubStatus"] // 1000
    assert goods["currency"] == "USD"
    assert sum(s["quantity"] for s in goods["skuInfoList"]) == goods["quantity"]


def test_page_size_is_capped_at_100_and_paging_is_required(temu: TemuClient) -> None:
    assert code(temu.call(LIST, pageNo=1, pageSize=101, goodsSearchType=1)) == 150010003
    assert code(temu.call(LIST, pageSize=10, goodsSearchType=1)) == 150010003
    assert code(temu.call(LIST, pageNo=1, pageSize=10)) == 150010003  # no status filter at all
    assert code(temu.call(LIST, pageNo=1, pageSize=100, goodsSearchType=1)) == 1000000


@pytest.mark.parametrize(
    ("filters", "firsts"),
    [
        ({"goodsSearchType": 1}, {2, 3}),
        ({"goodsSearchType": 4}, {4}),
        ({"goodsSearchType": 5}, {5}),
        ({"goodsSearchType": 6}, {6}),
        ({"goodsStatusFilterType": 2}, {2}),
        ({"goodsStatusFilterType": 3}, {3}),
    ],
)
def test_status_filters(temu: TemuClient, filters: dict[str, int], firsts: set[int]) -> None:
    sb = temu.sb
    result = temu.call(LIST, pageNo=1, pageSize=100, **filters)["result"]
    expected = {
        i
        for s in (
            "2001",
            "2002",
            "2005",
            "2006",
            "3001",
            "3002",
            "3003",
            "3004",
            "4001",
            "4002",
            "4003",
            "4004",
            "5001",
            "6001",
            "6002",
        )
        if int(s[0]) in firsts
        for i in sb.ids("temu-us", s)
    }
    assert {g["goodsId"] for g in result["goodsList"]} == expected


def test_sub_status_filter_and_id_list(temu: TemuClient) -> None:
    sb = temu.sb
    result = temu.call(
        LIST, pageNo=1, pageSize=100, goodsSearchType=1, goodsSubStatusFilterType=3001
    )["result"]
    assert {g["goodsId"] for g in result["goodsList"]} == set(sb.ids("temu-us", "3001"))
    theirs = gid(sb, A2001, "temu-us-other")
    result = temu.call(
        LIST, pageNo=1, pageSize=10, goodsSearchType=1, goodsIdList=[gid(sb, A2001), theirs]
    )["result"]
    assert [g["goodsId"] for g in result["goodsList"]] == [gid(sb, A2001)]


def test_violation_goods_carry_a_deadline(temu: TemuClient) -> None:
    sb = temu.sb
    result = temu.call(
        LIST,
        pageNo=1,
        pageSize=10,
        goodsSearchType=1,
        goodsIdList=[gid(sb, V3001), gid(sb, V3001_SERIOUS)],
    )["result"]
    normal, serious = result["goodsList"]
    for goods, hours in ((normal, 72), (serious, 24)):
        v = goods["violation"]
        assert v["rectifyDeadline"] - v["delistedAt"] == hours * 3_600_000


def test_change_time_filter_is_an_incremental_sync(temu: TemuClient) -> None:
    sb = temu.sb
    since = int(sb.clock.now() * 1000)
    sb.advance(3)
    assert code(temu.call(SET, goodsId=gid(sb, A2001), onsale=0)) == 1000000
    result = temu.call(
        LIST, pageNo=1, pageSize=100, goodsSearchType=1, goodsStatusChangeTimeFrom=since
    )["result"]
    assert [(g["goodsId"], g["goodsSubStatus"]) for g in result["goodsList"]] == [
        (gid(sb, A2001), 3002)
    ]
    assert result["goodsList"][0]["goodsStatusChangeTime"] == int(sb.clock.now() * 1000)


def test_creation_time_filters_are_milliseconds(temu: TemuClient) -> None:
    """Gotcha 18: seconds passed as crtFrom match everything since 1970."""
    sb = temu.sb
    now_s = int(sb.clock.now())
    everything = temu.call(LIST, pageNo=1, pageSize=100, goodsSearchType=1, crtFrom=now_s - 86400)[
        "result"
    ]
    total = temu.call(LIST, pageNo=1, pageSize=100, goodsSearchType=1)["result"]["total"]
    assert everything["total"] == total
    recent = temu.call(
        LIST, pageNo=1, pageSize=100, goodsSearchType=1, crtFrom=(now_s - 30 * 86400) * 1000
    )["result"]
    assert recent["total"] < total
    assert all(g["crtTime"] >= (now_s - 30 * 86400) * 1000 for g in recent["goodsList"])


def test_search_text_and_ordering(temu: TemuClient) -> None:
    result = temu.call(LIST, pageNo=1, pageSize=100, goodsSearchType=1, searchText="<script>")[
        "result"
    ]
    assert [g["goodsName"] for g in result["goodsList"]] == [
        "<script>alert(1)</script> &amp; &lt;b&gt;"
    ]
    ordered = temu.call(
        LIST, pageNo=1, pageSize=100, goodsSearchType=1, orderField="quantity", orderType=1
    )["result"]["goodsList"]
    assert [g["quantity"] for g in ordered] == sorted(g["quantity"] for g in ordered)
    assert (
        code(temu.call(LIST, pageNo=1, pageSize=1, goodsSearchType=1, orderField="colour"))
        == 150010003
    )


def test_detail_query_and_others_goods(temu: TemuClient) -> None:
    sb = temu.sb
    detail = temu.call("bg.local.goods.detail.query", goodsId=gid(sb, S3003))["result"]
    assert (detail["goodsSubStatus"], detail["quantity"]) == (3003, 0)
    theirs = gid(sb, A2001, "temu-us-other")
    assert code(temu.call("bg.local.goods.detail.query", goodsId=theirs)) == 150010003
    assert code(temu.call("bg.local.goods.detail.query")) == 150010003


# -- sale status -----------------------------------------------------------------------------------


def test_delisting_makes_3002_and_listing_brings_it_back(temu: TemuClient) -> None:
    sb = temu.sb
    item = gid(sb, A2001)
    data = temu.call(SET, goodsId=item, onsale=0, operationType=1)
    assert data["result"] == {"success": True}
    assert sb.state(item) == "3002"
    assert code(temu.call(SET, goodsId=item, onsale=1)) == 1000000
    assert sb.state(item) == "2001"
    assert sb.changes(item) == 2


@pytest.mark.parametrize(
    "row", [V3001, S3004, D5001, I4001, I4002, I4003, I4004, X6001, X6002, S3002_ZERO, S3003]
)
def test_listing_is_refused_for_compliance_drafts_incomplete_deleted_and_zero_stock(
    temu: TemuClient, row: int
) -> None:
    """Gotcha 20 (and no listing at 0 stock)."""
    sb = temu.sb
    before = sb.state(gid(sb, row))
    data = temu.call(SET, goodsId=gid(sb, row), onsale=1)
    assert code(data) == 7000000
    assert data["errorMsg"].startswith("BUSINESS_SERVICE_ERROR")
    assert sb.state(gid(sb, row)) == before


def test_delisting_drafts_and_deleted_is_refused(temu: TemuClient) -> None:
    for row in (D5001, X6001, I4002):
        assert code(temu.call(SET, goodsId=gid(temu.sb, row), onsale=0)) == 7000000


def test_same_state_is_a_no_op_success(temu: TemuClient) -> None:
    sb = temu.sb
    before = sb.item(gid(sb, S3002))["goodsStatusChangeTime"]
    assert code(temu.call(SET, goodsId=gid(sb, S3002), onsale=0)) == 1000000
    assert sb.item(gid(sb, S3002))["goodsStatusChangeTime"] == before
    assert sb.state(gid(sb, V3001)) == "3001"
    assert code(temu.call(SET, goodsId=gid(sb, V3001), onsale=0)) == 1000000
    assert sb.state(gid(sb, V3001)) == "3001"  # a compliance delist stays a compliance delist


def test_sku_level_delisting_and_listing(temu: TemuClient) -> None:
    sb = temu.sb
    item = gid(sb, A2001_PARTIAL)
    skus = [s["skuId"] for s in sb.item(item)["skuInfoList"]]
    assert [s["skuStatus"] for s in sb.item(item)["skuInfoList"]] == [2, 2, 3]
    assert code(temu.call(SET, goodsId=item, onsale=0, skuIdList=[skus[0]])) == 1000000
    assert sb.state(item) == "2001"
    assert [s["skuStatus"] for s in sb.item(item)["skuInfoList"]] == [3, 2, 3]
    assert code(temu.call(SET, goodsId=item, onsale=0, skuIdList=[skus[1]])) == 1000000
    assert sb.state(item) == "3002"  # every SKU is off: the goods is off
    assert code(temu.call(SET, goodsId=item, onsale=1, skuIdList=[skus[2]])) == 1000000
    assert sb.state(item) == "2001"
    assert [s["skuStatus"] for s in sb.item(item)["skuInfoList"]] == [3, 3, 2]
    assert code(temu.call(SET, goodsId=item, onsale=0, skuIdList=[1])) == 150010003


def test_sale_status_argument_errors(temu: TemuClient) -> None:
    sb = temu.sb
    assert code(temu.call(SET, goodsId=gid(sb, A2001))) == 150010003
    assert code(temu.call(SET, goodsId=gid(sb, A2001), onsale=2)) == 150010003
    assert code(temu.call(SET, onsale=0)) == 150010003
    assert code(temu.call(SET, goodsId=gid(sb, A2001, "temu-us-other"), onsale=0)) == 150010003
    assert sb.state(gid(sb, A2001, "temu-us-other")) == "2001"


def test_access_token_create_from_a_code(sb: Sandbox, temu: TemuClient) -> None:
    code_value = sb.issue_code("temu-us")
    temu.token = code_value  # "on the first call access_token equals code" (§3.4)
    data = temu.call("bg.open.accesstoken.create", code=code_value)
    result = data["result"]
    assert (result["mallId"], result["regionId"]) == (sb.shop("temu-us").seller_id, 211)
    assert {
        "accessToken",
        "expiredTime",
        "apiScopeList",
        "appSubscribeEventCodeList",
        "mallType",
        "associatedMallTokenList",
    } <= result.keys()
    assert code(temu.call("bg.open.accesstoken.create", code=code_value)) == 110020003
    assert code(temu.call("bg.open.accesstoken.create", code="unknown")) == 110020001
    late = sb.issue_code("temu-us")
    sb.advance(601)
    temu.token = late
    assert code(temu.call("bg.open.accesstoken.create", code=late)) == 110020002
    temu.token = result["accessToken"]
    assert code(temu.call("bg.open.accesstoken.info.get")) == 1000000  # the exchanged token works
