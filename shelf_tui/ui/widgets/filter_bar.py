"""The filter bar: one line to type the filter language of store/filters.py.

Enter applies, `esc` clears. A syntax error shows FilterError's one-line message under the bar
and keeps the typed text, so a typo costs one keystroke to fix. Tab-free completion (the
grey suggestion, accepted with → or ctrl+e) offers field names and their values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Input, Static

from shelf_tui.domain import Platform, Reason, Status
from shelf_tui.store import FilterError, Sql
from shelf_tui.store.filters import FIELDS
from shelf_tui.ui.text import one_line
from shelf_tui.ui.widgets.keys import hand_on

HINT = "e.g. status:active stock:0 · reason:violation · dress    f: quick filters"

_VALUES: dict[str, tuple[str, ...]] = {
    "status": tuple(s.value for s in Status),
    "reason": (*(r.value for r in Reason if r.value), "none"),
    "platform": (*(p.value for p in Platform), "top"),
    "locked": ("yes", "no"),
    "deadline": ("<24h", "<72h", "yes", "no"),
    "stock": ("0", ">0", "<=5"),
    "modified": ("<1d", "<7d", ">30d"),
    "price": (">=100", "<10"),
}


class FilterSuggester(Suggester):
    """Completes the word being typed: a field name, or one of the field's values."""

    def __init__(self, shops: Callable[[], Sequence[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._shops = shops

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value[-1].isspace():
            return None
        head, _, word = value.rpartition(" ")
        prefix = f"{head} " if head else ""
        bang = "!" if word.startswith("!") else ""
        word = word.lstrip("!")
        name, colon, rest = word.partition(":")
        if not colon:
            for field in FIELDS:
                if field.startswith(name.lower()) and field != name.lower():
                    return f"{prefix}{bang}{field}:"
            return None
        choices = self._shops() if name == "shop" else _VALUES.get(name.lower(), ())
        done, _, current = rest.rpartition(",")
        lead = f"{done}," if done else ""
        for choice in choices:
            if choice.startswith(current) and choice != current:
                return f"{prefix}{bang}{name}:{lead}{choice}"
        return None


class FilterInput(Input):
    """The bar's input, keeping a burst of keys in order across enter.

    Textual forwards each key to the widget focused when the key is read, and runs a binding
    only once the key has bubbled back up; so of `/status:active⏎*` arriving in one read (a
    laggy SSH link, a paste), the `*` used to be typed into the filter before enter applied
    it. Enter applies here, at once, and hands the focus back; keys that reach the input after
    it lost the focus go on, in order, to the widget focused now."""

    async def on_event(self, event: events.Event) -> None:
        if await hand_on(self, event):
            return
        if isinstance(event, events.Key) and event.key == "enter":
            bar = next((a for a in self.ancestors if isinstance(a, FilterBar)), None)
            if bar is not None:
                event.stop()
                event.prevent_default()
                bar.submit(self.value)
                return
        await super().on_event(event)


class FilterBar(Vertical):
    """Prompt, input and (when there is one) the error line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear filter", id="filter.clear"),
    ]

    DEFAULT_CSS = """
    FilterBar { height: auto; }
    FilterBar > Horizontal { height: 1; }
    FilterBar #filter-prompt { width: 2; }
    FilterBar Input, FilterBar Input:focus { border: none; height: 1; padding: 0; width: 1fr; }
    FilterBar #filter-error { height: 1; display: none; }
    FilterBar.-error #filter-error { display: block; }
    """

    class Applied(Message):
        """A filter was applied (`text` empty = everything)."""

        def __init__(self, text: str, where: Sql) -> None:
            super().__init__()
            self.text = text
            self.where = where

    class Cancelled(Message):
        """The seller left the bar without applying (esc on an empty bar)."""

    def __init__(
        self,
        compile: Callable[[str], Sql],
        shops: Callable[[], Sequence[str]],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._compile = compile
        self._shops = shops
        self.applied = ""
        self.error = ""
        #: Where the focus goes, at once, when enter applies the filter (the browser's table).
        self.leave_to: Widget | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(Text("/ "), id="filter-prompt")
            yield FilterInput(
                placeholder=HINT,
                suggester=FilterSuggester(self._shops),
                id="filter-input",
                select_on_focus=False,
            )
        yield Static(id="filter-error")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def open(self, text: str | None = None) -> None:
        """Focus the bar with the current filter selected: typing replaces it, → or End
        keeps it to edit."""
        if text is not None:
            self.input.value = text
        # At once, not after the keys already queued: over SSH `/status:active` arrives in one
        # burst, and a deferred focus let `a` open the alerts, `s` sort, `i` import a CSV.
        self.screen.set_focus(self.input)
        self.input.select_all()

    def apply(self, text: str) -> bool:
        """Apply `text` as the filter; False (and the error shown) when it does not parse."""
        try:
            where = self._compile(text)
        except FilterError as exc:
            self._show_error(f"✗ {one_line(exc.term)}: {one_line(exc.expected)}")
            return False
        self._show_error("")
        self.input.value = text
        self.applied = text.strip()
        self.post_message(self.Applied(self.applied, where))
        return True

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one("#filter-error", Static).update(
            Text(message, no_wrap=True, overflow="ellipsis")
        )
        self.set_class(bool(message), "-error")

    def submit(self, text: str) -> None:
        """Enter in the bar: apply, and on success hand the focus back at once, so the keys
        typed after enter reach the table, not the filter."""
        if self.apply(text):
            self._leave()

    def _leave(self) -> None:
        if self.leave_to is not None and self.leave_to.is_attached:
            self.screen.set_focus(self.leave_to)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    def action_clear(self) -> None:
        if not self.input.value and not self.applied:
            self._show_error("")
            self.post_message(self.Cancelled())
            return
        self.input.value = ""
        if self.apply("") and self.input.has_focus:
            self._leave()
