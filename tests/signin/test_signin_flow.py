"""auth/flow.py: what the seller pastes, checked before anything is sent; the whole flow
against the sandbox on each platform; the loopback listener."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from signkit import FIXED_DT, FIXED_NOW, approve, with_param
from test_signin_console import add_sandbox_shop

from shelf_tui.auth import KeyringUnavailable, TokenStore, WrongSeller
from shelf_tui.auth import flow as signin
from shelf_tui.auth.loopback import RedirectListener, loopback_target
from shelf_tui.domain import Platform, Shop
from shelf_tui.marketplaces import AuthExpired, SellerInfo
from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store

SHOP = Shop("tb", Platform.TAOBAO, app_key="12345678", redirect_uri="https://example.com/cb")
TEMU = Shop("temu", Platform.TEMU, region="us", app_key="k" * 32)


def test_each_sign_in_has_its_own_unguessable_state_in_the_url() -> None:
    flows = [signin.start(SHOP) for _ in range(50)]
    states = {f.state for f in flows}
    assert len(states) == 50 and all(len(s) >= 11 for s in states)
    for f in flows:
        query = parse_qs(urlsplit(f.url).query)
        assert query["state"] == [f.state]
        assert query["redirect_uri"] == ["https://example.com/cb"]


@pytest.mark.parametrize(
    "pasted",
    [
        "https://example.com/cb?code=CODE123&state={state}",
        "  https://example.com/cb?state={state}&code=CODE123\n",
        "https://example.com/cb#code=CODE123&state={state}",
        "?code=CODE123&state={state}",
        "code=CODE123&state={state}",
        "CODE123",
    ],
)
def test_the_code_is_found_in_what_was_pasted(pasted: str) -> None:
    flow = signin.start(SHOP)
    answer = signin.parse_answer(flow, pasted.format(state=flow.state))
    assert (answer.kind, answer.value) == ("code", "CODE123")
    assert "CODE123" not in repr(answer)


@pytest.mark.parametrize(
    ("pasted", "words"),
    [
        ("", "nothing pasted: paste the code or redirect URL"),
        ("   ", "nothing pasted"),
        ("two words", "not a code: it has spaces or odd characters"),
        ("https://example.com/cb?state={state}", "this address has no code"),
        ("https://example.com/cb?code=CODE123", "this address has no state"),
        ("https://example.com/cb?code=CODE123&state=", "this address has no state"),
        ("https://example.com/cb?code=CODE123&state={state}x", "wrong state"),
        ("https://example.com/cb?code=CODE123&state=other", "wrong state"),
        (
            "https://example.com/cb?error=access_denied&error_description=user+said+no&state={state}",
            "the platform did not authorise shelf (user said no): start again",
        ),
    ],
)
def test_a_bad_answer_is_one_line_exit_2_without_the_code(pasted: str, words: str) -> None:
    flow = signin.start(SHOP)
    with pytest.raises(signin.BadAnswer) as info:
        signin.parse_answer(flow, pasted.format(state=flow.state))
    message = str(info.value)
    assert message.startswith(words) and "\n" not in message
    assert info.value.exit_code == 2
    assert "CODE123" not in message


def test_temu_takes_a_token_or_its_callback_address() -> None:
    flow = signin.start(TEMU)
    assert flow.wants_token and flow.prompt == "access token"
    assert flow.url.startswith("https://seller.temu.com/open-platform/client-manage?app_key=")
    assert signin.parse_answer(flow, "tok3n-value").kind == "token"
    callback = f"https://example.com/cb?app_key=k&code=C0DE&state={flow.state}"
    assert signin.parse_answer(flow, callback) == signin.Answer("code", "C0DE")
    with pytest.raises(signin.BadAnswer, match=r"^not a token"):
        signin.parse_answer(flow, "tok en")


# -- the whole flow against the sandbox ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "who", "scoped"),
    [("tb-main", "沙箱小店", False), ("ml-mx", "SANDBOX_MX", True)],
)
async def test_complete_signs_in_with_the_redirect_url(
    sb: Sandbox, store: Store, memory_keyring: Any, name: str, who: str, scoped: bool
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, name)
    flow = signin.start(store.shops.get(name))
    location = await approve(flow.url)
    info = await signin.complete(store, flow, location, clock=sb.clock.now)
    assert info.nick == who
    shop = store.shops.get(name)
    assert shop.seller_nick == who and shop.token_expires_at is not None
    assert memory_keyring.entries[("shelf", f"{name}:access_token")]
    lines = signin.summary(shop, info, FIXED_NOW)
    assert lines[0].startswith(f"Signed in to {name} as {who} (seller ")
    assert lines[1].startswith("Scopes: ") and (("read" in lines[1]) == scoped)
    # the code was spent: the same address cannot sign in twice
    with pytest.raises(AuthExpired):
        await signin.complete(store, flow, location, clock=sb.clock.now)


async def test_temu_completes_with_the_seller_center_token(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "temu-us", redirect="")
    flow = signin.start(store.shops.get("temu-us"))
    token = sb.credentials("temu-us")["access_token"]
    info = await signin.complete(store, flow, token, clock=sb.clock.now)
    assert info.seller_id and "bg.local.goods.sale.status.set" in info.scopes
    assert memory_keyring.entries[("shelf", "temu-us:access_token")] == token


async def test_temu_completes_with_a_callback_code(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "temu-us")
    store.shops.update("temu-us", oauth=sb.url)  # the sandbox's Seller Center stand-in
    flow = signin.start(store.shops.get("temu-us"))
    assert flow.url.startswith(f"{sb.url}/open-platform/client-manage?app_key=")
    location = await approve(flow.url)
    assert parse_qs(urlsplit(location).query)["state"] == [flow.state]
    info = await signin.complete(store, flow, location, clock=sb.clock.now)
    assert info.seller_id == store.shops.get("temu-us").seller_id != ""


async def test_a_wrong_state_sends_nothing_to_the_platform(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    flow = signin.start(store.shops.get("tb-main"))
    location = await approve(flow.url)
    sb.clear_log()
    with pytest.raises(signin.BadAnswer):
        await signin.complete(store, flow, with_param(location, state="x"), clock=sb.clock.now)
    assert sb.log() == []  # no token request was made: the code is still good
    info = await signin.complete(store, flow, location, clock=sb.clock.now)
    assert info.nick == "沙箱小店"


async def test_another_sellers_code_is_refused(
    sb: Sandbox, store: Store, memory_keyring: Any
) -> None:
    add_sandbox_shop(store, sb, memory_keyring, "tb-main")
    store.shops.update("tb-main", seller_id="999", seller_nick="someone else")
    flow = signin.start(store.shops.get("tb-main"))
    with pytest.raises(WrongSeller):
        await signin.complete(store, flow, await approve(flow.url), clock=sb.clock.now)
    assert ("shelf", "tb-main:access_token") not in memory_keyring.entries


async def test_an_unusable_keyring_is_refused_before_the_code_is_spent(
    sb: Sandbox, store: Store
) -> None:
    from keyring.backends import fail

    add_sandbox_shop(store, sb, TokenStore(_Dict()).backend, "tb-main")
    flow = signin.start(store.shops.get("tb-main"))
    location = await approve(flow.url)
    sb.clear_log()
    with pytest.raises(KeyringUnavailable):
        await signin.complete(
            store, flow, location, tokens=TokenStore(fail.Keyring()), clock=sb.clock.now
        )
    assert sb.log() == []  # the code was not spent


class _Dict:
    """A keyring backend for shop setup only."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.entries.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.entries[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        self.entries.pop((service, user), None)


def test_the_summary_tells_expiry_per_platform() -> None:
    top = Shop("tb", Platform.TAOBAO)
    info = SellerInfo("1", "nick", ("a", "b"), FIXED_DT + timedelta(days=20))
    lines = signin.summary(top, info, FIXED_NOW)
    assert lines == [
        "Signed in to tb as nick (seller 1).",
        "Scopes: a, b",
        f"Token valid until {(FIXED_DT + timedelta(days=20)):%Y-%m-%d %H:%M} UTC (in 20 days); "
        "shelf cannot refresh it: sign in again before then.",
    ]
    ml = signin.summary(Shop("ml", Platform.MERCADOLIBRE), info, FIXED_NOW)
    assert ml[2].endswith("shelf refreshes it automatically.")
    hostile = SellerInfo("1", "evil\x1b[31mnick", ())
    assert "\x1b" not in "".join(signin.summary(top, hostile, FIXED_NOW))


# -- the loopback listener -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("uri", "target"),
    [
        ("http://127.0.0.1:8765/cb", ("127.0.0.1", 8765, "/cb")),
        ("http://localhost:8765", ("localhost", 8765, "/")),
        ("https://127.0.0.1:8765/cb", None),
        ("http://127.0.0.1/cb", None),
        ("http://example.com:8765/cb", None),
        ("", None),
    ],
)
def test_only_a_plain_http_loopback_uri_with_a_port_is_listened_on(
    uri: str, target: tuple[str, int, str] | None
) -> None:
    assert loopback_target(uri) == target


def test_the_listener_takes_only_this_sign_ins_redirect() -> None:
    port = _free_port()
    caught: list[str] = []
    listener = RedirectListener(f"http://127.0.0.1:{port}/cb", "STATE", on_redirect=caught.append)
    assert listener.start()
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/other?code=c&state=STATE").status_code == 404
        assert httpx.get(f"{base}/cb?code=c&state=WRONG").status_code == 400
        assert httpx.get(f"{base}/cb?code=c").status_code == 400
        assert listener.url is None
        page = httpx.get(f"{base}/cb?code=c&state=STATE")
        assert page.status_code == 200 and "close this tab" in page.text
        assert listener.wait(10) == f"{base}/cb?code=c&state=STATE" == caught[0]
        # one shot: a second answer is not taken
        assert httpx.get(f"{base}/cb?code=d&state=STATE").status_code == 404
    finally:
        listener.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/cb")


def test_a_taken_port_means_no_listener() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        listener = RedirectListener(f"http://127.0.0.1:{port}/cb", "S")
        assert listener.start() is False
        listener.stop()
