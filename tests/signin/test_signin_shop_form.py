"""Adding a shop: field checks, endpoints prefilled per platform, token states and the expiry
warning (auth/registry.py, auth/expiry.py and the add-shop form)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from signkit import FIXED_DT, FIXED_NOW, pick, region_lines, screen_text, settle, type_into
from textual import events
from textual.widgets import Input

from shelf_tui.auth import TokenStore
from shelf_tui.auth.expiry import attention, banner, span, token_view
from shelf_tui.auth.registry import (
    DraftRefused,
    ShopDraft,
    add_shop,
    check,
    default_endpoints,
    remove_shop,
)
from shelf_tui.domain import Platform, Shop
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.shop_form import AddShopScreen

GOOD = ShopDraft(
    name="tb-main",
    platform="taobao",
    app_key="12345678",
    app_secret="s3cret",
    gateway="https://eco.taobao.com/router/rest",
    oauth="https://oauth.taobao.com",
    redirect_uri="https://shelf.example/cb",
)


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({}, {}),
        ({"name": ""}, {"name": "required"}),
        ({"name": "bad name"}, {"name": "letters, digits, '.', '_' or '-' (at most 64)"}),
        ({"app_key": "", "app_secret": ""}, {"app_key": "required", "app_secret": "required"}),
        ({"gateway": "eco.taobao.com"}, {"gateway": "expected an http(s) URL"}),
        ({"oauth": "https://u:p@oauth.taobao.com"}, {"oauth": "a URL must not carry credentials"}),
        ({"redirect_uri": "ftp://x/cb"}, {"redirect_uri": "expected an http(s) URL"}),
        ({"place": "MLM"}, {"place": "Taobao/Tmall shops have no site or region"}),
        ({"platform": "mercadolibre", "place": "XX"}, {"place": "one of MLA MLB MLM MLC"}),
        ({"platform": "mercadolibre", "place": "mlb"}, {}),
        ({"platform": "temu", "place": "asia", "oauth": ""}, {"place": "one of us eu global"}),
        ({"platform": "temu", "place": "EU", "oauth": ""}, {}),
        ({"platform": "ebay"}, {"platform": "taobao, tmall, mercadolibre or temu"}),
        # the app's registered redirect URI: ML's token exchange must send it (§2.1), TOP's
        # authorize and token calls carry it (§1.4); Temu has none
        (
            {"platform": "mercadolibre", "place": "MLM", "redirect_uri": ""},
            {"redirect_uri": "required for Mercado Libre (as registered for the app)"},
        ),
        ({"redirect_uri": ""}, {"redirect_uri": "required for Taobao/Tmall"}),
        ({"platform": "tmall", "redirect_uri": ""}, {"redirect_uri": "required for Taobao/Tmall"}),
        ({"platform": "temu", "place": "us", "oauth": "", "redirect_uri": ""}, {}),
    ],
)
def test_every_field_is_checked(changes: dict[str, str], problems: dict[str, str]) -> None:
    found = check(_draft(**changes))
    assert set(found) == set(problems)
    for name, words in problems.items():
        assert found[name].startswith(words)


def _draft(**changes: str) -> ShopDraft:
    values = {f: getattr(GOOD, f) for f in GOOD.__slots__}  # type: ignore[attr-defined]
    values.update(changes)
    return ShopDraft(**values)


def test_a_taken_name_is_refused() -> None:
    assert check(GOOD, {"tb-main"}) == {"name": "a shop with this name exists"}


def test_endpoints_default_to_the_real_platform_per_site_and_region() -> None:
    assert default_endpoints("taobao") == (
        "https://eco.taobao.com/router/rest",
        "https://oauth.taobao.com",
    )
    assert default_endpoints("mercadolibre", "mlb") == (
        "https://api.mercadolibre.com",
        "https://auth.mercadolivre.com.br",
    )
    assert default_endpoints("temu", "eu") == ("https://openapi-b-eu.temu.com/openapi/router", "")


def test_add_then_remove_touches_the_keyring_and_the_store_only_as_told(
    store: Store, memory_keyring: Any
) -> None:
    from shelf_tui.store import Event

    tokens = TokenStore()
    shop = add_shop(store, tokens, _draft(platform="mercadolibre", place="mlm", oauth=""))
    assert (shop.site, shop.oauth) == ("MLM", "")
    assert memory_keyring.entries == {("shelf", "tb-main:app_secret"): "s3cret"}
    assert b"s3cret" not in store.path.read_bytes()
    with pytest.raises(DraftRefused) as info:
        add_shop(store, tokens, GOOD)
    assert info.value.problems == {"name": "a shop with this name exists"}
    tokens.set("tb-main", "access_token", "tok")
    store.events.append(Event(shop="tb-main", actor="me", action="delist", item_id="1"))
    removed = remove_shop(store, tokens, "tb-main", purge_history=False)
    assert (removed.items, removed.events_erased) == (0, None)
    assert memory_keyring.entries == {} and store.shops.names() == []
    assert store.events.count("tb-main") == 1
    add_shop(store, tokens, GOOD)
    assert remove_shop(store, tokens, "tb-main", purge_history=True).events_erased == 1


# -- token states ---------------------------------------------------------------------------


def _shop(platform: Platform, expires_in: float | None, **kw: Any) -> Shop:
    expires = None if expires_in is None else FIXED_DT + timedelta(seconds=expires_in)
    return Shop("s", platform, seller_id="1", token_expires_at=expires, **kw)


@pytest.mark.parametrize(
    ("shop", "kwargs", "text", "level"),
    [
        (_shop(Platform.TAOBAO, 30 * 86400), {}, "valid until 2026-10-21", "ok"),
        (_shop(Platform.TAOBAO, 6 * 86400 + 3600), {}, "expires in 6d 1h", "warn"),
        (_shop(Platform.TEMU, 5 * 3600), {}, "expires in 5h", "warn"),
        (_shop(Platform.TMALL, -1), {}, "expired", "bad"),
        (_shop(Platform.TAOBAO, 30 * 86400), {"signed_in": False}, "not signed in", "bad"),
        (_shop(Platform.MERCADOLIBRE, -3600), {}, "auto-refresh", "ok"),
        (
            _shop(Platform.MERCADOLIBRE, 3600),
            {"failing": "invalid_grant"},
            "refresh failing",
            "bad",
        ),
        (
            _shop(
                Platform.MERCADOLIBRE,
                3600,
                refresh_expires_at=FIXED_DT + timedelta(days=2),
            ),
            {},
            "sign in within 2d",
            "warn",
        ),
        (_shop(Platform.TAOBAO, None), {"signed_in": True}, "signed in", "ok"),
        (Shop("s", Platform.TAOBAO), {}, "never signed in", "unknown"),
        # a TOP token shelf refreshes (the keyring holds a refresh token) is not flagged...
        (_shop(Platform.TAOBAO, 23 * 3600), {"refreshable": True}, "auto-refresh", "ok"),
        (_shop(Platform.TMALL, -3600), {"refreshable": True}, "auto-refresh", "ok"),
        (
            _shop(Platform.TAOBAO, 23 * 3600, refresh_expires_at=FIXED_DT + timedelta(days=30)),
            {"refreshable": True},
            "auto-refresh",
            "ok",
        ),
        # ...nor when the store says its sign-in gave a refresh token outliving it
        (
            _shop(Platform.TAOBAO, 23 * 3600, refresh_expires_at=FIXED_DT + timedelta(days=30)),
            {},
            "auto-refresh",
            "ok",
        ),
        # ...until its refresh token runs out: then the later of the two is the deadline
        (
            _shop(Platform.TAOBAO, 23 * 3600, refresh_expires_at=FIXED_DT + timedelta(days=2)),
            {"refreshable": True},
            "sign in within 2d",
            "warn",
        ),
        (
            _shop(Platform.TAOBAO, 3 * 86400, refresh_expires_at=FIXED_DT - timedelta(days=1)),
            {"refreshable": True},
            "expires in 3d",
            "warn",
        ),
        (
            _shop(Platform.TAOBAO, 23 * 3600),
            {"refreshable": True, "failing": "unauthorized_client"},
            "refresh failing",
            "bad",
        ),
        # no refresh token: flagged as ever, whatever the store remembers
        (
            _shop(Platform.TAOBAO, 23 * 3600, refresh_expires_at=FIXED_DT + timedelta(days=30)),
            {"refreshable": False},
            "expires in 23h",
            "warn",
        ),
        (_shop(Platform.TAOBAO, 23 * 3600), {}, "expires in 23h", "warn"),
        (_shop(Platform.TEMU, 5 * 3600), {"refreshable": True}, "expires in 5h", "warn"),
    ],
)
def test_token_states_read_without_colour(
    shop: Shop, kwargs: dict[str, Any], text: str, level: str
) -> None:
    view = token_view(shop, FIXED_NOW, **kwargs)
    assert (view.text, view.level) == (text, level)


def test_the_banner_asks_the_keyring_only_about_top_shops_it_would_flag() -> None:
    """A TOP shop holding a refresh token is not nagged about; one without is, and so is
    Temu's; the keyring is asked about flagged TOP shops only (an unlock prompt may wait)."""
    day = FIXED_DT + timedelta(hours=23)
    refreshable = Shop("tb-main", Platform.TAOBAO, token_expires_at=day)
    fixed = Shop("tm-flagship", Platform.TMALL, token_expires_at=day)
    temu = Shop("temu-us", Platform.TEMU, token_expires_at=day + timedelta(hours=1))
    far = Shop("tb-far", Platform.TAOBAO, token_expires_at=FIXED_DT + timedelta(days=60))
    asked: list[str] = []

    def has_refresh(shop: Shop) -> bool | None:
        asked.append(shop.name)
        return {"tb-main": True, "tm-flagship": False}.get(shop.name)

    rows = [(s, "") for s in (refreshable, fixed, temu, far)]
    flagged = attention(rows, FIXED_NOW, has_refresh=has_refresh)
    assert [(name, view.text) for name, view in flagged] == [
        ("tm-flagship", "expires in 23h"),
        ("temu-us", "expires in 1d"),
    ]
    assert sorted(asked) == ["tb-main", "tm-flagship"]
    assert banner(flagged) == "2 shops need sign-in (tm-flagship: token expires in 23h)"
    # without the keyring (None: cannot tell) a TOP token is flagged as before
    unknown = attention(rows, FIXED_NOW, has_refresh=lambda shop: None)
    assert [name for name, _ in unknown] == ["tb-main", "tm-flagship", "temu-us"]


def test_the_banner_names_the_most_urgent_shop() -> None:
    soon = Shop("a", Platform.TAOBAO, token_expires_at=FIXED_DT + timedelta(days=3))
    gone = Shop("b", Platform.TEMU, token_expires_at=FIXED_DT - timedelta(days=1))
    fine = Shop("c", Platform.TAOBAO, token_expires_at=FIXED_DT + timedelta(days=60))
    flagged = attention([(soon, ""), (gone, ""), (fine, "")], FIXED_NOW)
    assert [name for name, _ in flagged] == ["b", "a"]
    assert banner(flagged) == "2 shops need sign-in (b: token expired)"
    assert banner(flagged[1:]) == "a: token expires in 3d"
    assert banner([]) == ""
    assert [span(s) for s in (59, 3600, 90000, 86400 * 3)] == ["1m", "1h", "1d 1h", "3d"]


# -- the form -------------------------------------------------------------------------------


async def test_the_form_prefills_per_platform_and_points_at_the_first_bad_field(
    store: Store, console: Callable[..., ShelfApp]
) -> None:
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddShopScreen)

        def value(name: str) -> str:
            return form.query_one(f"#f-{name}", Input).value

        assert value("gateway") == "https://eco.taobao.com/router/rest"
        assert value("oauth") == "https://oauth.taobao.com"
        assert form.query_one("#f-place", Input).disabled
        # Mercado Libre: the site picks the sign-in host
        await pick(pilot, "#f-platform", 2)
        assert form.platform == "mercadolibre"
        assert value("gateway") == "https://api.mercadolibre.com"
        await type_into(pilot, "#f-place", "MLB")
        await settle(pilot)
        assert value("oauth") == "https://auth.mercadolivre.com.br"
        # an edited endpoint is the seller's: a platform change leaves it alone
        await type_into(pilot, "#f-gateway", "http://127.0.0.1:1/")
        await pick(pilot, "#f-platform", 1)  # Temu
        assert form.platform == "temu" and value("gateway") == "http://127.0.0.1:1/"
        assert form.query_one("#f-oauth", Input).disabled
        # adding with problems: the first bad field gets the focus, one line names it
        await type_into(pilot, "#f-place", "asia")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error, _ = region_lines(app, form.query_one("#form-error"))
        assert error[0].strip() == "Shop name: required (+3 more)"
        assert app.focused is form.query_one("#f-name")
        assert form.query_one("#f-place").has_class("-problem")
        await type_into(pilot, "#f-name", "temu-1")
        await type_into(pilot, "#f-app_key", "k")
        await type_into(pilot, "#f-app_secret", "s")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error, _ = region_lines(app, form.query_one("#form-error"))
        assert error[0].strip() == "Region: one of us eu global"
        await pilot.press("escape")
        await settle(pilot)
        assert "No shops yet" in screen_text(app)
    assert store.shops.names() == []


def _burst(app: ShelfApp, keys: list[str]) -> None:
    """Keys as a terminal hands over an auto-typed or unbracketed paste: all read at once,
    before any field has dealt with the first."""
    specials = {"tab": "\t", "enter": "\r", "shift+tab": None}
    for key in keys:
        app.post_message(events.Key(key, specials.get(key, key)))


@pytest.mark.parametrize("move", ["tab", "enter"])
async def test_a_burst_of_keys_fills_each_field_it_was_typed_for(
    move: str, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    """A password manager auto-typing "name TAB TAB key TAB secret ..." (the tab or enter
    moves the focus only once a field reads it): each value in its own field, the secret
    never in a field in plain sight, and the shop added as typed."""
    secret = "9f86d081884c7d659a2feaa0c55ad015"
    fields = [
        ("name", "burst-shop"),
        ("app_key", "12345678"),
        ("app_secret", secret),
        ("gateway", "http://127.0.0.1:1/router/rest"),
        ("oauth", "http://127.0.0.1:1"),
        ("redirect_uri", "https://shelf.example/cb"),
    ]
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddShopScreen)
        seen: list[str] = []  # every value a field in plain sight held

        def record(value: str) -> None:
            seen.append(value)

        for field in form.query(Input):
            if field.id != "f-app_secret":
                field.watch(field, "value", record, init=False)
        keys: list[str] = [*fields[0][1], move, "tab"]  # past the platform (Taobao)
        for _, text in fields[1:]:
            keys += [*text, "enter" if _ == "redirect_uri" else move]
        _burst(app, keys)
        await settle(pilot)
        assert seen and not any(secret[:4] in value for value in seen)  # not for a frame
    shop = store.shops.get("burst-shop")
    assert (shop.app_key, shop.gateway, shop.oauth, shop.redirect_uri) == tuple(
        text for _, text in fields[1:] if _ != "app_secret"
    )
    assert memory_keyring.entries[("shelf", "burst-shop:app_secret")] == secret


@pytest.mark.parametrize(
    ("steps", "place", "words"),
    [
        (2, "MLM", "Mercado Libre"),  # platform list: Taobao, Tmall, Mercado Libre, Temu
        (0, "", "Taobao/Tmall"),
    ],
)
async def test_the_form_refuses_a_shop_without_its_redirect_uri(
    steps: int,
    place: str,
    words: str,
    store: Store,
    memory_keyring: Any,
    console: Callable[..., ShelfApp],
) -> None:
    """Mercado Libre's token exchange must send the registered redirect URI (§2.1), TOP's
    sign-in carries it too (§1.4): the form says so before anything is written, on the
    field, in one line; Temu's stays optional."""
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddShopScreen)
        redirect = form.query_one("#f-redirect_uri", Input)
        if steps:
            await pick(pilot, "#f-platform", steps)
            await type_into(pilot, "#f-place", place)
        assert redirect.placeholder == "required: as registered for the app"
        await type_into(pilot, "#f-name", "shop-1")
        await type_into(pilot, "#f-app_key", "12345678")
        await type_into(pilot, "#f-app_secret", "s3cret")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error, _ = region_lines(app, form.query_one("#form-error"))
        assert error[0].strip() == f"Redirect URI: required for {words} (as registered for the app)"
        assert app.focused is redirect and redirect.has_class("-problem")
        assert store.shops.names() == [] and memory_keyring.entries == {}
        await type_into(pilot, "#f-redirect_uri", "https://shelf.example/cb")
        await pilot.press("enter")  # enter on the last field adds
        await settle(pilot)
        assert store.shops.get("shop-1").redirect_uri == "https://shelf.example/cb"


async def test_the_redirect_uri_stays_optional_for_temu(
    store: Store, console: Callable[..., ShelfApp]
) -> None:
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddShopScreen)
        await pick(pilot, "#f-platform", 3)
        assert form.platform == "temu"
        placeholder = form.query_one("#f-redirect_uri", Input).placeholder
        assert placeholder == "optional: as registered for the app"
