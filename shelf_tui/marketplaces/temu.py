"""Temu over the partner router (platforms.md §3).

Wire: POST JSON to the shop's regional router (§3.1), common params at the top level with the
business params (§3.2), MD5 signature over exactly the JSON that is sent (§3.3, gotcha 19),
timestamp in seconds (gotcha 18). Every answer is HTTP 200 with `{success, errorCode,
errorMsg, requestId, result}`; 1000000 is success (§3.7).

Sync: `bg.local.goods.list.query` with pageSize 100 for each goodsSearchType (1 listed and
delisted, 4 unpublished, 5 draft, 6 deleted), incremental through goodsStatusChangeTimeFrom/To
(gotcha 23: no goods webhooks). The 4-digit `goodsSubStatus` is the source of truth; when a
gateway omits it, the connector asks per `goodsSubStatusFilterType` instead (§3.5).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from shelf_tui.domain import (
    Action,
    Item,
    Outcome,
    Platform,
    Reason,
    Sku,
    Status,
    from_epoch,
)
from shelf_tui.marketplaces.base import Capabilities, SellerInfo
from shelf_tui.marketplaces.connector import Connector, ordered
from shelf_tui.marketplaces.errors import (
    AuthExpired,
    MarketplaceError,
    NotFound,
    Rejected,
    Transient,
)
from shelf_tui.marketplaces.http import malformed, parse_json
from shelf_tui.marketplaces.signing import temu_body, temu_sign

#: §3.1 regional routers.
GATEWAYS = {
    "us": "https://openapi-b-us.temu.com/openapi/router",
    "eu": "https://openapi-b-eu.temu.com/openapi/router",
    "global": "https://openapi-b-global.temu.com/openapi/router",
}
#: §3.4: where a seller authorises an app and copies the token (local sellers).
SELLER_CENTRES = {
    "us": "https://seller.temu.com",
    "eu": "https://seller-eu.temu.com",
    "global": "https://seller.temu.com",
}
SUCCESS = 1000000
PAGE_SIZE = 100  # §3.5
SEARCH_TYPES = (1, 4, 5, 6)  # §3.5 goodsSearchType
#: Every sub-status of §3.5, for gateways that do not report it on each goods.
SUB_STATUSES = (
    2001,
    2002,
    2005,
    2006,
    2101,
    3001,
    3002,
    3003,
    3004,
    4001,
    4002,
    4003,
    4004,
    5001,
    6001,
    6002,
)
_RETRY = re.compile(r"(\d+)\s*sec")
_JSON = {"Content-Type": "application/json"}
#: 7000000 refusals whose words we know (sandbox conventions and §3.6): no read-back.
KNOWN_REFUSALS = ("cannot be put on sale", "cannot be delisted", "without stock")


def normalize(sub: int) -> tuple[Status, Reason]:
    """design.md's table: 2xxx active (2002/2005/2006 with a warning); 3001 violation;
    3002 seller; 3003 sold out; 3004 platform (high price); 4xxx review; 5001 draft;
    6xxx deleted."""
    first = sub // 1000
    if first == 2:
        return Status.ACTIVE, Reason.NONE
    if first == 3:
        return {
            3001: (Status.INACTIVE, Reason.VIOLATION),
            3002: (Status.INACTIVE, Reason.SELLER),
            3003: (Status.INACTIVE, Reason.SOLD_OUT),
            3004: (Status.INACTIVE, Reason.PLATFORM),
        }.get(sub, (Status.INACTIVE, Reason.UNKNOWN))
    if first == 4:
        return Status.REVIEW, (Reason.SELLER if sub == 4004 else Reason.PLATFORM)
    if first == 5:
        return Status.DRAFT, Reason.SELLER
    if first == 6:
        return Status.DELETED, (Reason.PLATFORM if sub == 6002 else Reason.SELLER)
    return Status.INACTIVE, Reason.UNKNOWN


WARNINGS = {
    2002: "need to supplement materials",
    2005: "waiting category rectification",
    2006: "waiting SKU multiset rectification",
    2101: "low-traffic single-SKU",
}


class TemuMarketplace(Connector):
    """A Temu local-seller shop (`bg.local.*`)."""

    platform: ClassVar[Platform] = Platform.TEMU
    capabilities: ClassVar[Capabilities] = Capabilities(
        can_close=False,
        sku_level=True,
        can_refresh_token=False,  # §3.4: renewal is a new authorisation
        read_batch=PAGE_SIZE,
        default_rate=20.0,  # §3.7: 20 QPS per app key
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.region = (self.shop.region or "us").lower()
        self.gateway = self.shop.gateway or GATEWAYS.get(self.region, GATEWAYS["us"])
        #: None until the first page tells whether goods carry goodsSubStatus (§3.5).
        self.reports_status: bool | None = None

    # -- the wire ---------------------------------------------------------------------------

    async def call(self, kind: str, business: dict[str, Any], *, token: str | None = None) -> Any:
        """One signed router call; returns `result` or raises a typed error (§3.7)."""
        params: dict[str, Any] = {
            "type": kind,
            "app_key": self.shop.app_key,
            "access_token": self.creds.access_token if token is None else token,
            "timestamp": int(self.now()),
            "data_type": "JSON",
        }
        params.update(business)
        params["sign"] = temu_sign(params, self.creds.app_secret)
        resp = await self.wire.send(
            "POST", self.gateway, kind, content=temu_body(params), headers=_JSON
        )
        if resp.status_code == 429:
            raise self._rate_limited(f"temu: {kind}: HTTP 429", 1.0, code="429")
        if resp.status_code >= 500:
            raise Transient(
                f"temu: {kind}: HTTP {resp.status_code} from the gateway",
                platform="temu",
                code=str(resp.status_code),
            )
        if resp.status_code != 200:
            raise Rejected(
                f"temu: {kind}: HTTP {resp.status_code} from the gateway",
                platform="temu",
                code=str(resp.status_code),
            )
        doc = parse_json(resp, "temu", kind)
        if not isinstance(doc, dict) or ("errorCode" not in doc and "success" not in doc):
            raise malformed("temu", kind, "not the {success, errorCode, result} envelope")
        code = doc.get("errorCode")
        if doc.get("success") is True and code in (None, SUCCESS, str(SUCCESS)):
            return doc.get("result")
        raise self.error(
            code, str(doc.get("errorMsg") or ""), str(doc.get("requestId") or ""), kind
        )

    def error(self, code: Any, msg: str, rid: str, kind: str) -> MarketplaceError:
        """§3.7 codes to typed errors."""
        try:
            n = int(code)
        except (TypeError, ValueError):
            return malformed("temu", kind, f"errorCode {code!r} is not a number")
        line = f"temu: {kind}: {msg or 'error'} ({n})"
        kw = {"platform": "temu", "code": str(n), "request_id": rid}
        if 3000030 <= n <= 3000034:
            what = {
                3000030: "the access token is missing",
                3000031: "the access token does not exist",
                3000032: "the token lacks the scope for this call (re-authorise with it)",
                3000033: "the token belongs to another app key",
                3000034: "the access token expired or was replaced",
            }[n]
            return AuthExpired(
                f"temu: {what} ({n}); share a new token from Seller Center: "
                f"shelf login {self.shop.name}",
                **kw,
            )
        if n == 4000004:
            m = _RETRY.search(msg)
            return self._rate_limited(line, float(m.group(1)) if m else 1.0, **kw)
        if n in (4000000, 150010002, 150010005):
            return Transient(line, **kw)
        if n == 3000001:
            return Rejected(
                "temu: the router refused the signature (3000001): check the shop's app secret",
                **kw,
            )
        if n in (3000010, 3000011, 3000012):
            return Rejected(
                f"temu: the router refused the timestamp ({n}): check this machine's clock "
                "(Temu allows 300 seconds)",
                **kw,
            )
        if n == 5000003:
            return Rejected(
                "temu: this machine's IP address is not in the app's IP whitelist (5000003): "
                "add it in the Temu Partner Platform",
                **kw,
            )
        if n == 150010003 and "not exist" in msg:
            return NotFound(line, **kw)
        return Rejected(line, **kw)

    # -- normalization ----------------------------------------------------------------------

    def item(self, raw: Any, sub_hint: int | None = None) -> Item:
        """A goods of bg.local.goods.list.query as an Item (§3.5)."""
        if not isinstance(raw, dict) or raw.get("goodsId") is None:
            raise malformed("temu", "goods", "a goods without goodsId")
        sub = _int(raw.get("goodsSubStatus")) or sub_hint or 0
        status, reason = normalize(sub)
        skus = tuple(
            Sku(
                sku_id=str(s.get("skuId", "")),
                properties=str(s.get("specName") or ""),
                stock=_int(s.get("quantity")),
                price=_float_or_none(s.get("price")),
                outer_id=str(s.get("outSkuSn") or ""),
            )
            for s in _seq(raw.get("skuInfoList"))
            if isinstance(s, dict)
        )
        extra: dict[str, Any] = {}
        if sub in WARNINGS:
            extra["warning"] = WARNINGS[sub]
        off = [
            str(s.get("skuId"))
            for s in _seq(raw.get("skuInfoList"))
            if isinstance(s, dict) and s.get("skuStatus") == 3
        ]
        if off and status is Status.ACTIVE:
            extra["skus_off"] = off
        deadline = None
        violation = raw.get("violation")
        if isinstance(violation, dict):
            deadline = _ms(violation.get("rectifyDeadline"))
            extra["violation"] = {
                k: str(v) for k, v in violation.items() if k in ("severity", "reason")
            }
        status_raw = raw.get("goodsStatus")
        return Item(
            shop=self.shop.name,
            item_id=str(raw["goodsId"]),
            title=str(raw.get("goodsName") or ""),
            status=status,
            reason=reason,
            stock=_int(raw.get("quantity")),
            price=_float_or_none(raw.get("price")) or 0.0,
            currency=str(raw.get("currency") or ""),
            outer_id=str(raw.get("outGoodsSn") or ""),
            raw_status=str(status_raw if status_raw is not None else (sub // 1000 or "")),
            raw_sub_status=str(sub or ""),
            skus=skus,
            deadline=deadline,
            modified=_ms(raw.get("goodsStatusChangeTime")),
            url=f"https://www.temu.com/goods.html?goods_id={raw['goodsId']}",
            extra=extra,
        )

    # -- reads ------------------------------------------------------------------------------

    async def _query(self, query: dict[str, Any], page_no: int) -> tuple[int, list[Any]]:
        body = {**query, "pageNo": page_no, "pageSize": PAGE_SIZE}
        result = await self._read(lambda: self.call("bg.local.goods.list.query", body))
        if not isinstance(result, dict) or not isinstance(result.get("goodsList"), list):
            raise malformed("temu", "bg.local.goods.list.query", "no goodsList")
        total = result.get("total")
        if not isinstance(total, int):
            raise malformed("temu", "bg.local.goods.list.query", "no total")
        return total, result["goodsList"]

    async def _pages(
        self, query: dict[str, Any], sub_hint: int | None = None
    ) -> AsyncIterator[list[Item]]:
        total, first = await self._query(query, 1)
        if self.reports_status is None and first:
            self.reports_status = all(
                isinstance(g, dict) and g.get("goodsSubStatus") is not None for g in first
            )
        if self.reports_status is False and sub_hint is None:
            return  # the caller asks per sub-status instead
        if first:
            yield [self.item(g, sub_hint) for g in first]
        pages = math.ceil(total / PAGE_SIZE)

        async def fetch(no: int) -> list[Item]:
            return [self.item(g, sub_hint) for g in (await self._query(query, no))[1]]

        async with contextlib.aclosing(
            ordered(fetch, range(2, pages + 1), self.concurrency)
        ) as stream:
            async for page in stream:
                if page:
                    yield page

    async def iter_items(self, since: datetime | None = None) -> AsyncIterator[list[Item]]:
        window: dict[str, Any] = {}
        if since is not None:
            window = {
                "goodsStatusChangeTimeFrom": int(since.timestamp() * 1000),
                "goodsStatusChangeTimeTo": int(self.now() * 1000) + 1000,
            }
        for search in SEARCH_TYPES:
            async for page in self._pages({"goodsSearchType": search, **window}):
                yield page
            if self.reports_status is False:
                break
        if self.reports_status is False:
            for sub in SUB_STATUSES:
                query = {
                    "goodsStatusFilterType": sub // 1000,
                    "goodsSubStatusFilterType": sub,
                    **window,
                }
                async for page in self._pages(query, sub_hint=sub):
                    yield page

    async def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """List queries restricted to goodsIdList, one search type after the other until every
        id is found (ids of another seller are silently left out by the router)."""
        wanted = [i for i in dict.fromkeys(ids) if i.isdigit()]
        out: dict[str, Item] = {}
        for k in range(0, len(wanted), PAGE_SIZE):
            chunk = wanted[k : k + PAGE_SIZE]
            for search in SEARCH_TYPES:
                missing = [int(i) for i in chunk if i not in out]
                if not missing:
                    break
                query = {"goodsSearchType": search, "goodsIdList": missing}
                if self.reports_status is False:
                    for sub in SUB_STATUSES:
                        if sub // 1000 not in ((2, 3) if search == 1 else (search,)):
                            continue
                        q = {
                            "goodsStatusFilterType": sub // 1000,
                            "goodsSubStatusFilterType": sub,
                            "goodsIdList": missing,
                        }
                        _, goods = await self._query(q, 1)
                        out.update((i.item_id, i) for i in (self.item(g, sub) for g in goods))
                    continue
                _, goods = await self._query(query, 1)
                if goods and self.reports_status is None:
                    self.reports_status = all(
                        isinstance(g, dict) and g.get("goodsSubStatus") is not None for g in goods
                    )
                    if not self.reports_status:
                        return await self.get_items(ids)
                out.update((i.item_id, i) for i in (self.item(g) for g in goods))
        return out

    async def whoami(self) -> SellerInfo:
        """bg.open.accesstoken.info.get: mallId, expiredTime, apiScopeList (§3.4)."""
        result = await self._read(lambda: self.call("bg.open.accesstoken.info.get", {}))
        if not isinstance(result, dict) or result.get("mallId") is None:
            raise malformed("temu", "bg.open.accesstoken.info.get", "no mallId")
        scopes = _seq(result.get("apiScopeList"))
        expired = result.get("expiredTime")
        return SellerInfo(
            seller_id=str(result["mallId"]),
            nick=self.shop.seller_nick,
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
            expires_at=from_epoch(expired) if isinstance(expired, int | float) else None,
            extra={"region": self.region},
        )

    # -- preflight and actions --------------------------------------------------------------

    async def preflight(self, item: Item, action: Action) -> str | None:
        """Gotcha 20: compliance delists (3001, 3004), drafts and incomplete goods cannot be
        put on sale; nothing but live or delisted goods can be delisted."""
        if action is Action.CLOSE:
            return "Temu goods cannot be closed; delist them instead"
        sub = _int(item.raw_sub_status)
        first = sub // 1000
        if action is Action.LIST:
            if sub == 3001:
                return "delisted by Temu for a violation (3001): rectify it before listing"
            if sub == 3004:
                return "delisted by Temu for a high price (3004): lower the price before listing"
            if first == 4:
                return f"incomplete goods ({sub}): complete it in Seller Center first"
            if first == 5:
                return "a draft cannot be put on sale: publish it in Seller Center first"
            if first == 6:
                return "deleted goods cannot be put on sale"
            if item.status is not Status.ACTIVE:
                total = sum(s.stock for s in item.skus) if item.skus else item.stock
                if total <= 0:
                    return "no stock to list (Temu refuses goods without stock)"
            return None
        if first in (4, 5, 6):
            return f"goods in sub-status {sub} are not on sale and cannot be delisted"
        return None

    async def set_status(self, item: Item, action: Action) -> Outcome:
        """bg.local.goods.sale.status.set at goods level (§3.6)."""
        return await self.set_sku_status(item, action, None)

    async def set_sku_status(
        self, item: Item, action: Action, sku_ids: Sequence[str] | None
    ) -> Outcome:
        """List or delist a goods, or only some of its SKUs (`skuIdList`, §3.6)."""
        if action is Action.CLOSE:
            return Outcome.skipped("Temu goods cannot be closed")
        if not item.item_id.isdigit():
            return Outcome.failed("150010003", f"not a Temu goods id: {item.item_id!r}")
        body: dict[str, Any] = {
            "goodsId": int(item.item_id),
            "onsale": 1 if action is Action.LIST else 0,
        }
        if sku_ids:
            body["skuIdList"] = [int(s) for s in sku_ids if s.isdigit()]
        kind = "bg.local.goods.sale.status.set"
        try:
            result = await self.call(kind, body)
        except Rejected as err:
            return await self._refused(item, action, err)
        if isinstance(result, dict) and result.get("success") is False:
            return await self._read_back(
                item, action, "result.success=false", "Temu answered success=false"
            )
        if sku_ids:
            return Outcome.ok(item=item)
        now = from_epoch(self.now())
        if action is Action.LIST:
            after = replace(
                item,
                status=Status.ACTIVE,
                reason=Reason.NONE,
                raw_status="2",
                raw_sub_status="2001",
                modified=now,
                listed_at=now,
            )
        else:
            after = replace(
                item,
                status=Status.INACTIVE,
                reason=Reason.SELLER,
                raw_status="3",
                raw_sub_status="3002",
                modified=now,
                delisted_at=now,
            )
        return Outcome.ok(item=after)

    async def _refused(self, item: Item, action: Action, err: Rejected) -> Outcome:
        """Known refusals fail the item; a business error in words we do not know (7000000,
        2000000 or another 9-digit business code) is read back: maybe it is already there."""
        code = err.code or ""
        if isinstance(err, NotFound) or any(k in err.message for k in KNOWN_REFUSALS):
            return self._failed(err)
        if code in ("7000000", "2000000") or (len(code) == 9 and code != "150010003"):
            return await self._read_back(item, action, code, err.message, err.request_id)
        return self._failed(err)


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


def _ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return from_epoch(value / 1000)


def _seq(value: Any) -> list[Any]:
    """A JSON list field, or [] when it is absent or of another type (never a crash)."""
    return value if isinstance(value, list) else []
