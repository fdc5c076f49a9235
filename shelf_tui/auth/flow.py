"""The interactive sign-in both faces share (`shelf login NAME` and the console's dialog).

    flow = start(shop)                 # a fresh random `state`, the authorize URL
    flow.url, qr.lines(flow.url)       # shown as text and as a QR code
    info = await complete(store, flow, pasted_text)   # code, redirect URL or (Temu) token

The seller may paste the bare code or the whole address the browser landed on. An address
must carry this sign-in's `state` (platforms.md §1.4, §2.1: it ties the answer to the request,
so a link from an old sign-in or from someone else is refused before any code is spent).
Temu has no code to paste (§3.4): the seller copies the access token Seller Center shows;
a Temu callback address with a code is accepted too. Whatever is pasted is introspected before
anything is stored (login.py), and no message ever quotes a code or a token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from shelf_tui.auth.expiry import self_refreshing
from shelf_tui.auth.login import sign_in_with_code, sign_in_with_tokens
from shelf_tui.auth.oauth import authorize_url
from shelf_tui.auth.tokens import TokenStore
from shelf_tui.domain import Platform, Shop
from shelf_tui.errors import UsageError
from shelf_tui.marketplaces import SellerInfo
from shelf_tui.store import Store

#: Bytes of randomness in `state` (64 bits, 11 characters: short keeps the QR code small).
STATE_BYTES = 8

#: What a code or token may look like: printable, no spaces, not absurdly long.
_TOKEN = re.compile(r"^[!-~]{4,4096}$")
#: A pasted query string (`?code=...&state=...`, `code=...&state=...`) rather than a code.
_QUERY = re.compile(r"(?:^|[?&#])(?:code|state|error)=")


class BadAnswer(UsageError):
    """What was pasted cannot be used (no code, a wrong or missing state): exit 2, nothing
    was sent or stored."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the pasted text turned out to be."""

    kind: Literal["code", "token"]
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SignInFlow:
    """One sign-in attempt: the shop, its random state and the URL the seller opens."""

    shop: Shop
    state: str = field(repr=False)
    redirect_uri: str
    url: str

    @property
    def wants_token(self) -> bool:
        """Temu: the seller pastes the token Seller Center shows (no code exchange)."""
        return self.shop.platform is Platform.TEMU

    @property
    def prompt(self) -> str:
        return "access token" if self.wants_token else "code or redirect URL"

    @property
    def title(self) -> str:
        return f"Sign in to {self.shop.name} ({self.shop.platform.label})"

    def steps(self) -> list[str]:
        """What to do, in the seller's words: before the URL, and after it."""
        if self.wants_token:
            return [
                "Open Temu Seller Center here (or scan the code):",
                "Authorise the app, then paste the access token it shows:",
            ]
        return [
            "Open this address, or scan the code with a phone:",
            "Approve, then paste the code or the address you land on:",
        ]


def new_state() -> str:
    """A fresh unguessable `state` for one sign-in."""
    return secrets.token_urlsafe(STATE_BYTES)


def start(shop: Shop, *, state: str | None = None, redirect_uri: str | None = None) -> SignInFlow:
    """A new sign-in for `shop` (a fresh state unless a test fixes one)."""
    state = state or new_state()
    redirect = shop.redirect_uri if redirect_uri is None else redirect_uri
    return SignInFlow(shop, state, redirect, authorize_url(shop, state, redirect))


def _params(text: str) -> dict[str, str] | None:
    """Query (and fragment) parameters of a pasted address or query string; None when the
    text is not one."""
    if "://" in text:
        parts = urlsplit(text)
        query = "&".join(p for p in (parts.query, parts.fragment) if p)
    elif _QUERY.search(text):
        query = text.lstrip("?")
    else:
        return None
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


def parse_answer(flow: SignInFlow, text: str) -> Answer:
    """The code (or Temu token) in what the seller pasted; BadAnswer with one line if none."""
    text = text.strip()
    if not text:
        raise BadAnswer(f"nothing pasted: paste the {flow.prompt}")
    params = _params(text)
    if params is None:
        if not _TOKEN.match(text):
            what = "token" if flow.wants_token else "code"
            raise BadAnswer(f"not a {what}: it has spaces or odd characters")
        return Answer("token" if flow.wants_token else "code", text)
    if params.get("error"):
        words = params.get("error_description") or params["error"]
        raise BadAnswer(f"the platform did not authorise shelf ({words[:120]}): start again")
    code = params.get("code", "")
    if not code:
        raise BadAnswer(
            "this address has no code: paste the one you land on after approving, or the code"
        )
    state = params.get("state", "")
    if not state:
        raise BadAnswer(
            "this address has no state, so it may be forged: paste the code alone, or start again"
        )
    if not hmac.compare_digest(state.encode(), flow.state.encode()):
        raise BadAnswer(
            "wrong state: this address is not from this sign-in (an old or foreign link); "
            "nothing was stored"
        )
    return Answer("code", code)


async def complete(
    store: Store,
    flow: SignInFlow,
    text: str,
    *,
    tokens: TokenStore | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] | None = None,
) -> SellerInfo:
    """Check what was pasted, exchange the code (or take the token), introspect, store.

    BadAnswer (exit 2) before anything is sent; AuthExpired / WrongSeller (exit 3) when the
    platform refuses; KeyringUnavailable (exit 3) before anything is written."""
    answer = parse_answer(flow, text)
    if answer.kind == "token":
        return await sign_in_with_tokens(
            store, flow.shop.name, answer.value, tokens=tokens, client=client, clock=clock
        )
    return await sign_in_with_code(
        store,
        flow.shop.name,
        answer.value,
        redirect_uri=flow.redirect_uri,
        tokens=tokens,
        client=client,
        clock=clock,
    )


def _span(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} days"
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    return f"{max(1, int(seconds // 60))} min"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def printable(text: str) -> str:
    """Seller names and scopes are data: no control characters reach a terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def summary(
    shop: Shop, info: SellerInfo, now: float, *, refreshable: bool | None = None
) -> list[str]:
    """Who signed in, with which scopes, until when: the lines shown after a sign-in.
    `refreshable`: whether a refresh token was stored (None: judged from the shop's record,
    see expiry.self_refreshing)."""
    who = printable(info.nick or info.seller_id or "the seller")
    seller = f" (seller {printable(info.seller_id)})" if info.seller_id and info.nick else ""
    out = [f"Signed in to {shop.name} as {who}{seller}."]
    if info.scopes:
        scopes = printable(", ".join(info.scopes))
        out.append(f"Scopes: {scopes if len(scopes) <= 200 else scopes[:199] + '…'}")
    else:
        out.append("Scopes: not reported by the platform")
    if info.expires_at is None:
        out.append("Token expiry: not reported by the platform")
    elif shop.platform is Platform.MERCADOLIBRE or (
        shop.platform.is_top and self_refreshing(shop, refreshable)
    ):
        out.append(f"Token valid until {_when(info.expires_at)}; shelf refreshes it automatically.")
    else:
        left = info.expires_at.timestamp() - now
        if left <= 0:
            out.append(f"Token expired at {_when(info.expires_at)}: sign in again.")
        else:
            out.append(
                f"Token valid until {_when(info.expires_at)} (in {_span(left)}); shelf cannot "
                "refresh it: sign in again before then."
            )
    return out
