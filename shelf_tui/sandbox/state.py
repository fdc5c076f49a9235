"""The sandbox's mutable world: catalog, apps, tokens, OAuth codes, faults, log and counters.

One `World` is shared by the HTTP loop thread (which serves requests) and the test thread
(which calls hooks), so every public method takes `self.lock`; the gateways hold it for the
whole of a request, which makes each request atomic with respect to the hooks.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from shelf_tui.sandbox.catalog import (
    ACTIVE_STATES,
    MERCADOLIBRE,
    ML_FORBIDDEN,
    ML_OOS,
    STATES,
    TAOBAO,
    TEMU,
    TEMU_INDEX,
    TOP_SOLD_OUT,
    TOP_VIOLATION,
    VIOLATION_REASONS,
    VIOLATION_STATES,
    ZERO_STOCK_STATES,
    Catalog,
    Rule,
    ShopCatalog,
    ShopSpec,
    Violation,
)
from shelf_tui.sandbox.clock import Clock
from shelf_tui.sandbox.faults import Dice, FaultSpec, Limiter, Quota, Roll

# Token lifetimes per platform (seconds).
TOP_TOKEN_TTL = 86_400  # 在线订购 (service-market) app: 24 h, refreshable (§1.4)
TOP_FIXED_TOKEN_TTL = 365 * 86_400  # 商家后台 app: 1 year, not refreshable (§1.4)
TOP_REFRESH_TTL = 30 * 86_400
ML_TOKEN_TTL = 21_600  # 6 h (§2.1)
ML_REFRESH_TTL = 180 * 86_400  # ~6 months (§2.1, unverified)
TEMU_TOKEN_TTL = 90 * 86_400  # ~3 months (§3.4)

#: Every Temu router type the sandbox serves; a token's apiScopeList names the ones it may call.
TEMU_TYPES = (
    "bg.local.goods.list.query",
    "bg.local.goods.detail.query",
    "bg.local.goods.sale.status.set",
    "bg.open.accesstoken.info.get",
    "bg.open.accesstoken.create",
)


@dataclass(slots=True)
class Limits:
    """Page caps and windows; configurable so tests can hit them with small catalogs."""

    top_default_page_size: int = 40  # §1.5
    top_max_page_size: int = 200  # §1.5
    #: §1.5 gives 100,000 (page_no text) and 20,000 (page_size text); the sandbox enforces the
    #: stricter one, so a client that pages within it works against either reading.
    top_onsale_max_records: int = 20_000
    top_inventory_max_page_no: int = 101  # §1.5
    top_seller_list_max: int = 20  # §1.5
    top_timestamp_skew: float = 600.0  # ±10 min, §1.2
    ml_offset_window: int = 1_000  # §2.2
    ml_default_limit: int = 50  # §2.2
    ml_max_limit: int = 100  # §2.2
    ml_multiget_max: int = 20  # §2.2
    ml_scroll_ttl: float = 300.0  # ~5 min after last use, §2.2
    temu_max_page_size: int = 100  # §3.5
    temu_timestamp_skew: float = 300.0  # ±300 s, §3.2
    oauth_code_ttl: float = 600.0  # 10 min, §1.4 / §3.4


class TokenStatus(Enum):
    """Why a token is or is not usable."""

    OK = "ok"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WRONG_APP = "wrong_app"


@dataclass(slots=True)
class App:
    """A developer app (TOP appkey, ML client id, Temu app_key); one per shop here."""

    key: str
    secret: str
    shop: str
    platform: str
    refreshable: bool


@dataclass(slots=True)
class Token:
    """An access token. `lifetime` is the platform's; the fault `token_ttl` may shorten it."""

    value: str
    shop: str
    app_key: str
    issued: float
    lifetime: float
    state: str = "live"  # live | expired | revoked
    scopes: tuple[str, ...] = ()


@dataclass(slots=True)
class Grant:
    """A refresh token; single-use where the platform says so (ML, §2.1)."""

    value: str
    shop: str
    app_key: str
    issued: float
    lifetime: float
    used: bool = False
    revoked: bool = False


@dataclass(slots=True)
class AuthCode:
    """An OAuth authorization code: single use, 10 minutes (§1.4, §3.4)."""

    value: str
    shop: str
    app_key: str
    redirect_uri: str | None
    issued: float
    used: bool = False


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request as the sandbox saw it.

    `outcome` is "ok" or the platform's own code: TOP "27" / "15:isv.item-not-exist" /
    "7:accesscontrol.limited-by-app-access-count"; ML "400:item.status.invalid" / "404";
    Temu "3000001" / "7000000". `changed` marks a successful state-changing call (the
    thing `Sandbox.changes()` counts); `fault` names an injected fault ("429", "5xx",
    "timeout", "timeout+applied", "rate", "quota").
    """

    seq: int
    at: float
    platform: str
    shop: str | None
    op: str
    item: str | None
    outcome: str
    ok: bool
    changed: bool = False
    fault: str | None = None


@dataclass(slots=True)
class Scroll:
    """An ML scan cursor: a snapshot of matching indexes and a position."""

    shop: str
    indexes: Sequence[int]
    pos: int
    last_used: float


@dataclass(slots=True)
class _Cache:
    entries: OrderedDict[Any, tuple[int, Any]] = field(default_factory=OrderedDict)


class World:
    """Everything the three gateways share (see the module docstring for the locking rule)."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        specs: Sequence[ShopSpec],
        clock: Clock,
        seed: int,
        faults: FaultSpec,
        limits: Limits,
        log_limit: int = 200_000,
    ) -> None:
        self.lock = threading.RLock()
        self.catalog = catalog
        self.specs = {s.key: s for s in specs}
        self.clock = clock
        self.seed = seed
        self.faults = faults
        self.limits = limits
        self.limiter = Limiter()
        self.quota = Quota()
        self.dice = Dice(seed)
        self.log: deque[LogEntry] = deque(maxlen=log_limit)
        self.changes: Counter[str] = Counter()
        self.apps: dict[str, App] = {}
        self.app_of: dict[str, App] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: dict[str, Grant] = {}
        self.codes: dict[str, AuthCode] = {}
        self.scrolls: dict[str, Scroll] = {}
        self.ip_blocked: set[str] = set()
        self.scopes: dict[str, tuple[str, ...]] = {}
        self.preissued: dict[str, tuple[Token, Grant | None]] = {}
        self._seq = 0
        self._rid = 0
        self._minted = 0
        self._caches: dict[str, _Cache] = {}
        for spec in specs:
            self._make_app(spec)
        for spec in specs:
            self.preissued[spec.key] = self.issue(spec.key)

    # -- identities ------------------------------------------------------------------------

    def mint(self, kind: str, length: int = 32) -> str:
        """A deterministic pseudo-random hex string (same seed, same sequence of secrets)."""
        self._minted += 1
        out = ""
        n = 0
        while len(out) < length:
            out += hashlib.sha256(f"{self.seed}|{kind}|{self._minted}|{n}".encode()).hexdigest()
            n += 1
        return out[:length]

    def _make_app(self, spec: ShopSpec) -> None:
        if spec.platform == TAOBAO:
            key = str(int(self.mint("top-appkey", 12), 16) % 90_000_000 + 10_000_000)
            secret = self.mint("top-secret", 32)
        elif spec.platform == MERCADOLIBRE:
            key = str(
                int(self.mint("ml-client", 16), 16) % 9_000_000_000_000_000 + 1_000_000_000_000_000
            )
            secret = self.mint("ml-secret", 32)
        else:
            key = self.mint("temu-appkey", 32)
            secret = self.mint("temu-secret", 40)
        app = App(key, secret, spec.key, spec.platform, spec.refreshable)
        self.apps[key] = app
        self.app_of[spec.key] = app
        if spec.platform == TEMU:
            self.scopes[spec.key] = TEMU_TYPES

    def issue(self, shop: str) -> tuple[Token, Grant | None]:
        """Issue a new access token (and refresh token where the app can refresh)."""
        spec = self.specs[shop]
        app = self.app_of[shop]
        now = self.clock.now()
        if spec.platform == TAOBAO:
            value = "6" + self.mint("top-session", 55)
            lifetime = TOP_TOKEN_TTL if app.refreshable else TOP_FIXED_TOKEN_TTL
            grant_value = "6" + self.mint("top-refresh", 55) if app.refreshable else None
            grant_ttl = TOP_REFRESH_TTL
        elif spec.platform == MERCADOLIBRE:
            stamp, secret = self.mint("ml-stamp", 6), self.mint("ml-token", 32)
            value = f"APP_USR-{app.key}-{stamp}-{secret}-{spec.seller_id}"
            lifetime = ML_TOKEN_TTL
            grant_value = f"TG-{self.mint('ml-refresh', 24)}-{spec.seller_id}"
            grant_ttl = ML_REFRESH_TTL
        else:
            value = self.mint("temu-token", 52)
            lifetime = TEMU_TOKEN_TTL
            grant_value = None
            grant_ttl = 0
        token = Token(value, shop, app.key, now, lifetime, scopes=self.scopes.get(shop, ()))
        self.tokens[value] = token
        grant = None
        if grant_value is not None:
            grant = Grant(grant_value, shop, app.key, now, grant_ttl)
            self.grants[grant_value] = grant
        return token, grant

    def token_expires_at(self, token: Token) -> float:
        """When a token stops working (the fault `token_ttl` caps every lifetime)."""
        ttl = token.lifetime
        if self.faults.token_ttl is not None:
            ttl = min(ttl, self.faults.token_ttl)
        return token.issued + ttl

    def token_ttl_for(self, token: Token) -> int:
        """Seconds a freshly issued token lives (the `expires_in` a token response shows)."""
        return int(self.token_expires_at(token) - token.issued)

    def check_token(
        self, value: str | None, app_key: str | None
    ) -> tuple[TokenStatus, Token | None]:
        """Validate an access token for an app."""
        if not value:
            return TokenStatus.MISSING, None
        token = self.tokens.get(value)
        if token is None:
            return TokenStatus.UNKNOWN, None
        if app_key is not None and token.app_key != app_key:
            return TokenStatus.WRONG_APP, token
        if token.state == "revoked":
            return TokenStatus.REVOKED, token
        if token.state == "expired" or self.clock.now() >= self.token_expires_at(token):
            return TokenStatus.EXPIRED, token
        return TokenStatus.OK, token

    def new_code(self, shop: str, redirect_uri: str | None, prefix: str = "") -> str:
        """A single-use OAuth authorization code for a shop's app."""
        value = prefix + self.mint("oauth-code", 32)
        self.codes[value] = AuthCode(
            value, shop, self.app_of[shop].key, redirect_uri, self.clock.now()
        )
        return value

    def take_code(self, value: str, app_key: str) -> tuple[str, AuthCode | None]:
        """Consume a code: ("ok", code) or ("unknown"|"expired"|"used", ...)."""
        code = self.codes.get(value)
        if code is None or code.app_key != app_key:
            return "unknown", None
        if code.used:
            return "used", code
        if self.clock.now() - code.issued > self.limits.oauth_code_ttl:
            return "expired", code
        code.used = True
        return "ok", code

    # -- faults ----------------------------------------------------------------------------

    def set_faults(self, spec: FaultSpec) -> None:
        """Replace the fault spec; buckets start full again."""
        with self.lock:
            self.faults = spec
            self.limiter.reset()

    def check_limits(self, app_key: str, method: str) -> tuple[str, float] | None:
        """Spend quota and rate tokens; None when allowed, else (which limit, seconds to wait).

        Which limit: "quota" (the app's daily calls), "app" (rate, per app key), "method"
        (method_rate, per app key and method) or "api" (api_rate, per method for all apps).
        """
        spec = self.faults
        if not spec.limited:
            return None
        now = self.clock.now()
        if spec.quota is not None:
            wait = self.quota.spend(app_key, spec.quota, now)
            if wait > 0:
                return "quota", wait
        if spec.api_rate is not None:
            wait = self.limiter.take(("api", method), spec.api_rate, now)
            if wait > 0:
                return "api", wait
        if spec.method_rate is not None:
            wait = self.limiter.take(("method", app_key, method), spec.method_rate, now)
            if wait > 0:
                return "method", wait
        if spec.rate is not None:
            wait = self.limiter.take(("app", app_key), spec.rate, now)
            if wait > 0:
                return "app", wait
        return None

    def roll(self, platform: str, app_key: str, op: str, item: str | None) -> Roll:
        """The seeded fault decision for this request (see faults.Dice)."""
        return self.dice.roll(self.faults, f"{platform}|{app_key}|{op}|{item or ''}")

    # -- log -------------------------------------------------------------------------------

    def record(
        self,
        platform: str,
        shop: str | None,
        op: str,
        item: str | None,
        outcome: str,
        *,
        ok: bool,
        changed: bool = False,
        fault: str | None = None,
    ) -> None:
        """Append to the request log; count a successful state change per item."""
        self._seq += 1
        self.log.append(
            LogEntry(
                self._seq, self.clock.now(), platform, shop, op, item, outcome, ok, changed, fault
            )
        )
        if changed and item is not None:
            self.changes[item] += 1

    def request_id(self) -> str:
        """A request id, unique within this sandbox."""
        self._rid += 1
        return f"{self._rid:x}{self.seed & 0xFFFF:04x}sbx"

    # -- queries ---------------------------------------------------------------------------

    def cached(self, shop: ShopCatalog, key: Any, compute: Callable[[], Any]) -> Any:
        """Memoise a query result until the shop changes (keyed by the shop's version).

        A full sync pages through the same filter thousands of times; without this every
        page would rescan the shop.
        """
        cache = self._caches.setdefault(shop.spec.key, _Cache())
        hit = cache.entries.get(key)
        if hit is not None and hit[0] == shop.version:
            cache.entries.move_to_end(key)
            return hit[1]
        value = compute()
        cache.entries[key] = (shop.version, value)
        cache.entries.move_to_end(key)
        while len(cache.entries) > 16:
            cache.entries.popitem(last=False)
        return value

    # -- locating items --------------------------------------------------------------------

    def locate(self, item_id: int | str) -> tuple[ShopCatalog, int]:
        """Find any item by its platform id (int num_iid / goodsId, or "MLM…" string)."""
        if isinstance(item_id, str) and not item_id.isdigit():
            digits = item_id.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if digits.isdigit():
                hit = self.catalog.locate(MERCADOLIBRE, int(digits))
                if hit is not None:
                    return hit
            raise KeyError(item_id)
        num = int(item_id)
        for platform in (TAOBAO, TEMU):
            hit = self.catalog.locate(platform, num)
            if hit is not None:
                return hit
        raise KeyError(item_id)

    def item_key(self, shop: ShopCatalog, idx: int) -> str:
        """The id used in the log and change counts ("MLM…" for ML, digits elsewhere)."""
        if shop.platform == MERCADOLIBRE:
            return f"{shop.spec.site or 'MLM'}{shop.id_of(idx)}"
        return str(shop.id_of(idx))

    # -- hooks: the platform and the seller's other channels acting behind shelf's back --------

    def set_stock(
        self, item_id: int | str, qty: int, *, sku: int | None = None, auto: bool = False
    ) -> None:
        """Set an item's (or one SKU's) stock.

        With `auto=True` the platform reacts as it would to a sale of the last unit: TOP moves
        an on-sale item to sold_out, ML pauses it with sub_status out_of_stock, Temu to 3003.
        Restocking never relists by itself.
        """
        if qty < 0:
            raise ValueError("stock must be >= 0")
        with self.lock:
            shop, idx = self.locate(item_id)
            now = self.clock.now_ms()
            if sku is None:
                shop.set_stock(idx, qty, now)
            else:
                hit = shop.sku_of(sku)
                if hit is None or hit[0] != idx:
                    raise KeyError(f"SKU {sku} is not a SKU of item {item_id}")
                shop.set_sku_stock(idx, hit[1], qty, now)
            if auto and shop.stock[idx] == 0 and shop.state[idx] in ACTIVE_STATES[shop.platform]:
                target = {TAOBAO: TOP_SOLD_OUT, MERCADOLIBRE: ML_OOS, TEMU: TEMU_INDEX[3003]}
                shop.set_state(idx, target[shop.platform], now)

    def set_price(self, item_id: int | str, price: str | float | Decimal) -> None:
        """Set an item's price (in the shop's currency, e.g. "19.90")."""
        try:
            cents = int((Decimal(str(price)) * 100).to_integral_value())
        except InvalidOperation:
            raise ValueError(f"not a price: {price!r}") from None
        if cents <= 0:
            raise ValueError("price must be > 0")
        with self.lock:
            shop, idx = self.locate(item_id)
            shop.set_price(idx, cents, self.clock.now_ms())

    def set_status(
        self,
        item_id: int | str,
        state: str | int,
        *,
        severity: str = "normal",
        reason: str | None = None,
    ) -> None:
        """Put an item in any state of its platform's vocabulary (catalog.STATES).

        TOP: onsale / off_shelf / regular_shelved / sold_out / violation_off_shelf /
        never_on_shelf; ML: active, paused, paused/<sub_status> (out_of_stock,
        moderation_penalty, forbidden, held, waiting_for_patch, suspended, freezed), closed,
        under_review; Temu: the 4-digit sub-status ("3001" or 3001). Entering a violation
        state records a violation with a deadline from now (`severity` "normal" 72 h /
        "serious" 24 h); entering a zero-stock state zeroes the stock.
        """
        if severity not in ("normal", "serious"):
            raise ValueError("severity is 'normal' or 'serious'")
        with self.lock:
            shop, idx = self.locate(item_id)
            names = STATES[shop.platform]
            if str(state) not in names:
                raise ValueError(
                    f"{state!r} is not a {shop.platform} state; one of {', '.join(names)}"
                )
            code = names.index(str(state))
            now = self.clock.now_ms()
            if code in VIOLATION_STATES[shop.platform]:
                reasons = VIOLATION_REASONS[shop.platform]
                shop.violations[idx] = Violation(severity, reason or reasons[0], now)
            if code in ZERO_STOCK_STATES[shop.platform] and shop.stock[idx]:
                shop.stock[idx] = 0
                shop.sku_qty.pop(idx, None)
            shop.sku_off.pop(idx, None)
            shop.set_state(idx, code, now)

    def violate(
        self, item_id: int | str, *, severity: str = "normal", reason: str | None = None
    ) -> None:
        """A platform delist for a violation: TOP violation_off_shelf, Temu 3001 (both with a
        deadline), ML paused/forbidden (moderation; ML gives no deadline)."""
        with self.lock:
            shop, _ = self.locate(item_id)
            target = {
                TAOBAO: STATES[TAOBAO][TOP_VIOLATION],
                TEMU: "3001",
                MERCADOLIBRE: STATES[MERCADOLIBRE][ML_FORBIDDEN],
            }[shop.platform]
            self.set_status(item_id, target, severity=severity, reason=reason)

    def set_rules(self, item_id: int | str, rules: Iterable[Rule]) -> None:
        """Replace a TOP item's promotion rules (an empty list removes every lock)."""
        with self.lock:
            shop, idx = self.locate(item_id)
            if shop.platform != TAOBAO:
                raise ValueError("promotion rules exist on TOP only")
            shop.rules_override[idx] = tuple(rules)
            shop.version += 1

    def set_second_kill(self, item_id: int | str, kind: str | None) -> None:
        """Set or clear a TOP item's 秒杀 flag ("web_only", "wap_only", "web_and_wap")."""
        with self.lock:
            shop, idx = self.locate(item_id)
            if shop.platform != TAOBAO:
                raise ValueError("second_kill exists on TOP only")
            shop.flash_override[idx] = kind
            shop.version += 1

    def shop_tokens(self, shop: str) -> list[Token]:
        """Every access token issued to a shop."""
        return [t for t in self.tokens.values() if t.shop == shop]

    def expire_token(self, shop_or_token: str) -> None:
        """Expire a shop's access tokens (or one token); refresh tokens keep working."""
        with self.lock:
            for t in self._tokens_for(shop_or_token):
                t.state = "expired"

    def revoke_token(self, shop_or_token: str) -> None:
        """The seller cancels the authorisation: access and refresh tokens stop working."""
        with self.lock:
            tokens = self._tokens_for(shop_or_token)
            for t in tokens:
                t.state = "revoked"
            shops = {t.shop for t in tokens}
            for g in self.grants.values():
                if g.shop in shops:
                    g.revoked = True

    def _tokens_for(self, shop_or_token: str) -> list[Token]:
        if shop_or_token in self.specs:
            return self.shop_tokens(shop_or_token)
        token = self.tokens.get(shop_or_token)
        if token is None:
            raise KeyError(shop_or_token)
        return [token]

    def set_scopes(self, shop: str, scopes: Sequence[str]) -> None:
        """Set a Temu shop's granted apiScopeList (existing tokens included; 3000032)."""
        with self.lock:
            self.scopes[shop] = tuple(scopes)
            for t in self.shop_tokens(shop):
                t.scopes = tuple(scopes)

    def block_ip(self, shop: str, blocked: bool = True) -> None:
        """Make a Temu app's IP whitelist exclude loopback (5000003 NOT_IN_IP_WHITE_LIST)."""
        with self.lock:
            if blocked:
                self.ip_blocked.add(shop)
            else:
                self.ip_blocked.discard(shop)

    def set_limits(self, **changes: Any) -> None:
        """Change page caps and windows (see `Limits`)."""
        with self.lock:
            self.limits = replace(self.limits, **changes)
