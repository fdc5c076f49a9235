"""Snapshots (pytest-textual-snapshot) of the rules screen, the preview, the report and its
chart, at 80x24 and 100x30, and every one of them (a cap refusal and a broken rules.toml too)
at 80x24 with NO_COLOR (issue 10), on the fixed clock and data. Update with
`pytest tests/ui_rules/test_rules_snapshots.py --snapshot-update` and review the SVGs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rendered import runs_with
from rules_ui_helpers import NOW_DT, settle
from test_rules_screen import BAD

from shelf_tui.paths import Paths
from shelf_tui.rules import RuleBook
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp

SIZES = [(80, 24), (100, 30)]


def keys(*presses: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.fixture
def ran(store: Store, home: Paths) -> None:
    """zero-stock ran (and was applied) two hours ago, as `shelf rules run` records it."""
    earlier = NOW_DT - timedelta(hours=2)
    book = RuleBook(home.rules_file, store, clock=lambda: earlier)
    book.commit(book.preview(), applied={"zero-stock"})


@pytest.mark.parametrize("size", SIZES)
def test_rules_list(
    app_for: Callable[..., ShelfApp], ran: None, snap_compare: Any, size: tuple[int, int]
) -> None:
    assert snap_compare(app_for(), terminal_size=size, run_before=keys("R"))


@pytest.mark.parametrize("size", SIZES)
def test_rule_preview(
    app_for: Callable[..., ShelfApp], snap_compare: Any, size: tuple[int, int]
) -> None:
    """zero-stock: delists, a relist, and skips (lock, seller, violation) with their counts."""
    assert snap_compare(app_for(), terminal_size=size, run_before=keys("R", "enter", "down"))


def test_rule_preview_cap_refusal_80x24(
    app_for: Callable[..., ShelfApp], snap_compare: Any
) -> None:
    assert snap_compare(
        app_for(), terminal_size=(80, 24), run_before=keys("R", "down", "down", "enter")
    )


def test_bad_rules_toml_80x24(
    app_for: Callable[..., ShelfApp], home: Paths, snap_compare: Any
) -> None:
    home.rules_file.write_text(BAD, encoding="utf-8")
    assert snap_compare(app_for(), terminal_size=(80, 24), run_before=keys("R"))


@pytest.mark.parametrize("size", SIZES)
def test_report_chart(
    app_for: Callable[..., ShelfApp], snap_compare: Any, size: tuple[int, int]
) -> None:
    assert snap_compare(app_for(), terminal_size=size, run_before=keys("I"))


#: NO_COLOR pictures: the keys that lead there (and whether rules.toml is broken first).
NO_COLOR_CASES: dict[str, tuple[tuple[str, ...], bool]] = {
    "rules": (("R",), False),
    "preview": (("R", "enter"), False),
    "report": (("I", "left", "left"), False),
    "cap_refusal": (("R", "down", "down", "enter"), False),
    "bad_rules_toml": (("R",), True),
}


@pytest.mark.parametrize("name", list(NO_COLOR_CASES))
def test_no_color_80x24(
    app_for: Callable[..., ShelfApp],
    home: Paths,
    ran: None,
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    """Without colour: on/off words, the > cursor, the ^ day marker and the glyphs █ ▒ ░
    carry what colour would; a refusal and a broken rules.toml say so in words."""
    presses, broken = NO_COLOR_CASES[name]
    if broken:
        home.rules_file.write_text(BAD, encoding="utf-8")
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for()
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys(*presses))


# -- what the pictures promise, read off the screen ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("cap_refusal", ["REFUSED, nothing will be sent", "over the cap: would delist, n…"]),
        ("bad_rules_toml", ['kind "stok" is not one of', 'unknown shop "tb-nope"']),
    ],
)
async def test_without_colour_refusals_are_bold_and_bright(
    app_for: Callable[..., ShelfApp],
    home: Paths,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    words: list[str],
) -> None:
    """NO_COLOR draws red as a dark grey: the cap's REFUSED, the rows it skipped and the
    problems of rules.toml are drawn bold in the text's own colour instead."""
    presses, broken = NO_COLOR_CASES[name]
    if broken:
        home.rules_file.write_text(BAD, encoding="utf-8")
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys(*presses)(pilot)
        assert app.no_color
        for word in words:
            found = runs_with(app, word)
            assert found, word
            assert all(r.bold and r.luminance >= 180 for r in found), found
