"""Taobao / Tmall over the TOP router (platforms.md §1).

Wire: POST form to the router (§1.1), every parameter signed with the shop's sign_method
(§1.3), the timestamp in Asia/Shanghai (§1.2, gotcha 6), `format=json`, business errors as
HTTP 200 `error_response` (§1.7). Tmall shops use the `.tmall` listing/delisting variants
(§1.6, gotcha 9).

Sync (§1.5, §1.9): `items.onsale.get` plus `items.inventory.get` once per banner, named
explicitly because the default banner hides sold_out and violation_off_shelf (gotcha 4).
When a query would pass a page cap (20,000 on-sale records, inventory page_no 101; gotcha 5)
its `start_modified`/`end_modified` window is halved until every slice fits; a cap the
gateway enforces more strictly than we assumed (41 on page_no) halves the window too.

Tokens (§1.4, gotcha 8): a shop that holds a refresh token (a service-market app) refreshes
like a Mercado Libre one: when the gateway refuses the session (26/27) and a minute before a
known expiry, single-flight per connector, through the `refresher` auth.connect supplies
(serialised per shop, the new pair persisted before it is used). A shop without one (a
商家后台 app's fixed-length token) raises AuthExpired: the seller signs in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urlencode

from shelf_tui.domain import Action, Item, Outcome, Platform, Reason, Sku, Status, from_epoch
from shelf_tui.marketplaces.base import Capabilities, SellerInfo
from shelf_tui.marketplaces.connector import Connector, ordered
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MarketplaceError,
    NotFound,
    QuotaExhausted,
    Rejected,
    Transient,
)
from shelf_tui.marketplaces.http import malformed, parse_json
from shelf_tui.marketplaces.signing import parse_top_time, top_sign, top_timestamp

GATEWAY = "https://eco.taobao.com/router/rest"  # §1.1 production
OAUTH = "https://oauth.taobao.com"  # §1.4

#: Item fields asked for in every listing (§1.5; `sku`, not `skus`, per items.seller.list.get).
FIELDS = (
    "num_iid,title,approve_status,num,price,outer_id,modified,list_time,delist_time,"
    "pic_url,is_timing,second_kill,sku"
)
#: Every inventory banner, each queried on its own (gotcha 4). Order: most common first.
BANNERS = ("off_shelf", "sold_out", "never_on_shelf", "regular_shelved", "violation_off_shelf")
#: design.md's table: an instock item's banner gives its status and reason.
BANNER_STATE: dict[str, tuple[Status, Reason]] = {
    "off_shelf": (Status.INACTIVE, Reason.SELLER),
    "regular_shelved": (Status.INACTIVE, Reason.SCHEDULED),
    "sold_out": (Status.INACTIVE, Reason.SOLD_OUT),
    "violation_off_shelf": (Status.INACTIVE, Reason.VIOLATION),
    "never_on_shelf": (Status.DRAFT, Reason.SELLER),
}
PAGE_SIZE = 200  # §1.5 max
ONSALE_MAX_RECORDS = 20_000  # §1.5: the stricter of the two documented caps
INVENTORY_MAX_PAGE_NO = 101  # §1.5
DELIST_LOCK = "下架锁定规则"  # §1.6 rule types
_BAN = re.compile(r"(\d+)\s*more\s*seconds?")
_FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}


class _CapHit(Exception):
    """The gateway refused a page number: the window must be sliced."""


@dataclass(frozen=True, slots=True)
class PromotionRule:
    """One rule of taobao.item.promotion.rule.get (§1.6)."""

    name: str
    message: str
    type: str
    start: datetime | None
    end: datetime | None
    end_text: str


def response_key(method: str) -> str:
    """`taobao.items.onsale.get` -> `items_onsale_get_response` (§1.5 envelope)."""
    name = method[7:] if method.startswith("taobao.") else method
    return name.replace(".", "_") + "_response"


def ban_seconds(sub_msg: str) -> float | None:
    """N from "This ban will last for N more seconds" (§1.7, gotcha 7)."""
    m = _BAN.search(sub_msg or "")
    return float(m.group(1)) if m else None


class TopMarketplace(Connector):
    """A Taobao shop (Tmall: `TmallMarketplace`)."""

    platform: ClassVar[Platform] = Platform.TAOBAO
    capabilities: ClassVar[Capabilities] = Capabilities(
        can_close=False,
        can_refresh_token=True,  # service-market apps only (§1.4, gotcha 8)
        read_batch=20,
        default_rate=10.0,
    )
    listing_method: ClassVar[str] = "taobao.item.update.listing"
    delisting_method: ClassVar[str] = "taobao.item.update.delisting"

    onsale_max_records = ONSALE_MAX_RECORDS
    inventory_max_page_no = INVENTORY_MAX_PAGE_NO
    page_size = PAGE_SIZE

    #: Refresh this long before a known expiry instead of waiting for the gateway's 27.
    refresh_margin = 60.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.gateway = self.shop.gateway or GATEWAY
        self._rules: dict[str, list[PromotionRule]] = {}
        self.currency = "CNY"
        self.refreshes = 0
        self._refresh_lock = asyncio.Lock()
        self._ahead_failed = False

    # -- the wire ---------------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, str], *, session: bool = True) -> Any:
        """One signed router call; returns the `*_response` payload or raises a typed error.
        A refused session is refreshed once (when the shop can refresh) and the call sent
        again: TOP refuses an expired session before it runs the call, so nothing is done
        twice."""
        if not session:
            return await self._call(method, params, "")
        await self._refresh_if_expiring()
        token = self.creds.access_token
        try:
            return await self._call(method, params, token)
        except AuthExpired:
            if not self.can_refresh:
                raise
        await self.refresh(token)
        try:
            return await self._call(method, params, self.creds.access_token)
        except AuthExpired as exc:
            raise AuthExpired(
                f"taobao: {method}: the session was refused even after a refresh "
                f"({exc.code}); sign in again: shelf login {self.shop.name}",
                platform="taobao",
                code=exc.code,
                request_id=exc.request_id,
            ) from None

    async def _call(self, method: str, params: dict[str, str], session: str) -> Any:
        sign_method = self.shop.sign_method or "md5"
        form = {
            "method": method,
            "app_key": self.shop.app_key,
            "timestamp": top_timestamp(self.now()),
            "format": "json",
            "v": "2.0",
            "sign_method": sign_method,
        }
        if session:
            form["session"] = session
        form.update({k: v for k, v in params.items() if v != ""})
        form["sign"] = top_sign(form, self.creds.app_secret, sign_method)
        resp = await self.wire.send(
            "POST", self.gateway, method, content=urlencode(form).encode(), headers=_FORM
        )
        if resp.status_code != 200:
            if resp.status_code >= 500:
                raise Transient(
                    f"taobao: {method}: HTTP {resp.status_code} from the gateway",
                    platform="taobao",
                    code=str(resp.status_code),
                )
            if resp.status_code == 429:
                raise self._rate_limited(f"taobao: {method}: HTTP 429", 1.0, code="429")
            raise Rejected(
                f"taobao: {method}: HTTP {resp.status_code} from the gateway",
                platform="taobao",
                code=str(resp.status_code),
            )
        doc = parse_json(resp, "taobao", method)
        if not isinstance(doc, dict):
            raise malformed("taobao", method, "expected a JSON object")
        err = doc.get("error_response")
        if err is not None:
            raise self.error(err, method)
        payload = doc.get(response_key(method))
        if not isinstance(payload, dict):
            raise malformed("taobao", method, f"no {response_key(method)} object")
        return payload

    def error(self, err: Any, method: str) -> MarketplaceError:
        """Map an `error_response` to a typed error (§1.7). The sub_code decides whatever the
        top-level code: isp.* is Transient, isv.* is Rejected; 7 is flow control; 26/27 an
        expired or revoked session."""
        if not isinstance(err, dict):
            return malformed("taobao", method, "error_response is not an object")
        code = err.get("code")
        msg = str(err.get("msg") or "")
        sub_code = str(err.get("sub_code") or "")
        sub_msg = str(err.get("sub_msg") or "")
        rid = str(err.get("request_id") or "")
        words = sub_msg or msg
        tag = f"{code}:{sub_code}" if sub_code else str(code)
        line = f"taobao: {method}: {words} ({tag})"
        kw = {"platform": "taobao", "code": tag, "request_id": rid}
        if code in (26, 27) or "sessionkey" in sub_code:
            return AuthExpired(
                f"taobao: the shop's session is expired or revoked ({tag}: {words}); "
                f"sign in again: shelf login {self.shop.name}",
                **kw,
            )
        if code == 7 or sub_code.startswith("accesscontrol."):
            seconds = ban_seconds(sub_msg)
            if "limited-by-app-access-count" in sub_code:
                reset = from_epoch(self.now() + seconds) if seconds is not None else None
                return QuotaExhausted(
                    f"taobao: the app's daily call quota is spent ({sub_code}); it resets in "
                    f"{int(seconds or 0)} s",
                    reset_at=reset,
                    **kw,
                )
            return self._rate_limited(line, seconds if seconds is not None else 1.0, **kw)
        if sub_code.startswith("isp."):
            return Transient(line, **kw)
        if sub_code.startswith("isv."):
            if sub_code.startswith("isv.item-not-exist"):
                return NotFound(line, **kw)
            return Rejected(line, **kw)
        if code in (10, 15):
            return Transient(line, **kw)
        if code == 25:
            return Rejected(
                f"taobao: the gateway refused the signature (25): check the shop's app secret "
                f"and sign method ({self.shop.sign_method})",
                **kw,
            )
        if code in (30, 31):
            return Rejected(
                f"taobao: the gateway refused the timestamp ({tag}: {words}): check this "
                "machine's clock (TOP allows 10 minutes)",
                **kw,
            )
        if code in (11, 12, 13):
            return Rejected(f"taobao: {method}: permission denied ({tag}: {words})", **kw)
        return Rejected(line, **kw)

    # -- tokens -----------------------------------------------------------------------------

    @property
    def can_refresh(self) -> bool:
        """Whether this connector can renew its session: a refresher and a refresh token."""
        return self.refresher is not None and bool(self.creds.refresh_token)

    async def _refresh_if_expiring(self) -> None:
        expires = self.creds.expires_at
        if expires is None or self._ahead_failed or not self.can_refresh:
            return
        left = expires.timestamp() - self.now()
        if left > self.refresh_margin:
            return
        try:
            await self.refresh(self.creds.access_token)
        except AuthExpired:
            if left <= 0:
                raise
            # The session still works for a moment: use it, and let the gateway's refusal
            # (then one more refresh) decide. The failure is on the shop (refresh_failing).
            self._ahead_failed = True

    async def refresh(self, stale: str) -> None:
        """Single-flight: of all the calls refused with session `stale`, one refreshes and the
        others wait for it and use its result."""
        async with self._refresh_lock:
            if self.creds.access_token != stale:
                return  # someone refreshed while we waited
            if self.refresher is None:
                raise AuthExpired(
                    "taobao: the shop's session is expired and cannot be refreshed here; "
                    f"sign in again: shelf login {self.shop.name}",
                    platform="taobao",
                    code="27",
                )
            self.creds = await self.refresher(self.creds)
            self.refreshes += 1
            self._ahead_failed = False

    # -- normalization ----------------------------------------------------------------------

    def item(self, raw: Any, banner: str = "") -> Item:
        """A TOP item (§1.5 fields) as an Item. `banner` is the inventory banner it was
        listed under ('' for on-sale items, or when unknown and inferred)."""
        if not isinstance(raw, dict) or "num_iid" not in raw:
            raise malformed("taobao", "item", "an item without num_iid")
        approve = str(raw.get("approve_status") or ("onsale" if not banner else "instock"))
        skus = tuple(
            Sku(
                sku_id=str(s.get("sku_id", "")),
                properties=str(s.get("properties") or ""),
                stock=_int(s.get("quantity")),
                price=_float_or_none(s.get("price")),
                outer_id=str(s.get("outer_id") or ""),
            )
            for s in _list(raw.get("skus"), "sku")
            if isinstance(s, dict)
        )
        stock = _int(raw.get("num"))
        violation = raw.get("violation") if isinstance(raw.get("violation"), dict) else None
        if approve == "onsale":
            banner = ""
            status, reason = Status.ACTIVE, Reason.NONE
        else:
            banner = banner or self._infer_banner(raw, stock, skus, violation)
            status, reason = BANNER_STATE.get(banner, (Status.INACTIVE, Reason.UNKNOWN))
        extra: dict[str, Any] = {}
        if raw.get("second_kill"):
            extra["second_kill"] = str(raw["second_kill"])
        deadline = None
        if violation is not None:
            deadline = parse_top_time(str(violation.get("rectify_deadline") or ""))
            extra["violation"] = {
                k: str(v) for k, v in violation.items() if k in ("severity", "reason")
            }
        if self.shop.platform is Platform.TMALL:
            extra["tmall"] = True
        listed = parse_top_time(str(raw.get("list_time") or ""))
        delisted = (
            None if approve == "onsale" else parse_top_time(str(raw.get("delist_time") or ""))
        )
        return Item(
            shop=self.shop.name,
            item_id=str(raw["num_iid"]),
            title=str(raw.get("title") or ""),
            status=status,
            reason=reason,
            stock=stock,
            price=_float(raw.get("price")),
            currency=self.currency,
            outer_id=str(raw.get("outer_id") or ""),
            raw_status=approve,
            raw_sub_status=banner,
            skus=skus,
            deadline=deadline,
            modified=parse_top_time(str(raw.get("modified") or "")),
            listed_at=listed,
            delisted_at=delisted,
            url=f"https://item.taobao.com/item.htm?id={raw['num_iid']}",
            extra=extra,
        )

    @staticmethod
    def _infer_banner(
        raw: dict[str, Any], stock: int, skus: tuple[Sku, ...], violation: Any
    ) -> str:
        """The banner of an instock item read without one (items.seller.list.get has no banner
        field): a violation object, the timing flag, no stock, never listed, else off_shelf."""
        if violation is not None:
            return "violation_off_shelf"
        if raw.get("is_timing") in (True, "true"):
            return "regular_shelved"
        if not raw.get("list_time"):
            return "never_on_shelf"
        total = sum(s.stock for s in skus) if skus else stock
        if total <= 0:
            return "sold_out"
        return "off_shelf"

    # -- reads ------------------------------------------------------------------------------

    async def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        """Pages of the whole catalog, or of what changed since `since` (§1.9 polling)."""
        end = int(self.now())
        start = None if since is None else int(since.timestamp())
        sources: list[str] = ["", *BANNERS]
        for banner in sources:
            async for page in self._window(banner, start, end):
                yield page

    def _cap(self, banner: str) -> int:
        if banner:
            return self.inventory_max_page_no * self.page_size
        return self.onsale_max_records

    def _query(
        self, banner: str, lo: int | None, hi: int | None, page_no: int, page_size: int
    ) -> tuple[str, dict[str, str]]:
        params = {
            "fields": FIELDS,
            "page_no": str(page_no),
            "page_size": str(page_size),
            "order_by": "modified:asc",
        }
        if lo is not None:
            params["start_modified"] = top_timestamp(lo)
        if hi is not None:
            params["end_modified"] = top_timestamp(hi)
        if banner:
            params["banner"] = banner
            return "taobao.items.inventory.get", params
        return "taobao.items.onsale.get", params

    async def _page(
        self, banner: str, lo: int | None, hi: int | None, page_no: int, page_size: int = 0
    ) -> tuple[int, list[Item]]:
        method, params = self._query(banner, lo, hi, page_no, page_size or self.page_size)

        async def fetch() -> Any:
            try:
                return await self.call(method, params)
            except Rejected as err:
                if page_no > 1 and "page_no" in (err.code or ""):
                    raise _CapHit(page_no) from None
                raise

        payload = await self._read(fetch)
        total = payload.get("total_results")
        if not isinstance(total, int):
            raise malformed("taobao", method, "total_results is missing")
        raws = _list(payload.get("items"), "item")
        return total, [self.item(r, banner) for r in raws]

    async def _window(self, banner: str, lo: int | None, hi: int) -> AsyncIterator[list[Item]]:
        """Every item of one source modified in [lo, hi] (whole seconds, both inclusive)."""
        cap = self._cap(banner)
        total, first = await self._page(banner, lo, hi, 1)
        if total > cap and (lo is None or hi > lo):
            async for page in self._split(banner, lo, hi):
                yield page
            return
        if first:
            yield first
        pages = math.ceil(min(total, cap) / self.page_size)
        if pages <= 1:
            return
        if total > cap:
            self.wire.log.warning(
                "taobao: %d items of banner %r share the modified second %s; only %d are "
                "reachable through the page cap",
                total,
                banner or "onsale",
                top_timestamp(hi),
                cap,
            )

        async def fetch(no: int) -> list[Item]:
            return (await self._page(banner, lo, hi, no))[1]

        try:
            async with contextlib.aclosing(
                ordered(fetch, range(2, pages + 1), self.concurrency)
            ) as stream:
                async for page in stream:
                    yield page
        except _CapHit as hit:
            # The gateway's cap is stricter than assumed: remember it and slice this window.
            reached = (int(hit.args[0]) - 1) * self.page_size
            if banner:
                self.inventory_max_page_no = max(1, int(hit.args[0]) - 1)
            else:
                self.onsale_max_records = max(self.page_size, reached)
            if lo is not None and hi <= lo:  # one second cannot be sliced further
                self.wire.log.warning(
                    "taobao: page cap reached inside the single second %s", top_timestamp(hi)
                )
                return
            async for page in self._split(banner, lo, hi):
                yield page

    async def _split(self, banner: str, lo: int | None, hi: int) -> AsyncIterator[list[Item]]:
        if lo is None:
            lo = await self._oldest(banner, hi)
            if lo is None:
                return
        mid = (lo + hi) // 2
        async for page in self._window(banner, lo, mid):
            yield page
        async for page in self._window(banner, mid + 1, hi):
            yield page

    async def _oldest(self, banner: str, hi: int) -> int | None:
        """The earliest `modified` of a source (the lower bound of a full sync's slicing)."""
        _, items = await self._page(banner, None, hi, 1, page_size=1)
        if not items or items[0].modified is None:
            return None
        return int(items[0].modified.timestamp())

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """items.seller.list.get in chunks of 20 (§1.5); another seller's ids are absent."""
        wanted = [i for i in dict.fromkeys(ids) if i.isdigit()]
        chunks = [wanted[k : k + 20] for k in range(0, len(wanted), 20)]

        async def fetch(k: int) -> list[Item]:
            params = {"num_iids": ",".join(chunks[k]), "fields": FIELDS}
            payload = await self._read(lambda: self.call("taobao.items.seller.list.get", params))
            return [self.item(r) for r in _list(payload.get("items"), "item")]

        out: dict[str, Item] = {}
        async with contextlib.aclosing(
            ordered(fetch, range(len(chunks)), self.concurrency)
        ) as stream:
            async for items in stream:
                out.update((i.item_id, i) for i in items)
        return out

    async def whoami(self) -> SellerInfo:
        """TOP has no token-introspection call in our sources: a one-item on-sale query proves
        the session works and tells the seller's nick when the shop has an item on sale."""
        payload = await self._read(
            lambda: self.call(
                "taobao.items.onsale.get",
                {"fields": "num_iid,nick", "page_no": "1", "page_size": "1"},
            )
        )
        raws = _list(payload.get("items"), "item")
        nick = ""
        if raws and isinstance(raws[0], dict):
            nick = unquote(str(raws[0].get("nick") or ""))
        return SellerInfo(
            seller_id=self.shop.seller_id,
            nick=nick or self.shop.seller_nick,
            expires_at=self.creds.expires_at,
        )

    # -- preflight and actions --------------------------------------------------------------

    async def promotion_rules(self, item_id: str) -> list[PromotionRule]:
        """taobao.item.promotion.rule.get: the rules in effect now, cached for this run."""
        cached = self._rules.get(item_id)
        if cached is not None:
            return cached
        payload = await self._read(
            lambda: self.call("taobao.item.promotion.rule.get", {"item_id": item_id})
        )
        rules = []
        for r in _list(payload.get("rules"), "item_promotion_rule"):
            if not isinstance(r, dict):
                continue
            end_text = str(r.get("end_time") or "")
            rules.append(
                PromotionRule(
                    name=str(r.get("name") or ""),
                    message=str(r.get("message") or r.get("name") or ""),
                    type=str(r.get("type") or ""),
                    start=parse_top_time(str(r.get("start_time") or "")),
                    end=parse_top_time(end_text),
                    end_text=end_text,
                )
            )
        self._rules[item_id] = rules
        return rules

    async def preflight(self, item: Item, action: Action) -> str | None:
        """Skip reasons TOP would refuse with (gotchas 1, 3, 4) before anything is sent."""
        if action is Action.CLOSE:
            return "Taobao/Tmall items cannot be closed; delist them instead"
        if action is Action.LIST:
            if item.status is Status.ACTIVE:
                return None
            if item.reason is Reason.VIOLATION or item.raw_sub_status == "violation_off_shelf":
                when = f" (deadline {item.deadline:%Y-%m-%d %H:%M} UTC)" if item.deadline else ""
                return f"delisted for a violation: rectify it on Taobao before listing{when}"
            if item.extra.get("second_kill"):
                return "flash-sale (秒杀) item: platform staff must clear the flag before relisting"
            if _list_quantity(item) <= 0:
                return "no stock to list (TOP refuses listing at 0 stock)"
            return None
        if item.status is not Status.ACTIVE:
            return None
        for rule in await self.promotion_rules(item.item_id):
            if DELIST_LOCK in rule.type or "下架" in rule.type:
                self._locks[item.item_id] = (rule.end, rule.message)
                until = f" (until {rule.end_text} GMT+8)" if rule.end_text else ""
                return f"promotion lock: {rule.message}{until}"
        return None

    async def set_status(self, item: Item, action: Action) -> Outcome:
        """update.listing (num = current stock, gotcha 1) / update.delisting (§1.6)."""
        if action is Action.CLOSE:
            return Outcome.skipped("Taobao/Tmall items cannot be closed")
        params = {"num_iid": item.item_id}
        if action is Action.LIST:
            num = _list_quantity(item)
            if num <= 0:
                return Outcome.skipped("no stock to list (TOP refuses listing at 0 stock)")
            params["num"] = str(num)
            method = self.listing_method
        else:
            method = self.delisting_method
        try:
            payload = await self.call(method, params)
        except Rejected as err:
            return await self._refused(item, action, err)
        raw = payload.get("item") if isinstance(payload.get("item"), dict) else {}
        modified = parse_top_time(str(raw.get("modified") or "")) or from_epoch(self.now())
        if action is Action.LIST:
            after = replace(
                item,
                status=Status.ACTIVE,
                reason=Reason.NONE,
                raw_status="onsale",
                raw_sub_status="",
                modified=modified,
                listed_at=modified,
            )
        else:
            after = replace(
                item,
                status=Status.INACTIVE,
                reason=Reason.SELLER,
                raw_status="instock",
                raw_sub_status="off_shelf",
                modified=modified,
                delisted_at=modified,
            )
        return Outcome.ok(item=after, request_id=str(payload.get("request_id") or ""))

    async def _refused(self, item: Item, action: Action, err: Rejected) -> Outcome:
        """A business refusal: already there, a known refusal, or read back (unknown words)."""
        code = err.code or ""
        if code.endswith("ITEM_ALREADY_ONSALE") and action is Action.LIST:
            return Outcome.already(err.message)
        if code.endswith("ITEM_ALREADY_INSTOCK") and action is Action.DELIST:
            return Outcome.already(err.message)
        if code.endswith("ITEM_PROMOTION_LOCKED"):
            self._locks[item.item_id] = (None, err.message)
        known = (
            "ITEM_QUANTITY_ZERO",
            "ITEM_VIOLATION_OFF_SHELF",
            "ITEM_SECOND_KILL",
            "ITEM_PROMOTION_LOCKED",
            "isv.item-not-exist",
            "isv.invalid-parameter",
            "isv.missing-parameter",
            "isv.permission",
        )
        if (
            isinstance(err, NotFound)
            or any(k in code for k in known)
            or not code.startswith(("15:isv.", "50:isv."))
        ):
            return self._failed(err)
        return await self._read_back(item, action, code, err.message, err.request_id)


class TmallMarketplace(TopMarketplace):
    """A Tmall shop: TOP with the `.tmall` split methods (§1.6, gotcha 9)."""

    platform: ClassVar[Platform] = Platform.TMALL
    listing_method: ClassVar[str] = "taobao.item.update.listing.tmall"
    delisting_method: ClassVar[str] = "taobao.item.update.delisting.tmall"

    def item(self, raw: Any, banner: str = "") -> Item:
        out = super().item(raw, banner)
        return replace(out, url=f"https://detail.tmall.com/item.htm?id={out.item_id}")


def _list_quantity(item: Item) -> int:
    """What `num` must be to list: the SKU total when the item has SKUs (§1.6), else stock."""
    if item.skus:
        return sum(max(0, s.stock) for s in item.skus)
    return item.stock


def _list(container: Any, key: str) -> list[Any]:
    """TOP's `{"items": {"item": [...]}}` shape (§1.5); absent on empty pages."""
    if container is None or container == "":
        return []
    if isinstance(container, dict):
        inner = container.get(key, [])
        if isinstance(inner, list):
            return inner
        if isinstance(inner, dict):
            return [inner]
        raise malformed("taobao", "list", f"{key} is not a list")
    if isinstance(container, list):
        return container
    raise malformed("taobao", "list", f"expected a {{{key}: [...]}} object")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
