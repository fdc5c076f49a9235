"""OAuth endpoints that approve at once (platforms.md §1.4, §2.1, §3.4).

* TOP: `GET /authorize?response_type=code&client_id=…&redirect_uri=…&state=…&view=web` and
  `POST /token` (authorization_code; refresh_token for refreshable apps only: the Tmall demo
  app is a 商家后台 app with a fixed 1-year token, §1.4). Errors are
  ``{"error": ..., "error_description": ...}`` with HTTP 400.
* ML: `GET /authorization?response_type=code&client_id=…&redirect_uri=…&state=…` and
  `POST /oauth/token` with form (or JSON) params **in the body** (§2.1); refresh tokens are
  single-use and a reused or unknown one gets the §2.1 `invalid_grant` body.
* Temu has no OAuth host (tokens go through the router); the sandbox stands in for the seller
  centre's authorisation page at `GET /open-platform/client-manage?app_key=…&redirect_url=…
  &state=…`, which calls back with `app_key, callback_host, code, state` (§3.4).

Every authorize page approves on the spot as the app's own seller (one app per shop here):
with a redirect URI it answers 302 to it with `code` and `state`; without one it shows the code
in a tiny HTML page. Codes are single-use and live 10 minutes (`Limits.oauth_code_ttl`).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode

from shelf_tui.sandbox.catalog import MERCADOLIBRE, TAOBAO, TEMU
from shelf_tui.sandbox.http import JSON, Request, Response
from shelf_tui.sandbox.state import World
from shelf_tui.sandbox.top import TopGateway

#: The §2.1 error body for a bad, expired or reused code or refresh token.
ML_INVALID_GRANT = {
    "message": "Error validating grant. Your authorization code or refresh token may be expired "
    "or it was already used",
    "error": "invalid_grant",
    "status": 400,
    "cause": [],
}


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(
        status, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON
    )


def _redirect(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return Response(
        302, b"", "text/plain;charset=UTF-8", (("Location", uri + sep + urlencode(params)),)
    )


def _code_page(platform: str, code: str, state: str) -> Response:
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>shelf sandbox: authorised</title>"
        f"</head><body><h1>{escape(platform)}: authorised</h1>"
        f"<p>Paste this code into shelf:</p><pre id='code'>{escape(code)}</pre>"
        f"<p>state: <span id='state'>{escape(state)}</span></p></body></html>"
    )
    return Response(200, html.encode("utf-8"), "text/html;charset=UTF-8")


def _form(req: Request) -> dict[str, str]:
    """Form or JSON body parameters."""
    if not req.body:
        return {}
    if "json" in req.headers.get("content-type", ""):
        try:
            data = json.loads(req.body)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))


class OAuth:
    """The authorize pages and token endpoints of the three platforms."""

    def __init__(self, world: World, top: TopGateway) -> None:
        self.w = world
        self.top = top

    def routes(self) -> dict[str, Any]:
        """Path -> handler."""
        return {
            "/authorize": self.top_authorize,
            "/token": self.top_token,
            "/authorization": self.ml_authorize,
            "/oauth/token": self.ml_token,
            "/open-platform/client-manage": self.temu_authorize,
        }

    # -- TOP --------------------------------------------------------------------------------

    def top_authorize(self, req: Request) -> Response:
        """Approve at once and redirect with `code` and `state` (§1.4)."""
        q = dict(parse_qsl(req.query, keep_blank_values=True))
        with self.w.lock:
            if q.get("response_type") != "code":
                return self._top_error("unsupported_response_type", "response_type must be code")
            app = self.w.apps.get(q.get("client_id", ""))
            if app is None or app.platform != TAOBAO:
                return self._top_error("invalid_client", "unknown client_id")
            if q.get("view", "web") not in ("web", "tmall", "wap"):
                return self._top_error("invalid_request", "view must be web, tmall or wap")
            redirect = q.get("redirect_uri") or None
            code = self.w.new_code(app.shop, redirect)
            self.w.record(
                TAOBAO, app.shop, "GET /authorize", None, "302" if redirect else "200", ok=True
            )
        state = q.get("state", "")
        if redirect:
            return _redirect(redirect, {"code": code, "state": state})
        return _code_page("Taobao/Tmall", code, state)

    def _top_error(self, error: str, description: str) -> Response:
        self.w.record(TAOBAO, None, "oauth", None, error, ok=False)
        return _json(400, {"error": error, "error_description": description})

    def top_token(self, req: Request) -> Response:
        """`POST /token`: the §1.4 token response (taobao_user_nick URL-encoded)."""
        p = dict(parse_qsl(req.query, keep_blank_values=True))
        p.update(_form(req))
        with self.w.lock:
            if req.method != "POST":
                return self._top_error("invalid_request", "use POST")
            app = self.w.apps.get(p.get("client_id", ""))
            if app is None or app.platform != TAOBAO or p.get("client_secret") != app.secret:
                return self._top_error("invalid_client", "client_id or client_secret is wrong")
            grant_type = p.get("grant_type", "")
            if grant_type == "authorization_code":
                status, code = self.w.take_code(p.get("code", ""), app.key)
                if status != "ok" or code is None:
                    why = {
                        "unknown": "invalid code",
                        "expired": "authorize code expire",
                        "used": "code has been used",
                    }[status]
                    return self._top_error("invalid_grant", why)
                if code.redirect_uri and p.get("redirect_uri") != code.redirect_uri:
                    return self._top_error(
                        "invalid_grant", "redirect_uri does not match the authorize request"
                    )
                token, grant = self.w.issue(code.shop)
            elif grant_type == "refresh_token":
                if not app.refreshable:  # §1.4, gotcha 8
                    return self._top_error(
                        "unauthorized_client",
                        "this app type (商家后台) gets fixed-length tokens that cannot be "
                        "refreshed",
                    )
                grant = self.w.grants.get(p.get("refresh_token", ""))
                now = self.w.clock.now()
                if (
                    grant is None
                    or grant.app_key != app.key
                    or grant.used
                    or grant.revoked
                    or now >= grant.issued + grant.lifetime
                ):
                    return self._top_error("invalid_grant", "refresh_token is invalid or expired")
                grant.used = True
                token, grant = self.w.issue(grant.shop)
            else:
                return self._top_error(
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token",
                )
            self.w.record(TAOBAO, app.shop, f"POST /token {grant_type}", None, "200", ok=True)
            body = self.top.token_result(app.shop, token.value, grant.value if grant else None)
        return _json(200, body)

    # -- Mercado Libre ----------------------------------------------------------------------

    def ml_authorize(self, req: Request) -> Response:
        """Approve at once (§2.1); the code looks like ML's `TG-…-<user id>`."""
        q = dict(parse_qsl(req.query, keep_blank_values=True))
        with self.w.lock:
            if q.get("response_type") != "code":
                return self._ml_error(400, "invalid_request", "response_type must be code")
            app = self.w.apps.get(q.get("client_id", ""))
            if app is None or app.platform != MERCADOLIBRE:
                return self._ml_error(400, "invalid_client", "invalid client_id")
            redirect = q.get("redirect_uri") or None
            seller = self.w.specs[app.shop].seller_id
            code = self.w.new_code(app.shop, redirect, prefix="TG-")
            # ML codes end with the user id; keep the registry key and the shown code equal.
            shown = f"{code}-{seller}"
            self.w.codes[shown] = self.w.codes.pop(code)
            self.w.codes[shown].value = shown
            self.w.record(
                MERCADOLIBRE,
                app.shop,
                "GET /authorization",
                None,
                "302" if redirect else "200",
                ok=True,
            )
        state = q.get("state", "")
        if redirect:
            return _redirect(redirect, {"code": shown, "state": state})
        return _code_page("Mercado Libre", shown, state)

    def _ml_error(self, status: int, error: str, message: str) -> Response:
        self.w.record(MERCADOLIBRE, None, "oauth", None, f"{status}:{error}", ok=False)
        return _json(status, {"message": message, "error": error, "status": status, "cause": []})

    def ml_token(self, req: Request) -> Response:
        """`POST /oauth/token`, params in the body (§2.1); refresh tokens are single-use."""
        with self.w.lock:
            if req.method != "POST":
                return self._ml_error(405, "method_not_allowed", "use POST")
            p = _form(req)
            if not p.get("grant_type"):
                query = dict(parse_qsl(req.query, keep_blank_values=True))
                if query.get("grant_type"):  # §2.1: "in the body, not the query"
                    return self._ml_error(
                        400, "invalid_request", "send the parameters in the request body"
                    )
                return self._ml_error(400, "invalid_request", "grant_type is required")
            app = self.w.apps.get(p.get("client_id", ""))
            if app is None or app.platform != MERCADOLIBRE or p.get("client_secret") != app.secret:
                return self._ml_error(400, "invalid_client", "invalid client_id or client_secret")
            grant_type = p["grant_type"]
            if grant_type == "authorization_code":
                status, code = self.w.take_code(p.get("code", ""), app.key)
                if status != "ok" or code is None:
                    self.w.record(
                        MERCADOLIBRE,
                        app.shop,
                        "POST /oauth/token",
                        None,
                        "400:invalid_grant",
                        ok=False,
                    )
                    return _json(400, ML_INVALID_GRANT)
                if code.redirect_uri and p.get("redirect_uri") != code.redirect_uri:
                    self.w.record(
                        MERCADOLIBRE,
                        app.shop,
                        "POST /oauth/token",
                        None,
                        "400:invalid_grant",
                        ok=False,
                    )
                    return _json(400, ML_INVALID_GRANT)
                token, grant = self.w.issue(code.shop)
            elif grant_type == "refresh_token":
                old = self.w.grants.get(p.get("refresh_token", ""))
                now = self.w.clock.now()
                if (
                    old is None
                    or old.app_key != app.key
                    or old.used
                    or old.revoked
                    or now >= old.issued + old.lifetime
                ):  # gotcha 13: single use
                    self.w.record(
                        MERCADOLIBRE,
                        app.shop,
                        "POST /oauth/token",
                        None,
                        "400:invalid_grant",
                        ok=False,
                    )
                    return _json(400, ML_INVALID_GRANT)
                old.used = True
                token, grant = self.w.issue(old.shop)
            else:
                return self._ml_error(
                    400, "unsupported_grant_type", f"unsupported grant_type {grant_type}"
                )
            self.w.record(
                MERCADOLIBRE, app.shop, f"POST /oauth/token {grant_type}", None, "200", ok=True
            )
            body = {
                "access_token": token.value,
                "token_type": "Bearer",
                "expires_in": self.w.token_ttl_for(token),
                "scope": "offline_access read write",
                "user_id": self.w.specs[token.shop].seller_id,
                "refresh_token": grant.value if grant else "",
            }
        return _json(200, body)

    # -- Temu -------------------------------------------------------------------------------

    def temu_authorize(self, req: Request) -> Response:
        """Stand-in for Temu's seller-centre authorisation: calls back with a one-time code."""
        q = dict(parse_qsl(req.query, keep_blank_values=True))
        with self.w.lock:
            app = self.w.apps.get(q.get("app_key", ""))
            if app is None or app.platform != TEMU:
                return _json(
                    400,
                    {"success": False, "errorCode": 3000020, "errorMsg": "app_key does not exist"},
                )
            redirect = q.get("redirect_url") or q.get("redirect_uri") or None
            code = self.w.new_code(app.shop, redirect)
            self.w.record(
                TEMU,
                app.shop,
                "GET /open-platform/client-manage",
                None,
                "302" if redirect else "200",
                ok=True,
            )
        state = q.get("state", "")
        if redirect:
            host = req.headers.get("host", "127.0.0.1")
            return _redirect(
                redirect,
                {
                    "app_key": app.key,
                    "callback_host": f"http://{host}",
                    "code": code,
                    "state": state,
                },
            )
        return _code_page("Temu", code, state)
