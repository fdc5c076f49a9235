"""Injected faults answered in each platform's own form, limits per app and per method."""

from __future__ import annotations

import contextlib
import re

import httpx
import pytest
from sandbox_client import FIXED_NOW, MlClient, TemuClient, TopClient, top_error

from shelf_tui.sandbox import Clock, FaultSpec, FaultSpecError, Sandbox


def tid(sb: Sandbox, idx: int, shop: str = "tb-main") -> int:
    return sb.catalog.shops[shop].id_of(idx)


def get_item(top: TopClient, idx: int = 0) -> dict[str, object]:
    return top.call("taobao.item.seller.get", num_iid=tid(top.sb, idx, top.shop), fields="num_iid")


def ban(data: dict[str, object]) -> int:
    err = data["error_response"]
    assert isinstance(err, dict)
    m = re.fullmatch(r"This ban will last for (\d+) more seconds", err["sub_msg"])
    assert m, err
    return int(m.group(1))


# -- the spec ------------------------------------------------------------------------------------


def test_spec_parses_every_term() -> None:
    spec = FaultSpec.parse(
        "rate=20/s,method_rate=600/min,api_rate=100,429=0.02,5xx=1%,timeout=0.005,"
        "timeout_hold=2s,timeout_apply=0.25,token_ttl=5m,quota=5000/day"
    )
    assert spec.rate == 20
    assert spec.method_rate == 10
    assert spec.api_rate == 100
    assert (spec.p429, spec.p5xx, spec.ptimeout) == (0.02, 0.01, 0.005)
    assert (spec.timeout_hold, spec.timeout_apply, spec.token_ttl, spec.quota) == (
        2,
        0.25,
        300,
        5000,
    )
    assert FaultSpec.parse(spec.to_spec()) == spec
    assert FaultSpec.parse(None) == FaultSpec.parse("") == FaultSpec()
    assert FaultSpec.parse("timeout_hold=500ms").timeout_hold == 0.5


@pytest.mark.parametrize(
    "bad",
    [
        "rate=fast",
        "429=2",
        "nonsense=1",
        "rate",
        "timeout_hold=2y",
        "429=0.6,5xx=0.6",
        "quota=lots",
        "rate=0/s",
    ],
)
def test_bad_specs_name_the_term(bad: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        FaultSpec.parse(bad)
    assert bad.split("=")[0].split(",")[0] in str(info.value) or "add up" in str(info.value)


# -- deterministic limits ------------------------------------------------------------------------


def test_top_rate_limit_per_app_key_answers_code_7_with_a_ban(
    sb: Sandbox, top: TopClient, http: httpx.Client
) -> None:
    sb.set_faults("rate=2/s")
    assert "item_seller_get_response" in get_item(top)
    assert "item_seller_get_response" in get_item(top)
    limited = get_item(top)
    assert top_error(limited) == (7, "accesscontrol.limited-by-app-api-access-count")
    assert limited["error_response"]["msg"] == "App Call Limited"  # type: ignore[index]
    assert ban(limited) == 1
    other = TopClient(sb, http, "tb-other")  # another app key has its own bucket
    assert "item_seller_get_response" in get_item(other)
    sb.advance(1)
    assert "item_seller_get_response" in get_item(top)


def test_method_rate_is_per_app_and_method(sb: Sandbox, top: TopClient) -> None:
    sb.set_faults("method_rate=1/s")
    assert "item_seller_get_response" in get_item(top)
    assert top_error(get_item(top))[0] == 7
    onsale = top.call("taobao.items.onsale.get", fields="num_iid", page_size=1)
    assert "items_onsale_get_response" in onsale


def test_ml_limits_are_per_application_and_endpoint(
    sb: Sandbox, ml: MlClient, http: httpx.Client
) -> None:
    """§2.6: the control is per Client ID and per endpoint."""
    sb.set_faults("method_rate=1/s")
    assert ml.get("/users/me").status_code == 200
    limited = ml.get("/users/me")
    assert limited.status_code == 429 and limited.json()["error"] == "local_rate_limited"
    seller = sb.shop("ml-mx").seller_id
    assert ml.get(f"/users/{seller}/items/search").status_code == 200  # another endpoint
    other = MlClient(sb, http, "ml-mx-other")  # another application
    assert other.get("/users/me").status_code == 200
    sb.advance(1)
    assert ml.get("/users/me").status_code == 200


def test_temu_limits_are_per_app_key_and_interface(
    sb: Sandbox, temu: TemuClient, http: httpx.Client
) -> None:
    """§3.7: 20 QPS per app_key by default, per-API limits on top."""
    sb.set_faults("method_rate=1/s")
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 1000000
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 4000004
    listed = temu.call("bg.local.goods.list.query", pageNo=1, pageSize=1, goodsSearchType=1)
    assert listed["errorCode"] == 1000000  # another interface
    other = TemuClient(sb, http, "temu-us-other")  # another app key
    assert other.call("bg.open.accesstoken.info.get")["errorCode"] == 1000000
    sb.set_faults("rate=1/s")  # the per-app_key limit covers every interface
    sb.advance(1)
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 1000000
    again = temu.call("bg.local.goods.list.query", pageNo=1, pageSize=1, goodsSearchType=1)
    assert again["errorCode"] == 4000004


def test_api_rate_is_shared_by_every_app(sb: Sandbox, top: TopClient, http: httpx.Client) -> None:
    sb.set_faults("api_rate=1/s")
    assert "item_seller_get_response" in get_item(top)
    other = TopClient(sb, http, "tb-other")
    assert top_error(get_item(other)) == (7, "accesscontrol.limited-by-api-access-count")


def test_daily_quota_is_limited_by_app_access_count_until_gmt8_midnight(
    sb: Sandbox, top: TopClient
) -> None:
    sb.set_faults("quota=2/day")
    get_item(top)
    get_item(top)
    exhausted = get_item(top)
    assert top_error(exhausted) == (7, "accesscontrol.limited-by-app-access-count")
    seconds = ban(exhausted)
    midnight = (int((FIXED_NOW + 8 * 3600) // 86400) + 1) * 86400 - 8 * 3600
    assert seconds == midnight - int(FIXED_NOW)
    assert [e.fault for e in sb.log(platform="taobao")][-1] == "quota"
    sb.advance(seconds)
    assert "item_seller_get_response" in get_item(top)


def test_ml_rate_limit_is_429_with_retry_after(sb: Sandbox, ml: MlClient) -> None:
    sb.set_faults("rate=1/s,quota=100/day")
    assert ml.get("/users/me").status_code == 200
    resp = ml.get("/users/me")
    assert resp.status_code == 429
    assert resp.json()["error"] == "local_rate_limited"
    assert resp.headers["retry-after"] == "1"
    sb.advance(1)
    assert ml.get("/users/me").status_code == 200


def test_temu_rate_limit_is_4000004(sb: Sandbox, temu: TemuClient) -> None:
    sb.set_faults("rate=1/s")
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 1000000
    data = temu.call("bg.open.accesstoken.info.get")
    assert (data["success"], data["errorCode"]) == (False, 4000004)


# -- random faults -------------------------------------------------------------------------------


def test_random_rate_limits_in_each_platforms_form(
    sb: Sandbox, top: TopClient, ml: MlClient, temu: TemuClient
) -> None:
    sb.set_faults("429=1")
    data = get_item(top)
    assert top_error(data)[0] == 7
    assert 1 <= ban(data) <= 5
    assert ml.get("/users/me").status_code == 429
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 4000004


def test_backend_failures_in_each_platforms_form_never_apply(
    sb: Sandbox, top: TopClient, ml: MlClient, temu: TemuClient
) -> None:
    sb.set_faults("5xx=1")
    forms = set()
    for idx in range(8):
        resp = top.raw("taobao.item.update.delisting", {"num_iid": tid(sb, idx)})
        if resp.status_code == 200:
            code, sub = top_error(resp.json())
            assert code == 15
            assert sub is not None
            assert sub.startswith("isp.")
            forms.add(sub)
        else:
            assert resp.status_code in (502, 503)
            forms.add(resp.status_code)
    assert len(forms) >= 2
    assert all(sb.changes(tid(sb, idx)) == 0 for idx in range(8))
    ml_statuses = {
        ml.put(f"/items/MLM{sb.catalog.shops['ml-mx'].id_of(i)}", {"status": "paused"}).status_code
        for i in range(6)
    }
    assert ml_statuses <= {500, 503}
    codes = {
        temu.call(
            "bg.local.goods.sale.status.set",
            goodsId=sb.catalog.shops["temu-us"].id_of(i),
            onsale=0,
        )["errorCode"]
        for i in range(19)
    }
    assert codes == {4000000, 150010002, 150010005}  # SYSTEM_EXCEPTION and the §3.6 codes
    reads = {temu.call("bg.open.accesstoken.info.get")["errorCode"] for _ in range(4)}
    assert reads == {4000000}  # reads only ever see SYSTEM_EXCEPTION
    assert sb.state(sb.catalog.shops["temu-us"].id_of(0)) == "2001"


def test_a_lost_response_can_still_have_been_applied(sb: Sandbox, top: TopClient) -> None:
    sb.set_faults("timeout=1,timeout_hold=0,timeout_apply=1")
    item = tid(sb, 0)
    with pytest.raises(httpx.TransportError):
        top.raw("taobao.item.update.delisting", {"num_iid": item})
    assert sb.state(item) == "off_shelf"
    assert sb.changes(item) == 1
    (entry,) = sb.log(item=item)
    assert (entry.fault, entry.changed) == ("timeout+applied", True)
    sb.set_faults("timeout=1,timeout_hold=0,timeout_apply=0")
    with pytest.raises(httpx.TransportError):
        top.raw("taobao.item.update.listing", {"num_iid": item, "num": 3})
    assert sb.state(item) == "off_shelf"
    assert sb.changes(item) == 1


def test_timeout_holds_the_connection_longer_than_the_client_waits(sb: Sandbox) -> None:
    sb.set_faults("timeout=1,timeout_hold=30s")
    with httpx.Client(timeout=0.2) as impatient:
        ml = MlClient(sb, impatient)
        with pytest.raises(httpx.ReadTimeout):
            ml.get("/users/me")


def test_ml_and_temu_lost_responses(sb: Sandbox, ml: MlClient, temu: TemuClient) -> None:
    sb.set_faults("timeout=1,timeout_hold=0,timeout_apply=1")
    item = f"MLM{sb.catalog.shops['ml-mx'].id_of(0)}"
    with pytest.raises(httpx.TransportError):
        ml.put(f"/items/{item}", {"status": "paused"})
    assert sb.state(item) == "paused"
    goods = sb.catalog.shops["temu-us"].id_of(0)
    with pytest.raises(httpx.TransportError):
        temu.call("bg.local.goods.sale.status.set", goodsId=goods, onsale=0)
    assert sb.state(goods) == "3002"
    assert sb.changes(goods) == 1


def _outcomes(order: list[int]) -> dict[int, str]:
    sb = Sandbox(
        items=60, seed=11, clock=Clock(start=FIXED_NOW), faults="5xx=0.3,timeout=0.3,timeout_hold=0"
    )
    with sb, httpx.Client() as http:
        top = TopClient(sb, http)
        for idx in order:
            with contextlib.suppress(httpx.TransportError):
                top.raw("taobao.item.update.delisting", {"num_iid": tid(sb, idx)})
        return {idx: f"{e.outcome}/{e.fault}" for idx in order for e in sb.log(item=tid(sb, idx))}


def test_fault_decisions_depend_on_the_seed_and_item_not_on_request_order() -> None:
    rows = [0, 1, 3, 4, 7, 11, 12, 16]
    forward = _outcomes(rows)
    backward = _outcomes(list(reversed(rows)))
    assert forward == backward
    assert len(set(forward.values())) > 1  # the faults did fire, differently per item


def test_token_ttl_shortens_every_token(
    sb: Sandbox, top: TopClient, ml: MlClient, temu: TemuClient
) -> None:
    sb.set_faults("token_ttl=300s")
    assert sb.info["shops"][0]["expires_at"] == int(FIXED_NOW) + 300
    assert "item_seller_get_response" in get_item(top)
    sb.advance(301)
    assert top_error(get_item(top)) == (27, "invalid-sessionkey")
    assert ml.get("/users/me").status_code == 401
    assert temu.call("bg.open.accesstoken.info.get")["errorCode"] == 3000034


def test_faults_turn_off_at_runtime(sb: Sandbox, top: TopClient) -> None:
    sb.set_faults("429=1")
    assert top_error(get_item(top))[0] == 7
    sb.set_faults(None)
    assert sb.faults == FaultSpec()
    assert "item_seller_get_response" in get_item(top)


def test_faults_given_at_construction() -> None:
    with (
        Sandbox(items=40, clock=Clock(start=FIXED_NOW), faults="429=1") as sb,
        httpx.Client() as http,
    ):
        assert MlClient(sb, http).get("/users/me").status_code == 429
