"""Item detail: every field, the platform's own status words, the SKUs, and the timeline
(newest first: when, who, what, why, what the platform said). Enter on a timeline row shows
that event whole, with the item as it was before a delist (seed 003's evidence)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import DataTable, Footer, Static

from shelf_tui.domain import Item, Shop
from shelf_tui.store import Event
from shelf_tui.ui import fmt
from shelf_tui.ui.columns import alarm
from shelf_tui.ui.jobs_service import Selection, SelectionSource
from shelf_tui.ui.loader import DETAIL, Task
from shelf_tui.ui.marks import MarkOp
from shelf_tui.ui.screens.item_actions import ItemActionsScreen
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, fit
from shelf_tui.ui.widgets.title_bar import TitleBar

#: (column key, label). The last column marks the events that kept a snapshot.
TIMELINE_KEYS = (
    ("when", "when"),
    ("who", "who"),
    ("action", "action"),
    ("outcome", "outcome"),
    ("reason", "reason"),
    ("said", "platform said"),
    ("snap", ""),
)
#: "platform said" takes what the other columns leave. When that is less than SAID_MIN, the
#: year goes, then who is shortened and the snapshot column goes (enter shows the event whole).
SAID_MIN = 20
#: A long answer wraps to at most this many lines; enter shows the rest.
SAID_LINES = 4
WHO_MAX, WHO_SHORT, REASON_MAX, ACTION_MAX = 18, 8, 24, 20
#: The widths of when (2026-11-24 07:00, or 11-24 07:00) and of the snapshot column.
WHEN_LONG, WHEN_SHORT, SNAPSHOT = 16, 11, 8


@dataclass(frozen=True, slots=True)
class TimelineLayout:
    widths: dict[str, int]
    short_when: bool
    short_who: bool
    snapshot: bool


def short_actor(actor: str) -> str:
    """'lin@shop-box' -> 'lin': who without the machine."""
    return actor.split("@", 1)[0] or actor


def timeline_layout(events: Sequence[Event], width: int) -> TimelineLayout:
    """Column widths for `width` cells (a cell pads 1 on each side; 1 for the scrollbar):
    when, who, action, outcome and reason as wide as their text, "platform said" the rest."""

    def natural(label: str, texts: Iterable[str], cap: int) -> int:
        return min(cap, max([cell_len(label), *(cell_len(t) for t in texts)]))

    who_long = natural("who", (clean(e.actor) for e in events), WHO_MAX)
    who_short = natural("who", (short_actor(clean(e.actor)) for e in events), WHO_SHORT)
    fixed = {
        "action": natural("action", (clean(e.action) for e in events), ACTION_MAX),
        "outcome": natural("outcome", (clean(e.outcome) for e in events), 12),
        "reason": natural("reason", (one(e.reason) for e in events), REASON_MAX),
    }
    room = width - 1
    for short_when, short_who, snapshot in (
        (False, False, True),
        (True, False, True),
        (True, True, False),
    ):
        widths = {
            "when": WHEN_SHORT if short_when else WHEN_LONG,
            "who": who_short if short_who else who_long,
            **fixed,
        }
        if snapshot:
            widths["snap"] = SNAPSHOT
        said_width = room - sum(widths.values()) - 2 * (len(widths) + 1)
        if said_width >= SAID_MIN:
            break
    widths["said"] = max(8, said_width)
    return TimelineLayout(widths, short_when, short_who, snapshot)


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
    DetailScreen #timeline { height: 1fr; overflow-x: hidden; scrollbar-size-vertical: 1; }
    """

    def __init__(self, session: Session, shop: str, item_id: str) -> None:
        super().__init__(id="detail")
        self.session = session
        self.shop = shop
        self.item_id = item_id
        self.item: Item | None = None
        self.events: list[Event] = []
        self.loaded = False
        self._timeline_width = 0

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
        for key, label in TIMELINE_KEYS:
            table.add_column(label, key=key)
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
            fields(item, shop, now, no_color=self.app.no_color)
            if item
            else Text("This item is no longer in the catalog.")
        )
        self._fill_timeline()

    def on_resize(self, event: Resize) -> None:
        if self.loaded and event.size.width != self._timeline_width:
            self._fill_timeline(event.size.width)

    def _fill_timeline(self, width: int = 0) -> None:
        """The rows again, in columns sized for `width` (the screen's, which the timeline
        spans): "platform said" takes what the others leave, and wraps. The cursor stays on
        its row."""
        table = self.query_one("#timeline", DataTable)
        width = width or self.size.width or self.app.size.width
        self._timeline_width = width
        shape = timeline_layout(self.events, width)
        row = table.cursor_row
        table.clear(columns=True)
        for key, label in TIMELINE_KEYS:
            if key != "snap" or shape.snapshot:
                table.add_column(label, key=key, width=shape.widths[key])
        no_color = self.app.no_color
        for n, event in enumerate(self.events):
            when = fmt.minute(event.at)
            who = clean(event.actor)
            cells = [
                Text(when[5:] if shape.short_when else when),
                Text(fit(short_actor(who) if shape.short_who else who, shape.widths["who"])),
                Text(fit(clean(event.action), ACTION_MAX)),
                Text(clean(event.outcome), style=_outcome_style(event.outcome, no_color)),
                Text(fit(one(event.reason), REASON_MAX)),
                Text(said(event)),
            ]
            if shape.snapshot:
                cells.append(Text("snapshot" if event.snapshot else ""))
            lines = len(Text(said(event)).wrap(self.app.console, shape.widths["said"]))
            table.add_row(*cells, key=str(n), height=max(1, min(SAID_LINES, lines)))
        if not self.events:
            table.add_row(*(Text("") for _ in table.columns), key="none")
            table.update_cell("none", "when", Text("no events yet"))
        if 0 < row < table.row_count:
            table.move_cursor(row=row)

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


def _outcome_style(outcome: str, no_color: bool = False) -> str:
    if outcome == "failed":
        return alarm(no_color, "red")
    return {"ok": "green", "skipped": "yellow"}.get(outcome, "")


def _field(grid: Table, label: str, value: str | Text) -> None:
    grid.add_row(Text(label, style="bold"), value if isinstance(value, Text) else Text(value))


def fields(item: Item, shop: Shop | None, now: int, *, no_color: bool = False) -> RenderableType:
    """Every field of an item as a two-column grid (values are literal Text). `no_color`:
    the takedown and the deadline are bold in the text's colour (see columns.alarm)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    tag_style = {
        "violation": alarm(no_color),
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
        deadline = Text(f"{fmt.stamp(item.deadline, now)} · {due}", style=alarm(no_color))
        _field(grid, "deadline", deadline)
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
