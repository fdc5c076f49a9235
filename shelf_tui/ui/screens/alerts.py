"""Alerts (`a`): what the platform took down or locked, soonest rectification deadline first
(seed 001: 72 h for a normal violation, 24 h for a serious one), counting down."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from shelf_tui.store import Sort
from shelf_tui.ui.columns import ALERT_COLUMNS
from shelf_tui.ui.session import Session
from shelf_tui.ui.widgets.item_table import ColumnHeader, ItemTable
from shelf_tui.ui.widgets.title_bar import TitleBar

#: Deadlines are shown to the minute; redraw often enough that the countdown never lags.
TICK_SECONDS = 30


class AlertsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "back", "Back", id="alerts.back"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__(id="alerts")
        self.session = session

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        header = ColumnHeader(id="columns")
        yield header
        yield ItemTable(
            self.session,
            base=self.session.alerts_where(),
            sort=Sort("deadline", descending=False),
            columns=ALERT_COLUMNS,
            header=header,
            id="items",
        )
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> ItemTable:
        return self.query_one("#items", ItemTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.set_interval(TICK_SECONDS, self.table.refresh)

    def on_screen_resume(self) -> None:
        self.retitle()

    def retitle(self) -> None:
        summary = self.table.summary("Alerts")
        left = f"{summary} · taken down or locked · soonest deadline first"
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
