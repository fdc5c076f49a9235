"""Signatures and wire timestamps: the official vectors, and properties (hypothesis)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from shelf_tui.marketplaces.signing import (
    parse_top_time,
    temu_body,
    temu_sign,
    top_sign,
    top_sign_string,
    top_timestamp,
)

# platforms.md §1.3 worked example.
TOP_PARAMS = {
    "method": "taobao.item.update.delisting",
    "app_key": "12345678",
    "session": "test",
    "timestamp": "2016-01-01 12:00:00",
    "format": "json",
    "v": "2.0",
    "num_iid": "11223344",
}


def test_top_worked_example_md5() -> None:
    params = {**TOP_PARAMS, "sign_method": "md5"}
    assert top_sign_string(params) == (
        "app_key12345678formatjsonmethodtaobao.item.update.delistingnum_iid11223344"
        "sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0"
    )
    assert top_sign(params, "helloworld", "md5") == "BD98E1F5292031F7C026041D072A9180"


def test_top_worked_example_hmac() -> None:
    params = {**TOP_PARAMS, "sign_method": "hmac"}
    assert top_sign(params, "helloworld", "hmac") == "FFC9CA6022D7BAAC72E0DDBD1545BD54"


def test_top_worked_example_hmac_sha256() -> None:
    params = {**TOP_PARAMS, "sign_method": "hmac-sha256"}
    assert (
        top_sign(params, "helloworld", "hmac-sha256")
        == "F808014E53EF4BE86D77C1170614A714F42632C0C7BEBF16A2EDB9468D4905F3"
    )


def test_top_skips_empty_values_and_the_sign_itself() -> None:
    params = {**TOP_PARAMS, "sign_method": "md5"}
    with_extras = {**params, "fields": "", "sign": "WHATEVER"}
    assert top_sign(with_extras, "helloworld") == top_sign(params, "helloworld")


def test_temu_official_example() -> None:
    """platforms.md §3.3: the official example reproduces with the documented algorithm."""
    params = {
        "access_token": "2nifvmpyymvypwmcms5ct4uqqudrwgpmzbcnmkt1jzjkuaf3x56iixym",
        "app_key": "f9d5cc9313893a20d5aa85c654e8f503",
        "data_type": "JSON",
        "sendRequestList": [
            {
                "orderSendInfoList": [
                    {
                        "quantity": 1,
                        "orderSn": "211-21905473070712792",
                        "parentOrderSn": "PO-211-21905452099192792",
                        "goodsId": 601099548666279,
                        "skuId": 17592352673534,
                    }
                ],
                "carrierId": "699272611",
                "trackingNumber": "270324232756",
            }
        ],
        "sendType": 0,
        "timestamp": 1711009072,
        "type": "bg.logistics.shipment.confirm",
    }
    secret = "c7e0a1a63542be4de3cb5488f9fba8149e8fc290"
    assert temu_sign(params, secret) == "4CCF219942D4180C6DDA3CE36C1B838F"


def test_temu_body_is_exactly_what_was_signed() -> None:
    """Gotcha 19: sign exactly the JSON that is sent (same order, compact, true not True)."""
    params = {"b": True, "a": [1, {"y": 2, "x": "é"}], "type": "t"}
    body = temu_body(params)
    assert body == '{"b":true,"a":[1,{"y":2,"x":"é"}],"type":"t"}'.encode()
    parsed = json.loads(body)
    assert temu_sign(parsed, "s") == temu_sign(params, "s")


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
values = st.text(min_size=1, max_size=30).filter(lambda v: v != "")
top_params = st.dictionaries(keys.filter(lambda k: k != "sign"), values, min_size=1, max_size=10)
methods = st.sampled_from(["md5", "hmac", "hmac-sha256"])


@given(top_params, methods, st.randoms())
def test_top_signature_does_not_depend_on_parameter_order(
    params: dict[str, str], method: str, rnd: object
) -> None:
    items = list(params.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert top_sign(dict(items), "secret", method) == top_sign(params, "secret", method)


@given(top_params, methods, st.data())
def test_any_top_value_change_changes_the_signature(
    params: dict[str, str], method: str, data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(params)))
    new = data.draw(values.filter(lambda v: v != params[key]))
    changed = {**params, key: new}
    assert top_sign(changed, "secret", method) != top_sign(params, "secret", method)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
temu_params = st.dictionaries(
    keys.filter(lambda k: k != "sign"), json_values, min_size=1, max_size=8
)


@given(temu_params, st.randoms())
def test_temu_signature_does_not_depend_on_top_level_order(
    params: dict[str, object], rnd: object
) -> None:
    items = list(params.items())
    rnd.shuffle(items)  # type: ignore[attr-defined]
    assert temu_sign(dict(items), "secret") == temu_sign(params, "secret")


@given(temu_params, st.data())
def test_any_temu_value_change_changes_the_signature(
    params: dict[str, object], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(params)))
    new = data.draw(json_values.filter(lambda v: v != params[key]))
    changed = {**params, key: new}
    before = temu_body({key: params[key]})
    after = temu_body({key: new})
    if before != after:  # 1 and 1.0, True and 1 serialise differently, so they differ too
        assert temu_sign(changed, "secret") != temu_sign(params, "secret")


# -- timestamps -----------------------------------------------------------------------------


def test_top_timestamp_is_gmt8() -> None:
    assert top_timestamp(1_790_000_000) == "2026-09-21 22:13:20"
    assert top_timestamp(0) == "1970-01-01 08:00:00"


def test_parse_top_time_round_trips_and_refuses_garbage() -> None:
    when = parse_top_time("2026-09-21 22:13:20")
    assert when is not None and when.timestamp() == 1_790_000_000
    assert parse_top_time("1988-07-01 12:00:00") is not None  # China had DST then: zoneinfo
    for bad in (
        "",
        "2026-09-21",
        "2026-13-01 00:00:00",
        "garbage-value-xx:yy",
        "2026/09/21 22:13:20",
    ):
        assert parse_top_time(bad) is None


@settings(max_examples=3, deadline=None)
@given(st.lists(st.integers(0, 4_102_444_800), min_size=50, max_size=200))
def test_hosts_in_any_zone_produce_the_same_top_timestamp(instants: list[int]) -> None:
    """Gotcha 6: the same instant gives the same GMT+8 string with TZ=UTC, São Paulo or
    Shanghai (each zone in its own interpreter, since the zone is read at start-up)."""
    code = (
        "import json, sys, time\n"
        "from shelf_tui.marketplaces.signing import top_timestamp\n"
        "print(json.dumps([time.tzname[0], [top_timestamp(t) for t in json.loads(sys.argv[1])]]))\n"
    )
    outs = {}
    for zone in ("UTC", "America/Sao_Paulo", "Asia/Shanghai"):
        env = dict(os.environ, TZ=zone)
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(instants)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        outs[zone] = json.loads(proc.stdout)
    assert outs["America/Sao_Paulo"][0] != outs["UTC"][0]  # the zones really differed
    assert outs["UTC"][1] == outs["America/Sao_Paulo"][1] == outs["Asia/Shanghai"][1]
    assert outs["UTC"][1] == [top_timestamp(t) for t in instants]
