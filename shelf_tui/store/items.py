"""Items: batched upserts, filtered counts and keyset-paged queries in any browser sort order.

Paging is keyset (`(sort value, rowid) > cursor`), never OFFSET, for walking a result set: a
page 500,000 rows deep costs the same as the first. `page_at` (OFFSET over the sort index) is
only for jumping to an arbitrary position, e.g. a dragged scrollbar, where no cursor exists.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shelf_tui.domain import Item, Reason, Sku, Status, from_epoch, to_epoch
from shelf_tui.store.base import Connection, dumps, loads
from shelf_tui.store.filters import Filter, Sql, compile_filter

COLUMNS = (
    "shop",
    "item_id",
    "title",
    "outer_id",
    "status",
    "reason",
    "stock",
    "price",
    "currency",
    "raw_status",
    "raw_sub_status",
    "sku_count",
    "skus",
    "locked_until",
    "lock_message",
    "deadline",
    "modified",
    "listed_at",
    "delisted_at",
    "synced_at",
    "url",
    "extra",
)
_SELECT = "rowid, " + ", ".join(COLUMNS)
_COMPARED = [c for c in COLUMNS[2:] if c != "synced_at"]
# An unchanged row is not rewritten (a resync of a million unchanged items touches no index);
# synced_at then keeps the time of the sync that last changed the row.
UPSERT_SQL = (
    f"INSERT INTO items ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT(shop, item_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])
    + f" WHERE ({', '.join(f'items.{c}' for c in _COMPARED)}) IS NOT "
    + f"({', '.join(f'excluded.{c}' for c in _COMPARED)})"
)
#: Above this many rows, and when the batch is large against the table, an upsert drops the
#: secondary indexes, writes, and rebuilds them in the same transaction: rebuilding sorts
#: once, which beats a million random index insertions by about 2x.
BULK_ROWS = 50_000


# Sort orders of the browser: the key columns (every one NOT NULL) and the index that serves
# them. The key always ends in something unique, so keyset paging never skips or repeats a
# row: rowid, or item_id where (shop, item_id) is the unique key. Indexes marked lazy are
# created the first time a seller sorts by that column (one-off cost; see schema.py).
_SORT_KEYS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "modified": (("modified", "items.rowid"), None),
    "shop": (("shop", "item_id"), None),
    "status": (("status", "reason", "modified", "items.rowid"), None),
    "reason": (
        ("reason", "items.rowid"),
        "CREATE INDEX IF NOT EXISTS items_sort_reason ON items(reason)",
    ),
    "title": (
        ("title", "items.rowid"),
        "CREATE INDEX IF NOT EXISTS items_sort_title ON items(title)",
    ),
    "item_id": (
        ("item_id", "items.rowid"),
        "CREATE INDEX IF NOT EXISTS items_sort_item_id ON items(item_id)",
    ),
    "stock": (
        ("stock", "items.rowid"),
        "CREATE INDEX IF NOT EXISTS items_sort_stock ON items(stock)",
    ),
    "price": (
        ("price", "items.rowid"),
        "CREATE INDEX IF NOT EXISTS items_sort_price ON items(price)",
    ),
    # Alerts: few rows carry a deadline, so no index; items without one sort last.
    "deadline": (("IFNULL(deadline, 253402300799)", "items.rowid"), None),
}
SORTS = tuple(_SORT_KEYS)
#: Sort orders an index can serve (the deadline order is an expression over a few rows).
_INDEXED_SORTS = tuple(c for c in SORTS if c != "deadline")


@dataclass(frozen=True, slots=True)
class Sort:
    column: str = "modified"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.column not in _SORT_KEYS:
            raise ValueError(f"cannot sort by {self.column!r} (one of {', '.join(SORTS)})")

    @property
    def keys(self) -> tuple[str, ...]:
        return _SORT_KEYS[self.column][0]

    @property
    def index_sql(self) -> str | None:
        return _SORT_KEYS[self.column][1]

    def order_by(self, reverse: bool = False) -> str:
        direction = "DESC" if self.descending != reverse else "ASC"
        return ", ".join(f"{k} {direction}" for k in self.keys)

    def flipped(self) -> Sort:
        return Sort(self.column, not self.descending)


#: A keyset position: the sort key values of the last row seen (ending in a unique column).
Cursor = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    rowids: list[int]
    cursors: list[Cursor]

    @property
    def last(self) -> Cursor | None:
        return self.cursors[-1] if self.cursors else None

    @property
    def first(self) -> Cursor | None:
        return self.cursors[0] if self.cursors else None

    def __len__(self) -> int:
        return len(self.items)


def item_to_row(item: Item) -> tuple[Any, ...]:
    skus = (
        [
            {
                "sku_id": s.sku_id,
                "properties": s.properties,
                "stock": s.stock,
                "price": s.price,
                "outer_id": s.outer_id,
            }
            for s in item.skus
        ]
        if item.skus
        else None
    )
    return (
        item.shop,
        item.item_id,
        item.title,
        item.outer_id,
        item.status.value,
        item.reason.value,
        int(item.stock),
        float(item.price),
        item.currency,
        item.raw_status,
        item.raw_sub_status,
        len(item.skus),
        dumps(skus),
        to_epoch(item.locked_until),
        item.lock_message,
        to_epoch(item.deadline),
        to_epoch(item.modified) or 0,
        to_epoch(item.listed_at),
        to_epoch(item.delisted_at),
        to_epoch(item.synced_at),
        item.url,
        dumps(dict(item.extra)) if item.extra else None,
    )


def _take(iterator: Iterator[tuple[Any, ...]], n: int) -> Iterator[tuple[Any, ...]]:
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def rows_to_page(rows: Sequence[Sequence[Any]], nkeys: int) -> Page:
    """Rows selected as (sort keys..., rowid, COLUMNS...) -> a Page."""
    return Page(
        items=[row_to_item(r, nkeys + 1) for r in rows],
        rowids=[r[nkeys] for r in rows],
        cursors=[tuple(r[:nkeys]) for r in rows],
    )


def row_to_item(row: Sequence[Any], offset: int = 0) -> Item:
    """Decode a row selected with COLUMNS in order, starting at `offset`."""
    r = row[offset:]
    skus_raw = loads(r[12])
    skus = tuple(
        Sku(
            sku_id=str(s.get("sku_id", "")),
            properties=str(s.get("properties") or ""),
            stock=int(s.get("stock") or 0),
            price=s.get("price"),
            outer_id=str(s.get("outer_id") or ""),
        )
        for s in (skus_raw or [])
    )
    return Item(
        shop=r[0],
        item_id=r[1],
        title=r[2],
        outer_id=r[3],
        status=Status(r[4]),
        reason=Reason(r[5]),
        stock=r[6],
        price=r[7],
        currency=r[8],
        raw_status=r[9],
        raw_sub_status=r[10],
        skus=skus,
        locked_until=from_epoch(r[13]),
        lock_message=r[14],
        deadline=from_epoch(r[15]),
        modified=from_epoch(r[16]) if r[16] else None,
        listed_at=from_epoch(r[17]),
        delisted_at=from_epoch(r[18]),
        synced_at=from_epoch(r[19]),
        url=r[20],
        extra=loads(r[21]) or {},
    )


class Items:
    """The `items` table."""

    #: A page of a scan filter (Sql.scan: text, negations, price or stock ranges) is first
    #: looked for among the next `limit * factor` rows in sort order (at most `probe_max`),
    #: walking the sort index from the cursor: a word most items match fills its page there
    #: in a few ms instead of the ~0.2 s full scan at 1M rows. When the window holds fewer
    #: than a page of matches and more rows follow it, the page comes from the full scan.
    probe_factors: tuple[int, ...] = (10, 100)
    probe_max = 25_000

    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._ensured: set[str] = set()
        #: Sort columns whose order an index serves (a probe walks that index).
        self._indexed: set[str] = {c for c in _INDEXED_SORTS if _SORT_KEYS[c][1] is None}

    # -- writes -------------------------------------------------------------------------

    def upsert(self, items: Iterable[Item], *, bulk: bool | None = None) -> int:
        """Insert or update items in ONE transaction (committing per batch is 10x slower).
        Returns the number of rows offered."""
        return self.upsert_rows((item_to_row(i) for i in items), bulk=bulk)

    def upsert_rows(
        self, rows: Iterable[tuple[Any, ...]], *, bulk: bool | None = None, chunk: int = 20_000
    ) -> int:
        """Like upsert, for rows already encoded with `item_to_row` (sync, loaders, benches).
        `bulk=None` decides from the size of the first chunk against the table."""
        total = 0
        iterator = iter(rows)
        with self._c.transaction() as raw:
            first = list(_take(iterator, chunk))
            if bulk is None:
                bulk = len(first) >= min(chunk, BULK_ROWS) and len(first) * 4 >= self._estimate(raw)
            rebuild = self._drop_indexes(raw) if bulk else []
            batch = first
            while batch:
                raw.executemany(UPSERT_SQL, batch)
                total += len(batch)
                batch = list(_take(iterator, chunk))
            for sql in rebuild:
                raw.execute(sql)
            if bulk:
                # Fresh statistics, so the planner picks the right index for each filter.
                raw.execute("PRAGMA analysis_limit = 1000")
                raw.execute("ANALYZE items")
        return total

    @staticmethod
    def _estimate(raw: Any) -> int:
        # max(rowid) is O(1) and close enough to the row count to choose a strategy.
        return int(raw.execute("SELECT IFNULL(max(rowid), 0) FROM items").fetchone()[0])

    @staticmethod
    def _drop_indexes(raw: Any) -> list[str]:
        rows = raw.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in rows:
            raw.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def upsert_diff(self, items: Sequence[Item]) -> list[tuple[Item | None, Item]]:
        """Upsert a batch of one shop's items and return (before, after) for every item that
        is new or whose status, reason, stock or price changed: what sync turns into
        `platform` events on the timeline."""
        if not items:
            return []
        shop = items[0].shop
        changes: list[tuple[Item | None, Item]] = []
        with self._c.transaction() as raw:
            before = self.get_many(shop, [i.item_id for i in items])
            for item in items:
                old = before.get(item.item_id)
                if old is None or (old.status, old.reason, old.stock, old.price) != (
                    item.status,
                    item.reason,
                    item.stock,
                    item.price,
                ):
                    changes.append((old, item))
            raw.executemany(UPSERT_SQL, [item_to_row(i) for i in items])
        return changes

    def set_state(
        self,
        shop: str,
        item_id: str,
        *,
        status: Status,
        reason: Reason,
        raw_status: str | None = None,
        raw_sub_status: str | None = None,
        modified: int | None = None,
        stock: int | None = None,
    ) -> None:
        """Record a state the platform confirmed (after a job's call), without a full resync."""
        now = int(time.time())
        sets = ["status = ?", "reason = ?", "modified = ?"]
        params: list[Any] = [status.value, reason.value, modified or now]
        if raw_status is not None:
            sets.append("raw_status = ?")
            params.append(raw_status)
        if raw_sub_status is not None:
            sets.append("raw_sub_status = ?")
            params.append(raw_sub_status)
        if stock is not None:
            sets.append("stock = ?")
            params.append(stock)
        if status is Status.ACTIVE:
            sets.append("listed_at = ?")
            params.append(modified or now)
        elif status is Status.INACTIVE:
            sets.append("delisted_at = ?")
            params.append(modified or now)
        with self._c.transaction() as raw:
            raw.execute(
                f"UPDATE items SET {', '.join(sets)} WHERE shop = ? AND item_id = ?",
                (*params, shop, item_id),
            )

    def delete(self, shop: str, item_ids: Sequence[str]) -> int:
        with self._c.transaction() as raw:
            cur = raw.executemany(
                "DELETE FROM items WHERE shop = ? AND item_id = ?", [(shop, i) for i in item_ids]
            )
            return cur.rowcount

    # -- reads --------------------------------------------------------------------------

    def get(self, shop: str, item_id: str) -> Item | None:
        rows = self._c.query(
            f"SELECT {_SELECT} FROM items WHERE shop = ? AND item_id = ?", (shop, item_id)
        )
        return row_to_item(rows[0], 1) if rows else None

    def get_many(self, shop: str, item_ids: Sequence[str]) -> dict[str, Item]:
        """Items of one shop by id (missing ids are absent from the result)."""
        out: dict[str, Item] = {}
        ids = list(dict.fromkeys(item_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._c.query(
                f"SELECT {_SELECT} FROM items WHERE shop = ? AND item_id IN "
                f"({','.join('?' * len(chunk))})",
                (shop, *chunk),
            )
            for row in rows:
                item = row_to_item(row, 1)
                out[item.item_id] = item
        return out

    def where(
        self,
        flt: Filter | str | None,
        *,
        now: int | None = None,
        shops: Sequence[str] | None = None,
        known_shops: Sequence[str] | None = None,
    ) -> Sql:
        sql = compile_filter(
            flt, now=int(time.time()) if now is None else now, known_shops=known_shops
        )
        if shops is not None:
            sql = sql.and_(Sql(f"shop IN ({','.join('?' * len(shops))})", tuple(shops)))
        return sql

    def count(
        self,
        flt: Filter | str | None = None,
        *,
        now: int | None = None,
        shops: Sequence[str] | None = None,
    ) -> int:
        sql = self.where(flt, now=now, shops=shops)
        query = f"SELECT count(*) FROM {sql.table} WHERE {sql.where}"
        return int(self._c.scalar(query, sql.params))

    def counts_by(
        self, column: str, flt: Filter | str | None = None, *, now: int | None = None
    ) -> dict[str, int]:
        """Counts grouped by shop, status or reason (reports, the header)."""
        if column not in ("shop", "status", "reason"):
            raise ValueError(f"cannot group by {column!r}")
        sql = self.where(flt, now=now)
        rows = self._c.query(
            f"SELECT {column}, count(*) FROM {sql.table} WHERE {sql.where} GROUP BY {column}",
            sql.params,
        )
        return {r[0]: int(r[1]) for r in rows}

    def ensure_sort(self, sort: Sort) -> None:
        """Create the index a sort order needs, once (about a second at a million rows).

        Checked by a read first and remembered, so paging never opens a write transaction
        (which would wait behind a sync). On a read-only connection a missing index is left
        missing: the sort still works, only slower."""
        if sort.index_sql is None or sort.column in self._ensured:
            return
        name = sort.index_sql.split(" ON ")[0].split()[-1]
        exists = self._c.scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        )
        if not exists and not self._c.readonly:
            with self._c.transaction() as raw:
                raw.execute(sort.index_sql)
            exists = 1
        if exists:
            self._indexed.add(sort.column)
        self._ensured.add(sort.column)

    def _select_page(
        self,
        sort: Sort,
        clause: str,
        params: list[Any],
        order: str,
        tail: str,
        table: str = "items",
    ) -> Page:
        n = len(sort.keys)
        rows = self._c.query(
            f"SELECT {', '.join(sort.keys)}, {_SELECT} FROM {table} WHERE {clause} "
            f"ORDER BY {order} {tail}",
            params,
        )
        return rows_to_page(rows, n)

    def page(
        self,
        flt: Filter | str | None = None,
        sort: Sort | None = None,
        *,
        after: Cursor | None = None,
        before: Cursor | None = None,
        limit: int = 100,
        now: int | None = None,
        where: Sql | None = None,
    ) -> Page:
        """One page in `sort` order, after (or before) a keyset cursor. A page fetched with
        `before` is still returned in `sort` order."""
        sort = sort or Sort()
        self.ensure_sort(sort)
        sql = where if where is not None else self.where(flt, now=now)
        reverse = before is not None
        cursor = before if reverse else after
        params = list(sql.params)
        clause = sql.where
        window, window_params = "1", []
        if cursor is not None:
            if len(cursor) != len(sort.keys):
                raise ValueError("cursor does not belong to this sort order")
            op = "<" if sort.descending != reverse else ">"
            window = f"({', '.join(sort.keys)}) {op} ({', '.join('?' * len(cursor))})"
            window_params = list(cursor)
            clause = f"({clause}) AND {window}"
            params.extend(cursor)
        page = None
        if sql.scan and sort.column in self._indexed:
            page = self._probe(sort, sql, window, window_params, reverse, limit)
        if page is None:
            page = self._select_page(
                sort, clause, [*params, limit], sort.order_by(reverse), "LIMIT ?", sql.table
            )
        if reverse:
            page.items.reverse()
            page.rowids.reverse()
            page.cursors.reverse()
        return page

    def _probe(
        self,
        sort: Sort,
        sql: Sql,
        window: str,
        window_params: list[Any],
        reverse: bool,
        limit: int,
    ) -> Page | None:
        """The page among the next rows in sort order (see `probe_factors`), or None when
        those rows hold fewer than `limit` matches and more rows follow them.

        Exact, not a guess: the first `limit` matches within the first K rows after the
        cursor are the first `limit` matches overall."""
        order = sort.order_by(reverse)
        nearest = f"SELECT items.rowid FROM items WHERE {window} ORDER BY {order} LIMIT ?"
        sizes = sorted({min(limit * f, self.probe_max) for f in self.probe_factors})
        for size in (k for k in sizes if k >= limit):
            page = self._select_page(
                sort,
                f"items.rowid IN ({nearest}) AND ({sql.where})",
                [*window_params, size, *sql.params, limit],
                order,
                "LIMIT ?",
                "items NOT INDEXED",  # rowid lookups of the window, never another index
            )
            if len(page) >= limit:
                return page
            rows = self._c.scalar(f"SELECT count(*) FROM ({nearest})", [*window_params, size])
            if int(rows) < size:
                return page  # the window reached the end: these are all the matches left
        return None

    def page_at(
        self,
        flt: Filter | str | None = None,
        sort: Sort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        now: int | None = None,
        where: Sql | None = None,
    ) -> Page:
        """The page at an absolute position, for jumps (a dragged scrollbar, `G`). Walks the
        sort index for rowids only, then fetches the rows: O(offset) index steps, so use
        `page(after=...)` to move from a known position."""
        sort = sort or Sort()
        self.ensure_sort(sort)
        sql = where if where is not None else self.where(flt, now=now)
        inner = (
            f"items.rowid IN (SELECT items.rowid FROM {sql.table} WHERE {sql.where} "
            f"ORDER BY {sort.order_by()} LIMIT ? OFFSET ?)"
        )
        return self._select_page(
            sort, inner, [*sql.params, limit, max(0, offset)], sort.order_by(), ""
        )

    def keys(
        self,
        flt: Filter | str | None = None,
        *,
        now: int | None = None,
        shops: Sequence[str] | None = None,
        where: Sql | None = None,
    ) -> list[tuple[str, str]]:
        """(shop, item_id) of every matching item: how a `*` mark-all predicate becomes the
        concrete set a job acts on."""
        sql = where if where is not None else self.where(flt, now=now, shops=shops)
        with self._c.lock:
            return list(
                self._c.raw.execute(
                    f"SELECT shop, item_id FROM {sql.table} WHERE {sql.where} "
                    "ORDER BY shop, item_id",
                    sql.params,
                )
            )

    def iter_all(self, shop: str | None = None) -> Iterable[Item]:
        """Every item (of a shop), in key order; for exports and reports."""
        last: tuple[str, str] = ("", "")
        while True:
            params: list[Any] = [*last]
            clause = "(shop, item_id) > (?, ?)"
            if shop is not None:
                clause += " AND shop = ?"
                params.append(shop)
            rows = self._c.query(
                f"SELECT {_SELECT} FROM items WHERE {clause} ORDER BY shop, item_id LIMIT 1000",
                params,
            )
            if not rows:
                return
            for row in rows:
                yield row_to_item(row, 1)
            last = (rows[-1]["shop"], rows[-1]["item_id"])

    def shop_counts(self) -> Mapping[str, int]:
        return self.counts_by("shop")
