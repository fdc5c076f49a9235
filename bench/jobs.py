"""Benchmark the job engine: 10,000 delists against the sandbox over loopback.

(a) `limited`: the sandbox limits the shop's app key to 50 requests/s (`--faults rate=50/s`)
    and shelf's own rate for the shop is set to the same 50/s (config.toml [rates]); the
    figure is the achieved request rate and delist rate against that limit (target >= 95%).
(b) `unlimited`: no limits anywhere; items/s and the client's CPU milliseconds per item
    (process CPU of the shelf side, journal thread included, over the run only).

The sandbox runs as its own process (`python -m shelf_tui sandbox`), the shop is added,
signed in and synced through the real CLI, and the job runs in this process through the
public engine API (`JobEngine.from_config`, `plan_keys`, `submit`, `run`) with the real
connector. Temu is the default platform (one call per delist, reads of 100 goods).

    .venv/bin/python bench/jobs.py [--items 10000] [--platform temu|mercadolibre|taobao]
                                    [--limit 50] [--skip-limited]

prints ONE JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

SHOPS = {"temu": "temu-us", "mercadolibre": "ml-mx", "taobao": "tb-main"}
ACTIVE = {"temu": "status:active", "mercadolibre": "status:active", "taobao": "status:active"}


def _shelf(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=1800,
    )
    if r.returncode != 0:
        raise SystemExit(f"shelf {' '.join(args[:2])} failed: {r.stderr.strip()[-500:]}")
    return r.stdout


@contextlib.contextmanager
def sandbox(items: int, faults: str | None) -> Any:
    args = [sys.executable, "-m", "shelf_tui", "sandbox", "--items", str(items), "--seed", "3"]
    if faults:
        args += ["--faults", faults]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        yield info
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def setup_home(root: Path, info: dict[str, Any], shop: str, rate: float) -> dict[str, str]:
    env = dict(os.environ)
    env["SHELF_HOME"] = str(root / "home")
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    env["XDG_DATA_HOME"] = str(root / "xdg-data")
    config = root / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[rates]\n"{shop}" = {rate}\n', encoding="utf-8")
    spec = next(s for s in info["shops"] if s["name"] == shop)
    args = ["shop", "add", shop, "--platform", spec["platform"], "--gateway", spec["gateway"]]
    for key in ("oauth", "site", "region"):
        if spec.get(key):
            args += [f"--{key}", spec[key]]
    args += ["--app-key", spec["app_key"], "--redirect-uri", "https://seller.example/callback"]
    _shelf(env, *args, stdin=spec["app_secret"] + "\n")
    tokens = spec["access_token"] + "\n" + (spec.get("refresh_token") or "") + "\n"
    _shelf(env, "login", shop, "--token-stdin", stdin=tokens)
    _shelf(env, "sync", shop)
    return env


async def run_job(env: dict[str, str], shop: str, n: int, platform: str) -> dict[str, Any]:
    """The job through the public engine API; returns its figures."""
    os.environ.update(
        {k: env[k] for k in ("SHELF_HOME", "PYTHON_KEYRING_BACKEND", "XDG_DATA_HOME")}
    )
    from shelf_tui import auth, config, paths
    from shelf_tui.domain import Action
    from shelf_tui.jobs import JobEngine
    from shelf_tui.marketplaces.base import Marketplace
    from shelf_tui.store import Store

    home = paths.resolve(None)
    cfg = config.load(home.config_file)
    store = Store.open(home.db_file)
    calls = {"n": 0}

    @contextlib.asynccontextmanager
    async def connect(name: str) -> AsyncIterator[Marketplace]:
        async with auth.connect(store, name, rates=cfg.rates) as market:
            try:
                yield market
            finally:
                calls["n"] += int(getattr(getattr(market, "wire", None), "calls", 0))

    engine = JobEngine.from_config(store, cfg, connect=connect, actor="bench@loopback")
    keys = store.items.keys(ACTIVE[platform], shops=[shop])[:n]
    if len(keys) < n:
        raise SystemExit(f"only {len(keys)} active items in {shop}")
    plan = engine.plan_keys(Action.DELIST, keys)
    [job] = engine.submit(plan, "bench").jobs
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = await engine.run(job.id)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await engine.aclose()
    rate_limited = int(
        store.conn.scalar(
            "SELECT count(*) FROM job_calls WHERE job_id = ? AND outcome = 'rate_limited'",
            (job.id,),
        )
    )
    store.close()
    row = result.job
    return {
        "items": n,
        "ok": row.ok,
        "already": row.already,
        "skipped": row.skipped,
        "failed": row.failed,
        "state": row.state.value,
        "seconds": round(wall, 2),
        "items_per_s": round(n / wall, 1),
        "requests": calls["n"],
        "requests_per_s": round(calls["n"] / wall, 1),
        "rate_limited_answers": rate_limited,
        "client_cpu_ms_per_item": round(cpu * 1000 / n, 3),
    }


def scenario(platform: str, n: int, faults: str | None, rate: float) -> dict[str, Any]:
    shop = SHOPS[platform]
    with (
        tempfile.TemporaryDirectory(prefix="shelf-bench-jobs-") as tmp,
        sandbox(int(n * 2.4) + 200, faults) as info,
    ):
        env = setup_home(Path(tmp), info, shop, rate)
        return asyncio.run(run_job(env, shop, n, platform))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--platform", choices=sorted(SHOPS), default="temu")
    parser.add_argument("--limit", type=float, default=50.0)
    parser.add_argument("--skip-limited", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {"bench": "jobs", "platform": args.platform, "items": args.items}
    if not args.skip_limited:
        a = scenario(args.platform, args.items, f"rate={args.limit:g}/s", args.limit)
        a["limit_per_s"] = args.limit
        a["requests_pct_of_limit"] = round(100 * a["requests_per_s"] / args.limit, 1)
        a["delists_pct_of_limit"] = round(100 * a["items_per_s"] / args.limit, 1)
        out["limited"] = a
    out["unlimited"] = scenario(args.platform, args.items, None, 1_000_000.0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
