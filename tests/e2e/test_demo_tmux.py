"""The installed `shelf demo` driven in a real terminal (tmux, 80x24) as a new seller would:
filter, mark, delist with a reason, watch the job finish, open an item's timeline, quit.
Every step waits for its screen and asserts on what the terminal shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tmuxkit import base_env, browser_ready, filter_focused, rows, shelf_command, terminal

REASON = "supplier recall e2e"


@pytest.mark.slow
def test_demo_filter_mark_delist_watch_timeline_quit_at_80x24(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    home = tmp_path / "demo-home"
    with terminal(env, tmp_path, width=80, height=24) as term:
        term.start([*shelf_command(), "--home", str(home), "demo", "--items", "20"], tmp_path / "x")
        screen = term.wait_for(browser_ready, timeout=40, what="the synced item browser")
        lines = rows(screen)
        assert len(lines) >= 24 and all(len(line) <= 80 for line in lines)
        assert "D Delist" in lines[23] and "/ Filter" in lines[23]  # the keys, at 80 columns

        # Filter: the Temu shop's items on sale.
        term.keys("/")
        term.wait_for(filter_focused, what="the filter bar focused")
        term.type("shop:temu-us status:active")
        term.wait_for("/ shop:temu-us status:active", what="the typed filter")
        term.keys("Enter")
        screen = term.wait_for(re.compile(r"^ Items \d+ of \d+", re.M), what="the filtered count")
        shown = int(re.search(r"^ Items (\d+) of", screen, re.M).group(1))  # type: ignore[union-attr]
        assert 1 < shown < 20
        listed = [line for line in rows(screen)[3:23] if "temu-us" in line]
        assert len(listed) == shown and all(" active " in line for line in listed)

        # Mark all matching, then D: the dialog names the action and the count.
        term.keys("*")
        term.wait_for(lambda s: s.count("✓") == shown, what=f"{shown} marks")
        term.keys("D")
        screen = term.wait_for("Reason (required)", what="the delist dialog")
        assert f"Delist {shown}" in screen and "temu-us" in screen
        term.type(REASON)
        term.wait_for(REASON, what="the typed reason")
        term.keys("Enter")

        # The job pane: live, then done, every item ok.
        done = re.compile(rf"#1\s+delist.*temu-us.*{shown}/{shown}\s+100%\s+done")
        screen = term.wait_for(done, timeout=40, what="job #1 done")
        assert f"reason: {REASON}" in screen
        term.wait_for(f"Job 1 done: {shown} ok", what="the job's done notice")

        # Back to the browser: the delisted items left the `status:active` view.
        term.keys("Escape")
        term.wait_for("No items match this filter", what="the re-read browser")
        term.keys("Escape")  # clears the filter: the newest changes come first
        screen = term.wait_for(
            lambda s: re.match(r">\s+temu-us\s+\d+ .*inactive seller", rows(s)[3]) is not None,
            what="a delisted item on top of the unfiltered browser",
        )
        item_id = rows(screen)[3].split()[2]

        # Its timeline: the delist, by whom, with the reason.
        term.keys("Enter")
        # (The job's notices may cover the row's right half until they time out.)
        screen = term.wait_for(
            lambda s: "Timeline" in s and item_id in s and REASON in s,
            what="the item detail with the delist in its timeline",
        )
        assert "inactive · seller" in screen
        delist = [line for line in rows(screen) if " delist " in line]
        assert len(delist) == 1 and " ok " in delist[0] and REASON in delist[0], screen

        term.keys("Escape")
        term.wait_for(lambda s: "D Delist" in rows(s)[23] and "Timeline" not in s)
        term.keys("q")
        assert term.exit_status(timeout=20) == {"returncode": 0, "hangup": False}
