"""The crash acceptance test: a 2,000-item delist, the `shelf down` process killed with
SIGKILL at random points (10 trials over Temu, Mercado Libre and Taobao), then
`shelf jobs resume`. The harness is bench/crash.py (whose 200-trial run prints the tally)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shelf_bench_crash", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_acts_on_each_item_once(tmp_path: Path) -> None:
    crash = harness()
    world = crash.World(tmp_path, items=2000, seed=7)
    rng = random.Random(20260613)
    shops = list(crash.SHOPS)
    try:
        results = [crash.trial(world, shops[n % len(shops)], rng) for n in range(10)]
    finally:
        world.close()
    report = [(r.shop, r.kill, r.changes_before_kill, r.notes) for r in results]
    assert all(r.killed for r in results), report
    # Every item ends delisted; no item got two successful state changes (sandbox counts);
    # every item has exactly one final outcome event of the job, and the job is done.
    assert all(r.all_delisted for r in results), report
    assert all(r.at_most_once for r in results), report
    assert all(r.one_event_each for r in results), report
    assert all(r.done and r.resumed for r in results), report
    # The kill points really spread over the job (before any call, midway, late).
    kills = sorted(r.changes_before_kill for r in results)
    assert kills[0] < 500 and kills[-1] > 1000, report
