"""Temu's partner router, `POST /openapi/router` with a JSON body (platforms.md §3).

Every answer is HTTP 200 with the §3.7 envelope
``{"success", "errorCode", "errorMsg", "requestId", "result"}`` (success: 1000000).
Order of checks: JSON object (3000000) -> type (3000002/3000003) -> app_key
(3000019/3000020) -> timestamp (3000010/3000011/3000012, seconds, ±300 s) -> data_type
(3000013) -> sign (3000040/3000001) -> rate limits / quota (4000004) -> access_token
(3000030/3000031/3000033/3000034, scope 3000032) -> IP whitelist (5000003) -> injected
faults (4000004, 4000000 / 150010002 / 150010005, lost response) -> the type.

Sandbox conventions (platforms.md leaves them open):

* `goodsStatus`/`goodsSubStatus` on every goods (§3.5 convention), plus `crtTime` and
  `goodsStatusChangeTime` (ms; bumped on every change, so the time filter is an incremental
  sync) and, for 3001 goods, a `violation` object
  ``{"severity", "reason", "delistedAt", "rectifyDeadline"}`` (ms; 72 h / 24 h, seed 001).
* `goodsSearchType` 1 = listed+delisted (2xxx, 3xxx), 4 = unpublished (4xxx), 5 = draft,
  6 = deleted; `goodsStatusFilterType` 1 = listed+delisted, 2..6 = that first digit;
  `goodsSubStatusFilterType` = one 4-digit code or a list. At least one of goodsSearchType /
  goodsStatusFilterType is required (150010003 otherwise).
* `crtFrom/crtTo` and `goodsStatusChangeTimeFrom/To` are milliseconds, taken literally
  (seconds therefore match from 1970 on, as gotcha 18 warns).
* Refusals by rule are 7000000 BUSINESS_SERVICE_ERROR with an explicit errorMsg (3001/3004
  compliance delists, drafts, incomplete 4xxx, deleted, zero stock: gotcha 20); bad or
  foreign goodsId / skuIdList are 150010003. Setting the state an item is already in
  succeeds without change. SKU-level delisting of every SKU makes the goods 3002.
* `bg.open.accesstoken.create` codes come from `World.new_code` (the seller-centre page
  `/open-platform/client-manage` in oauth.py, or `Sandbox.issue_code`); 110020001 unknown
  code, 110020002 expired, 110020003 already used.
* Scopes are router type names; a token lacking the type's name gets 3000032.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from typing import Any

from shelf_tui.sandbox.catalog import (
    TEMU,
    TEMU_CODES,
    TEMU_INDEX,
    ShopCatalog,
)
from shelf_tui.sandbox.faults import Fault, ban_seconds
from shelf_tui.sandbox.http import JSON, Hold, Request, Response
from shelf_tui.sandbox.signing import temu_verify
from shelf_tui.sandbox.state import TokenStatus, World

SUCCESS = 1000000
REGION_IDS = {"us": 211, "eu": 0, "global": 0}
ORDER_FIELDS = ("goodsId", "createTime", "goodsName", "outGoodsSn", "quantity", "price")


class TemuError(Exception):
    """A §3.7 error envelope."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def bad_params(msg: str) -> TemuError:
    """150010003 invalid params (§3.6)."""
    return TemuError(150010003, msg)


def refused(msg: str) -> TemuError:
    """7000000 BUSINESS_SERVICE_ERROR (§3.7): a business rule refused the change."""
    return TemuError(7000000, f"BUSINESS_SERVICE_ERROR: {msg}")


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


Method = Callable[[dict[str, Any], ShopCatalog | None], dict[str, Any]]


class TemuGateway:
    """Serves `/openapi/router`."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.types: dict[str, tuple[Method, bool]] = {
            # type: (handler, changes state)
            "bg.local.goods.list.query": (self._list_query, False),
            "bg.local.goods.detail.query": (self._detail_query, False),
            "bg.local.goods.sale.status.set": (self._sale_status_set, True),
            "bg.open.accesstoken.info.get": (self._token_info, False),
            "bg.open.accesstoken.create": (self._token_create, False),
        }

    def _envelope(self, code: int, msg: str, result: Any) -> Response:
        body = {
            "success": code == SUCCESS,
            "errorCode": code,
            "errorMsg": msg,
            "requestId": f"us-{self.w.request_id()}",
            "result": result,
        }
        return Response(
            200, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON
        )

    def handle(self, req: Request) -> Response | Hold:
        """Serve one router call (module docstring: order of checks)."""
        with self.w.lock:
            kind = "?"
            shop_key: str | None = None
            item: str | None = None
            try:
                if req.method != "POST":
                    raise TemuError(3000000, "BAD_PARAMS: only POST with a JSON body is supported")
                try:
                    p = json.loads(req.body or b"null")
                except ValueError:
                    raise TemuError(3000000, "BAD_PARAMS: the body is not valid JSON") from None
                if not isinstance(p, dict):
                    raise TemuError(3000000, "BAD_PARAMS: the body must be a JSON object")
                kind = p.get("type") or ""
                if not kind:
                    raise TemuError(3000002, "type is missing")
                if not isinstance(kind, str) or kind not in self.types:
                    raise TemuError(3000003, f"type {kind} does not exist")
                goods = p.get("goodsId")
                item = str(goods) if isinstance(goods, int | str) and str(goods).isdigit() else None
                app_key = p.get("app_key")
                if not app_key:
                    raise TemuError(3000019, "app_key is missing")
                app = self.w.apps.get(app_key) if isinstance(app_key, str) else None
                if app is None or app.platform != TEMU:
                    raise TemuError(3000020, "app_key does not exist")
                shop_key = app.shop
                self._check_timestamp(p)
                data_type = p.get("data_type")
                if data_type is not None and str(data_type).upper() != "JSON":
                    raise TemuError(3000013, "data_type must be JSON")
                if not p.get("sign"):
                    raise TemuError(3000040, "sign is missing")
                if not temu_verify(p, app.secret):  # §3.3, gotcha 19
                    raise TemuError(3000001, "SIGN_UNVALID: the sign is invalid")
                limited = self.w.check_limits(app.key, kind)
                if limited is not None:
                    which, wait = limited
                    self.w.record(
                        TEMU,
                        shop_key,
                        kind,
                        item,
                        "4000004",
                        ok=False,
                        fault="quota" if which == "quota" else "rate",
                    )
                    return self._envelope(
                        4000004,
                        "RATE_LIMIT_EXCEED_EXCEPTION: too frequent requests, "
                        f"retry after {ban_seconds(wait)} seconds",
                        None,
                    )
                fn, changes = self.types[kind]
                shop: ShopCatalog | None = None
                if kind != "bg.open.accesstoken.create":  # there access_token is the code (§3.4)
                    shop = self._token_shop(p, app.key, kind)
                    if shop.spec.key in self.w.ip_blocked:
                        raise TemuError(5000003, "NOT_IN_IP_WHITE_LIST")
                roll = self.w.roll(TEMU, app.key, kind, item)
                if roll.fault is Fault.RATE:
                    self.w.record(TEMU, shop_key, kind, item, "4000004", ok=False, fault="429")
                    return self._envelope(
                        4000004, "RATE_LIMIT_EXCEED_EXCEPTION: too frequent requests", None
                    )
                if roll.fault is Fault.SERVER:
                    code, msg = (4000000, "SYSTEM_EXCEPTION")
                    if changes and roll.variant == 2:
                        code, msg = 150010002, "system error"
                    elif changes and roll.variant == 3:
                        code, msg = 150010005, "try again later"
                    self.w.record(TEMU, shop_key, kind, item, str(code), ok=False, fault="5xx")
                    return self._envelope(code, msg, None)
                if roll.fault is Fault.TIMEOUT:
                    if changes and roll.applied:
                        try:
                            fn(p, shop)
                            self.w.record(
                                TEMU,
                                shop_key,
                                kind,
                                item,
                                "1000000",
                                ok=True,
                                changed=True,
                                fault="timeout+applied",
                            )
                        except TemuError as exc:
                            self.w.record(
                                TEMU,
                                shop_key,
                                kind,
                                item,
                                str(exc.code),
                                ok=False,
                                fault="timeout+applied",
                            )
                    else:
                        self.w.record(TEMU, shop_key, kind, item, "lost", ok=False, fault="timeout")
                    return Hold(self.w.faults.timeout_hold)
                result = fn(p, shop)
            except TemuError as err:
                self.w.record(TEMU, shop_key, kind, item, str(err.code), ok=False)
                return self._envelope(err.code, err.msg, None)
            self.w.record(TEMU, shop_key, kind, item, str(SUCCESS), ok=True, changed=changes)
            return self._envelope(SUCCESS, "", result)

    def _check_timestamp(self, p: dict[str, Any]) -> None:
        """UNIX seconds within ±300 s (§3.2, gotcha 18)."""
        raw = p.get("timestamp")
        if raw is None or raw == "":
            raise TemuError(3000010, "timestamp is missing")
        text = str(raw)
        if isinstance(raw, bool) or not text.isdigit() or len(text) != 10:
            raise TemuError(3000011, "timestamp is invalid: UNIX seconds (10 digits) expected")
        if abs(self.w.clock.now() - int(text)) > self.w.limits.temu_timestamp_skew:
            raise TemuError(3000012, "timestamp is expired: more than 300 seconds from server time")

    def _token_shop(self, p: dict[str, Any], app_key: str, kind: str) -> ShopCatalog:
        value = p.get("access_token")
        status, token = self.w.check_token(value if isinstance(value, str) else None, app_key)
        if status is TokenStatus.MISSING:
            raise TemuError(3000030, "access_token is missing")
        if status is TokenStatus.UNKNOWN:
            raise TemuError(3000031, "access_token does not exist")
        if status is TokenStatus.WRONG_APP:
            raise TemuError(3000033, "access_token does not belong to this app_key")
        if status is not TokenStatus.OK or token is None:
            raise TemuError(
                3000034,
                "access_token is expired or have been refreshed, "
                "please contact seller to share the new access_token",
            )  # §3.4
        if kind not in token.scopes:  # gotcha 21
            raise TemuError(3000032, f"access_token has no scope for {kind}")
        return self.w.catalog.shops[token.shop]

    # -- rendering --------------------------------------------------------------------------

    def goods(self, shop: ShopCatalog, idx: int) -> dict[str, Any]:
        """One goods as bg.local.goods.list.query / detail.query show it (§3.5)."""
        code = TEMU_CODES[shop.state[idx]]
        active = code // 1000 == 2
        off = shop.sku_off.get(idx, set())
        currency = shop.spec.currency
        skus = []
        for j, qty in enumerate(shop.sku_quantities(idx)):
            color, size = shop.sku_label(idx, j)
            skus.append(
                {
                    "skuId": shop.sku_id(idx, j),
                    "outSkuSn": shop.sku_outer_id(idx, j),
                    "specName": f"{color}/{size}",
                    "price": _price(shop.sku_price(idx, j)),
                    "currency": currency,
                    "quantity": qty,
                    "skuStatus": 2 if active and j not in off else 3,
                }
            )
        out: dict[str, Any] = {
            "goodsId": shop.id_of(idx),
            "goodsName": shop.title_of(idx),
            "outGoodsSn": shop.outer_id(idx),
            "catId": shop.category(idx),
            "price": _price(shop.price[idx]),
            "currency": currency,
            "quantity": shop.stock[idx],
            "thumbUrl": f"https://img.sandbox.invalid/temu/{shop.id_of(idx)}.jpg",
            "goodsStatus": code // 1000,
            "goodsSubStatus": code,
            "crtTime": shop.created[idx],
            "goodsStatusChangeTime": shop.modified[idx],
            "skuInfoList": skus,
        }
        v = shop.violation(idx)
        if v is not None:
            out["violation"] = {
                "severity": v.severity,
                "reason": v.reason,
                "delistedAt": v.delisted_ms,
                "rectifyDeadline": v.deadline_ms,
            }
        return out

    # -- types ------------------------------------------------------------------------------

    @staticmethod
    def _int(p: dict[str, Any], name: str, *, required: bool = False) -> int | None:
        raw = p.get(name)
        if raw is None or raw == "":
            if required:
                raise bad_params(f"{name} is required")
            return None
        if isinstance(raw, bool) or not str(raw).lstrip("-").isdigit():
            raise bad_params(f"{name} must be an integer")
        return int(raw)

    def _id_list(self, p: dict[str, Any], name: str) -> list[int] | None:
        raw = p.get(name)
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(
            isinstance(x, int | str) and str(x).isdigit() for x in raw
        ):
            raise bad_params(f"{name} must be a list of ids")
        return [int(x) for x in raw]

    def _list_query(self, p: dict[str, Any], shop: ShopCatalog | None) -> dict[str, Any]:
        assert shop is not None
        page_no = self._int(p, "pageNo", required=True)
        page_size = self._int(p, "pageSize", required=True)
        assert page_no is not None
        assert page_size is not None
        if page_no < 1:
            raise bad_params("pageNo must be >= 1")
        if not 1 <= page_size <= self.w.limits.temu_max_page_size:  # §3.5
            raise bad_params(f"pageSize must be between 1 and {self.w.limits.temu_max_page_size}")
        idxs = self._select(shop, p)
        page = idxs[(page_no - 1) * page_size : page_no * page_size]
        return {
            "goodsList": [self.goods(shop, i) for i in page],
            "total": len(idxs),
            "pageNo": page_no,
        }

    def _select(self, shop: ShopCatalog, p: dict[str, Any]) -> array[int]:
        search = self._int(p, "goodsSearchType")
        status_filter = self._int(p, "goodsStatusFilterType")
        if search is None and status_filter is None:
            raise bad_params("goodsSearchType or goodsStatusFilterType is required")
        wanted: set[int] = set(TEMU_CODES)
        if search is not None:
            firsts = {1: {2, 3}, 4: {4}, 5: {5}, 6: {6}}.get(search)
            if firsts is None:
                raise bad_params("goodsSearchType must be 1, 4, 5 or 6")
            wanted = {c for c in wanted if c // 1000 in firsts}
        if status_filter is not None:
            firsts = {2, 3} if status_filter == 1 else {status_filter}
            if not firsts <= {2, 3, 4, 5, 6}:
                raise bad_params("goodsStatusFilterType must be 1..6")
            wanted = {c for c in wanted if c // 1000 in firsts}
        sub = p.get("goodsSubStatusFilterType")
        if sub is not None and sub != "":
            subs = sub if isinstance(sub, list) else [sub]
            if not all(isinstance(s, int | str) and str(s).isdigit() for s in subs):
                raise bad_params(
                    "goodsSubStatusFilterType must be a sub-status code or a list of them"
                )
            wanted &= {int(s) for s in subs}
        ids = self._id_list(p, "goodsIdList")
        text = p.get("searchText") or ""
        bounds = [
            self._int(p, n)
            for n in ("crtFrom", "crtTo", "goodsStatusChangeTimeFrom", "goodsStatusChangeTimeTo")
        ]
        order_field = p.get("orderField") or ""
        order_type = self._int(p, "orderType")
        if order_field and order_field not in ORDER_FIELDS:
            raise bad_params(f"orderField must be one of {', '.join(ORDER_FIELDS)}")
        key = (
            "temu",
            tuple(sorted(wanted)),
            tuple(ids) if ids is not None else None,
            text,
            tuple(bounds),
            order_field,
            order_type,
        )

        def compute() -> array[int]:
            codes = sorted(TEMU_INDEX[c] for c in wanted)
            if ids is not None:
                idxs = []
                for gid in ids:  # another seller's ids are silently left out
                    i = shop.idx_of(gid)
                    if i is not None and shop.state[i] in codes:
                        idxs.append(i)
            elif codes:
                rx = re.compile(b"[" + b"".join(re.escape(bytes([c])) for c in codes) + b"]")
                idxs = [m.start() for m in rx.finditer(shop.state)]
            else:
                idxs = []
            crt_from, crt_to, chg_from, chg_to = bounds
            if crt_from is not None:
                idxs = [i for i in idxs if shop.created[i] >= crt_from]
            if crt_to is not None:
                idxs = [i for i in idxs if shop.created[i] <= crt_to]
            if chg_from is not None:
                idxs = [i for i in idxs if shop.modified[i] >= chg_from]
            if chg_to is not None:
                idxs = [i for i in idxs if shop.modified[i] <= chg_to]
            if text:
                idxs = [i for i in idxs if text in shop.title_of(i) or text in shop.outer_id(i)]
            if order_field:
                keyfn: Callable[[int], Any] = {
                    "goodsId": lambda i: i,
                    "createTime": lambda i: shop.created[i],
                    "goodsName": shop.title_of,
                    "outGoodsSn": shop.outer_id,
                    "quantity": lambda i: shop.stock[i],
                    "price": lambda i: shop.price[i],
                }[order_field]
                idxs.sort(key=lambda i: (keyfn(i), i), reverse=order_type == 0)  # 0 desc, 1 asc
            return array("i", idxs)

        result: array[int] = self.w.cached(shop, key, compute)
        return result

    def _own(self, shop: ShopCatalog, p: dict[str, Any]) -> int:
        gid = self._int(p, "goodsId", required=True)
        assert gid is not None
        idx = shop.idx_of(gid)
        if idx is None:  # unknown or another seller's
            raise bad_params(f"goodsId {gid} does not exist")
        return idx

    def _detail_query(self, p: dict[str, Any], shop: ShopCatalog | None) -> dict[str, Any]:
        assert shop is not None
        return self.goods(shop, self._own(shop, p))

    def _sale_status_set(self, p: dict[str, Any], shop: ShopCatalog | None) -> dict[str, Any]:
        """List (onsale=1) or delist (onsale=0) a goods or some of its SKUs (§3.6, gotcha 20)."""
        assert shop is not None
        idx = self._own(shop, p)
        onsale = self._int(p, "onsale", required=True)
        if onsale not in (0, 1):
            raise bad_params("onsale must be 0 or 1")
        self._int(p, "operationType")  # accepted, meaning unverified (§3.6)
        sku_ids = self._id_list(p, "skuIdList")
        js: list[int] | None = None
        if sku_ids:
            js = []
            for sku_id in sku_ids:
                hit = shop.sku_of(sku_id)
                if hit is None or hit[0] != idx:
                    raise bad_params(f"skuId {sku_id} does not belong to goods {shop.id_of(idx)}")
                js.append(hit[1])
        code = TEMU_CODES[shop.state[idx]]
        first = code // 1000
        now = self.w.clock.now_ms()
        off = shop.sku_off.setdefault(idx, set())
        all_skus = set(range(shop.nsku[idx]))
        if onsale == 0:
            if first in (4, 5, 6):
                raise refused(f"goods in sub-status {code} cannot be delisted")
            if first == 3:
                return {"success": True}  # already off sale
            if js is None or all_skus <= off | set(js):
                off.clear()
                shop.set_state(idx, TEMU_INDEX[3002], now)  # a successful delist is 3002 (§3.6)
            else:
                off.update(js)
                shop.touch(idx, now)
            return {"success": True}
        if code in (3001, 3004):  # compliance delists (gotcha 20)
            raise refused(
                f"goods in sub-status {code} (delisted for compliance) cannot be put on sale"
            )
        if first == 5:
            raise refused("draft goods cannot be put on sale")
        if first == 4:
            raise refused(f"incomplete goods (sub-status {code}) cannot be put on sale")
        if first == 6:
            raise refused("deleted goods cannot be put on sale")
        quantities = shop.sku_quantities(idx)
        targets = js if js is not None else sorted(all_skus)
        if sum(quantities[j] for j in targets) <= 0:
            raise refused("goods without stock cannot be put on sale")
        if first == 2:
            if js is not None and off & set(js):
                off.difference_update(js)
                shop.touch(idx, now)
            elif js is None and off:
                off.clear()
                shop.touch(idx, now)
            return {"success": True}
        off.clear()
        if js is not None:
            off.update(all_skus - set(js))
        shop.set_state(idx, TEMU_INDEX[2001], now)
        return {"success": True}

    def _token_info(self, p: dict[str, Any], shop: ShopCatalog | None) -> dict[str, Any]:
        assert shop is not None
        token = self.w.tokens[str(p["access_token"])]
        return {
            "mallId": shop.spec.seller_id,
            "expiredTime": int(self.w.token_expires_at(token)),
            "apiScopeList": list(token.scopes),
        }

    def _token_create(self, p: dict[str, Any], shop: ShopCatalog | None) -> dict[str, Any]:
        code = p.get("code") or p.get("access_token")
        if not isinstance(code, str) or not code:
            raise bad_params("code is required")
        status, auth = self.w.take_code(code, str(p.get("app_key")))
        if status != "ok" or auth is None:
            raise TemuError(
                {"unknown": 110020001, "expired": 110020002, "used": 110020003}[status],
                f"authorization code is {'invalid' if status == 'unknown' else status}",
            )
        token, _ = self.w.issue(auth.shop)
        spec = self.w.specs[auth.shop]
        return {
            "accessToken": token.value,
            "mallId": spec.seller_id,
            "regionId": REGION_IDS.get(spec.region, 0),
            "expiredTime": int(self.w.token_expires_at(token)),
            "apiScopeList": list(token.scopes),
            "appSubscribeEventCodeList": [],
            "mallType": "LOCAL",
            "associatedMallTokenList": [],
        }
