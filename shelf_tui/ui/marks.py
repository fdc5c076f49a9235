"""Marks: which items the seller picked, by (shop, item_id), kept as SQL so a million of them
cost nothing in Python.

A mark set is the union of predicates (`*` = "everything matching this filter", stored as the
compiled WHERE clause, never as N ids) and of explicitly marked keys, minus explicitly unmarked
keys; the explicit keys live in TEMP tables of the browser's connection. So marks survive a
refresh, a sort, a filter change and a resync (they name items, not positions), and the title's
"57 marked · 12 hidden by filter" is two COUNTs.

Mutations are `MarkOp`s applied in order on the loader thread (the only user of the browser's
connection); the table patches what it draws at once and the next block read agrees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shelf_tui.store import Sql, Store

_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS mark_add (
    shop TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (shop, item_id)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS mark_del (
    shop TEXT NOT NULL, item_id TEXT NOT NULL, PRIMARY KEY (shop, item_id)
) WITHOUT ROWID;
"""
_IN_ADD = "(shop, item_id) IN (SELECT shop, item_id FROM temp.mark_add)"
_IN_DEL = "(shop, item_id) IN (SELECT shop, item_id FROM temp.mark_del)"


@dataclass(frozen=True, slots=True)
class MarkOp:
    """One change to the mark set: `set` (keys marked, or unmarked when `on` is False),
    `matching` (`*`: add the predicate `where`), `range` (mark the rows `where` selects, as
    keys) or `clear`."""

    kind: str
    keys: tuple[tuple[str, str], ...] = ()
    on: bool = True
    where: Sql | None = None


@dataclass(frozen=True, slots=True)
class MarkCounts:
    """How many items are marked, and how many of those the current filter hides."""

    marked: int
    hidden: int
    seq: int


class MarkStore:
    """The mark set on one connection. Not thread-safe: the loader thread owns it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._predicates: list[Sql] = []
        self._explicit = False
        self._removed = False
        self.seq = 0
        with store.conn.lock:
            store.conn.raw.executescript(_TABLES)
            store.conn.raw.execute("DELETE FROM temp.mark_add")
            store.conn.raw.execute("DELETE FROM temp.mark_del")

    @property
    def empty(self) -> bool:
        return not self._predicates and not self._explicit

    def apply(self, op: MarkOp, seq: int) -> None:
        """Apply one op (idempotent: safe to re-run if a statement was interrupted)."""
        statements: list[tuple[str, tuple[object, ...]]] = []
        if op.kind == "clear":
            statements = [("DELETE FROM temp.mark_add", ()), ("DELETE FROM temp.mark_del", ())]
        elif op.kind == "set":
            add, drop = ("mark_add", "mark_del") if op.on else ("mark_del", "mark_add")
            for key in op.keys:
                statements.append(
                    (f"INSERT OR IGNORE INTO temp.{add}(shop, item_id) VALUES (?, ?)", key)
                )
                statements.append((f"DELETE FROM temp.{drop} WHERE shop = ? AND item_id = ?", key))
        elif op.where is not None:
            if op.kind == "range":
                # A range names concrete rows: they stay marked whatever a sync changes.
                statements.append(
                    (
                        "INSERT OR IGNORE INTO temp.mark_add(shop, item_id) "
                        f"SELECT shop, item_id FROM {op.where.table} WHERE {op.where.where}",
                        op.where.params,
                    )
                )
            if self._removed:
                # Re-mark what was unmarked by hand; walks the (small) unmarked table.
                statements.append(
                    (
                        "DELETE FROM temp.mark_del WHERE EXISTS (SELECT 1 FROM items WHERE "
                        "items.shop = mark_del.shop AND items.item_id = mark_del.item_id "
                        f"AND ({op.where.where}))",
                        op.where.params,
                    )
                )
        self._run(statements)
        # Python state last: an interrupted statement above leaves it untouched.
        if op.kind == "clear":
            self._predicates = []
            self._explicit = self._removed = False
        elif op.kind == "set":
            self._explicit = self._explicit or op.on
            self._removed = self._removed or not op.on
        elif op.kind == "matching" and op.where is not None and op.where not in self._predicates:
            self._predicates.append(op.where)
        elif op.kind == "range":
            self._explicit = True
        self.seq = seq

    def _run(self, statements: list[tuple[str, tuple[object, ...]]]) -> None:
        """Run in one DEFERRED transaction: it writes only TEMP tables, so it never queues
        behind a sync holding the main database's write lock (BEGIN IMMEDIATE would)."""
        conn = self._store.conn
        with conn.lock:
            raw = conn.raw
            raw.execute("BEGIN")
            try:
                for sql, params in statements:
                    raw.execute(sql, params)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")

    def where(self) -> Sql:
        """The marked items as one WHERE clause ('0' when nothing is marked)."""
        parts = [f"({p.where})" for p in self._predicates]
        params: list[object] = [x for p in self._predicates for x in p.params]
        if self._explicit:
            parts.append(_IN_ADD)
        if not parts:
            return Sql("0")
        clause = " OR ".join(parts)
        if self._removed:
            clause = f"({clause}) AND NOT {_IN_DEL}"
        return Sql(clause, tuple(params), any(p.scan for p in self._predicates))

    def counts(self, view_where: Sql) -> MarkCounts:
        """Marked items, and marked items the view's filter hides (marked AND NOT filter)."""
        if self.empty:
            return MarkCounts(0, 0, self.seq)
        conn = self._store.conn
        marked = self.where()
        hidden_where = Sql(
            f"({marked.where}) AND NOT COALESCE(({view_where.where}), 0)",
            (*marked.params, *view_where.params),
            scan=True,  # a negated filter: no index narrows it
        )
        if not self._predicates and not self._removed:
            # Only explicit keys: walk the (small) key table, not the catalog.
            total = int(
                conn.scalar("SELECT count(*) FROM temp.mark_add JOIN items USING (shop, item_id)")
            )
            hidden = int(
                conn.scalar(
                    "SELECT count(*) FROM temp.mark_add JOIN items USING (shop, item_id) "
                    f"WHERE NOT COALESCE(({view_where.where}), 0)",
                    view_where.params,
                )
            )
            return MarkCounts(total, hidden, self.seq)
        total = int(
            conn.scalar(f"SELECT count(*) FROM {marked.table} WHERE {marked.where}", marked.params)
        )
        if view_where.where == "1" or (
            self._predicates == [view_where] and not self._explicit and not self._removed
        ):
            hidden = 0  # everything marked matches the filter: `*` on the current filter
        else:
            hidden = int(
                conn.scalar(
                    f"SELECT count(*) FROM {hidden_where.table} WHERE {hidden_where.where}",
                    hidden_where.params,
                )
            )
        return MarkCounts(total, hidden, self.seq)

    def keys(self) -> dict[str, list[str]]:
        """Every marked item, grouped by shop: what a bulk action acts on (one job per shop,
        so no item is ever sent with another shop's token)."""
        out: dict[str, list[str]] = defaultdict(list)
        if self.empty:
            return {}
        marked = self.where()
        with self._store.conn.lock:
            cur = self._store.conn.raw.execute(
                f"SELECT shop, item_id FROM {marked.table} WHERE {marked.where} "
                "ORDER BY shop, item_id",
                marked.params,
            )
            for shop, item_id in cur:
                out[shop].append(item_id)
        return dict(out)


def unique_keys(keys: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys(keys))
