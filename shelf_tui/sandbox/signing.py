"""Signature algorithms of TOP (platforms.md §1.3) and Temu (§3.3), server side.

These are the sandbox's verifiers. They are deliberately written from the documentation and
not shared with shelf's connectors: the sandbox is the other end of the wire, and a signer bug
must not be able to hide behind an identical verifier bug.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

TOP_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")


def top_sign_string(params: Mapping[str, str]) -> str:
    """The string TOP hashes: params sorted by name, `key+value` with no separators.

    platforms.md §1.3 steps 1-2: every parameter but `sign` (file params never reach here,
    the sandbox takes no multipart), ASCII order, values not URL-encoded, empty values
    skipped as the official SDKs do.
    """
    return "".join(k + v for k, v in sorted(params.items()) if v != "" and k != "sign")


def top_sign(params: Mapping[str, str], secret: str, sign_method: str) -> str:
    """TOP signature, upper-case hex (§1.3 steps 3-4).

    `md5` is MD5(secret + str + secret), `hmac` is HMAC-MD5 keyed by the secret, and
    `hmac-sha256` is HMAC-SHA256 keyed by the secret. Raises ValueError for another method.
    """
    data = top_sign_string(params).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(key + data + key).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(key, data, hashlib.md5).hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unsupported sign_method {sign_method!r}")


def top_verify(params: Mapping[str, str], secret: str) -> bool:
    """True when `params["sign"]` is the §1.3 signature under `params["sign_method"]`.

    A missing `sign_method` is read as md5 (the oldest SDKs omit it). The comparison is exact:
    TOP documents upper-case hex, so a lower-case signature is a client bug worth seeing.
    Empty values are skipped (§1.3); a signature that included them is accepted too.
    """
    given = params.get("sign", "")
    method = params.get("sign_method") or "md5"
    if method not in TOP_SIGN_METHODS or not given:
        return False
    if hmac.compare_digest(top_sign(params, secret, method), given):
        return True
    if any(v == "" for k, v in params.items() if k != "sign"):
        # Older SDK copies sign every attribute they send, empty ones included.
        text = "".join(k + v for k, v in sorted(params.items()) if k != "sign").encode("utf-8")
        key = secret.encode("utf-8")
        if method == "md5":
            digest = hashlib.md5(key + text + key).hexdigest()
        else:
            digest = hmac.new(
                key, text, hashlib.md5 if method == "hmac" else hashlib.sha256
            ).hexdigest()
        return hmac.compare_digest(digest.upper(), given)
    return False


def temu_value(value: object) -> str:
    """One value as Temu's official sample serialises it (platforms.md §3.3 step 2).

    `json.dumps(v, ensure_ascii=False, separators=(',', ':'))` with the surrounding quotes of
    a string removed: strings raw, numbers and booleans in JSON form (`true`), nested
    objects and lists as compact JSON in the order they were sent.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return text[1:-1]
    return text


def temu_sign(params: Mapping[str, object], secret: str) -> str:
    """Temu's MD5 signature: upper-case hex of MD5(secret + sorted key+value + secret)."""
    body = "".join(k + temu_value(v) for k, v in sorted(params.items()) if k != "sign")
    return hashlib.md5((secret + body + secret).encode("utf-8")).hexdigest().upper()


def _temu_variants(params: Mapping[str, object], secret: str) -> list[str]:
    """Signatures a correct client may have computed over the same JSON.

    The canonical form comes first. Two tolerated variants cover documented SDK habits:
    strings signed raw rather than JSON-escaped (only differs for quotes, backslashes and
    control characters), and empty values dropped from the string (`hiscaler/temu-go`,
    §3.3 caveats).
    """
    out = [temu_sign(params, secret)]
    raw = "".join(
        k + (v if isinstance(v, str) else temu_value(v))
        for k, v in sorted(params.items())
        if k != "sign"
    )
    out.append(hashlib.md5((secret + raw + secret).encode("utf-8")).hexdigest().upper())
    kept = {k: v for k, v in params.items() if v not in (None, "", [], {})}
    if len(kept) != len(params):
        out.append(temu_sign(kept, secret))
    return out


def temu_verify(params: Mapping[str, object], secret: str) -> bool:
    """True when `params["sign"]` matches the §3.3 signature of the parsed-in-order params."""
    given = params.get("sign")
    if not isinstance(given, str) or not given:
        return False
    if hmac.compare_digest(temu_sign(params, secret), given):
        return True
    return any(hmac.compare_digest(s, given) for s in _temu_variants(params, secret)[1:])
