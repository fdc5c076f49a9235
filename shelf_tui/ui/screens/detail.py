"""Item detail: every field, the platform's own status words, the SKUs, and the timeline
(newest first: when, who, what, why, what the platform said). Enter on a timeline row shows
that event whole, with the item as it was before a delist (seed 003's evidence)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from shelf_tui.domain import Item, Shop
from shelf_tui.store import Event
from shelf_tui.ui import fmt
from shelf_tui.ui.jobs_service import Selection, SelectionSource
from shelf_tui.ui.loader import DETAIL, Task
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.item_actions import ItemActionsScreen
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, fit
from shelf_tui.ui.widgets.title_bar import TitleBar

TIMELINE_COLUMNS = ("when", "who", "action", "outcome", "reason", "platform said", "")


def said(event: Event) -> str:
    """code · message · request id: the platform's answer in one cell."""
    return " · ".join(p for p in (event.code, one(event.message), event.request_id) if p)


def one(text: str) -> str:
    return " ".join(clean(text).split())


class DetailScreen(ItemActionsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="detail.back"),
        Binding("enter", "event", "Event / snapshot", id="detail.event"),
        Binding("space", "toggle_mark", "Mark", id="detail.mark"),
        Binding("L", "list_items", "List", id="detail.list"),
        Binding("D", "delist_items", "Delist", id="detail.delist"),
    ]

    DEFAULT_CSS = """
    DetailScreen #detail-fields { height: auto; max-height: 60%; }
    DetailScreen #detail-fields Static { height: auto; }
    DetailScreen #timeline-title { height: 1; margin-top: 1; }
    DetailScreen #timeline { height: 1fr; }
    """

    def __init__(self, session: Session, shop: str, item_id: str) -> None:
        super().__init__(id="detail")
        self.session = session
        self.shop = shop
        self.item_id = item_id
        self.item: Item | None = None
        self.events: list[Event] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        with VerticalScroll(id="detail-fields"):
            yield Static(id="fields")
        yield Static(
            Text("Timeline (newest first) · enter: the event whole, with the snapshot"),
            id="timeline-title",
        )
        table: DataTable[Text] = DataTable(id="timeline", cursor_type="row", zebra_stripes=False)
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#timeline", DataTable)
        for label in TIMELINE_COLUMNS:
            table.add_column(label, key=label or "snap")
        table.focus()
        self.session.listen(self)
        self.load()

    def load(self) -> None:
        reader = self.session.reader
        shop, item_id = self.shop, self.item_id

        def run() -> tuple[Item | None, list[Event], Shop | None]:
            return (
                reader.items.get(shop, item_id),
                reader.events.for_item(shop, item_id),
                reader.shops.find(shop),
            )

        self.session.submit(Task(run, self._show, DETAIL, ("detail", id(self))))

    def _open(self) -> bool:
        """Still on the screen stack: a closed detail may listen until it is collected."""
        return self.is_mounted and self in self.app.screen_stack

    def data_changed(self) -> None:
        if self._open():
            self.load()

    def marks_changed(self, op: MarkOp, seq: int, own: bool) -> None:
        pass

    def _show(self, loaded: tuple[Item | None, list[Event], Shop | None]) -> None:
        if not self._open():
            return
        item, events, shop = loaded
        self.item, self.events, self.loaded = item, events, True
        now = self.session.now()
        title = f"Item {clean(self.shop)} · {clean(self.item_id)}"
        self.query_one("#title", TitleBar).show(title, self._status())
        self.query_one("#fields", Static).update(
            fields(item, shop, now) if item else Text("This item is no longer in the catalog.")
        )
        table = self.query_one("#timeline", DataTable)
        table.clear()
        for n, event in enumerate(events):
            table.add_row(
                Text(fmt.minute(event.at)),
                Text(fit(clean(event.actor), 18)),
                Text(clean(event.action)),
                Text(clean(event.outcome), style=_outcome_style(event.outcome)),
                Text(fit(one(event.reason), 24)),
                Text(fit(said(event), 100)),
                Text("snapshot" if event.snapshot else ""),
                key=str(n),
            )
        if not events:
            table.add_row(*(Text("") for _ in TIMELINE_COLUMNS[:-1]), Text(""), key="none")
            table.update_cell("none", "when", Text("no events yet"))

    def _status(self) -> str:
        status = getattr(self.app, "status_line", None)
        return str(status()) if callable(status) else ""

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_event(self) -> None:
        from shelf_tui.ui.screens.event import EventScreen

        table = self.query_one("#timeline", DataTable)
        if not self.events or table.cursor_row < 0 or table.cursor_row >= len(self.events):
            return
        self.app.push_screen(EventScreen(self.events[table.cursor_row], self.session.now()))

    @on(DataTable.RowSelected, "#timeline")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_event()

    def job_selection(self) -> SelectionSource:
        """L/D here act on this item (what the seller is looking at), not on the marks."""
        key = (self.shop, self.item_id)

        async def select() -> Selection:
            return Selection((key,))

        return select

    def action_toggle_mark(self) -> None:
        if self.item is not None:
            self.session.mark(MarkOp("set", (self.item.key,), on=True))
            self.notify("Marked.", timeout=2)


def _outcome_style(outcome: str) -> str:
    return {"ok": "green", "failed": "red", "skipped": "yellow"}.get(outcome, "")


def _field(grid: Table, label: str, value: str | Text) -> None:
    grid.add_row(Text(label, style="bold"), value if isinstance(value, Text) else Text(value))


def fields(item: Item, shop: Shop | None, now: int) -> RenderableType:
    """Every field of an item as a two-column grid (values are literal Text)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    tag_style = {
        "violation": "bold red",
        "seller": "grey62",
        "active": "green",
        "soldout": "yellow",
        "review": "cyan",
        "muted": "grey50",
    }[fmt.tag(item.status, item.reason)]
    _field(grid, "title", Text(clean(item.title) or "(no title)"))
    platform = f" ({shop.platform.label})" if shop else ""
    _field(grid, "shop", f"{clean(item.shop)}{platform}")
    _field(grid, "item id", clean(item.item_id))
    _field(grid, "outer id", clean(item.outer_id) or "-")
    _field(grid, "status", Text(fmt.state_words(item.status, item.reason), style=tag_style))
    raw = " / ".join(p for p in (clean(item.raw_status), clean(item.raw_sub_status)) if p)
    _field(grid, "platform says", raw or "-")
    _field(grid, "stock", str(item.stock))
    _field(grid, "price", fmt.price(item.price, clean(item.currency)))
    if item.deadline is not None:
        due = fmt.due_long(int(item.deadline.timestamp()), now)
        _field(grid, "deadline", Text(f"{fmt.stamp(item.deadline, now)} · {due}", style="bold red"))
    if item.locked_until is not None:
        lock = fmt.stamp(item.locked_until, now)
        message = f" · {one(item.lock_message)}" if item.lock_message else ""
        _field(grid, "locked until", f"{lock}{message}")
    _field(grid, "modified", fmt.stamp(item.modified, now))
    _field(grid, "listed", fmt.stamp(item.listed_at, now))
    _field(grid, "delisted", fmt.stamp(item.delisted_at, now))
    _field(grid, "synced", fmt.stamp(item.synced_at, now))
    if item.url:
        _field(grid, "url", clean(item.url))
    if item.extra:
        _field(grid, "extra", one(_compact(item.extra)))
    _field(grid, "skus", str(item.sku_count) if item.skus else "none")
    parts: list[RenderableType] = [grid]
    if item.skus:
        skus = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for name in ("sku id", "properties", "stock", "price", "outer id"):
            skus.add_column(
                name,
                no_wrap=True,
                overflow="ellipsis",
                justify="right" if name in ("stock", "price") else "left",
            )
        for sku in item.skus:
            skus.add_row(
                Text(clean(sku.sku_id)),
                Text(clean(sku.properties)),
                Text(str(sku.stock)),
                Text("-" if sku.price is None else fmt.price(sku.price)),
                Text(clean(sku.outer_id)),
            )
        parts.append(skus)
    return Group(*parts)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
