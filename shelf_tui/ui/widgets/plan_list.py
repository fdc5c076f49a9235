"""A rule's plan, item by item: what it would send, what it would skip and why.

A line-API `ScrollView` over a list in memory (like the item table, without the SQLite
paging): a rule refused over its cap can hold every item of a catalog, and the built-in
DataTable would spend seconds building cells nobody scrolls to. Only the rows on screen are
drawn; the cursor row is marked with `>` so it shows without colour (NO_COLOR).

Columns: what (`delist` / `list` when planned, `skip` otherwise), shop, item id (never cut:
15 cells hold a Temu goodsId), title (drawn literally, text.py), why (the skip reason's label
and the planner's detail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from shelf_tui.rules import PlanItem, Skip
from shelf_tui.ui.text import clean, pad

ID_WIDTH = 15


def why(item: PlanItem) -> str:
    """The reason column: the planner's detail, prefixed by the skip label when skipped."""
    detail = " ".join(clean(item.detail).split())
    if item.skip is None:
        return detail
    if item.skip is Skip.CAP:
        return f"{item.skip.label}: would {item.action.value}, nothing is sent"
    return f"{item.skip.label}: {detail}" if detail else item.skip.label


def verb(item: PlanItem) -> str:
    return item.action.value if item.planned else "skip"


def ordered(items: Sequence[PlanItem]) -> list[PlanItem]:
    """Planned first (delists, then lists), then skipped grouped by reason, most common
    first; the planner's order (shop, item id) within each group. Buckets, not a sort: a
    sort of 100,000 keys runs in C holding the GIL for a fifth of a second, and this runs in
    a worker thread beside the UI."""
    delists: list[PlanItem] = []
    lists: list[PlanItem] = []
    skipped: dict[Skip, list[PlanItem]] = {}
    for item in items:
        if item.skip is not None:
            skipped.setdefault(item.skip, []).append(item)
        elif item.action.value == "delist":
            delists.append(item)
        else:
            lists.append(item)
    out = delists + lists
    for group in sorted(skipped.values(), key=len, reverse=True):
        out.extend(group)
    return out


class PlanList(ScrollView, can_focus=True, inherit_bindings=False):
    """`show(items)`; the cursor moves with ↑/↓ (k/j), page keys, home/end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="plan.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="plan.down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="plan.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="plan.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="plan.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="plan.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "plan-list--header",
        "plan-list--cursor",
        "plan-list--send",
        "plan-list--skip",
        "plan-list--refused",
    }

    DEFAULT_CSS = """
    PlanList { overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 1; }
    PlanList > .plan-list--header { text-style: bold; color: $text-muted; }
    PlanList > .plan-list--cursor { background: $accent 40%; text-style: bold; }
    PlanList:focus > .plan-list--cursor { background: $accent 70%; }
    PlanList > .plan-list--send { color: $warning; text-style: bold; }
    PlanList > .plan-list--skip { color: $text-muted; }
    PlanList > .plan-list--refused { color: $error; }
    """

    class Moved(Message):
        """The cursor is on another item (or the list was refilled)."""

        def __init__(self, plan_list: PlanList) -> None:
            super().__init__()
            self.plan_list = plan_list

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[PlanItem] = []
        self.cursor = 0
        self.refused = False
        self.empty_text = "planning…"

    def show(self, items: Sequence[PlanItem], *, refused: bool = False, empty: str = "") -> None:
        """Show `items` as given: sort them with `ordered()` first, off the UI thread when
        there may be many (a refused rule can hold a whole catalog)."""
        self.items = list(items)
        self.refused = refused
        self.empty_text = empty or "nothing: no item meets the rule's condition now"
        self.cursor = min(self.cursor, max(0, len(self.items) - 1))
        self.virtual_size = Size(self.size.width, len(self.items) + 1)
        self.refresh()
        self.post_message(self.Moved(self))

    @property
    def cursor_item(self) -> PlanItem | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def rows_text(self) -> list[str]:
        """Every row as the screen would draw it at the current width (tests)."""
        widths = self._widths(self.size.width or 80)
        return [self._cells(item, widths) for item in self.items]

    # -- drawing ---------------------------------------------------------------------------

    def _widths(self, width: int) -> tuple[int, int, int, int, int]:
        room = max(30, width - 2)  # the cursor cell and the scrollbar
        act, shop = 6, min(12, max(7, room // 10))
        rest = room - act - shop - ID_WIDTH - 4
        title = max(8, rest * 35 // 100)
        return (act, shop, ID_WIDTH, title, max(8, rest - title))

    def _cells(self, item: PlanItem, widths: tuple[int, ...]) -> str:
        act, shop, ident, title, reason = widths
        return " ".join(
            (
                pad(verb(item), act),
                pad(clean(item.shop), shop),
                pad(clean(item.item_id), ident),
                pad(clean(item.title), title),
                pad(why(item), reason),
            )
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        widths = self._widths(width)
        if y == 0:
            header = " " + " ".join(
                pad(label, w)
                for label, w in zip(
                    ("what", "shop", "item id", "title", "why"), widths, strict=True
                )
            )
            style = base + self.get_component_rich_style("plan-list--header")
            return Strip([Segment(header, style)]).adjust_cell_length(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if not self.items:
            text = f" {self.empty_text}" if y == 1 else ""
            return Strip([Segment(text, base)]).adjust_cell_length(width, base)
        if index >= len(self.items):
            return Strip.blank(width, base)
        item = self.items[index]
        row_style = base
        if item.skip is Skip.CAP:
            row_style += self.get_component_rich_style("plan-list--refused")
        elif item.skip is not None:
            row_style += self.get_component_rich_style("plan-list--skip")
        verb_style = row_style
        if item.planned:
            verb_style = row_style + self.get_component_rich_style("plan-list--send")
        if index == self.cursor:
            cursor = self.get_component_rich_style("plan-list--cursor")
            row_style, verb_style = row_style + cursor, verb_style + cursor
        text = self._cells(item, widths)
        first = widths[0]
        segments = [
            Segment(">" if index == self.cursor else " ", row_style),
            Segment(text[:first], verb_style),
            Segment(text[first:], row_style),
        ]
        return Strip(segments).adjust_cell_length(width, row_style)

    # -- keys ------------------------------------------------------------------------------

    def _page(self) -> int:
        return max(1, self.size.height - 2)

    def _set_cursor(self, index: int) -> None:
        if not self.items:
            return
        self.cursor = max(0, min(len(self.items) - 1, index))
        top = int(self.scroll_offset.y)
        visible = max(1, self.size.height - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Moved(self))

    def action_move(self, delta: int) -> None:
        self._set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self.cursor + direction * self._page())

    def action_jump(self, index: int) -> None:
        self._set_cursor(index if index >= 0 else len(self.items) - 1)
