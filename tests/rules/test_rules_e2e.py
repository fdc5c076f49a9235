"""End to end from the command line against the built-in sandbox: stock set to 0 server-side
-> `shelf rules run --apply` delists exactly those items with the rule's reason; restocked ->
the next run relists them; a second run started during the first is refused by the lock; a bad
rules.toml is one line and no job."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shelf_tui.sandbox import Sandbox
from shelf_tui.store import Store

RULES = """\
[[rule]]
name = "zero-stock"
kind = "stock"
shops = ["tb"]
action = "delist"
at_or_below = 0
relist_above = 2
reason = "out of stock"
"""


def shelf(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def world(cli_env: dict[str, str], shelf_home: Path) -> Iterator[tuple[Sandbox, dict[str, Any]]]:
    """A sandbox with a Taobao shop `tb` added, signed in and synced through the CLI; no
    on-sale item starts at 0 stock (so the rule's first plan is empty)."""
    with Sandbox(items=100, seed=1) as sb:
        spec = next(s for s in sb.info["shops"] if s["platform"] == "taobao")
        for item_id in sb.ids(spec["name"], "onsale"):
            if sb.item(item_id)["num"] == 0:
                sb.set_stock(item_id, 7)
        ok(
            shelf(
                cli_env,
                "shop",
                "add",
                "tb",
                "--platform",
                "taobao",
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
        )
        tokens = spec["access_token"] + "\n" + spec.get("refresh_token", "") + "\n"
        ok(shelf(cli_env, "login", "tb", "--token-stdin", stdin=tokens))
        ok(shelf(cli_env, "sync", "tb"))
        (shelf_home / "config" / "rules.toml").write_text(RULES, encoding="utf-8")
        yield sb, spec


def test_zero_stock_delists_exactly_those_items_and_restock_relists_them(
    world: tuple[Sandbox, dict[str, Any]], cli_env: dict[str, str], shelf_home: Path
) -> None:
    sb, spec = world
    assert "would send 0 item(s)" in ok(shelf(cli_env, "rules", "check"))
    chosen = [str(i) for i in sb.ids(spec["name"], "onsale") if sb.item(i)["num"] >= 3][:5]
    assert len(chosen) == 5
    for item_id in chosen:
        sb.set_rules(item_id, [])  # no promotion lock in the way
        sb.set_second_kill(item_id, None)
        sb.set_stock(item_id, 0)
    sb.clear_log()

    # Without --apply the run syncs and plans, and sends nothing.
    dry = ok(shelf(cli_env, "rules", "run"))
    assert "zero-stock (stock, delist): delist 5 in tb" in dry
    assert "dry run: would send 5 item(s) in 1 job(s); add --apply to send" in dry
    assert sb.change_counts() == {}
    with Store.open(shelf_home / "data" / "shelf.db") as store:
        assert store.jobs.all() == []

    out = ok(shelf(cli_env, "rules", "run", "--apply"))
    assert "zero-stock (stock, delist): delist 5 in tb" in out
    assert sb.change_counts() == {item_id: 1 for item_id in chosen}
    assert all(sb.state(item_id) != "onsale" for item_id in chosen)
    with Store.open(shelf_home / "data" / "shelf.db") as store:
        (job,) = store.jobs.all()
        assert (job.action, job.source, job.actor, job.ok) == (
            "delist",
            "rule",
            "rule:zero-stock",
            5,
        )
        assert job.reason == "rule:zero-stock: out of stock"
        for item_id in chosen:
            (event,) = [e for e in store.events.for_item("tb", item_id) if e.job_id == job.id]
            assert event.actor == "rule:zero-stock" and event.outcome == "ok"
            assert event.reason == "rule:zero-stock: out of stock"

    for item_id in chosen:
        sb.set_stock(item_id, 10)
    out = ok(shelf(cli_env, "rules", "run", "--apply"))
    assert "list 5 in tb" in out
    assert all(sb.state(item_id) == "onsale" for item_id in chosen)
    assert sb.change_counts() == {item_id: 2 for item_id in chosen}
    # and a run with nothing to do sends nothing
    assert "nothing to send" in ok(shelf(cli_env, "rules", "run", "--apply"))
    assert ok(shelf(cli_env, "rules", "run", "--apply", "--quiet")) == ""  # cron mails nothing
    assert sb.change_counts() == {item_id: 2 for item_id in chosen}


def test_a_second_run_during_the_first_is_refused_by_the_lock(
    world: tuple[Sandbox, dict[str, Any]], cli_env: dict[str, str]
) -> None:
    sb, _ = world
    arrived = threading.Event()
    release = threading.Event()
    handle = sb.top.handle

    def gated(req: Any) -> Any:  # the first run's sync waits here, holding the run lock
        arrived.set()
        release.wait(60)
        return handle(req)

    sb.top.handle = gated  # type: ignore[method-assign]
    first = subprocess.Popen(
        [sys.executable, "-m", "shelf_tui", "rules", "run", "--apply"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert arrived.wait(60), "the first run never reached the sandbox"
        second = shelf(cli_env, "rules", "run", "--apply")
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"shelf: another `shelf rules run` is still running (pid {first.pid}); this one did "
            "nothing (it is safe to run again later)"
        )
        assert second.stdout == ""
    finally:
        release.set()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "synced tb" in out


def test_a_bad_rules_file_is_one_line_and_no_job(
    world: tuple[Sandbox, dict[str, Any]], cli_env: dict[str, str], shelf_home: Path
) -> None:
    sb, spec = world
    sb.set_stock(sb.ids(spec["name"], "onsale")[0], 0)
    rules = shelf_home / "config" / "rules.toml"
    for bad, line, words in (
        (RULES.replace('"stock"', '"stok"'), 3, 'kind "stok" is not one of'),
        (RULES.replace('["tb"]', '["tb-typo"]'), 4, 'unknown shop "tb-typo"'),
        (RULES + 'filter = "stock:<=x"\n', 9, "filter: in 'stock:<=x': a number"),
        (
            RULES.replace('kind = "stock"', 'kind = "schedule"').replace(
                "at_or_below = 0\nrelist_above = 2\n", 'daily = "24:30"\n'
            ),
            6,
            "daily: expected a time of day",
        ),
    ):
        rules.write_text(bad, encoding="utf-8")
        for command in (("rules", "run", "--apply"), ("rules", "check")):
            result = shelf(cli_env, *command)
            assert result.returncode == 2
            (message,) = result.stderr.splitlines()
            assert message.startswith(f'shelf: {rules}:{line}: rule "zero-stock": ')
            assert words in message
            assert result.stdout == ""
    with Store.open(shelf_home / "data" / "shelf.db") as store:
        assert store.jobs.all() == []
    assert sb.change_counts() == {}


def test_read_only_refuses_apply_but_checks(
    world: tuple[Sandbox, dict[str, Any]], cli_env: dict[str, str]
) -> None:
    refused = shelf(cli_env, "--read-only", "rules", "run", "--apply")
    assert refused.returncode == 2 and "read-only mode is on" in refused.stderr
    assert "valid" in ok(shelf(cli_env, "--read-only", "rules", "check"))
