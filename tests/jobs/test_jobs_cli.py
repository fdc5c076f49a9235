"""`shelf down|up` and `shelf jobs` as real processes against an in-process sandbox."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobworld import db_path, register, shelf, write_config

from shelf_tui.sandbox import DEFAULT_SHOPS, Sandbox
from shelf_tui.store import Store

SHOPS = ("temu-us", "temu-us-other", "ml-mx")
CONFIG = """\
[jobs]
max_attempts = 2
backoff_base = 0.01
backoff_max = 0.02

[rates]
"temu-us" = 1000000.0
"temu-us-other" = 1000000.0
"ml-mx" = 1000000.0
"""


@pytest.fixture
def world(cli_env: dict[str, str], shelf_home: Path) -> Iterator[Sandbox]:
    """60 items per shop in three shops (two Temu sellers and an ML one), synced."""
    shops = [s for s in DEFAULT_SHOPS if s.key in SHOPS]
    with Sandbox(items=60, seed=11, shops=shops) as sb:
        write_config(shelf_home, CONFIG)
        register(shelf_home, cli_env, sb, list(SHOPS))
        sb.clear_log()
        yield sb


def active(sb: Sandbox, shop: str, n: int) -> list[str]:
    state = "active" if shop.startswith("ml") else "2001"
    ids = [str(i) for i in sb.ids(shop, state)][:n]
    assert len(ids) == n
    return ids


def state_changes(sb: Sandbox) -> list[str]:
    return [e.op for e in sb.log() if e.changed]


def store_of(home: Path) -> Store:
    return Store.open(db_path(home))


def test_down_by_ids_delists_journals_and_reports(
    world: Sandbox, cli_env: dict[str, str], shelf_home: Path
) -> None:
    ids = active(world, "temu-us", 5)
    r = shelf(
        cli_env,
        "down",
        "--shop",
        "temu-us",
        "--ids",
        ",".join(ids),
        "--reason",
        "缺货 out of stock",
        "--yes",
    )
    assert r.returncode == 0, r.stderr
    assert "5 ok · 0 already · 0 skipped · 0 failed (done)" in r.stdout
    assert "journaled job 1 (temu-us, 5 items)" in r.stderr
    assert all(world.state(i) == "3002" for i in ids)
    assert world.change_counts() == {i: 1 for i in ids}
    # shelf jobs --json: one object per job with the contract's keys.
    r = shelf(cli_env, "jobs", "--json")
    (job,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert {
        k: job[k]
        for k in (
            "id",
            "shop",
            "action",
            "reason",
            "state",
            "total",
            "ok",
            "already",
            "skipped",
            "failed",
        )
    } == {
        "id": 1,
        "shop": "temu-us",
        "action": "delist",
        "reason": "缺货 out of stock",
        "state": "done",
        "total": 5,
        "ok": 5,
        "already": 0,
        "skipped": 0,
        "failed": 0,
    }
    r = shelf(cli_env, "jobs", "1", "--json")
    detail = json.loads(r.stdout)
    assert [i["item_id"] for i in detail["items"]] == ids
    assert all(i["state"] == "ok" and i["prev_status"] == "active" for i in detail["items"])
    # The evidence trail: every call with the platform's request id and time.
    r = shelf(cli_env, "jobs", "1", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    calls = [row for row in rows if row["call"] == "set_status"]
    assert [c["item_id"] for c in calls] == ids
    assert all(c["outcome"] == "ok" and c["at"].endswith("Z") and c["ms"] for c in calls)
    assert len([row for row in rows if row["call"] == "final"]) == 5
    r = shelf(cli_env, "jobs")
    assert r.returncode == 0 and "temu-us" in r.stdout and "5/5" in r.stdout


def test_dry_run_prints_the_plan_and_sends_nothing(world: Sandbox, cli_env: dict[str, str]) -> None:
    ids = active(world, "temu-us", 3)
    world.set_stock(ids[0], 0)
    r = shelf(
        cli_env,
        "up",
        "--shop",
        "temu-us",
        "--ids",
        ",".join(ids),
        "--reason",
        "restocked",
        "--dry-run",
    )
    assert r.returncode == 0, r.stderr
    assert "list 上架 · 1 shop · 3 items" in r.stdout
    assert "0 will change · 3 already active · 0 blocked" in r.stdout
    assert "dry run: nothing was sent" in r.stdout
    assert world.log() == []
    assert shelf(cli_env, "jobs", "--json").stdout == ""


def test_without_a_terminal_yes_is_required_and_nothing_is_sent(
    world: Sandbox, cli_env: dict[str, str]
) -> None:
    ids = active(world, "temu-us", 2)
    r = shelf(cli_env, "down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", "x")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "shelf: stdin is not a terminal: add --yes to confirm without a prompt (nothing was sent)"
    ]
    assert world.log() == [] and shelf(cli_env, "jobs", "--json").stdout == ""


@pytest.mark.parametrize("reason", ["", "   ", "\t"])
def test_an_empty_reason_is_refused(world: Sandbox, cli_env: dict[str, str], reason: str) -> None:
    ids = active(world, "temu-us", 2)
    r = shelf(
        cli_env, "down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", reason, "--yes"
    )
    assert r.returncode == 2 and "--reason is empty" in r.stderr
    assert world.log() == []


def test_unknown_duplicate_and_other_shops_ids_are_listed_and_refused(
    world: Sandbox, cli_env: dict[str, str]
) -> None:
    mine = active(world, "temu-us", 2)
    theirs = active(world, "temu-us-other", 1)
    ids = [mine[0], "999999999", mine[1], mine[0], theirs[0]]
    r = shelf(
        cli_env, "down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", "x", "--yes"
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert any("999999999: unknown id" in ln for ln in lines)
    assert any(f"{mine[0]}: duplicate" in ln for ln in lines)
    assert any(f"{theirs[0]}: belongs to shop temu-us-other" in ln for ln in lines)
    assert lines[-1] == "shelf: refused: 3 problems in --ids (listed above); nothing was sent"
    assert world.log() == []


def test_a_csv_with_any_bad_row_sends_nothing(
    world: Sandbox, cli_env: dict[str, str], tmp_path: Path
) -> None:
    mine = active(world, "temu-us", 3)
    theirs = active(world, "temu-us-other", 1)
    text = (
        "goodsId\t下架原因\n"
        f"{mine[0]}\t侵权投诉\n"
        "\n"
        f"{mine[1]}\t\n"
        f'"{mine[2]}\t"bad\n'
        f"{theirs[0]}\t别人的\n"
        f"{mine[0]}\t重复\n"
    )
    path = tmp_path / "下架清单.csv"
    path.write_bytes(text.encode("gb18030"))
    r = shelf(cli_env, "down", "--shop", "temu-us", "--csv", str(path), "--yes")
    assert r.returncode == 2
    listed = [ln.strip() for ln in r.stderr.splitlines() if ln.startswith("  ")]
    assert [ln.split(":")[0] for ln in listed] == ["line 4", "line 5", "line 6", "line 7"]
    assert "no reason" in listed[0] and "malformed CSV quoting" in listed[1]
    assert "belongs to shop temu-us-other" in listed[2] and "duplicate" in listed[3]
    assert world.log() == []
    # The same file fixed (reasons given, bad rows removed) runs, each item with its reason.
    path.write_bytes(f"goodsId\t下架原因\n{mine[0]}\t侵权投诉\n{mine[1]}\t\n".encode("gb18030"))
    r = shelf(cli_env, "down", "--shop", "temu-us", "--csv", str(path), "--reason", "清仓", "--yes")
    assert r.returncode == 0, r.stderr
    with store_of(Path(cli_env["SHELF_HOME"])) as store:
        reasons = {e.item_id: e.reason for e in store.events.for_job(1)}
    assert reasons == {mine[0]: "侵权投诉", mine[1]: "清仓"}


def test_all_matching_over_several_shops_is_one_job_per_shop(
    world: Sandbox, cli_env: dict[str, str], shelf_home: Path
) -> None:
    a = active(world, "temu-us", 2)
    b = active(world, "ml-mx", 2)
    with store_of(shelf_home) as store:
        for shop, ids in (("temu-us", a), ("ml-mx", b)):
            for item_id in ids:
                store.conn.execute(
                    "UPDATE items SET title = 'PICKME ' || title WHERE shop = ? AND item_id = ?",
                    (shop, item_id),
                )
    r = shelf(cli_env, "down", "--all-matching", "PICKME status:active", "--reason", "TRO", "--yes")
    assert r.returncode == 0, r.stderr
    with store_of(shelf_home) as store:
        jobs = sorted(
            (j.shop, tuple(i.item_id for i in store.jobs.items(j.id))) for j in store.jobs.all()
        )
    assert jobs == sorted([("temu-us", tuple(sorted(a))), ("ml-mx", tuple(sorted(b)))])
    # Each item went out through its own shop's app only.
    for entry in world.log():
        if entry.changed:
            assert entry.shop == ("temu-us" if entry.item in a else "ml-mx")


def test_read_only_refuses_bulk_commands_but_allows_a_dry_run(
    world: Sandbox, cli_env: dict[str, str]
) -> None:
    ids = active(world, "temu-us", 2)
    args = ("down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", "x")
    r = shelf(cli_env, "--read-only", *args, "--yes")
    assert r.returncode == 2 and "read-only mode is on" in r.stderr
    assert shelf(cli_env, "--read-only", *args, "--dry-run").returncode == 0
    for verb in ("resume", "retry", "cancel", "undo"):
        r = shelf(cli_env, "--read-only", "jobs", verb, "1")
        assert r.returncode == 2 and "read-only mode is on" in r.stderr
    assert world.log() == []


def test_sign_in_needed_exits_3_and_login_then_resume_finishes(
    world: Sandbox, cli_env: dict[str, str], shelf_home: Path
) -> None:
    ids = active(world, "temu-us", 6)
    world.revoke_token("temu-us")
    r = shelf(
        cli_env, "down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", "x", "--yes"
    )
    assert r.returncode == 3, r.stderr
    assert "shelf login temu-us" in r.stderr and "shelf jobs resume 1" in r.stderr
    assert state_changes(world) == []
    fresh = world.issue_token("temu-us")
    login = shelf(cli_env, "login", "temu-us", "--token-stdin", stdin=fresh["access_token"] + "\n")
    assert login.returncode == 0, login.stderr
    r = shelf(cli_env, "jobs", "resume", "1")
    assert r.returncode == 0, r.stderr
    assert "6 ok" in r.stdout
    assert world.change_counts() == {i: 1 for i in ids}


def test_retry_failed_then_undo(world: Sandbox, cli_env: dict[str, str], shelf_home: Path) -> None:
    ids = active(world, "temu-us", 4)
    for item_id in ids:
        world.set_stock(item_id, 9)  # so that undo (a listing) is possible for each
    from shelf_tui.sandbox.faults import Fault, Roll

    healthy = world.world.roll
    # Every delisting call fails with a 5xx (reads work): 2 attempts each, then failed.
    world.world.roll = lambda platform, app, op, item: (  # type: ignore[method-assign]
        Roll(Fault.SERVER)
        if op == "bg.local.goods.sale.status.set"
        else healthy(platform, app, op, item)
    )
    r = shelf(
        cli_env, "down", "--shop", "temu-us", "--ids", ",".join(ids), "--reason", "x", "--yes"
    )
    assert r.returncode == 1, r.stderr
    assert "0 ok" in r.stdout and "4 failed" in r.stdout and "gave up after 2 attempts" in r.stderr
    assert state_changes(world) == []
    world.world.roll = healthy  # type: ignore[method-assign]
    r = shelf(cli_env, "jobs", "retry", "1", "--yes")
    assert r.returncode == 0, r.stderr
    assert "job 2 temu-us delist: 4 ok" in r.stdout
    # Someone relists one item on the platform and the store learns it: undo leaves it alone.
    world.set_status(ids[0], "2001")
    with store_of(shelf_home) as store:
        from shelf_tui.domain import Reason, Status
        from shelf_tui.store import Event

        store.items.set_state("temu-us", ids[0], status=Status.ACTIVE, reason=Reason.NONE)
        store.events.append(
            Event(
                shop="temu-us", item_id=ids[0], actor="platform", action="status", outcome="changed"
            )
        )
    r = shelf(cli_env, "jobs", "undo", "2", "--dry-run")
    assert r.returncode == 0 and "3 item(s) to restore" in r.stdout
    assert f"{ids[0]}  changed since by someone else" in r.stdout
    r = shelf(cli_env, "jobs", "undo", "2", "--yes")
    assert r.returncode == 0, r.stderr
    assert "job 3 temu-us list: 3 ok" in r.stdout
    assert all(world.state(i) == "2001" for i in ids)


def test_cancel_from_another_process_stops_the_running_job(
    world: Sandbox, cli_env: dict[str, str], shelf_home: Path
) -> None:
    import subprocess
    import sys

    write_config(shelf_home, CONFIG.replace('"temu-us" = 1000000.0', '"temu-us" = 10.0'))
    ids = active(world, "temu-us", 25)
    started = threading.Event()
    original = world.world.record

    def record(*args, **kw):  # the 3rd change tells the test the job is well under way
        original(*args, **kw)
        if kw.get("changed") and sum(world.world.changes.values()) >= 3:
            started.set()

    world.world.record = record  # type: ignore[method-assign]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelf_tui",
            "down",
            "--shop",
            "temu-us",
            "--ids",
            ",".join(ids),
            "--reason",
            "x",
            "--yes",
        ],
        env=cli_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert started.wait(60)
        r = shelf(cli_env, "jobs", "cancel", "1")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert r.returncode == 0, r.stderr
    assert "(cancelled)" in r.stdout
    assert proc.returncode == 0, err  # the running `shelf down` reports what ran
    assert "(cancelled)" in out
    sent = sum(world.world.changes.values())
    assert 3 <= sent < 25
    with store_of(shelf_home) as store:
        job = store.jobs.get(1)
        assert job is not None and job.ok == sent and job.skipped == 25 - sent
        assert len(store.events.for_job(1)) == 25


def test_a_bad_filter_or_shop_is_one_line_and_sends_nothing(
    world: Sandbox, cli_env: dict[str, str]
) -> None:
    r = shelf(cli_env, "down", "--all-matching", "stock:lots", "--reason", "x", "--yes")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "stock" in r.stderr
    r = shelf(cli_env, "down", "--shop", "nope", "--ids", "1", "--reason", "x", "--yes")
    assert r.returncode == 2 and "unknown shop 'nope'" in r.stderr
    r = shelf(cli_env, "down", "--ids", "1", "--reason", "x", "--yes")
    assert r.returncode == 2 and "--ids needs --shop" in r.stderr
    assert world.log() == []


def test_on_a_terminal_above_the_threshold_the_count_is_typed(
    world: Sandbox, cli_env: dict[str, str], shelf_home: Path
) -> None:
    """`shelf down` on a real terminal (a pty) with more items than `ui.type_count_above`:
    a y sends nothing; typing the count runs the job."""
    import os
    import pty
    import subprocess
    import sys

    write_config(shelf_home, CONFIG + "\n[ui]\ntype_count_above = 2\n")
    ids = active(world, "temu-us", 3)

    def down(answer: str) -> tuple[int, str]:
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "shelf_tui", "down", "--shop", "temu-us"),
                    *("--ids", ",".join(ids), "--reason", "seasonal"),
                ],
                env=cli_env,
                stdin=slave,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            os.write(master, answer.encode())  # the terminal buffers the line until read
            _, err = proc.communicate(timeout=120)
        finally:
            os.close(slave)
            os.close(master)
        return proc.returncode, err

    code, err = down("y\n")
    assert code == 2, err
    assert "Type the number of items (3) to confirm" in err
    assert "not confirmed ('y' is not 3): nothing was sent" in err
    assert world.log() == [] and shelf(cli_env, "jobs", "--json").stdout == ""
    code, err = down("3\n")
    assert code == 0, err
    assert world.change_counts() == {i: 1 for i in ids}
