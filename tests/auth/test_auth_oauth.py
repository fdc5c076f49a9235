"""OAuth plumbing per platform: authorize URLs, code exchange, refresh, introspection."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from connkit import shop_of

from shelf_tui.auth import authorize_url, exchange_code, introspect, refresh
from shelf_tui.domain import Platform, Shop
from shelf_tui.marketplaces import AuthExpired
from shelf_tui.sandbox import Sandbox


def parts(url: str) -> tuple[str, dict[str, list[str]]]:
    s = urlsplit(url)
    return f"{s.scheme}://{s.netloc}{s.path}", parse_qs(s.query)


def test_top_authorize_url_defaults_to_oauth_taobao_com() -> None:
    shop = Shop(
        name="tb", platform=Platform.TAOBAO, app_key="123", redirect_uri="https://x.example/cb"
    )
    base, q = parts(authorize_url(shop, "st4te"))
    assert base == "https://oauth.taobao.com/authorize"
    assert q == {
        "response_type": ["code"],
        "client_id": ["123"],
        "redirect_uri": ["https://x.example/cb"],
        "state": ["st4te"],
        "view": ["web"],
    }
    tmall = Shop(name="tm", platform=Platform.TMALL, app_key="123")
    assert parts(authorize_url(tmall, "s"))[1]["view"] == ["tmall"]


@pytest.mark.parametrize(
    ("site", "host"),
    [
        ("MLA", "auth.mercadolibre.com.ar"),
        ("MLB", "auth.mercadolivre.com.br"),
        ("MLM", "auth.mercadolibre.com.mx"),
        ("MLC", "auth.mercadolibre.cl"),
        ("MCO", "auth.mercadolibre.com.co"),
    ],
)
def test_ml_authorize_url_uses_the_sites_auth_host(site: str, host: str) -> None:
    """§2.1 / gotcha 16: the auth host differs per site; the API host does not."""
    shop = Shop(name="ml", platform=Platform.MERCADOLIBRE, site=site, app_key="999")
    base, q = parts(authorize_url(shop, "abc", "https://x.example/cb"))
    assert base == f"https://{host}/authorization"
    assert q["client_id"] == ["999"] and q["state"] == ["abc"] and q["response_type"] == ["code"]


def test_endpoints_are_overridable_per_shop() -> None:
    shop = Shop(
        name="ml",
        platform=Platform.MERCADOLIBRE,
        site="MLM",
        app_key="1",
        oauth="http://127.0.0.1:9/",
    )
    assert authorize_url(shop, "s").startswith("http://127.0.0.1:9/authorization?")
    temu = Shop(name="t", platform=Platform.TEMU, region="eu", app_key="k")
    assert authorize_url(temu, "s").startswith(
        "https://seller-eu.temu.com/open-platform/client-manage?"
    )


@pytest.mark.parametrize("name", ["tb-main", "ml-mx", "temu-us"])
async def test_a_code_is_exchanged_for_a_working_token(sb: Sandbox, name: str) -> None:
    shop = shop_of(sb, name, redirect_uri="https://x.example/cb")
    secret = sb.credentials(name)["app_secret"]
    code = sb.issue_code(name, "https://x.example/cb")
    tokens = await exchange_code(shop, secret, code, clock=sb.clock.now)
    assert tokens.access_token and tokens.expires_at is not None
    assert tokens.seller_id == str(sb.shop(name).seller_id)
    assert code not in repr(tokens) and tokens.access_token not in repr(tokens)
    info = await introspect(shop, tokens.credentials(secret), clock=sb.clock.now)
    assert info.seller_id in ("", tokens.seller_id)
    with pytest.raises(AuthExpired) as again:  # single use
        await exchange_code(shop, secret, code, clock=sb.clock.now)
    assert code not in str(again.value)


async def test_ml_refresh_tokens_are_single_use(sb: Sandbox) -> None:
    shop = shop_of(sb, "ml-mx")
    creds = sb.credentials("ml-mx")
    first = await refresh(shop, creds["app_secret"], creds["refresh_token"], clock=sb.clock.now)
    assert first.refresh_token and first.refresh_token != creds["refresh_token"]
    with pytest.raises(AuthExpired) as info:
        await refresh(shop, creds["app_secret"], creds["refresh_token"], clock=sb.clock.now)
    assert "invalid_grant" in info.value.message
    assert creds["refresh_token"] not in info.value.message
    assert creds["app_secret"] not in info.value.message


async def test_top_service_market_apps_refresh_and_fixed_token_apps_cannot(sb: Sandbox) -> None:
    tb = sb.credentials("tb-main")
    got = await refresh(shop_of(sb, "tb-main"), tb["app_secret"], tb["refresh_token"])
    assert got.access_token and got.nick == sb.shop("tb-main").nick
    tm = sb.credentials("tm-flagship")
    with pytest.raises(AuthExpired) as info:
        await refresh(shop_of(sb, "tm-flagship"), tm["app_secret"], "anything")
    assert "cannot be refreshed" in info.value.message


async def test_temu_has_no_refresh(sb: Sandbox) -> None:
    with pytest.raises(AuthExpired) as info:
        await refresh(shop_of(sb, "temu-us"), "s", "r")
    assert "Seller Center" in info.value.message


async def test_a_wrong_app_secret_is_named(sb: Sandbox) -> None:
    creds = sb.credentials("ml-mx")
    with pytest.raises(AuthExpired) as info:
        await refresh(shop_of(sb, "ml-mx"), "wrong-secret", creds["refresh_token"])
    assert "invalid_client" in info.value.message and "wrong-secret" not in info.value.message
