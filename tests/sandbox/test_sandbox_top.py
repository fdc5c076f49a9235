"""TOP router: gateway checks, error codes of §1.7, methods of §1.5-1.6 and their rules."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sandbox_client import TopClient, gmt8, top_error, top_sign

from shelf_tui.sandbox import Rule, Sandbox

FIELDS = "num_iid,title,num,approve_status,modified,price,outer_id,list_time,delist_time"


def tid(sb: Sandbox, idx: int, shop: str = "tb-main") -> int:
    """Id of showcase row `idx` (see catalog._TOP_SHOWCASE)."""
    return sb.catalog.shops[shop].id_of(idx)


ONSALE, ONSALE_SKU, LOCK_NOW, LOCK_FUTURE, LOCK_PAST, LOCK_STOCK, FLASH_ON = range(7)
OFF, OFF_ZERO, OFF_ZERO_SKU, FLASH_OFF, REGULAR, SOLD_OUT, SOLD_OUT_SKU = range(7, 14)
VIOLATION, VIOLATION_SERIOUS, NEVER, ONSALE_ZERO = range(14, 18)


# -- gateway checks ---------------------------------------------------------------------------


def test_a_signed_call_succeeds_with_every_sign_method(top: TopClient) -> None:
    for method in ("md5", "hmac", "hmac-sha256"):
        resp = top.raw(
            "taobao.item.seller.get",
            {"num_iid": tid(top.sb, 0), "fields": "num_iid"},
            sign_method=method,
        )
        assert "item_seller_get_response" in resp.json(), method


def test_official_sdk_request_shape_is_accepted(top: TopClient, http: httpx.Client) -> None:
    """§1.1-1.2: system params in the query, business in the body, ms timestamp, partner_id."""
    system = top.system(
        "taobao.item.update.delisting",
        timestamp=int(top.sb.clock.now() * 1000),
        partner_id="top-sdk-python-20200924",
    )
    business = {"num_iid": str(tid(top.sb, ONSALE))}
    system["sign"] = top_sign({**system, **business}, top.creds["app_secret"])
    resp = http.post(
        top.sb.info["top"],
        params=system,
        data=business,
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
    )
    assert resp.json()["item_update_delisting_response"]["item"]["num_iid"] == tid(top.sb, ONSALE)


def test_get_requests_are_served(top: TopClient) -> None:
    resp = top.raw(
        "taobao.item.seller.get", {"num_iid": tid(top.sb, 0), "fields": "title"}, verb="GET"
    )
    assert resp.json()["item_seller_get_response"]["item"]["num_iid"] == tid(top.sb, 0)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"app_key": None}, 28),
        ({"app_key": "99999999"}, 29),
        ({"method": None}, 21),
        ({"method": "taobao.nothing.here"}, 22),
        ({"format": "yaml"}, 23),
        ({"v": None}, 32),
        ({"v": "two"}, 33),
        ({"v": "1.0"}, 34),
        ({"timestamp": None}, 30),
        ({"timestamp": "2026/09/21 12:00"}, 31),
        ({"session": None}, 26),
        ({"session": "6nonsense"}, 27),
    ],
)
def test_gateway_errors(top: TopClient, overrides: dict[str, Any], code: int) -> None:
    method = (
        overrides.pop("method", "taobao.item.seller.get")
        if "method" in overrides
        else "taobao.item.seller.get"
    )
    if method is None:
        method = ""
    resp = top.raw(method, {"num_iid": tid(top.sb, 0), "fields": "num_iid"}, **overrides)
    assert resp.status_code == 200  # business and gateway errors arrive with HTTP 200 (§1.1)
    assert top_error(resp.json())[0] == code


def test_wrong_signature_is_25(top: TopClient) -> None:
    data = top.raw(
        "taobao.item.seller.get",
        {"num_iid": tid(top.sb, 0), "fields": "num_iid"},
        secret="not-the-secret",
    ).json()
    assert top_error(data) == (25, None)
    assert data["error_response"]["msg"] == "Invalid Signature"
    assert data["error_response"]["request_id"]


def test_missing_signature_is_24_and_unknown_sign_method_is_25(top: TopClient) -> None:
    assert top_error(top.raw("taobao.item.seller.get", {"fields": "x"}, sign="").json())[0] == 24
    data = top.raw("taobao.item.seller.get", {"fields": "x"}, sign_method="sha1", sign="AB").json()
    assert top_error(data)[0] == 25


def test_http_verbs_other_than_get_and_post_are_9(top: TopClient) -> None:
    assert top_error(top.raw("taobao.item.seller.get", {"fields": "x"}, verb="PUT").json())[0] == 9


def test_stale_timestamp_is_31(top: TopClient) -> None:
    stale = gmt8(top.sb.clock.now() - 11 * 60)
    data = top.raw("taobao.item.seller.get", {"fields": "x"}, timestamp=stale).json()
    assert top_error(data)[0] == 31
    fresh = gmt8(top.sb.clock.now() - 9 * 60)
    assert (
        "item_seller_get_response"
        in top.raw(
            "taobao.item.seller.get", {"num_iid": tid(top.sb, 0), "fields": "x"}, timestamp=fresh
        ).json()
    )


def test_utc_timestamp_is_off_by_eight_hours_and_refused(top: TopClient) -> None:
    """Gotcha 6: formatting the timestamp in the local (UTC) zone breaks the call."""
    utc = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(top.sb.clock.now()))
    assert (
        top_error(top.raw("taobao.item.seller.get", {"fields": "x"}, timestamp=utc).json())[0] == 31
    )


def test_expired_session_is_27_invalid_sessionkey(top: TopClient) -> None:
    top.sb.advance(86_400 + 1)  # the refreshable app's session lives 24 h
    args = {"num_iid": tid(top.sb, 0), "fields": "x"}
    assert top_error(top.raw("taobao.item.seller.get", args).json()) == (27, "invalid-sessionkey")


def test_session_of_another_app_is_27(sb: Sandbox, http: httpx.Client) -> None:
    top = TopClient(sb, http)
    top.session = sb.credentials("tb-other")["access_token"]
    data = top.raw("taobao.item.seller.get", {"num_iid": tid(sb, 0), "fields": "x"}).json()
    assert top_error(data) == (27, "invalid-sessionkey")


def test_xml_is_the_default_format(top: TopClient) -> None:
    resp = top.raw(
        "taobao.item.seller.get",
        {"num_iid": tid(top.sb, 0), "fields": "num_iid,title"},
        format=None,
    )
    assert resp.headers["content-type"].startswith("text/xml")
    assert f"<item_seller_get_response><item><num_iid>{tid(top.sb, 0)}</num_iid>" in resp.text


def test_simplify_drops_the_wrappers(top: TopClient) -> None:
    data = top.raw(
        "taobao.items.onsale.get", {"fields": "num_iid", "page_size": 2}, simplify="true"
    ).json()
    assert isinstance(data["items"], list)
    assert data["total_results"] > 2


# -- queries -----------------------------------------------------------------------------------


def test_onsale_get_pages_and_counts(top: TopClient) -> None:
    onsale = top.sb.ids("tb-main", "onsale")
    first = top.call("taobao.items.onsale.get", fields=FIELDS, page_size=5)[
        "items_onsale_get_response"
    ]
    assert first["total_results"] == len(onsale)
    assert [i["num_iid"] for i in first["items"]["item"]] == onsale[:5]
    item = first["items"]["item"][0]
    assert item["approve_status"] == "onsale"
    assert set(item) <= set(FIELDS.split(",")) | {"violation"}
    seen = []
    page = 1
    while True:
        body = top.call("taobao.items.onsale.get", fields="num_iid", page_no=page, page_size=7)[
            "items_onsale_get_response"
        ]
        if "items" not in body:  # empty pages omit the list
            break
        seen += [i["num_iid"] for i in body["items"]["item"]]
        page += 1
    assert seen == onsale


def test_onsale_get_needs_fields_and_caps_page_size(top: TopClient) -> None:
    assert top_error(top.call("taobao.items.onsale.get")) == (40, "isv.missing-parameter:fields")
    assert top_error(top.call("taobao.items.onsale.get", fields="num_iid", page_size=201))[0] == 41
    assert top_error(top.call("taobao.items.onsale.get", fields="num_iid", page_no=0))[0] == 41
    assert top_error(top.call("taobao.items.onsale.get", fields="num_iid", page_no="x"))[0] == 41
    default = top.call("taobao.items.onsale.get", fields="num_iid")["items_onsale_get_response"]
    assert len(default["items"]["item"]) == min(40, default["total_results"])


def test_onsale_get_refuses_beyond_the_record_cap(top: TopClient) -> None:
    assert top.sb.world.limits.top_onsale_max_records == 20_000
    data = top.call("taobao.items.onsale.get", fields="num_iid", page_no=101, page_size=200)
    assert top_error(data) == (41, "isv.invalid-parameter:page_no")
    top.sb.set_limits(top_onsale_max_records=10)
    ok = top.call("taobao.items.onsale.get", fields="num_iid", page_no=2, page_size=5)
    assert "items_onsale_get_response" in ok
    assert (
        top_error(top.call("taobao.items.onsale.get", fields="num_iid", page_no=3, page_size=5))[0]
        == 41
    )


def test_onsale_get_slices_by_modified_window_for_incremental_sync(top: TopClient) -> None:
    sb = top.sb
    since = gmt8(sb.clock.now())
    none = top.call("taobao.items.onsale.get", fields="num_iid", start_modified=since)
    assert none["items_onsale_get_response"]["total_results"] == 0
    sb.advance(5)
    sb.set_stock(tid(sb, ONSALE), 77)
    changed = top.call(
        "taobao.items.onsale.get",
        fields="num_iid,num,modified",
        start_modified=since,
        end_modified=gmt8(sb.clock.now()),
    )["items_onsale_get_response"]
    assert [(i["num_iid"], i["num"]) for i in changed["items"]["item"]] == [(tid(sb, ONSALE), 77)]
    assert changed["items"]["item"][0]["modified"] == gmt8(sb.clock.now())
    assert (
        top_error(
            top.call("taobao.items.onsale.get", fields="num_iid", start_modified="yesterday")
        )[0]
        == 41
    )


def test_onsale_get_orders(top: TopClient) -> None:
    body = top.call(
        "taobao.items.onsale.get", fields="num_iid,num", order_by="num:desc", page_size=200
    )["items_onsale_get_response"]
    nums = [i["num"] for i in body["items"]["item"]]
    assert nums == sorted(nums, reverse=True)
    asc = top.call(
        "taobao.items.onsale.get", fields="num_iid,modified", order_by="modified:asc", page_size=200
    )["items_onsale_get_response"]["items"]["item"]
    assert [i["modified"] for i in asc] == sorted(i["modified"] for i in asc)
    assert (
        top_error(top.call("taobao.items.onsale.get", fields="num_iid", order_by="title:asc"))[0]
        == 41
    )


def test_onsale_get_title_search(top: TopClient) -> None:
    body = top.call("taobao.items.onsale.get", fields="num_iid,title", q="[bold red]x[/]")
    items = body["items_onsale_get_response"]["items"]["item"]
    assert [i["title"] for i in items] == ["[bold red]x[/]"]


def test_inventory_default_banner_hides_sold_out_and_violation(top: TopClient) -> None:
    """Gotcha 4: for_shelved = regular_shelved + never_on_shelf + off_shelf."""
    sb = top.sb

    def ids(**kw: Any) -> set[int]:
        body = top.call(
            "taobao.items.inventory.get", fields="num_iid,approve_status", page_size=200, **kw
        )
        items = body["items_inventory_get_response"].get("items", {}).get("item", [])
        assert all(i["approve_status"] == "instock" for i in items)
        return {i["num_iid"] for i in items}

    default = ids()
    assert default == set(
        sb.ids("tb-main", "off_shelf")
        + sb.ids("tb-main", "regular_shelved")
        + sb.ids("tb-main", "never_on_shelf")
    )
    assert tid(sb, SOLD_OUT) not in default
    assert tid(sb, VIOLATION) not in default
    assert ids(banner="sold_out") == set(sb.ids("tb-main", "sold_out"))
    assert ids(banner="violation_off_shelf") == set(sb.ids("tb-main", "violation_off_shelf"))
    assert ids(banner="sold_out,violation_off_shelf") == ids(banner="sold_out") | ids(
        banner="violation_off_shelf"
    )
    assert (
        top_error(top.call("taobao.items.inventory.get", fields="num_iid", banner="gone"))[0] == 41
    )


def test_inventory_page_no_is_capped_at_101(top: TopClient) -> None:
    data = top.call("taobao.items.inventory.get", fields="num_iid", page_no=102, page_size=1)
    assert top_error(data) == (41, "isv.invalid-parameter:page_no")
    assert "items_inventory_get_response" in top.call(
        "taobao.items.inventory.get", fields="num_iid", page_no=101, page_size=1
    )


def test_violation_items_carry_a_deadline(top: TopClient) -> None:
    body = top.call(
        "taobao.items.inventory.get", fields="num_iid", banner="violation_off_shelf", page_size=200
    )["items_inventory_get_response"]
    by_id = {i["num_iid"]: i for i in body["items"]["item"]}
    for row, hours in ((VIOLATION, 72), (VIOLATION_SERIOUS, 24)):
        v = by_id[tid(top.sb, row)]["violation"]
        assert v["severity"] == ("serious" if hours == 24 else "normal")
        delisted = time.mktime(time.strptime(v["delisted_at"], "%Y-%m-%d %H:%M:%S"))
        deadline = time.mktime(time.strptime(v["rectify_deadline"], "%Y-%m-%d %H:%M:%S"))
        assert deadline - delisted == hours * 3600
        assert v["reason"]


def test_item_seller_get_shows_skus_and_second_kill(top: TopClient) -> None:
    item = top.call(
        "taobao.item.seller.get", num_iid=tid(top.sb, ONSALE_SKU), fields="num_iid,num,sku"
    )["item_seller_get_response"]["item"]
    skus = item["skus"]["sku"]
    assert len(skus) == 3
    assert sum(s["quantity"] for s in skus) == item["num"]
    flash = top.call(
        "taobao.item.seller.get", num_iid=tid(top.sb, FLASH_ON), fields="num_iid,second_kill"
    )["item_seller_get_response"]["item"]
    assert flash["second_kill"] == "web_only"


def test_item_seller_get_errors(top: TopClient) -> None:
    assert top_error(top.call("taobao.item.seller.get", fields="x")) == (
        40,
        "isv.missing-parameter:num_iid",
    )
    assert top_error(top.call("taobao.item.seller.get", num_iid=tid(top.sb, 0))) == (
        40,
        "isv.missing-parameter:fields",
    )
    assert top_error(top.call("taobao.item.seller.get", num_iid="abc", fields="x"))[0] == 41
    assert top_error(top.call("taobao.item.seller.get", num_iid=1, fields="x")) == (
        15,
        "isv.item-not-exist",
    )


def test_another_sellers_items_are_invisible_and_refused(top: TopClient) -> None:
    theirs = tid(top.sb, ONSALE, "tb-other")
    assert top_error(top.call("taobao.item.seller.get", num_iid=theirs, fields="x")) == (
        15,
        "isv.item-not-exist",
    )
    assert top_error(top.call("taobao.item.update.delisting", num_iid=theirs)) == (
        15,
        "isv.item-not-exist",
    )
    listed = top.call(
        "taobao.items.seller.list.get", num_iids=f"{theirs},{tid(top.sb, 0)}", fields="num_iid"
    )["items_seller_list_get_response"]
    assert [i["num_iid"] for i in listed["items"]["item"]] == [tid(top.sb, 0)]
    assert top.sb.state(theirs) == "onsale"


def test_items_seller_list_get_takes_at_most_20_ids(top: TopClient) -> None:
    ids = ",".join(str(tid(top.sb, i)) for i in range(21))
    assert (
        top_error(top.call("taobao.items.seller.list.get", num_iids=ids, fields="num_iid"))[0] == 41
    )
    ok = top.call("taobao.items.seller.list.get", num_iids=ids.rsplit(",", 1)[0], fields="num_iid")
    assert len(ok["items_seller_list_get_response"]["items"]["item"]) == 20
    assert top_error(top.call("taobao.items.seller.list.get", fields="num_iid"))[0] == 40
    empty = top.call("taobao.items.seller.list.get", num_iids="1,2", fields="num_iid")
    assert "items" not in empty["items_seller_list_get_response"]


# -- list / delist rules --------------------------------------------------------------------------


def test_delisting_and_listing_round_trip_bumps_modified(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, ONSALE)
    before = top.call("taobao.item.seller.get", num_iid=item, fields="modified")[
        "item_seller_get_response"
    ]
    sb.advance(2)
    out = top.call("taobao.item.update.delisting", num_iid=item)["item_update_delisting_response"][
        "item"
    ]
    assert out == {"num_iid": item, "modified": gmt8(sb.clock.now())}
    assert out["modified"] > before["item"]["modified"]
    assert sb.state(item) == "off_shelf"
    sb.advance(2)
    listed = top.call("taobao.item.update.listing", num_iid=item, num=9)[
        "item_update_listing_response"
    ]
    assert listed["item"]["modified"] == gmt8(sb.clock.now())
    assert sb.state(item) == "onsale"
    assert sb.item(item)["num"] == 9
    assert sb.changes(item) == 2


def test_listing_needs_a_positive_num(top: TopClient) -> None:
    item = tid(top.sb, OFF)
    assert top_error(top.call("taobao.item.update.listing", num_iid=item)) == (
        40,
        "isv.missing-parameter:num",
    )
    assert top_error(top.call("taobao.item.update.listing", num_iid=item, num=0)) == (
        41,
        "isv.invalid-parameter:num",
    )
    assert top_error(top.call("taobao.item.update.listing", num=1))[0] == 40


def test_listing_an_sku_item_ignores_num_and_refuses_zero_total(top: TopClient) -> None:
    sb = top.sb
    refused = top.call("taobao.item.update.listing", num_iid=tid(sb, OFF_ZERO_SKU), num=50)
    assert top_error(refused) == (15, "isv.item-listing-service-error:ITEM_QUANTITY_ZERO")
    sold_out = tid(sb, SOLD_OUT_SKU)
    sku = sb.item(sold_out)["skus"]["sku"][1]["sku_id"]
    sb.set_stock(sold_out, 4, sku=sku)
    top.call("taobao.item.update.listing", num_iid=sold_out, num=999)
    assert sb.state(sold_out) == "onsale"
    assert sb.item(sold_out)["num"] == 4  # the sum of SKU stock, not num


def test_sold_out_item_relists_after_restock_only(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, OFF_ZERO)
    listed = top.call("taobao.item.update.listing", num_iid=item, num=5)
    assert "item_update_listing_response" in listed  # num sets the stock of an item without SKUs
    assert sb.item(item)["num"] == 5


def test_already_in_state_is_a_business_error(top: TopClient) -> None:
    assert top_error(
        top.call("taobao.item.update.listing", num_iid=tid(top.sb, ONSALE), num=1)
    ) == (15, "isv.item-listing-service-error:ITEM_ALREADY_ONSALE")
    assert top_error(top.call("taobao.item.update.delisting", num_iid=tid(top.sb, OFF))) == (
        15,
        "isv.item-delisting-service-error:ITEM_ALREADY_INSTOCK",
    )
    assert top.sb.changes(tid(top.sb, ONSALE)) == 0


def test_delist_lock_refuses_with_the_rules_message_only_inside_its_window(top: TopClient) -> None:
    sb = top.sb
    data = top.call("taobao.item.update.delisting", num_iid=tid(sb, LOCK_NOW))
    assert top_error(data) == (15, "isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED")
    assert data["error_response"]["sub_msg"] == "商品正在参加聚划算活动，活动期间不允许下架"
    for row in (LOCK_FUTURE, LOCK_PAST):
        assert "item_update_delisting_response" in top.call(
            "taobao.item.update.delisting", num_iid=tid(sb, row)
        )
    sb.advance(15 * 86400)  # past the active lock's end
    top.session = sb.issue_token("tb-main")["access_token"]
    assert "item_update_delisting_response" in top.call(
        "taobao.item.update.delisting", num_iid=tid(sb, LOCK_NOW)
    )


def test_promotion_rule_get_lists_effective_rules(top: TopClient) -> None:
    sb = top.sb
    body = top.call("taobao.item.promotion.rule.get", item_id=tid(sb, LOCK_NOW))
    resp = body["item_promotion_rule_get_response"]
    assert resp["effec"] is True
    (rule,) = resp["rules"]["item_promotion_rule"]
    assert rule["type"] == "下架锁定规则"
    assert {"name", "message", "start_time", "end_time", "type"} == set(rule)
    for row in (LOCK_FUTURE, LOCK_PAST, ONSALE):
        resp = top.call("taobao.item.promotion.rule.get", item_id=tid(sb, row))[
            "item_promotion_rule_get_response"
        ]
        assert resp == {"effec": False, "request_id": resp["request_id"]}
    sb.advance(4 * 86400)  # the future lock starts
    top.session = sb.issue_token("tb-main")["access_token"]
    future = top_error_or_ok(top.call("taobao.item.update.delisting", num_iid=tid(sb, LOCK_FUTURE)))
    assert future == "isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED"


def top_error_or_ok(data: dict[str, Any]) -> str | None:
    return data["error_response"].get("sub_code") if "error_response" in data else None


def test_rules_set_through_the_hook_apply(top: TopClient) -> None:
    sb = top.sb
    now = int(sb.clock.now() * 1000)
    sb.set_rules(
        tid(sb, ONSALE),
        [Rule("测试锁定", "测试期间不允许下架", "下架锁定规则", now - 1, now + 60_000)],
    )
    data = top.call("taobao.item.update.delisting", num_iid=tid(sb, ONSALE))
    assert data["error_response"]["sub_msg"] == "测试期间不允许下架"
    sb.advance(61)
    assert "item_update_delisting_response" in top.call(
        "taobao.item.update.delisting", num_iid=tid(sb, ONSALE)
    )


def test_flash_sale_items_can_be_delisted_but_not_relisted(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, FLASH_ON)
    assert "item_update_delisting_response" in top.call(
        "taobao.item.update.delisting", num_iid=item
    )
    assert top_error(top.call("taobao.item.update.listing", num_iid=item, num=3)) == (
        15,
        "isv.item-listing-service-error:ITEM_SECOND_KILL",
    )
    sb.set_second_kill(item, None)  # 小二 clears the flag
    assert "item_update_listing_response" in top.call(
        "taobao.item.update.listing", num_iid=item, num=3
    )


def test_violation_off_shelf_cannot_be_relisted_by_the_seller(top: TopClient) -> None:
    assert top_error(
        top.call("taobao.item.update.listing", num_iid=tid(top.sb, VIOLATION), num=3)
    ) == (15, "isv.item-listing-service-error:ITEM_VIOLATION_OFF_SHELF")


def test_scheduled_and_draft_items_can_be_listed(top: TopClient) -> None:
    for row in (REGULAR, NEVER):
        assert "item_update_listing_response" in top.call(
            "taobao.item.update.listing", num_iid=tid(top.sb, row), num=2
        )


def test_tmall_variants(sb: Sandbox, http: httpx.Client) -> None:
    tmall = TopClient(sb, http, "tm-flagship")
    item = tid(sb, ONSALE, "tm-flagship")
    out = tmall.call("taobao.item.update.delisting.tmall", num_iid=item)
    assert out["item_update_delisting_tmall_response"]["item"]["num_iid"] == item
    out = tmall.call("taobao.item.update.listing.tmall", num_iid=item, num=4)
    assert "item_update_listing_tmall_response" in out
    assert (
        tmall.call("taobao.item.seller.get", num_iid=item, fields="is_tmall")[
            "item_seller_get_response"
        ]["item"]["is_tmall"]
        is True
    )


def test_alibaba_upshelf_and_downshelf(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, ONSALE)
    out = top.call("alibaba.item.operate.downshelf", item_id=item)[
        "alibaba_item_operate_downshelf_response"
    ]
    assert f'"item_id": {item}' in out["result"]
    assert sb.state(item) == "off_shelf"
    top.call("alibaba.item.operate.upshelf", item_id=item)
    assert sb.state(item) == "onsale"
    assert top_error(top.call("alibaba.item.operate.upshelf", item_id=tid(sb, OFF_ZERO))) == (
        15,
        "isv.item-listing-service-error:ITEM_QUANTITY_ZERO",
    )
    top.call("alibaba.item.operate.upshelf", item_id=tid(sb, OFF_ZERO), quantity=6)
    assert sb.item(tid(sb, OFF_ZERO))["num"] == 6
    assert top_error(top.call("alibaba.item.operate.downshelf"))[0] == 40
    assert top_error(top.call("alibaba.item.operate.downshelf", item_id=tid(sb, LOCK_NOW)))[1] == (
        "isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED"
    )


def test_quantity_update_full_and_delta(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, ONSALE)
    out = top.call("taobao.item.quantity.update", num_iid=item, quantity=12)[
        "item_quantity_update_response"
    ]
    assert out["item"]["num"] == 12
    out = top.call("taobao.item.quantity.update", num_iid=item, quantity=-2, type=2)
    assert out["item_quantity_update_response"]["item"]["num"] == 10
    assert (
        top_error(top.call("taobao.item.quantity.update", num_iid=item, quantity=-20, type=2))[0]
        == 41
    )
    assert (
        top_error(top.call("taobao.item.quantity.update", num_iid=item, quantity=1, type=3))[0]
        == 41
    )
    assert top_error(top.call("taobao.item.quantity.update", num_iid=item))[0] == 40


def test_quantity_update_cannot_zero_an_onsale_item(top: TopClient) -> None:
    """Gotcha 1: delist first."""
    sb = top.sb
    data = top.call("taobao.item.quantity.update", num_iid=tid(sb, ONSALE), quantity=0)
    assert top_error(data) == (15, "isv.item-quantity-update-service-error:ONSALE_QUANTITY_ZERO")
    assert "item_quantity_update_response" in top.call(
        "taobao.item.quantity.update", num_iid=tid(sb, OFF), quantity=0
    )


def test_quantity_update_of_skus(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, ONSALE_SKU)
    skus = sb.item(item)["skus"]["sku"]
    out = top.call(
        "taobao.item.quantity.update", num_iid=item, sku_id=skus[0]["sku_id"], quantity=1
    )
    body = out["item_quantity_update_response"]["item"]
    assert body["num"] == 1 + skus[1]["quantity"] + skus[2]["quantity"]
    assert body["skus"]["sku"][0]["quantity"] == 1
    top.call("taobao.item.quantity.update", num_iid=item, outer_id=skus[1]["outer_id"], quantity=0)
    assert sb.item(item)["skus"]["sku"][1]["quantity"] == 0
    assert top_error(top.call("taobao.item.quantity.update", num_iid=item, quantity=3))[0] == 41
    assert top_error(
        top.call("taobao.item.quantity.update", num_iid=item, sku_id=1, quantity=3)
    ) == (15, "isv.item-quantity-update-service-error:SKU_NOT_EXIST")


def test_stock_decrease_lock_refuses_decreases_only(top: TopClient) -> None:
    sb = top.sb
    item = tid(sb, LOCK_STOCK)
    sku = sb.item(item)["skus"]["sku"][0]
    data = top.call(
        "taobao.item.quantity.update",
        num_iid=item,
        sku_id=sku["sku_id"],
        quantity=sku["quantity"] - 1,
    )
    assert top_error(data) == (15, "isv.item-quantity-update-service-error:ITEM_PROMOTION_LOCKED")
    assert data["error_response"]["sub_msg"] == "活动期间商品库存不允许减少"
    top.call(
        "taobao.item.quantity.update",
        num_iid=item,
        sku_id=sku["sku_id"],
        quantity=sku["quantity"] + 1,
    )
    assert sb.item(item)["skus"]["sku"][0]["quantity"] == sku["quantity"] + 1


def test_auth_token_apis(top: TopClient) -> None:
    sb = top.sb
    code = sb.issue_code("tb-main")
    top.session = None
    result = top.call("taobao.top.auth.token.create", code=code)["top_auth_token_create_response"]
    import json

    token = json.loads(result["token_result"])
    assert token["taobao_user_id"] == "2200000001"
    assert top_error(top.call("taobao.top.auth.token.create", code=code))[0] == 15  # single use
    refreshed = json.loads(
        top.call("taobao.top.auth.token.refresh", refresh_token=token["refresh_token"])[
            "top_auth_token_refresh_response"
        ]["token_result"]
    )
    assert refreshed["access_token"] != token["access_token"]
    top.session = refreshed["access_token"]
    assert "item_seller_get_response" in top.call(
        "taobao.item.seller.get", num_iid=tid(sb, 0), fields="x"
    )


def test_the_non_refreshable_app_cannot_refresh_through_the_api(
    sb: Sandbox, http: httpx.Client
) -> None:
    tmall = TopClient(sb, http, "tm-flagship")
    tmall.session = None
    data = tmall.call("taobao.top.auth.token.refresh", refresh_token="anything")
    assert top_error(data) == (15, "isv.refresh-token-not-supported")


def test_every_top_call_is_logged_with_its_outcome(top: TopClient) -> None:
    sb = top.sb
    top.call("taobao.item.update.delisting", num_iid=tid(sb, ONSALE))
    top.call("taobao.item.update.delisting", num_iid=tid(sb, LOCK_NOW))
    ok, locked = sb.log(platform="taobao", op="taobao.item.update.delisting")
    assert (ok.item, ok.outcome, ok.ok, ok.changed) == (str(tid(sb, ONSALE)), "ok", True, True)
    assert locked.outcome == "15:isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED"
    assert not locked.changed
