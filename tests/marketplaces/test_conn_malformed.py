"""Truncated and malformed answers raise one clear typed error, never an unhandled exception
(hypothesis-fuzzed over every connector method of every platform)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from connkit import fake_throttle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelf_tui.domain import Action, Item, Platform, Shop
from shelf_tui.marketplaces import Credentials, MalformedResponse, MarketplaceError, create
from shelf_tui.marketplaces.connector import Connector

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHOPS = {
    "top": Shop(
        name="tb", platform=Platform.TAOBAO, gateway="https://gw.invalid/router/rest", app_key="1"
    ),
    "mercadolibre": Shop(
        name="ml",
        platform=Platform.MERCADOLIBRE,
        site="MLA",
        seller_id="9",
        gateway="https://api.invalid",
        app_key="1",
    ),
    "temu": Shop(
        name="tm",
        platform=Platform.TEMU,
        region="us",
        app_key="1",
        gateway="https://temu.invalid/openapi/router",
    ),
}
ITEM = {"top": "520000000001", "mercadolibre": "MLA1100000001", "temu": "601099548666279"}


def bodies(platform: str) -> list[bytes]:
    """The valid documented bodies of a platform: what gets truncated."""
    return [
        json.dumps(json.loads(p.read_text())["body"], ensure_ascii=False).encode()
        for p in sorted((FIXTURES / platform).glob("*.json"))
    ]


Call = Callable[[Connector], Awaitable[Any]]


async def _iterate(conn: Connector) -> list[Item]:
    out: list[Item] = []
    async for page in conn.iter_items():
        out.extend(page)
    return out


def calls(platform: str) -> list[Call]:
    item = Item(shop=SHOPS[platform].name, item_id=ITEM[platform], stock=5)
    return [
        _iterate,
        lambda c: c.get_items([item.item_id]),
        lambda c: c.set_status(item, Action.DELIST),
        lambda c: c.set_status(item, Action.LIST),
        lambda c: c.preflight(item, Action.DELIST),
        lambda c: c.whoami(),
    ]


def run(
    platform: str, call: Call, body: bytes, status: int = 200
) -> tuple[BaseException | None, int]:
    """(the typed error raised or None, how many requests were answered with `body`)."""
    sent = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal sent
        sent += 1
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    async def go() -> BaseException | None:
        conn = create(
            SHOPS[platform],
            Credentials(app_secret="s", access_token="t"),
            client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
            throttle=fake_throttle(),
            clock=lambda: 1_790_000_000.0,
        )
        assert isinstance(conn, Connector)
        conn.read_attempts = 1
        try:
            await asyncio.wait_for(call(conn), 10)
        except MarketplaceError as exc:
            return exc
        finally:
            await conn.wire.client.aclose()
        return None

    return asyncio.run(go()), sent


def check(exc: BaseException | None) -> None:
    if exc is not None:
        assert isinstance(exc, MarketplaceError)
        text = str(exc)
        assert text and "\n" not in text and len(text) < 400
        assert "Traceback" not in text


platforms = st.sampled_from(sorted(SHOPS))
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(platforms, st.data())
def test_a_truncated_answer_is_one_malformed_error(platform: str, data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(bodies(platform)))
    cut = data.draw(st.integers(0, len(body) - 1))
    call = data.draw(st.sampled_from(calls(platform)))
    exc, sent = run(platform, call, body[:cut])
    check(exc)
    if sent:  # (preflights that need no request have nothing to parse)
        assert isinstance(exc, MalformedResponse), exc
        assert "malformed response" in str(exc)


json_docs = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "items_onsale_get_response",
                    "items",
                    "item",
                    "total_results",
                    "num_iid",
                    "error_response",
                    "code",
                    "sub_code",
                    "results",
                    "scroll_id",
                    "id",
                    "status",
                    "body",
                    "success",
                    "errorCode",
                    "result",
                    "goodsList",
                    "total",
                    "goodsId",
                    "goodsSubStatus",
                    "skus",
                    "sub_status",
                    "variations",
                    "paging",
                    "rules",
                    "mallId",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@fuzz
@given(platforms, st.data(), json_docs, st.sampled_from([200, 200, 400, 401, 404, 429, 500, 502]))
def test_any_json_document_gives_an_outcome_or_a_typed_error(
    platform: str, data: st.DataObject, doc: Any, status: int
) -> None:
    call = data.draw(st.sampled_from(calls(platform)))
    check(run(platform, call, json.dumps(doc).encode(), status)[0])


@fuzz
@given(platforms, st.data(), st.binary(max_size=64))
def test_any_bytes_give_an_outcome_or_a_typed_error(
    platform: str, data: st.DataObject, body: bytes
) -> None:
    call = data.draw(st.sampled_from(calls(platform)))
    check(run(platform, call, body)[0])
