"""A job's failed items as a browser (`m` in the job pane): the items as the store has them
now, marked, with the timeline a keystroke away (enter), and L/D to act on them again.

Why a view and not only marks: in a catalog of thousands, ten marked rows are nowhere to be
seen; here they are all there is.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from shelf_tui.store import Sort, Sql
from shelf_tui.ui.screens.item_actions import ItemActionsScreen
from shelf_tui.ui.session import Session
from shelf_tui.ui.widgets.item_table import ColumnHeader, ItemTable
from shelf_tui.ui.widgets.title_bar import TitleBar


def failed_where(job_id: int) -> Sql:
    return Sql(
        "(shop, item_id) IN (SELECT shop, item_id FROM job_items "
        "WHERE job_id = ? AND state = 'failed')",
        (job_id,),
    )


class FailedItemsScreen(ItemActionsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="failed.back"),
        Binding("L", "list_items", "List 上架", id="failed.list"),
        Binding("D", "delist_items", "Delist 下架", id="failed.delist"),
    ]

    def __init__(self, session: Session, job_id: int) -> None:
        super().__init__(id="failed-items")
        self.session = session
        self.job_id = job_id

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        header = ColumnHeader(id="columns")
        yield header
        yield ItemTable(
            self.session, base=failed_where(self.job_id), sort=Sort(), header=header, id="items"
        )
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> ItemTable:
        return self.query_one("#items", ItemTable)

    def on_mount(self) -> None:
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.retitle()

    def retitle(self) -> None:
        left = f"{self.table.summary('Failed')} · job {self.job_id} · enter: item and timeline"
        status = getattr(self.app, "status_line", None)
        self.query_one("#title", TitleBar).show(left, str(status()) if callable(status) else "")

    @on(ItemTable.Changed)
    def _changed(self, event: ItemTable.Changed) -> None:
        self.retitle()

    @on(ItemTable.Opened)
    def _opened(self, event: ItemTable.Opened) -> None:
        from shelf_tui.ui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(self.session, event.item.shop, event.item.item_id))

    def action_back(self) -> None:
        self.app.pop_screen()
