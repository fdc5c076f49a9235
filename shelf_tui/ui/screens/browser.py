"""The browser: every item of every shop, a filter bar, marks, and the way to everything else
(detail on enter, alerts on `a`, quick filters on `f`, L/D and CSV: screens/item_actions.py)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Input

from shelf_tui.store import Sort
from shelf_tui.ui.rows import BLOCK
from shelf_tui.ui.screens.item_actions import ItemActionsScreen
from shelf_tui.ui.screens.quick_filter import QuickFilterScreen
from shelf_tui.ui.session import Session
from shelf_tui.ui.widgets.filter_bar import FilterBar
from shelf_tui.ui.widgets.item_table import ColumnHeader, ItemTable
from shelf_tui.ui.widgets.title_bar import TitleBar


class BrowserScreen(ItemActionsScreen):
    # The table has the keys from the first frame: keys typed while the rows load must not
    # land in the filter bar (the first focusable widget).
    AUTO_FOCUS = "#items"

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: run when `/` is read, so the keys after it in the same burst already go to
        # the filter (a focused input still types its own `/`: Textual leaves it the key).
        Binding("slash", "filter", "Filter", id="items.filter", key_display="/", priority=True),
        # Not in the footer (the filter bar says "f: quick filters"; ? lists every key): at 100
        # columns the footer then ends with q Quit.
        Binding("f", "quick_filter", "Quick filters", show=False, id="items.quick_filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="items.clear_filter"),
        Binding("L", "list_items", "List", id="items.list"),
        Binding("D", "delist_items", "Delist", id="items.delist"),
        Binding("i", "import_csv", "Import CSV", show=False, id="items.import_csv"),
        Binding("e", "export_csv", "Export CSV", show=False, id="items.export_csv"),
    ]

    def __init__(self, session: Session, *, block: int | None = None) -> None:
        super().__init__(id="browser")
        self.session = session
        self._block = block

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield FilterBar(self.session.compile, self.session.reader.shops.names, id="filter")
        header = ColumnHeader(id="columns")
        yield header
        yield ItemTable(
            self.session, sort=Sort(), header=header, block=self._block or BLOCK, id="items"
        )
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> ItemTable:
        return self.query_one("#items", ItemTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#filter", FilterBar)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `/` is a priority binding, and Textual does not count "slash" among the keys an input
        # types: without this, `/` typed in the filter (a title with "USB-C/Lightning") would
        # run the binding instead of being typed.
        if action == "filter" and isinstance(self.focused, Input):
            return False
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        self.filter_bar.leave_to = self.table
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.retitle()

    def retitle(self) -> None:
        table = self.table
        self.query_one("#title", TitleBar).show(table.summary("Items"), self.app_status())

    def app_status(self) -> str:
        status = getattr(self.app, "status_line", None)
        return str(status()) if callable(status) else ""

    @on(ItemTable.Changed)
    def _table_changed(self, event: ItemTable.Changed) -> None:
        self.retitle()

    @on(ItemTable.Opened)
    def _opened(self, event: ItemTable.Opened) -> None:
        from shelf_tui.ui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(self.session, event.item.shop, event.item.item_id))

    @on(FilterBar.Applied)
    def _applied(self, event: FilterBar.Applied) -> None:
        # The focus is the bar's to give back (at once, on enter or esc): moving it here, a
        # message later, would take it from a second `/` typed in the same burst.
        self.table.set_filter(event.where)

    @on(FilterBar.Cancelled)
    def _cancelled(self, event: FilterBar.Cancelled) -> None:
        self.set_focus(self.table)

    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_clear_filter(self) -> None:
        """esc from the table: back to every item (marks stay)."""
        if self.filter_bar.applied or self.filter_bar.error:
            self.filter_bar.apply("")

    def action_quick_filter(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None:
                self.filter_bar.apply(text)

        self.app.push_screen(QuickFilterScreen(), chosen)
