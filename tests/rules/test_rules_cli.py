"""`shelf rules` (list, check --json, enable/disable) and `shelf report` from the command line,
over a store prepared on disk (no platform needed: nothing here sends)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rules_helpers import add_items, open_store, sync

from shelf_tui.domain import Reason, Status

RULES = """\
[[rule]]
name = "zero-stock"
kind = "stock"
shops = ["tb-main"]
reason = "out of stock"
cap = 20

[[rule]]
name = "nightly"
kind = "schedule"
shops = ["tb-main"]
action = "delist"
daily = "23:00"
reason = "night"
"""


def shelf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shelf_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def home(shelf_home: Path) -> Path:
    (shelf_home / "data").mkdir()
    (shelf_home / "config").mkdir()
    with open_store(shelf_home / "data" / "shelf.db") as store:
        add_items(store, "tb-main", 10)
        sync(store, "tb-main", "3", stock=0)
        sync(store, "tb-main", "4", status=Status.INACTIVE, reason=Reason.VIOLATION)
    (shelf_home / "config" / "rules.toml").write_text(RULES, encoding="utf-8")
    return shelf_home


def test_list_check_and_toggle(home: Path, cli_env: dict[str, str]) -> None:
    listed = shelf(cli_env, "rules")
    assert listed.returncode == 0, listed.stderr
    assert "on  zero-stock" in listed.stdout and "delist at stock <= 0" in listed.stdout
    assert "next every run (after each sync)" in listed.stdout
    check = shelf(cli_env, "--read-only", "rules", "check", "--json")
    assert check.returncode == 0, check.stderr
    zero, nightly = (json.loads(line) for line in check.stdout.splitlines())
    assert zero["requests"] == [
        {
            "shop": "tb-main",
            "action": "delist",
            "count": 1,
            "reason": "rule:zero-stock: out of stock",
            "actor": "rule:zero-stock",
            "source": "rule",
            "item_ids": ["3"],
        }
    ]
    assert nightly["requests"] == []
    refused = shelf(cli_env, "--read-only", "rules", "disable", "nightly")
    assert refused.returncode == 2 and "read-only mode is on" in refused.stderr
    off = shelf(cli_env, "rules", "disable", "nightly")
    assert off.returncode == 0 and "nightly: disabled" in off.stdout
    text = (home / "config" / "rules.toml").read_text(encoding="utf-8")
    assert 'name = "nightly"\nenabled = false\n' in text
    assert "off nightly" in shelf(cli_env, "rules", "list").stdout
    unknown = shelf(cli_env, "rules", "enable", "nope")
    assert unknown.returncode == 2 and 'no rule named "nope"' in unknown.stderr


def test_report_text_json_and_since(home: Path, cli_env: dict[str, str]) -> None:
    first = shelf(cli_env, "--read-only", "report")
    assert first.returncode == 0, first.stderr
    assert "changes since" in first.stdout and "(24 h)" in first.stdout
    assert "tb-main (Taobao): 10 items" in first.stdout
    assert "open violation delists: 1 (0 overdue)" in first.stdout
    data = json.loads(shelf(cli_env, "report", "--json", "--tz", "Asia/Shanghai").stdout)
    assert data["since_source"] == "24 h"  # read-only did not remember the first one
    tb = next(s for s in data["shops"] if s["shop"] == "tb-main")
    assert tb["status"] == {"active": 9, "inactive": 1}
    again = json.loads(shelf(cli_env, "report", "--json").stdout)
    assert again["since_source"] == "the last report"
    week = json.loads(shelf(cli_env, "report", "--json", "--since", "7d").stdout)
    assert week["since_source"] == "as asked"
    bad = shelf(cli_env, "report", "--since", "last tuesday")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("shelf: --since: expected a duration (24h, 7d)")
    assert shelf(cli_env, "report", "--tz", "Mars/Olympus").returncode == 2
    assert shelf(cli_env, "report", "--shop", "nope").returncode == 2
