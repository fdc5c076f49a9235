"""Every binding of the console has an id, in the `namespace.name` form config.toml's
[keymap] uses, and no two share one; the walk that finds them (the keymap reference's
source) sees every screen and widget of the console."""

from __future__ import annotations

import re
from collections import Counter

from textual.binding import Binding

from shelf_tui.ui.app import ShelfApp
from shelf_tui.ui.screens.browser import BrowserScreen
from shelf_tui.ui.screens.help import HelpScreen, all_bindings
from shelf_tui.ui.screens.jobs import JobsScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen
from shelf_tui.ui.screens.rules import RulesScreen
from shelf_tui.ui.widgets.item_table import ItemTable
from shelf_tui.ui.widgets.job_list import JobList

NAMESPACED = re.compile(r"[a-z][a-z_]*\.[a-z0-9_]+")


def test_every_binding_has_a_unique_namespaced_id() -> None:
    found = all_bindings()
    missing = [f"{i.owner.__name__}: {i.binding.key}" for i in found if not i.binding.id]
    assert missing == []
    ids = [str(i.binding.id) for i in found]
    assert [i for i in ids if not NAMESPACED.fullmatch(i)] == []
    assert {i: n for i, n in Counter(ids).items() if n > 1} == {}


def test_the_walk_sees_every_owner_and_every_binding_it_declares() -> None:
    found = all_bindings()
    owners = {i.owner for i in found}
    for owner in (
        ShelfApp,
        BrowserScreen,
        ItemTable,
        JobsScreen,
        JobList,
        RulesScreen,
        QuickFilterScreen,
        HelpScreen,
    ):
        assert owner in owners, owner.__name__
        declared = [b for b in owner.BINDINGS if isinstance(b, Binding)]
        assert [i.binding for i in found if i.owner is owner] == declared
    assert "app.help" in {i.binding.id for i in found}
