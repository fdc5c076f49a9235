"""Mercado Libre over its REST API (platforms.md §2).

Wire: `Authorization: Bearer` on every call (§2.1); JSON bodies; errors as
`{message, error, status, cause[]}` with the HTTP status (§2.5). A 401 refreshes the token
once, single-flight per connector (refresh tokens are single-use, gotcha 13), then retries;
a second 401 is AuthExpired.

Sync: the full catalog through `search_type=scan` + `scroll_id` (limit 100; offset paging stops
silently at 1,000, gotcha 14), the scroll consumed to the end first so it cannot expire under
us, then multiget in 20s. Incremental: offset pages sorted by `last_updated_desc` until an item
older than the last sync appears; past the 1,000-result window it falls back to the scan.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from shelf_tui.domain import Action, Item, Outcome, Platform, Reason, Sku, Status
from shelf_tui.marketplaces.base import Capabilities, SellerInfo
from shelf_tui.marketplaces.connector import Connector, ordered
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MarketplaceError,
    NotFound,
    Rejected,
    Transient,
)
from shelf_tui.marketplaces.http import malformed, parse_json, retry_after

API = "https://api.mercadolibre.com"
#: §2.1: the authorization host per site ([M2] python-sdk config.ini).
AUTH_HOSTS = {
    "MLA": "https://auth.mercadolibre.com.ar",
    "MLB": "https://auth.mercadolivre.com.br",
    "MLM": "https://auth.mercadolibre.com.mx",
    "MLC": "https://auth.mercadolibre.cl",
    "MCO": "https://auth.mercadolibre.com.co",
    "MLU": "https://auth.mercadolibre.com.uy",
    "MPE": "https://auth.mercadolibre.com.pe",
    "MEC": "https://auth.mercadolibre.com.ec",
    "MLV": "https://auth.mercadolibre.com.ve",
    "MPA": "https://auth.mercadolibre.com.pa",
    "MRD": "https://auth.mercadolibre.com.do",
    "MCR": "https://auth.mercadolibre.com.cr",
}
SITE_CURRENCY = {
    "MLA": "ARS",
    "MLB": "BRL",
    "MLM": "MXN",
    "MLC": "CLP",
    "MCO": "COP",
    "MLU": "UYU",
    "MPE": "PEN",
    "MEC": "USD",
    "MLV": "VES",
    "MPA": "PAB",
    "MRD": "DOP",
    "MCR": "CRC",
}
SCAN_LIMIT = 100  # §2.2 max with search_type=scan
OFFSET_WINDOW = 1_000  # §2.2
MULTIGET = 20  # §2.2 (community)
ATTRIBUTES = (
    "id,site_id,title,price,currency_id,available_quantity,status,sub_status,tags,"
    "seller_custom_field,attributes,variations,last_updated,start_time,stop_time,permalink"
)
#: sub_status values that mean ML itself holds the item (§2.3, gotcha 12); the first four
#: block every edit, the others are moderation a seller can fix.
BLOCKING_SUBS = frozenset({"forbidden", "held", "suspended", "freezed", "banned"})
MODERATION_SUBS = BLOCKING_SUBS | {"waiting_for_patch", "warning", "pending_documentation"}
_JSON = {"Content-Type": "application/json"}
#: 400 cause codes whose meaning we know: no read-back needed.
KNOWN_CAUSES = ("item.status.", "item.sub_status.", "item.available_quantity", "item.price")


class _ScrollExpired(Exception):
    pass


class MercadoLibreMarketplace(Connector):
    """A Mercado Libre seller account on one site."""

    platform: ClassVar[Platform] = Platform.MERCADOLIBRE
    capabilities: ClassVar[Capabilities] = Capabilities(
        can_close=True,
        can_refresh_token=True,
        read_batch=MULTIGET,
        default_rate=10.0,
    )
    concurrency = 4
    #: Offset paging stops silently here (§2.2, gotcha 14).
    offset_window = OFFSET_WINDOW
    #: Ids per scroll page (§2.2: at most 100).
    scan_limit = SCAN_LIMIT
    #: Refresh this long before a known expiry instead of waiting for the 401.
    refresh_margin = 60.0

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.api = (self.shop.gateway or API).rstrip("/")
        self.site = (self.shop.site or "").upper()
        self.currency = SITE_CURRENCY.get(self.site, "")
        self.refreshes = 0
        self._refresh_lock = asyncio.Lock()
        self._seller_id = self.shop.seller_id

    # -- the wire ---------------------------------------------------------------------------

    async def _send(
        self, method: str, path: str, op: str, params: dict[str, str] | None, body: Any
    ) -> httpx.Response:
        token = self.creds.access_token
        content = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}"}
        if content is not None:
            headers.update(_JSON)
        # The query is encoded here, once: httpx's `params=` merging cost 2.5x the whole
        # request build, 6,000 times per 100k-item sync. Commas stay readable.
        url = self.api + path
        if params:
            url += "?" + urlencode(params, safe=",")
        resp = await self.wire.send(method, url, op, content=content, headers=headers)
        if resp.status_code == 401:
            await self.refresh(token)
            headers["Authorization"] = f"Bearer {self.creds.access_token}"
            resp = await self.wire.send(method, url, op, content=content, headers=headers)
            if resp.status_code == 401:
                raise AuthExpired(
                    f"mercadolibre: {op}: the token was refused even after a refresh (401); "
                    f"sign in again: shelf login {self.shop.name}",
                    platform="mercadolibre",
                    code="401",
                )
        return resp

    async def call(
        self,
        method: str,
        path: str,
        op: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """One API call; the parsed JSON of a 2xx, else a typed error (§2.5)."""
        await self._refresh_if_expiring()
        resp = await self._send(method, path, op, params, body)
        if 200 <= resp.status_code < 300:
            return parse_json(resp, "mercadolibre", op)
        raise self.error(resp, op)

    def error(self, resp: httpx.Response, op: str) -> MarketplaceError:
        """§2.5: 400 causes -> Rejected, 404 -> NotFound, 429 -> RateLimited, 5xx -> Transient."""
        status = resp.status_code
        try:
            doc = json.loads(resp.content)
        except ValueError:
            doc = None
        doc = doc if isinstance(doc, dict) else {}
        causes = [c for c in _seq(doc.get("cause")) if isinstance(c, dict)]
        words = "; ".join(str(c.get("message")) for c in causes if c.get("message")) or str(
            doc.get("message") or doc.get("error") or f"HTTP {status}"
        )
        cause_code = next((str(c["code"]) for c in causes if c.get("code")), "")
        code = f"{status}:{cause_code}" if cause_code else f"{status}:{doc.get('error', '')}"
        code = code.rstrip(":")
        line = f"mercadolibre: {op}: {words} ({code})"
        kw = {"platform": "mercadolibre", "code": code}
        if status == 429:
            return self._rate_limited(line, retry_after(resp.headers), **kw)
        if status >= 500:
            return Transient(line, **kw)
        if status == 401:
            return AuthExpired(f"{line}; sign in again: shelf login {self.shop.name}", **kw)
        if status == 404:
            return NotFound(line, **kw)
        return Rejected(line, **kw)

    # -- tokens -----------------------------------------------------------------------------

    async def _refresh_if_expiring(self) -> None:
        expires = self.creds.expires_at
        if (
            expires is not None
            and self.refresher is not None
            and self.creds.refresh_token
            and self.now() >= expires.timestamp() - self.refresh_margin
        ):
            await self.refresh(self.creds.access_token)

    async def refresh(self, stale: str) -> None:
        """Single-flight: of all the requests refused with token `stale`, one refreshes and
        the others wait for it and use its result (gotcha 13)."""
        async with self._refresh_lock:
            if self.creds.access_token != stale:
                return  # someone refreshed while we waited
            if self.refresher is None:
                raise AuthExpired(
                    "mercadolibre: the access token was refused or has expired (401); sign in "
                    f"again: shelf login {self.shop.name}",
                    platform="mercadolibre",
                    code="401",
                )
            self.creds = await self.refresher(self.creds)
            self.refreshes += 1

    # -- normalization ----------------------------------------------------------------------

    def item(self, raw: Any) -> Item:
        """An ML item (§2.2 fields) as an Item, status and reason per design.md's table."""
        if not isinstance(raw, dict) or not raw.get("id"):
            raise malformed("mercadolibre", "item", "an item without id")
        status_raw = str(raw.get("status") or "")
        subs = [str(s) for s in _seq(raw.get("sub_status")) if s]
        tags = [str(t) for t in _seq(raw.get("tags"))]
        status, reason = self.normalize(status_raw, subs, tags, _int(raw.get("available_quantity")))
        outer = str(raw.get("seller_custom_field") or "")
        if not outer:
            for attr in _seq(raw.get("attributes")):
                if isinstance(attr, dict) and attr.get("id") == "SELLER_SKU":
                    outer = str(attr.get("value_name") or "")
        skus = []
        for v in _seq(raw.get("variations")):
            if not isinstance(v, dict):
                continue
            props = ";".join(
                f"{c.get('id')}:{c.get('value_name')}"
                for c in _seq(v.get("attribute_combinations"))
                if isinstance(c, dict)
            )
            skus.append(
                Sku(
                    sku_id=str(v.get("id", "")),
                    properties=props,
                    stock=_int(v.get("available_quantity")),
                    price=_float_or_none(v.get("price")),
                    outer_id=str(v.get("seller_custom_field") or ""),
                )
            )
        sub_text = ",".join(subs)
        if not sub_text and "moderation_penalty" in tags:
            sub_text = "moderation_penalty"
        extra: dict[str, Any] = {}
        flagged = [t for t in tags if t == "moderation_penalty"]
        if flagged:
            extra["tags"] = flagged
        modified = _iso(raw.get("last_updated"))
        return Item(
            shop=self.shop.name,
            item_id=str(raw["id"]),
            title=str(raw.get("title") or ""),
            status=status,
            reason=reason,
            stock=_int(raw.get("available_quantity")),
            price=_float_or_none(raw.get("price")) or 0.0,
            currency=str(raw.get("currency_id") or self.currency),
            outer_id=outer,
            raw_status=status_raw,
            raw_sub_status=sub_text,
            skus=tuple(skus),
            modified=modified,
            listed_at=_iso(raw.get("start_time")),
            delisted_at=_iso(raw.get("stop_time")) if status_raw == "closed" else None,
            url=str(raw.get("permalink") or ""),
            extra=extra,
        )

    @staticmethod
    def normalize(
        status: str, subs: list[str], tags: list[str], stock: int
    ) -> tuple[Status, Reason]:
        """design.md: active; paused+out_of_stock; paused+moderation; paused; closed;
        under_review. `deleted` in sub_status is a deleted listing."""
        if "deleted" in subs:
            return Status.DELETED, Reason.SELLER
        if status == "active":
            return Status.ACTIVE, Reason.NONE
        if status == "paused":
            if any(s in MODERATION_SUBS for s in subs) or "moderation_penalty" in tags:
                return Status.INACTIVE, Reason.VIOLATION
            if "out_of_stock" in subs:
                return Status.INACTIVE, Reason.SOLD_OUT
            return Status.INACTIVE, Reason.SELLER
        if status == "closed":
            return Status.CLOSED, Reason.SELLER
        if status in ("under_review", "pending"):
            return Status.REVIEW, Reason.PLATFORM
        if status == "not_yet_active":
            return Status.DRAFT, Reason.SELLER
        if status == "programmed":
            return Status.INACTIVE, Reason.SCHEDULED
        return Status.INACTIVE, Reason.UNKNOWN

    # -- reads ------------------------------------------------------------------------------

    async def seller_id(self) -> str:
        if not self._seller_id:
            me = await self._read(lambda: self.call("GET", "/users/me", "GET /users/me"))
            if not isinstance(me, dict) or "id" not in me:
                raise malformed("mercadolibre", "GET /users/me", "no id")
            self._seller_id = str(me["id"])
        return self._seller_id

    async def _multiget(self, ids: Sequence[str]) -> list[Item]:
        params = {"ids": ",".join(ids), "attributes": ATTRIBUTES}
        doc = await self._read(lambda: self.call("GET", "/items", "GET /items", params=params))
        if not isinstance(doc, list):
            raise malformed("mercadolibre", "GET /items", "expected a list")
        out = []
        for entry in doc:
            if not isinstance(entry, dict):
                raise malformed("mercadolibre", "GET /items", "an entry is not an object")
            if entry.get("code") == 200 and isinstance(entry.get("body"), dict):
                out.append(self.item(entry["body"]))
        return out

    async def _items_of(self, ids: Sequence[str]) -> AsyncIterator[list[Item]]:
        """Multigets of 20 with `concurrency` in flight, regrouped in pages of ~100 items."""
        chunks = [ids[k : k + MULTIGET] for k in range(0, len(ids), MULTIGET)]

        async def fetch(k: int) -> list[Item]:
            return await self._multiget(chunks[k])

        page: list[Item] = []
        async with contextlib.aclosing(
            ordered(fetch, range(len(chunks)), self.concurrency)
        ) as stream:
            async for items in stream:
                page.extend(items)
                if len(page) >= 100:
                    yield page
                    page = []
        if page:
            yield page

    async def scan_ids(self) -> list[str]:
        """Every item id of the seller through scan + scroll, consumed to the end at once
        (gotcha 14; the scroll expires ~5 min after its last use)."""
        for _attempt in range(3):
            try:
                return await self._scan_once()
            except _ScrollExpired:
                self.wire.log.warning("mercadolibre: scroll expired; scanning again")
        raise Transient("mercadolibre: the search scroll kept expiring", platform="mercadolibre")

    async def _scan_once(self) -> list[str]:
        uid = await self.seller_id()
        path = f"/users/{uid}/items/search"
        op = "GET /users/{id}/items/search"
        ids: list[str] = []
        seen: set[str] = set()
        scroll = ""
        while True:
            params = {"search_type": "scan", "limit": str(self.scan_limit)}
            if scroll:
                params["scroll_id"] = scroll

            async def fetch(p: dict[str, str] = params) -> Any:
                try:
                    return await self.call("GET", path, op, params=p)
                except Rejected as err:
                    if "scroll" in err.message.lower():
                        raise _ScrollExpired() from None
                    raise

            doc = await self._read(fetch)
            results = doc.get("results") if isinstance(doc, dict) else None
            if not isinstance(results, list):
                raise malformed("mercadolibre", op, "no results list")
            if not results:
                return ids
            for r in results:
                rid = str(r)
                if rid not in seen:
                    seen.add(rid)
                    ids.append(rid)
            scroll = str(doc.get("scroll_id") or "")
            if not scroll:
                return ids

    async def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        if since is not None:
            changed = await self._changed_since(since)
            if changed is not None:
                for k in range(0, len(changed), 100):
                    yield changed[k : k + 100]
                return
        ids = await self.scan_ids()
        async for page in self._items_of(ids):
            yield page

    async def _changed_since(self, since: datetime) -> list[Item] | None:
        """Items updated since `since`, read newest first inside the 1,000 offset window;
        None when the window is not enough (the caller scans everything instead)."""
        uid = await self.seller_id()
        path = f"/users/{uid}/items/search"
        op = "GET /users/{id}/items/search"
        out: list[Item] = []
        offset = 0
        while offset < self.offset_window:
            params = {"orders": "last_updated_desc", "offset": str(offset), "limit": "50"}
            doc = await self._read(partial(self.call, "GET", path, op, params=params))
            results = doc.get("results") if isinstance(doc, dict) else None
            if not isinstance(results, list):
                raise malformed("mercadolibre", op, "no results list")
            if not results:
                return out
            ids = [str(r) for r in results]
            items: list[Item] = []
            async for page in self._items_of(ids):
                items.extend(page)
            fresh = [i for i in items if i.modified is None or i.modified >= since]
            out.extend(fresh)
            if len(fresh) < len(items):
                return out
            offset += len(results)
            paging = doc.get("paging")
            total = paging.get("total") if isinstance(paging, dict) else None
            if isinstance(total, int) and offset >= total:
                return out
        return None

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, Item] = {}
        async for page in self._items_of(wanted):
            out.update((i.item_id, i) for i in page)
        return out

    async def whoami(self) -> SellerInfo:
        me = await self._read(lambda: self.call("GET", "/users/me", "GET /users/me"))
        if not isinstance(me, dict) or "id" not in me:
            raise malformed("mercadolibre", "GET /users/me", "no id")
        self._seller_id = str(me["id"])
        return SellerInfo(
            seller_id=self._seller_id,
            nick=str(me.get("nickname") or ""),
            site=str(me.get("site_id") or self.site),
            expires_at=self.creds.expires_at,
        )

    # -- preflight and actions --------------------------------------------------------------

    async def preflight(self, item: Item, action: Action) -> str | None:
        """ML refusals known in advance (gotchas 10-12)."""
        subs = set(filter(None, item.raw_sub_status.split(",")))
        if item.status is Status.CLOSED or item.raw_status == "closed":
            if action is Action.CLOSE:
                return None
            return "closed is final on Mercado Libre: relist it as a new item"
        if item.status is Status.DELETED:
            return "deleted on Mercado Libre"
        if item.raw_status == "under_review":
            return "under review by Mercado Libre: wait for the review to finish"
        blocked = subs & BLOCKING_SUBS
        if blocked:
            return (
                f"held by Mercado Libre moderation ({', '.join(sorted(blocked))}): no edits allowed"
            )
        if action is Action.LIST and item.status is not Status.ACTIVE:
            total = sum(s.stock for s in item.skus) if item.skus else item.stock
            if total <= 0:
                return "no stock to activate (Mercado Libre refuses activation at 0 stock)"
        return None

    async def set_status(self, item: Item, action: Action) -> Outcome:
        """PUT /items/{id} {"status": paused|active|closed} (§2.4). `closed` only for an
        explicit CLOSE: a delist is a pause (gotcha 10)."""
        target = {Action.LIST: "active", Action.DELIST: "paused", Action.CLOSE: "closed"}[action]
        op = f"PUT /items/{{id}} {target}"
        try:
            doc = await self.call("PUT", f"/items/{item.item_id}", op, body={"status": target})
        except Rejected as err:
            return await self._refused(item, action, err)
        after = self.item(doc) if isinstance(doc, dict) and doc.get("id") else None
        if after is None:
            raise malformed("mercadolibre", op, "the answer is not an item")
        return Outcome.ok(item=after)

    async def _refused(self, item: Item, action: Action, err: Rejected) -> Outcome:
        code = err.code or ""
        if (
            isinstance(err, NotFound)
            or code.startswith("403")
            or any(k in code for k in KNOWN_CAUSES)
        ):
            return self._failed(err)
        return await self._read_back(item, action, code, err.message, err.request_id)


def _iso(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo is not None else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _seq(value: Any) -> list[Any]:
    """A JSON list field, or [] when it is absent or of another type (never a crash)."""
    return value if isinstance(value, list) else []
