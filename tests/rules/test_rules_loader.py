"""rules.toml validation: a good file becomes rules; a bad one is ONE message naming the line
and the field, and never a plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelf_tui.domain import Action
from shelf_tui.rules import Kind, RulesError, load_file, load_text
from shelf_tui.rules.model import CampaignSpec, PriceSpec, ScheduleSpec, StockSpec

KNOWN = ["tb-main", "ml-mx", "temu-us"]
EXAMPLE = Path(__file__).parent / "fixtures" / "example-rules.toml"

ISSUE_EXAMPLE = """\
[[rule]]
name = "zero-stock"          # unique
kind = "stock"               # schedule | stock | campaign | price
shops = ["tb-main"]          # shop names; "*" for all
filter = "price:>=10"        # optional: which items the rule watches, whatever their status
action = "delist"            # delist | list
at_or_below = 0              # stock: delist at or below this...
relist_above = 2             # ...and relist above this (optional)
reason = "out of stock"
enabled = true
cap = 200                    # optional; the default cap applies otherwise
"""


def test_the_issue_example_parses_to_a_stock_rule() -> None:
    (rule,) = load_text(ISSUE_EXAMPLE, known_shops=KNOWN).rules
    assert rule.name == "zero-stock" and rule.kind is Kind.STOCK
    assert rule.shops == ("tb-main",) and rule.filter == "price:>=10"
    assert rule.action is Action.DELIST and rule.cap == 200 and rule.enabled
    assert rule.spec == StockSpec(at_or_below=0, relist_above=2)
    assert rule.line == 1
    assert rule.request_reason(Action.DELIST) == "rule:zero-stock: out of stock"
    assert rule.actor == "rule:zero-stock"


def test_the_cookbook_example_file_parses_every_kind() -> None:
    ruleset = load_file(EXAMPLE, known_shops=KNOWN)
    kinds = {r.kind for r in ruleset.rules}
    assert kinds == set(Kind)
    by_name = {r.name: r for r in ruleset.rules}
    assert isinstance(by_name["night-close"].spec, ScheduleSpec)
    assert isinstance(by_name["double-11"].spec, CampaignSpec)
    assert isinstance(by_name["price-typo-guard"].spec, PriceSpec)
    assert by_name["zero-stock"].grace == 2 * 3600


def test_a_missing_file_is_no_rules(tmp_path: Path) -> None:
    assert load_file(tmp_path / "rules.toml").rules == ()


BAD = [
    # (text, expected line, text the message must contain)
    (
        '[[rule]]\nname = "zero-stock"\nkind = "stok"\nshops = ["tb-main"]\nreason = "x"\n',
        3,
        'rule "zero-stock": kind "stok" is not one of schedule, stock, campaign, price',
    ),
    (
        '[[rule]]\nname = "night"\nkind = "schedule"\nshops = ["tb-main"]\naction = "delist"\n'
        'daily = "25:00"\nreason = "night"\n',
        6,
        'rule "night": daily: expected a time of day between 00:00 and 23:59, got "25:00"',
    ),
    (
        '[[rule]]\nname = "once"\nkind = "schedule"\nshops = ["tb-main"]\naction = "list"\n'
        'at = "11/11 20:00"\nreason = "launch"\n',
        6,
        'rule "once": at: expected a date and time like "2026-11-11 20:00"',
    ),
    (
        '[[rule]]\nname = "night"\nkind = "schedule"\nshops = ["tb-main"]\naction = "delist"\n'
        'daily = "23:00"\ntimezone = "Asia/Shangai"\nreason = "night"\n',
        7,
        "did you mean Asia/Shanghai?",
    ),
    (
        '# comment\n\n[[rule]]\nname = "z"\nkind = "stock"\nshops = ["tb-mian"]\nreason = "x"\n',
        6,
        'rule "z": unknown shop "tb-mian" (did you mean tb-main?',
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nfilter = "shop:nope"\nreason = "x"\n',
        5,
        "filter: in 'shop:nope': a known shop, not 'nope'",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nfilter = "stok:0"\nreason = "x"\n',
        5,
        "filter: in 'stok:0': a field among",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nreason = "x"\nrelist_above = 0\n'
        "at_or_below = 0\n",
        6,
        "relist_above (0) must be greater than at_or_below (0)",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nreason = "x"\ndaily = "23:00"\n',
        6,
        "unknown key 'daily' for a stock rule (it belongs to schedule rules)",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nreason = "x"\nreasn = "y"\n',
        6,
        "unknown key 'reasn' for a stock rule (known:",
    ),
    (
        '[[rule]]\nname = "a"\nkind = "stock"\nshops = "*"\nreason = "x"\n\n'
        '[[rule]]\nname = "a"\nkind = "stock"\nshops = "*"\nreason = "y"\n',
        8,
        'rule "a": the name is already used by the rule at line 1',
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\naction = "close"\nreason = "x"\n',
        5,
        'action "close" is not allowed in rules',
    ),
    (
        '[[rule]]\nname = "z"\nkind = "schedule"\nshops = "*"\naction = "list"\nreason = "x"\n'
        'daily = "08:00"\ngrace = "2h"\n',
        8,
        "grace applies to stock and price rules",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nreason = "x"\ngrace = "2 hours"\n',
        6,
        "grace: expected a duration like 30m, 2h or 1d",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = "*"\nreason = "x"\ncap = 0\n',
        6,
        "cap must be 1 or more",
    ),
    (
        '[[rule]]\nname = "z"\nkind = "stock"\nshops = ["tb-main"]\n',
        1,
        'rule "z": reason is required',
    ),
    (
        '[[rule]]\nname = "c"\nkind = "campaign"\nshops = "*"\nreason = "x"\n'
        'start = "2026-11-12 00:00"\nend = "2026-11-11 00:00"\n',
        7,
        "end (2026-11-11 00:00) must be after start (2026-11-12 00:00)",
    ),
    (
        '[[rule]]\nname = "p"\nkind = "price"\nshops = "*"\naction = "delist"\nreason = "x"\n'
        'band = "50..10"\n',
        7,
        "the low end comes first",
    ),
    (
        '[[rule]]\nname = "w"\nkind = "schedule"\nshops = "*"\naction = "list"\nreason = "x"\n'
        'hours = "9-18"\nweekdays = ["mon", "fir"]\n',
        8,
        "did you mean fri?",
    ),
    (
        '[[rule]]\nname = "has space"\nkind = "stock"\nshops = "*"\nreason = "x"\n',
        2,
        "must be 1-64 characters without spaces",
    ),
    ('[[rule]]\nname = "z"\nkind = "stock\n', 3, "not valid TOML"),
    ("[rules]\nx = 1\n", 1, "unknown key 'rules': rules.toml holds [[rule]] tables only"),
]


@pytest.mark.parametrize(("text", "line", "needle"), BAD, ids=[b[2][:40] for b in BAD])
def test_a_bad_file_is_one_message_with_the_line_and_the_field(
    text: str, line: int, needle: str
) -> None:
    with pytest.raises(RulesError) as caught:
        load_text(text, "/home/s/.config/shelf/rules.toml", known_shops=KNOWN)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"/home/s/.config/shelf/rules.toml:{line}: "), message
    assert needle in message, message
    assert caught.value.exit_code == 2


def test_several_problems_are_one_message_that_counts_the_rest() -> None:
    text = (
        '[[rule]]\nname = "a"\nkind = "stok"\nshops = "*"\nreason = "x"\n\n'
        '[[rule]]\nname = "b"\nkind = "stock"\nshops = ["nope"]\nreason = "x"\n'
    )
    with pytest.raises(RulesError) as caught:
        load_text(text, "rules.toml", known_shops=KNOWN)
    assert str(caught.value).startswith('rules.toml:3: rule "a": kind "stok"')
    assert "(and 1 more problem: `shelf rules check`)" in str(caught.value)
    assert caught.value.lines()[1].startswith('rules.toml:10: rule "b": unknown shop "nope"')


def test_without_known_shops_shop_names_are_not_checked() -> None:
    text = '[[rule]]\nname = "z"\nkind = "stock"\nshops = ["later"]\nreason = "x"\n'
    assert load_text(text).rules[0].shops == ("later",)


def test_schedule_forms_parse_in_their_zone() -> None:
    text = """
[[rule]]
name = "weekday-hours"
kind = "schedule"
shops = "*"
action = "delist"
hours = "9-11"
weekdays = "mon-fri"
timezone = "America/Mexico_City"
reason = "office hours"

[[rule]]
name = "twice"
kind = "schedule"
shops = ["tb-main"]
action = "list"
daily = ["21:30", "08:00"]
reason = "day"
"""
    hours, twice = load_text(text, known_shops=KNOWN).rules
    assert isinstance(hours.spec, ScheduleSpec) and hours.spec.recurrence is not None
    assert [t.hour for t in hours.spec.recurrence.times] == [9, 10, 11]
    assert hours.spec.recurrence.weekdays == frozenset(range(5))
    assert hours.spec.timezone == "America/Mexico_City"
    assert isinstance(twice.spec, ScheduleSpec) and twice.spec.recurrence is not None
    assert [t.strftime("%H:%M") for t in twice.spec.recurrence.times] == ["08:00", "21:30"]
    assert twice.spec.timezone is None  # the shop's platform zone at planning time
