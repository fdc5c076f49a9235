"""Benchmark the built-in sandbox: signed TOP delistings/s, ML PUTs/s, 1M-item generation.

Prints ONE JSON line. The server runs as `python -m shelf_tui.sandbox` in its own process (as
`shelf sandbox` would), faults off. Every request acts on a distinct item that the client
first collected through the API (TOP onsale.get pages, ML scan), so each is a real state
change: a signed (md5, GMT+8 timestamp) `taobao.item.update.delisting`, and an ML
`PUT /items/{id} {"status": "paused"}` with a Bearer token. About 2% of on-sale TOP items
carry an active delist lock and are refused (still a full signed round trip); `*_ok` counts
the successes.

Two clients, both keep-alive over CONCURRENCY connections with one request in flight per
connection (no pipelining):
* `*_rps`: a raw-socket asyncio HTTP/1.1 client. It is the headline number because httpx
  costs ~1 ms of CPU per request on this class of box and, sharing the 2 cores with the
  server, measures itself rather than the sandbox.
* `*_rps_httpx`: the same scenario through httpx.AsyncClient, for reference (what a shelf
  connector sees).

    .venv/bin/python bench/sandbox.py [--items 20000] [--requests 6000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from shelf_tui.sandbox.catalog import DEFAULT_SHOPS, Catalog


def top_sign(params: dict[str, str], secret: str) -> str:
    text = "".join(k + v for k, v in sorted(params.items()) if v != "" and k != "sign")
    return hashlib.md5((secret + text + secret).encode()).hexdigest().upper()


def gmt8_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))


def top_params(shop: dict[str, Any], method: str, **business: Any) -> dict[str, str]:
    params = {
        "method": method,
        "app_key": shop["app_key"],
        "session": shop["access_token"],
        "timestamp": gmt8_now(),
        "format": "json",
        "v": "2.0",
        "sign_method": "md5",
        **{k: str(v) for k, v in business.items()},
    }
    params["sign"] = top_sign(params, shop["app_secret"])
    return params


async def collect_top(
    client: httpx.AsyncClient, url: str, shop: dict[str, Any], want: int
) -> list[str]:
    """On-sale ids, newest first, sliced by end_modified past the 20,000-record cap (gotcha 5)."""
    ids: dict[str, None] = {}
    page, end_modified, last_modified = 1, "", ""
    while len(ids) < want:
        extra = {"end_modified": end_modified} if end_modified else {}
        params = top_params(
            shop,
            "taobao.items.onsale.get",
            fields="num_iid,modified",
            order_by="modified:desc",
            page_no=page,
            page_size=200,
            **extra,
        )
        body = (await client.post(url, data=params)).json()
        if "error_response" in body:  # the page cap: start a new window below the last item
            page, end_modified = 1, last_modified
            continue
        items = body["items_onsale_get_response"].get("items", {}).get("item", [])
        fresh = [str(i["num_iid"]) for i in items if str(i["num_iid"]) not in ids]
        if not fresh:
            break
        ids.update(dict.fromkeys(fresh))
        last_modified = items[-1]["modified"]
        page += 1
    return list(ids)[:want]


async def collect_ml(
    client: httpx.AsyncClient, base: str, shop: dict[str, Any], want: int
) -> list[str]:
    headers = {"Authorization": f"Bearer {shop['access_token']}"}
    url = f"{base}/users/{shop['seller_id']}/items/search"
    params: dict[str, Any] = {"status": "active", "search_type": "scan", "limit": 100}
    ids: list[str] = []
    while len(ids) < want:
        body = (await client.get(url, params=params, headers=headers)).json()
        if not body["results"]:
            break
        ids.extend(body["results"])
        params["scroll_id"] = body["scroll_id"]
    return ids[:want]


async def drive(
    items: list[str],
    concurrency: int,
    connect: Callable[[], Awaitable[Callable[[str], Awaitable[bool]]]],
) -> dict[str, Any]:
    """Send one request per item over `concurrency` workers; rate and successes."""
    todo: Iterator[str] = iter(items)
    ok = 0

    async def worker() -> None:
        nonlocal ok
        send = await connect()
        for item in todo:
            if await send(item):
                ok += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    return {"rps": round(len(items) / seconds, 1), "requests": len(items), "ok": ok}


def raw_connector(
    url: str,
) -> Callable[[], Awaitable[Callable[[bytes], Awaitable[tuple[int, bytes]]]]]:
    """A minimal keep-alive HTTP/1.1 client: one connection per worker, answers in order."""
    parts = urlsplit(url)

    async def connect() -> Callable[[bytes], Awaitable[tuple[int, bytes]]]:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)

        async def roundtrip(request: bytes) -> tuple[int, bytes]:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            return status, await reader.readexactly(length)

        return roundtrip

    return connect


async def run(info: dict[str, Any], requests: int, concurrency: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    top_shop = next(s for s in info["shops"] if s["name"] == "tb-main")
    ml_shop = next(s for s in info["shops"] if s["name"] == "ml-mx")
    httpx_share = max(concurrency, requests // 3)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        top_ids = await collect_top(client, info["top"], top_shop, requests + httpx_share)
        ml_ids = await collect_ml(client, info["mercadolibre"], ml_shop, requests + httpx_share)
    top_raw, top_httpx = top_ids[:requests], top_ids[requests:]
    ml_raw, ml_httpx = ml_ids[:requests], ml_ids[requests:]
    top_url = urlsplit(info["top"])
    host = f"{top_url.hostname}:{top_url.port}"
    token = ml_shop["access_token"]

    def raw_send(
        url: str, build: Callable[[str], bytes], check: Callable[[int, bytes], bool]
    ) -> Any:
        connect = raw_connector(url)

        async def make() -> Callable[[str], Awaitable[bool]]:
            roundtrip = await connect()

            async def send(item: str) -> bool:
                status, body = await roundtrip(build(item))
                return check(status, body)

            return send

        return make

    def top_request(item: str) -> bytes:
        body = urlencode(
            top_params(top_shop, "taobao.item.update.delisting", num_iid=item)
        ).encode()
        return (
            f"POST {top_url.path} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded;charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def ml_request(item: str) -> bytes:
        body = b'{"status":"paused"}'
        return (
            f"PUT /items/{item} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    result: dict[str, Any] = {}
    top = await drive(
        top_raw,
        concurrency,
        raw_send(
            info["top"],
            top_request,
            lambda s, b: b.startswith(b'{"item_update_delisting_response"'),
        ),
    )
    ml = await drive(
        ml_raw,
        concurrency,
        raw_send(
            info["mercadolibre"], ml_request, lambda s, b: s == 200 and b'"status":"paused"' in b
        ),
    )
    result.update(
        {
            "top_delisting_rps": top["rps"],
            "top_delisting_requests": top["requests"],
            "top_delisting_ok": top["ok"],
            "ml_put_rps": ml["rps"],
            "ml_put_requests": ml["requests"],
            "ml_put_ok": ml["ok"],
        }
    )

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def httpx_top() -> Callable[[str], Awaitable[bool]]:
            async def send(item: str) -> bool:
                resp = await client.post(
                    info["top"],
                    data=top_params(top_shop, "taobao.item.update.delisting", num_iid=item),
                )
                return "item_update_delisting_response" in resp.json()

            return send

        async def httpx_ml() -> Callable[[str], Awaitable[bool]]:
            headers = {"Authorization": f"Bearer {token}"}

            async def send(item: str) -> bool:
                resp = await client.put(
                    f"{info['mercadolibre']}/items/{item}",
                    json={"status": "paused"},
                    headers=headers,
                )
                return resp.status_code == 200

            return send

        top_h = await drive(top_httpx, concurrency, httpx_top)
        ml_h = await drive(ml_httpx, concurrency, httpx_ml)
    result.update({"top_delisting_rps_httpx": top_h["rps"], "ml_put_rps_httpx": ml_h["rps"]})
    return result


def generation(n: int) -> dict[str, Any]:
    start = time.perf_counter()
    catalog = Catalog(seed=1, items=n, epoch_ms=1_790_000_000_000, shops=DEFAULT_SHOPS[:1])
    seconds = time.perf_counter() - start
    shop = next(iter(catalog.shops.values()))
    columns = (
        shop.state,
        shop.stock,
        shop.price,
        shop.nsku,
        shop.title,
        shop.created,
        shop.modified,
    )
    column_bytes = sum(len(col) * getattr(col, "itemsize", 1) for col in columns)
    return {
        "generate_items": n,
        "generate_s": round(seconds, 3),
        "catalog_bytes_per_item": round(column_bytes / n, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the shelf sandbox; prints one JSON line."
    )
    parser.add_argument("--items", type=int, default=20_000, help="items per shop in the server")
    parser.add_argument("--requests", type=int, default=6_000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--generate", type=int, default=1_000_000, help="items to generate (timed)")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "concurrency": args.concurrency,
        "client": "raw asyncio keep-alive sockets (httpx figures for reference)",
    }
    result.update(generation(args.generate))
    proc = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui.sandbox", "--items", str(args.items), "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        result.update(asyncio.run(run(info, args.requests, args.concurrency)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
