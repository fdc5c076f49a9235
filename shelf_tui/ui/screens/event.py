"""One timeline event, whole: who, when, what the platform answered, the fields it changed,
and the snapshot of the item taken before a delist (the seller's evidence for an appeal)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from shelf_tui.store import Event
from shelf_tui.ui import fmt
from shelf_tui.ui.text import clean


def pretty(value: Any) -> Text:
    """JSON, indented, drawn literally (a title in a snapshot stays data)."""
    return Text(clean_lines(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)))


def clean_lines(text: str) -> str:
    return "\n".join(clean(line) for line in text.splitlines())


class EventScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="event.close"),
    ]

    DEFAULT_CSS = """
    EventScreen { align: center middle; }
    EventScreen > VerticalScroll {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    EventScreen Static { height: auto; }
    """

    def __init__(self, event: Event, now: int) -> None:
        super().__init__()
        self.event = event
        self.now = now

    def compose(self) -> ComposeResult:
        e = self.event
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(overflow="fold")
        rows = [
            ("when", fmt.stamp_epoch(e.at, self.now)),
            ("who", e.actor),
            ("action", e.action),
            ("reason", e.reason),
            ("outcome", e.outcome),
            ("job", "" if e.job_id is None else f"#{e.job_id}"),
            ("code", e.code),
            ("message", e.message),
            ("request id", e.request_id),
        ]
        for label, value in rows:
            if value:
                grid.add_row(Text(label), Text(clean(value)))
        parts: list[Any] = [grid]
        for label, change in (("changed from", e.before), ("changed to", e.after)):
            if change:
                parts += [Text(f"\n{label}", style="bold"), pretty(change)]
        if e.snapshot:
            parts += [Text("\nsnapshot before the change", style="bold"), pretty(e.snapshot)]
        else:
            parts.append(Text("\nno snapshot on this event", style="dim"))
        with VerticalScroll():
            yield Static(Group(*parts))

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
