"""End to end in the console against the built-in sandbox (`shelf demo`'s world): stock set
to 0 server-side -> sync -> the rules screen previews exactly those items -> apply through the
confirm dialog -> the console's job engine delists them on the platform, once each, with the
rule's reason; restocked -> sync -> the preview relists them -> apply -> back on sale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rules_ui_helpers import settle
from textual.widgets import Button

from shelf_tui import paths as paths_mod
from shelf_tui.cli.console import astart_demo
from shelf_tui.rules import RuleBook
from shelf_tui.ui.app import ShelfApp, make_app
from shelf_tui.ui.screens.confirm import ConfirmScreen
from shelf_tui.ui.screens.rule_preview import RulePreviewScreen
from shelf_tui.ui.services import StoreSync
from shelf_tui.ui.widgets.plan_list import PlanList

RULES = """\
[[rule]]
name = "zero-stock"
kind = "stock"
shops = ["tb-main"]
action = "delist"
at_or_below = 0
relist_above = 2
reason = "out of stock"
cap = 50
"""


async def apply_zero_stock(pilot: Any, app: ShelfApp) -> set[tuple[str, str, str]]:
    """Rules -> preview -> A -> confirm; returns what the preview planned."""
    await pilot.press("R")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, RulePreviewScreen)
    listed = app.screen.query_one("#plan-items", PlanList)
    planned = {(i.shop, i.item_id, i.action.value) for i in listed.items if i.planned}
    await pilot.press("A")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmScreen)
    while not (isinstance(app.focused, Button) and app.focused.id == "confirm"):
        await pilot.press("tab")
    await pilot.press("enter")
    await settle(pilot)
    return planned


async def finish_jobs(app: ShelfApp, pilot: Any) -> None:
    for handle in list(app.jobs.engine.running):
        await handle.wait()
    await settle(pilot)


async def sync(pilot: Any, app: ShelfApp) -> None:
    app.action_sync()
    await settle(pilot)
    assert app.syncing is None and app.sync_errors == {}


async def test_zero_stock_applied_in_the_console_delists_then_relists_on_the_sandbox(
    tmp_path: Path,
) -> None:
    home = paths_mod.resolve(tmp_path / "home")
    demo = await astart_demo(home, items=40)
    try:
        sb = demo.sandbox
        for item_id in sb.ids("tb-main", "onsale"):
            if sb.item(item_id)["num"] == 0:
                sb.set_stock(item_id, 7)
        chosen = [str(i) for i in sb.ids("tb-main", "onsale") if sb.item(i)["num"] >= 3][:3]
        assert len(chosen) == 3
        for item_id in chosen:
            sb.set_rules(item_id, [])  # no promotion lock in the way
            sb.set_second_kill(item_id, None)
            sb.set_stock(item_id, 0)
        sb.clear_log()
        home.rules_file.write_text(RULES, encoding="utf-8")
        app = make_app(
            demo.store,
            sync=StoreSync(demo.store, tokens=demo.tokens),
            sync_on_open=False,
            paths=home,
        )
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await sync(pilot, app)

            planned = await apply_zero_stock(pilot, app)
            assert planned == {("tb-main", i, "delist") for i in chosen}
            await finish_jobs(app, pilot)
            assert sb.change_counts() == {i: 1 for i in chosen}
            assert all(sb.state(i) != "onsale" for i in chosen)
            (job,) = demo.store.jobs.all()
            assert (job.action, job.source, job.actor, job.ok) == (
                "delist",
                "rule",
                "rule:zero-stock",
                3,
            )
            assert job.reason == "rule:zero-stock: out of stock"
            zero = RuleBook(home.rules_file, demo.store).statuses()[0]
            assert zero.last_applied_at is not None and zero.last_sent == 3

            # restocked server-side: after a sync the rule relists what it took down
            for item_id in chosen:
                sb.set_stock(item_id, 10)
            await pilot.press("escape", "escape", "escape")  # the job pane, preview, rules
            await settle(pilot)
            await sync(pilot, app)
            planned = await apply_zero_stock(pilot, app)
            assert planned == {("tb-main", i, "list") for i in chosen}
            await finish_jobs(app, pilot)
            assert all(sb.state(i) == "onsale" for i in chosen)
            assert sb.change_counts() == {i: 2 for i in chosen}
            relist = max(demo.store.jobs.all(), key=lambda j: j.id)
            assert relist.reason == "rule:zero-stock: back in stock (was: out of stock)"
            assert (relist.action, relist.ok, relist.source) == ("list", 3, "rule")
    finally:
        demo.close()
