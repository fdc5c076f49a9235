"""The quick filter menu (`f`): the filters a new seller looks for first, one key each, each
showing the filter text it applies, so the menu also teaches the filter language."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

#: (label, filter) — the first two are seed 002/001's daily questions.
QUICK_FILTERS: tuple[tuple[str, str], ...] = (
    ("On sale with 0 stock", "status:active stock:0"),
    ("Delisted for a violation", "reason:violation"),
    ("Taken down by the platform", "reason:violation,platform"),
    ("Rectification due within 24 h", "deadline:<24h"),
    ("Locked by a promotion", "locked:yes"),
    ("Sold out (delisted)", "reason:sold_out"),
    ("Delisted by me", "status:inactive reason:seller"),
    ("Under review", "status:review"),
    ("Changed in the last 7 days", "modified:<7d"),
    ("Everything (no filter)", ""),
)


class QuickFilterScreen(ModalScreen[str | None]):
    """Returns the chosen filter text, or None when dismissed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_menu", "Close", id="quick.close"),
        *(
            Binding(str(n % 10), f"pick({n - 1})", show=False, id=f"quick.{n % 10}")
            for n in range(1, len(QUICK_FILTERS) + 1)
        ),
    ]

    DEFAULT_CSS = """
    QuickFilterScreen { align: center middle; }
    QuickFilterScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    QuickFilterScreen OptionList, QuickFilterScreen OptionList:focus {
        height: auto; max-height: 16; border: none;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Quick filters — press a number, or ↑↓ and enter"))
            options = []
            for n, (label, text) in enumerate(QUICK_FILTERS, 1):
                prompt = Text.assemble(
                    (f"{n % 10}  ", "bold"), f"{label:<32}", (text or "(clear)", "dim")
                )
                options.append(Option(prompt, id=str(n - 1)))
            yield OptionList(*options, id="quick-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        self.dismiss(QUICK_FILTERS[index][1])

    def action_dismiss_menu(self) -> None:
        self.dismiss(None)
