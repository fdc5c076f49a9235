"""The API the rules screen uses: list with last run / next due / enabled, toggle, preview;
and the run lock cron relies on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rules_helpers import Clock, add_items, local, run_jobs, sync

from shelf_tui.domain import Action
from shelf_tui.rules import Busy, RuleBook, RulesError, RunLock, Skip
from shelf_tui.store import Store

TEXT = """\
# my rules
[[rule]]
name = "zero-stock"   # the main one
kind = "stock"
shops = ["tb-main"]
reason = "out of stock"
relist_above = 2
enabled = true        # keep this comment
cap = 50

[[rule]]
name = "nightly"
kind = "schedule"
shops = ["tb-main", "ml-mx"]
action = "delist"
daily = "23:00"
timezone = "Asia/Shanghai"
reason = "night"
"""


@pytest.fixture
def book(store: Store, tmp_path: Path) -> RuleBook:
    path = tmp_path / "rules.toml"
    path.write_text(TEXT, encoding="utf-8")
    return RuleBook(path, store, Clock(local("Asia/Shanghai", "2026-11-20 22:00")))


def test_statuses_give_what_the_rules_screen_shows(book: RuleBook, store: Store) -> None:
    zero, nightly = book.statuses()
    assert (zero.name, zero.kind, zero.enabled, zero.line) == ("zero-stock", "stock", True, 2)
    assert zero.what == "delist at stock <= 0, relist above 2"
    assert zero.next_due is None and zero.next_due_text == "every run (after each sync)"
    assert zero.last_run_at is None
    assert nightly.next_due == local("Asia/Shanghai", "2026-11-20 23:00")
    assert nightly.next_due_text == "2026-11-20 23:00 Asia/Shanghai"
    assert nightly.what == "delist at 23:00 (Asia/Shanghai)"


def test_preview_then_commit_records_the_last_run(book: RuleBook, store: Store) -> None:
    add_items(store, "tb-main", 10)
    sync(store, "tb-main", "4", stock=0)
    preview = book.preview()
    rp = preview.get("zero-stock")
    assert [(i.item_id, i.action, i.planned) for i in rp.items] == [("4", Action.DELIST, True)]
    assert rp.summary() == "delist 1 in tb-main"
    nxt = "next 2026-11-20 23:00 Asia/Shanghai"  # a first run does not call 23:00 yesterday missed
    assert preview.get("nightly").notes == [f"tb-main: {nxt}", f"ml-mx: {nxt}"]
    assert book.statuses()[0].last_run_at is None  # a preview writes nothing
    run_jobs(store, preview.requests, preview.at)
    book.commit(preview, applied={"zero-stock"})
    zero = book.statuses()[0]
    assert zero.last_run_at == preview.at and zero.last_applied_at == preview.at
    assert zero.last_sent == 1 and zero.last_note == "delist 1 in tb-main"


def test_a_fired_slot_moves_next_due(book: RuleBook, store: Store) -> None:
    assert isinstance(book.clock, Clock)
    book.clock.now = local("Asia/Shanghai", "2026-11-20 23:01")
    assert book.statuses()[1].next_due_text == "due now"
    book.commit(book.preview(), applied={"nightly"})
    assert book.statuses()[1].next_due_text == "2026-11-21 23:00 Asia/Shanghai"


def test_toggle_rewrites_one_line_and_keeps_the_comments(book: RuleBook) -> None:
    book.set_enabled("zero-stock", False)
    text = book.path.read_text(encoding="utf-8")
    assert "enabled = false        # keep this comment" in text
    assert text.replace("enabled = false", "enabled = true") == TEXT
    assert book.ruleset.get("zero-stock").enabled is False
    assert book.preview().rules[0].name == "nightly"  # disabled rules are not planned
    assert book.preview(names=["zero-stock"]).rules[0].name == "zero-stock"
    book.set_enabled("nightly", False)  # no enabled key yet: one is added after the name
    lines = book.path.read_text(encoding="utf-8").splitlines()
    assert lines[lines.index('name = "nightly"') + 1] == "enabled = false"
    assert [s.enabled for s in book.statuses()] == [False, False]
    assert book.statuses()[1].next_due_text.startswith("disabled (")
    with pytest.raises(RulesError, match='no rule named "nope"'):
        book.set_enabled("nope", True)


def test_preview_explains_skips_item_by_item(book: RuleBook, store: Store) -> None:
    add_items(store, "tb-main", 4)
    sync(store, "tb-main", "1", stock=0, locked_until=local("Asia/Shanghai", "2026-12-01 00:00"))
    rp = book.preview(names=["zero-stock"]).get("zero-stock")
    assert [(i.item_id, i.skip) for i in rp.items] == [("1", Skip.LOCKED)]
    assert rp.explain()[0] == (
        "zero-stock (stock, delist): nothing to do; skipped 1 promotion lock"
    )


def test_a_second_lock_is_refused_and_released_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "rules.lock"
    with RunLock(path):
        with pytest.raises(Busy) as busy:
            RunLock(path).acquire()
        assert f"(pid {os.getpid()})" in str(busy.value)
        assert busy.value.exit_code == 2
    with RunLock(path) as again:
        assert again.held


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "rules.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from shelf_tui.rules import RunLock; "
            f"RunLock(Path({str(path)!r})).acquire(); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(Busy, match=f"pid {holder.pid}"):
            RunLock(path).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        with RunLock(path) as lock:
            assert lock.held
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=30)
