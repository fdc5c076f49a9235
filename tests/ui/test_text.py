"""Platform strings are data: clean() makes them inert, fit() keeps every row in its cells."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.style import Style

from shelf_tui.domain import Item
from shelf_tui.ui.columns import COLUMNS, layout, row_strip
from shelf_tui.ui.fmt import due_long, due_short
from shelf_tui.ui.text import clean, fit, pad


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[bold red]x[/]", "[bold red]x[/]"),  # markup is not ours to interpret
        ("\x1b[31mRED\x1b[0m", "\\x1b[31mRED\\x1b[0m"),  # escapes become visible text
        ("a\nb\tc\r\nd", "a b c  d"),
        ("\u202eevil\u202c ok", "evil ok"),  # bidi override dropped
        ("zero\u200bwidth", "zerowidth"),
        ("👨\u200d👩\u200d👧", "👨👩👧"),  # joined emoji drawn as their parts
        ("❤\ufe0f", "❤"),
        ("红色连衣裙", "红色连衣裙"),
        ("فستان", "فستان"),
        ("e\u0301", "e\u0301"),  # combining accent kept
        ("nul\x00 del\x7f c1\x9b", "nul\\x00 del\\x7f c1\\x9b"),
    ],
)
def test_clean_keeps_text_and_defuses_controls(raw: str, shown: str) -> None:
    assert clean(raw) == shown
    assert "\x1b" not in clean(raw)


@pytest.mark.parametrize("width", [1, 2, 5, 10, 11, 24])
@pytest.mark.parametrize("text", ["长" * 300, "ab长cd长" * 20, "x" * 300, "👗" * 40, "short"])
def test_fit_never_exceeds_its_cells_nor_splits_a_wide_character(text: str, width: int) -> None:
    fitted = fit(text, width)
    assert cell_len(fitted) <= width
    if cell_len(text) > width:
        assert fitted.endswith("…")
        assert text.startswith(fitted[:-1])
    else:
        assert fitted == text
    assert cell_len(pad(text, width)) == width


@pytest.mark.parametrize("width", [79, 80, 99, 100, 160])
def test_columns_fill_the_width_exactly(width: int) -> None:
    cols = layout(width, COLUMNS)
    assert 3 + sum(c.width + 1 for c in cols) == width
    assert {"shop", "item_id", "title", "status", "reason", "stock", "due"} <= {c.key for c in cols}


@pytest.mark.parametrize("width", [40, 60, 79, 100])
def test_a_row_is_exactly_as_wide_as_the_table_even_when_too_narrow(width: int) -> None:
    item = Item(shop="a-very-long-shop-name", item_id="MLM" + "9" * 30, title="长" * 300)
    strip = row_strip(
        item, layout(width), width=width, now=0, base=Style(), styles={}, cursor=True, marked=True
    )
    assert strip.cell_length == width


def test_deadlines_read_as_countdowns() -> None:
    now = 1_000_000
    assert due_short(now + 71 * 3600, now) == "2d23h"
    assert due_short(now + 23 * 3600 + 59 * 60, now) == "23h"
    assert due_short(now + 45 * 60, now) == "45m"
    assert due_short(now - 1, now) == "late"
    assert due_long(now + 26 * 3600 + 120, now) == "1d 2h left"
    assert due_long(now - 7260, now) == "overdue 2h 1m"
    assert due_short(None, now) == ""
