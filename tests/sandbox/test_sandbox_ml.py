"""Mercado Libre routes: Bearer tokens, search/scan, multiget, PUT rules and error bodies (§2)."""

from __future__ import annotations

import httpx
from sandbox_client import MlClient

from shelf_tui.sandbox import Sandbox

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


def search_path(ml: MlClient) -> str:
    return f"/users/{ml.creds['seller_id']}/items/search"


# -- auth -------------------------------------------------------------------------------------


def test_missing_and_invalid_tokens_get_401_bodies(ml: MlClient) -> None:
    ml.token = ""
    resp = ml.get("/users/me")
    assert resp.status_code == 401
    assert resp.json() == {
        "message": "authorization value not present",
        "error": "unauthorized",
        "status": 401,
        "cause": [],
    }
    ml.token = "APP_USR-nope"
    resp = ml.get("/users/me")
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_token"


def test_tokens_expire_after_six_hours(ml: MlClient) -> None:
    assert ml.get("/users/me").status_code == 200
    ml.sb.advance(21_600 - 1)
    assert ml.get("/users/me").status_code == 200
    ml.sb.advance(1)
    resp = ml.get("/users/me")
    assert resp.status_code == 401
    assert resp.json()["message"] == "invalid access token"


def test_legacy_access_token_query_parameter_works(ml: MlClient, http: httpx.Client) -> None:
    resp = http.get(ml.sb.url + "/users/me", params={"access_token": ml.token})
    assert resp.json()["id"] == 1500000001


def test_another_platforms_token_is_invalid(sb: Sandbox, ml: MlClient) -> None:
    ml.token = sb.credentials("tb-main")["access_token"]
    assert ml.get("/users/me").status_code == 401


def test_users_me_and_users_id(ml: MlClient) -> None:
    me = ml.get("/users/me").json()
    assert (me["id"], me["site_id"], me["nickname"]) == (1500000001, "MLM", "SANDBOX_MX")
    assert ml.get("/users/1500000001").json()["id"] == 1500000001
    assert ml.get("/users/1500000002").json() == {
        "id": 1500000002,
        "nickname": "OTRO_VENDEDOR",
        "site_id": "MLM",
    }
    assert ml.get("/users/42").status_code == 404


def test_wrong_verb_is_405(ml: MlClient, http: httpx.Client) -> None:
    resp = http.delete(ml.sb.url + f"/items/{mid(ml.sb, ACTIVE)}", headers=ml.headers())
    assert resp.status_code == 405


# -- search ------------------------------------------------------------------------------------


def test_search_shape_and_status_filter(ml: MlClient) -> None:
    sb = ml.sb
    body = ml.get(search_path(ml), status="active", limit=100).json()
    assert body["seller_id"] == "1500000001"
    assert body["paging"] == {"limit": 100, "offset": 0, "total": len(sb.ids("ml-mx", "active"))}
    assert body["results"] == sb.ids("ml-mx", "active")
    paused = ml.get(search_path(ml), status="paused", limit=100).json()
    expected = {
        i
        for s in (
            "paused",
            "paused/out_of_stock",
            "paused/moderation_penalty",
            "paused/forbidden",
            "paused/held",
            "paused/waiting_for_patch",
            "paused/suspended",
            "paused/freezed",
        )
        for i in sb.ids("ml-mx", s)
    }
    assert set(paused["results"]) == expected
    subs = ml.get(search_path(ml), status="paused", sub_status="out_of_stock", limit=100).json()
    assert set(subs["results"]) == set(sb.ids("ml-mx", "paused/out_of_stock"))
    assert {r["id"] for r in body["available_orders"]} >= {"last_updated_desc", "last_updated_asc"}


def test_search_default_limit_and_limit_cap(ml: MlClient) -> None:
    assert ml.get(search_path(ml)).json()["paging"]["limit"] == 50
    resp = ml.get(search_path(ml), limit=101)
    assert resp.status_code == 400
    assert resp.json()["error"] == "bad_request"
    assert ml.get(search_path(ml), offset="x").status_code == 400


def test_offset_paging_stops_silently_at_the_window(ml: MlClient) -> None:
    """Gotcha 14: results stop at 1,000 while paging.total tells the truth."""
    ml.sb.set_limits(ml_offset_window=20)
    total = len(ml.sb.ids("ml-mx"))
    page = ml.get(search_path(ml), offset=10, limit=50).json()
    assert page["paging"] == {"limit": 50, "offset": 10, "total": total}
    assert len(page["results"]) == 10
    beyond = ml.get(search_path(ml), offset=20, limit=50).json()
    assert beyond["results"] == []
    assert beyond["paging"]["total"] == total


def test_scan_scrolls_through_everything_and_expires(ml: MlClient) -> None:
    sb = ml.sb
    first = ml.get(search_path(ml), search_type="scan", limit=25).json()
    seen = list(first["results"])
    sid = first["scroll_id"]
    while True:
        sb.advance(60)
        page = ml.get(search_path(ml), search_type="scan", scroll_id=sid, limit=25).json()
        if not page["results"]:
            break
        seen += page["results"]
    assert seen == sb.ids("ml-mx")
    assert first["paging"]["total"] == len(seen)
    sb.advance(301)
    expired = ml.get(search_path(ml), search_type="scan", scroll_id=sid, limit=25)
    assert expired.status_code == 400
    assert "expired" in expired.json()["message"]
    assert ml.get(search_path(ml), search_type="scan", scroll_id="bogus").status_code == 400
    assert ml.get(search_path(ml), search_type="scan", limit=101).status_code == 400


def test_search_sorts_by_last_updated(ml: MlClient) -> None:
    sb = ml.sb
    sb.advance(10)
    sb.set_stock(mid(sb, PAUSED), 3)
    newest = ml.get(search_path(ml), orders="last_updated_desc", limit=1).json()
    assert newest["results"] == [mid(sb, PAUSED)]
    assert ml.get(search_path(ml), orders="nonsense_desc").status_code == 400


def test_search_of_another_user_is_403(ml: MlClient) -> None:
    resp = ml.get("/users/1500000002/items/search")
    assert resp.status_code == 403
    assert resp.json() == {
        "message": "The User ID must match the consultant's",
        "error": "forbidden",
        "status": 403,
        "cause": [],
    }


def test_search_by_seller_sku(ml: MlClient) -> None:
    sku = ml.sb.item(mid(ml.sb, ACTIVE))["seller_custom_field"]
    assert ml.get(search_path(ml), seller_sku=sku).json()["results"] == [mid(ml.sb, ACTIVE)]


# -- items -------------------------------------------------------------------------------------


def test_multiget_answers_per_id_with_404_for_unknown_and_others(ml: MlClient) -> None:
    sb = ml.sb
    mine, theirs = mid(sb, ACTIVE), mid(sb, ACTIVE, "ml-mx-other")
    body = ml.get(
        "/items", ids=f"{mine},{theirs},MLM1", attributes="id,status,available_quantity"
    ).json()
    assert body[0] == {
        "code": 200,
        "body": {"id": mine, "status": "active", "available_quantity": 20},
    }
    assert [e["code"] for e in body[1:]] == [404, 404]
    assert body[1]["body"]["error"] == "not_found"


def test_multiget_takes_at_most_20_ids(ml: MlClient) -> None:
    ids = ",".join(mid(ml.sb, i) for i in range(21))
    assert ml.get("/items", ids=ids).status_code == 400
    assert len(ml.get("/items", ids=ids.rsplit(",", 1)[0]).json()) == 20
    assert ml.get("/items").status_code == 400


def test_get_item_fields(ml: MlClient) -> None:
    item = ml.get(f"/items/{mid(ml.sb, ACTIVE_VAR)}").json()
    for key in (
        "status",
        "sub_status",
        "tags",
        "available_quantity",
        "price",
        "currency_id",
        "title",
        "seller_custom_field",
        "variations",
        "last_updated",
        "start_time",
        "stop_time",
        "date_created",
    ):
        assert key in item
    assert item["currency_id"] == "MXN"
    assert len(item["variations"]) == 3
    assert sum(v["available_quantity"] for v in item["variations"]) == item["available_quantity"]
    assert item["last_updated"].endswith("Z")


def test_statuses_and_sub_statuses_as_ml_shows_them(ml: MlClient) -> None:
    sb = ml.sb

    def get(idx: int) -> dict[str, object]:
        return ml.get(f"/items/{mid(sb, idx)}").json()

    assert (get(OOS)["status"], get(OOS)["sub_status"]) == ("paused", ["out_of_stock"])
    assert get(FORBIDDEN)["sub_status"] == ["forbidden"]
    assert "moderation_penalty" in get(MODERATION)["tags"]  # type: ignore[operator]
    assert get(CLOSED)["status"] == "closed"
    assert get(UNDER_REVIEW)["status"] == "under_review"


def test_another_sellers_item_is_404_to_read_and_403_to_change(ml: MlClient) -> None:
    theirs = mid(ml.sb, ACTIVE, "ml-mx-other")
    assert ml.get(f"/items/{theirs}").status_code == 404
    resp = ml.put(f"/items/{theirs}", {"status": "paused"})
    assert resp.status_code == 403
    assert resp.json()["error"] == "forbidden"
    assert ml.sb.state(theirs) == "active"
    assert ml.put("/items/MLM1", {"status": "paused"}).status_code == 404


def test_pause_and_activate(ml: MlClient) -> None:
    sb = ml.sb
    item = mid(sb, ACTIVE)
    before = ml.get(f"/items/{item}").json()["last_updated"]
    sb.advance(1)
    resp = ml.put(f"/items/{item}", {"status": "paused"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "paused"
    assert body["last_updated"] > before
    assert ml.put(f"/items/{item}", {"status": "active"}).json()["status"] == "active"
    assert sb.changes(item) == 2


def test_activating_without_stock_is_the_documented_400(ml: MlClient) -> None:
    sb = ml.sb
    resp = ml.put(f"/items/{mid(sb, PAUSED_ZERO)}", {"status": "active"})
    assert resp.status_code == 400
    assert resp.json() == {
        "message": "Validation error",
        "error": "validation_error",
        "status": 400,
        "cause": [
            {
                "department": "items",
                "cause_id": 323,
                "type": "error",
                "code": "item.status.invalid",
                "references": ["item.status", "item.available_quantity"],
                "message": "Is not possible to activate an item without stock.",
            }
        ],
    }
    ok = ml.put(f"/items/{mid(sb, OOS)}", {"available_quantity": 4, "status": "active"})
    assert ok.status_code == 200
    assert (ok.json()["status"], ok.json()["sub_status"], ok.json()["available_quantity"]) == (
        "active",
        [],
        4,
    )
    refused = ml.put(f"/items/{mid(sb, OOS_VAR)}", {"available_quantity": 0, "status": "active"})
    assert refused.status_code == 400


def test_closed_is_final(ml: MlClient) -> None:
    sb = ml.sb
    item = mid(sb, ACTIVE)
    assert ml.put(f"/items/{item}", {"status": "closed"}).json()["status"] == "closed"
    for body in ({"status": "active"}, {"status": "paused"}, {"available_quantity": 3}):
        resp = ml.put(f"/items/{item}", body)
        assert resp.status_code == 400
        assert resp.json()["cause"][0]["code"] == "item.status.closed"
    assert ml.put(f"/items/{item}", {"status": "closed"}).status_code == 200


def test_moderation_and_review_block_edits_but_waiting_for_patch_does_not(ml: MlClient) -> None:
    sb = ml.sb
    for idx, code in (
        (FORBIDDEN, "item.sub_status.forbidden"),
        (HELD, "item.sub_status.held"),
        (SUSPENDED, "item.sub_status.suspended"),
        (FREEZED, "item.sub_status.freezed"),
        (UNDER_REVIEW, "item.status.under_review"),
    ):
        resp = ml.put(f"/items/{mid(sb, idx)}", {"status": "active"})
        assert resp.status_code == 400
        assert resp.json()["cause"][0]["code"] == code
    assert ml.put(f"/items/{mid(sb, WFP)}", {"status": "active"}).json()["status"] == "active"
    assert (
        ml.put(f"/items/{mid(sb, MODERATION)}", {"status": "active"}).json()["status"] == "active"
    )


def test_stock_to_zero_pauses_an_active_item(ml: MlClient) -> None:
    body = ml.put(f"/items/{mid(ml.sb, ACTIVE)}", {"available_quantity": 0}).json()
    assert (body["status"], body["sub_status"]) == ("paused", ["out_of_stock"])


def test_put_validation_errors(ml: MlClient, http: httpx.Client) -> None:
    item = mid(ml.sb, ACTIVE)
    assert (
        ml.put(f"/items/{item}", {"status": "deleted"}).json()["cause"][0]["code"]
        == "item.status.invalid_value"
    )
    assert ml.put(f"/items/{item}", {"available_quantity": -1}).status_code == 400
    assert ml.put(f"/items/{item}", {"price": 0}).status_code == 400
    assert ml.put(f"/items/{item}", {}).status_code == 400
    resp = http.put(ml.sb.url + f"/items/{item}", content=b"{nope", headers=ml.headers())
    assert resp.status_code == 400
    assert ml.sb.changes(item) == 0


def test_put_price_and_variation_stock(ml: MlClient) -> None:
    sb = ml.sb
    item = mid(sb, ACTIVE_VAR)
    variations = ml.get(f"/items/{item}").json()["variations"]
    body = ml.put(
        f"/items/{item}",
        {"price": 99.5, "variations": [{"id": variations[0]["id"], "available_quantity": 0}]},
    ).json()
    assert body["price"] == 99.5
    assert body["variations"][0]["available_quantity"] == 0
    assert (
        body["available_quantity"]
        == variations[1]["available_quantity"] + variations[2]["available_quantity"]
    )
    bad = ml.put(f"/items/{item}", {"variations": [{"id": 1, "available_quantity": 1}]})
    assert bad.status_code == 400
