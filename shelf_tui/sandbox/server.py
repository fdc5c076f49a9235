"""`Sandbox`: the in-process API, and `serve()`: the `shelf sandbox` entry point.

One port on 127.0.0.1 serves all three platforms at their real paths (design.md,
"Machine-readable contracts"): TOP `/router/rest` (+ OAuth `/authorize`, `/token`), Mercado
Libre at the root (`/users/…`, `/items…`, `/oauth/token`, OAuth page `/authorization`), Temu
`/openapi/router` (+ the seller-centre stand-in `/open-platform/client-manage`).
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import FrameType, TracebackType
from typing import Any, TextIO

from shelf_tui.sandbox.catalog import (
    DEFAULT_SHOPS,
    MERCADOLIBRE,
    STATES,
    TAOBAO,
    TEMU,
    Catalog,
    Rule,
    ShopSpec,
)
from shelf_tui.sandbox.clock import Clock, day_start_gmt8
from shelf_tui.sandbox.faults import FaultSpec
from shelf_tui.sandbox.http import JSON, LOOPBACK, Hold, HttpServer, Request, Response
from shelf_tui.sandbox.ml import MercadoLibreGateway
from shelf_tui.sandbox.oauth import OAuth
from shelf_tui.sandbox.state import Limits, LogEntry, World
from shelf_tui.sandbox.temu import REGION_IDS, TemuGateway
from shelf_tui.sandbox.top import TopGateway

DEFAULT_ITEMS = 200


class Sandbox:
    """The built-in marketplace, in process.

    ``Sandbox(items=N, seed=S, faults="spec", clock=None)``: N items per shop (seven shops by
    default, see `catalog.DEFAULT_SHOPS`), a deterministic catalog from S, faults from a spec
    string (faults.py), and an injectable `Clock` (frozen clocks make tests sleep-free).
    `start()` binds 127.0.0.1 (port 0 picks a free one) and serves from a daemon thread;
    use it as a context manager to stop it. `info` is the JSON line `shelf sandbox` prints.
    """

    def __init__(
        self,
        items: int = DEFAULT_ITEMS,
        seed: int = 0,
        faults: str | FaultSpec | None = None,
        clock: Clock | None = None,
        *,
        port: int = 0,
        shops: Sequence[ShopSpec] = DEFAULT_SHOPS,
        limits: Limits | None = None,
        epoch: float | None = None,
        log_limit: int = 200_000,
    ) -> None:
        self.clock = clock or Clock()
        self.seed = seed
        self.items = items
        start = day_start_gmt8(self.clock.now()) if epoch is None else epoch
        self.catalog = Catalog(seed=seed, items=items, epoch_ms=int(start * 1000), shops=shops)
        spec = faults if isinstance(faults, FaultSpec) else FaultSpec.parse(faults)
        self.world = World(
            catalog=self.catalog,
            specs=shops,
            clock=self.clock,
            seed=seed,
            faults=spec,
            limits=limits or Limits(),
            log_limit=log_limit,
        )
        self.top = TopGateway(self.world)
        self.ml = MercadoLibreGateway(self.world)
        self.temu = TemuGateway(self.world)
        self.oauth = OAuth(self.world, self.top)
        self._oauth_routes = self.oauth.routes()
        self._http = HttpServer(self._handle, port)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Listen on 127.0.0.1 and serve in a daemon thread; returns once listening."""
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        self._http.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """Always 127.0.0.1: the sandbox never listens anywhere else."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The bound port (after `start()`)."""
        if not self._http.running:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._http.port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (the ML API base and OAuth bases)."""
        return f"http://{LOOPBACK}:{self.port}"

    # -- the JSON line ----------------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        """The machine-readable description `shelf sandbox` prints (design.md contract)."""
        base = self.url
        gateways = {
            TAOBAO: f"{base}/router/rest",
            MERCADOLIBRE: base,
            TEMU: f"{base}/openapi/router",
        }
        with self.world.lock:
            return {
                "top": gateways[TAOBAO],
                "mercadolibre": base,
                "temu": gateways[TEMU],
                "oauth": {"taobao": base, "mercadolibre": base},
                "shops": [
                    self._shop_entry(spec, gateways[spec.platform], base)
                    for spec in self.world.specs.values()
                ],
            }

    def _shop_entry(self, spec: ShopSpec, gateway: str, base: str) -> dict[str, Any]:
        app = self.world.app_of[spec.key]
        token, grant = self.world.preissued[spec.key]
        entry: dict[str, Any] = {
            "name": spec.key,
            "platform": spec.platform,
            "app_key": app.key,
            "app_secret": app.secret,
            "seller_id": str(spec.seller_id),
            "nick": spec.nick,
            "access_token": token.value,
        }
        if grant is not None:
            entry["refresh_token"] = grant.value
        entry["expires_at"] = int(self.world.token_expires_at(token))
        entry["gateway"] = gateway
        entry["oauth"] = None if spec.platform == TEMU else base
        entry["currency"] = spec.currency
        entry["items"] = self.items
        if spec.platform == TAOBAO:
            entry["tmall"] = spec.tmall
            entry["refreshable"] = spec.refreshable
        elif spec.platform == MERCADOLIBRE:
            entry["site"] = spec.site
        else:
            entry["region"] = spec.region
            entry["region_id"] = REGION_IDS.get(spec.region, 0)
            entry["scopes"] = list(self.world.scopes.get(spec.key, ()))
        return entry

    def info_json(self) -> str:
        """`info` as the one-line JSON `shelf sandbox` prints (ASCII-safe on any terminal)."""
        return json.dumps(self.info, separators=(", ", ": "))

    # -- routing ----------------------------------------------------------------------------

    def _handle(self, req: Request) -> Response | Hold:
        path = req.path
        if path == "/router/rest":
            return self.top.handle(req)
        if path == "/openapi/router":
            return self.temu.handle(req)
        oauth = self._oauth_routes.get(path)
        if oauth is not None:
            result: Response = oauth(req)
            return result
        if self.ml.handles(path):
            return self.ml.handle(req)
        if path == "/" and req.method == "GET":
            return Response(200, self.info_json().encode(), JSON)
        body = {
            "message": f"Resource {path} not found",
            "error": "not_found",
            "status": 404,
            "cause": [],
        }
        return Response(404, json.dumps(body).encode(), JSON)

    # -- test and bench hooks ---------------------------------------------------------------

    @property
    def faults(self) -> FaultSpec:
        """The fault spec in force."""
        return self.world.faults

    def set_faults(self, spec: str | FaultSpec | None) -> None:
        """Change faults at runtime (`None` or "" turns them off); rate buckets refill."""
        self.world.set_faults(spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec))

    def set_limits(self, **changes: Any) -> None:
        """Change page caps and windows (state.Limits), e.g. ``top_onsale_max_records=100``."""
        self.world.set_limits(**changes)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (tokens, codes, scrolls, rate buckets, lock windows)."""
        self.clock.advance(seconds)

    def shop(self, name: str) -> ShopSpec:
        """A shop's spec by name (e.g. "tb-main")."""
        return self.world.specs[name]

    def credentials(self, name: str) -> dict[str, Any]:
        """A shop's entry of `info["shops"]` (works before `start()` except the URLs)."""
        spec = self.world.specs[name]
        with self.world.lock:
            return self._shop_entry(spec, "", "")

    def ids(self, shop: str, state: str | None = None) -> list[int | str]:
        """Item ids of a shop, optionally only those in one state (catalog.STATES names)."""
        with self.world.lock:
            cat = self.catalog.shops[shop]
            code = None if state is None else STATES[cat.platform].index(state)
            out: list[int | str] = []
            for idx in range(cat.n):
                if code is None or cat.state[idx] == code:
                    out.append(
                        self.world.item_key(cat, idx)
                        if cat.platform == MERCADOLIBRE
                        else cat.id_of(idx)
                    )
            return out

    def item(self, item_id: int | str) -> dict[str, Any]:
        """An item as its platform's API shows it (all TOP fields; ML item; Temu goods)."""
        with self.world.lock:
            shop, idx = self.world.locate(item_id)
            if shop.platform == TAOBAO:
                return self.top._item(shop, idx, None)
            if shop.platform == MERCADOLIBRE:
                return self.ml.item(shop, idx)
            return self.temu.goods(shop, idx)

    def state(self, item_id: int | str) -> str:
        """An item's state name (catalog.STATES vocabulary), e.g. "onsale" or "3002"."""
        with self.world.lock:
            shop, idx = self.world.locate(item_id)
            return STATES[shop.platform][shop.state[idx]]

    def set_stock(
        self, item_id: int | str, qty: int, *, sku: int | None = None, auto: bool = False
    ) -> None:
        """Stock changed behind shelf's back (see World.set_stock)."""
        self.world.set_stock(item_id, qty, sku=sku, auto=auto)

    def set_price(self, item_id: int | str, price: str | float | Decimal) -> None:
        """Price changed behind shelf's back."""
        self.world.set_price(item_id, price)

    def set_status(
        self,
        item_id: int | str,
        state: str | int,
        *,
        severity: str = "normal",
        reason: str | None = None,
    ) -> None:
        """Status changed behind shelf's back (see World.set_status for the vocabulary)."""
        self.world.set_status(item_id, state, severity=severity, reason=reason)

    def violate(
        self, item_id: int | str, *, severity: str = "normal", reason: str | None = None
    ) -> None:
        """The platform delists an item for a violation (deadline 72 h normal / 24 h serious)."""
        self.world.violate(item_id, severity=severity, reason=reason)

    def set_rules(self, item_id: int | str, rules: Iterable[Rule]) -> None:
        """Replace a TOP item's promotion rules."""
        self.world.set_rules(item_id, rules)

    def set_second_kill(self, item_id: int | str, kind: str | None) -> None:
        """Set or clear a TOP item's 秒杀 flag."""
        self.world.set_second_kill(item_id, kind)

    def expire_token(self, shop_or_token: str) -> None:
        """Expire a shop's (or one) access token; refresh tokens still work."""
        self.world.expire_token(shop_or_token)

    def revoke_token(self, shop_or_token: str) -> None:
        """The seller revokes the authorisation: access and refresh tokens die."""
        self.world.revoke_token(shop_or_token)

    def set_scopes(self, shop: str, scopes: Sequence[str]) -> None:
        """Set a Temu shop's apiScopeList."""
        self.world.set_scopes(shop, scopes)

    def block_ip(self, shop: str, blocked: bool = True) -> None:
        """Temu 5000003 for this shop's app."""
        self.world.block_ip(shop, blocked)

    def issue_token(self, shop: str) -> dict[str, Any]:
        """A fresh access token (and refresh token where the platform has one), as if the
        seller had just authorised again: ``{"access_token", "refresh_token"?, "expires_at"}``."""
        with self.world.lock:
            token, grant = self.world.issue(shop)
            out: dict[str, Any] = {"access_token": token.value}
            if grant is not None:
                out["refresh_token"] = grant.value
            out["expires_at"] = int(self.world.token_expires_at(token))
            return out

    def issue_code(self, shop: str, redirect_uri: str | None = None) -> str:
        """An OAuth code for a shop's app, as if the seller had approved it just now."""
        with self.world.lock:
            return self.world.new_code(shop, redirect_uri)

    def log(
        self, *, platform: str | None = None, op: str | None = None, item: int | str | None = None
    ) -> list[LogEntry]:
        """The request log (oldest first), optionally filtered."""
        key = None if item is None else self._key(item)
        with self.world.lock:
            return [
                e
                for e in self.world.log
                if (platform is None or e.platform == platform)
                and (op is None or e.op == op)
                and (key is None or e.item == key)
            ]

    def clear_log(self) -> None:
        """Forget the request log and the change counts."""
        with self.world.lock:
            self.world.log.clear()
            self.world.changes.clear()

    def changes(self, item_id: int | str) -> int:
        """Successful state-changing calls on an item (a crash test's "sent at most once")."""
        with self.world.lock:
            return self.world.changes.get(self._key(item_id), 0)

    def change_counts(self) -> dict[str, int]:
        """Successful state-changing calls per item id (ML ids as "MLM…", others as digits)."""
        with self.world.lock:
            return dict(self.world.changes)

    def _key(self, item_id: int | str) -> str:
        return str(item_id)

    def dump(self) -> bytes:
        """The canonical catalog serialisation (byte-identical for the same seed and N)."""
        with self.world.lock:
            return self.catalog.dump()


def serve(
    port: int,
    items: int,
    seed: int,
    faults: str | None,
    out: TextIO,
    *,
    stop: threading.Event | None = None,
) -> None:
    """Run `shelf sandbox`: print the JSON line first, then serve until interrupted.

    Raises `faults.FaultSpecError` (a ValueError) for a bad spec and OSError when the port is
    taken, both before anything is printed. Returns normally on SIGTERM (when called from the
    main thread), Ctrl-C, or when `stop` is set (for callers that embed it in a thread).
    """
    sandbox = Sandbox(items=items, seed=seed, faults=faults, port=port)
    sandbox.start()
    stop = stop or threading.Event()
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        if in_main:
            previous = signal.signal(signal.SIGTERM, on_signal)
        out.write(sandbox.info_json() + "\n")
        out.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
