"""The item table: a line-API widget over SQLite that scrolls a million rows like a hundred.

Like Toolong and textual-fastdatatable it is a `ScrollView` with a virtual height of the row
count and a `render_line` that draws only what is on screen. Rows come in blocks (`rows.py`)
read by the loader thread and kept in an LRU keyed by view (filter, sort, data generation) and
position; the blocks around the viewport are prefetched, so paging through the result meets
rows that are already there.

After a sync the table re-reads in place (Dolphie): the old rows stay on screen until the new
ones arrive, the cursor stays on the same item (found again by key), marks are by key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from shelf_tui.domain import Item
from shelf_tui.store import Cursor, Sort, Sql
from shelf_tui.store.items import SORTS
from shelf_tui.ui import columns as cols_mod
from shelf_tui.ui import fmt
from shelf_tui.ui import rows as rows_mod
from shelf_tui.ui.loader import BACKGROUND, COUNT, PREFETCH, VISIBLE, Task
from shelf_tui.ui.marks import MarkCounts, MarkOp
from shelf_tui.ui.rows import BLOCK, Block, View
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import pad

#: Sort columns whose natural first look is the largest value (the newest change, the dearest).
_NEWEST_FIRST = frozenset({"modified", "price"})
_TAGS = ("violation", "seller", "active", "soldout", "review", "muted", "zero", "urgent", "mark")


class ColumnHeader(Widget):
    """The column titles above the table, with the sort column's arrow."""

    DEFAULT_CSS = """
    ColumnHeader { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._strip: Strip | None = None

    def show(self, strip: Strip) -> None:
        self._strip = strip
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._strip is None or y:
            return Strip.blank(width, self.rich_style)
        return self._strip.adjust_cell_length(width, self.rich_style)


class ItemTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Items of one view, a cursor row, marks. See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="items.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="items.down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="items.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="items.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="items.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="items.last"),
        Binding("space", "toggle_mark", "Mark", id="items.mark"),
        Binding("v", "range_mark", "Range", show=False, id="items.range"),
        Binding("asterisk", "mark_all", "Mark all", id="items.mark_all", key_display="*"),
        Binding("u", "clear_marks", "Unmark", show=False, id="items.clear_marks"),
        Binding("s", "next_sort", "Sort", show=False, id="items.sort"),
        Binding("S", "flip_sort", "Reverse", show=False, id="items.sort_reverse"),
        Binding("enter", "open", "Detail", id="items.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "item-table--cursor",
        "item-table--range",
        "item-table--placeholder",
        "item-table--header",
        *(f"item-table--{t}" for t in _TAGS),
    }

    DEFAULT_CSS = """
    ItemTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    class Changed(Message):
        """Counts, sort, cursor or marks changed: the screen re-titles itself."""

        def __init__(self, table: ItemTable) -> None:
            super().__init__()
            self.table = table

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, table: ItemTable, item: Item) -> None:
            super().__init__()
            self.table = table
            self.item = item

    def __init__(
        self,
        session: Session,
        *,
        base: Sql | None = None,
        filter_where: Sql | None = None,
        sort: Sort | None = None,
        columns: tuple[cols_mod.Column, ...] = cols_mod.COLUMNS,
        header: ColumnHeader | None = None,
        block: int = BLOCK,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.session = session
        self.base = base or Sql()
        self.filter_where = filter_where or Sql()
        self.block = block
        self.columns = columns
        self.header = header
        self.view = View(self.base.and_(self.filter_where), sort or Sort(), session.generation)
        self.total: int | None = None
        self.total_all: int | None = None
        self.rows_known = 0
        self._previous_rows = 0  # during an in-place refresh: the old count, until the new
        self.cursor = 0
        self.mark_counts: MarkCounts | None = None
        self.loading_sort: str | None = None  # a sort column whose index is being built
        self._blocks: LRUCache[tuple[Any, int], Block] = LRUCache(256)
        self._fallback: tuple[Any, ...] | None = None
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._anchor: tuple[int, Cursor] | None = None
        self._layout: tuple[cols_mod.Column, ...] = ()
        self._layout_width = 0
        self._styles: dict[str, Style] = {}
        self._pending_locate: tuple[str, str] | None = None
        self._screen_row: int | None = None
        self._cursor_key: tuple[str, str] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def on_mount(self) -> None:
        self.session.listen(self)
        self._reload(counts=True)

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()
        self._request_visible()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._strips.clear()
        self._layout = ()  # rebuilt (with the header's new style) on the next render

    # -- public API ---------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        if self.total is not None:
            return self.total
        return max(self.rows_known, self._previous_rows)

    def set_filter(self, where: Sql) -> None:
        """Show the items matching `where` (within the table's base), from the top."""
        self.filter_where = where
        self._set_view(View(self.base.and_(where), self.view.sort, self.session.generation))

    def set_sort(self, sort: Sort) -> None:
        """Re-sort, from the top. A sort whose index does not exist yet builds it first on the
        loader thread (about a second at a million rows), while the old order stays up."""
        if sort.index_sql is None:
            self._set_view(View(self.view.where, sort, self.session.generation))
            return
        self.loading_sort = sort.column
        self.post_message(self.Changed(self))
        items = self.session.items

        def done(_: None) -> None:
            if self.loading_sort == sort.column:
                self.loading_sort = None
            self._set_view(View(self.view.where, sort, self.session.generation))

        self.session.submit(
            Task(lambda: items.ensure_sort(sort), done, VISIBLE, ("sort", id(self)))
        )

    def item_at(self, index: int) -> Item | None:
        """The item at a position of the current view (None while its block is loading)."""
        found = self._row(index, fallback=False)
        return None if found is None else found[0].items[found[1]]

    @property
    def cursor_item(self) -> Item | None:
        return self.item_at(self.cursor)

    def visible_items(self) -> list[Item]:
        """The items drawn on screen now, top to bottom (tests read the table through this)."""
        out: list[Item] = []
        top = int(self.scroll_y)
        for index in range(top, min(top + self.size.height, self.row_count)):
            item = self.item_at(index)
            if item is not None:
                out.append(item)
        return out

    def is_marked(self, index: int) -> bool | None:
        found = self._row(index, fallback=False)
        if found is None:
            return None
        block, offset = found
        return bool(block.marked[offset]) if block.marked else False

    def summary(self, noun: str = "Items") -> str:
        """The honest title: 'Items 3,214 of 98,120 · 57 marked · 12 hidden by filter'."""
        if self.total is None:
            shown = f"{fmt.count(self.rows_known)}+" if self.rows_known else "…"
        else:
            shown = fmt.count(self.total)
        parts = [f"{noun} {shown}"]
        if self.total_all is not None and (self.filter_where.where != "1"):
            parts[0] += f" of {fmt.count(self.total_all)}"
        counts = self.mark_counts
        if counts is None:
            if self.session.mark_seq:
                parts.append("marks: counting…")
        elif counts.marked:
            parts.append(f"{fmt.count(counts.marked)} marked")
            if counts.hidden:
                parts.append(f"{fmt.count(counts.hidden)} hidden by filter")
        if self._anchor is not None:
            parts.append("range: move, v to mark")
        if self.loading_sort is not None:
            parts.append(f"sorting by {self.loading_sort.replace('_', ' ')}…")
        return " · ".join(parts)

    def data_changed(self) -> None:
        """The store changed (sync): re-read in place, keep the cursor's item under it."""
        # The item the seller last had under the cursor (the rows around it may already show
        # newer data than the position we found it at, so trust the key, not the row).
        item = self.cursor_item
        keep = self._pending_locate or self._cursor_key or (item.key if item else None)
        if self._pending_locate is None and self.cursor == 0 and not self.scroll_y:
            keep = None  # at the top, the seller watches the top: new rows appear there
        self._fallback = self.view.key
        self.view = replace(self.view, generation=self.session.generation)
        self._reload(counts=True, keep=keep)

    def marks_changed(self, op: MarkOp, seq: int, own: bool) -> None:
        if not own:
            self._patch_marks(op, seq)
        self._request_mark_counts()
        self.refresh()

    # -- view changes -------------------------------------------------------------------

    def _set_view(self, view: View) -> None:
        old = self.view.key
        sorted_again = view.sort != self.view.sort
        self._pending_locate = None
        self._cursor_key = None
        self._screen_row = None
        self.view = view
        self._fallback = None
        self._anchor = None
        self.cursor = 0
        self.total = None  # before scrolling: the scroll asks for blocks of the new view
        self.rows_known = 0
        self.session.interrupt(lambda task: task.view_key == old)
        self.scroll_to(y=0, animate=False, immediate=True)
        if sorted_again:
            self._relayout()  # the header's arrow moves
        self._reload(counts=False)

    def _reload(self, *, counts: bool, keep: tuple[str, str] | None = None) -> None:
        self._previous_rows = self.row_count if keep is not None else 0
        self.total = None
        self.rows_known = 0
        self._strips.clear()
        # Rows first: the loader runs tasks in priority order, but one already running
        # (the thread picks the first task at once) is only interrupted for a count.
        if keep is not None:
            self._locate(keep)
        else:
            self._request_visible()
        self._request_count()
        if counts and self.filter_where.where != "1":
            self._request_total_all()
        self._request_mark_counts()
        self._update_virtual_size()
        self.post_message(self.Changed(self))

    def _view_task(self, run: Any, done: Any, priority: int, key: Any) -> Task:
        view_key = self.view.key
        return Task(
            run, done, priority, key, stale=lambda: self.view.key != view_key, view_key=view_key
        )

    def _request_count(self) -> None:
        view = self.view
        reader = self.session.reader

        def done(total: int) -> None:
            self.total = total
            if self.filter_where.where == "1":
                self.total_all = total  # no filter: the count is the denominator
            self._previous_rows = 0
            self._update_virtual_size()
            self._clamp_cursor()
            self._request_visible()
            self.post_message(self.Changed(self))

        self.session.submit(
            self._view_task(
                lambda: rows_mod.count(reader, view.where), done, COUNT, ("count", id(self))
            )
        )

    def _request_total_all(self) -> None:
        reader = self.session.reader
        base = self.base

        def done(total: int) -> None:
            self.total_all = total
            self.post_message(self.Changed(self))

        self.session.submit(
            Task(lambda: rows_mod.count(reader, base), done, BACKGROUND, ("total_all", id(self)))
        )

    def _request_mark_counts(self) -> None:
        marks = self.session.marks
        where = self.view.where

        def done(counts: MarkCounts) -> None:
            shown = self.mark_counts
            if shown is None or counts.seq >= shown.seq:
                self.mark_counts = counts
                self.post_message(self.Changed(self))

        self.session.submit(
            self._view_task(lambda: marks.counts(where), done, COUNT, ("markcounts", id(self)))
        )

    def _locate(self, key: tuple[str, str]) -> None:
        reader = self.session.reader
        view = self.view
        # Where the cursor sat on screen when the seller last moved it: a string of syncs
        # must not drift it (a placement clamped at the top would otherwise stick).
        if self._screen_row is None:
            self._screen_row = self.cursor - int(self.scroll_y)
        offset = self._screen_row
        self._pending_locate = key

        def done(position: int | None) -> None:
            self._pending_locate = None
            self._cursor_key = key
            if position is not None:
                self.cursor = position
                self.scroll_to(y=max(0, position - offset), animate=False, immediate=True)
            self._request_visible()
            self.refresh()

        self.session.submit(
            self._view_task(
                lambda: rows_mod.locate(reader, view, *key), done, VISIBLE, ("locate", id(self))
            )
        )

    # -- blocks -------------------------------------------------------------------------

    def _block(self, number: int, view_key: tuple[Any, ...] | None = None) -> Block | None:
        return self._blocks.get((view_key or self.view.key, number))

    def _row(self, index: int, fallback: bool = True) -> tuple[Block, int] | None:
        if index < 0:
            return None
        number, offset = divmod(index, self.block)
        block = self._block(number)
        if block is None and fallback and self._fallback is not None:
            block = self._block(number, self._fallback)
        if block is None or offset >= len(block):
            return None
        return block, offset

    def _request_visible(self) -> None:
        if self.session.loader is None:
            return
        top = int(self.scroll_y)
        # Before the first layout the table has no size yet: ask for a screenful anyway.
        height = self.size.height or self.app.size.height
        first = top // self.block
        last = (top + height) // self.block
        limit = self.row_count if self.total is not None else None
        wanted = [(n, VISIBLE) for n in range(first, last + 1)]
        wanted += [(last + 1, PREFETCH), (first - 1, PREFETCH)]
        for number, priority in wanted:
            if number < 0 or (limit is not None and number * self.block >= max(limit, 1)):
                continue
            if self.total is None and number * self.block > self.rows_known:
                continue  # past what we know exists: wait for the count or the previous block
            block = self._block(number)
            if block is None:
                self._request_block(number, priority)
            elif block.mark_seq < self.session.mark_seq:
                self._request_flags(block)
        if self._fallback is not None and all(
            self._block(n) is not None
            for n in range(first, last + 1)
            if limit is None or n * self.block < limit
        ):
            self._fallback = None

    def _request_block(self, number: int, priority: int) -> None:
        view = self.view
        assert self.session.loader is not None
        if self.session.loader.pending(("block", view.key, number)):
            return
        prev = self._block(number - 1)
        nxt = self._block(number + 1)
        after = prev.cursors[-1] if prev is not None and len(prev) == self.block else None
        before = nxt.cursors[0] if nxt is not None and len(nxt) else None
        total = self.total
        items = self.session.items
        reader = self.session.reader
        marks = self.session.marks
        size = self.block

        def run() -> Block:
            block = rows_mod.fetch_block(
                items, view, number, total=total, after=after, before=before, size=size
            )
            hits = rows_mod.rowids_matching(reader, block.rowids, marks.where())
            block.marked = [r in hits for r in block.rowids]
            block.mark_seq = marks.seq
            return block

        def done(block: Block) -> None:
            self._blocks[(block.view, block.number)] = block
            known = number * size + len(block)
            if len(block) < size and self.total is None:
                self.total = known
            self.rows_known = max(self.rows_known, known)
            if self._cursor_key is None and number * size <= self.cursor < known:
                self._cursor_key = block.items[self.cursor - number * size].key
            self._update_virtual_size()
            if block.mark_seq < self.session.mark_seq:
                self._request_flags(block)
            self._request_visible()
            self.refresh()
            self.call_after_refresh(self._prerender)

        task = self._view_task(run, done, priority, ("block", view.key, number))
        task.urgent = priority == VISIBLE
        self.session.submit(task)

    def _request_flags(self, block: Block) -> None:
        key = ("flags", block.view, block.number, self.session.mark_seq)
        assert self.session.loader is not None
        if self.session.loader.pending(key):
            return
        reader = self.session.reader
        marks = self.session.marks
        rowids = list(block.rowids)

        def run() -> tuple[set[int], int]:
            return rows_mod.rowids_matching(reader, rowids, marks.where()), marks.seq

        def done(result: tuple[set[int], int]) -> None:
            hits, seq = result
            if seq >= block.mark_seq:
                block.marked = [r in hits for r in block.rowids]
                block.mark_seq = seq
                self.refresh()

        self.session.submit(Task(run, done, VISIBLE, key))

    def _cached_blocks(self) -> Iterator[Block]:
        for key in list(self._blocks.keys()):
            block = self._blocks.get(key)
            if block is not None:
                yield block

    # -- marks --------------------------------------------------------------------------

    def _patch_marks(self, op: MarkOp, seq: int, span: tuple[int, int] | None = None) -> None:
        """Draw what a mark change certainly did, before the loader confirms it."""
        keys = set(op.keys)
        for block in self._cached_blocks():
            if not block.marked:
                continue
            exact = False
            if op.kind == "clear":
                block.marked = [False] * len(block)
                exact = True
            elif (
                op.kind == "matching"
                and block.view == self.view.key
                and op.where == self.view.where
            ):
                block.marked = [True] * len(block)
                exact = True
            elif op.kind == "set":
                for i, item in enumerate(block.items):
                    if item.key in keys:
                        block.marked[i] = op.on
            elif op.kind == "range" and span is not None and block.view == self.view.key:
                start = block.number * self.block
                for i in range(len(block)):
                    if span[0] <= start + i <= span[1]:
                        block.marked[i] = True
            else:
                continue
            if exact or block.mark_seq == seq - 1:
                block.mark_seq = seq
        self._strips.clear()

    def _mark(self, op: MarkOp, span: tuple[int, int] | None = None) -> None:
        seq = self.session.mark_seq + 1
        self._patch_marks(op, seq, span)
        self.session.mark(op, origin=self)

    def action_toggle_mark(self) -> None:
        found = self._row(self.cursor, fallback=False)
        if found is None:
            return
        block, offset = found
        item = block.items[offset]
        on = not block.marked[offset]
        counts = self.mark_counts
        self._mark(MarkOp("set", (item.key,), on=on))
        if counts is not None:
            self.mark_counts = MarkCounts(
                max(0, counts.marked + (1 if on else -1)), counts.hidden, counts.seq
            )
        self._move_to(self.cursor + 1)
        self.post_message(self.Changed(self))

    def action_mark_all(self) -> None:
        before = self.mark_counts
        self._mark(MarkOp("matching", where=self.view.where))
        if before is not None and before.marked == 0 and self.total is not None:
            self.mark_counts = MarkCounts(self.total, 0, before.seq)
        else:
            self.mark_counts = None
        self.refresh()
        self.post_message(self.Changed(self))

    def action_clear_marks(self) -> None:
        self._anchor = None
        self._mark(MarkOp("clear"))
        self.mark_counts = MarkCounts(0, 0, self.session.mark_seq)
        self.refresh()
        self.post_message(self.Changed(self))

    def action_range_mark(self) -> None:
        found = self._row(self.cursor, fallback=False)
        if found is None:
            return
        block, offset = found
        here = block.cursors[offset]
        if self._anchor is None:
            self._anchor = (self.cursor, here)
        else:
            start, there = self._anchor
            self._anchor = None
            span = (min(start, self.cursor), max(start, self.cursor))
            self._mark(MarkOp("range", where=rows_mod.between(self.view, there, here)), span)
            self.mark_counts = None
        self.refresh()
        self.post_message(self.Changed(self))

    # -- sorting ------------------------------------------------------------------------

    def action_next_sort(self) -> None:
        # Pressed again while an index builds: move on from the sort on its way.
        current = SORTS.index(self.loading_sort or self.view.sort.column)
        column = SORTS[(current + 1) % len(SORTS)]
        self.set_sort(Sort(column, column in _NEWEST_FIRST))

    def action_flip_sort(self) -> None:
        self.set_sort(self.view.sort.flipped())

    # -- cursor -------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        height = max(1, self.size.height)
        target = self.cursor + direction * height
        self.scroll_to(y=self.scroll_y + direction * height, animate=False, immediate=True)
        self._move_to(target)
        self.call_after_refresh(self._prerender)

    def action_jump(self, where: int) -> None:
        if where < 0 and self.total is None:
            return  # the end is not known yet; the count is on its way
        self._move_to(0 if where >= 0 else self.row_count - 1)

    def action_open(self) -> None:
        item = self.cursor_item
        if item is not None:
            self.post_message(self.Opened(self, item))

    def on_click(self, event: events.Click) -> None:
        self._move_to(int(self.scroll_y) + event.y)

    def _move_to(self, index: int) -> None:
        old = self.cursor
        self._screen_row = None
        self.cursor = max(0, min(index, self.row_count - 1))
        item = self.cursor_item
        self._cursor_key = item.key if item else None
        self._scroll_to_cursor()
        if self._anchor is not None:
            self.refresh()
        else:
            self.refresh_line(old)
            self.refresh_line(self.cursor)
        if old != self.cursor:
            self.post_message(self.Changed(self))

    def _clamp_cursor(self) -> None:
        if self.cursor >= self.row_count:
            self.cursor = max(0, self.row_count - 1)

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.size.height)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self._request_visible()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._request_visible()

    # -- drawing ------------------------------------------------------------------------

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count)

    def _relayout(self, width: int | None = None) -> None:
        width = width or self.scrollable_content_region.width or self.size.width
        self._layout = cols_mod.layout(width, self.columns)
        self._layout_width = width
        self._strips.clear()
        if self.header is not None:
            style = self.get_component_rich_style("item-table--header")
            self.header.show(
                cols_mod.header_strip(
                    self._layout, self.view.sort.column, self.view.sort.descending, width, style
                )
            )
        self.refresh()

    def _style(self, name: str) -> Style:
        if not self._styles:
            self._styles = {
                t: self.get_component_rich_style(f"item-table--{t}", partial=True) for t in _TAGS
            }
            for name_ in ("cursor", "range", "placeholder"):
                self._styles[f"_{name_}"] = self.get_component_rich_style(f"item-table--{name_}")
            self._styles["_base"] = self.rich_style
        return self._styles[name]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        index = int(self.scroll_y) + y
        base = self._style("_base")
        if not self._layout or width != self._layout_width:
            self._relayout(width)
        if index >= self.row_count:
            return self._empty_line(y, width, base)
        strip = self._row_strip(index, width, base)
        if strip is None:
            self._request_visible()
            return cols_mod.placeholder_strip(width, self._style("_placeholder"))
        return strip

    def _row_strip(self, index: int, width: int, base: Style) -> Strip | None:
        """The row at `index` drawn (from the strip cache when it is there); None while its
        block is loading."""
        found = self._row(index)
        if found is None:
            return None
        block, offset = found
        marked = bool(block.marked[offset]) if block.marked else False
        cursor = index == self.cursor
        in_range = self._anchor is not None and (
            min(self._anchor[0], self.cursor) <= index <= max(self._anchor[0], self.cursor)
        )
        now = self.session.now()
        key = (block.view, index, marked, cursor, in_range, width, now // 60)
        strip = self._strips.get(key)
        if strip is None:
            row_style = base
            if in_range:
                row_style = base + self._style("_range")
            if cursor:
                row_style = base + self._style("_cursor")
            self._style("mark")  # fills the style table on first use
            strip = cols_mod.row_strip(
                block.items[offset],
                self._layout,
                width=width,
                now=now,
                base=row_style,
                styles=self._styles,
                cursor=cursor,
                marked=marked,
            )
            self._strips[key] = strip
        return strip

    def _prerender(self) -> None:
        """Draw the screenfuls above and below into the strip cache while the seller reads
        this one, so a page-down only has to hand Textual finished rows."""
        width = self._layout_width
        if not width or not self._layout:
            return
        base = self._style("_base")
        top, height = int(self.scroll_y), self.size.height
        for index in range(max(0, top - height), min(self.row_count, top + 2 * height)):
            if not top <= index < top + height:
                self._row_strip(index, width, base)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        message = ""
        if self.total == 0 and y == 0:
            # No filter: the view is everything, so an empty view is an empty store (whether
            # the first block or the count said so first: the picture must not depend on it).
            if self.filter_where.where == "1":
                message = (
                    "  No items yet: r syncs your shops, ctrl+s adds one, or try `shelf demo`."
                )
            else:
                message = "  No items match this filter. Press / to change it, esc to clear it."
        return Strip([Segment(pad(message, width), base)], width)
