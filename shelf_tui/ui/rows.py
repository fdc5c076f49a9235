"""The item table's data, read in blocks around the viewport.

Everything here runs on the loader thread against the browser's own connection (see
`loader.py`): a block of rows is fetched with a keyset cursor from a neighbouring block when one
is cached (O(page) however deep), and with an index walk (`page_at`) only for jumps, from
whichever end of the result is nearer. A `View` (filter + sort + data generation) keys every
cached block, so a new filter, sort or sync never shows a stale row as current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shelf_tui.domain import Item
from shelf_tui.store import Cursor, Page, Sort, Sql, Store
from shelf_tui.store.items import Items

#: Rows per block: one query fetches a block; a 30-row screen spans one or two.
BLOCK = 100


@dataclass(frozen=True, slots=True)
class View:
    """What a table shows: a WHERE clause over items, a sort order, and the data generation
    it was read at (bumped after every sync, so blocks of older data are never mixed in)."""

    where: Sql
    sort: Sort
    generation: int = 0

    @property
    def key(self) -> tuple[Any, ...]:
        return (
            self.where.where,
            self.where.params,
            self.sort.column,
            self.sort.descending,
            self.generation,
        )


@dataclass(slots=True)
class Block:
    """`BLOCK` consecutive rows of a view (fewer at the end), with their mark flags as of
    marks state `mark_seq`."""

    view: tuple[Any, ...]
    number: int
    items: list[Item]
    cursors: list[Cursor]
    rowids: list[int]
    marked: list[bool] = field(default_factory=list)
    mark_seq: int = -1

    def __len__(self) -> int:
        return len(self.items)


class BrowseItems(Items):
    """`Items` for the browser's own connection: a sort's lazy index is created once (by
    `ensure_sort` on a worker), not re-checked inside a write transaction on every page, so
    paging never waits behind a sync that holds the write lock."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.conn)
        self._ensured: set[str] = set()

    def ensure_sort(self, sort: Sort) -> None:
        if sort.column not in self._ensured:
            super().ensure_sort(sort)
            self._ensured.add(sort.column)


def _ordered(page: Page) -> tuple[list[Item], list[Cursor], list[int]]:
    return list(page.items), list(page.cursors), list(page.rowids)


def fetch_block(
    items: BrowseItems,
    view: View,
    number: int,
    *,
    total: int | None,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = BLOCK,
) -> Block:
    """Rows [number*size, (number+1)*size) of `view`.

    `after` is the last cursor of block number-1 and `before` the first cursor of block
    number+1, when those are cached: then one keyset query suffices. Otherwise the block is
    reached by walking the sort index from the nearer end (`total` known) or the start.
    """
    start = number * size
    if after is not None or number == 0:
        page = items.page(sort=view.sort, after=after, limit=size, where=view.where)
        rows = _ordered(page)
    elif before is not None:
        page = items.page(sort=view.sort, before=before, limit=size, where=view.where)
        rows = _ordered(page)
    elif total is not None and start > total // 2:
        count = max(0, min(size, total - start))
        offset = max(0, total - start - count)
        page = items.page_at(sort=view.sort.flipped(), offset=offset, limit=count, where=view.where)
        got = _ordered(page)
        rows = (got[0][::-1], got[1][::-1], got[2][::-1])
    else:
        page = items.page_at(sort=view.sort, offset=start, limit=size, where=view.where)
        rows = _ordered(page)
    found, cursors, rowids = rows
    return Block(view.key, number, found, cursors, rowids)


def count(store: Store, where: Sql) -> int:
    return int(
        store.conn.scalar(f"SELECT count(*) FROM {where.table} WHERE {where.where}", where.params)
    )


def locate(store: Store, view: View, shop: str, item_id: str) -> int | None:
    """The position of an item in `view` (None when the view does not hold it): how the
    cursor stays on the same item after a sync moved it."""
    keys = ", ".join(view.sort.keys)
    row = store.conn.query(
        f"SELECT {keys} FROM items WHERE shop = ? AND item_id = ? AND ({view.where.where})",
        (shop, item_id, *view.where.params),
    )
    if not row:
        return None
    cursor = tuple(row[0])
    op = ">" if view.sort.descending else "<"
    return int(
        store.conn.scalar(
            f"SELECT count(*) FROM {view.where.table} WHERE ({view.where.where}) "
            f"AND ({keys}) {op} ({', '.join('?' * len(cursor))})",
            (*view.where.params, *cursor),
        )
    )


def between(view: View, a: Cursor, b: Cursor) -> Sql:
    """The rows of `view` from cursor `a` to cursor `b` inclusive, in either order."""
    lo, hi = (a, b) if a <= b else (b, a)
    keys = ", ".join(view.sort.keys)
    marks = ", ".join("?" * len(lo))
    return view.where.and_(Sql(f"({keys}) >= ({marks}) AND ({keys}) <= ({marks})", (*lo, *hi)))


def rowids_matching(store: Store, rowids: Sequence[int], where: Sql) -> set[int]:
    """Which of these rows satisfy `where` (mark flags of a block)."""
    if not rowids or where.where == "0":
        return set()
    rows = store.conn.query(
        f"SELECT rowid FROM items WHERE rowid IN ({','.join('?' * len(rowids))}) "
        f"AND ({where.where})",
        (*rowids, *where.params),
    )
    return {int(r[0]) for r in rows}
