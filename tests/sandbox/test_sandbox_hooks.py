"""In-process hooks: the platform and the seller's other channels acting behind shelf's back."""

from __future__ import annotations

import httpx
import pytest
from sandbox_client import MlClient, TemuClient, TopClient, gmt8, top_error

from shelf_tui.sandbox import Sandbox


def tb(sb: Sandbox, idx: int) -> int:
    return sb.catalog.shops["tb-main"].id_of(idx)


def mlm(sb: Sandbox, idx: int) -> str:
    return f"MLM{sb.catalog.shops['ml-mx'].id_of(idx)}"


def tm(sb: Sandbox, idx: int) -> int:
    return sb.catalog.shops["temu-us"].id_of(idx)


def test_set_stock_is_seen_by_each_platform(
    sb: Sandbox, top: TopClient, ml: MlClient, temu: TemuClient
) -> None:
    sb.set_stock(tb(sb, 0), 3)
    sb.set_stock(mlm(sb, 0), 4)
    sb.set_stock(tm(sb, 0), 5)
    item = top.call("taobao.item.seller.get", num_iid=tb(sb, 0), fields="num")[
        "item_seller_get_response"
    ]["item"]
    assert item["num"] == 3
    assert ml.get(f"/items/{mlm(sb, 0)}").json()["available_quantity"] == 4
    goods = temu.call("bg.local.goods.detail.query", goodsId=tm(sb, 0))["result"]
    assert goods["quantity"] == 5


def test_set_stock_auto_applies_the_platforms_sold_out_reaction(sb: Sandbox) -> None:
    sb.set_stock(tb(sb, 0), 0, auto=True)
    sb.set_stock(mlm(sb, 0), 0, auto=True)
    sb.set_stock(tm(sb, 0), 0, auto=True)
    assert (sb.state(tb(sb, 0)), sb.state(mlm(sb, 0)), sb.state(tm(sb, 0))) == (
        "sold_out",
        "paused/out_of_stock",
        "3003",
    )
    sb.set_stock(tb(sb, 0), 5, auto=True)
    assert sb.state(tb(sb, 0)) == "sold_out"  # restocking never relists by itself
    sb.set_stock(tb(sb, 7), 0)
    assert sb.state(tb(sb, 7)) == "off_shelf"


def test_set_stock_of_one_sku(sb: Sandbox) -> None:
    item = tb(sb, 1)
    sku = sb.item(item)["skus"]["sku"][2]["sku_id"]
    sb.set_stock(item, 0, sku=sku)
    skus = sb.item(item)["skus"]["sku"]
    assert skus[2]["quantity"] == 0
    assert sb.item(item)["num"] == skus[0]["quantity"] + skus[1]["quantity"]
    with pytest.raises(KeyError):
        sb.set_stock(item, 1, sku=123)
    with pytest.raises(ValueError, match="stock"):
        sb.set_stock(item, -1)


def test_set_price(sb: Sandbox, ml: MlClient) -> None:
    sb.set_price(tb(sb, 0), "19.90")
    assert sb.item(tb(sb, 0))["price"] == "19.90"
    sb.set_price(mlm(sb, 0), 250)
    assert ml.get(f"/items/{mlm(sb, 0)}").json()["price"] == 250
    sb.set_price(tm(sb, 0), 7.5)
    assert sb.item(tm(sb, 0))["price"] == "7.50"
    with pytest.raises(ValueError, match="price"):
        sb.set_price(tb(sb, 0), "free")


def test_every_hook_change_bumps_modified(sb: Sandbox, top: TopClient) -> None:
    since = gmt8(sb.clock.now())
    sb.advance(1)
    sb.set_price(tb(sb, 7), "5.00")
    sb.set_status(tb(sb, 11), "off_shelf")
    body = top.call("taobao.items.inventory.get", fields="num_iid", start_modified=since)
    assert [i["num_iid"] for i in body["items_inventory_get_response"]["items"]["item"]] == [
        tb(sb, 7),
        tb(sb, 11),
    ]


def test_set_status_speaks_each_platforms_vocabulary(sb: Sandbox) -> None:
    sb.set_status(tb(sb, 0), "regular_shelved")
    sb.set_status(mlm(sb, 0), "paused/held")
    sb.set_status(tm(sb, 0), 3004)
    assert (sb.state(tb(sb, 0)), sb.state(mlm(sb, 0)), sb.state(tm(sb, 0))) == (
        "regular_shelved",
        "paused/held",
        "3004",
    )
    assert sb.item(mlm(sb, 0))["sub_status"] == ["held"]
    with pytest.raises(ValueError, match="not a taobao state"):
        sb.set_status(tb(sb, 0), "active")
    with pytest.raises(ValueError, match="severity"):
        sb.set_status(tb(sb, 0), "onsale", severity="mild")
    with pytest.raises(KeyError):
        sb.set_status(12345, "onsale")


def test_violate_delists_with_a_deadline_from_now(sb: Sandbox, top: TopClient) -> None:
    sb.advance(10)
    sb.violate(tb(sb, 0), severity="serious", reason="出售禁售商品")
    item = top.call("taobao.item.seller.get", num_iid=tb(sb, 0), fields="approve_status")[
        "item_seller_get_response"
    ]["item"]
    assert item["approve_status"] == "instock"
    assert item["violation"] == {
        "severity": "serious",
        "reason": "出售禁售商品",
        "delisted_at": gmt8(sb.clock.now()),
        "rectify_deadline": gmt8(sb.clock.now() + 86400),
    }
    assert top_error(top.call("taobao.item.update.listing", num_iid=tb(sb, 0), num=1))[1] == (
        "isv.item-listing-service-error:ITEM_VIOLATION_OFF_SHELF"
    )
    sb.violate(tm(sb, 0))
    v = sb.item(tm(sb, 0))["violation"]
    assert v["rectifyDeadline"] - v["delistedAt"] == 72 * 3_600_000
    sb.violate(mlm(sb, 0))
    assert sb.item(mlm(sb, 0))["sub_status"] == ["forbidden"]


def test_expire_and_revoke_one_token(sb: Sandbox, http: httpx.Client) -> None:
    fresh = sb.issue_token("ml-mx")["access_token"]
    sb.expire_token(fresh)
    ml = MlClient(sb, http)
    assert ml.get("/users/me").status_code == 200  # the pre-issued token is untouched
    ml.token = fresh
    assert ml.get("/users/me").status_code == 401
    with pytest.raises(KeyError):
        sb.revoke_token("no-such-token")


def test_request_log_and_change_counts(sb: Sandbox, top: TopClient, ml: MlClient) -> None:
    top.call("taobao.item.update.delisting", num_iid=tb(sb, 0))
    ml.put(f"/items/{mlm(sb, 0)}", {"status": "paused"})
    ml.put(f"/items/{mlm(sb, 0)}", {"status": "paused"})
    ml.get(f"/items/{mlm(sb, 0)}")
    assert sb.changes(tb(sb, 0)) == 1
    assert sb.changes(mlm(sb, 0)) == 2  # an idempotent resend still counts: it was sent twice
    assert sb.change_counts() == {str(tb(sb, 0)): 1, mlm(sb, 0): 2}
    entries = sb.log(item=mlm(sb, 0))
    assert [(e.op, e.outcome, e.changed) for e in entries] == [
        ("PUT /items/{id}", "200", True),
        ("PUT /items/{id}", "200", True),
        ("GET /items/{id}", "200", False),
    ]
    assert all(e.shop == "ml-mx" for e in entries)
    assert len(sb.log(platform="taobao")) == 1
    sb.clear_log()
    assert sb.log() == []
    assert sb.changes(mlm(sb, 0)) == 0


def test_item_and_ids_helpers(sb: Sandbox) -> None:
    assert sb.ids("tb-main", "onsale")[0] == tb(sb, 0)
    assert sb.ids("ml-mx", "closed") == [i for i in sb.ids("ml-mx") if sb.state(i) == "closed"]
    assert sb.item(tb(sb, 0))["approve_status"] == "onsale"
    assert sb.item(mlm(sb, 0))["id"] == mlm(sb, 0)
    assert sb.item(tm(sb, 0))["goodsSubStatus"] == 2001
    with pytest.raises(KeyError):
        sb.item("MLM1")
