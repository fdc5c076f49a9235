"""The marketplace connectors: one class per platform behind the contract of base.py.

    market = create(shop, Credentials(app_secret=..., access_token=...))
    async for page in market.iter_items():
        ...
    outcome = await market.set_status(item, Action.DELIST)
    await market.aclose()

`create` is what everything else uses (auth.connect adds the keyring, the store and the
single-flight token refresh on top of it). Endpoints default to the real platform hosts and are
overridden per shop (`Shop.gateway`, `Shop.oauth`), so a shop can point at the platform, its own
sandbox or shelf's.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from shelf_tui.domain import Platform, Shop
from shelf_tui.marketplaces.base import Capabilities, Marketplace, SellerInfo
from shelf_tui.marketplaces.connector import Connector
from shelf_tui.marketplaces.credentials import Credentials, Refresher
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    QuotaExhausted,
    RateLimited,
    Rejected,
    Transient,
)
from shelf_tui.marketplaces.throttle import Throttle, shared

__all__ = [
    "AuthExpired",
    "Capabilities",
    "Connector",
    "Credentials",
    "MalformedResponse",
    "Marketplace",
    "MarketplaceError",
    "NotFound",
    "QuotaExhausted",
    "RateLimited",
    "Refresher",
    "Rejected",
    "SellerInfo",
    "Throttle",
    "Transient",
    "capabilities",
    "connector_class",
    "create",
    "default_gateway",
    "default_rate",
]


def connector_class(platform: Platform) -> type[Connector]:
    """The connector class of a platform (imported lazily: each pulls in httpx)."""
    if platform is Platform.TAOBAO:
        from shelf_tui.marketplaces.top import TopMarketplace

        return TopMarketplace
    if platform is Platform.TMALL:
        from shelf_tui.marketplaces.top import TmallMarketplace

        return TmallMarketplace
    if platform is Platform.MERCADOLIBRE:
        from shelf_tui.marketplaces.mercadolibre import MercadoLibreMarketplace

        return MercadoLibreMarketplace
    from shelf_tui.marketplaces.temu import TemuMarketplace

    return TemuMarketplace


def capabilities(platform: Platform) -> Capabilities:
    """What a platform can do (the UI hides the verbs it lacks)."""
    return connector_class(platform).capabilities


def default_rate(platform: Platform) -> float:
    """Requests per second a shop of this platform gets unless configured otherwise."""
    return capabilities(platform).default_rate


def default_gateway(shop: Shop) -> str:
    """The real platform endpoint a shop talks to when `--gateway` is not given."""
    if shop.platform.is_top:
        from shelf_tui.marketplaces.top import GATEWAY

        return GATEWAY
    if shop.platform is Platform.MERCADOLIBRE:
        from shelf_tui.marketplaces.mercadolibre import API

        return API
    from shelf_tui.marketplaces.temu import GATEWAYS

    return GATEWAYS.get((shop.region or "us").lower(), GATEWAYS["us"])


def create(
    shop: Shop,
    credentials: Credentials,
    *,
    client: httpx.AsyncClient | None = None,
    throttle: Throttle | None = None,
    clock: Callable[[], float] | None = None,
    refresher: Refresher | None = None,
) -> Marketplace:
    """A connector for `shop`.

    `client`: a shared httpx.AsyncClient (the caller closes it); by default the connector
    owns one (HTTP/1.1 keep-alive, timeouts set) and `aclose()` closes it. `throttle`: by
    default the process-wide bucket of this shop at `shop.rate` or the platform default, shared
    with every other connector of the shop. `clock`: epoch seconds for wire timestamps and
    token expiry (tests freeze it with the sandbox's). `refresher`: how an ML connector gets a
    new token after a 401 (auth.connect supplies one that persists it); without one a refused
    token is AuthExpired.
    """
    cls = connector_class(shop.platform)
    if throttle is None:
        throttle = shared(shop.name, shop.rate or cls.capabilities.default_rate)
    return cls(
        shop, credentials, client=client, throttle=throttle, clock=clock, refresher=refresher
    )
