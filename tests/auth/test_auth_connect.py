"""`auth.connect`: a ready connector from the store and the keyring, and the single-flight
Mercado Libre refresh that persists the new pair before using it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from authkit import add_shop
from connkit import Tap, fake_throttle, form_of, shop_of

from shelf_tui.auth import ShopRefresher, TokenStore, connect
from shelf_tui.errors import SignInNeeded
from shelf_tui.marketplaces import AuthExpired
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store, UnknownShop


def ml_id(sb: Sandbox, idx: int) -> str:
    return f"MLM{sb.catalog.shops['ml-mx'].id_of(idx)}"


async def test_connect_builds_a_working_connector(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    tokens = TokenStore()
    for name in ("tb-main", "ml-mx", "temu-us"):
        add_shop(store, tokens, sb, name)
        async with connect(store, name, clock=sb.clock.now, throttle=fake_throttle(sb)) as market:
            info = await market.whoami()
            assert market.shop.name == name
            assert info.seller_id in ("", str(sb.shop(name).seller_id))


async def test_a_shop_without_a_token_needs_sign_in(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_shop(store, TokenStore(), sb, "tb-main", signed_in=False)
    with pytest.raises(SignInNeeded) as info:
        async with connect(store, "tb-main"):
            pass
    assert info.value.exit_code == 3 and "shelf login tb-main" in str(info.value)
    with pytest.raises(UnknownShop):
        async with connect(store, "nope"):
            pass


async def test_the_throttle_follows_the_configured_rate(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_shop(store, TokenStore(), sb, "temu-us")
    async with connect(store, "temu-us", rates={"temu-us": 3.0}) as market:
        assert market.throttle.rate == 3.0  # type: ignore[attr-defined]
    async with connect(store, "temu-us") as market:
        assert market.throttle.rate == 20.0  # type: ignore[attr-defined]  # platform default


async def test_twenty_concurrent_requests_on_an_expired_token_refresh_exactly_once(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """Gotcha 13: one refresh call, no invalid_grant, the new pair stored before it is used."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, "ml-mx")
    old = sb.credentials("ml-mx")
    order: list[str] = []
    real_set = memory_keyring.set_password

    def recording_set(service: str, username: str, password: str) -> None:
        order.append(f"stored {username}")
        real_set(service, username, password)

    memory_keyring.set_password = recording_set

    async def note(request: httpx.Request) -> None:
        bearer = request.headers.get("authorization", "")
        if bearer and bearer != f"Bearer {old['access_token']}" and "used new" not in order:
            order.append("used new")
        return None

    client = httpx.AsyncClient(transport=Tap(before=note))
    sb.expire_token("ml-mx")
    async with connect(
        store, "ml-mx", client=client, clock=sb.clock.now, throttle=fake_throttle(sb)
    ) as market:
        results = await asyncio.gather(*(market.get_items([ml_id(sb, i)]) for i in range(20)))
    await client.aclose()
    assert all(len(r) == 1 for r in results)
    refreshes = [e for e in sb.log(platform="mercadolibre") if e.op.startswith("POST /oauth/token")]
    assert [e.outcome for e in refreshes] == ["200"]  # exactly one, and no invalid_grant
    assert order.index("stored ml-mx:access_token") < order.index("used new")
    assert order.index("stored ml-mx:refresh_token") < order.index("used new")
    stored = tokens.load("ml-mx")
    assert (
        stored.access_token != old["access_token"] and stored.refresh_token != old["refresh_token"]
    )
    shop = store.shops.get("ml-mx")
    assert shop.token_expires_at is not None and shop.token_expires_at.timestamp() > sb.clock.now()


async def test_two_connectors_of_one_shop_share_one_refresh(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """A sync and a job in the same process: the second adopts the first one's new pair
    instead of spending the (now invalid) old refresh token."""
    add_shop(store, TokenStore(), sb, "ml-mx")
    sb.expire_token("ml-mx")
    async with (
        connect(store, "ml-mx", clock=sb.clock.now, throttle=fake_throttle(sb)) as a,
        connect(store, "ml-mx", clock=sb.clock.now, throttle=fake_throttle(sb)) as b,
    ):
        await asyncio.gather(a.whoami(), b.whoami())
        await asyncio.gather(a.get_items([ml_id(sb, 0)]), b.get_items([ml_id(sb, 1)]))
    refreshes = [e for e in sb.log(platform="mercadolibre") if e.op.startswith("POST /oauth/token")]
    assert [e.outcome for e in refreshes] == ["200"]


async def test_a_revoked_authorisation_is_auth_expired_and_flagged(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_shop(store, TokenStore(), sb, "ml-mx")
    sb.revoke_token("ml-mx")
    with pytest.raises(AuthExpired) as info:
        async with connect(
            store, "ml-mx", clock=sb.clock.now, throttle=fake_throttle(sb)
        ) as market:
            await market.whoami()
    assert info.value.exit_code == 3 and "shelf login ml-mx" in info.value.message
    assert "invalid_grant" in store.shops.meta("ml-mx", "refresh_failing")


async def test_a_cancelled_caller_does_not_lose_the_new_pair(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """The refresh is shielded: cancelling the request that triggered it still stores the
    platform's answer (the old refresh token is already spent)."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, "ml-mx")
    shop = shop_of(sb, "ml-mx")
    refresher = ShopRefresher(store, tokens, shop, clock=sb.clock.now)
    stale = tokens.load("ml-mx")
    task = asyncio.ensure_future(refresher(stale))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert refresher.last is not None
    await refresher.last  # the shielded refresh finishes on its own
    fresh = tokens.load("ml-mx")
    assert fresh.refresh_token != stale.refresh_token
    async with connect(store, "ml-mx", clock=sb.clock.now, throttle=fake_throttle(sb)) as market:
        await market.whoami()  # the stored pair works


# -- TOP: a shop holding a refresh token (service-market app) refreshes like ML ----------------


def token_endpoint(op: str) -> bool:
    """A sandbox log entry of TOP's OAuth host (`POST /token ...`; a refused one is `oauth`)."""
    return op.startswith("POST /token") or op == "oauth"


def top_ids(sb: Sandbox, shop: str = "tb-main") -> list[str]:
    return [str(i) for i in sb.ids(shop, "onsale")]


async def test_twenty_concurrent_top_calls_on_an_expired_session_refresh_exactly_once(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """The TOP twin of gotcha 13: the gateway refuses the expired session (27) twenty times
    at once; one `POST /token grant_type=refresh_token`, the new pair in the keyring (and
    its expiries in the store) before any call carries it, and every call answered."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, "tb-main")
    old = sb.credentials("tb-main")
    assert old["refresh_token"] and old["refreshable"] is True
    order: list[str] = []
    real_set = memory_keyring.set_password

    def recording_set(service: str, username: str, password: str) -> None:
        order.append(f"stored {username}")
        real_set(service, username, password)

    memory_keyring.set_password = recording_set
    sessions: set[str] = set()

    async def note(request: httpx.Request) -> None:
        session = form_of(request).get("session", "")
        if session:
            sessions.add(session)
            if session != old["access_token"] and "used new" not in order:
                order.append("used new")
        return None

    ids = top_ids(sb)[:20]
    assert len(ids) == 20
    client = httpx.AsyncClient(transport=Tap(before=note))
    sb.expire_token("tb-main")
    async with connect(
        store, "tb-main", client=client, clock=sb.clock.now, throttle=fake_throttle(sb)
    ) as market:
        results = await asyncio.gather(*(market.get_items([i]) for i in ids))
        assert market.refreshes == 1  # type: ignore[attr-defined]
    await client.aclose()
    assert [sorted(r) for r in results] == [[i] for i in ids]
    refreshes = [e for e in sb.log(platform="taobao") if e.op.startswith("POST /token")]
    assert [(e.op, e.outcome) for e in refreshes] == [("POST /token refresh_token", "200")]
    refused = [e for e in sb.log(platform="taobao") if e.outcome.startswith("27")]
    assert 1 <= len(refused) <= 20  # each call refused at most once, then answered
    assert order.index("stored tb-main:access_token") < order.index("used new")
    assert order.index("stored tb-main:refresh_token") < order.index("used new")
    stored = tokens.load("tb-main")
    assert stored.access_token != old["access_token"]
    assert stored.refresh_token and stored.refresh_token != old["refresh_token"]
    assert sessions == {old["access_token"], stored.access_token}
    shop = store.shops.get("tb-main")
    now = sb.clock.now()
    assert shop.token_expires_at is not None and shop.token_expires_at.timestamp() > now
    assert shop.refresh_expires_at is not None  # re_expires_in, for the expiry warnings
    assert shop.refresh_expires_at.timestamp() > shop.token_expires_at.timestamp()
    assert store.shops.meta("tb-main", "refresh_failing") == ""


async def test_a_top_session_about_to_expire_is_refreshed_before_it_is_refused(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """As ML does: a known expiry under a minute away refreshes first, so the gateway never
    sees the dying session."""
    from shelf_tui.domain import from_epoch

    tokens = TokenStore()
    add_shop(store, tokens, sb, "tb-main")
    store.shops.update("tb-main", token_expires_at=from_epoch(sb.clock.now() + 30))
    sb.clear_log()
    async with connect(store, "tb-main", clock=sb.clock.now, throttle=fake_throttle(sb)) as m:
        await m.whoami()
    ops = [(e.op, e.outcome) for e in sb.log(platform="taobao")]
    assert ops[0] == ("POST /token refresh_token", "200")
    assert not any(outcome.startswith("27") for _, outcome in ops)
    shop = store.shops.get("tb-main")
    assert shop.token_expires_at is not None
    assert shop.token_expires_at.timestamp() - sb.clock.now() > 23 * 3600


@pytest.mark.parametrize("shop", ["tm-flagship", "tb-main"])
async def test_a_top_shop_without_a_refresh_token_is_auth_expired_as_before(
    shop: str, sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """tm-flagship: a 商家后台 app, issued no refresh token; tb-main: signed in with an
    access token alone. Either way the refused session is AuthExpired (the job pauses, the
    console opens sign-in), nothing asks for a refresh and no refresh is marked failing."""
    tokens = TokenStore()
    add_shop(store, tokens, sb, shop, signed_in=False)
    tokens.save(shop, access_token=sb.credentials(shop)["access_token"])
    assert not tokens.load(shop).refresh_token
    sb.expire_token(shop)
    with pytest.raises(AuthExpired) as info:
        async with connect(store, shop, clock=sb.clock.now, throttle=fake_throttle(sb)) as market:
            await market.get_items(top_ids(sb, shop)[:1])
    assert info.value.exit_code == 3 and f"shelf login {shop}" in info.value.message
    assert info.value.code.startswith("27")
    assert not [e for e in sb.log(platform="taobao") if token_endpoint(e.op)]
    assert store.shops.meta(shop, "refresh_failing") == ""


async def test_a_dead_top_refresh_token_is_auth_expired_and_flagged(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """The seller cancelled the authorisation: one refresh is tried, refused (invalid_grant),
    recorded as failing, and the call is AuthExpired."""
    add_shop(store, TokenStore(), sb, "tb-main")
    sb.revoke_token("tb-main")
    with pytest.raises(AuthExpired) as info:
        async with connect(
            store, "tb-main", clock=sb.clock.now, throttle=fake_throttle(sb)
        ) as market:
            await market.whoami()
    assert info.value.exit_code == 3 and "shelf login tb-main" in info.value.message
    asked = [e.outcome for e in sb.log(platform="taobao") if token_endpoint(e.op)]
    assert asked == ["invalid_grant"]
    assert "invalid_grant" in store.shops.meta("tb-main", "refresh_failing")


async def test_two_top_connectors_of_one_shop_share_one_refresh(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    """A sync and a job at once: the second adopts the first one's new pair (the sandbox's
    TOP refresh tokens are single-use, as ML's are)."""
    add_shop(store, TokenStore(), sb, "tb-main")
    sb.expire_token("tb-main")
    async with (
        connect(store, "tb-main", clock=sb.clock.now, throttle=fake_throttle(sb)) as a,
        connect(store, "tb-main", clock=sb.clock.now, throttle=fake_throttle(sb)) as b,
    ):
        await asyncio.gather(a.whoami(), b.whoami())
    refreshes = [e for e in sb.log(platform="taobao") if e.op.startswith("POST /token")]
    assert [e.outcome for e in refreshes] == ["200"]
