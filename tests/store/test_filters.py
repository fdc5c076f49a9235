"""The filter language: parsing, errors that name the term, SQL that binds every value."""

from __future__ import annotations

import pytest

from shelf_tui.store.filters import FilterError, compile_filter, parse


def test_terms_values_and_negation() -> None:
    flt = parse('status:inactive,review !reason:seller "red dress" shop:tb-main')
    assert [(t.field, t.values, t.negated) for t in flt.terms] == [
        ("status", ("inactive", "review"), False),
        ("reason", ("seller",), True),
        ("", ("red dress",), False),
        ("shop", ("tb-main",), False),
    ]
    assert flt.shops() == {"tb-main"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("stauts:active", "did you mean status"),
        ("status:sleeping", "a status among"),
        ("reason:bored", "a reason among"),
        ("stock:lots", "a number after 'stock:'"),
        ("stock:1.5", "a whole number"),
        ("modified:yesterday", "a duration like <7d"),
        ("modified:=7d", "'<' or '>' before a duration"),
        ("locked:maybe", "locked:yes or locked:no"),
        ("platform:ebay", "a platform among"),
        ('"unclosed', "closing double quote"),
        ("status:", "a value after 'status:'"),
        ("!", "a term after '!'"),
    ],
)
def test_errors_name_the_term_and_what_was_expected(text: str, fragment: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_shop_is_an_error_when_shops_are_known() -> None:
    with pytest.raises(FilterError, match="did you mean tb-main"):
        compile_filter("shop:tb-mian", now=0, known_shops=["tb-main", "ml-mx"])


def test_values_never_appear_in_the_sql_text() -> None:
    sql = compile_filter("shop:evil'shop \"'; DROP TABLE x\" price:>=100", now=0)
    assert "evil" not in sql.where and "DROP" not in sql.where and "100" not in sql.where
    assert "evil'shop" in sql.params and 100.0 in sql.params
