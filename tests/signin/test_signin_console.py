"""The shops screen and the sign-in dialog, driven by keys against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from signkit import (
    FIXED_DT,
    REDIRECT,
    approve,
    region_lines,
    screen_text,
    settle,
    type_into,
    with_param,
)

from shelf_tui.auth import TokenStore
from shelf_tui.domain import Platform, Shop
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.shop_form import AddShopScreen
from shelf_tui.ui.screens.shops import ShopsScreen
from shelf_tui.ui.screens.signin import SignInScreen


def entry(sb: Sandbox, name: str) -> dict[str, Any]:
    return next(s for s in sb.info["shops"] if s["name"] == name)


def add_sandbox_shop(
    store: Store, sb: Sandbox, keyring: Any, name: str, *, redirect: str = REDIRECT
) -> Shop:
    """A sandbox shop added (app secret in the keyring), not signed in."""
    e = entry(sb, name)
    shop = store.shops.add(
        Shop(
            name=name,
            platform=Platform(e["platform"]),
            site=e.get("site", ""),
            region=e.get("region", ""),
            gateway=e["gateway"],
            oauth=e.get("oauth") or "",
            redirect_uri=redirect,
            app_key=e["app_key"],
        )
    )
    TokenStore(keyring).set(name, "app_secret", e["app_secret"])
    return shop


async def test_a_new_shop_is_added_and_signed_in_with_the_keyboard_alone(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    e = entry(sb, "tb-main")
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ShopsScreen)
        assert "No shops yet. Press a to add one" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AddShopScreen)
        # name (focused first), platform stays Taobao, tab through the disabled site field
        await pilot.press(*"my-shop", "enter")  # enter moves on to the platform
        await pilot.press("tab")  # app key
        await pilot.press(*e["app_key"], "tab", *e["app_secret"], "tab")
        await pilot.press("ctrl+a", "ctrl+k", *e["gateway"], "tab")  # replace the prefill
        await pilot.press("ctrl+a", "ctrl+k", *e["oauth"], "tab")
        await pilot.press(*REDIRECT, "enter")  # enter on the last field adds
        await settle(pilot)
        # the shop is stored, its secret only in the keyring, and sign-in opens by itself
        shop = store.shops.get("my-shop")
        assert (shop.platform, shop.gateway, shop.oauth) == (
            Platform.TAOBAO,
            e["gateway"],
            e["oauth"],
        )
        assert memory_keyring.entries[("shelf", "my-shop:app_secret")] == e["app_secret"]
        assert e["app_secret"].encode() not in store.path.read_bytes()
        screen = app.screen
        assert isinstance(screen, SignInScreen) and screen.shop_name == "my-shop"
        shown, _ = region_lines(app, screen.query_one("#signin-url"))
        assert "".join(line.strip() for line in shown) == screen.flow.url
        # the keys, each line whole in the ~40-cell text column (no lone word wrapped off)
        keys, _ = region_lines(app, screen.query_one("#signin-keys"))
        assert [k.strip() for k in keys] == ["enter sign in · esc cancel", "^o the QR code alone"]
        location = await approve(screen.flow.url)
        await pilot.press(*location, "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Signed in to my-shop as 沙箱小店 (seller 2200000001)." in text
        assert "Token valid until" in text
        # who signed in reads first, the focused Done button comes after it
        lines = [line.strip() for line in text.splitlines()]
        signed = next(i for i, x in enumerate(lines) if x.startswith("Signed in to my-shop"))
        assert lines.index("Done") > signed
        assert app.focused is not None and app.focused.id == "signin-done"
        assert memory_keyring.entries.get(("shelf", "my-shop:access_token"))
        await pilot.press("enter")  # Done
        await settle(pilot)
        assert isinstance(app.screen, ShopsScreen)
        row = screen_text(app)
        # a 24 h TOP token with a refresh token: shelf renews it, nothing to flag
        assert "my-shop" in row and "沙箱小店" in row and "auto-refresh" in row
        assert "Token: auto-refresh (access token until " in row
        assert "shelf\n refreshes it" in row and "need sign-in" not in row  # wrapped at 80


async def test_sign_in_by_pasting_the_redirect_url(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "ml-mx")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        assert screen.flow.url.startswith(f"{sb.url}/authorization?response_type=code")
        location = await approve(screen.flow.url)
        assert location.startswith(REDIRECT + "?")
        await type_into(pilot, "#signin-answer", location)
        await pilot.press("enter")
        await settle(pilot)
        assert "Signed in to ml-mx as SANDBOX_MX (seller 1500000001)." in screen_text(app)
        assert "shelf refreshes it automatically" in screen_text(app)
        shop = store.shops.get("ml-mx")
        assert shop.seller_id == "1500000001" and shop.token_expires_at is not None
        assert memory_keyring.entries[("shelf", "ml-mx:refresh_token")]


async def test_a_wrong_state_is_refused_in_one_line_and_nothing_is_stored(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    before = dict(memory_keyring.entries)
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        location = await approve(screen.flow.url)
        forged = with_param(location, state="someone-elses")
        await type_into(pilot, "#signin-answer", forged)
        await pilot.press("enter")
        await settle(pilot)
        shown, _ = region_lines(app, app.screen.query_one("#signin-error"))
        assert " ".join(ln.strip() for ln in shown).startswith(
            "wrong state: this address is not from this sign-in (an old or foreign link); "
            "nothing was stored"
        )
        # still the dialog, the code never sent, nothing stored
        assert isinstance(app.screen, SignInScreen)
        assert memory_keyring.entries == before
        assert store.shops.get("tb-main").seller_nick == ""
        # the genuine address still works after the refusal
        await type_into(pilot, "#signin-answer", location)
        await pilot.press("enter")
        await settle(pilot)
        assert "Signed in to tb-main" in screen_text(app)


async def test_a_missing_state_is_refused_too(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        location = await approve(screen.flow.url)
        await type_into(pilot, "#signin-answer", with_param(location, state=None))
        await pilot.press("enter")
        await settle(pilot)
        shown, _ = region_lines(app, app.screen.query_one("#signin-error"))
        assert " ".join(ln.strip() for ln in shown).startswith("this address has no state")
        assert ("shelf", "tb-main:access_token") not in memory_keyring.entries


async def test_an_expired_token_is_shown_as_expired(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    add_sandbox_shop(store, sb, memory_keyring, "temu-us")
    add_sandbox_shop(store, sb, memory_keyring, "ml-mx")
    tokens = TokenStore(memory_keyring)
    for name in ("tb-main", "temu-us", "ml-mx"):
        tokens.set(name, "access_token", "t")
    store.shops.update("tb-main", token_expires_at=FIXED_DT - timedelta(hours=1))
    store.shops.update("temu-us", token_expires_at=FIXED_DT + timedelta(days=3, hours=4))
    store.shops.update("ml-mx", token_expires_at=FIXED_DT - timedelta(hours=1))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        title = screen_text(app).splitlines()[0]
        assert "2 shops need sign-in (tb-main: token expired) (^s)" in title
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = screen_text(app)
        assert "tb-main: expired (enter: sign in)" in text
        assert "temu-us: expires in 3d 4h (enter: sign in)" in text
        table = app.screen.query_one("#shops-table")
        cells = {
            str(table.get_row_at(i)[0]).strip(): str(table.get_row_at(i)[4])
            for i in range(table.row_count)
        }
        assert cells == {
            "ml-mx": "auto-refresh",
            "tb-main": "expired",
            "temu-us": "expires in 3d 4h",
        }


async def test_remove_asks_first_with_cancel_focused_and_keeps_the_history(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    from shelf_tui.store import Event

    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    TokenStore(memory_keyring).set("tb-main", "access_token", "t")
    store.events.append(Event(shop="tb-main", item_id="1", action="delist", actor="me"))
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "Remove shop tb-main (Taobao)?" in screen_text(app)
        assert app.focused is not None and app.focused.id == "remove-cancel"
        await pilot.press("enter")  # enter alone: Cancel
        await settle(pilot)
        assert store.shops.find("tb-main") is not None
        assert ("shelf", "tb-main:app_secret") in memory_keyring.entries
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("tab", "enter")  # to Remove
        await settle(pilot)
        assert store.shops.find("tb-main") is None
        assert not [k for k in memory_keyring.entries if k[1].startswith("tb-main:")]
        assert store.events.count("tb-main") == 1  # the history stays
        assert isinstance(app.screen, ShopsScreen)
        assert "No shops yet" in screen_text(app)


async def test_temu_is_signed_in_with_the_pasted_token_masked(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "temu-us", redirect="")
    token = sb.credentials("temu-us")["access_token"]
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        steps, _ = region_lines(app, app.screen.query_one("#signin-steps"))
        assert " ".join(x.strip() for x in steps) == (
            "Authorise the app, then paste the access token it shows:"
        )
        await type_into(pilot, "#signin-answer", token)
        assert token not in screen_text(app)  # a months-long token is never on screen
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Signed in to temu-us as" in text
        assert "bg.local.goods.sale.status.set" in text  # the scopes Seller Center granted
        assert memory_keyring.entries[("shelf", "temu-us:access_token")] == token


class StampSync:
    """A sync that only records when it ran (the shops screen shows it)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def shops(self) -> list[str]:
        return self.store.shops.names()

    async def sync_shop(self, shop: str) -> Any:
        from shelf_tui.ui.services import SyncResult

        self.store.shops.update(shop, last_sync_at=FIXED_DT)
        return SyncResult(shop, 0, 0)


async def test_the_shops_screen_shows_a_sync_that_just_finished(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    app = console(sync=StampSync(store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = app.screen.query_one("#shops-table")
        assert str(table.get_row_at(0)[5]) == "never"
        await pilot.press("r")
        await settle(pilot)
        assert str(table.get_row_at(0)[5]) == "now"


async def test_remove_erases_the_history_only_when_the_box_is_ticked(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    from shelf_tui.store import Event

    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    for i in range(3):
        store.events.append(Event(shop="tb-main", item_id=str(i), action="delist", actor="me"))
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "Also erase its history (3 events)" in screen_text(app)
        await pilot.press("shift+tab", "space")  # the box, ticked
        await pilot.press("tab", "tab", "enter")  # past Cancel to Remove
        await settle(pilot)
    assert store.shops.find("tb-main") is None
    assert store.events.count("tb-main") == 0


async def test_a_sync_of_a_shop_never_signed_in_says_so_not_that_the_platform_refused(
    sb: Sandbox, store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    """The tmux trial: a shop added but never signed in; its sync is refused by shelf (no
    token), and the shops banner said "the platform refused its token"."""
    from shelf_tui.ui.services import StoreSync

    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    app = console(sync=StoreSync(store, tokens=TokenStore(memory_keyring)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "tb-main" in app.accounts.pending  # ctrl+s opens on it, enter signs it in
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = screen_text(app).splitlines()[1]
        assert banner == " tb-main: not signed in (enter: sign in)"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.screen.shop_name == "tb-main"


async def test_the_banner_flags_a_top_token_shelf_cannot_refresh_and_not_one_it_can(
    store: Store, memory_keyring: Any, console: Callable[..., ShelfApp]
) -> None:
    """Both shops signed in by OAuth against the sandbox, their tokens capped at two days:
    tb-main (service-market app) holds a refresh token and is renewed by shelf, so it is
    not flagged; tm-flagship (商家后台 app, fixed-length token) is, days ahead."""
    from shelf_tui.auth import sign_in_with_code
    from shelf_tui.sandbox import Clock

    with Sandbox(items=4, seed=5, clock=Clock(start=FIXED_DT.timestamp())) as sb:
        sb.set_faults("token_ttl=2d")
        tokens = TokenStore(memory_keyring)
        for name in ("tb-main", "tm-flagship"):
            add_sandbox_shop(store, sb, memory_keyring, name)
            code = sb.issue_code(name, REDIRECT)
            await sign_in_with_code(store, name, code, tokens=tokens, clock=sb.clock.now)
        assert tokens.get("tb-main", "refresh_token")
        assert not tokens.get("tm-flagship", "refresh_token")
        app = console()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            title = screen_text(app).splitlines()[0]
            assert "tm-flagship: token expires in 2d (^s)" in title
            assert "tb-main" not in title and "shops need sign-in" not in title
            await pilot.press("ctrl+s")
            await settle(pilot)
            text = screen_text(app)
            assert "tm-flagship: expires in 2d (enter: sign in)" in text
            assert "tb-main:" not in text
            table = app.screen.query_one("#shops-table")
            cells = {
                str(table.get_row_at(i)[0]).strip(): str(table.get_row_at(i)[4])
                for i in range(table.row_count)
            }
            assert cells == {"tb-main": "auto-refresh", "tm-flagship": "expires in 2d"}
