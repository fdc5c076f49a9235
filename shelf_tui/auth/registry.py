"""Adding and removing a shop from the console: field checks, per-platform endpoint defaults,
and the two writes (keyring + store) done in the order that loses nothing.

The console's add-shop form validates field by field (so it can point at the field), with the
same rules as `shelf shop add`. These functions block (keyring, SQLite): the console calls
them from worker threads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shelf_tui.auth.session import remove_lock_files
from shelf_tui.auth.tokens import TokenStore
from shelf_tui.domain import Platform, Shop
from shelf_tui.marketplaces.mercadolibre import API as ML_API
from shelf_tui.marketplaces.mercadolibre import AUTH_HOSTS
from shelf_tui.marketplaces.temu import GATEWAYS as TEMU_GATEWAYS
from shelf_tui.marketplaces.throttle import forget
from shelf_tui.marketplaces.top import GATEWAY as TOP_GATEWAY
from shelf_tui.marketplaces.top import OAUTH as TOP_OAUTH
from shelf_tui.store import ShopExists, Store

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ML_SITES = tuple(AUTH_HOSTS)
TEMU_REGIONS = ("us", "eu", "global")
#: Platforms whose OAuth sign-in cannot work without the app's registered redirect URI: ML's
#: token exchange must send one equal to it (platforms.md §2.1), TOP's authorize and token
#: calls send it and its domain must match the registered one (§1.4). Temu has none (§3.4).
REDIRECT_REQUIRED = {
    "taobao": "Taobao/Tmall",
    "tmall": "Taobao/Tmall",
    "mercadolibre": "Mercado Libre",
}


def redirect_problem(platform: str, value: str) -> str:
    """Why `value` will not do as `platform`'s redirect URI, or ''."""
    if not value and platform in REDIRECT_REQUIRED:
        return f"required for {REDIRECT_REQUIRED[platform]} (as registered for the app)"
    return url_problem(value, required=False)


@dataclass(frozen=True, slots=True)
class ShopDraft:
    """What the add-shop form holds (the secret never in a repr)."""

    name: str = ""
    platform: str = "taobao"
    place: str = ""  # ML site or Temu region
    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    gateway: str = ""
    oauth: str = ""
    redirect_uri: str = ""


def needs_place(platform: str) -> str:
    """'site' (ML), 'region' (Temu) or '' (TOP): what the place field means."""
    return {"mercadolibre": "site", "temu": "region"}.get(platform, "")


def default_endpoints(platform: str, place: str = "") -> tuple[str, str]:
    """(gateway, oauth) of the real platform for a platform and site/region; what the form
    prefills (a sandbox shop overwrites them with the sandbox's URLs)."""
    if platform in ("taobao", "tmall"):
        return TOP_GATEWAY, TOP_OAUTH
    if platform == "mercadolibre":
        return ML_API, AUTH_HOSTS.get(place.upper(), "")
    return TEMU_GATEWAYS.get(place.lower(), ""), ""


def url_problem(value: str, *, required: bool) -> str:
    """Why `value` is not an http(s) URL fit for an endpoint, or ''."""
    if not value:
        return "required" if required else ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http(s) URL, e.g. https://host/path"
    if parts.username or parts.password:
        return "a URL must not carry credentials"
    if any(ch.isspace() for ch in value):
        return "a URL has no spaces"
    return ""


def check(draft: ShopDraft, existing: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """Field -> what is wrong with it (empty when the draft can be added). Fields are the
    ShopDraft attribute names, in form order."""
    problems: dict[str, str] = {}
    if not draft.name:
        problems["name"] = "required"
    elif not NAME.match(draft.name):
        problems["name"] = "letters, digits, '.', '_' or '-' (at most 64)"
    elif draft.name in existing:
        problems["name"] = "a shop with this name exists"
    try:
        Platform(draft.platform)
    except ValueError:
        problems["platform"] = "taobao, tmall, mercadolibre or temu"
    kind = needs_place(draft.platform)
    if kind == "site" and draft.place.upper() not in ML_SITES:
        problems["place"] = f"one of {' '.join(ML_SITES)}"
    elif kind == "region" and draft.place.lower() not in TEMU_REGIONS:
        problems["place"] = f"one of {' '.join(TEMU_REGIONS)}"
    elif not kind and draft.place:
        problems["place"] = "Taobao/Tmall shops have no site or region"
    if not draft.app_key:
        problems["app_key"] = "required"
    elif any(ch.isspace() for ch in draft.app_key):
        problems["app_key"] = "an app key has no spaces"
    if not draft.app_secret:
        problems["app_secret"] = "required (it goes to the OS keyring only)"  # noqa: S105
    # Endpoints may be left empty: the platform's own (what the form prefills) is used then.
    for name in ("gateway", "oauth"):
        if name == "oauth" and draft.platform == "temu":
            continue  # Temu has no OAuth host: the field is off
        problem = url_problem(getattr(draft, name), required=False)
        if problem:
            problems[name] = problem
    # The redirect URI cannot be guessed: it is the one registered for the seller's app.
    problem = redirect_problem(draft.platform, draft.redirect_uri)
    if problem:
        problems["redirect_uri"] = problem
    return problems


def to_shop(draft: ShopDraft) -> Shop:
    kind = needs_place(draft.platform)
    return Shop(
        name=draft.name,
        platform=Platform(draft.platform),
        site=draft.place.upper() if kind == "site" else "",
        region=draft.place.lower() if kind == "region" else "",
        gateway=draft.gateway,
        oauth=draft.oauth if draft.platform != "temu" else "",
        redirect_uri=draft.redirect_uri,
        app_key=draft.app_key,
    )


class DraftRefused(ValueError):
    """The draft has problems (field -> message)."""

    def __init__(self, problems: dict[str, str]) -> None:
        field_name, message = next(iter(problems.items()))
        super().__init__(f"{field_name}: {message}")
        self.problems = problems


def add_shop(store: Store, tokens: TokenStore, draft: ShopDraft) -> Shop:
    """Store the app secret (keyring), then the shop (SQLite); the secret goes again if the
    shop cannot be added. Raises DraftRefused, KeyringUnavailable (nothing written)."""
    problems = check(draft, set(store.shops.names()))
    if problems:
        raise DraftRefused(problems)
    shop = to_shop(draft)
    tokens.set(shop.name, "app_secret", draft.app_secret)
    try:
        return store.shops.add(shop)
    except ShopExists:
        # Another process added it meanwhile: its secret was the one we just overwrote.
        raise DraftRefused({"name": "a shop with this name exists"}) from None
    except BaseException:
        tokens.remove(shop.name)
        raise


@dataclass(frozen=True, slots=True)
class Removed:
    shop: str
    items: int
    events_erased: int | None  # None: the history stays


def remove_shop(store: Store, tokens: TokenStore, name: str, *, purge_history: bool) -> Removed:
    """Keyring entries first (a failure there leaves the shop listed, so it can be retried),
    then the shop and its items; its events and jobs stay unless `purge_history`."""
    shop = store.shops.get(name)
    items = store.items.count(shops=[shop.name])
    tokens.remove(shop.name)
    store.shops.remove(shop.name)
    forget(shop.name)
    remove_lock_files(store, shop.name)
    erased = store.events.purge_shop(shop.name) if purge_history else None
    return Removed(shop.name, items, erased)
