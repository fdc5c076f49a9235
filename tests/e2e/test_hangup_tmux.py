"""The SSH hang-up acceptance test: a seller's `shelf` console in a real terminal (tmux, 80x24)
runs a delist; the terminal hangs up mid-job (the tmux server is killed, as when SSH drops);
`shelf` must close through its normal exit path, with the job journaled `interrupted`. The
next `shelf` offers it for resume; resumed, it finishes with nothing lost or sent twice.

The sandbox runs in this process, so it outlives the hung-up console and its request log
counts every item's successful state changes. The home is real: `shelf shop add`, `shelf login
--token-stdin` and `shelf sync` put the shop there, its secrets in a file keyring; config.toml
throttles the shop so the job is still running when the terminal goes.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tmuxkit import (
    Terminal,
    base_env,
    browser_ready,
    filter_focused,
    rows,
    shelf_command,
    terminal,
)

from shelf_tui.sandbox import Sandbox
from shelf_tui.sandbox.catalog import DEFAULT_SHOPS

SHOP = "ml-mx"
#: Catalog size: 28 of these items are on sale with seed 3 (the delist's items).
CATALOG = 60
#: Requests per second for the shop (config.toml [rates]): the job takes several seconds.
RATE = 6.0
#: Hang up once this many items have been delisted on the platform.
HANG_UP_AFTER = 5
REASON = "hangup drill"


def shelf(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [*shelf_command(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"shelf {' '.join(args)}: {done.stderr}"
    return done.stdout


def add_shop(env: dict[str, str], sb: Sandbox) -> None:
    """As a seller would: add the shop, sign it in with a token, sync it."""
    spec = next(s for s in sb.info["shops"] if s["name"] == SHOP)
    shelf(
        env,
        "shop",
        "add",
        SHOP,
        "--platform",
        spec["platform"],
        "--site",
        spec["site"],
        "--gateway",
        spec["gateway"],
        "--oauth",
        spec["oauth"],
        "--app-key",
        spec["app_key"],
        "--redirect-uri",
        "https://seller.example/callback",
        stdin=spec["app_secret"] + "\n",
    )
    shelf(
        env,
        "login",
        SHOP,
        "--token-stdin",
        stdin=f"{spec['access_token']}\n{spec['refresh_token']}\n",
    )
    shelf(env, "sync", SHOP)


class HangUpAt:
    """Hangs the terminal up from inside the sandbox, right after the n-th item changed state:
    that call is applied but its answer is held back until `shelf` has exited, so at least one
    item is left `sending` (the case a resume must read back rather than send again)."""

    def __init__(self, sb: Sandbox, n: int) -> None:
        self.n = n
        self.seen = 0
        self.term: Terminal | None = None
        self.done = threading.Event()
        self.error: BaseException | None = None
        original = sb.world.record

        def record(*args: Any, **kw: Any) -> None:
            original(*args, **kw)
            if not kw.get("changed") or self.term is None:
                return
            self.seen += 1
            if self.seen == self.n:
                try:
                    self.term.hang_up()
                    self.term.exit_status(timeout=30)  # this answer waits for that
                except BaseException as exc:
                    self.error = exc
                finally:
                    self.done.set()

        sb.world.record = record  # type: ignore[method-assign]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    shops = [s for s in DEFAULT_SHOPS if s.key == SHOP]
    sb = Sandbox(items=CATALOG, seed=3, shops=shops).start()
    try:
        yield sb
    finally:
        sb.stop()


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


@pytest.mark.slow
def test_hang_up_mid_job_then_resume_acts_on_every_item_exactly_once(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    env = base_env(tmp_path)
    home = Path(env["SHELF_HOME"])
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(f'[rates]\n"{SHOP}" = {RATE}\n', "utf-8")
    add_shop(env, sandbox)
    ids = [str(i) for i in sandbox.ids(SHOP, "active")]
    assert len(ids) > 3 * HANG_UP_AFTER
    db = home / "data" / "shelf.db"
    log_file = home / "logs" / "shelf.log"
    sandbox.clear_log()
    hang_up = HangUpAt(sandbox, HANG_UP_AFTER)

    # 1. The console; a delist of every item on sale, from the keyboard.
    with terminal(env, tmp_path) as term:
        term.start(shelf_command(), tmp_path / "first.json")
        hang_up.term = term
        screen = term.wait_for(browser_ready, timeout=40, what="the synced browser")
        assert screen.startswith(f" Items {CATALOG} ")
        term.keys("/")
        term.wait_for(filter_focused, what="the filter bar focused")
        term.type("status:active")
        term.wait_for("/ status:active", what="the typed filter")
        term.keys("Enter")
        term.wait_for(f" Items {len(ids)} of {CATALOG}", what="the items on sale")
        term.keys("*")
        term.wait_for(lambda s: s.count("✓") >= min(len(ids), 20), what="the marks")
        term.keys("D")
        term.wait_for(f"Delist {len(ids)}", what="the delist dialog")
        term.type(REASON)
        term.wait_for(REASON, what="the typed reason")
        term.keys("Enter")
        term.wait_for(re.compile(r"#1\s+delist.*running"), what="the job running")

        # 2. Mid-job, the terminal hangs up (from the sandbox: see HangUpAt).
        assert hang_up.done.wait(60), f"only {hang_up.seen} items changed"
        assert hang_up.error is None, hang_up.error
        ended = term.exit_status()

    # Closed through the app's exit path (128 + SIGHUP; killed by the signal would be -1).
    assert ended == {"returncode": 128 + signal.SIGHUP, "hangup": True}
    log = log_file.read_text(encoding="utf-8")
    # The forwarded SIGHUP or the tty's hang-up, whichever the console noticed first.
    assert re.search(r"(SIGHUP|terminal lost): closing the console", log), log
    assert "Traceback" not in log
    [(job_id, state, total, ok, sending)] = query(
        db, "SELECT id, state, total, ok, sending FROM jobs"
    )
    assert state == "interrupted"
    assert total == len(ids)
    assert 0 < ok < total, "the hang-up came mid-job"
    assert sending >= 1, "the held-back answer leaves its item `sending`"
    assert sum(sandbox.change_counts().values()) == HANG_UP_AFTER

    # 3. The next start offers the job for resume; the seller accepts it.
    with terminal(env, tmp_path) as term:
        term.start(shelf_command(), tmp_path / "second.json")
        term.wait_for("1 job was interrupted when shelf", timeout=40, what="the resume offer")
        term.keys("J")
        term.wait_for(re.compile(rf"#{job_id}\s+delist.*interrupted"), what="the job pane")
        term.keys("s")
        done = re.compile(rf"#{job_id}\s+delist.*{total}/{total}\s+100%\s+done")
        term.wait_for(done, timeout=60, what="the resumed job done")
        term.keys("Escape")
        term.wait_for(lambda s: "D Delist" in rows(s)[23], what="the browser")
        term.keys("q")
        assert term.exit_status(timeout=20) == {"returncode": 0, "hangup": False}

    # 4. Nothing lost, nothing sent twice.
    delisted = {i: sandbox.state(i) for i in ids}
    assert set(delisted.values()) == {"paused"}, delisted
    counts = sandbox.change_counts()
    assert {i: counts.get(i, 0) for i in ids} == dict.fromkeys(ids, 1)
    outcomes = dict(
        query(
            db,
            "SELECT item_id, count(*) FROM events WHERE job_id = ? AND outcome != '' "
            "GROUP BY item_id",
            job_id,
        )
    )
    assert outcomes == dict.fromkeys(ids, 1)
    [(state, ok, already, failed)] = query(
        db, "SELECT state, ok, already, failed FROM jobs WHERE id = ?", job_id
    )
    assert (state, ok + already, failed) == ("done", len(ids), 0)
