"""Benchmark a full sync per platform: the built-in sandbox (its own process, as `shelf
sandbox` runs it) with N items per shop, faults and throttle off, into a fresh SQLite store.

Prints ONE JSON line: items/s for a first full sync of one shop per platform (TOP, Mercado
Libre, Temu), plus a second full sync of the same shop (every row compared, nothing changed:
the steady state of a daily resync), with the CPU each side spent per item (client: this
process; server: the sandbox's) and the load average before the run: on a shared 2-core box
the wall-clock rate is only as good as the CPU the two processes get. Target: >= 5,000
items/s each.

    .venv/bin/python bench/sync.py [--items 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from shelf_tui.domain import Platform, Shop
from shelf_tui.marketplaces import Credentials, Throttle, create
from shelf_tui.store import Store
from shelf_tui.sync import sync_shop

SHOPS = {"taobao": "tb-main", "mercadolibre": "ml-mx", "temu": "temu-us"}


def start_sandbox(items: int, seed: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui.sandbox", "--items", str(items), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the sandbox did not start")
    return proc, json.loads(line)


def shop_of(entry: dict[str, Any]) -> Shop:
    platform = {
        "taobao": Platform.TMALL if entry.get("tmall") else Platform.TAOBAO,
        "mercadolibre": Platform.MERCADOLIBRE,
        "temu": Platform.TEMU,
    }[entry["platform"]]
    return Shop(
        name=entry["name"],
        platform=platform,
        site=entry.get("site", ""),
        region=entry.get("region", ""),
        gateway=entry["gateway"],
        app_key=entry["app_key"],
        seller_id=entry["seller_id"],
    )


def server_cpu(pid: int) -> float:
    """CPU seconds the sandbox process has used (the other half of the work)."""
    try:
        import psutil
    except ImportError:  # psutil is a test extra; without it the column is absent
        return float("nan")
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def one(store: Store, entry: dict[str, Any], pid: int) -> dict[str, float]:
    shop = shop_of(entry)
    store.shops.add(shop)
    creds = Credentials(
        app_secret=entry["app_secret"],
        access_token=entry["access_token"],
        refresh_token=entry.get("refresh_token", ""),
    )
    out: dict[str, float] = {}
    for label in ("first", "resync"):
        market = create(shop, creds, throttle=Throttle(None))
        cpu = time.process_time()
        server = server_cpu(pid)
        try:
            result = await sync_shop(store, market, full=True)
        finally:
            await market.aclose()
        cpu = time.process_time() - cpu
        server = server_cpu(pid) - server
        out[f"{label}_items"] = result.seen
        out[f"{label}_seconds"] = round(result.seconds, 2)
        out[f"{label}_items_per_s"] = round(result.rate)
        out[f"{label}_client_cpu_us_per_item"] = round(cpu / max(1, result.seen) * 1e6, 1)
        out[f"{label}_server_cpu_us_per_item"] = round(server / max(1, result.seen) * 1e6, 1)
        out[f"{label}_requests"] = market.wire.calls  # type: ignore[attr-defined]
    return out


async def main_async(args: argparse.Namespace, info: dict[str, Any], pid: int) -> dict[str, Any]:
    report: dict[str, Any] = {"items_per_shop": args.items, "cpus": os.cpu_count()}
    report["load_before"] = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "shelf.db")
        try:
            for platform, name in SHOPS.items():
                if platform not in args.platforms.split(","):
                    continue
                entry = next(s for s in info["shops"] if s["name"] == name)
                report[platform] = await one(store, entry, pid)
        finally:
            store.close()
    rates = [report[p]["first_items_per_s"] for p in SHOPS if p in report]
    report["min_items_per_s"] = min(rates)
    report["target_items_per_s"] = 5000
    report["target_met"] = min(rates) >= 5000
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--platforms", default=",".join(SHOPS), help="comma-separated subset of " + ",".join(SHOPS)
    )
    args = parser.parse_args()
    started = time.perf_counter()
    proc, info = start_sandbox(args.items, args.seed)
    try:
        report = asyncio.run(main_async(args, info, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()
