"""Crash trials: `shelf down` killed with SIGKILL at random points, then `shelf jobs resume`.

Each trial delists N items (2,000 by default) of one sandbox shop with a real
`python -m shelf_tui down --csv ... --yes` process. The sandbox runs in THIS process (it
outlives the killed shelf), and the kill is fired from inside the sandbox's request log at a
random point: after the k-th successful state change (k random: that call was applied but
its answer never arrives), at the first read (journaled, nothing sent yet), or at the k-th
request of any kind. Then `shelf jobs resume ID` finishes the job, and the trial checks:

- every item ends delisted on the platform;
- no item got two successful state-changing calls (the sandbox's change counts);
- every item has exactly one final outcome event of the job, and the job is done.

Trials rotate over Temu, Mercado Libre and Taobao (each connector's read-back). Between
trials the items are put back on sale server-side and the counts cleared.

    .venv/bin/python bench/crash.py [--trials 200] [--items 2000] [--seed 1]

prints ONE JSON line: the tally (trials, each check's passes, kill points, seconds).
The test suite imports `World` and `trial` from here and runs 10 trials.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shelf_tui.sandbox import Sandbox
from shelf_tui.sandbox.catalog import DEFAULT_SHOPS

#: (shop, the sandbox state of a clean active item, its delisted states)
SHOPS = {
    "temu-us": ("2001", {"3002"}),
    "ml-mx": ("active", {"paused"}),
    "tb-main": ("onsale", {"off_shelf"}),
}


def shelf(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the `shelf` command as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=timeout,
    )


def checked(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        raise RuntimeError(f"shelf exited {result.returncode}: {result.stderr.strip()[-800:]}")
    return result.stdout


def make_env(root: Path) -> dict[str, str]:
    """An isolated shelf home and a file keyring under `root`."""
    env = dict(os.environ)
    env["SHELF_HOME"] = str(root / "home")
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    env["XDG_DATA_HOME"] = str(root / "xdg-data")
    env["PYTHONUTF8"] = "1"
    env.pop("SHELF_READ_ONLY", None)
    return env


def add_shop(env: dict[str, str], sb: Sandbox, name: str, *, sync: bool = True) -> None:
    """`shelf shop add` + `login --token-stdin` (+ `sync`), as a seller would."""
    spec = next(s for s in sb.info["shops"] if s["name"] == name)
    args = ["shop", "add", name, "--platform", spec["platform"], "--gateway", spec["gateway"]]
    if spec.get("oauth"):
        args += ["--oauth", spec["oauth"]]
    if spec.get("site"):
        args += ["--site", spec["site"]]
    if spec.get("region"):
        args += ["--region", spec["region"]]
    args += ["--app-key", spec["app_key"], "--redirect-uri", "https://seller.example/callback"]
    checked(shelf(env, *args, stdin=spec["app_secret"] + "\n"))
    tokens = spec["access_token"] + "\n" + (spec.get("refresh_token") or "") + "\n"
    checked(shelf(env, "login", name, "--token-stdin", stdin=tokens))
    if sync:
        checked(shelf(env, "sync", name))


def write_config(env: dict[str, str], text: str) -> None:
    config = Path(env["SHELF_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")


class World:
    """A sandbox in this process, a shelf home with the three shops signed in and synced,
    and per shop a fixed set of clean items the trials delist again and again."""

    def __init__(self, root: Path, *, items: int = 2000, seed: int = 1) -> None:
        self.root = root
        self.items = items
        shops = [s for s in DEFAULT_SHOPS if s.key in SHOPS]
        self.sb = Sandbox(items=int(items * 2.6) + 100, seed=seed, shops=shops).start()
        self.env = make_env(root)
        rates = "\n".join(f'"{name}" = 1000000.0' for name in SHOPS)
        write_config(self.env, f"[rates]\n{rates}\n")
        self.ids: dict[str, list[str]] = {}
        for name, (active, _) in SHOPS.items():
            chosen = [str(i) for i in self.sb.ids(name, active)][:items]
            if len(chosen) < items:
                raise RuntimeError(f"{name}: only {len(chosen)} clean items")
            if name == "tb-main":
                for item_id in chosen:
                    self.sb.set_rules(item_id, [])  # no promotion lock in the way
                    self.sb.set_second_kill(item_id, None)
            self.ids[name] = chosen
        for name in SHOPS:
            add_shop(self.env, self.sb, name)
        self._kill: Callable[[bool, str], None] | None = None
        original = self.sb.world.record

        def record(*args: Any, **kw: Any) -> None:
            original(*args, **kw)
            hook = self._kill
            if hook is not None:
                hook(bool(kw.get("changed")), str(args[2]))

        self.sb.world.record = record  # type: ignore[method-assign]

    @property
    def db(self) -> Path:
        return Path(self.env["SHELF_HOME"]) / "data" / "shelf.db"

    def reset(self, shop: str) -> None:
        """Put the shop's trial items back on sale server-side; forget the counts."""
        active = SHOPS[shop][0]
        for item_id in self.ids[shop]:
            if self.sb.state(item_id) != active:
                self.sb.set_status(item_id, active)
        self.sb.clear_log()

    def close(self) -> None:
        self.sb.stop()


@dataclass
class Result:
    shop: str
    kill: str
    killed: bool
    resumed: bool = False
    all_delisted: bool = False
    at_most_once: bool = False
    one_event_each: bool = False
    done: bool = False
    changes_before_kill: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.all_delisted and self.at_most_once and self.one_event_each and self.done


def _jobs(db: Path) -> list[tuple[int, str, int]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [
            (int(r[0]), str(r[1]), int(r[2]))
            for r in conn.execute("SELECT id, state, total FROM jobs ORDER BY id")
        ]
    finally:
        conn.close()


def _events(db: Path, job_id: int) -> dict[str, int]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        rows = conn.execute(
            "SELECT item_id, count(*) FROM events WHERE job_id = ? AND outcome != '' "
            "GROUP BY item_id",
            (job_id,),
        )
        return {str(r[0]): int(r[1]) for r in rows}
    finally:
        conn.close()


def trial(world: World, shop: str, rng: random.Random) -> Result:
    """One crash trial on `shop` (see the module docstring)."""
    world.reset(shop)
    ids = world.ids[shop]
    csv_path = world.root / f"trial-{shop}.csv"
    csv_path.write_text("item_id\n" + "\n".join(ids) + "\n", encoding="utf-8")
    kind = rng.choices(["change", "first-read", "request"], weights=[6, 1, 3])[0]
    target = rng.randrange(1, len(ids))
    seen = {"changes": 0, "requests": 0}
    fired = threading.Event()
    before = _jobs(world.db)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelf_tui",
            "down",
            "--shop",
            shop,
            "--csv",
            str(csv_path),
            "--reason",
            "crash trial",
            "--yes",
        ],
        env=world.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def kill(changed: bool, op: str) -> None:
        if fired.is_set():
            return
        seen["requests"] += 1
        seen["changes"] += int(changed)
        hit = (
            (kind == "change" and seen["changes"] >= target)
            or (kind == "first-read" and not changed)
            or (kind == "request" and seen["requests"] >= target)
        )
        if hit:
            fired.set()
            os.kill(proc.pid, signal.SIGKILL)

    world._kill = kill
    try:
        _, err = proc.communicate(timeout=600)
    finally:
        world._kill = None
    result = Result(shop, kind, proc.returncode == -signal.SIGKILL)
    result.changes_before_kill = seen["changes"]
    if proc.returncode not in (0, -signal.SIGKILL):
        result.notes.append(f"down exited {proc.returncode}: {err.strip()[-300:]}")
    jobs = [j for j in _jobs(world.db) if j not in before and j[0] not in {b[0] for b in before}]
    if not jobs:
        result.notes.append("no job was journaled")
        return result
    job_id = jobs[-1][0]
    if result.killed:
        resumed = shelf(world.env, "jobs", "resume", str(job_id), timeout=600)
        result.resumed = resumed.returncode == 0
        if not result.resumed:
            result.notes.append(f"resume exited {resumed.returncode}: {resumed.stderr[-300:]}")
    else:
        result.resumed = True
    delisted = SHOPS[shop][1]
    result.all_delisted = all(world.sb.state(i) in delisted for i in ids)
    counts = world.sb.change_counts()
    result.at_most_once = all(counts.get(i, 0) <= 1 for i in ids)
    events = _events(world.db, job_id)
    result.one_event_each = len(events) == len(ids) and set(events.values()) == {1}
    final = next(j for j in _jobs(world.db) if j[0] == job_id)
    result.done = final[1] == "done"
    if not result.passed:
        result.notes.append(
            f"job {job_id} {final[1]}; delisted={result.all_delisted} "
            f"once={result.at_most_once} events={len(events)}/{len(ids)}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    tally: dict[str, Any] = {
        "bench": "crash",
        "trials": 0,
        "items_per_trial": args.items,
        "killed": 0,
        "passed": 0,
        "all_delisted": 0,
        "at_most_once": 0,
        "one_event_each": 0,
        "job_done": 0,
        "kill_points": {},
        "by_shop": {},
        "failures": [],
    }
    with tempfile.TemporaryDirectory(prefix="shelf-crash-") as tmp:
        world = World(Path(tmp), items=args.items, seed=args.seed)
        try:
            shops = list(SHOPS)
            for n in range(args.trials):
                shop = shops[n % len(shops)]
                r = trial(world, shop, rng)
                tally["trials"] += 1
                tally["killed"] += int(r.killed)
                tally["passed"] += int(r.passed)
                tally["all_delisted"] += int(r.all_delisted)
                tally["at_most_once"] += int(r.at_most_once)
                tally["one_event_each"] += int(r.one_event_each)
                tally["job_done"] += int(r.done)
                tally["kill_points"][r.kill] = tally["kill_points"].get(r.kill, 0) + 1
                tally["by_shop"][shop] = tally["by_shop"].get(shop, 0) + int(r.passed)
                if not r.passed:
                    tally["failures"].append({"trial": n, "shop": shop, "notes": r.notes})
                print(
                    f"trial {n}: {shop} kill={r.kill} after {r.changes_before_kill} changes "
                    f"passed={r.passed}",
                    file=sys.stderr,
                )
        finally:
            world.close()
    tally["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(tally))


if __name__ == "__main__":
    main()
