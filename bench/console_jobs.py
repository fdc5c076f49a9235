"""Console job benchmark: how long a key waits while a bulk delist runs in the console.

`shelf demo` as the seller runs it (the sandbox in this process, three shops, real
connectors), every active item marked, delisted through the confirm dialog with no rate
limit (the worst case: the engine, the pane's redraws and the browser's re-reads all busy).
While the jobs run, arrow keys are posted every 50 ms, first to the job pane, then to the
browser; each latency is key posted -> its action running. Prints ONE JSON line: items,
journal+start seconds, job seconds and items/s, and per screen the key latency p50/p95/max.

Target: key p95 <= 50 ms, max <= 150 ms.

    python bench/console_jobs.py [--items 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events

from shelf_tui import paths as paths_mod
from shelf_tui.cli.console import DEMO_SHOPS, astart_demo
from shelf_tui.config import Config
from shelf_tui.domain import Action
from shelf_tui.ui.app import make_app
from shelf_tui.ui.jobs_service import Selection
from shelf_tui.ui.services import StoreSync
from shelf_tui.ui.widgets.item_table import ItemTable
from shelf_tui.ui.widgets.job_list import JobList


def _stats(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1),
        "max": round(ms[-1], 1),
    }


async def _idle(app: Any) -> None:
    await app.wait_idle()


async def run(items: int) -> dict[str, Any]:
    demo = await astart_demo(
        paths_mod.resolve(tempfile.mkdtemp(prefix="shelf-bench-")), items=items
    )
    try:
        sync = StoreSync(demo.store, tokens=demo.tokens)
        for shop in DEMO_SHOPS:
            await sync.sync_shop(shop)
        config = Config(rates={s: 1_000_000.0 for s in DEMO_SHOPS})
        app = make_app(demo.store, config=config, sync=sync, sync_on_open=False)
        keys = tuple(
            (r[0], r[1])
            for r in demo.store.conn.query("SELECT shop, item_id FROM items WHERE status='active'")
        )
        hit: dict[str, float] = {}
        landed = asyncio.Event()
        for cls in (JobList, ItemTable):
            original = cls.action_move

            def timed(self: Any, delta: int, _orig: Any = original) -> None:
                hit["t"] = time.monotonic()
                landed.set()
                _orig(self, delta)

            cls.action_move = timed  # type: ignore[method-assign]

        async with app.run_test(size=(100, 30)) as pilot:
            await app.wait_idle()

            async def select() -> Selection:
                return Selection(keys)

            app.jobs.dialog_opened.clear()
            app.jobs.request(Action.DELIST, select, key="D")
            await app.jobs.dialog_opened.wait()
            dialog = app.jobs.last_dialog
            assert dialog is not None
            await dialog.shown.wait()
            await pilot.press("x")
            if dialog.request.count_required:
                dialog.query_one("#count").value = str(len(keys))  # type: ignore[attr-defined]
            t0 = time.monotonic()
            dialog.try_confirm()
            await app.jobs.idle.wait()
            journal = time.monotonic() - t0
            t_run = time.monotonic()
            latencies: dict[str, list[float]] = {"pane": [], "browser": []}
            screen = "pane"
            while app.jobs.engine.running:
                if screen == "pane" and time.monotonic() - t_run > 0.5 * (items / 300):
                    await pilot.press("escape")
                    screen = "browser"
                hit.clear()
                landed.clear()
                sent = time.monotonic()
                key = "down" if len(latencies[screen]) % 2 == 0 else "up"
                app.post_message(events.Key(key, None))
                with contextlib.suppress(TimeoutError):  # the jobs ended meanwhile
                    await asyncio.wait_for(landed.wait(), 5.0)
                if "t" in hit:
                    latencies[screen].append(hit["t"] - sent)
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - t_run
        return {
            "bench": "console_jobs",
            "items": len(keys),
            "journal_start_s": round(journal, 2),
            "job_s": round(elapsed, 2),
            "items_per_s": round(len(keys) / elapsed, 1) if elapsed else None,
            "pane_key_ms": _stats(latencies["pane"]),
            "browser_key_ms": _stats(latencies["browser"]),
        }
    finally:
        demo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="items per demo shop")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.items))))


if __name__ == "__main__":
    main()
