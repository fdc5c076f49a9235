"""CSV in the console (seed 003's bulk lists kept in Excel).

Import (`i`): a path; the file is read as `shelf down --csv` reads it (UTF-8 with or without
BOM, UTF-16, GB18030; comma, tab or semicolon; an id column named item_id, num_iid, goodsId or
id). Every bad row — unreadable, unknown id, another shop's id, a duplicate, an id two shops
share — is listed in ONE refusal and nothing is marked; otherwise the listed items are marked
and the seller reviews and acts with L/D as usual (the dialog asks the reason).

Export (`e`): the marked items, or the current filter's, to a CSV with the columns of
`shelf items --csv` (so it can be edited and fed back), Excel-friendly (UTF-8 BOM).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, RadioButton, RadioSet, Static

from shelf_tui.jobs import Refusal, resolve_ids
from shelf_tui.jobs.csvio import CsvError, export_items, read_ids
from shelf_tui.jobs.plan import Key
from shelf_tui.ui.session import Session
from shelf_tui.ui.text import clean, fit, one_line

_BOX_CSS = """
    {name} {{ align: center middle; }}
    {name} > Vertical {{
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }}
    {name} .csv-label {{ text-style: bold; margin-top: 1; }}
    {name} Input {{ width: 1fr; }}
    {name} .csv-help {{ color: $text-muted; height: auto; }}
    {name} .csv-result {{ height: auto; text-style: bold; }}
    {name} .csv-result.-error {{ color: $error; }}
"""


#: A refused row's "why" wraps to at most this many lines.
WHY_LINES = 3


def resolve_path(text: str) -> Path:
    """A typed path: ~ expanded, relative to the directory shelf was started in."""
    return Path(os.path.expanduser(text.strip())).absolute()


@dataclass(frozen=True, slots=True)
class Imported:
    """A CSV that can be marked: its keys, per shop counts, and what was not used."""

    path: Path
    keys: tuple[Key, ...]
    by_shop: dict[str, int]
    reasons_ignored: bool


def read_csv_keys(session: Session, path: Path) -> Imported | tuple[str, list[Refusal]]:
    """The file's keys over every shop of this home, or (headline, refusals). Runs in a
    thread (a 100,000-row file takes a moment)."""
    store = session.store
    ids = read_ids(path)
    keys, reasons, refused = resolve_ids(store, store.shops.names(), ids.rows)
    problems = sorted(
        [*ids.problems, *refused], key=lambda r: (r.line if r.line is not None else 0, r.item_id)
    )
    if problems:
        n = len(problems)
        return (
            f"Refused: {n:,} bad row{'s' if n != 1 else ''} in {path.name}; nothing was "
            "marked. Fix the file and import it again.",
            problems,
        )
    by_shop: dict[str, int] = {}
    for shop, _ in keys:
        by_shop[shop] = by_shop.get(shop, 0) + 1
    return Imported(path, tuple(keys), by_shop, bool(reasons))


class CsvImportScreen(ModalScreen[Imported | None]):
    """Dismisses with what to mark, or None. Refusals stay on screen, nothing marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="csv_import.close"),
    ]
    DEFAULT_CSS = (
        _BOX_CSS.format(name="CsvImportScreen")
        + """
    CsvImportScreen #csv-refusals {
        height: auto; max-height: 12; overflow-x: hidden; scrollbar-size-vertical: 1;
    }
    """
    )

    def __init__(self, session: Session) -> None:
        super().__init__(id="csv-import")
        self.session = session
        self.refusals: list[Refusal] = []
        self._drawn_width = 0
        #: Set after each read of a file (tests wait on it).
        self.read_done = asyncio.Event()

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Import a CSV: mark the items it lists"
        with box:
            yield Static("Path", classes="csv-label")
            yield Input(placeholder="e.g. ~/delist.csv", compact=True, id="csv-path")
            yield Static(
                Text(
                    "A header names the id column: item_id, num_iid, goodsId or id (a shop "
                    "column pins rows to a shop). UTF-8, GB18030 or UTF-16; comma or tab. "
                    "enter reads it · esc closes"
                ),
                classes="csv-help",
            )
            yield Static("", id="csv-result", classes="csv-result")
            table: DataTable[Text] = DataTable(
                id="csv-refusals", cursor_type="row", zebra_stripes=False
            )
            table.display = False
            yield table

    def on_mount(self) -> None:
        self.query_one("#csv-path", Input).focus()

    def on_resize(self, event: Resize) -> None:
        if self.refusals and event.size.width != self._drawn_width:
            self._drawn_width = event.size.width
            self.call_after_refresh(self._fill_refusals)  # once the dialog has its new width

    def _say(self, text: str, error: bool = False) -> None:
        result = self.query_one("#csv-result", Static)
        result.update(Text(text))
        result.set_class(error, "-error")

    @on(Input.Submitted, "#csv-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self._say("Type the path of a CSV file.", error=True)
            return
        self._say("Reading…")
        self._read(resolve_path(event.value))

    @work(exclusive=True, group="csv-import", exit_on_error=False)
    async def _read(self, path: Path) -> None:
        try:
            await self._read_file(path)
        finally:
            self.read_done.set()

    async def _read_file(self, path: Path) -> None:
        table = self.query_one("#csv-refusals", DataTable)
        try:
            got = await asyncio.to_thread(read_csv_keys, self.session, path)
        except CsvError as exc:
            self._show_refusals([])
            self._say(one_line(str(exc)), error=True)
            return
        if isinstance(got, Imported):
            if not got.keys:
                self._show_refusals([])
                self._say(f"{path.name} lists no items: nothing was marked.", error=True)
                return
            self.dismiss(got)
            return
        headline, problems = got
        self._show_refusals(problems)
        self._say(headline, error=True)
        table.focus()

    def _show_refusals(self, problems: list[Refusal]) -> None:
        self.refusals = problems
        self.query_one("#csv-refusals", DataTable).display = bool(problems)
        self._fill_refusals()

    def _fill_refusals(self) -> None:
        """The refused rows; "why" takes the width line and id leave, and wraps (up to
        WHY_LINES lines) instead of being cut."""
        table = self.query_one("#csv-refusals", DataTable)
        self._drawn_width = self._drawn_width or self.size.width
        rows = [
            (
                "" if r.line is None else str(r.line),
                fit(clean(r.item_id), 22),
                one_line(r.why),
            )
            for r in self.refusals[:2000]
        ]
        line_w = max([4, *(cell_len(r[0]) for r in rows)])
        id_w = max([2, *(cell_len(r[1]) for r in rows)])
        box = self.query_one(Vertical).content_region.width or 76
        why_w = max(16, box - 1 - line_w - id_w - 6)  # 1: the scrollbar; 6: cell padding
        table.clear(columns=True)
        table.add_column("line", key="line", width=line_w)
        table.add_column("id", key="id", width=id_w)
        table.add_column("why", key="why", width=why_w)
        console = self.app.console
        for n, (line, item_id, why) in enumerate(rows):
            lines = len(Text(why).wrap(console, why_w))
            table.add_row(
                Text(line),
                Text(item_id),
                Text(why),
                key=str(n),
                height=max(1, min(WHY_LINES, lines)),
            )

    def action_close(self) -> None:
        self.dismiss(None)


class CsvExportScreen(ModalScreen[str | None]):
    """Exports the marks or the current filter; dismisses with the one-line result.
    `collect(scope)` ("marks" or "filter") gives the keys: the opener knows the table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="csv_export.close"),
    ]
    DEFAULT_CSS = _BOX_CSS.format(name="CsvExportScreen")

    def __init__(
        self,
        session: Session,
        *,
        marked: int,
        matching: int | None,
        collect: Callable[[str], Awaitable[list[Key]]],
        default_path: str = "",
    ) -> None:
        super().__init__(id="csv-export")
        self.session = session
        self.collect = collect
        self.marked = marked
        self.matching = matching
        self.default_path = default_path
        self._armed: Path | None = None
        #: Set when an attempt to write ends (written or refused).
        self.write_done = asyncio.Event()

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Export items to a CSV"
        with box:
            with RadioSet(id="csv-scope"):
                yield RadioButton(
                    f"the {self.marked:,} marked items", value=self.marked > 0, id="scope-marks"
                )
                shown = "" if self.matching is None else f"{self.matching:,} "
                yield RadioButton(
                    f"the {shown}items of the current filter",
                    value=self.marked == 0,
                    id="scope-filter",
                )
            yield Static("Path", classes="csv-label")
            yield Input(value=self.default_path, compact=True, id="csv-path")
            yield Static(
                Text(
                    "The columns of `shelf items --csv`; opens in Excel (UTF-8 with BOM). "
                    "enter writes · esc closes"
                ),
                classes="csv-help",
            )
            yield Static("", id="csv-result", classes="csv-result")

    def on_mount(self) -> None:
        self.query_one("#scope-marks", RadioButton).disabled = self.marked == 0
        path = self.query_one("#csv-path", Input)
        path.focus()
        path.cursor_position = len(path.value)

    @property
    def scope(self) -> str:
        marks = self.query_one("#scope-marks", RadioButton)
        return "marks" if marks.value and self.marked else "filter"

    def _say(self, text: str, error: bool = False) -> None:
        result = self.query_one("#csv-result", Static)
        result.update(Text(text))
        result.set_class(error, "-error")

    @on(Input.Submitted, "#csv-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self._say("Type the path of the file to write.", error=True)
            return
        path = resolve_path(event.value)
        if path.is_dir():
            self._say(f"{path} is a directory: name a file in it.", error=True)
            return
        if path.exists() and self._armed != path:
            self._armed = path
            self._say(f"{path.name} exists: press enter again to replace it.", error=True)
            return
        self._say("Writing…")
        self._write(path, self.scope)

    @work(exclusive=True, group="csv-export", exit_on_error=False)
    async def _write(self, path: Path, scope: str) -> None:
        try:
            await self._write_file(path, scope)
        finally:
            self.write_done.set()

    async def _write_file(self, path: Path, scope: str) -> None:
        keys = await self.collect(scope)
        store = self.session.store
        try:
            n = await asyncio.to_thread(export_items, store, keys, path)
        except OSError as exc:
            self._say(f"Cannot write {path}: {exc.strerror or exc}", error=True)
            self._armed = None
            return
        what = "marked items" if scope == "marks" else "items of the filter"
        self.dismiss(f"Wrote {n:,} {what} to {path}")

    def action_close(self) -> None:
        self.dismiss(None)
