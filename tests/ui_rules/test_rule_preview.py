"""The preview (enter on a rule): exactly the items the planner would change, item by item with
the skip reasons and their counts; a cap refusal explained, with nothing to apply; a disabled
rule previewed but never applied; enter opens an item's detail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from rules_ui_helpers import NOW_DT, clock, screen_text, settle

from shelf_tui.paths import Paths
from shelf_tui.rules import RuleBook, Skip
from shelf_tui.store import Store
from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.detail import DetailScreen
from shelf_tui.ui.screens.rule_preview import RulePreviewScreen
from shelf_tui.ui.widgets.plan_list import PlanList

ORDER = ["zero-stock", "nightly", "price-typo", "double-11"]


async def open_preview(pilot: Any, app: ShelfApp, name: str) -> RulePreviewScreen:
    await settle(pilot)
    await pilot.press("R")
    await settle(pilot)
    await pilot.press(*(["down"] * ORDER.index(name)), "enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, RulePreviewScreen) and screen.rule_name == name
    return screen


def flat(app: ShelfApp) -> str:
    return " ".join(screen_text(app).split())


async def test_the_preview_lists_exactly_what_the_planner_would_do(
    app_for: Callable[..., ShelfApp], home: Paths, store: Store
) -> None:
    expected = RuleBook(home.rules_file, store, clock=clock).preview().get("zero-stock")
    sent = {(r.shop, i, r.action) for r in expected.requests for i in r.item_ids}
    assert len(sent) == 6 and len(expected.skipped) == 3  # the fixture's design
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_preview(pilot, app, "zero-stock")
        listed = screen.query_one("#plan-items", PlanList)
        assert sorted(listed.items, key=repr) == sorted(expected.items, key=repr)
        assert {(i.shop, i.item_id, i.action) for i in listed.items if i.planned} == sent
        # drawn item by item: what, shop, id, title (literally), why
        lines = screen_text(app).splitlines()
        for item in expected.items:
            verb = item.action.value if item.planned else "skip"
            (line,) = [ln for ln in lines if f" {item.item_id} " in ln and ln[1:].startswith(verb)]
            assert item.shop in line
        assert any("[bold red]markup[/]" in ln for ln in lines)  # a title is data
        text = flat(app)
        assert 'delist 4 in tb-main · reason "rule:zero-stock: out of stock"' in text
        assert 'list 1 in tb-main · reason "rule:zero-stock: back in stock' in text
        assert "delist 1 in ml-mx" in text
        counts = expected.skip_counts()
        assert counts == {Skip.LOCKED: 1, Skip.SELLER: 1, Skip.VIOLATION: 1}
        assert (
            "skipped: 1 promotion lock · 1 delisted by the seller by hand · 1 violation delist"
            in text
        )
        assert "6 to send · 3 skipped" in lines[0]
        # the cursor item whole under the list, the skip detail uncut
        await pilot.press("end")
        await settle(pilot)
        last = listed.items[-1]
        assert last.skip is not None
        assert f"skip: {last.skip.label}: {last.detail}" in flat(app)
        assert "Apply" in lines[-1]


async def test_a_cap_refusal_is_explained_and_nothing_can_be_applied(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_preview(pilot, app, "price-typo")
        text = flat(app)
        assert (
            "REFUSED, nothing will be sent: would change 3 items in tb-main, over the cap of 2 "
            "(cap in rules.toml)" in text
        )
        assert "skipped: 4 over the cap" in text
        listed = screen.query_one("#plan-items", PlanList)
        assert {i.item_id for i in listed.items} == {"tb-32", "tb-33", "tb-34", "ml-10"}
        assert all(i.skip is Skip.CAP for i in listed.items)
        assert "over the cap: would delist, nothing is sent" in text
        assert "Apply" not in screen_text(app).splitlines()[-1]
        await pilot.press("A")
        await settle(pilot)
        assert app.screen is screen  # no dialog
        assert store.jobs.all() == []


async def test_a_disabled_rule_is_previewed_but_never_applied(
    app_for: Callable[..., ShelfApp], store: Store
) -> None:
    """At 23:30 in Shanghai the nightly delist is due: the preview shows what it would do."""
    late: datetime = NOW_DT + timedelta(hours=7, minutes=30)
    app = app_for(clock=lambda: late)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_preview(pilot, app, "nightly")
        text = flat(app)
        assert "This rule is off: this is what it would do." in text
        listed = screen.query_one("#plan-items", PlanList)
        assert {i.item_id for i in listed.items if i.planned} == {"tb-0", "tb-1", "tb-2", "tb-3"}
        assert "Apply" not in screen_text(app).splitlines()[-1]
        await pilot.press("A")
        await settle(pilot)
        assert app.screen is screen
        assert store.jobs.all() == []


async def test_enter_on_an_item_opens_its_detail(app_for: Callable[..., ShelfApp]) -> None:
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_preview(pilot, app, "zero-stock")
        listed = screen.query_one("#plan-items", PlanList)
        await pilot.press("down")
        item = listed.cursor_item
        assert item is not None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert (app.screen.shop, app.screen.item_id) == (item.shop, item.item_id)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_read_only_hides_apply(app_for: Callable[..., ShelfApp], store: Store) -> None:
    app = app_for(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_preview(pilot, app, "zero-stock")
        assert "6 to send" in screen_text(app).splitlines()[0]
        assert "Apply" not in screen_text(app).splitlines()[-1]
        await pilot.press("A")
        await settle(pilot)
        assert app.screen is screen
        assert store.jobs.all() == []
