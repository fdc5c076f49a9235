"""The filter bar, driven through the pilot, against reference SQL written here by hand."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from ui_helpers import NOW, all_rows, apply_filter, reference, screen_text, settle, table

from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp


def _text(word: str) -> str:
    return f"(title LIKE '%{word}%' OR outer_id LIKE '%{word}%' OR item_id LIKE '%{word}%')"


_TEXT = _text("dress")
#: (filter term, the same condition as plain SQL)
TERMS: list[tuple[str, str]] = [
    ("status:active", "status = 'active'"),
    ("status:inactive,review", "status IN ('inactive', 'review')"),
    ("reason:violation", "reason = 'violation'"),
    ("!reason:seller", "reason <> 'seller'"),
    ("shop:tb-main", "shop = 'tb-main'"),
    ("platform:temu", "shop = 'temu-us'"),
    ("stock:0", "stock = 0"),
    ("stock:>0", "stock > 0"),
    ("price:>=100", "price >= 100"),
    ("modified:<7d", f"modified > {NOW - 7 * 86400}"),
    ("deadline:<24h", f"deadline IS NOT NULL AND deadline < {NOW + 86400}"),
    ("locked:yes", f"locked_until IS NOT NULL AND locked_until > {NOW}"),
    ("!locked:yes", f"NOT (locked_until IS NOT NULL AND locked_until > {NOW})"),
    ("!deadline:<24h", f"NOT (deadline IS NOT NULL AND deadline < {NOW + 86400})"),
    ("dress", _TEXT),
    ("!dress", f"NOT {_TEXT}"),
    ("10001", _text("10001")),  # only item ids hold it (6100012, MLM100013, ...)
    ("!SKU-01", f"NOT {_text('SKU-01')}"),  # only outer ids hold it
]


@pytest.mark.parametrize("first", range(len(TERMS)), ids=[t for t, _ in TERMS])
async def test_every_filter_combination_returns_the_reference_rows(
    first: int, store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """Each term alone and with every later term: the table's rows, read page by page off
    the screen (blocks of 7 rows, so keyset paging crosses many blocks), equal the
    reference query's rows in the same order."""
    combos = [(TERMS[first],)] + [(TERMS[first], other) for other in TERMS[first + 1 :]]
    app = app_for(block=7)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        for combo in combos:
            text = " ".join(term for term, _ in combo)
            where = " AND ".join(f"({sql})" for _, sql in combo)
            await apply_filter(pilot, text)
            expected = reference(store, where)
            assert await all_rows(pilot) == expected, text
            assert table(app).total == len(expected), text
    assert len(combos) == len(TERMS) - first


async def test_three_terms_and_a_negated_shop(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for(block=5)
    async with app.run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        for a, b, c in itertools.islice(itertools.combinations(TERMS, 3), 0, 60, 7):
            text = f"{a[0]} {b[0]} {c[0]} !shop:ml-mx"
            where = f"({a[1]}) AND ({b[1]}) AND ({c[1]}) AND shop <> 'ml-mx'"
            await apply_filter(pilot, text)
            assert await all_rows(pilot) == reference(store, where), text


async def test_typed_filter_applies_on_enter_and_esc_clears(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"reason:violation", "enter")
        await settle(pilot)
        violations = reference(store, "reason = 'violation'")
        assert await all_rows(pilot) == violations
        assert table(app).summary() == f"Items {len(violations)} of 60"
        # `/` again selects the filter: typing replaces it
        await pilot.press("slash", *"stock:0", "enter")
        await settle(pilot)
        assert app.screen.query_one("#filter").input.value == "stock:0"
        assert table(app).total == len(reference(store, "stock = 0"))
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert table(app).total == 60
        assert app.screen.query_one("#filter").input.value == ""
        # esc from the table clears too
        await apply_filter(pilot, "reason:violation")
        assert table(app).has_focus and table(app).total == len(violations)
        await pilot.press("escape")
        await settle(pilot)
        assert table(app).total == 60


async def test_a_syntax_error_shows_one_line_and_keeps_the_text(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "reason:violation")
        await pilot.press("slash", "end", *" statu:x", "enter")
        await settle(pilot)
        bar = app.screen.query_one("#filter")
        assert bar.input.value == "reason:violation statu:x"
        assert bar.error.startswith("✗ statu:x: a field among")
        assert "did you mean status:?" in bar.error
        assert bar.input.has_focus
        # the table still shows the last good filter
        assert table(app).total == len(reference(store, "reason = 'violation'"))
        # fixing the typo applies it
        bar.input.value = "reason:violation status:inactive"
        await pilot.press("enter")
        await settle(pilot)
        assert bar.error == ""
        assert table(app).total == len(
            reference(store, "reason = 'violation' AND status = 'inactive'")
        )


@pytest.mark.parametrize(
    ("key", "sql"),
    [("1", "status = 'active' AND stock = 0"), ("2", "reason = 'violation'")],
    ids=["on-sale-with-0-stock", "delisted-for-violation"],
)
async def test_quick_filters_are_one_key_away(
    key: str, sql: str, store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """f then a number: what a new seller looks for first, without knowing the language."""
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f", key)
        await settle(pilot)
        assert await all_rows(pilot) == reference(store, sql)
        assert table(app).has_focus


@pytest.mark.parametrize(
    ("presses", "order"),
    [
        ((), "modified DESC, rowid DESC"),
        (("S",), "modified ASC, rowid ASC"),
        (("s",), "shop ASC, item_id ASC"),
        (("s", "s", "S"), "status DESC, reason DESC, modified DESC, rowid DESC"),
        (("s", "s", "s"), "reason ASC, rowid ASC"),
        (("s",) * 4, "title ASC, rowid ASC"),
        (("s",) * 5, "item_id ASC, rowid ASC"),
        (("s",) * 5 + ("S",), "item_id DESC, rowid DESC"),
        (("s", "s", "s", "s", "s", "s"), "stock ASC, rowid ASC"),
        (("s",) * 7, "price DESC, rowid DESC"),
        (("s",) * 8, "IFNULL(deadline, 253402300799) ASC, rowid ASC"),
    ],
)
async def test_sort_keys_order_rows_like_sql(
    presses: tuple[str, ...], order: str, store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    app = app_for(block=9)
    async with app.run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)
        assert await all_rows(pilot) == reference(store, "1", order)


async def test_the_sorted_column_shows_its_arrow_even_on_a_narrow_screen(
    store: Store, app_for: Callable[..., ShelfApp]
) -> None:
    """At 80 columns neither modified nor price fit; the title column says the order."""
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[2]
        assert "title · modified▼" in header
        await pilot.press(*["s"] * 7)  # shop, status, reason, title, item id, stock, price
        await settle(pilot)
        header = screen_text(app).splitlines()[2]
        assert "title · price▼" in header
        await pilot.press("S")
        await settle(pilot)
        assert "title · price▲" in screen_text(app).splitlines()[2]
        await pilot.press("s")  # deadline: the due column is on screen, it gets the arrow
        await settle(pilot)
        header = screen_text(app).splitlines()[2]
        assert "due▲" in header and " · " not in header
