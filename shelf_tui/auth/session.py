"""`connect(store, shop)`: a ready connector for a shop, and the refresh that keeps it working.

Mercado Libre shops, and TOP shops that hold a refresh token (service-market apps, §1.4), get
a refresher; Temu shops and TOP shops without a refresh token (fixed-length 商家后台 tokens)
do not: a refused token is AuthExpired, and the seller signs in again.

The refresh is single-flight at three levels (platforms.md gotcha 13, ML refresh tokens are
single-use, and so are the TOP sandbox's): inside a connector (its own lock: of twenty
requests refused at once, one asks here), across connectors and processes of the same home
(a `flock` on `<data>/locks/<shop>.refresh.lock`), and by reading the keyring again under that
lock: if another connector already refreshed, its pair is adopted instead of spending a
refresh token that is no longer valid. The new pair is written to the keyring, and its expiry
to the store, before the connector uses it; the write is shielded from cancellation, so a
Ctrl-C between the platform's answer and the keyring cannot lose the only valid refresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import IO

import httpx

from shelf_tui import logs
from shelf_tui.auth import oauth
from shelf_tui.auth.tokens import TokenStore
from shelf_tui.domain import Platform, Shop
from shelf_tui.errors import SignInNeeded
from shelf_tui.marketplaces import Credentials, Marketplace, Throttle, create, default_rate
from shelf_tui.marketplaces.errors import AuthExpired
from shelf_tui.marketplaces.throttle import shared
from shelf_tui.store import Store

log = logs.get("auth.session")


def lock_dir(store: Store) -> Path:
    """`<data>/locks`, next to shelf.db (paths.Paths.lock_dir)."""
    return store.path.parent / "locks"


def _flock(path: Path) -> IO[bytes]:
    """Open and exclusively lock a file (blocking; run in a thread)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = open(path, "ab")  # noqa: SIM115 - held until release
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    except ImportError:  # pragma: no cover - Windows: in-process locking only
        pass
    except BaseException:
        handle.close()
        raise
    return handle


def _release(future: asyncio.Future[IO[bytes]]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


@contextlib.asynccontextmanager
async def file_lock(path: Path) -> AsyncIterator[None]:
    """An exclusive lock across processes, acquired off the event loop. A waiter cancelled
    before it gets the lock still releases it once the thread obtains it."""
    future = asyncio.get_running_loop().run_in_executor(None, _flock, path)
    try:
        handle = await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_release)
        raise
    try:
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def _rate(shop: Shop, rates: Mapping[str, float] | None, rate: float | None) -> float | None:
    if rate is not None:
        return rate
    if rates and rates.get(shop.name):
        return rates[shop.name]
    return shop.rate or default_rate(shop.platform)


class ShopRefresher:
    """The Refresher auth.connect gives a connector: serialised, persisted before use."""

    def __init__(
        self,
        store: Store,
        tokens: TokenStore,
        shop: Shop,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.shop = shop
        self.client = client
        self.clock = clock
        self.calls = 0  # refreshes that went to the platform (tests and the console read it)
        self.last: asyncio.Future[Credentials] | None = None  # the latest refresh in flight

    async def __call__(self, stale: Credentials) -> Credentials:
        # Shielded as a whole (lock included): a cancelled caller must neither release the
        # lock under a refresh in flight nor drop a new pair before it is stored.
        self.last = asyncio.ensure_future(self._locked(stale))
        return await asyncio.shield(self.last)

    async def _locked(self, stale: Credentials) -> Credentials:
        async with file_lock(lock_dir(self.store) / f"{self.shop.name}.refresh.lock"):
            return await self._refresh(stale)

    async def _refresh(self, stale: Credentials) -> Credentials:
        current = await self.tokens.aload(self.shop.name)
        if current.access_token and current.access_token != stale.access_token:
            # Another connector (or process) refreshed first: use its pair.
            shop = self.store.shops.get(self.shop.name)
            log.info("%s: adopting a token refreshed elsewhere", self.shop.name)
            return stale.with_tokens(
                current.access_token,
                current.refresh_token,
                shop.token_expires_at,
                shop.refresh_expires_at,
            )
        refresh_token = current.refresh_token or stale.refresh_token
        try:
            self.calls += 1
            fresh = await oauth.refresh(
                self.shop,
                stale.app_secret or current.app_secret,
                refresh_token,
                client=self.client,
                clock=self.clock,
            )
        except AuthExpired as exc:
            self.store.shops.update(self.shop.name, refresh_failing=exc.message[:200])
            raise
        # Persist BEFORE the connector uses the new token (the old refresh token is spent).
        await self.tokens.asave(
            self.shop.name,
            refresh_token=fresh.refresh_token or refresh_token,
            access_token=fresh.access_token,
        )
        changes: dict[str, object] = {
            "token_expires_at": fresh.expires_at,
            "refresh_failing": "",
        }
        if fresh.refresh_expires_at is not None:  # TOP tells (re_expires_in); ML does not
            changes["refresh_expires_at"] = fresh.refresh_expires_at
        self.store.shops.update(self.shop.name, **changes)
        log.info("%s: token refreshed, valid until %s", self.shop.name, fresh.expires_at)
        return stale.with_tokens(
            fresh.access_token,
            fresh.refresh_token or refresh_token,
            fresh.expires_at,
            fresh.refresh_expires_at,
        )


async def open_market(
    store: Store,
    shop_name: str,
    *,
    client: httpx.AsyncClient | None = None,
    throttle: Throttle | None = None,
    clock: Callable[[], float] | None = None,
    rates: Mapping[str, float] | None = None,
    rate: float | None = None,
    tokens: TokenStore | None = None,
) -> Marketplace:
    """`connect` without the context manager: the caller must `await market.aclose()`."""
    shop = store.shops.get(shop_name)
    tokens = tokens if tokens is not None else await TokenStore.aopen()
    creds = await tokens.aload(shop.name)
    if not creds.access_token:
        raise SignInNeeded(f"shop {shop.name!r} is not signed in: run `shelf login {shop.name}`")
    if not creds.app_secret:
        raise SignInNeeded(
            f"no app secret is stored for shop {shop.name!r}: remove and add the shop again "
            f"(`shelf shop remove {shop.name}`, `shelf shop add {shop.name} ...`)"
        )
    creds = Credentials(
        app_secret=creds.app_secret,
        access_token=creds.access_token,
        refresh_token=creds.refresh_token,
        expires_at=shop.token_expires_at,
        refresh_expires_at=shop.refresh_expires_at,
    )
    refresher = None
    if shop.platform is Platform.MERCADOLIBRE or (shop.platform.is_top and creds.refresh_token):
        refresher = ShopRefresher(store, tokens, shop, client=client, clock=clock)
    if throttle is None:
        throttle = shared(shop.name, _rate(shop, rates, rate))
    return create(shop, creds, client=client, throttle=throttle, clock=clock, refresher=refresher)


@contextlib.asynccontextmanager
async def connect(
    store: Store,
    shop_name: str,
    *,
    client: httpx.AsyncClient | None = None,
    throttle: Throttle | None = None,
    clock: Callable[[], float] | None = None,
    rates: Mapping[str, float] | None = None,
    rate: float | None = None,
    tokens: TokenStore | None = None,
) -> AsyncIterator[Marketplace]:
    """A connector for a stored shop, its secret and tokens read from the keyring.

        async with connect(store, "tb-main") as market:
            outcome = await market.set_status(item, Action.DELIST)

    Raises UnknownShop, KeyringUnavailable / SignInNeeded (exit 3) before any request. The
    throttle defaults to the shop's process-wide bucket at `rate`, else `rates[shop]`
    (config.toml [rates]), else `Shop.rate`, else the platform default. Mercado Libre
    connectors, and TOP connectors of a shop holding a refresh token, refresh a refused (or
    about to expire) token single-flight and persist the new pair first.
    """
    market = await open_market(
        store,
        shop_name,
        client=client,
        throttle=throttle,
        clock=clock,
        rates=rates,
        rate=rate,
        tokens=tokens,
    )
    try:
        yield market
    finally:
        await market.aclose()


def remove_lock_files(store: Store, shop_name: str) -> None:
    """Forget a removed shop's refresh lock file."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock_dir(store) / f"{shop_name}.refresh.lock")
