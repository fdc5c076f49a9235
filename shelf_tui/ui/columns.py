"""The item table's columns: which ones fit a width, and how one row is drawn as a Strip.

Widths are capped so one long title can never push the status off the screen: the title takes
what the fixed columns leave, and columns a seller needs least (modified, then price) are
dropped first on a narrow terminal (80x24 over SSH still shows shop, id, title, status, reason,
stock and the deadline).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from shelf_tui.domain import Item, Status
from shelf_tui.ui import fmt
from shelf_tui.ui.text import clean, pad

GUTTER = 3  # cursor pointer, mark, space
TITLE_MIN = 20
MARK = "✓"
POINTER = ">"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    align: str = "left"
    sort: str | None = None
    drop: int = 0  # 0 = always shown; higher numbers are dropped first when space is short


COLUMNS: tuple[Column, ...] = (
    Column("shop", "shop", 8, sort="shop"),
    # 15: a Temu goodsId (TOP num_iid 12, ML "MLM" + 10); ids are never cut, sellers copy them.
    Column("item_id", "item id", 15, sort="item_id"),
    Column("title", "title", TITLE_MIN, sort="title"),
    Column("status", "status", 8, sort="status"),
    Column("reason", "reason", 9, sort="reason"),
    Column("stock", "stock", 5, align="right", sort="stock"),
    Column("price", "price", 9, align="right", sort="price", drop=2),
    Column("modified", "modified", 9, align="right", sort="modified", drop=1),
    Column("due", "due", 5, align="right", sort="deadline"),
)
ALERT_COLUMNS: tuple[Column, ...] = (
    Column("due_long", "deadline", 16, sort="deadline"),
    Column("shop", "shop", 8, sort="shop"),
    Column("item_id", "item id", 15, sort="item_id"),
    Column("title", "title", TITLE_MIN, sort="title"),
    Column("reason", "reason", 9, sort="reason"),
    Column("locked", "lock", 6, drop=1),
    Column("status", "status", 8, sort="status", drop=2),
)


def layout(width: int, columns: Sequence[Column] = COLUMNS) -> tuple[Column, ...]:
    """The columns that fit `width` cells, the title widened to fill the rest."""
    chosen = list(columns)
    while True:
        fixed = GUTTER + sum(c.width + 1 for c in chosen if c.key != "title")
        room = width - fixed
        droppable = [c for c in chosen if c.drop]
        if room - 1 >= TITLE_MIN or not droppable:
            break
        chosen.remove(max(droppable, key=lambda c: c.drop))
    title_width = max(8, room - 1)  # -1: the title's own separating space
    return tuple(
        Column(c.key, c.label, title_width, c.align, c.sort, c.drop) if c.key == "title" else c
        for c in chosen
    )


def header_strip(
    cols: Sequence[Column], sort_column: str, descending: bool, width: int, style: Style
) -> Strip:
    """The column titles. The sort column gets the arrow; when it is not on screen (price
    at 80 columns), the title column says what the order is, so the order explains itself."""
    arrow = "▼" if descending else "▲"
    shown = any(c.sort == sort_column for c in cols)
    parts = [" " * GUTTER]
    for c in cols:
        label = c.label
        if c.sort == sort_column:
            label = f"{label}{arrow}"
        elif c.key == "title" and not shown:
            label = f"{label} · {sort_column.replace('_', ' ')}{arrow}"
        parts.append(pad(label, c.width, c.align) + " ")
    text = "".join(parts)
    return Strip([Segment(pad(text, width), style)], width)


def cell_text(item: Item, key: str, now: int) -> str:
    """The text of one cell (clean, unpadded)."""
    if key == "shop":
        return clean(item.shop)
    if key == "item_id":
        return clean(item.item_id)
    if key == "title":
        return clean(item.title) or "(no title)"
    if key == "status":
        return item.status.value
    if key == "reason":
        return item.reason.value or "-"
    if key == "stock":
        return str(item.stock)
    if key == "price":
        return fmt.price(item.price)
    if key == "modified":
        return fmt.age(_epoch(item.modified), now).removesuffix(" ago")
    if key == "due":
        return fmt.due_short(_epoch(item.deadline), now)
    if key == "due_long":
        return fmt.due_long(_epoch(item.deadline), now) or "no deadline"
    if key == "locked":
        locked = item.locked_until is not None and int(item.locked_until.timestamp()) > now
        return "locked" if locked else ""
    raise KeyError(key)


def _epoch(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def cell_style(item: Item, key: str, now: int, styles: Mapping[str, Style]) -> Style | None:
    """Colour of one cell: status/reason tags (red violation, grey seller...), a zero stock
    on an item that is on sale, a deadline inside 24 hours."""
    if key in ("status", "reason"):
        return styles.get(fmt.tag(item.status, item.reason))
    if key == "stock" and item.stock == 0 and item.status is Status.ACTIVE:
        return styles.get("zero")
    if key in ("due", "due_long") and item.deadline is not None:
        left = int(item.deadline.timestamp()) - now
        return styles.get("urgent" if left < 86400 else "violation")
    if key == "title" and not item.title:
        return styles.get("muted")
    return None


def row_strip(
    item: Item,
    cols: Sequence[Column],
    *,
    width: int,
    now: int,
    base: Style,
    styles: Mapping[str, Style],
    cursor: bool,
    marked: bool,
) -> Strip:
    """One row as segments. Every string is drawn literally (segments carry no markup).
    Cells in the row's own style are joined into one segment: a page of rows is drawn on
    every page-down, and each segment costs Textual work on the way to the terminal."""
    mark_style = styles.get("mark")
    segments: list[Segment] = [Segment(POINTER if cursor else " ", base)]
    run: list[str] = [" "]
    if marked:
        segments.append(Segment(MARK, base + mark_style if mark_style else base))
        run = [" "]
    else:
        run = ["  "]
    for c in cols:
        text = pad(cell_text(item, c.key, now), c.width, c.align)
        extra = cell_style(item, c.key, now, styles)
        if extra is None:
            run.append(text)
            run.append(" ")
            continue
        segments.append(Segment("".join(run), base))
        segments.append(Segment(text, base + extra))
        run = [" "]
    used = GUTTER + sum(c.width + 1 for c in cols)
    if used < width:
        run.append(" " * (width - used))
    segments.append(Segment("".join(run), base))
    return Strip(segments).crop(0, width) if used > width else Strip(segments, width)


def alarm(no_color: bool, colour: str = "bold red") -> str:
    """The Rich style of what needs the seller now (a takedown, a deadline, a refusal):
    `colour`, or with NO_COLOR bold in the text's own colour. Textual draws each colour as its
    grey when NO_COLOR is set, and red is a dark grey: the loudest text would read the least.
    (The item table does the same in app.tcss, with `:nocolor` rules.)"""
    return "bold" if no_color else colour


def placeholder_strip(width: int, style: Style) -> Strip:
    return Strip([Segment(pad("  …", width), style)], width)
