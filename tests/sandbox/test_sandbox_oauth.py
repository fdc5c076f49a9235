"""OAuth endpoints that approve at once (§1.4, §2.1, §3.4)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sandbox_client import MlClient, TopClient

from shelf_tui.sandbox import Sandbox


def _redirect_params(resp: httpx.Response) -> dict[str, str]:
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.startswith("https://app.example/cb")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _top_authorize(
    sb: Sandbox, http: httpx.Client, shop: str = "tb-main", **extra: str
) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": sb.credentials(shop)["app_key"],
        "redirect_uri": "https://app.example/cb",
        "state": "xyz",
        "view": "web",
        **extra,
    }
    return http.get(sb.info["oauth"]["taobao"] + "/authorize", params=params)


def _top_token(
    sb: Sandbox, http: httpx.Client, shop: str = "tb-main", **params: str
) -> httpx.Response:
    creds = sb.credentials(shop)
    data = {
        "client_id": creds["app_key"],
        "client_secret": creds["app_secret"],
        "view": "web",
        **params,
    }
    return http.post(sb.info["oauth"]["taobao"] + "/token", data=data)


def test_top_authorize_redirects_with_code_and_state(sb: Sandbox, http: httpx.Client) -> None:
    params = _redirect_params(_top_authorize(sb, http))
    assert params["state"] == "xyz"
    resp = _top_token(
        sb,
        http,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri="https://app.example/cb",
    )
    body = resp.json()
    assert resp.status_code == 200
    assert {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "re_expires_in",
        "r1_expires_in",
        "r2_expires_in",
        "w1_expires_in",
        "w2_expires_in",
        "taobao_user_nick",
        "taobao_user_id",
    } <= body.keys()
    assert unquote(body["taobao_user_nick"]) == "沙箱小店"
    assert body["taobao_user_nick"] != "沙箱小店"  # URL-encoded (§1.4)
    assert body["taobao_user_id"] == "2200000001"
    assert body["expires_in"] == 86400
    top = TopClient(sb, http)
    top.session = body["access_token"]
    item = sb.catalog.shops["tb-main"].id_of(0)
    assert "item_seller_get_response" in top.call(
        "taobao.item.seller.get", num_iid=item, fields="title"
    )


def test_top_codes_are_single_use_expire_and_check_the_redirect(
    sb: Sandbox, http: httpx.Client
) -> None:
    code = _redirect_params(_top_authorize(sb, http))["code"]
    ok = _top_token(
        sb, http, grant_type="authorization_code", code=code, redirect_uri="https://app.example/cb"
    )
    assert ok.status_code == 200
    again = _top_token(
        sb, http, grant_type="authorization_code", code=code, redirect_uri="https://app.example/cb"
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    late = _redirect_params(_top_authorize(sb, http))["code"]
    sb.advance(601)
    expired = _top_token(
        sb, http, grant_type="authorization_code", code=late, redirect_uri="https://app.example/cb"
    )
    assert expired.json() == {
        "error": "invalid_grant",
        "error_description": "authorize code expire",
    }
    other = _redirect_params(_top_authorize(sb, http))["code"]
    wrong = _top_token(
        sb, http, grant_type="authorization_code", code=other, redirect_uri="https://evil.example/"
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_top_authorize_without_redirect_shows_the_code(sb: Sandbox, http: httpx.Client) -> None:
    resp = _top_authorize(sb, http, redirect_uri="")
    assert resp.status_code == 200
    code = resp.text.split("<pre id='code'>")[1].split("</pre>")[0]
    assert _top_token(sb, http, grant_type="authorization_code", code=code).status_code == 200


def test_top_oauth_errors(sb: Sandbox, http: httpx.Client) -> None:
    assert (
        _top_authorize(sb, http, response_type="token").json()["error"]
        == "unsupported_response_type"
    )
    assert _top_authorize(sb, http, client_id="1").json()["error"] == "invalid_client"
    assert _top_authorize(sb, http, view="desktop").json()["error"] == "invalid_request"
    assert (
        _top_token(sb, http, grant_type="authorization_code", code="x", client_secret="bad").json()[
            "error"
        ]
        == "invalid_client"
    )
    assert _top_token(sb, http, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert http.get(sb.url + "/token").status_code == 400


def test_top_refresh_for_service_market_apps_only(sb: Sandbox, http: httpx.Client) -> None:
    refresh = sb.credentials("tb-main")["refresh_token"]
    body = _top_token(sb, http, grant_type="refresh_token", refresh_token=refresh).json()
    assert body["access_token"] != sb.credentials("tb-main")["access_token"]
    assert body["refresh_token"] != refresh
    reused = _top_token(sb, http, grant_type="refresh_token", refresh_token=refresh)
    assert reused.json()["error"] == "invalid_grant"
    tmall = _top_token(sb, http, "tm-flagship", grant_type="refresh_token", refresh_token="x")
    assert tmall.json()["error"] == "unauthorized_client"  # 商家后台 app (§1.4)
    code = _redirect_params(_top_authorize(sb, http, "tm-flagship"))["code"]
    fixed = _top_token(
        sb,
        http,
        "tm-flagship",
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://app.example/cb",
    ).json()
    assert "refresh_token" not in fixed
    assert (fixed["expires_in"], fixed["re_expires_in"]) == (365 * 86400, 0)


def test_revoked_authorisation_kills_refresh_too(sb: Sandbox, http: httpx.Client) -> None:
    sb.revoke_token("tb-main")
    refresh = sb.credentials("tb-main")["refresh_token"]
    assert (
        _top_token(sb, http, grant_type="refresh_token", refresh_token=refresh).json()["error"]
        == "invalid_grant"
    )
    top = TopClient(sb, http)
    data = top.call(
        "taobao.item.seller.get", num_iid=sb.catalog.shops["tb-main"].id_of(0), fields="x"
    )
    assert data["error_response"]["code"] == 27


# -- Mercado Libre -------------------------------------------------------------------------------


def _ml_authorize(sb: Sandbox, http: httpx.Client, **extra: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": sb.credentials("ml-mx")["app_key"],
        "redirect_uri": "https://app.example/cb",
        "state": "s1",
        **extra,
    }
    return http.get(sb.info["oauth"]["mercadolibre"] + "/authorization", params=params)


def _ml_token(sb: Sandbox, http: httpx.Client, **params: str) -> httpx.Response:
    creds = sb.credentials("ml-mx")
    data = {"client_id": creds["app_key"], "client_secret": creds["app_secret"], **params}
    return http.post(sb.info["mercadolibre"] + "/oauth/token", data=data)


def test_ml_authorization_code_flow(sb: Sandbox, http: httpx.Client) -> None:
    params = _redirect_params(_ml_authorize(sb, http))
    assert params["state"] == "s1"
    assert params["code"].startswith("TG-")
    assert params["code"].endswith("-1500000001")
    resp = _ml_token(
        sb,
        http,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri="https://app.example/cb",
    )
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert (body["expires_in"], body["user_id"], body["scope"]) == (
        21600,
        1500000001,
        "offline_access read write",
    )
    assert body["access_token"].startswith("APP_USR-")
    assert body["refresh_token"].startswith("TG-")
    ml = MlClient(sb, http)
    ml.token = body["access_token"]
    assert ml.get("/users/me").status_code == 200
    reused = _ml_token(
        sb,
        http,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri="https://app.example/cb",
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_ml_refresh_tokens_are_single_use(sb: Sandbox, http: httpx.Client) -> None:
    """Gotcha 13: reusing a refresh token gives the §2.1 invalid_grant body."""
    refresh = sb.credentials("ml-mx")["refresh_token"]
    first = _ml_token(sb, http, grant_type="refresh_token", refresh_token=refresh)
    assert first.status_code == 200
    second = _ml_token(sb, http, grant_type="refresh_token", refresh_token=refresh)
    assert second.status_code == 400
    assert second.json() == {
        "message": "Error validating grant. Your authorization code or refresh token may be "
        "expired or it was already used",
        "error": "invalid_grant",
        "status": 400,
        "cause": [],
    }
    chained = _ml_token(
        sb, http, grant_type="refresh_token", refresh_token=first.json()["refresh_token"]
    )
    assert chained.status_code == 200


def test_ml_expired_access_token_is_refreshed(sb: Sandbox, http: httpx.Client) -> None:
    ml = MlClient(sb, http)
    sb.expire_token("ml-mx")
    assert ml.get("/users/me").status_code == 401
    body = _ml_token(
        sb, http, grant_type="refresh_token", refresh_token=sb.credentials("ml-mx")["refresh_token"]
    )
    ml.token = body.json()["access_token"]
    assert ml.get("/users/me").status_code == 200


def test_ml_token_params_must_be_in_the_body(sb: Sandbox, http: httpx.Client) -> None:
    creds = sb.credentials("ml-mx")
    resp = http.post(
        sb.url + "/oauth/token",
        params={
            "grant_type": "refresh_token",
            "client_id": creds["app_key"],
            "client_secret": creds["app_secret"],
            "refresh_token": creds["refresh_token"],
        },
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    as_json = http.post(
        sb.url + "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": creds["app_key"],
            "client_secret": creds["app_secret"],
            "refresh_token": creds["refresh_token"],
        },
    )
    assert as_json.status_code == 200


def test_ml_oauth_errors(sb: Sandbox, http: httpx.Client) -> None:
    assert _ml_authorize(sb, http, client_id="1").json()["error"] == "invalid_client"
    assert _ml_authorize(sb, http, response_type="token").status_code == 400
    assert (
        _ml_token(sb, http, grant_type="authorization_code", code="x", client_secret="no").json()[
            "error"
        ]
        == "invalid_client"
    )
    assert (
        _ml_token(sb, http, grant_type="client_credentials").json()["error"]
        == "unsupported_grant_type"
    )
    assert (
        _ml_token(sb, http, grant_type="authorization_code", code="TG-nope").json()["error"]
        == "invalid_grant"
    )
    assert http.get(sb.url + "/oauth/token").status_code == 405


def test_ml_authorization_without_redirect_shows_the_code(sb: Sandbox, http: httpx.Client) -> None:
    resp = _ml_authorize(sb, http, redirect_uri="")
    code = resp.text.split("<pre id='code'>")[1].split("</pre>")[0]
    assert _ml_token(sb, http, grant_type="authorization_code", code=code).status_code == 200


# -- Temu --------------------------------------------------------------------------------------


def test_temu_seller_centre_page_calls_back_with_a_code(sb: Sandbox, http: httpx.Client) -> None:
    creds = sb.credentials("temu-us")
    resp = http.get(
        sb.url + "/open-platform/client-manage",
        params={
            "app_key": creds["app_key"],
            "redirect_url": "https://app.example/cb",
            "state": "t",
        },
    )
    params = _redirect_params(resp)
    assert (params["app_key"], params["state"]) == (creds["app_key"], "t")
    assert params["callback_host"].startswith("http://127.0.0.1")
    from sandbox_client import TemuClient

    temu = TemuClient(sb, http)
    temu.token = params["code"]
    data = temu.call("bg.open.accesstoken.create", code=params["code"])
    assert data["errorCode"] == 1000000
    bad = http.get(sb.url + "/open-platform/client-manage", params={"app_key": "nope"})
    assert bad.json()["errorCode"] == 3000020
