"""The Taobao/Tmall Open Platform router, `/router/rest` (platforms.md §1).

Gateway checks, in order (each answers an `error_response` with HTTP 200, §1.1):
HTTP verb (9) -> format (23) -> app_key (28/29) -> method (21/22) -> v (32/33/34) ->
timestamp (30/31, GMT+8 string or epoch ms, ±10 min) -> sign (24/25) -> flow control (7) ->
session (26/27) -> injected faults (7, 15 isp.*, HTTP 502/503, lost response) -> the method.

Sandbox conventions (platforms.md does not say; connectors must not rely on more than the
code/sub_code family):

* Business refusals are code 15 "Remote service error" with an `isv.*` sub_code:
  ``isv.item-not-exist`` (unknown item or another seller's: indistinguishable on purpose),
  ``isv.item-listing-service-error:ITEM_ALREADY_ONSALE`` (listing an on-sale item),
  ``isv.item-delisting-service-error:ITEM_ALREADY_INSTOCK`` (delisting an in-stock item),
  ``isv.item-listing-service-error:ITEM_QUANTITY_ZERO`` (gotcha 1),
  ``isv.item-listing-service-error:ITEM_VIOLATION_OFF_SHELF`` (gotcha 4),
  ``isv.item-listing-service-error:ITEM_SECOND_KILL`` (gotcha 3, 秒杀),
  ``isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED`` (sub_msg = the rule's message),
  ``isv.item-quantity-update-service-error:ITEM_PROMOTION_LOCKED`` and
  ``...:ONSALE_QUANTITY_ZERO`` for `taobao.item.quantity.update`.
* Argument errors are 40 / 41 with ``isv.missing-parameter:<name>`` /
  ``isv.invalid-parameter:<name>``; a page beyond a §1.5 cap is 41 on `page_no`.
* `taobao.items.onsale.get` refuses once page_no*page_size exceeds 20,000 (the stricter of
  §1.5's two readings; `Limits.top_onsale_max_records`), inventory once page_no > 101.
* Default order is num_iid ascending (TOP does not document one); ties in `order_by` break on
  num_iid. Empty result pages omit the `items` key and keep `total_results`.
* `fields` selects item fields as TOP does (unknown names are ignored; `num_iid` is always
  returned; `sku`/`skus` add `skus.sku[]`; `second_kill` when asked). The sandbox adds a
  `violation` object to items in violation_off_shelf whatever `fields` says:
  ``{"severity": "normal"|"serious", "reason", "delisted_at", "rectify_deadline"}``
  (GMT+8 strings; deadline 72 h / 24 h after the delist, seed 001).
* `format=xml` (the TOP default) gets the same document rendered as XML; `simplify=true`
  with json drops the `*_response` wrapper and the singular list wrappers (unverified shape).
* Listing an instock sold_out item after restocking works; restocking alone keeps the
  sold_out banner. Tmall shops may call the plain or the `.tmall` variants (both accepted).
* `alibaba.item.operate.upshelf/downshelf` answer `result` as a JSON *string*
  ``{"item_id": N, "modified": "..."}``.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote_plus
from xml.sax.saxutils import escape

from shelf_tui.sandbox.catalog import (
    RULE_DELIST_LOCK,
    RULE_SKU_LOCK,
    RULE_STOCK_DECREASE_LOCK,
    RULE_STOCK_LOCK,
    TAOBAO,
    TOP_NEVER,
    TOP_OFF_SHELF,
    TOP_ONSALE,
    TOP_REGULAR,
    TOP_SOLD_OUT,
    TOP_VIOLATION,
    ShopCatalog,
)
from shelf_tui.sandbox.clock import fmt_gmt8, parse_gmt8
from shelf_tui.sandbox.faults import Fault, ban_seconds
from shelf_tui.sandbox.http import JSON, Hold, Request, Response
from shelf_tui.sandbox.signing import TOP_SIGN_METHODS, top_verify
from shelf_tui.sandbox.state import TokenStatus, World

BANNERS: dict[str, tuple[int, ...]] = {  # §1.5, gotcha 4
    "regular_shelved": (TOP_REGULAR,),
    "never_on_shelf": (TOP_NEVER,),
    "off_shelf": (TOP_OFF_SHELF,),
    "for_shelved": (TOP_REGULAR, TOP_NEVER, TOP_OFF_SHELF),  # the default: no sold_out/violation
    "sold_out": (TOP_SOLD_OUT,),
    "violation_off_shelf": (TOP_VIOLATION,),
}
ORDER_FIELDS = ("list_time", "delist_time", "num", "modified", "sold_quantity")  # §1.5

FLOW_SUB_CODES = {  # §1.7 flow control
    "quota": "accesscontrol.limited-by-app-access-count",
    "app": "accesscontrol.limited-by-app-api-access-count",
    "method": "accesscontrol.limited-by-app-api-access-count",
    "api": "accesscontrol.limited-by-api-access-count",
}


class TopError(Exception):
    """An `error_response` (§1.7)."""

    def __init__(
        self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None
    ) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    @property
    def outcome(self) -> str:
        """The log's short form: "27" or "15:isv.item-not-exist"."""
        return f"{self.code}:{self.sub_code}" if self.sub_code else str(self.code)


def missing(name: str) -> TopError:
    """40 Missing required arguments (§1.7)."""
    return TopError(
        40,
        f"Missing required arguments:{name}",
        f"isv.missing-parameter:{name}",
        f"缺少必选参数:{name}",
    )


def invalid(name: str, why: str) -> TopError:
    """41 Invalid arguments (§1.7)."""
    return TopError(41, f"Invalid arguments:{name}", f"isv.invalid-parameter:{name}", why)


def business(sub_code: str, sub_msg: str) -> TopError:
    """15 Remote service error with an isv.* sub_code: a business refusal (§1.7)."""
    return TopError(15, "Remote service error", sub_code, sub_msg)


def _int(p: dict[str, str], name: str, *, required: bool = True, default: int | None = None) -> int:
    raw = p.get(name, "")
    if raw == "":
        if required:
            raise missing(name)
        assert default is not None
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, f"{name} 必须是整数") from None


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _to_xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_to_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        return "".join(_to_xml(tag, v) for v in value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    else:
        text = escape(str(value))
    return f"<{tag}>{text}</{tag}>"


def _simplify(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (only,) = value.values()
            if isinstance(only, list):
                return [_simplify(v) for v in only]
        return {k: _simplify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify(v) for v in value]
    return value


def parse_form(text: str) -> dict[str, str]:
    """`application/x-www-form-urlencoded` to a dict (last value wins).

    `urllib.parse.parse_qsl` was a third of the cost of a signed delisting; most TOP values
    need no unquoting at all, so only those with `%` or `+` go through `unquote_plus`.
    """
    out: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        out[key] = value
    return out


def response_key(method: str) -> str:
    """TOP's response wrapper: the method with `taobao.` dropped, dots to underscores (§1.5)."""
    name = method[7:] if method.startswith("taobao.") else method
    return name.replace(".", "_") + "_response"


MethodFn = Callable[[dict[str, str], ShopCatalog | None, str], dict[str, Any]]


class TopGateway:
    """Serves `/router/rest`."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.methods: dict[str, tuple[MethodFn, bool, bool]] = {
            # name: (handler, needs a session, changes state)
            "taobao.items.onsale.get": (self._onsale_get, True, False),
            "taobao.items.inventory.get": (self._inventory_get, True, False),
            "taobao.item.seller.get": (self._item_seller_get, True, False),
            "taobao.items.seller.list.get": (self._items_seller_list_get, True, False),
            "taobao.item.update.listing": (self._listing, True, True),
            "taobao.item.update.delisting": (self._delisting, True, True),
            "taobao.item.update.listing.tmall": (self._listing, True, True),
            "taobao.item.update.delisting.tmall": (self._delisting, True, True),
            "alibaba.item.operate.upshelf": (self._upshelf, True, True),
            "alibaba.item.operate.downshelf": (self._downshelf, True, True),
            "taobao.item.promotion.rule.get": (self._promotion_rule_get, True, False),
            "taobao.item.quantity.update": (self._quantity_update, True, True),
            "taobao.top.auth.token.create": (self._token_create, False, False),
            "taobao.top.auth.token.refresh": (self._token_refresh, False, False),
        }
        self._state_rx: dict[tuple[int, ...], re.Pattern[bytes]] = {}

    # -- envelope ---------------------------------------------------------------------------

    def _render(self, p: dict[str, str], doc: dict[str, Any]) -> Response:
        if p.get("format", "xml") == "xml":
            ((key, payload),) = doc.items()
            body = '<?xml version="1.0" encoding="utf-8" ?>' + _to_xml(key, payload)
            return Response(200, body.encode("utf-8"), "text/xml;charset=UTF-8")
        if p.get("simplify") == "true" and "error_response" not in doc:
            ((_, payload),) = doc.items()
            doc = _simplify(payload)
        return Response(
            200, json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON
        )

    def _error(self, p: dict[str, str], err: TopError) -> Response:
        payload: dict[str, Any] = {"code": err.code, "msg": err.msg}
        if err.sub_code:
            payload["sub_code"] = err.sub_code
        if err.sub_msg:
            payload["sub_msg"] = err.sub_msg
        payload["request_id"] = self.w.request_id()
        return self._render(p, {"error_response": payload})

    # -- request ------------------------------------------------------------------------------

    @staticmethod
    def params(req: Request) -> dict[str, str]:
        """System params from the query, business params from the form body (§1.1); body wins.

        Any verb's form body is read, so that a PUT still gets its error 9 in the asked format.
        """
        p = parse_form(req.query) if req.query else {}
        if req.body:
            ctype = req.headers.get("content-type", "")
            if "multipart/" in ctype:
                raise TopError(
                    40,
                    "Missing required arguments",
                    "isv.missing-parameter",
                    "the sandbox takes application/x-www-form-urlencoded bodies only",
                )
            p.update(parse_form(req.body.decode("utf-8", "replace")))
        return p

    def handle(self, req: Request) -> Response | Hold:
        """Serve one router call (the module docstring lists the order of checks)."""
        with self.w.lock:
            try:
                p = self.params(req)
            except TopError as err:
                p = {"format": "json"}
                self.w.record(TAOBAO, None, "?", None, err.outcome, ok=False)
                return self._error(p, err)
            method = p.get("method", "")
            item = p.get("num_iid") or p.get("item_id") or None
            shop_key: str | None = None
            try:
                if req.method not in ("GET", "POST"):
                    raise TopError(9, "Http Action Not Allowed")
                if p.get("format", "xml") not in ("json", "xml"):
                    fmt, p["format"] = p["format"], "json"
                    raise TopError(
                        23, "Invalid Format", "isv.invalid-parameter:format", f"format {fmt!r}"
                    )
                app_key = p.get("app_key", "")
                if not app_key:
                    raise TopError(28, "Missing App Key")
                app = self.w.apps.get(app_key)
                if app is None or app.platform != TAOBAO:
                    raise TopError(29, "Invalid App Key")
                shop_key = app.shop
                if not method:
                    raise TopError(21, "Missing Method")
                entry = self.methods.get(method)
                if entry is None:
                    raise TopError(22, "Invalid Method", "isv.method-not-exist", f"{method} 不存在")
                self._check_version(p)
                self._check_timestamp(p)
                sign_method = p.get("sign_method") or "md5"
                if not p.get("sign"):
                    raise TopError(24, "Missing Signature")
                if sign_method not in TOP_SIGN_METHODS:
                    raise TopError(
                        25,
                        "Invalid Signature",
                        "isv.invalid-signature",
                        f"unsupported sign_method {sign_method!r}",
                    )
                if not top_verify(p, app.secret):
                    raise TopError(25, "Invalid Signature")
                limited = self.w.check_limits(app_key, method)
                if limited is not None:
                    which, wait = limited
                    limit_err = TopError(
                        7,
                        "App Call Limited",
                        FLOW_SUB_CODES[which],
                        f"This ban will last for {ban_seconds(wait)} more seconds",
                    )
                    self.w.record(
                        TAOBAO,
                        shop_key,
                        method,
                        item,
                        limit_err.outcome,
                        ok=False,
                        fault="quota" if which == "quota" else "rate",
                    )
                    return self._error(p, limit_err)
                fn, needs_session, changes = entry
                shop: ShopCatalog | None = None
                if needs_session:
                    shop = self._session_shop(p, app_key)
                roll = self.w.roll(TAOBAO, app_key, method, item)
                if roll.fault is Fault.RATE:
                    sub = FLOW_SUB_CODES["api" if roll.variant < 3 else "method"]
                    rate_err = TopError(
                        7,
                        "App Call Limited",
                        sub,
                        f"This ban will last for {roll.seconds} more seconds",
                    )
                    self.w.record(
                        TAOBAO, shop_key, method, item, rate_err.outcome, ok=False, fault="429"
                    )
                    return self._error(p, rate_err)
                if roll.fault is Fault.SERVER:
                    return self._server_fault(p, shop_key, method, item, roll.variant)
                if roll.fault is Fault.TIMEOUT:
                    fault = "timeout"
                    if changes and roll.applied:
                        fault = "timeout+applied"
                        try:
                            fn(p, shop, method)
                            self.w.record(
                                TAOBAO,
                                shop_key,
                                method,
                                item,
                                "ok",
                                ok=True,
                                changed=True,
                                fault=fault,
                            )
                        except TopError as err:
                            self.w.record(
                                TAOBAO, shop_key, method, item, err.outcome, ok=False, fault=fault
                            )
                    else:
                        self.w.record(TAOBAO, shop_key, method, item, "lost", ok=False, fault=fault)
                    return Hold(self.w.faults.timeout_hold)
                payload = fn(p, shop, method)
            except TopError as err:
                self.w.record(TAOBAO, shop_key, method or "?", item, err.outcome, ok=False)
                return self._error(p, err)
            self.w.record(TAOBAO, shop_key, method, item, "ok", ok=True, changed=changes)
            payload["request_id"] = self.w.request_id()
            return self._render(p, {response_key(method): payload})

    def _server_fault(
        self, p: dict[str, str], shop: str | None, method: str, item: str | None, variant: int
    ) -> Response:
        """A backend failure in one of TOP's forms: 15 isp.* (HTTP 200) or a bare 502/503."""
        if variant >= 2:
            status = 502 if variant == 2 else 503
            self.w.record(TAOBAO, shop, method, item, str(status), ok=False, fault="5xx")
            return Response(
                status, b"<html><body><h1>%d</h1></body></html>" % status, "text/html;charset=UTF-8"
            )
        sub = ("isp.top-remote-connection-timeout", "isp.remote-service-error")[variant]
        err = TopError(15, "Remote service error", sub, "后端服务调用失败，请稍后重试")
        self.w.record(TAOBAO, shop, method, item, err.outcome, ok=False, fault="5xx")
        return self._error(p, err)

    @staticmethod
    def _check_version(p: dict[str, str]) -> None:
        v = p.get("v", "")
        if not v:
            raise TopError(32, "Missing Version")
        if not re.fullmatch(r"\d+(\.\d+)?", v):
            raise TopError(33, "Invalid Version")
        if v != "2.0":
            raise TopError(34, "Unsupported Version")

    def _check_timestamp(self, p: dict[str, str]) -> None:
        """GMT+8 `yyyy-MM-dd HH:mm:ss` (§1.2) or epoch ms as the official SDK sends it."""
        raw = p.get("timestamp", "")
        if not raw:
            raise TopError(30, "Missing Timestamp")
        when = float(raw) / 1000 if raw.isdigit() and len(raw) >= 12 else parse_gmt8(raw)
        if when is None:
            raise TopError(
                31,
                "Invalid Timestamp",
                "isv.invalid-parameter:timestamp",
                "timestamp 格式应为 yyyy-MM-dd HH:mm:ss (GMT+8)",
            )
        skew = abs(self.w.clock.now() - when)
        if skew > self.w.limits.top_timestamp_skew:
            raise TopError(
                31,
                "Invalid Timestamp",
                None,
                f"时间戳误差超过10分钟 (off by {int(skew)} s; GMT+8 is required)",
            )

    def _session_shop(self, p: dict[str, str], app_key: str) -> ShopCatalog:
        status, token = self.w.check_token(p.get("session"), app_key)
        if status is TokenStatus.MISSING:
            raise TopError(26, "Missing Session")
        if status is not TokenStatus.OK or token is None:
            why = {
                TokenStatus.UNKNOWN: "SessionKey非法 (unknown session)",
                TokenStatus.EXPIRED: "SessionKey已过期 (session expired)",
                TokenStatus.REVOKED: "用户已取消授权 (authorisation cancelled)",
                TokenStatus.WRONG_APP: "SessionKey不是当前appkey授权获得的 (another appkey's)",
            }[status]
            raise TopError(27, "Invalid session", "invalid-sessionkey", why)  # §1.4
        return self.w.catalog.shops[token.shop]

    # -- item rendering ---------------------------------------------------------------------

    @staticmethod
    def _fields(p: dict[str, str]) -> set[str]:
        raw = p.get("fields", "")
        if not raw:
            raise missing("fields")
        return {f.strip() for f in raw.split(",") if f.strip()}

    def _item(self, shop: ShopCatalog, idx: int, fields: set[str] | None) -> dict[str, Any]:
        state = shop.state[idx]
        listed = shop.listed_ms(idx)
        delisted = shop.delisted_ms(idx)
        onsale = state == TOP_ONSALE
        full: dict[str, Any] = {
            "num_iid": shop.id_of(idx),
            "title": shop.title_of(idx),
            "nick": shop.spec.nick,
            "type": "fixed",
            "cid": shop.category(idx),
            "seller_cids": "",
            "props": "",
            "pic_url": f"https://img.sandbox.invalid/top/{shop.id_of(idx)}.jpg",
            "num": shop.stock[idx],
            "valid_thru": 7,
            "price": _price(shop.price[idx]),
            "has_discount": False,
            "has_invoice": True,
            "has_warranty": True,
            "has_showcase": False,
            "modified": fmt_gmt8(shop.modified[idx] / 1000),
            "approve_status": "onsale" if onsale else "instock",
            "postage_id": 0,
            "outer_id": shop.outer_id(idx),
            "sold_quantity": shop.sold(idx),
            "is_taobao": True,
            "is_ex": False,
            "is_timing": state == TOP_REGULAR,
            "is_tmall": shop.spec.tmall,
        }
        if listed is not None:
            full["list_time"] = fmt_gmt8(listed / 1000)
        if onsale and listed is not None:
            full["delist_time"] = fmt_gmt8(listed / 1000 + 7 * 86400)
        elif delisted is not None:
            full["delist_time"] = fmt_gmt8(delisted / 1000)
        if fields is None:
            out = full
        else:
            out = {k: v for k, v in full.items() if k in fields or k == "num_iid"}
        if fields is None or "sku" in fields or "skus" in fields:
            skus = self._skus(shop, idx)
            if skus:
                out["skus"] = {"sku": skus}
        kill = shop.second_kill(idx)
        if kill is not None and (fields is None or "second_kill" in fields):
            out["second_kill"] = kill
        v = shop.violation(idx)
        if v is not None:  # sandbox convention, see the module docstring
            out["violation"] = {
                "severity": v.severity,
                "reason": v.reason,
                "delisted_at": fmt_gmt8(v.delisted_ms / 1000),
                "rectify_deadline": fmt_gmt8(v.deadline_ms / 1000),
            }
        return out

    def _skus(self, shop: ShopCatalog, idx: int) -> list[dict[str, Any]]:
        out = []
        modified = fmt_gmt8(shop.modified[idx] / 1000)
        for j, qty in enumerate(shop.sku_quantities(idx)):
            color, size = shop.sku_label(idx, j)
            cvid, svid = 28320 + (j + idx) % 5, 28314 + j % 5
            out.append(
                {
                    "sku_id": shop.sku_id(idx, j),
                    "properties": f"1627207:{cvid};20509:{svid}",
                    "properties_name": f"1627207:{cvid}:颜色分类:{color};20509:{svid}:尺码:{size}",
                    "quantity": qty,
                    "price": _price(shop.sku_price(idx, j)),
                    "outer_id": shop.sku_outer_id(idx, j),
                    "with_hold_quantity": 0,
                    "status": "normal",
                    "modified": modified,
                }
            )
        return out

    # -- queries ----------------------------------------------------------------------------

    def _paging(self, p: dict[str, str]) -> tuple[int, int]:
        lim = self.w.limits
        page_no = _int(p, "page_no", required=False, default=1)
        page_size = _int(p, "page_size", required=False, default=lim.top_default_page_size)
        if page_no < 1:
            raise invalid("page_no", "page_no 必须大于0")
        if not 1 <= page_size <= lim.top_max_page_size:
            raise invalid("page_size", f"page_size 取值范围 1-{lim.top_max_page_size}")
        return page_no, page_size

    def _order(self, p: dict[str, str]) -> tuple[str, bool] | None:
        raw = p.get("order_by", "")
        if not raw:
            return None
        name, _, direction = raw.partition(":")
        direction = direction or "desc"
        if name not in ORDER_FIELDS or direction not in ("asc", "desc"):
            raise invalid("order_by", f"order_by 取值: {'|'.join(ORDER_FIELDS)}:asc|desc")
        return name, direction == "desc"

    @staticmethod
    def _modified_range(p: dict[str, str]) -> tuple[int | None, int | None]:
        out: list[int | None] = []
        for name in ("start_modified", "end_modified"):
            raw = p.get(name, "")
            if not raw:
                out.append(None)
                continue
            t = parse_gmt8(raw)
            if t is None:
                raise invalid(name, f"{name} 格式应为 yyyy-MM-dd HH:mm:ss")
            out.append(int(t))
        return out[0], out[1]

    def _select(self, shop: ShopCatalog, states: tuple[int, ...], p: dict[str, str]) -> array[int]:
        lo, hi = self._modified_range(p)
        order = self._order(p)
        q = p.get("q", "")
        cid = p.get("cid", "")
        key = ("top", states, lo, hi, order, q, cid)

        def compute() -> array[int]:
            rx = self._state_rx.get(states)
            if rx is None:
                rx = self._state_rx[states] = re.compile(
                    b"[" + b"".join(re.escape(bytes([s])) for s in states) + b"]"
                )
            idxs = [m.start() for m in rx.finditer(shop.state)]
            mod = shop.modified
            if lo is not None:
                lo_ms = lo * 1000
                idxs = [i for i in idxs if mod[i] >= lo_ms]
            if hi is not None:
                hi_ms = hi * 1000 + 999
                idxs = [i for i in idxs if mod[i] <= hi_ms]
            if q:
                idxs = [i for i in idxs if q in shop.title_of(i)]
            if cid:
                idxs = [i for i in idxs if str(shop.category(i)) == cid]
            if order is not None:
                name, desc = order
                keyfn: Callable[[int], int] = {
                    "list_time": lambda i: shop.listed_ms(i) or 0,
                    "delist_time": lambda i: shop.delisted_ms(i) or 0,
                    "num": lambda i: shop.stock[i],
                    "modified": lambda i: mod[i] // 1000,
                    "sold_quantity": shop.sold,
                }[name]
                idxs.sort(key=lambda i: (-keyfn(i), i) if desc else (keyfn(i), i))
            return array("i", idxs)

        result: array[int] = self.w.cached(shop, key, compute)
        return result

    def _page(
        self, shop: ShopCatalog, idxs: array[int], p: dict[str, str], page_no: int, page_size: int
    ) -> dict[str, Any]:
        fields = self._fields(p)
        page = idxs[(page_no - 1) * page_size : page_no * page_size]
        payload: dict[str, Any] = {}
        if len(page):
            payload["items"] = {"item": [self._item(shop, i, fields) for i in page]}
        payload["total_results"] = len(idxs)
        return payload

    def _onsale_get(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        self._fields(p)
        page_no, page_size = self._paging(p)
        cap = self.w.limits.top_onsale_max_records
        if page_no * page_size > cap:  # §1.5, gotcha 5
            raise invalid(
                "page_no",
                f"page_no*page_size 不能超过 {cap}，请用 start_modified/end_modified 分段查询",
            )
        return self._page(shop, self._select(shop, (TOP_ONSALE,), p), p, page_no, page_size)

    def _inventory_get(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        self._fields(p)
        page_no, page_size = self._paging(p)
        if page_no > self.w.limits.top_inventory_max_page_no:  # §1.5
            raise invalid("page_no", f"page_no 不能超过 {self.w.limits.top_inventory_max_page_no}")
        states: set[int] = set()
        for banner in (p.get("banner") or "for_shelved").split(","):
            codes = BANNERS.get(banner.strip())
            if codes is None:
                raise invalid("banner", f"banner 取值: {','.join(BANNERS)}")
            states.update(codes)
        return self._page(shop, self._select(shop, tuple(sorted(states)), p), p, page_no, page_size)

    def _own(self, shop: ShopCatalog, raw: str, name: str) -> int:
        """The index of an item of this seller; others' items do not exist (§1.6)."""
        try:
            num = int(raw)
        except ValueError:
            raise invalid(name, f"{name} 必须是整数") from None
        idx = shop.idx_of(num)
        if idx is None:
            raise business("isv.item-not-exist", f"商品不存在或不属于当前卖家 (item {num})")
        return idx

    def _item_seller_get(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        if not p.get("num_iid"):
            raise missing("num_iid")
        fields = self._fields(p)
        idx = self._own(shop, p["num_iid"], "num_iid")
        return {"item": self._item(shop, idx, fields)}

    def _items_seller_list_get(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        raw = p.get("num_iids", "")
        if not raw:
            raise missing("num_iids")
        fields = self._fields(p)
        parts = [x.strip() for x in raw.split(",") if x.strip()]
        if len(parts) > self.w.limits.top_seller_list_max:
            raise invalid("num_iids", f"num_iids 最多 {self.w.limits.top_seller_list_max} 个")
        items = []
        for part in parts:
            if not part.isdigit():
                raise invalid("num_iids", "num_iids 必须是逗号分隔的整数")
            idx = shop.idx_of(int(part))
            if idx is not None:  # missing or another seller's: silently omitted (§1.5)
                items.append(self._item(shop, idx, fields))
        return {"items": {"item": items}} if items else {}

    # -- state changes ----------------------------------------------------------------------

    def _list(self, shop: ShopCatalog, idx: int, num: int | None) -> None:
        """Shared rules of taobao.item.update.listing and alibaba.item.operate.upshelf."""
        state = shop.state[idx]
        if state == TOP_ONSALE:
            raise business(
                "isv.item-listing-service-error:ITEM_ALREADY_ONSALE", "商品已经是上架状态"
            )
        if state == TOP_VIOLATION:  # gotcha 4
            raise business(
                "isv.item-listing-service-error:ITEM_VIOLATION_OFF_SHELF",
                "违规下架的商品不能直接上架，请先完成整改",
            )
        if shop.second_kill(idx) is not None:  # gotcha 3
            raise business(
                "isv.item-listing-service-error:ITEM_SECOND_KILL",
                "秒杀商品只能下架，不能再上架，请联系小二去除秒杀标记",
            )
        if shop.nsku[idx]:
            total = sum(shop.sku_quantities(idx))  # num is ignored for SKU items (§1.6)
        else:
            total = shop.stock[idx] if num is None else num
        if total <= 0:  # gotcha 1
            raise business(
                "isv.item-listing-service-error:ITEM_QUANTITY_ZERO",
                "商品库存为0，不能上架 (the on-shelf quantity cannot be 0)",
            )
        now = self.w.clock.now_ms()
        if not shop.nsku[idx] and num is not None:
            shop.stock[idx] = num
        shop.set_state(idx, TOP_ONSALE, now)

    def _delist(self, shop: ShopCatalog, idx: int) -> None:
        if shop.state[idx] != TOP_ONSALE:
            raise business(
                "isv.item-delisting-service-error:ITEM_ALREADY_INSTOCK", "商品已经在仓库中"
            )
        now = self.w.clock.now_ms()
        for rule in shop.rules(idx):
            if rule.type == RULE_DELIST_LOCK and rule.effective(now):  # gotcha 3
                raise business(
                    "isv.item-delisting-service-error:ITEM_PROMOTION_LOCKED", rule.message
                )
        shop.set_state(idx, TOP_OFF_SHELF, now)

    def _listing(self, p: dict[str, str], shop: ShopCatalog | None, method: str) -> dict[str, Any]:
        assert shop is not None
        if not p.get("num_iid"):
            raise missing("num_iid")
        num = _int(p, "num")  # required and > 0 even for SKU items (§1.6)
        if num <= 0:
            raise invalid("num", "num 必须大于0")
        idx = self._own(shop, p["num_iid"], "num_iid")
        self._list(shop, idx, num)
        return {
            "item": {"num_iid": shop.id_of(idx), "modified": fmt_gmt8(shop.modified[idx] / 1000)}
        }

    def _delisting(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        if not p.get("num_iid"):
            raise missing("num_iid")
        idx = self._own(shop, p["num_iid"], "num_iid")
        self._delist(shop, idx)
        return {
            "item": {"num_iid": shop.id_of(idx), "modified": fmt_gmt8(shop.modified[idx] / 1000)}
        }

    def _result(self, shop: ShopCatalog, idx: int) -> dict[str, Any]:
        text = json.dumps(
            {"item_id": shop.id_of(idx), "modified": fmt_gmt8(shop.modified[idx] / 1000)}
        )
        return {"result": text}

    def _upshelf(self, p: dict[str, str], shop: ShopCatalog | None, method: str) -> dict[str, Any]:
        assert shop is not None
        if not p.get("item_id"):
            raise missing("item_id")
        quantity: int | None = None
        if p.get("quantity"):
            quantity = _int(p, "quantity")
            if quantity <= 0:
                raise invalid("quantity", "quantity 必须大于0")
        idx = self._own(shop, p["item_id"], "item_id")
        self._list(shop, idx, quantity)
        return self._result(shop, idx)

    def _downshelf(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        assert shop is not None
        if not p.get("item_id"):
            raise missing("item_id")
        idx = self._own(shop, p["item_id"], "item_id")
        self._delist(shop, idx)
        return self._result(shop, idx)

    def _promotion_rule_get(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        """Rules in effect now (获取商品已生效营销活动更新规则, §1.6)."""
        assert shop is not None
        if not p.get("item_id"):
            raise missing("item_id")
        idx = self._own(shop, p["item_id"], "item_id")
        now = self.w.clock.now_ms()
        rules = [r for r in shop.rules(idx) if r.effective(now)]
        payload: dict[str, Any] = {"effec": bool(rules)}
        if rules:
            payload["rules"] = {
                "item_promotion_rule": [
                    {
                        "name": r.name,
                        "message": r.message,
                        "start_time": fmt_gmt8(r.start_ms / 1000),
                        "end_time": fmt_gmt8(r.end_ms / 1000),
                        "type": r.type,
                    }
                    for r in rules
                ]
            }
        return payload

    def _quantity_update(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        """taobao.item.quantity.update: full (type 1) or delta (type 2) stock (§1.6, gotcha 1)."""
        assert shop is not None
        if not p.get("num_iid"):
            raise missing("num_iid")
        quantity = _int(p, "quantity")
        kind = _int(p, "type", required=False, default=1)
        if kind not in (1, 2):
            raise invalid("type", "type 取值 1 (全量) 或 2 (增量)")
        idx = self._own(shop, p["num_iid"], "num_iid")
        j: int | None = None
        if p.get("sku_id"):
            sku_id = _int(p, "sku_id")
            hit = shop.sku_of(sku_id)
            if hit is None or hit[0] != idx:
                raise business(
                    "isv.item-quantity-update-service-error:SKU_NOT_EXIST", f"SKU {sku_id} 不存在"
                )
            j = hit[1]
        elif p.get("outer_id"):
            matches = [
                k for k in range(shop.nsku[idx]) if shop.sku_outer_id(idx, k) == p["outer_id"]
            ]
            if not matches:
                raise business(
                    "isv.item-quantity-update-service-error:SKU_NOT_EXIST",
                    f"outer_id {p['outer_id']} 对应的SKU不存在",
                )
            j = matches[0]
        elif shop.nsku[idx]:
            raise invalid("sku_id", "带SKU的商品请指定 sku_id 或 outer_id")
        quantities = shop.sku_quantities(idx)
        old = quantities[j] if j is not None else shop.stock[idx]
        new = quantity if kind == 1 else old + quantity
        if new < 0:
            raise invalid("quantity", "更新后的库存不能小于0")
        now = self.w.clock.now_ms()
        for rule in shop.rules(idx):
            if not rule.effective(now):
                continue
            if (
                rule.type == RULE_STOCK_LOCK
                or (rule.type == RULE_STOCK_DECREASE_LOCK and new < old)
                or (rule.type == RULE_SKU_LOCK and j is not None)
            ):
                raise business(
                    "isv.item-quantity-update-service-error:ITEM_PROMOTION_LOCKED", rule.message
                )
        total = shop.stock[idx] - old + new
        if shop.state[idx] == TOP_ONSALE and total == 0:  # gotcha 1: delist first
            raise business(
                "isv.item-quantity-update-service-error:ONSALE_QUANTITY_ZERO",
                "在售商品库存不能更新为0，请先下架",
            )
        if j is None:
            shop.set_stock(idx, new, now)
        else:
            shop.set_sku_stock(idx, j, new, now)
        item: dict[str, Any] = {
            "num_iid": shop.id_of(idx),
            "num": shop.stock[idx],
            "modified": fmt_gmt8(shop.modified[idx] / 1000),
        }
        if shop.nsku[idx]:
            item["skus"] = {
                "sku": [
                    {"sku_id": s["sku_id"], "quantity": s["quantity"], "modified": s["modified"]}
                    for s in self._skus(shop, idx)
                ]
            }
        return {"item": item}

    # -- token APIs (§1.4 "API alternative") --------------------------------------------------

    def token_result(self, shop_key: str, access: str, refresh: str | None) -> dict[str, Any]:
        """The §1.4 token response fields (shared with the OAuth `/token` endpoint)."""
        spec = self.w.specs[shop_key]
        token = self.w.tokens[access]
        expires_in = self.w.token_ttl_for(token)
        out: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": refresh or "",
            "re_expires_in": (30 * 86400 if refresh else 0),
            "r1_expires_in": expires_in,
            "r2_expires_in": min(expires_in, 86400),
            "w1_expires_in": expires_in,
            "w2_expires_in": min(expires_in, 86400),
            "taobao_user_nick": quote(spec.nick),
            "taobao_user_id": str(spec.seller_id),
            "sub_taobao_user_id": "",
            "sub_taobao_user_nick": "",
        }
        if not refresh:
            del out["refresh_token"]
        return out

    def _token_create(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        code = p.get("code", "")
        if not code:
            raise missing("code")
        status, auth = self.w.take_code(code, p.get("app_key", ""))
        if status != "ok" or auth is None:
            raise business("isv.invalid-parameter:code", f"授权码无效 ({status})")
        token, grant = self.w.issue(auth.shop)
        result = self.token_result(auth.shop, token.value, grant.value if grant else None)
        return {"token_result": json.dumps(result, ensure_ascii=False)}

    def _token_refresh(
        self, p: dict[str, str], shop: ShopCatalog | None, method: str
    ) -> dict[str, Any]:
        value = p.get("refresh_token", "")
        if not value:
            raise missing("refresh_token")
        app = self.w.apps[p.get("app_key", "")]
        if not app.refreshable:  # 商家后台 apps get fixed-length tokens (§1.4, gotcha 8)
            raise business(
                "isv.refresh-token-not-supported",
                "该应用类型不支持刷新授权 (only 服务市场 apps can refresh)",
            )
        grant = self.w.grants.get(value)
        now = self.w.clock.now()
        if (
            grant is None
            or grant.app_key != app.key
            or grant.used
            or grant.revoked
            or now >= grant.issued + grant.lifetime
        ):
            raise business("isv.invalid-parameter:refresh_token", "refresh_token 无效或已过期")
        grant.used = True
        token, new_grant = self.w.issue(grant.shop)
        result = self.token_result(grant.shop, token.value, new_grant.value if new_grant else None)
        return {"token_result": json.dumps(result, ensure_ascii=False)}


__all__ = ["BANNERS", "TopError", "TopGateway", "response_key"]
