"""Independent clients for the sandbox tests: signing written here from platforms.md.

Deliberately not shared with shelf_tui.sandbox.signing (nor with shelf's connectors): if the
sandbox's verifier and a signer had the same bug, a shared implementation would hide it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from shelf_tui.sandbox import Sandbox

#: 2026-09-21 12:26:40 GMT+8 (a fixed instant for frozen-clock tests).
FIXED_NOW = 1_790_000_000.0


def top_sign(params: dict[str, str], secret: str, sign_method: str = "md5") -> str:
    """platforms.md §1.3, from the prose: sort, key+value, skip empty, hash, upper hex."""
    pieces = []
    for key in sorted(params):
        value = params[key]
        if key == "sign" or value == "":
            continue
        pieces.append(f"{key}{value}")
    text = "".join(pieces).encode()
    key_bytes = secret.encode()
    if sign_method == "md5":
        digest = hashlib.md5(key_bytes + text + key_bytes).hexdigest()
    elif sign_method == "hmac":
        digest = hmac.new(key_bytes, text, "md5").hexdigest()
    else:
        digest = hmac.new(key_bytes, text, "sha256").hexdigest()
    return digest.upper()


def temu_sign(params: dict[str, Any], secret: str) -> str:
    """platforms.md §3.3: compact JSON per value, string quotes stripped, MD5 wrapped."""
    text = secret
    for key in sorted(params):
        if key == "sign":
            continue
        value = params[key]
        if isinstance(value, str):
            text += key + value
        else:
            text += key + json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text += secret
    return hashlib.md5(text.encode()).hexdigest().upper()


def gmt8(t: float) -> str:
    """TOP's timestamp format."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 8 * 3600))


class TopClient:
    """Signs and sends TOP router calls for one shop."""

    def __init__(self, sb: Sandbox, http: httpx.Client, shop: str = "tb-main") -> None:
        self.sb = sb
        self.http = http
        self.shop = shop
        self.creds = sb.credentials(shop)
        self.session: str | None = self.creds["access_token"]

    def system(self, method: str, **overrides: Any) -> dict[str, str]:
        params = {
            "method": method,
            "app_key": self.creds["app_key"],
            "timestamp": gmt8(self.sb.clock.now()),
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
        }
        if self.session:
            params["session"] = self.session
        for k, v in overrides.items():
            if v is None:
                params.pop(k, None)
            else:
                params[k] = str(v)
        return params

    def raw(
        self,
        method: str,
        business: dict[str, Any] | None = None,
        *,
        secret: str | None = None,
        sign: str | None = None,
        verb: str = "POST",
        **system: Any,
    ) -> httpx.Response:
        params = self.system(method, **system)
        body = {k: str(v) for k, v in (business or {}).items()}
        everything = {**params, **body}
        if sign is None:
            sign = top_sign(
                everything, secret or self.creds["app_secret"], params.get("sign_method", "md5")
            )
        params["sign"] = sign
        if verb == "GET":
            return self.http.get(self.sb.info["top"], params={**params, **body})
        return self.http.request(verb, self.sb.info["top"], data={**params, **body})

    def call(self, method: str, **business: Any) -> dict[str, Any]:
        resp = self.raw(method, business)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data


def top_error(data: dict[str, Any]) -> tuple[int, str | None]:
    """(code, sub_code) of a TOP error_response."""
    err = data["error_response"]
    return err["code"], err.get("sub_code")


class MlClient:
    """Bearer-token client for one ML shop."""

    def __init__(self, sb: Sandbox, http: httpx.Client, shop: str = "ml-mx") -> None:
        self.sb = sb
        self.http = http
        self.creds = sb.credentials(shop)
        self.token = self.creds["access_token"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(self.sb.url + path, params=params, headers=self.headers())

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(self.sb.url + path, json=body, headers=self.headers())


class TemuClient:
    """Signs and posts Temu router calls for one shop."""

    def __init__(self, sb: Sandbox, http: httpx.Client, shop: str = "temu-us") -> None:
        self.sb = sb
        self.http = http
        self.creds = sb.credentials(shop)
        self.token: str | None = self.creds["access_token"]

    def body(self, kind: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": kind,
            "app_key": self.creds["app_key"],
            "timestamp": int(self.sb.clock.now()),
            "data_type": "JSON",
        }
        if self.token:
            body["access_token"] = self.token
        body.update(params)
        return body

    def send(
        self, body: dict[str, Any], *, secret: str | None = None, sign: bool = True
    ) -> dict[str, Any]:
        if sign:
            body["sign"] = temu_sign(body, secret or self.creds["app_secret"])
        resp = self.http.post(
            self.sb.info["temu"],
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data

    def call(self, kind: str, **params: Any) -> dict[str, Any]:
        return self.send(self.body(kind, **params))
