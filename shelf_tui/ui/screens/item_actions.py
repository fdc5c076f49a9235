"""`L` list (上架) and `D` delist (下架) on the screens that show items: act on the marked
items, else on the one under the cursor (k9s' "act on marked, else current").

A base class rather than code in each screen, so the browser, the failed-items view and the
detail share one rule for what an action acts on and one read-only check (the verbs are
hidden, not just refused, in read-only mode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from shelf_tui.domain import Action
from shelf_tui.jobs.plan import Key
from shelf_tui.ui.jobs_service import Selection, SelectionSource
from shelf_tui.ui.session import Session

if TYPE_CHECKING:
    from shelf_tui.ui.widgets.item_table import ItemTable

#: The actions below, as bindings name them.
ITEM_ACTIONS = ("list_items", "delist_items")


def table_selection(session: Session, table: ItemTable) -> SelectionSource:
    """The marks (with how many the table's filter hides), else the cursor row as it is at
    the key press (the seller may move on while the marks resolve)."""
    cursor = table.cursor_item
    where = table.view.where
    marks = session.marks

    async def select() -> Selection | None:
        def run() -> tuple[dict[str, list[str]], int] | None:
            keys = marks.keys()
            if not keys:
                return None
            return keys, marks.counts(where).hidden

        found = await session.run(run)
        if found is not None:
            keys, hidden = found
            flat = tuple((shop, item_id) for shop, ids in keys.items() for item_id in ids)
            return Selection(flat, hidden, from_marks=True)
        if cursor is None:
            return None
        return Selection((cursor.key,))

    return select


class ItemActionsScreen(Screen[None]):
    """A screen with `L`/`D`: subclasses bind them and may say what they act on."""

    session: Session

    def job_selection(self) -> SelectionSource:
        """What L/D act on here: by default the `#items` table's marks, else its cursor."""
        from shelf_tui.ui.widgets.item_table import ItemTable

        return table_selection(self.session, self.query_one("#items", ItemTable))

    def _jobs_read_only(self) -> bool:
        return self.session.read_only or self.session.config.read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in ITEM_ACTIONS and self._jobs_read_only())

    def _request(self, action: Action, key: str) -> None:
        jobs = getattr(self.app, "jobs", None)
        if jobs is not None:
            jobs.request(action, self.job_selection(), key=key)

    def action_list_items(self) -> None:
        self._request(Action.LIST, "L")

    def action_delist_items(self) -> None:
        self._request(Action.DELIST, "D")

    # -- CSV -------------------------------------------------------------------------------

    def action_import_csv(self) -> None:
        """Mark the items a CSV lists (after every row checks out); L/D then act on them."""
        from shelf_tui.ui.marks import MarkOp
        from shelf_tui.ui.screens.csv_dialog import CsvImportScreen, Imported

        def done(result: Imported | None) -> None:
            if result is None:
                return
            self.session.mark(MarkOp("set", result.keys))
            shops = ", ".join(f"{shop} {n:,}" for shop, n in result.by_shop.items())
            note = (
                " (its reason column is not used: L/D ask for one)"
                if result.reasons_ignored
                else ""
            )
            self.notify(
                f"Marked {len(result.keys):,} items from {result.path.name} ({shops}){note}. "
                "L lists, D delists them.",
                markup=False,
                timeout=8,
            )

        self.app.push_screen(CsvImportScreen(self.session), done)

    def action_export_csv(self) -> None:
        from shelf_tui.ui.widgets.item_table import ItemTable

        self._export(self.query_one("#items", ItemTable))

    @work(group="csv-export-open", exclusive=True, exit_on_error=False)
    async def _export(self, table: ItemTable) -> None:
        from shelf_tui.ui.screens.csv_dialog import CsvExportScreen

        session = self.session
        marks = session.marks
        reader = session.reader
        view = table.view
        counts = await session.run(lambda: marks.counts(view.where))

        async def collect(scope: str) -> list[Key]:
            if scope == "marks":
                keys = await session.run(marks.keys)
                return [(shop, item_id) for shop, ids in keys.items() for item_id in ids]

            def matching() -> list[Key]:
                where = view.where
                rows = reader.conn.query(
                    f"SELECT shop, item_id FROM {where.table} WHERE {where.where} "
                    f"ORDER BY {view.sort.order_by()}",
                    where.params,
                )
                return [(r[0], r[1]) for r in rows]

            return await session.run(matching)

        stamp = session.clock().strftime("%Y%m%d-%H%M")
        kind = "marked" if counts.marked else "items"

        def done(line: str | None) -> None:
            if line:
                self.notify(line, markup=False, timeout=8)

        self.app.push_screen(
            CsvExportScreen(
                session,
                marked=counts.marked,
                matching=table.total,
                collect=collect,
                default_path=f"shelf-{kind}-{stamp}.csv",
            ),
            done,
        )
