"""The documented signature vectors verify against the sandbox's verifiers (§1.3, §3.3)."""

from __future__ import annotations

import json

import pytest
from sandbox_client import temu_sign, top_sign

from shelf_tui.sandbox import signing

TOP_EXAMPLE = {
    "method": "taobao.item.update.delisting",
    "app_key": "12345678",
    "session": "test",
    "timestamp": "2016-01-01 12:00:00",
    "format": "json",
    "v": "2.0",
    "num_iid": "11223344",
}
TOP_EXPECTED = {
    "md5": "BD98E1F5292031F7C026041D072A9180",
    "hmac": "FFC9CA6022D7BAAC72E0DDBD1545BD54",
    "hmac-sha256": "F808014E53EF4BE86D77C1170614A714F42632C0C7BEBF16A2EDB9468D4905F3",
}

#: platforms.md §3.3: the official example, with sendRequestList in exactly this key order.
TEMU_EXAMPLE_BODY = (
    '{"access_token":"2nifvmpyymvypwmcms5ct4uqqudrwgpmzbcnmkt1jzjkuaf3x56iixym",'
    '"app_key":"f9d5cc9313893a20d5aa85c654e8f503","data_type":"JSON",'
    '"sendRequestList":[{"orderSendInfoList":[{"quantity":1,"orderSn":"211-21905473070712792",'
    '"parentOrderSn":"PO-211-21905452099192792","goodsId":601099548666279,"skuId":17592352673534}],'
    '"carrierId":"699272611","trackingNumber":"270324232756"}],'
    '"sendType":0,"timestamp":1711009072,"type":"bg.logistics.shipment.confirm",'
    '"sign":"4CCF219942D4180C6DDA3CE36C1B838F"}'
)
TEMU_SECRET = "c7e0a1a63542be4de3cb5488f9fba8149e8fc290"


def test_top_worked_example_concatenation_matches_platforms_md() -> None:
    params = {**TOP_EXAMPLE, "sign_method": "md5"}
    assert signing.top_sign_string(params) == (
        "app_key12345678formatjsonmethodtaobao.item.update.delistingnum_iid11223344"
        "sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0"
    )


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_top_worked_example_verifies_with_each_sign_method(method: str) -> None:
    params = {**TOP_EXAMPLE, "sign_method": method}
    assert signing.top_sign(params, "helloworld", method) == TOP_EXPECTED[method]
    assert top_sign(params, "helloworld", method) == TOP_EXPECTED[method]  # the test's own signer
    assert signing.top_verify({**params, "sign": TOP_EXPECTED[method]}, "helloworld")


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_top_verifier_refuses_tampering_lowercase_and_wrong_secret(method: str) -> None:
    params = {**TOP_EXAMPLE, "sign_method": method, "sign": TOP_EXPECTED[method]}
    assert not signing.top_verify({**params, "num_iid": "11223345"}, "helloworld")
    assert not signing.top_verify({**params, "sign": TOP_EXPECTED[method].lower()}, "helloworld")
    assert not signing.top_verify(params, "hello-world")


def test_top_empty_values_are_skipped_and_sign_method_is_signed() -> None:
    base = {**TOP_EXAMPLE, "sign_method": "md5"}
    assert signing.top_sign({**base, "q": ""}, "s", "md5") == signing.top_sign(base, "s", "md5")
    assert signing.top_verify({**base, "q": "", "sign": signing.top_sign(base, "s", "md5")}, "s")
    with_empty = "".join(k + v for k, v in sorted({**base, "q": ""}.items()))
    import hashlib

    old_sdk = hashlib.md5(f"s{with_empty}s".encode()).hexdigest().upper()
    assert signing.top_verify({**base, "q": "", "sign": old_sdk}, "s")
    assert signing.top_sign({**base, "sign_method": "hmac"}, "s", "md5") != signing.top_sign(
        base, "s", "md5"
    )


def test_temu_official_example_verifies_against_the_sent_json() -> None:
    params = json.loads(TEMU_EXAMPLE_BODY)
    assert signing.temu_sign(params, TEMU_SECRET) == "4CCF219942D4180C6DDA3CE36C1B838F"
    assert temu_sign(params, TEMU_SECRET) == "4CCF219942D4180C6DDA3CE36C1B838F"
    assert signing.temu_verify(params, TEMU_SECRET)


def test_temu_example_fails_when_nested_key_order_changes() -> None:
    """§3.3 caveat: sign exactly the JSON you send; reordering nested keys changes the sign."""
    params = json.loads(TEMU_EXAMPLE_BODY)
    info = params["sendRequestList"][0]
    params["sendRequestList"][0] = {"trackingNumber": info["trackingNumber"], **info}
    assert not signing.temu_verify(params, TEMU_SECRET)


def test_temu_values_serialise_like_the_official_sample() -> None:
    assert signing.temu_value("raw text") == "raw text"
    assert signing.temu_value(True) == "true"
    assert signing.temu_value(12) == "12"
    assert signing.temu_value([1, {"a": "b"}]) == '[1,{"a":"b"}]'
    assert signing.temu_value("中文") == "中文"


def test_temu_verifier_tolerates_sdks_that_drop_empty_values() -> None:
    params = {"type": "x", "app_key": "k", "timestamp": 1, "searchText": ""}
    dropped = {k: v for k, v in params.items() if v != ""}
    assert signing.temu_verify({**params, "sign": signing.temu_sign(dropped, "s")}, "s")
    assert not signing.temu_verify({**params, "sign": "0" * 32}, "s")
