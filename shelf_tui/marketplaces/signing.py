"""Request signatures and wire timestamps of TOP (platforms.md §1.2-1.3) and Temu (§3.2-3.3).

Pure functions, no I/O: the property tests drive them directly, and the connectors call them
for every request. The sandbox has its own verifier written separately from the same
documentation, so a shared bug cannot hide behind an identical one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

#: §1.2: TOP's timestamp is `yyyy-MM-dd HH:mm:ss` in GMT+8, whatever the host's zone (gotcha 6).
TOP_ZONE = ZoneInfo("Asia/Shanghai")
TOP_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
_GMT8 = timedelta(hours=8)


def top_timestamp(epoch: float) -> str:
    """The §1.2 timestamp for an instant: formatted in Asia/Shanghai, never the local zone
    (bububa/opentaobao formats in the process zone and breaks off UTC+8, §1.2)."""
    return datetime.fromtimestamp(int(epoch), TOP_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def parse_top_time(text: str) -> datetime | None:
    """TOP's `yyyy-MM-dd HH:mm:ss` (GMT+8) as an aware UTC datetime; None when absent or not
    that shape (a malformed time must not sink a whole page).

    A sync parses three of these per item, so this avoids strptime (10x slower): China has
    kept UTC+8 without DST since 1991, and older instants go through zoneinfo.
    """
    if len(text) != 19 or text[4] != "-" or text[7] != "-" or text[10] != " ":
        return None
    try:
        year = int(text[0:4])
        local = datetime(
            year,
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
        )
    except ValueError:
        return None
    if year >= 1992:
        return (local - _GMT8).replace(tzinfo=UTC)
    return local.replace(tzinfo=TOP_ZONE).astimezone(UTC)


def top_sign_string(params: Mapping[str, str]) -> str:
    """§1.3 steps 1-2: every param but `sign`, ASCII order by name, `key+value`, no separators,
    values not URL-encoded, empty values skipped (as the official SDKs do)."""
    return "".join(k + v for k, v in sorted(params.items()) if k != "sign" and v != "")


def top_sign(params: Mapping[str, str], secret: str, sign_method: str = "md5") -> str:
    """§1.3 steps 3-4: md5 = MD5(secret+str+secret), hmac = HMAC-MD5, hmac-sha256 =
    HMAC-SHA256, keyed by the app secret; upper-case hex."""
    data = top_sign_string(params).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(key + data + key).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(key, data, hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unsupported TOP sign_method {sign_method!r} (md5, hmac or hmac-sha256)")


def temu_value(value: object) -> str:
    """One value as Temu's official Python sample serialises it (§3.3 step 2, gotcha 19):
    compact JSON, the quotes of a string stripped; numbers and booleans in JSON form
    (`true`, not `True`); nested objects and lists in the order they are sent."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return text[1:-1]
    return text


def temu_sign(params: Mapping[str, object], secret: str) -> str:
    """§3.3: MD5(secret + sorted key+value + secret), upper-case hex. Sign exactly the
    values that are sent (`temu_body` serialises the body with the same separators)."""
    text = "".join(k + temu_value(v) for k, v in sorted(params.items()) if k != "sign")
    return hashlib.md5((secret + text + secret).encode("utf-8")).hexdigest().upper()


def temu_body(params: Mapping[str, object]) -> bytes:
    """The JSON body that is sent: the same compact serialisation the signature saw, so the
    server's canonical form cannot differ from ours (§3.3 caveats)."""
    return json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
